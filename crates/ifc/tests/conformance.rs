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
