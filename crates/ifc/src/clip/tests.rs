//! Our clip against hand-computed solids and against ifc-lite's own boolean on every
//! clipping item of the committed samples and of both corpus variants.

use super::*;
use std::path::Path;

/// Volume (divergence theorem), bounding box and plan area (the union of the
/// triangles' xy projections, in m² for `to_m` metres per file unit).
struct Measure {
    volume: f64,
    lo: V3,
    hi: V3,
    plan_m2: f64,
}

fn measure(m: &Mesh, to_m: f64) -> Measure {
    let p = |i: u32| {
        let i = i as usize * 3;
        [
            m.positions[i] as f64,
            m.positions[i + 1] as f64,
            m.positions[i + 2] as f64,
        ]
    };
    let mut volume = 0.0;
    let mut plan = crate::footprint::Union::new();
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for t in m.indices.chunks_exact(3) {
        let (a, b, c) = (p(t[0]), p(t[1]), p(t[2]));
        volume += dot(a, cross(b, c)) / 6.0;
        plan.add(&[a, b, c].map(|q| [q[0] * to_m, q[1] * to_m]));
        for q in [a, b, c] {
            for k in 0..3 {
                lo[k] = lo[k].min(q[k]);
                hi[k] = hi[k].max(q[k]);
            }
        }
    }
    Measure {
        volume,
        lo,
        hi,
        plan_m2: plan.finish().area_m2,
    }
}

const PRELUDE: &str = "#1=IFCCARTESIANPOINT((0.,0.,0.));
#2=IFCDIRECTION((0.,0.,1.));
#3=IFCDIRECTION((1.,0.,0.));
#4=IFCAXIS2PLACEMENT3D(#1,$,$);
#5=IFCCARTESIANPOINT((0.,0.));
#6=IFCAXIS2PLACEMENT2D(#5,$);
#7=IFCRECTANGLEPROFILEDEF(.AREA.,$,#6,4.,0.2);
#8=IFCEXTRUDEDAREASOLID(#7,#4,#2,3.);
#9=IFCCARTESIANPOINT((0.,0.,2.5));
#10=IFCAXIS2PLACEMENT3D(#9,#2,#3);
#11=IFCPLANE(#10);
";

/// The wall is the box [-2,2] x [-0.1,0.1] x [0,3]; the boundary ring is in #20.
fn wall_cut_by(flag: &str, ring: &str) -> String {
    format!(
        "{PRELUDE}#12=IFCPOLYGONALBOUNDEDHALFSPACE(#11,.{flag}.,#4,#20);
#13=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#8,#12);
{ring}"
    )
}

fn ring(points: &[[f64; 2]]) -> String {
    let mut s = String::new();
    let mut refs = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let id = 30 + i;
        s += &format!("#{id}=IFCCARTESIANPOINT(({:?},{:?}));\n", p[0], p[1]);
        refs.push(format!("#{id}"));
    }
    refs.push("#30".into());
    s + &format!("#20=IFCPOLYLINE(({}));\n", refs.join(","))
}

fn profiles() -> ProfileProcessor {
    ProfileProcessor::new(IfcSchema::new())
}

/// Item `e` cut by us (`None`: left to ifc-lite).
fn ours(e: &DecodedEntity, dec: &mut EntityDecoder) -> Option<Mesh> {
    clip_mesh(e, dec, &profiles(), TessellationQuality::Medium)
}

/// Item `e` cut by ifc-lite's own processor.
fn ifc_lite(e: &DecodedEntity, dec: &mut EntityDecoder) -> Mesh {
    BooleanClippingProcessor::new()
        .process(e, dec, &IfcSchema::new(), TessellationQuality::Medium)
        .unwrap()
}

/// Item `id` of `source` cut by us (`None`: left to ifc-lite) and by ifc-lite.
fn cut_both(source: &str, id: u32) -> (Option<Mesh>, Mesh) {
    let mut dec = EntityDecoder::new(source);
    let e = dec.decode_by_id(id).unwrap();
    (ours(&e, &mut dec), ifc_lite(&e, &mut dec))
}

fn both(source: &str, id: u32) -> (Measure, Measure) {
    let (ours, theirs) = cut_both(source, id);
    let ours = ours.expect("our clip applies");
    (measure(&ours, 1.0), measure(&theirs, 1.0))
}

/// Item `id` of `source` cut by us to ifc-lite's volume (to 1e-3 m³); our measure.
fn like_ifc_lite(source: &str, id: u32) -> Measure {
    let (ours, theirs) = both(source, id);
    assert!(
        close(ours.volume, theirs.volume, 1e-3),
        "{} against {}",
        ours.volume,
        theirs.volume
    );
    ours
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Item `id` of `src` cut by us to `want` m³ (to 1e-6) and by ifc-lite (to 1e-3,
/// its f32 output); our measure.
fn cut_to_volume(src: &str, id: u32, want: f64) -> Measure {
    let (ours, theirs) = both(src, id);
    assert!(
        close(ours.volume, want, 1e-6),
        "ours {} against {want}",
        ours.volume
    );
    assert!(
        close(theirs.volume, want, 1e-3),
        "ifc-lite {} against {want}",
        theirs.volume
    );
    ours
}

#[test]
fn a_false_flag_removes_above_the_plane_inside_the_boundary() {
    // Boundary x in [0, 5]: the wall's top 0.5 over x in [0, 2] goes.
    let src = wall_cut_by(
        "F",
        &ring(&[[0.0, -1.0], [5.0, -1.0], [5.0, 1.0], [0.0, 1.0]]),
    );
    let ours = cut_to_volume(&src, 13, 4.0 * 0.2 * 3.0 - 2.0 * 0.2 * 0.5);
    assert!(close(ours.hi[2], 3.0, 1e-6) && close(ours.lo[0], -2.0, 1e-6));
    assert!(close(ours.plan_m2, 4.0 * 0.2, 1e-6), "{}", ours.plan_m2);
}

#[test]
fn a_true_flag_removes_below_the_plane_inside_the_boundary() {
    // AgreementFlag TRUE: the plane's normal (+z) points away from the material.
    let src = wall_cut_by(
        "T",
        &ring(&[[0.0, -1.0], [5.0, -1.0], [5.0, 1.0], [0.0, 1.0]]),
    );
    cut_to_volume(&src, 13, 4.0 * 0.2 * 3.0 - 2.0 * 0.2 * 2.5);
}

#[test]
fn a_non_convex_boundary_cuts_only_inside_its_outline() {
    // An L whose notch leaves the wall's y in [0, 0.1] uncut over x in [1, 5]:
    // removed is the top 0.5 over x in [-1, 1] (full depth) and x in [1, 2] (half).
    let l = [
        [-1.0, -1.0],
        [5.0, -1.0],
        [5.0, 0.0],
        [1.0, 0.0],
        [1.0, 1.0],
        [-1.0, 1.0],
    ];
    let src = wall_cut_by("F", &ring(&l));
    cut_to_volume(&src, 13, 2.4 - (2.0 * 0.2 + 1.0 * 0.1) * 0.5);
}

#[test]
fn a_half_space_chain_a_curved_profile_and_hollow_sections() {
    // Two plane cuts in a chain: z <= 2.5 kept by the first, then x <= 1 by a
    // TRUE half-space whose normal (-x) points away from the material (x < 1).
    let src = format!(
        "{PRELUDE}#12=IFCHALFSPACESOLID(#11,.F.);
#13=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#8,#12);
#14=IFCCARTESIANPOINT((1.,0.,0.));
#15=IFCDIRECTION((1.,0.,0.));
#16=IFCAXIS2PLACEMENT3D(#14,#15,$);
#17=IFCPLANE(#16);
#18=IFCHALFSPACESOLID(#17,.F.);
#19=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#13,#18);
#21=IFCCIRCLEPROFILEDEF(.AREA.,$,#6,1.);
#22=IFCEXTRUDEDAREASOLID(#21,#4,#2,3.);
#23=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#22,#12);
"
    );
    let ours = cut_to_volume(&src, 19, 3.0 * 0.2 * 2.5);
    assert!(close(ours.hi[0], 1.0, 1e-6) && close(ours.hi[2], 2.5, 1e-6));
    // A circle profile is cut as ifc-lite tessellates it: a 1 m radius column less
    // its top 0.5 m, to the polygon's area.
    let ours = like_ifc_lite(&src, 23);
    assert!(
        ours.volume < std::f64::consts::PI * 2.5 && ours.volume > 0.97 * std::f64::consts::PI * 2.5
    );
    assert!(close(ours.hi[2], 2.5, 1e-6));
    // A hollow section is cut too: the tube's inside is taken out through its length.
    let hollow = format!(
        "{src}#24=IFCCIRCLEHOLLOWPROFILEDEF(.AREA.,$,#6,1.,0.1);\n#25=IFCEXTRUDEDAREASOLID(#24,#4,#2,3.);\n#26=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#25,#12);\n#27=IFCRECTANGLEHOLLOWPROFILEDEF(.AREA.,$,#6,0.4,0.2,0.02,$,$);\n#28=IFCEXTRUDEDAREASOLID(#27,#4,#2,3.);\n#29=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#28,#12);\n"
    );
    let ours = like_ifc_lite(&hollow, 26);
    let ring = std::f64::consts::PI * (1.0 - 0.81) * 2.5;
    assert!(
        ours.volume < ring && ours.volume > 0.97 * ring,
        "{} against {ring}",
        ours.volume
    );
    // A 0.4 x 0.2 box section with 0.02 walls, 2.5 high after the cut.
    cut_to_volume(&hollow, 29, (0.4 * 0.2 - 0.36 * 0.16) * 2.5);
}

#[test]
fn a_cut_removing_everything_is_left_to_ifc_lite() {
    let src = wall_cut_by(
        "T",
        &ring(&[[-5.0, -1.0], [5.0, -1.0], [5.0, 1.0], [-5.0, 1.0]]),
    )
    .replace(
        "#9=IFCCARTESIANPOINT((0.,0.,2.5))",
        "#9=IFCCARTESIANPOINT((0.,0.,9.))",
    );
    assert!(cut_both(&src, 13).0.is_none());
}

/// Every clipping item of a file, ours against ifc-lite's: the bounding box to
/// 1 mm, the volume to 0.5 % (ifc-lite's arrangement snaps) and the plan area to
/// one 1 cm grid cell along its perimeter. `mm` is a millimetre in file units. Returns how many
/// items we cut ourselves.
fn agree_on_file(data: &[u8], name: &str, mm: f64) -> usize {
    let mut dec = EntityDecoder::new(data);
    let text = String::from_utf8_lossy(data);
    let ids: Vec<u32> = text
        .lines()
        .filter(|l| l.contains("IFCBOOLEANCLIPPINGRESULT("))
        .filter_map(|l| {
            l.trim()
                .strip_prefix('#')?
                .split('=')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    let mut ours_n = 0;
    for id in ids {
        let e = dec.decode_by_id(id).unwrap();
        let Some(mine) = ours(&e, &mut dec) else {
            continue;
        };
        ours_n += 1;
        let theirs = ifc_lite(&e, &mut dec);
        let to_m = 0.001 / mm;
        let (a, b) = (measure(&mine, to_m), measure(&theirs, to_m));
        for k in 0..3 {
            assert!(
                close(a.lo[k], b.lo[k], mm) && close(a.hi[k], b.hi[k], mm),
                "{name} #{id}: box {:?}-{:?} against ifc-lite {:?}-{:?}",
                a.lo,
                a.hi,
                b.lo,
                b.hi
            );
        }
        let rel = |x: f64, y: f64| (x - y).abs() <= 0.005 * y.abs().max(1e-9);
        assert!(
            rel(a.volume, b.volume),
            "{name} #{id}: volume {} against {}",
            a.volume,
            b.volume
        );
        // Snapping to the 1 cm grid may move each side of the outline by a cell.
        let perimeter_m = 2.0 * to_m * ((a.hi[0] - a.lo[0]) + (a.hi[1] - a.lo[1]));
        assert!(
            close(a.plan_m2, b.plan_m2, 0.01 * perimeter_m),
            "{name} #{id}: plan {} m² against {}",
            a.plan_m2,
            b.plan_m2
        );
    }
    ours_n
}

#[test]
fn our_clip_agrees_with_ifc_lite_on_the_samples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/ifc");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ifc") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&data);
        // ArchiCAD and IfcOpenShell write metres; Revit writes feet or millimetres.
        let length = text
            .lines()
            .find(|l| l.contains(".LENGTHUNIT."))
            .unwrap_or_default();
        let mm = if length.contains(".MILLI.") {
            1.0
        } else if length.contains("FOOT") {
            1.0 / 304.8
        } else {
            0.001
        };
        let n = agree_on_file(&data, &path.display().to_string(), mm);
        // Every clipping item of the committed samples is a polygon extrusion cut by
        // half-spaces: none should fall back to ifc-lite.
        let all = text.matches("IFCBOOLEANCLIPPINGRESULT(").count();
        assert_eq!(n, all, "{}: {n} of {all} cut by us", path.display());
        total += n;
    }
    assert!(total >= 20, "only {total} items were ours to cut");
}

#[test]
fn our_clip_agrees_with_ifc_lite_on_both_corpus_variants() {
    use zhishen_testkit::corpus::{write_corpus, CorpusSpec};
    for unique in [false, true] {
        let mut spec = CorpusSpec::of_mb(0.5);
        spec.unique = unique;
        let mut buf = Vec::new();
        write_corpus(&spec, &mut buf).unwrap();
        let n = agree_on_file(&buf, &format!("corpus unique={unique}"), 1.0);
        assert!(n >= 2, "corpus unique={unique}: {n} items");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Random walls (solid or box sections) cut by random tilted planes bounded by
    /// random rectangles or Ls, either flag, in a rotated frame: our volume and box
    /// are ifc-lite's.
    #[test]
    fn random_bounded_cuts_agree_with_ifc_lite(
        (len, thick, height) in (1.0f64..8.0, 0.1f64..0.6, 2.0f64..5.0),
        (cut_z, tilt) in (0.5f64..4.5, -0.6f64..0.6),
        (x0, x1, y0, y1) in (-5.0f64..3.0, 0.5f64..6.0, -2.0f64..-0.05, 0.05f64..2.0),
        notch in proptest::option::of((0.1f64..0.9, 0.1f64..0.9)),
        flag in proptest::bool::ANY,
        turn in 0.0f64..std::f64::consts::TAU,
        wall in proptest::option::of(0.01f64..0.04),
    ) {
        let x1 = x0 + x1;
        let ring_pts: Vec<[f64; 2]> = match notch {
            None => vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
            Some((fx, fy)) => {
                let (xm, ym) = (x0 + fx * (x1 - x0), y0 + fy * (y1 - y0));
                vec![[x0, y0], [x1, y0], [x1, ym], [xm, ym], [xm, y1], [x0, y1]]
            }
        };
        let (s, c) = turn.sin_cos();
        // A solid wall, or a box section with walls of `wall`.
        let profile = match wall {
            None => format!("IFCRECTANGLEPROFILEDEF(.AREA.,$,#6,{len:?},{thick:?})"),
            Some(w) => format!("IFCRECTANGLEHOLLOWPROFILEDEF(.AREA.,$,#6,{len:?},{thick:?},{w:?},$,$)"),
        };
        let src = format!(
            "#1=IFCCARTESIANPOINT((0.,0.,0.));
#2=IFCDIRECTION((0.,0.,1.));
#3=IFCDIRECTION(({c:?},{s:?},0.));
#4=IFCAXIS2PLACEMENT3D(#1,#2,#3);
#5=IFCCARTESIANPOINT((0.,0.));
#6=IFCAXIS2PLACEMENT2D(#5,$);
#7={profile};
#8=IFCEXTRUDEDAREASOLID(#7,#4,#2,{height:?});
#9=IFCCARTESIANPOINT((0.,0.,{cut_z:?}));
#40=IFCDIRECTION(({tilt:?},0.,1.));
#10=IFCAXIS2PLACEMENT3D(#9,#40,$);
#11=IFCPLANE(#10);
#12=IFCPOLYGONALBOUNDEDHALFSPACE(#11,.{}.,#4,#20);
#13=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#8,#12);
{}",
            if flag { "T" } else { "F" },
            ring(&ring_pts)
        );
        let (ours, theirs) = cut_both(&src, 13);
        let Some(ours) = ours else {
            // Everything removed: left to ifc-lite by design.
            return Ok(());
        };
        let (a, b) = (measure(&ours, 1.0), measure(&theirs, 1.0));
        let whole = len * thick * height;
        proptest::prop_assert!(a.volume > 0.0 && a.volume <= whole * (1.0 + 1e-6), "ours {} of {whole}", a.volume);
        proptest::prop_assert!(
            (a.volume - b.volume).abs() <= 2e-3 * whole,
            "volume ours {} ifc-lite {} of {whole}", a.volume, b.volume
        );
        for k in 0..3 {
            proptest::prop_assert!(
                close(a.lo[k], b.lo[k], 2e-3) && close(a.hi[k], b.hi[k], 2e-3),
                "box ours {:?}-{:?} ifc-lite {:?}-{:?}", a.lo, a.hi, b.lo, b.hi
            );
        }
    }
}

#[test]
fn a_plane_along_x_is_cut_but_a_boundary_frame_along_x_without_ref_is_left_to_ifc_lite() {
    // Half-space x <= 1 removed from the wall (#17's Axis is (1,0,0), no RefDirection:
    // a plane needs only its normal).
    let src = format!(
        "{PRELUDE}#14=IFCCARTESIANPOINT((1.,0.,0.));
#15=IFCDIRECTION((1.,0.,0.));
#16=IFCAXIS2PLACEMENT3D(#14,#15,$);
#17=IFCPLANE(#16);
#18=IFCHALFSPACESOLID(#17,.T.);
#19=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#8,#18);
#21=IFCPOLYGONALBOUNDEDHALFSPACE(#11,.F.,#16,#20);
#22=IFCBOOLEANCLIPPINGRESULT(.DIFFERENCE.,#8,#21);
{}",
        ring(&[[0.0, -1.0], [5.0, -1.0], [5.0, 1.0], [0.0, 1.0]])
    );
    // TRUE: the normal (+x) points away from the material, x < 1 goes.
    let ours = cut_to_volume(&src, 19, 1.0 * 0.2 * 3.0);
    assert!(close(ours.lo[0], 1.0, 1e-6));
    // The boundary's X axis is not written and its Z lies along (1, 0, 0).
    assert!(cut_both(&src, 22).0.is_none());
}
