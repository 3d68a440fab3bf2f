//! Broken site packages through the CLI (issue 16): an incomplete package is exit 2 for
//! `site info` and `check` alike, naming the file; a value outside its range makes the
//! checks that need it unverifiable, never pass or fail; site.toml may not leave the package.

mod common;

use common::{repo as root, BIN};
use std::path::Path;
use std::process::Command;

fn zhishen(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const HAUS: &str = "datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc";
const CRS: &str =
    r#""crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}"#;

fn fc(props: &str, geometry: &str) -> String {
    format!(
        r#"{{"type": "FeatureCollection", {CRS}, "features": [{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}]}}"#
    )
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(
        r#"{{"type": "Polygon", "coordinates": [[[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}], [{x0}, {y0}]]]}}"#
    )
}

/// A 100 m parcel around the placement point, a road 10 m south of it, a green patch.
fn package(parcel_props: &str, road_width: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, text: String| std::fs::write(d.path().join(name), text).unwrap();
    w(
        "parcel.geojson",
        fc(
            parcel_props,
            &rect(528446.0, 3386375.0, 528546.0, 3386475.0),
        ),
    );
    w(
        "road_red_line.geojson",
        fc(
            &format!(r#"{{"name": "测试路", "width": {road_width}}}"#),
            r#"{"type": "LineString", "coordinates": [[528400, 3386365], [528600, 3386365]]}"#,
        ),
    );
    w(
        "green_area.geojson",
        fc(
            r#"{"name": "g"}"#,
            &rect(528450.0, 3386380.0, 528480.0, 3386400.0),
        ),
    );
    d
}

/// `zhishen check` of FZK-Haus placed at (528496, 3386425) on `parcel` of `site`.
fn check(site: &Path, parcel: &str) -> (i32, String, String) {
    zhishen(&[
        "check",
        "--model",
        HAUS,
        "--site",
        site.to_str().unwrap(),
        "--parcel",
        parcel,
        "--place",
        "528496,3386425,0",
        "--use",
        "住宅",
    ])
}

fn statuses(site: &Path) -> (i32, serde_json::Value, String) {
    let (code, out, err) = check(site, "T-1");
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

fn status<'a>(v: &'a serde_json::Value, id: &str) -> &'a str {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))["status"]
        .as_str()
        .unwrap()
}

const CHECKS: [&str; 4] = ["coverage", "height_planning", "green_ratio", "setback_road"];

#[test]
fn out_of_range_limits_make_their_checks_unverifiable() {
    // The same package with sensible values: each of the four checks passes or fails.
    let good = package(
        r#"{"id": "T-1", "land_use": "R2", "far_max": 2.0, "coverage_max": 30, "height_max": 24, "green_min": 0.3}"#,
        "20",
    );
    let (_, v, err) = statuses(good.path());
    for id in CHECKS {
        assert!(
            matches!(status(&v, id), "pass" | "fail"),
            "{id}: {} {err}",
            status(&v, id)
        );
    }
    // coverage -3, height -10, green 250 %, road width 0: refused values, never a verdict,
    // and no narrow-road default width in place of the zero one.
    let bad = package(
        r#"{"id": "T-1", "land_use": "R2", "far_max": 2.0, "coverage_max": -3, "height_max": -10, "green_min": 250}"#,
        "0",
    );
    let (code, v, err) = statuses(bad.path());
    assert_eq!(code, 1, "{err}");
    for id in CHECKS {
        assert_eq!(status(&v, id), "unverifiable", "{id}");
    }
    let (code, out, _) = zhishen(&["site", "info", "--json", bad.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fields: Vec<&str> = info["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "value_out_of_range")
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["coverage_max", "green_min", "height_max", "width"]);
}

fn copy_district() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("datasets/district")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.path().join(p.file_name().unwrap())).unwrap();
    }
    d
}

#[test]
fn a_truncated_road_layer_is_exit_2_for_site_info_and_check() {
    let d = copy_district();
    let dbf = d.path().join("road_red_line.dbf");
    let b = std::fs::read(&dbf).unwrap();
    std::fs::write(&dbf, &b[..b.len() / 2]).unwrap();
    let site = d.path().to_str().unwrap();
    let (code, out, err) = zhishen(&["site", "info", site]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("road_red_line.dbf") && out.contains("file_truncated"),
        "{out}"
    );
    // Nothing from GDAL reaches stderr unformatted.
    assert!(!err.contains("ERROR "), "{err}");
    let (code, out, err) = check(d.path(), "DK-05-1");
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "no report on an incomplete package: {out}");
    assert!(
        err.contains("road_red_line.dbf") && err.contains("不予审查"),
        "{err}"
    );
    // The intact copy reviews as before.
    let (code, _, err) = check(copy_district().path(), "DK-05-1");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn site_toml_outside_the_package_is_exit_2_unless_allowed() {
    let root_dir = tempfile::tempdir().unwrap();
    let pkg = root_dir.path().join("pkg");
    let other = root_dir.path().join("other-project");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let parcel = fc(
        r#"{"id": "T-1", "land_use": "R2"}"#,
        &rect(528446.0, 3386375.0, 528546.0, 3386475.0),
    );
    std::fs::write(pkg.join("parcel.geojson"), &parcel).unwrap();
    std::fs::write(other.join("blue_line.geojson"), &parcel).unwrap();
    std::fs::write(
        pkg.join("site.toml"),
        "crs = \"EPSG:4547\"\n[[layer]]\npath = \"parcel.geojson\"\nkind = \"parcel\"\n[[layer]]\npath = \"../other-project/blue_line.geojson\"\nkind = \"blue_line\"\n",
    )
    .unwrap();
    let site = pkg.to_str().unwrap();
    let (code, out, _) = zhishen(&["site", "info", site]);
    assert_eq!(code, 2);
    assert!(out.contains("path_outside_package"), "{out}");
    let (code, _, err) = check(&pkg, "T-1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("path_outside_package"), "{err}");
    let (code, out, _) = zhishen(&["site", "info", "--allow-outside-paths", site]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("blue_line"), "{out}");
}
