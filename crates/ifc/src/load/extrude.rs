//! Our own meshing of extruded parametric profiles: items that are an
//! IfcExtrudedAreaSolid 拉伸实体 of an IfcCircleProfileDef, IfcCircleHollowProfileDef or
//! IfcRectangleProfileDef (pipes 管道 and ducts 风管, round and square columns, beams,
//! balusters).
//!
//! Why: 8,000 hollow round pipes (a Revit MEP export's shape) loaded at 2.1x web-ifc,
//! meshing 0.16 of a 0.21 s load. The profile showed a third of it in ifc-lite's
//! work on each product after its item came from the item cache: the thin-triangle
//! sweep with its T-junction repair, the weld and its hashing, the normals; none of
//! them changes a prism's surface. ifc-lite gives a circle 36 corners, so each pipe
//! is 288 triangles of that work. Here: meshing 0.10 s, the load 0.15 s.
//!
//! What stays ifc-lite's, so that the surface is the one it meshes:
//! - the product's representations, placement and unit scale (`tess.rs`);
//! - the profile's corners: its `ProfileProcessor` at the router's quality, with
//!   the profile's own Position;
//! - its rules for the direction: refused without Z, taken along the profile
//!   plane's normal within 0.001 (`clip::read_swept`, which our boolean clip uses
//!   too);
//! - the caps' triangles (`Profile2D::triangulate`, cached per worker by corners).
//!   A first version cut its own (a fan, a strip round a hole): the same faces, but
//!   snapped to the facts' 1 cm grid other triangles can cover other cells.
//!
//! What differs: no weld, no sweep, no normals; coordinates stay f64 until placed,
//! so a corner on a half-centimetre tie may snap to the other cell (40 round columns
//! of 0.25 m: a footprint of 7.870 m² against ifc-lite's 7.878). Anything else
//! (another profile, one ifc-lite cannot cut or whose caps it leaves off, a
//! placement, direction or depth the reader refuses) goes to ifc-lite. The
//! conformance test holds every such product of the samples, tiled and generated
//! models to ifc-lite's mesh (triangles, box, surface) and the facts to its facts.

use super::tess::{keyword, FaceSet};
use crate::clip::convex::{add, area_2d, dot};
use crate::clip::{read_swept, Profile, Swept};
use ifc_lite_core::{EntityDecoder, IfcSchema};
use ifc_lite_geometry::{Point2, Profile2D, ProfileProcessor, TessellationQuality};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// One profile reader per meshing worker (it keeps per-solid state in cells).
    static PROFILES: ProfileProcessor = ProfileProcessor::new(IfcSchema::new());
    /// Each worker's recent cuts of profile faces ([`cap`]).
    static CAPS: RefCell<HashMap<Vec<u64>, Rc<Cut>>> = RefCell::default();
}

/// A profile's face cut into triangles: its corners (the outline's, then the
/// holes') and corner indices, three a triangle.
struct Cut {
    points: Vec<[f64; 2]>,
    indices: Vec<usize>,
}

/// Item `id` meshed when it is an extrusion of a profile we cut ourselves, else
/// `None` (the product goes to ifc-lite).
pub(super) fn solid(
    dec: &mut EntityDecoder,
    id: u32,
    quality: TessellationQuality,
) -> Option<FaceSet> {
    let e = dec.decode_by_id(id).ok()?;
    let profile = e.get(0)?.as_entity_ref()?;
    match keyword(dec.get_raw_bytes(profile)?)? {
        b"IFCCIRCLEPROFILEDEF" | b"IFCCIRCLEHOLLOWPROFILEDEF" | b"IFCRECTANGLEPROFILEDEF" => {}
        _ => return None,
    }
    let swept = PROFILES.with(|p| read_swept(&e, dec, p, quality))?;
    prism(&swept)
}

/// The closed prism of a profile swept: its bottom face on the profile plane, its
/// top face `sweep` on, and the sides between, every face wound outward. The faces'
/// triangles are ifc-lite's (`Profile2D::triangulate`), so that their plan, snapped
/// to the facts' grid, is the same; `None` for a profile it cannot cut or one so
/// elongated that ifc-lite leaves its caps off (past 10,000 to 1; here past 1,000).
fn prism(s: &Swept) -> Option<FaceSet> {
    (!elongated(&s.profile.outer)).then_some(())?;
    let cap = cap(&s.profile)?;
    let m = cap.points.len();
    let mut points = Vec::new();
    let lift = |points: &mut Vec<f64>, p: [f64; 2], top: bool| {
        let at = s.frame.point([p[0], p[1], 0.0]);
        points.extend(if top { add(at, s.sweep) } else { at });
    };
    for top in [false, true] {
        for &p in &cap.points {
            lift(&mut points, p, top);
        }
    }
    let mut tris: Vec<[u32; 3]> = Vec::new();
    for t in cap.indices.chunks_exact(3) {
        let [a, b, c] = [t[0], t[1], t[2]];
        (a.max(b).max(c) < m).then_some(())?;
        let [pa, pb, pc] = [a, b, c].map(|k| cap.points[k]);
        let [a, b, c] = [a, b, c].map(|k| k as u32);
        let (a, b, c) = if area_2d(&[pa, pb, pc]) >= 0.0 {
            (a, b, c)
        } else {
            (a, c, b)
        };
        // Counter-clockwise from above on the top face, the other way on the bottom.
        tris.push([a + m as u32, b + m as u32, c + m as u32]);
        tris.push([a, c, b]);
    }
    // The sides: the outline counter-clockwise faces out, a hole clockwise faces
    // into the hole, which is out of the material.
    for (k, r) in std::iter::once(&s.profile.outer)
        .chain(&s.profile.holes)
        .enumerate()
    {
        let want_ccw = k == 0;
        let r = if (area_2d(r) > 0.0) == want_ccw {
            r.clone()
        } else {
            r.iter().rev().copied().collect()
        };
        let base = (points.len() / 3) as u32;
        let n = r.len() as u32;
        for top in [false, true] {
            for &p in &r {
                lift(&mut points, p, top);
            }
        }
        for i in 0..n {
            let j = (i + 1) % n;
            tris.push([base + i, base + j, base + n + j]);
            tris.push([base + i, base + n + j, base + n + i]);
        }
    }
    // Swept to the back of the plane, the solid is the mirror of the above: turn
    // every face.
    if dot(s.sweep, s.frame.normal()) < 0.0 {
        for t in &mut tris {
            t.swap(1, 2);
        }
    }
    Some(FaceSet {
        points,
        corners: tris.into_iter().flatten().collect(),
        closed: false,
    })
}

/// A profile's face as ifc-lite cuts it (`Profile2D::triangulate`), from this worker's
/// cache when the same corners were cut before: a model's pipes and columns repeat
/// a few sections thousands of times, each written as its own profile record, and
/// ear clipping was the largest part of meshing them (8,000 hollow pipes: 13 % of
/// the load). The key is the corners' bits, so a hit is the same cut.
fn cap(p: &Profile) -> Option<Rc<Cut>> {
    let mut key: Vec<u64> = Vec::with_capacity(2 * p.outer.len() + 1 + p.holes.len());
    for r in std::iter::once(&p.outer).chain(&p.holes) {
        key.push(r.len() as u64);
        key.extend(r.iter().flatten().map(|v| v.to_bits()));
    }
    CAPS.with(|caps| {
        if let Some(t) = caps.borrow().get(&key) {
            return Some(Rc::clone(t));
        }
        let ring = |r: &[[f64; 2]]| {
            r.iter()
                .map(|&[x, y]| Point2::new(x, y))
                .collect::<Vec<_>>()
        };
        let mut profile = Profile2D::new(ring(&p.outer));
        for h in &p.holes {
            profile.add_hole(ring(h));
        }
        let t = profile.triangulate().ok()?;
        let t = Rc::new(Cut {
            points: t.points.iter().map(|q| [q.x, q.y]).collect(),
            indices: t.indices,
        });
        let mut caps = caps.borrow_mut();
        if caps.len() >= CAPS_KEPT {
            caps.clear();
        }
        caps.insert(key, Rc::clone(&t));
        Some(t)
    })
}

/// Cuts a worker keeps before starting its cache afresh.
const CAPS_KEPT: usize = 1024;

/// Whether the ring's box is more than 1,000 times longer than wide.
fn elongated(ring: &[[f64; 2]]) -> bool {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in ring {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let (w, h) = (hi[0] - lo[0], hi[1] - lo[1]);
    !(w > 0.0 && h > 0.0 && w.max(h) <= 1000.0 * w.min(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mesh;
    use ifc_lite_geometry::GeometryRouter;

    /// A metre model: one storey, and products `#100 + 10k` of one extrusion each,
    /// written by `solids` as (profile, position, direction, depth) records.
    fn file(solids: &[(&str, &str, &str, &str)]) -> Vec<u8> {
        let mut data = String::from(
            "#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#10),#5);
#2=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#5=IFCUNITASSIGNMENT((#2));
#6=IFCCARTESIANPOINT((0.,0.,0.));
#7=IFCAXIS2PLACEMENT3D(#6,$,$);
#8=IFCAXIS2PLACEMENT2D(#9,$);
#9=IFCCARTESIANPOINT((0.,0.));
#10=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#7,$);
#11=IFCLOCALPLACEMENT($,#7);
#20=IFCDIRECTION((0.,0.,1.));
#21=IFCDIRECTION((0.,0.,-1.));
#22=IFCDIRECTION((0.,0.6,0.8));
#23=IFCDIRECTION((1.,0.,0.));
#24=IFCCARTESIANPOINT((5.,0.,0.));
#25=IFCAXIS2PLACEMENT3D(#24,#23,#20);
#26=IFCCARTESIANPOINT((1.,2.));
#27=IFCAXIS2PLACEMENT2D(#26,$);
#30=IFCCIRCLEPROFILEDEF(.AREA.,$,#8,1.);
#31=IFCCIRCLEHOLLOWPROFILEDEF(.AREA.,$,#8,1.,0.25);
#32=IFCRECTANGLEPROFILEDEF(.AREA.,$,#27,2.,4.);
#33=IFCPOLYLINE((#9,#26,#24));
#34=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#33);
#35=IFCCIRCLEHOLLOWPROFILEDEF(.AREA.,$,#8,1.,1.);
",
        );
        for (k, (profile, position, direction, depth)) in solids.iter().enumerate() {
            let e = 100 + 10 * k;
            data += &format!(
                "#{e}=IFCEXTRUDEDAREASOLID({profile},{position},{direction},{depth});
#{}=IFCSHAPEREPRESENTATION(#10,'Body','SweptSolid',(#{e}));
#{}=IFCPRODUCTDEFINITIONSHAPE($,$,(#{}));
#{}=IFCCOLUMN('{k:0>22}',$,'c{k}',$,$,#11,#{},$,$);
",
                e + 1,
                e + 2,
                e + 1,
                e + 3,
                e + 2
            );
        }
        format!(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('t.ifc','',(''),(''),'','','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n{data}ENDSEC;\nEND-ISO-10303-21;\n"
        )
        .into_bytes()
    }

    fn ours(solids: &[(&str, &str, &str, &str)]) -> Vec<Option<Mesh>> {
        let bytes = file(solids);
        let mut dec = EntityDecoder::new(&bytes);
        let router = GeometryRouter::with_units(&bytes, &mut dec);
        let own = super::super::tess::Own {
            face_sets: false,
            extrusions: true,
        };
        (0..solids.len())
            .map(|k| {
                let product = dec.decode_by_id(103 + 10 * k as u32).unwrap();
                super::super::tess::mesh(&product, &mut dec, &router, own)
            })
            .collect()
    }

    /// The enclosed volume by the divergence theorem: positive when every face is
    /// wound outward.
    fn volume(m: &Mesh) -> f64 {
        m.triangles()
            .map(|[a, b, c]| {
                (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                    + a[2] * (b[0] * c[1] - b[1] * c[0]))
                    / 6.0
            })
            .sum()
    }

    /// Equal to f32 precision (a mesh keeps f32 offsets from its origin).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs()
    }

    fn near(a: [f64; 3], b: [f64; 3]) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-6)
    }

    #[test]
    fn a_round_column_is_ifc_lite_s_36_corner_prism_wound_outward() {
        let m = ours(&[("#30", "#7", "#20", "3.")]).remove(0).unwrap();
        // 34 triangles in each cap, two in each of the 36 sides.
        assert_eq!(m.triangle_count(), 2 * 34 + 2 * 36);
        // A corner at 0° and every 10°: the box touches the circle at 0, 90, 180, 270°.
        let b = m.bbox().unwrap();
        assert!(
            near(b.min, [-1.0, -1.0, 0.0]) && near(b.max, [1.0, 1.0, 3.0]),
            "{b:?}"
        );
        // The 36-gon of radius 1 has area 18 sin 10°.
        let want = 18.0 * 10f64.to_radians().sin() * 3.0;
        assert!(close(volume(&m), want), "{} vs {want}", volume(&m));
    }

    #[test]
    fn a_hollow_pipe_downward_and_a_pipe_along_x() {
        let v = ours(&[("#31", "#7", "#21", "2."), ("#31", "#25", "#20", "4.")]);
        let ring = 18.0 * 10f64.to_radians().sin() * (1.0 - 0.75f64.powi(2));
        // Down from the plane: z from -2 to 0, still wound outward.
        let down = v[0].as_ref().unwrap();
        assert_eq!(down.triangle_count(), 4 * 36 + 4 * 36);
        let b = down.bbox().unwrap();
        assert!(
            near(b.min, [-1.0, -1.0, -2.0]) && near(b.max, [1.0, 1.0, 0.0]),
            "{b:?}"
        );
        assert!(close(volume(down), 2.0 * ring), "{}", volume(down));
        // Placed at x = 5 with its Z along world X and its X along world Z.
        let along = v[1].as_ref().unwrap();
        let b = along.bbox().unwrap();
        assert!(
            near(b.min, [5.0, -1.0, -1.0]) && near(b.max, [9.0, 1.0, 1.0]),
            "{b:?}"
        );
        assert!(close(volume(along), 4.0 * ring), "{}", volume(along));
    }

    #[test]
    fn an_oblique_box_is_sheared_along_its_direction() {
        // A 2 × 4 rectangle centred at (1, 2), swept 5 m along (0, 0.6, 0.8): the
        // top is 3 m over in y and 4 m up; the volume is the base times the height.
        let m = ours(&[("#32", "#7", "#22", "5.")]).remove(0).unwrap();
        assert_eq!(m.triangle_count(), 12);
        let b = m.bbox().unwrap();
        assert!(
            near(b.min, [0.0, 0.0, 0.0]) && near(b.max, [2.0, 7.0, 4.0]),
            "{b:?}"
        );
        assert!(close(volume(&m), 8.0 * 4.0), "{}", volume(&m));
    }

    #[test]
    fn what_goes_to_ifc_lite() {
        let v = ours(&[
            // A profile we do not cut (an arbitrary outline).
            ("#34", "#7", "#20", "1."),
            // A direction without Z, which ifc-lite refuses too.
            ("#30", "#7", "#23", "1."),
            // No depth.
            ("#30", "#7", "#20", "0."),
            // A hollow circle whose wall is its radius: ifc-lite's error.
            ("#35", "#7", "#20", "1."),
        ]);
        assert!(v.iter().all(Option::is_none));
    }

    #[test]
    fn an_elongated_or_flat_outline_is_left_to_ifc_lite() {
        let rect = |w: f64, h: f64| [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
        assert!(!elongated(&rect(10.0, 0.01)));
        assert!(!elongated(&rect(0.01, 10.0)));
        assert!(elongated(&rect(10.0, 0.009)));
        assert!(elongated(&rect(10.0, 0.0)));
    }

    #[test]
    fn a_face_cut_once_is_the_same_cut_again() {
        let square = |s: f64| Profile {
            outer: vec![[0.0, 0.0], [s, 0.0], [s, s], [0.0, s]],
            holes: Vec::new(),
        };
        let (a, b, c) = (cap(&square(1.0)), cap(&square(1.0)), cap(&square(2.0)));
        let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
        assert!(
            Rc::ptr_eq(&a, &b),
            "the second cut of the same corners is the cached one"
        );
        assert!(!Rc::ptr_eq(&a, &c));
        assert_eq!(c.points[2], [2.0, 2.0]);
        assert_eq!(a.indices.len(), 6);
    }
}
