//! Broken and hostile site packages (issue 16): a truncated file is an error naming it,
//! never a silently shorter layer; values outside their range are refused; paths stay
//! inside the package; unreadable files say why; limits name themselves.

use std::path::{Path, PathBuf};
use zhishen_site::{Kind, Limit, Limits, LoadOptions, Severity, SiteError, SiteModel};

fn district() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../datasets/district")
}

const ROAD_FILES: [&str; 4] = ["shp", "shx", "dbf", "prj"];

/// A package with only the demo district's road layer.
fn road_package() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for ext in ROAD_FILES {
        let name = format!("road_red_line.{ext}");
        std::fs::copy(district().join(&name), d.path().join(&name)).unwrap();
    }
    d
}

/// The first finding with `code`; the test fails listing the codes there are.
fn finding<'a>(m: &'a SiteModel, code: &str) -> &'a zhishen_site::Finding {
    m.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code}: {:?}", errors(m)))
}

fn errors(m: &SiteModel) -> Vec<String> {
    m.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {} {}", f.code, f.file, f.message))
        .collect()
}

/// Each road as (fid, canonical attributes, WKT-ish debug of the geometry).
fn roads(m: &SiteModel) -> Vec<String> {
    m.of_kind(Kind::RoadRedLine)
        .map(|f| format!("{:?} {:?} {:?}", f.fid, f.attrs, f.geometry))
        .collect()
}

#[test]
fn every_cut_of_every_road_file_is_an_error_naming_it_or_changes_nothing() {
    let intact = zhishen_site::load(road_package().path()).unwrap();
    assert!(errors(&intact).is_empty(), "{:?}", errors(&intact));
    assert_eq!(intact.count(Kind::RoadRedLine), 9);
    let want = roads(&intact);
    for ext in ["shp", "shx", "dbf", "prj"] {
        let name = format!("road_red_line.{ext}");
        let full = std::fs::read(district().join(&name)).unwrap();
        let mut refused = 0;
        for tenth in 0..10 {
            let d = road_package();
            let cut = full.len() * tenth / 10;
            std::fs::write(d.path().join(&name), &full[..cut]).unwrap();
            let m = zhishen_site::load(d.path()).unwrap_or_else(|e| panic!("{name} at {cut}: {e}"));
            let named = m.findings.iter().any(|f| {
                f.severity == Severity::Error
                    && (f.file.ends_with(&name) || f.message.contains(&name))
            });
            if named {
                refused += 1;
                assert!(m.blocking().next().is_some(), "{name} at {cut}");
            } else {
                assert!(errors(&m).is_empty(), "{name} at {cut}: {:?}", errors(&m));
                assert_eq!(
                    roads(&m),
                    want,
                    "{name} cut at {cut} of {} bytes",
                    full.len()
                );
            }
        }
        // Every cut below 100 % shortens the file below what its header declares (a cut
        // .prj is WKT GDAL cannot parse).
        assert_eq!(refused, 10, "{name}");
    }
}

#[test]
fn a_short_dbf_is_not_read_as_fewer_roads() {
    // The issue's case: the DBF cut in half used to give 4 roads and no finding.
    let d = road_package();
    let dbf = d.path().join("road_red_line.dbf");
    let b = std::fs::read(&dbf).unwrap();
    std::fs::write(&dbf, &b[..b.len() / 2]).unwrap();
    let m = zhishen_site::load(d.path()).unwrap();
    let f = finding(&m, "file_truncated");
    assert!(f.file.ends_with("road_red_line.dbf"), "{f:?}");
    // 129-byte header + 9 records x 185 bytes = 1794 bytes declared, 897 present.
    assert!(
        f.message.contains("1794 bytes") && f.message.contains("897"),
        "{}",
        f.message
    );
    assert_eq!(f.severity, Severity::Error);
    assert!(f.blocks_review());
}

#[test]
fn a_dbf_with_fewer_records_than_the_index_is_an_incomplete_layer() {
    // A consistent but shorter DBF: the header says 4 records and the file has them, while
    // the SHX indexes 9 shapes. GDAL reads on; the counts disagree.
    let d = road_package();
    let dbf = d.path().join("road_red_line.dbf");
    let mut b = std::fs::read(&dbf).unwrap();
    b[4..8].copy_from_slice(&4u32.to_le_bytes());
    b.truncate(129 + 4 * 185);
    std::fs::write(&dbf, &b).unwrap();
    let m = zhishen_site::load(d.path()).unwrap();
    let inc: Vec<_> = m
        .findings
        .iter()
        .filter(|f| f.code == "layer_incomplete")
        .collect();
    assert!(!inc.is_empty(), "{:?}", errors(&m));
    assert!(inc.iter().all(|f| f.blocks_review()));
    assert!(
        inc.iter()
            .any(|f| f.message.contains("declares 9") || f.message.contains("declares 4")),
        "{inc:?}"
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CRS: &str =
    r#""crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}"#;

fn fc(features: &[String]) -> String {
    format!(
        r#"{{"type": "FeatureCollection", {CRS}, "features": [{}]}}"#,
        features.join(",")
    )
}

fn square(props: &str, x: f64) -> String {
    format!(
        r#"{{"type": "Feature", "properties": {props}, "geometry": {{"type": "Polygon", "coordinates": [[[{x}, 3386000], [{x1}, 3386000], [{x1}, 3386100], [{x}, 3386100], [{x}, 3386000]]]}}}}"#,
        x1 = x + 100.0
    )
}

fn line(props: &str) -> String {
    format!(
        r#"{{"type": "Feature", "properties": {props}, "geometry": {{"type": "LineString", "coordinates": [[528000, 3385980], [529000, 3385980]]}}}}"#
    )
}

#[test]
fn values_outside_their_range_are_errors_and_dropped() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "parcel.geojson",
        &fc(&[
            square(
                r#"{"id": "BAD", "land_use": "R2", "coverage_max": -3, "height_max": -10, "green_min": 250, "far_max": 2.0}"#,
                528000.0,
            ),
            square(
                r#"{"id": "OK", "land_use": "R2", "coverage_max": 30, "height_max": 24, "green_min": 0.35, "far_max": 2.0}"#,
                528200.0,
            ),
        ]),
    );
    write(
        d.path(),
        "road_red_line.geojson",
        &fc(&[
            line(r#"{"name": "零宽路", "width": 0}"#),
            line(r#"{"name": "好路", "width": 24}"#),
        ]),
    );
    let m = zhishen_site::load(d.path()).unwrap();
    let bad: Vec<(Option<u64>, &str)> = m
        .findings
        .iter()
        .filter(|f| f.code == "value_out_of_range")
        .map(|f| (f.fid, f.field.as_deref().unwrap()))
        .collect();
    assert_eq!(
        bad,
        [
            (Some(0), "coverage_max"),
            (Some(0), "green_min"),
            (Some(0), "height_max"),
            (Some(0), "width")
        ]
    );
    let p = m.parcel("BAD").unwrap();
    assert_eq!(p.number("coverage_max"), None);
    assert_eq!(p.number("height_max"), None);
    assert_eq!(p.number("green_min"), None);
    assert_eq!(p.number("far_max"), Some(2.0));
    let ok = m.parcel("OK").unwrap();
    assert_eq!(ok.number("coverage_max"), Some(0.30));
    assert_eq!(ok.number("height_max"), Some(24.0));
    let widths: Vec<Option<f64>> = m
        .of_kind(Kind::RoadRedLine)
        .map(|r| r.number("width"))
        .collect();
    assert_eq!(widths, [None, Some(24.0)]);
    // Reported once, as out of range, not also as missing; a value error does not block a
    // review (the checks that need the value answer unverifiable).
    assert!(!m.findings.iter().any(|f| f.code == "missing_attribute"));
    assert!(m.blocking().next().is_none());
    let msg = &m
        .findings
        .iter()
        .find(|f| f.field.as_deref() == Some("coverage_max"))
        .unwrap()
        .message;
    assert!(
        msg.contains("-3") && msg.contains("[0, 1]") && msg.contains("超出有效范围"),
        "{msg}"
    );
}

fn toml_package(layer_path: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let pkg = root.path().join("pkg");
    std::fs::create_dir_all(pkg.join("other")).unwrap();
    let other = root.path().join("other-project");
    std::fs::create_dir_all(&other).unwrap();
    let parcel = fc(&[square(r#"{"id": "A", "land_use": "R2"}"#, 528000.0)]);
    write(&other, "blue_line.geojson", &parcel);
    write(&pkg, "parcel.geojson", &parcel);
    write(
        &pkg,
        "site.toml",
        &format!(
            "crs = \"EPSG:4547\"\n[[layer]]\npath = \"parcel.geojson\"\nkind = \"parcel\"\n[[layer]]\npath = {layer_path:?}\nkind = \"blue_line\"\n"
        ),
    );
    (root, pkg)
}

#[test]
fn site_toml_paths_that_leave_the_package_are_refused() {
    for path in [
        "../other-project/blue_line.geojson",
        "other/../../other-project/blue_line.geojson",
    ] {
        let (_root, pkg) = toml_package(path);
        let m = zhishen_site::load(&pkg).unwrap();
        let f = finding(&m, "path_outside_package");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.file.ends_with("site.toml") && f.message.contains(path),
            "{f:?}"
        );
        assert!(f.blocks_review());
        assert_eq!(m.count(Kind::BlueLine), 0, "{path}");
        let allowed = zhishen_site::load_with(
            &pkg,
            &LoadOptions {
                allow_outside_paths: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(allowed.count(Kind::BlueLine), 1);
        assert!(
            allowed.blocking().next().is_none(),
            "{:?}",
            errors(&allowed)
        );
    }
    // An absolute path, even one inside the package, is refused.
    let (_root, pkg) = toml_package("/etc/passwd");
    let m = zhishen_site::load(&pkg).unwrap();
    assert!(m
        .findings
        .iter()
        .any(|f| f.code == "path_outside_package" && f.message.contains("absolute")));
    // Inside the package: fine.
    let (_root, pkg) = toml_package("other/../parcel.geojson");
    let m = zhishen_site::load(&pkg).unwrap();
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_package_is_refused() {
    let (root, pkg) = toml_package("parcel.geojson");
    std::fs::remove_file(pkg.join("site.toml")).unwrap();
    std::os::unix::fs::symlink(
        root.path().join("other-project/blue_line.geojson"),
        pkg.join("blue_line.geojson"),
    )
    .unwrap();
    let m = zhishen_site::load(&pkg).unwrap();
    let f = finding(&m, "path_outside_package");
    assert!(f.file.ends_with("blue_line.geojson"), "{f:?}");
    assert_eq!(m.count(Kind::BlueLine), 0);
}

/// One `open_failed` finding naming the file and containing `reason`.
fn unreadable(name: &str, bytes: &[u8], reason: &str) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(name), bytes).unwrap();
    let m = zhishen_site::load(d.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let failed: Vec<_> = m
        .findings
        .iter()
        .filter(|f| f.code == "open_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{name}: {:?}", m.findings);
    let f = failed[0];
    assert!(
        f.file.ends_with(name) && f.message.contains(reason),
        "{name}: {f:?}"
    );
    assert!(f.message.contains("文件无法读取"), "{}", f.message);
    assert!(!f.message.contains("unknown CRS"));
    assert_eq!(m.crs, "unknown");
    assert!(f.blocks_review());
}

#[test]
fn unreadable_files_say_which_and_why() {
    unreadable("parcel.gpkg", b"this is not a database", "not a GeoPackage");
    let mut corrupt = b"SQLite format 3\0".to_vec();
    corrupt.extend(std::iter::repeat_n(0xAB, 4096));
    unreadable("parcel.gpkg", &corrupt, "corrupt GeoPackage");
    let whole = fc(&[square(r#"{"id": "A", "land_use": "R2"}"#, 528000.0)]);
    unreadable(
        "parcel.geojson",
        &whole.as_bytes()[..whole.len() * 2 / 3],
        "truncated JSON",
    );
    unreadable(
        "parcel.geojson",
        b"{\"type\": \"FeatureCollection\", ]",
        "invalid JSON",
    );
    unreadable(
        "purple_line.dxf",
        b"PK\x03\x04 a zip, not a drawing",
        "not a DXF",
    );
    unreadable("parcel.fgb", b"", "empty file");
}

/// Loads `dir` with one limit changed from the defaults.
fn load_limited(dir: &Path, set: impl FnOnce(&mut Limits)) -> Result<SiteModel, SiteError> {
    let mut limits = Limits::default();
    set(&mut limits);
    zhishen_site::load_with(
        dir,
        &LoadOptions {
            limits,
            ..Default::default()
        },
    )
}

fn limit_findings(m: &SiteModel) -> Vec<&zhishen_site::Finding> {
    m.findings
        .iter()
        .filter(|f| f.code == "limit_exceeded")
        .collect()
}

#[test]
fn limits_name_themselves() {
    let pkg = road_package();
    let m = load_limited(pkg.path(), |l| l.max_features_per_layer = 8).unwrap();
    let f = limit_findings(&m)[0];
    assert!(
        f.message.contains("max_features_per_layer = 8") && f.message.contains("9"),
        "{f:?}"
    );
    assert!(f.blocks_review());
    assert_eq!(m.count(Kind::RoadRedLine), 0);
    // Nine roads at the limit of nine: fine.
    let m = load_limited(pkg.path(), |l| l.max_features_per_layer = 9).unwrap();
    assert_eq!(m.count(Kind::RoadRedLine), 9);
    // A road has two or more vertices; a limit of one refuses every road, each by fid.
    let m = load_limited(pkg.path(), |l| l.max_vertices_per_feature = 1).unwrap();
    let over = limit_findings(&m);
    assert_eq!(over.len(), 9);
    assert!(
        over[0].message.contains("max_vertices_per_feature = 1"),
        "{}",
        over[0].message
    );
    // 1324 + 172 + 1795 + 430 bytes = 3721 in all.
    match load_limited(pkg.path(), |l| l.max_total_bytes = 3720) {
        Err(SiteError::LimitExceeded {
            limit, value, max, ..
        }) => assert_eq!((limit, value, max), (Limit::TotalBytes, 3721, 3720)),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("3721 bytes loaded under a limit of 3720"),
    }
    assert!(load_limited(pkg.path(), |l| l.max_total_bytes = 3721).is_ok());
}

#[test]
fn degenerate_geometries_are_named_without_gdal_noise() {
    let d = tempfile::tempdir().unwrap();
    let poly = |coords: &str| {
        format!(
            r#"{{"type": "Feature", "properties": {{"id": "X", "land_use": "R2"}}, "geometry": {{"type": "Polygon", "coordinates": {coords}}}}}"#
        )
    };
    write(
        d.path(),
        "parcel.geojson",
        &fc(&[
            poly("[[[528000, 3386000], [1e400, 3386000], [528100, 3386100], [528000, 3386000]]]"),
            poly("[[[528000, 3386000], [1e300, 3386000], [528100, 3386100], [528000, 3386000]]]"),
            poly("[[[528000, 3386000]]]"),
            poly("[]"),
            square(r#"{"id": "OK", "land_use": "R2"}"#, 528000.0),
        ]),
    );
    let m = zhishen_site::load(d.path()).unwrap();
    let got: Vec<(&str, Option<u64>)> = m.findings.iter().map(|f| (f.code, f.fid)).collect();
    assert_eq!(
        got,
        [
            ("invalid_geometry", Some(0)),
            ("invalid_geometry", Some(1)),
            ("invalid_geometry", Some(2)),
            ("no_geometry", Some(3)),
        ]
    );
    assert!(
        m.findings[0].message.contains("inf"),
        "{}",
        m.findings[0].message
    );
    assert!(
        m.findings[1].message.contains("1e300"),
        "{}",
        m.findings[1].message
    );
    assert!(
        m.findings[2].message.contains("1 points"),
        "{}",
        m.findings[2].message
    );
    assert_eq!(m.count(Kind::Parcel), 1);
}

#[test]
fn a_crs_is_a_code_wkt_or_proj_string_never_a_file() {
    // Fuzzing found `crs = "EPSG/vsistdin/:4547"` reaching GDAL's catch-all parser, which
    // also opens files and URLs.
    for bad in [
        "EPSG/vsistdin/:4547",
        "/etc/passwd",
        "/vsistdin/",
        "../other.prj",
        "EPSG:abc",
    ] {
        let e = zhishen_site::load::srs_from(bad).unwrap_err();
        assert!(e.contains(bad), "{bad}: {e}");
    }
    for good in [
        "EPSG:4547",
        "4547",
        "urn:ogc:def:crs:EPSG::4547",
        "+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
    ] {
        let srs = zhishen_site::load::srs_from(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert!(srs.is_projected(), "{good}");
    }
    let wkt = zhishen_site::load::srs_from("EPSG:4547")
        .unwrap()
        .to_wkt()
        .unwrap();
    assert!(zhishen_site::load::srs_from(&wkt).unwrap().is_projected());
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "parcel.geojson",
        &fc(&[square(r#"{"id": "A", "land_use": "R2"}"#, 528000.0)]),
    );
    write(
        d.path(),
        "site.toml",
        "crs = \"/vsistdin/\"\n[[layer]]\npath = \"parcel.geojson\"\nkind = \"parcel\"\n",
    );
    match zhishen_site::load(d.path()) {
        Err(SiteError::Config { message, .. }) => {
            assert!(message.contains("not a CRS"), "{message}")
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a file name was taken for a CRS"),
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_not_read() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("parcel.geojson");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        panic!("mkfifo failed");
    }
    // Reading it would block forever; the loader must not open it.
    let m = zhishen_site::load(d.path()).unwrap();
    let f = finding(&m, "open_failed");
    assert!(f.message.contains("not a regular file"), "{f:?}");
}

/// Found by the `site` fuzz target (timeout-59a32835…): GDAL 3.6's DXF reader never
/// returned on it (`\r` and NUL bytes in the HEADER section name).
const DXF_HANG: &[u8] = b"0\x0aSECTION\x0a2\x0aH\x0d\x00\x00\x00EADER\x0a9\x0a$AC\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8\xa8ADVER\x0a1\x0aAC1010\x0a9\x0a$DWGCODEPAGE\x0a3\x0aANSI_936\x0a0\x0aENDSEC\x0a0\x0aSECTION\x0a2\x0aENTITIES\x0a0\x0aPOLYLINE\x0a8\x0a\xc4\xbb\xaf\xbd\xd6\xc7\xf8\x0a10\x0a529100.000\x0a20\x0a3386926.000\x0a30\x0a0.0\x0a0\x0aVER+EX\x0a8\x0a\xd7\xcf\xcf\x0a30\x0a0.0\x0a0\x0aSEQEND\x0a0\x0aENDSEC\x0a0\x0aEOF\x0a";

#[test]
fn a_dxf_that_hangs_gdal_is_refused_before_gdal_reads_it() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("purple_line.dxf"), DXF_HANG).unwrap();
    write(
        d.path(),
        "site.toml",
        "crs = \"EPSG:4547\"\n[[layer]]\npath = \"purple_line.dxf\"\nkind = \"purple_line\"\n",
    );
    let m = zhishen_site::load(d.path()).unwrap();
    let f = finding(&m, "open_failed");
    assert!(f.file.ends_with("purple_line.dxf"), "{f:?}");
    assert!(f.message.contains("NUL byte at offset 14"), "{}", f.message);
}

#[test]
fn a_property_one_feature_lacks_is_missing_not_zero() {
    // GeoJSON features share one schema; A-02 has no 容积率 (far_max) and no 建筑密度, so GDAL
    // leaves those fields unset, which the gdal crate reads as 0. A real 0 stays 0.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "parcel.geojson",
        &fc(&[
            square(
                r#"{"地块编号": "A-01", "用地性质": "0701", "容积率": 2.5, "建筑密度": 0}"#,
                528000.0,
            ),
            square(r#"{"地块编号": "A-02", "用地性质": "0701"}"#, 528200.0),
        ]),
    );
    let m = zhishen_site::load(d.path()).unwrap();
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
    let a1 = m.parcel("A-01").unwrap();
    assert_eq!(
        (a1.number("far_max"), a1.number("coverage_max")),
        (Some(2.5), Some(0.0))
    );
    let a2 = m.parcel("A-02").unwrap();
    assert_eq!(
        (a2.number("far_max"), a2.number("coverage_max")),
        (None, None)
    );
}

#[test]
fn every_cut_of_a_geopackage_is_an_error_naming_it() {
    let full = std::fs::read(district().join("parcel.gpkg")).unwrap();
    for tenth in 0..10 {
        let d = tempfile::tempdir().unwrap();
        let cut = full.len() * tenth / 10;
        std::fs::write(d.path().join("parcel.gpkg"), &full[..cut]).unwrap();
        let m = zhishen_site::load(d.path()).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let named: Vec<_> = m
            .blocking()
            .filter(|f| f.file.ends_with("parcel.gpkg"))
            .collect();
        assert!(!named.is_empty(), "cut at {cut}: {:?}", errors(&m));
        assert!(
            !named.iter().any(|f| f.message.contains("unknown CRS")),
            "{named:?}"
        );
    }
}
