//! Our own meshing of tessellated bodies: products whose meshed items are all
//! IfcTriangulatedFaceSet 三角面集 or IfcPolygonalFaceSet 多边形面集 (the bodies IFC4
//! exporters write in Reference View: SketchUp, and Revit and ArchiCAD for free-form
//! and imported geometry).
//!
//! Why: on the PCERT sample (SketchUp) tiled to 30 MB, meshing was 0.27 s of a 0.33 s
//! load, 1.75x web-ifc. The profile: ifc-lite's representation walk decodes every
//! item through its general tokenizer before the processor sees it, so each face
//! set's Normals and CoordIndex lists became trees of values (a third of the load),
//! and the processor then read CoordIndex again from the bytes and ignored the
//! Normals. Then every mesh was flat-shaded, welded and swept for thin triangles,
//! none of which changes a face set's surface.
//!
//! What stays ifc-lite's, so that the surface is the one it meshes:
//! - which representations a product meshes (`meshed_representations`);
//! - the placement (`resolve_scaled_placement_strict`) and the unit scale;
//! - the number readers for the point list and CoordIndex, on the record's bytes;
//! - which triangles are kept (every corner in the point list) and when a closed
//!   shell is turned outward (`Closed = .T.` and the centroid test);
//! - a polygonal face's triangles come from ifc-lite's ear clipping, in the plane
//!   the face's Newell normal is nearest to. ifc-lite also dissolves straight
//!   corners that neighbouring faces share, against cracks in the drawing; the
//!   surface is the same.
//!
//! What differs: coordinates stay f64 until placed (ifc-lite narrows file units to
//! f32 first, unless it applies an RTC offset), and no weld or thin-triangle sweep.
//! The tests compare every face-set product of the samples, tiled and generated
//! models with ifc-lite's mesh: triangles, box and plan.
//!
//! `mesh` is also the entry for `extrude.rs` (extruded circles and rectangles):
//! both need the same representations, placement and per-item assembly.
//!
//! Anything else goes to ifc-lite: another item kind, a face with voids, a PnIndex
//! (or the original IFC4 NormalIndex in its place), a mirroring or non-affine
//! placement, a record the fast readers refuse, a face ear clipping cannot cut, a
//! coordinate beyond f32, or no triangle left.

use super::{instance, Affine};
use crate::clip::convex::newell;
use crate::model::Mesh;
use ifc_lite_core::{
    extract_coordinate_list_from_entity_f64, extract_face_indices_from_entity, DecodedEntity,
    EntityDecoder, IfcType, StepListItems,
};
use ifc_lite_geometry::representation::meshed_representations;
use ifc_lite_geometry::{triangulate_polygon, GeometryRouter, Point2, TessellationQuality};

/// Which bodies we mesh ourselves: face sets here, extruded parametric profiles in
/// `extrude.rs`. Each is asked only in files that have such records.
#[derive(Clone, Copy)]
pub(super) struct Own {
    pub(super) face_sets: bool,
    pub(super) extrusions: bool,
}

impl Own {
    fn any(self) -> bool {
        self.face_sets || self.extrusions
    }
}

/// `element`'s mesh when every item it meshes is one `own` takes (a plain
/// IfcTriangulatedFaceSet or IfcPolygonalFaceSet; an extrusion `extrude.rs`
/// meshes), else `None` (ifc-lite meshes it).
pub(super) fn mesh(
    element: &DecodedEntity,
    dec: &mut EntityDecoder,
    router: &GeometryRouter,
    own: Own,
) -> Option<Mesh> {
    if !own.any() {
        return None;
    }
    let shape = element.get(6)?.as_entity_ref()?;
    let pds = dec.decode_by_id(shape).ok()?;
    if pds.ifc_type != IfcType::IfcProductDefinitionShape {
        return None;
    }
    let reps = dec.resolve_ref_list(pds.get(2)?).ok()?;
    let mut items = Vec::new();
    for rep in meshed_representations(element, &reps) {
        if rep.ifc_type != IfcType::IfcShapeRepresentation {
            return None;
        }
        for item in rep.get(3)?.as_list()? {
            items.push(item.as_entity_ref()?);
        }
    }
    if items.is_empty() {
        return None;
    }
    let placement = router.resolve_scaled_placement_strict(element, dec).ok()?;
    // Column-major.
    let world = instance::affine(|r, c| placement[c * 4 + r])?;
    if !(world.iter().flatten().all(|x| x.is_finite()) && instance::det3(&world) > 0.0) {
        return None;
    }
    let scale = router.unit_scale();
    let mut out = Builder::default();
    let quality = router.tessellation_quality();
    for id in items {
        let set = item(dec, id, own, quality)?;
        out.add(&set, &world, scale);
    }
    out.finish()
}

/// One item as ifc-lite would mesh it: points in file units (in the product's
/// frame), triangles as 0-based corners in authored winding, and whether it claims
/// to be closed (then turned outward if it is wound inward).
pub(super) struct FaceSet {
    pub(super) points: Vec<f64>,
    pub(super) corners: Vec<u32>,
    pub(super) closed: bool,
}

fn item(
    dec: &mut EntityDecoder,
    id: u32,
    own: Own,
    quality: TessellationQuality,
) -> Option<FaceSet> {
    let raw = dec.get_raw_bytes(id)?;
    match keyword(raw)? {
        b"IFCTRIANGULATEDFACESET" if own.face_sets => triangulated(dec, raw),
        b"IFCPOLYGONALFACESET" if own.face_sets => polygonal(dec, raw),
        b"IFCEXTRUDEDAREASOLID" if own.extrusions => super::extrude::solid(dec, id, quality),
        _ => None,
    }
}

fn triangulated(dec: &mut EntityDecoder, raw: &[u8]) -> Option<FaceSet> {
    let mut attrs = StepListItems::of_record(raw)?;
    let coordinates = reference(attrs.next()?)?;
    let _normals = attrs.next()?;
    let closed = trim(attrs.next()?);
    let _coord_index = attrs.next()?;
    no_pn_index(attrs)?;
    let corners = extract_face_indices_from_entity(raw)?;
    Some(FaceSet {
        points: point_list(dec, coordinates)?,
        corners,
        closed: closed == b".T.",
    })
}

/// An IfcPolygonalFaceSet: each IfcIndexedPolygonalFace read from its record and
/// cut into triangles (a face with a corner past the list, or fewer than three, is
/// dropped, as ifc-lite drops it). Faces with voids go to ifc-lite.
fn polygonal(dec: &mut EntityDecoder, raw: &[u8]) -> Option<FaceSet> {
    let mut attrs = StepListItems::of_record(raw)?;
    let coordinates = reference(attrs.next()?)?;
    let closed = trim(attrs.next()?);
    let faces = attrs.next()?;
    no_pn_index(attrs)?;
    let points = point_list(dec, coordinates)?;
    let n = points.len() / 3;
    let mut corners = Vec::new();
    for face in StepListItems::of_list(faces)? {
        let face_raw = dec.get_raw_bytes(reference(face)?)?;
        if keyword(face_raw)? != b"IFCINDEXEDPOLYGONALFACE" {
            return None;
        }
        let mut face_attrs = StepListItems::of_record(face_raw)?;
        let ring = StepListItems::of_list(face_attrs.next()?)?
            .map(|v| std::str::from_utf8(trim(v)).ok()?.parse::<u32>().ok())
            .collect::<Option<Vec<u32>>>()?;
        if face_attrs.next().is_some() {
            return None;
        }
        if ring.len() < 3 || ring.iter().any(|&c| c == 0 || c as usize > n) {
            continue;
        }
        let ring: Vec<u32> = ring.iter().map(|c| c - 1).collect();
        corners.extend(triangulate(&points, &ring)?);
    }
    Some(FaceSet {
        points,
        corners,
        closed: closed == b".T.",
    })
}

/// The rest of a face set's attributes: none, or a PnIndex of `$` (a PnIndex, or the
/// original IFC4 NormalIndex in its place, goes to ifc-lite).
fn no_pn_index(mut rest: StepListItems) -> Option<()> {
    match rest.next() {
        None => Some(()),
        Some(pn_index) => (trim(pn_index) == b"$" && rest.next().is_none()).then_some(()),
    }
}

/// A face's ring (0-based corners) as triangles in its own winding: a triangle as
/// it is, a larger ring by ifc-lite's ear clipping in the plane its Newell normal
/// is nearest to. `None` (the product goes to ifc-lite) when it cannot be cut.
fn triangulate(points: &[f64], ring: &[u32]) -> Option<Vec<u32>> {
    if ring.len() == 3 {
        return Some(ring.to_vec());
    }
    let corners: Vec<[f64; 3]> = ring
        .iter()
        .map(|&c| {
            let i = 3 * c as usize;
            [points[i], points[i + 1], points[i + 2]]
        })
        .collect();
    let normal = newell(&corners);
    // Drop the axis the normal is nearest to; keep the two others in the order
    // that sees the ring counter-clockwise when the normal points at the viewer.
    let axis = (0..3).max_by(|&i, &j| normal[i].abs().total_cmp(&normal[j].abs()))?;
    if normal[axis] == 0.0 {
        return Some(Vec::new()); // no area: nothing to draw
    }
    let (u, v) = match (axis, normal[axis] > 0.0) {
        (0, true) => (1, 2),
        (0, false) => (2, 1),
        (1, true) => (2, 0),
        (1, false) => (0, 2),
        (_, true) => (0, 1),
        (_, false) => (1, 0),
    };
    let flat: Vec<Point2<f64>> = corners.iter().map(|q| Point2::new(q[u], q[v])).collect();
    let tris = triangulate_polygon(&flat).ok()?;
    let mut out = Vec::with_capacity(tris.len());
    for t in tris.chunks_exact(3) {
        let [a, b, c] = [t[0], t[1], t[2]].map(|k| flat.get(k).copied());
        let (a, b, c) = (a?, b?, c?);
        let ccw = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) >= 0.0;
        let [i, j, k] = [t[0], t[1], t[2]].map(|k| ring[k]);
        out.extend(if ccw { [i, j, k] } else { [i, k, j] });
    }
    Some(out)
}

/// An IfcCartesianPointList3D's coordinates (file units) by ifc-lite's reader.
fn point_list(dec: &mut EntityDecoder, id: u32) -> Option<Vec<f64>> {
    let raw = dec.get_raw_bytes(id)?;
    if keyword(raw)? != b"IFCCARTESIANPOINTLIST3D" {
        return None;
    }
    let points = extract_coordinate_list_from_entity_f64(raw)?;
    // ifc-lite refuses a list holding a value its f32 positions cannot hold.
    let fits = |v: &f64| v.is_finite() && v.abs() <= f64::from(f32::MAX);
    (points.len() % 3 == 0 && points.iter().all(fits)).then_some(points)
}

/// The record's type keyword (`#12=IFCFOO(` gives `IFCFOO`), upper case as the scan
/// requires.
pub(super) fn keyword(record: &[u8]) -> Option<&[u8]> {
    let eq = record.iter().position(|&b| b == b'=')?;
    let open = eq + record[eq..].iter().position(|&b| b == b'(')?;
    Some(trim(&record[eq + 1..open]))
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// `#123` as 123.
fn reference(item: &[u8]) -> Option<u32> {
    std::str::from_utf8(trim(item).strip_prefix(b"#")?)
        .ok()?
        .parse()
        .ok()
}

/// The face sets of one product, placed, as one mesh.
#[derive(Default)]
struct Builder {
    world: Vec<[f64; 3]>,
    indices: Vec<u32>,
}

impl Builder {
    fn add(&mut self, set: &FaceSet, world: &Affine, scale: f64) {
        let n = set.points.len() / 3;
        let at = |c: u32| &set.points[3 * c as usize..3 * c as usize + 3];
        // Every corner in the list, as ifc-lite keeps them; and, as its weld then
        // drops them, none with two corners on one point.
        let mut tris: Vec<[u32; 3]> = set
            .corners
            .chunks_exact(3)
            .map(|t| [t[0], t[1], t[2]])
            .filter(|t| t.iter().all(|&c| (c as usize) < n))
            .filter(|&[a, b, c]| at(a) != at(b) && at(b) != at(c) && at(a) != at(c))
            .collect();
        if set.closed && points_inward(&set.points, &tris) {
            for t in &mut tris {
                t.swap(1, 2);
            }
        }
        let Ok(base) = u32::try_from(self.world.len()) else {
            return;
        };
        self.world.extend(set.points.chunks_exact(3).map(|p| {
            std::array::from_fn(|r| {
                scale * (world[r][0] * p[0] + world[r][1] * p[1] + world[r][2] * p[2]) + world[r][3]
            })
        }));
        self.indices
            .extend(tris.iter().flatten().map(|&c| base.saturating_add(c)));
    }

    /// The mesh, its offsets from its first triangle's first corner; `None` when no
    /// triangle is left.
    fn finish(self) -> Option<Mesh> {
        let origin = self.world[*self.indices.first()? as usize];
        let positions = self
            .world
            .iter()
            .flat_map(|p| [0, 1, 2].map(|k| (p[k] - origin[k]) as f32))
            .collect();
        Some(Mesh::new(origin, positions, self.indices))
    }
}

/// ifc-lite's test for turning a closed shell outward: over the triangles, the sum
/// of each normal against its centroid's offset from the points' centroid, judged
/// against the sum of their sizes (a flat sheet sums to rounding noise and is never
/// turned). On the f32 file-unit points, as ifc-lite reads them.
fn points_inward(points: &[f64], tris: &[[u32; 3]]) -> bool {
    let p = |i: u32| -> [f64; 3] {
        let i = i as usize * 3;
        [0, 1, 2].map(|k| f64::from(points[i + k] as f32))
    };
    let n = points.len() / 3;
    if tris.is_empty() || n < 3 {
        return false;
    }
    let mut c = [0.0; 3];
    for i in 0..n {
        let q = p(i as u32);
        for k in 0..3 {
            c[k] += q[k];
        }
    }
    let c = c.map(|v| v * (1.0 / n as f64));
    let (mut sign, mut size) = (0.0, 0.0);
    for t in tris {
        let [a, b, d] = t.map(p);
        let e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let e2 = [d[0] - a[0], d[1] - a[1], d[2] - a[2]];
        let nrm = [
            e1[1] * e2[2] - e1[2] * e2[1],
            e1[2] * e2[0] - e1[0] * e2[2],
            e1[0] * e2[1] - e1[1] * e2[0],
        ];
        let out: [f64; 3] = std::array::from_fn(|k| (a[k] + b[k] + d[k]) / 3.0 - c[k]);
        sign += nrm[0] * out[0] + nrm[1] * out[1] + nrm[2] * out[2];
        let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        size += len(nrm) * len(out);
    }
    sign < -1e-5 * size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_and_reference() {
        assert_eq!(
            keyword(b"#12= IFCTRIANGULATEDFACESET(#3,$,.T.,((1,2,3)),$);"),
            Some(&b"IFCTRIANGULATEDFACESET"[..])
        );
        assert_eq!(keyword(b"no record"), None);
        assert_eq!(reference(b" #42 "), Some(42));
        assert_eq!(reference(b"$"), None);
        assert_eq!(reference(b"#-1"), None);
    }

    /// A unit tetrahedron wound inward is turned; wound outward, or flat, it is not.
    #[test]
    fn closed_shells_turn_outward_as_ifc_lite_turns_them() {
        let pts = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let outward = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];
        let inward = outward.map(|[a, b, c]| [a, c, b]);
        assert!(!points_inward(&pts, &outward));
        assert!(points_inward(&pts, &inward));
        let flat = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        assert!(!points_inward(&flat, &[[0, 2, 1]]));
    }

    /// Face sets in millimetres under a placement turned a quarter about z and moved
    /// to (1000, 2000, 0) mm; each product's body and what `mesh` must make of it.
    fn file() -> Vec<u8> {
        let data = "\
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#10),#5);
#2=IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.);
#5=IFCUNITASSIGNMENT((#2));
#6=IFCCARTESIANPOINT((0.,0.,0.));
#7=IFCAXIS2PLACEMENT3D(#6,$,$);
#10=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#7,$);
#11=IFCLOCALPLACEMENT($,#7);
#20=IFCCARTESIANPOINT((1000.,2000.,0.));
#21=IFCDIRECTION((0.,0.,1.));
#22=IFCDIRECTION((0.,1.,0.));
#23=IFCAXIS2PLACEMENT3D(#20,#21,#22);
#24=IFCLOCALPLACEMENT(#11,#23);
#30=IFCCARTESIANPOINTLIST3D(((0.,0.,0.),(1000.,0.,0.),(0.,1000.,0.),(0.,0.,1000.)));
#31=IFCTRIANGULATEDFACESET(#30,$,.T.,((1,2,3),(1,4,2),(1,3,4),(2,4,3),(5,1,2),(2,2,3),(1,3,3),(3,1,3)),$);
#32=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#31));
#33=IFCPRODUCTDEFINITIONSHAPE($,$,(#32));
#34=IFCBUILDINGELEMENTPROXY('1YvctVUKr0kugbFTf53O9L',$,'tetra',$,$,#24,#33,$,$);
#40=IFCTRIANGULATEDFACESET(#30,$,.T.,((1,2,3)),(1,2,3,4));
#41=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#40));
#42=IFCPRODUCTDEFINITIONSHAPE($,$,(#41));
#43=IFCBUILDINGELEMENTPROXY('2YvctVUKr0kugbFTf53O9L',$,'pn',$,$,#11,#42,$,$);
#50=IFCSPHERE(#7,500.);
#51=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#31,#50));
#52=IFCPRODUCTDEFINITIONSHAPE($,$,(#51));
#53=IFCBUILDINGELEMENTPROXY('3YvctVUKr0kugbFTf53O9L',$,'mixed',$,$,#11,#52,$,$);
#60=IFCBOUNDINGBOX(#6,1000.,1000.,1000.);
#61=IFCSHAPEREPRESENTATION(#10,'Box','BoundingBox',(#60));
#62=IFCPRODUCTDEFINITIONSHAPE($,$,(#61,#32));
#63=IFCBUILDINGELEMENTPROXY('4YvctVUKr0kugbFTf53O9L',$,'boxed',$,$,#11,#62,$,$);
#80=IFCCARTESIANPOINTLIST3D(((0.,0.,0.),(2000.,0.,0.),(2000.,1000.,0.),(1000.,1000.,0.),(1000.,2000.,0.),(0.,2000.,0.)));
#81=IFCINDEXEDPOLYGONALFACE((1,2,3,4,5,6));
#82=IFCINDEXEDPOLYGONALFACE((1,2,9));
#83=IFCPOLYGONALFACESET(#80,.F.,(#81,#82),$);
#84=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#83));
#85=IFCPRODUCTDEFINITIONSHAPE($,$,(#84));
#86=IFCSLAB('6YvctVUKr0kugbFTf53O9L',$,'ell',$,$,#11,#85,$,$);
#87=IFCINDEXEDPOLYGONALFACEWITHVOIDS((1,2,3,4,5,6),((1,2,3)));
#88=IFCPOLYGONALFACESET(#80,.F.,(#87),$);
#89=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#88));
#90=IFCPRODUCTDEFINITIONSHAPE($,$,(#89));
#91=IFCSLAB('7YvctVUKr0kugbFTf53O9L',$,'holed',$,$,#11,#90,$,$);
#70=IFCCARTESIANPOINTLIST3D(((0.,0.,0.),(1.E39,0.,0.),(0.,1.,0.)));
#71=IFCTRIANGULATEDFACESET(#70,$,.F.,((1,2,3)),$);
#72=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#71));
#73=IFCPRODUCTDEFINITIONSHAPE($,$,(#72));
#74=IFCBUILDINGELEMENTPROXY('5YvctVUKr0kugbFTf53O9L',$,'huge',$,$,#11,#73,$,$);
";
        format!(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('t.ifc','',(''),(''),'','','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n{data}ENDSEC;\nEND-ISO-10303-21;\n"
        )
        .into_bytes()
    }

    fn mesh_of(bytes: &[u8], id: u32) -> Option<Mesh> {
        let mut dec = EntityDecoder::new(bytes);
        let router = GeometryRouter::with_units(bytes, &mut dec);
        let product = dec.decode_by_id(id).unwrap();
        let own = Own {
            face_sets: true,
            extrusions: false,
        };
        mesh(&product, &mut dec, &router, own)
    }

    #[test]
    fn a_face_set_is_placed_scaled_cleaned_and_turned_outward() {
        let bytes = file();
        let m = mesh_of(&bytes, 34).expect("a plain face set is ours");
        // Four faces: the corner past the list and the faces with two corners on one
        // point are dropped.
        assert_eq!(m.triangle_count(), 4);
        // (x, y) turns to (-y, x), then moves by (1, 2) m.
        let b = m.bbox().unwrap();
        let near = |a: [f64; 3], e: [f64; 3]| (0..3).all(|k| (a[k] - e[k]).abs() < 1e-9);
        assert!(
            near(b.min, [0.0, 2.0, 0.0]) && near(b.max, [1.0, 3.0, 1.0]),
            "{b:?}"
        );
        // Wound inward and marked closed: turned, so its volume is +1/6 m³.
        let volume: f64 = m
            .triangles()
            .map(|[a, b, c]| {
                let cross = [
                    b[1] * c[2] - b[2] * c[1],
                    b[2] * c[0] - b[0] * c[2],
                    b[0] * c[1] - b[1] * c[0],
                ];
                (a[0] * cross[0] + a[1] * cross[1] + a[2] * cross[2]) / 6.0
            })
            .sum();
        assert!((volume - 1.0 / 6.0).abs() < 1e-9, "{volume}");
        // A bounding box beside the body is not meshed: the same four faces.
        assert_eq!(mesh_of(&bytes, 63).map(|m| m.triangle_count()), Some(4));
    }

    /// A concave hexagon (an L, 3 m²) is cut into four triangles facing up; the face
    /// with a corner past the list is dropped.
    #[test]
    fn a_polygonal_face_is_ear_clipped_in_its_winding() {
        let m = mesh_of(&file(), 86).expect("a plain polygonal face set is ours");
        assert_eq!(m.triangle_count(), 4);
        let mut area = 0.0;
        for [a, b, c] in m.triangles() {
            let z = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            assert!(z > 0.0, "every triangle faces up as the ring runs");
            area += z / 2.0;
        }
        assert!((area - 3.0).abs() < 1e-9, "{area}");
    }

    #[test]
    fn what_it_does_not_read_goes_to_ifc_lite() {
        let bytes = file();
        assert!(mesh_of(&bytes, 91).is_none(), "a face with voids");
        assert!(mesh_of(&bytes, 43).is_none(), "PnIndex");
        assert!(mesh_of(&bytes, 53).is_none(), "another item kind beside");
        assert!(mesh_of(&bytes, 74).is_none(), "a coordinate beyond f32");
    }
}
