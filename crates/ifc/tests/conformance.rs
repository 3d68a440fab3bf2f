//! Conformance against IfcOpenShell 0.9 reference values (datasets/ifc/reference/*.json).
//!
//! Extra corpora: set ZHISHEN_CONFORMANCE_DIRS to a ':'-separated list of directories,
//! each holding `X.ifc` files and `reference/X.json` made by the same IfcOpenShell script.

use serde_json::Value;
use std::path::{Path, PathBuf};
use zhishen_ifc::{load_path, Model, Severity};

fn dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/ifc");
    let mut v = vec![root];
    if let Ok(extra) = std::env::var("ZHISHEN_CONFORMANCE_DIRS") {
        v.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    v
}

fn cases() -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for d in dirs() {
        let Ok(rd) = std::fs::read_dir(d.join("reference")) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                let r: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                let ifc = d.join(r["file"].as_str().unwrap());
                out.push((ifc, r));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Returns the list of disagreements for one file.
fn compare(m: &Model, r: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    if m.schema
        != r["schema"]
            .as_str()
            .unwrap_or("")
            .to_ascii_uppercase()
            .replace("IFC4X3_ADD2", "IFC4X3")
    {
        errs.push(format!("schema {} vs {}", m.schema, r["schema"]));
    }
    if let Some(u) = f(&r["length_unit_to_m"]) {
        if (m.length_unit_m - u).abs() > 1e-12 {
            errs.push(format!("length unit {} vs {u}", m.length_unit_m));
        }
    }
    // Storeys: same count, elevations within 1 mm, matched by GlobalId.
    let rs = r["storeys"].as_array().unwrap();
    if rs.len() != m.storeys.len() {
        errs.push(format!("storey count {} vs {}", m.storeys.len(), rs.len()));
    }
    for s in rs {
        let gid = s["GlobalId"].as_str().unwrap();
        match m.storeys.iter().find(|x| x.node.global_id == gid) {
            None => errs.push(format!("storey {gid} missing")),
            Some(x) => match (x.elevation_m, f(&s["Elevation_m"])) {
                (Some(a), Some(b)) if (a - b).abs() <= 0.001 => {}
                (None, None) => {}
                (a, b) => errs.push(format!("storey {gid} elevation {a:?} vs {b:?}")),
            },
        }
    }
    if let Some(n) = r["space_count"].as_u64() {
        if m.spaces.len() as u64 != n {
            errs.push(format!("space count {} vs {n}", m.spaces.len()));
        }
    }
    // World bounding box within 1 cm, unless the reference states why it differs
    // (`"accepted_differences": {"bbox_world_m": "why"}`, e.g. IfcOpenShell failing
    // IfcGridPlacement columns).
    let g = &r["geometry"];
    let accepted = r["accepted_differences"]["bbox_world_m"].as_str();
    if let Some(why) = accepted {
        eprintln!("{}: bbox not compared: {why}", r["file"]);
    }
    if let (None, Some(mn), Some(mx)) = (
        accepted,
        g["bbox_min_m"].as_array(),
        g["bbox_max_m"].as_array(),
    ) {
        match m.bbox_world_m {
            None => errs.push("no bbox".into()),
            Some(b) => {
                for k in 0..3 {
                    let (a0, b0) = (b.min[k], mn[k].as_f64().unwrap());
                    let (a1, b1) = (b.max[k], mx[k].as_f64().unwrap());
                    if (a0 - b0).abs() > 0.01 || (a1 - b1).abs() > 0.01 {
                        errs.push(format!("bbox axis {k}: [{a0}, {a1}] vs [{b0}, {b1}]"));
                    }
                }
            }
        }
    }
    // Georeferencing: IfcMapConversion values exactly as written.
    let items = r["map_conversion"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match (items.first(), &m.georef.map_conversion) {
        (None, None) => {}
        (Some(i), Some(mc)) => {
            for (key, ours) in [
                ("Eastings", Some(mc.eastings)),
                ("Northings", Some(mc.northings)),
                ("OrthogonalHeight", Some(mc.orthogonal_height)),
                ("XAxisAbscissa", mc.x_axis_abscissa),
                ("XAxisOrdinate", mc.x_axis_ordinate),
                ("Scale", mc.scale),
            ] {
                // IfcOpenShell's float reader can be one ulp off the correctly rounded
                // value of the text (PCERT Northings); allow 4 ulps, nothing more.
                let same = match (f(&i[key]), ours) {
                    (Some(a), Some(b)) => (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(1.0),
                    (a, b) => a == b,
                };
                if !same {
                    errs.push(format!("{key} {ours:?} vs {}", i[key]));
                }
            }
            let crs = i["TargetCRS"]["Name"].as_str();
            if crs != mc.crs.as_ref().and_then(|c| c.name.as_deref()) {
                errs.push(format!("CRS {:?} vs {crs:?}", mc.crs));
            }
        }
        (a, b) => errs.push(format!("map conversion {b:?} vs {a:?}")),
    }
    // IfcSite reference point of the first site that has one.
    let site = r["sites"]
        .as_array()
        .and_then(|s| s.iter().find(|x| !x["RefLatitude_deg"].is_null()));
    match (site, &m.georef.site_ref) {
        (None, None) => {}
        (Some(s), Some(ours)) => {
            if (ours.lat - s["RefLatitude_deg"].as_f64().unwrap()).abs() > 1e-9
                || (ours.lon - s["RefLongitude_deg"].as_f64().unwrap()).abs() > 1e-9
            {
                errs.push(format!(
                    "site ref {}, {} vs {}, {}",
                    ours.lat, ours.lon, s["RefLatitude_deg"], s["RefLongitude_deg"]
                ));
            }
        }
        (a, b) => errs.push(format!("site ref {b:?} vs {a:?}")),
    }
    // No reading errors.
    for d in &m.diagnostics {
        if d.severity == Severity::Warning && matches!(d.code, "geometry_failed" | "decode_failed")
        {
            errs.push(format!("diagnostic {}: {}", d.code, d.message));
        }
    }
    errs
}

#[test]
fn agrees_with_ifcopenshell_on_every_reference_file() {
    let cases = cases();
    assert!(
        cases.len() >= 6,
        "reference corpus missing: {} files",
        cases.len()
    );
    let mut failures = Vec::new();
    for (ifc, r) in &cases {
        let m = match load_path(ifc) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: {e}", ifc.display()));
                continue;
            }
        };
        for e in compare(&m, r) {
            failures.push(format!("{}: {e}", ifc.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pcert_georef_is_millimetre_and_rotated() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc/PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc");
    let m = load_path(&p).unwrap();
    let mc = m.georef.map_conversion.unwrap();
    assert_eq!(mc.map_unit_m, 0.001);
    // Raw values equal the correctly rounded parse of the file's text.
    assert_eq!(mc.eastings, "729013348.8297004".parse::<f64>().unwrap());
    assert_eq!(mc.northings, "9063992684.697363".parse::<f64>().unwrap());
    assert_eq!(mc.x_axis_ordinate, Some(0.8660254037844387));
    assert!((mc.rotation_deg - 60.0).abs() < 1e-9);
    assert!((mc.eastings_m - 729_013.348_829_700_4).abs() < 1e-6);
    assert!((mc.orthogonal_height_m - 1.3).abs() < 1e-9);
}

#[test]
fn revit_boston_default_is_not_trusted() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc/TallBuilding_Revit2021_IFC2x3.ifc");
    let m = load_path(&p).unwrap();
    let s = m.georef.site_ref.unwrap();
    assert!(s.default_of.unwrap().contains("Revit"));
    assert_eq!(m.georef.confidence, zhishen_ifc::Confidence::None);
}

#[test]
fn space_areas_come_from_the_sets_exporters_write() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/ifc");
    // Duplex (Revit 2011): 'GSA Space Areas'; FZK-Haus (ArchiCAD): BaseQuantities.
    let d = load_path(&dir.join("Duplex_Revit2011_IFC2x3.ifc")).unwrap();
    let foyer = d
        .spaces
        .iter()
        .find(|s| s.node.name.as_deref() == Some("A101"))
        .unwrap();
    let a = foyer.net_floor_area.as_ref().unwrap();
    assert_eq!(a.detail, "GSA Space Areas.GSA BIM Area");
    assert_eq!(a.value_m2, 17.93623674999977);
    let k = load_path(&dir.join("AC20-FZK-Haus_ArchiCAD20_IFC4.ifc")).unwrap();
    let s = k
        .spaces
        .iter()
        .find(|s| s.node.global_id == "347jFE2yX7IhCEIALmupEH")
        .unwrap();
    assert_eq!(s.gross_floor_area.as_ref().unwrap().value_m2, 22.0725);
    assert_eq!(s.net_floor_area.as_ref().unwrap().value_m2, 21.410325);
    // LargeBuilding is a millimetre model whose areas are declared in m2.
    let l = load_path(&dir.join("LargeBuilding_Revit2021_IFC2x3.ifc")).unwrap();
    let r = l
        .spaces
        .iter()
        .find(|s| s.node.global_id == "2cXV28XOjE6f6irgi0COJ6")
        .unwrap();
    assert_eq!(r.net_floor_area.as_ref().unwrap().value_m2, 49.92);
}

// Mapped families shared between occurrences (issue 14) against ifc-lite's baked
// occurrences, element by element.

mod shared_families {
    use zhishen_ifc::{load_bytes_with, BBox, LoadOptions, Mesh, Model};
    use zhishen_testkit::corpus::{write_corpus, CorpusSpec};

    /// `bytes` loaded with `opts`: the default, or a comparison's other side.
    pub(super) fn load(bytes: &[u8], opts: LoadOptions) -> Model {
        load_bytes_with(bytes, "compared.ifc", &opts).unwrap().0
    }

    fn baked() -> LoadOptions<'static> {
        LoadOptions {
            bake_every_occurrence: true,
            ..Default::default()
        }
    }

    fn area(m: &Mesh) -> f64 {
        let sub = |a: [f64; 3], b: [f64; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
        m.triangles()
            .map(|[a, b, c]| {
                let (u, v) = (sub(b, a), sub(c, a));
                let n = [
                    u[1] * v[2] - u[2] * v[1],
                    u[2] * v[0] - u[0] * v[2],
                    u[0] * v[1] - u[1] * v[0],
                ];
                0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt()
            })
            .sum()
    }

    pub(super) fn near(a: &BBox, b: &BBox, tol: f64) -> bool {
        (0..3).all(|k| (a.min[k] - b.min[k]).abs() <= tol && (a.max[k] - b.max[k]).abs() <= tol)
    }

    /// Two loads of one file compared element by element: each element meshed on
    /// both sides or neither, the triangle counts as `counts` allows, the boxes to
    /// 0.1 mm (one side's vertices may be f32 after the placement, the other's before)
    /// and the surfaces to 1e-5. Returns the disagreements and the mesh pairs.
    pub(super) fn mesh_pairs<'m>(
        a: &'m Model,
        b: &'m Model,
        counts: impl Fn(usize, usize) -> bool,
    ) -> (Vec<String>, Vec<(&'m Mesh, &'m Mesh)>) {
        assert_eq!(a.elements.len(), b.elements.len());
        let (mut errs, mut pairs) = (Vec::new(), Vec::new());
        for (x, y) in a.elements.iter().zip(&b.elements) {
            assert_eq!(x.id, y.id);
            let (xm, ym) = match (&x.mesh, &y.mesh) {
                (Some(xm), Some(ym)) => (xm, ym),
                (None, None) => continue,
                _ => {
                    errs.push(format!("#{}: mesh on one side only", x.id));
                    continue;
                }
            };
            let (tx, ty) = (xm.triangle_count(), ym.triangle_count());
            if !counts(tx, ty) {
                errs.push(format!("#{}: {tx} triangles against {ty}", x.id));
            }
            if !near(&xm.bbox().unwrap(), &ym.bbox().unwrap(), 1e-4) {
                errs.push(format!("#{}: box {:?} vs {:?}", x.id, xm.bbox(), ym.bbox()));
            }
            let (sx, sy) = (area(xm), area(ym));
            if (sx - sy).abs() > 1e-5 * sy.max(1.0) {
                errs.push(format!("#{}: surface {sx} m² vs {sy} m²", x.id));
            }
            pairs.push((xm, ym));
        }
        (errs, pairs)
    }

    /// Disagreements between the shared and the baked load; the count of shared meshes.
    fn compare(bytes: &[u8]) -> (Vec<String>, usize) {
        let (shared, baked) = (load(bytes, LoadOptions::default()), load(bytes, baked()));
        assert!(baked
            .elements
            .iter()
            .all(|e| !e.mesh.as_ref().is_some_and(Mesh::is_shared)));
        // The counts may differ by a few triangles: placing, ifc-lite welds the
        // occurrence and conforms seams, which splits or drops triangles without
        // changing the surface, which the box and the area hold to.
        let (mut errs, pairs) = mesh_pairs(&shared, &baked, |s, b| s.abs_diff(b) <= 2 + b / 50);
        errs.extend(fact_disagreements(&shared, &baked));
        (errs, pairs.iter().filter(|(s, _)| s.is_shared()).count())
    }

    /// The facts of two loads of one file, lengths to 1 mm and areas to 1e-3 m² plus
    /// 0.2 %: meshes that differ in the last f32 bits may snap a corner lying on a
    /// half-centimetre tie to the other 1 cm cell, which moves a ring's vertex by a
    /// cell (the tiled LargeBuilding's parts; 40 round columns of 0.25 m, whose
    /// 36 corners include ties at ±0.125 m, came to 7.870 m² against 7.878).
    pub(super) fn fact_disagreements(a: &Model, b: &Model) -> Vec<String> {
        let facts = |m: &Model| serde_json::to_value(&m.facts).unwrap();
        let (fa, fb) = (facts(a), facts(b));
        let mut errs = Vec::new();
        let close = |x: &serde_json::Value, y: &serde_json::Value| match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-3,
            _ => x == y,
        };
        let close_area =
            |x: &serde_json::Value, y: &serde_json::Value| match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-3 + 2e-3 * y.abs(),
                _ => x == y,
            };
        for key in [
            "footprint_area_m2",
            "base_area_m2",
            "footprint_below_area_m2",
            "height_m",
            "highest_point_m",
            "ground_m",
            "gfa_m2",
            "storeys_above",
            "storeys_below",
        ] {
            let agree = if key.ends_with("_m2") {
                close_area(&fa[key], &fb[key])
            } else {
                close(&fa[key], &fb[key])
            };
            if !agree {
                errs.push(format!("facts.{key}: {} vs {}", fa[key], fb[key]));
            }
        }
        let parts = |f: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value)> {
            f["parts"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|p| (p["area_m2"].clone(), p["height_m"].clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (pa, pb) = (parts(&fa), parts(&fb));
        if pa.len() != pb.len()
            || pa
                .iter()
                .zip(&pb)
                .any(|(x, y)| !close_area(&x.0, &y.0) || !close(&x.1, &y.1))
        {
            errs.push(format!("facts.parts: {pa:?} vs {pb:?}"));
        }
        errs
    }

    #[test]
    fn shared_family_meshes_are_ifc_lite_s_baked_ones() {
        let mut failures = Vec::new();
        let mut total = 0;
        for (ifc, _) in super::cases() {
            let (errs, n) = compare(&std::fs::read(&ifc).unwrap());
            failures.extend(errs.into_iter().map(|e| format!("{}: {e}", ifc.display())));
            total += n;
        }
        // The Revit samples place their furniture and doors as mapped families.
        assert!(total >= 100, "{total} shared meshes over the samples");
        let mut spec = CorpusSpec::of_mb(1.0);
        spec.heavy_maps = true;
        let mut buf = Vec::new();
        write_corpus(&spec, &mut buf).unwrap();
        let (errs, n) = compare(&buf);
        failures.extend(errs.into_iter().map(|e| format!("corpus: {e}")));
        let chairs = load(&buf, LoadOptions::default())
            .elements
            .iter()
            .filter(|e| e.name.as_deref() == Some("Chair"))
            .count();
        // Only the first occurrence of the one chair family is baked, however the
        // workers were scheduled.
        assert!(chairs >= 30, "{chairs} chairs");
        assert_eq!(n + 1, chairs, "{n} of {chairs} chairs shared");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A family of one 1 x 2 x 3 m box placed three times at x = 10, 20, 30, and once
    /// mirrored in x at x = 40.
    fn mirrored() -> Vec<u8> {
        let mut s = String::from(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('m.ifc','',(''),(''),'','','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n\
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#10),#5);\n\
#2=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);\n\
#5=IFCUNITASSIGNMENT((#2));\n\
#6=IFCCARTESIANPOINT((0.,0.,0.));\n\
#7=IFCAXIS2PLACEMENT3D(#6,$,$);\n\
#10=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#7,$);\n\
#11=IFCLOCALPLACEMENT($,#7);\n\
#12=IFCSITE('1YvctVUKr0kugbFTf53O9L',$,'S',$,$,#11,$,$,.ELEMENT.,$,$,$,$,$);\n\
#13=IFCBUILDING('2YvctVUKr0kugbFTf53O9L',$,'B',$,$,#11,$,$,.ELEMENT.,$,$,$);\n\
#14=IFCBUILDINGSTOREY('3YvctVUKr0kugbFTf53O9L',$,'F1',$,$,#11,$,$,.ELEMENT.,0.);\n\
#15=IFCRELAGGREGATES('4YvctVUKr0kugbFTf53O9L',$,$,$,#1,(#12));\n\
#16=IFCRELAGGREGATES('5YvctVUKr0kugbFTf53O9L',$,$,$,#12,(#13));\n\
#17=IFCRELAGGREGATES('6YvctVUKr0kugbFTf53O9L',$,$,$,#13,(#14));\n\
#20=IFCCARTESIANPOINT((0.5,1.));\n\
#21=IFCAXIS2PLACEMENT2D(#20,$);\n\
#22=IFCRECTANGLEPROFILEDEF(.AREA.,$,#21,1.,2.);\n\
#23=IFCDIRECTION((0.,0.,1.));\n\
#24=IFCEXTRUDEDAREASOLID(#22,#7,#23,3.);\n\
#25=IFCSHAPEREPRESENTATION(#10,'Body','SweptSolid',(#24));\n\
#26=IFCREPRESENTATIONMAP(#7,#25);\n\
#30=IFCDIRECTION((1.,0.,0.));\n\
#31=IFCDIRECTION((-1.,0.,0.));\n\
#32=IFCCARTESIANTRANSFORMATIONOPERATOR3D(#30,$,#6,1.,$);\n\
#33=IFCCARTESIANTRANSFORMATIONOPERATOR3D(#31,$,#6,1.,$);\n",
        );
        let mut ids = Vec::new();
        for (k, x) in [10, 20, 30, 40].into_iter().enumerate() {
            let b = 100 + 10 * k;
            let op = if x == 40 { 33 } else { 32 };
            s += &format!(
                "#{}=IFCCARTESIANPOINT(({x}.,0.,0.));\n#{}=IFCAXIS2PLACEMENT3D(#{},$,$);\n#{}=IFCLOCALPLACEMENT(#11,#{});\n\
#{}=IFCMAPPEDITEM(#26,#{op});\n#{}=IFCSHAPEREPRESENTATION(#10,'Body','MappedRepresentation',(#{}));\n\
#{}=IFCPRODUCTDEFINITIONSHAPE($,$,(#{}));\n#{}=IFCFURNITURE('{k}ZvctVUKr0kugbFTf53O9L',$,'Box {x}',$,$,#{},#{},$,$);\n",
                b, b + 1, b, b + 2, b + 1, b + 3, b + 4, b + 3, b + 5, b + 4, b + 6, b + 2, b + 5
            );
            ids.push(format!("#{}", b + 6));
        }
        s += &format!(
            "#90=IFCRELCONTAINEDINSPATIALSTRUCTURE('7YvctVUKr0kugbFTf53O9L',$,$,$,({}),#14);\nENDSEC;\nEND-ISO-10303-21;\n",
            ids.join(",")
        );
        s.into_bytes()
    }

    #[test]
    fn a_mirrored_occurrence_is_baked_and_in_its_mirrored_place() {
        let bytes = mirrored();
        let (errs, _) = compare(&bytes);
        assert!(errs.is_empty(), "{}", errs.join("\n"));
        let m = load(&bytes, LoadOptions::default());
        assert_eq!(m.elements.len(), 4);
        for e in &m.elements {
            let mesh = e.mesh.as_ref().unwrap();
            let b = e.bbox.unwrap();
            let x = e.name.as_deref().unwrap()[4..].parse::<f64>().unwrap();
            // Mirrored in x, the box runs from x - 1 to x.
            let x0 = if x == 40.0 { x - 1.0 } else { x };
            let want = BBox {
                min: [x0, 0.0, 0.0],
                max: [x0 + 1.0, 2.0, 3.0],
            };
            assert!(near(&b, &want, 1e-6), "{:?}: {b:?}", e.name);
            // The family is decided by its first occurrence (x = 10), which keeps
            // ifc-lite's baked mesh; the others are placed. Which ones are shared must
            // not depend on which meshing worker reached the family first.
            assert_eq!(mesh.is_shared(), x == 20.0 || x == 30.0, "{:?}", e.name);
        }
    }
}

// Tessellated bodies and extruded parametric profiles meshed by our own readers
// (`load/tess.rs`, `load/extrude.rs`) against ifc-lite's meshes of the same products
// (issue 14).

mod own_bodies {
    use super::shared_families::{fact_disagreements, load, mesh_pairs};
    use std::fmt::Write;
    use zhishen_ifc::LoadOptions;

    fn ifc_lite() -> LoadOptions<'static> {
        LoadOptions {
            ifc_lite_bodies: true,
            ..Default::default()
        }
    }

    /// Disagreements between our meshes and ifc-lite's; the count of meshes compared.
    fn compare(bytes: &[u8]) -> (Vec<String>, usize) {
        let (ours, lite) = (load(bytes, LoadOptions::default()), load(bytes, ifc_lite()));
        // ifc-lite's weld and thin-triangle sweep may drop a few more.
        let (mut errs, pairs) = mesh_pairs(&ours, &lite, |o, l| o >= l && o - l <= 2 + l / 50);
        let n = pairs.len();
        errs.extend(fact_disagreements(&ours, &lite));
        (errs, n)
    }

    /// A millimetre model at map coordinates (500 km east, 3,000 km north): closed
    /// polyhedra (a 16 × 8 sphere), boxes marked closed but wound inward (turned
    /// outward by both), L-shaped prisms of polygonal faces, and extruded circles,
    /// hollow circles and rectangles, each under a placement turned by its index.
    fn generated(count: usize) -> Vec<u8> {
        let mut s = String::from(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('g.ifc','',(''),(''),'','','');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n\
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#10),#5);\n\
#2=IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.);\n\
#5=IFCUNITASSIGNMENT((#2));\n\
#6=IFCCARTESIANPOINT((0.,0.,0.));\n\
#7=IFCAXIS2PLACEMENT3D(#6,$,$);\n\
#8=IFCCARTESIANPOINT((500000000.,3000000000.,0.));\n\
#9=IFCAXIS2PLACEMENT3D(#8,$,$);\n\
#10=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#7,$);\n\
#11=IFCLOCALPLACEMENT($,#9);\n\
#12=IFCSITE('1YvctVUKr0kugbFTf53O9L',$,'S',$,$,#11,$,$,.ELEMENT.,$,$,$,$,$);\n\
#13=IFCBUILDING('2YvctVUKr0kugbFTf53O9L',$,'B',$,$,#11,$,$,.ELEMENT.,$,$,$);\n\
#14=IFCBUILDINGSTOREY('3YvctVUKr0kugbFTf53O9L',$,'F1',$,$,#11,$,$,.ELEMENT.,0.);\n\
#15=IFCRELAGGREGATES('4YvctVUKr0kugbFTf53O9L',$,$,$,#1,(#12));\n\
#16=IFCRELAGGREGATES('5YvctVUKr0kugbFTf53O9L',$,$,$,#12,(#13));\n\
#17=IFCRELAGGREGATES('6YvctVUKr0kugbFTf53O9L',$,$,$,#13,(#14));\n",
        );
        // The sphere: rings of 16 points between the poles, radius 600 mm, on z = 0.
        let (rings, around) = (8usize, 16usize);
        let mut pts = vec![[0.0, 0.0, 0.0]];
        for i in 1..rings {
            let th = std::f64::consts::PI * i as f64 / rings as f64;
            for j in 0..around {
                let ph = 2.0 * std::f64::consts::PI * j as f64 / around as f64;
                pts.push([
                    600.0 * th.sin() * ph.cos(),
                    600.0 * th.sin() * ph.sin(),
                    600.0 - 600.0 * th.cos(),
                ]);
            }
        }
        pts.push([0.0, 0.0, 1200.0]);
        let ring = |i: usize, j: usize| 2 + (i - 1) * around + j % around; // 1-based
        let mut tris = Vec::new();
        for j in 0..around {
            tris.push([1, ring(1, j + 1), ring(1, j)]);
            tris.push([pts.len(), ring(rings - 1, j), ring(rings - 1, j + 1)]);
        }
        for i in 1..rings - 1 {
            for j in 0..around {
                let (a, b, c, d) = (
                    ring(i, j),
                    ring(i, j + 1),
                    ring(i + 1, j),
                    ring(i + 1, j + 1),
                );
                tris.push([a, b, d]);
                tris.push([a, d, c]);
            }
        }
        let list = |pts: &[[f64; 3]]| {
            pts.iter()
                .map(|p| format!("({:.4},{:.4},{:.4})", p[0], p[1], p[2]))
                .collect::<Vec<_>>()
                .join(",")
        };
        let idx = |t: &[[usize; 3]]| {
            t.iter()
                .map(|t| format!("({},{},{})", t[0], t[1], t[2]))
                .collect::<Vec<_>>()
                .join(",")
        };
        // A point list `#id` and a closed triangulated face set over it, `#id + 1`.
        let face_set = |s: &mut String, id: usize, pts: &[[f64; 3]], tris: &[[usize; 3]]| {
            writeln!(s, "#{id}=IFCCARTESIANPOINTLIST3D(({}));", list(pts)).unwrap();
            let set = id + 1;
            writeln!(
                s,
                "#{set}=IFCTRIANGULATEDFACESET(#{id},$,.T.,({}),$);",
                idx(tris)
            )
            .unwrap();
        };
        face_set(&mut s, 20, &pts, &tris);
        // A 2 × 1 × 3 m box, every face wound inward.
        let b = [
            [0.0, 0.0, 0.0],
            [2000.0, 0.0, 0.0],
            [2000.0, 1000.0, 0.0],
            [0.0, 1000.0, 0.0],
            [0.0, 0.0, 3000.0],
            [2000.0, 0.0, 3000.0],
            [2000.0, 1000.0, 3000.0],
            [0.0, 1000.0, 3000.0],
        ];
        let inward = [
            [1, 2, 3],
            [1, 3, 4],
            [5, 8, 7],
            [5, 7, 6],
            [1, 5, 6],
            [1, 6, 2],
            [2, 6, 7],
            [2, 7, 3],
            [3, 7, 8],
            [3, 8, 4],
            [4, 8, 5],
            [4, 5, 1],
        ];
        face_set(&mut s, 22, &b, &inward);
        // An L-shaped prism 3 m tall as an IfcPolygonalFaceSet: a concave hexagon at
        // the top and bottom, six quads around.
        let l = [
            [0.0, 0.0],
            [2000.0, 0.0],
            [2000.0, 1000.0],
            [1000.0, 1000.0],
            [1000.0, 2000.0],
            [0.0, 2000.0],
        ];
        let prism: Vec<[f64; 3]> = [0.0, 3000.0]
            .iter()
            .flat_map(|&z| l.iter().map(move |p| [p[0], p[1], z]))
            .collect();
        let mut faces: Vec<Vec<usize>> = vec![(1..=6).rev().collect(), (7..=12).collect()];
        for i in 0..6 {
            let j = (i + 1) % 6;
            faces.push(vec![i + 1, j + 1, j + 7, i + 7]);
        }
        writeln!(s, "#24=IFCCARTESIANPOINTLIST3D(({}));", list(&prism)).unwrap();
        let mut refs = Vec::new();
        for (k, f) in faces.iter().enumerate() {
            let c: Vec<String> = f.iter().map(usize::to_string).collect();
            writeln!(s, "#{}=IFCINDEXEDPOLYGONALFACE(({}));", 30 + k, c.join(",")).unwrap();
            refs.push(format!("#{}", 30 + k));
        }
        writeln!(
            s,
            "#25=IFCPOLYGONALFACESET(#24,.T.,({}),$);",
            refs.join(",")
        )
        .unwrap();
        // Extrusions of the parametric profiles `extrude.rs` meshes: a round column
        // 3 m tall, a hollow pipe lying along its placement's x at 1 m, and a box
        // sheared along (0, 0.6, 0.8).
        s += "#60=IFCAXIS2PLACEMENT2D(#61,$);\n#61=IFCCARTESIANPOINT((0.,0.));\n\
#62=IFCCIRCLEPROFILEDEF(.AREA.,$,#60,250.);\n\
#63=IFCEXTRUDEDAREASOLID(#62,#7,#18,3000.);\n\
#64=IFCCIRCLEHOLLOWPROFILEDEF(.AREA.,$,#60,150.,10.);\n\
#65=IFCCARTESIANPOINT((0.,500.,1000.));\n#66=IFCDIRECTION((1.,0.,0.));\n\
#67=IFCAXIS2PLACEMENT3D(#65,#66,#18);\n\
#68=IFCEXTRUDEDAREASOLID(#64,#67,#18,2800.);\n\
#69=IFCRECTANGLEPROFILEDEF(.AREA.,$,#60,400.,600.);\n\
#70=IFCDIRECTION((0.,0.6,0.8));\n\
#71=IFCEXTRUDEDAREASOLID(#69,#7,#70,2500.);\n";
        let mut ids = Vec::new();
        for k in 0..count {
            let e = 100 + 10 * k;
            let (x, y) = (3000.0 * (k % 8) as f64, 4000.0 * (k / 8) as f64);
            let turn = k as f64 * 0.3;
            let item = [21, 23, 25, 63, 68, 71][k % 6];
            writeln!(
                s,
                "#{e}=IFCCARTESIANPOINT(({x:.1},{y:.1},0.));\n#{}=IFCDIRECTION(({:.6},{:.6},0.));\n#{}=IFCAXIS2PLACEMENT3D(#{e},#{},#{});\n#{}=IFCLOCALPLACEMENT(#11,#{});\n#{}=IFCSHAPEREPRESENTATION(#10,'Body','Tessellation',(#{item}));\n#{}=IFCPRODUCTDEFINITIONSHAPE($,$,(#{}));\n#{}=IFCBUILDINGELEMENTPROXY('{:0>22}',$,'E{k}',$,$,#{},#{},$,$);",
                e + 1, turn.cos(), turn.sin(), e + 2, 18, e + 1, e + 3, e + 2, e + 4, e + 5, e + 4, e + 6, k, e + 3, e + 5
            )
            .unwrap();
            ids.push(format!("#{}", e + 6));
        }
        writeln!(s, "#18=IFCDIRECTION((0.,0.,1.));").unwrap();
        s += &format!(
            "#90=IFCRELCONTAINEDINSPATIALSTRUCTURE('7YvctVUKr0kugbFTf53O9L',$,$,$,({}),#14);\nENDSEC;\nEND-ISO-10303-21;\n",
            ids.join(",")
        );
        s.into_bytes()
    }

    #[test]
    fn our_meshes_are_ifc_lite_s() {
        let mut failures = Vec::new();
        for (ifc, _) in super::cases() {
            let (errs, _) = compare(&std::fs::read(&ifc).unwrap());
            failures.extend(errs.into_iter().map(|e| format!("{}: {e}", ifc.display())));
        }
        let bytes = generated(24);
        let (errs, n) = compare(&bytes);
        failures.extend(errs.into_iter().map(|e| format!("generated: {e}")));
        assert_eq!(n, 24, "every generated element meshed on both sides");
        let m = load(&bytes, LoadOptions::default());
        // The boxes stand 3 m on the ground at the map position.
        assert!(
            (m.facts.height_m.unwrap() - 3.0).abs() < 1e-6,
            "{:?}",
            m.facts.height_m
        );
        let b = m.bbox_world_m.unwrap();
        assert!(
            (b.min[0] - 500_000.0).abs() < 3.0 && (b.min[1] - 3_000_000.0).abs() < 3.0,
            "{b:?}"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
