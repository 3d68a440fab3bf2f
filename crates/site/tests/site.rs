//! Site packages written with GDAL in real formats, read back through the site model.

use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    Defn, Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use gdal::DriverManager;
use geo::Area;
use std::path::{Path, PathBuf};
use zhishen_site::{Kind, LoadOptions, ReadMode, Severity, SiteModel};

enum V<'a> {
    S(&'a str),
    F(f64),
}

struct Layer<'a> {
    fields: &'a [(&'a str, OGRFieldType::Type)],
    rows: Vec<(&'a str, Vec<V<'a>>)>,
}

/// Writes one layer with GDAL. `options` are layer creation options (e.g. ENCODING=CP936).
fn write(
    path: &Path,
    driver: &str,
    name: &str,
    epsg: Option<u32>,
    layer: &Layer,
    options: &[&str],
) {
    let drv = DriverManager::get_driver_by_name(driver).unwrap();
    let mut ds = drv.create_vector_only(path).unwrap();
    let srs = epsg.map(|c| SpatialRef::from_epsg(c).unwrap());
    let lyr = ds
        .create_layer(LayerOptions {
            name,
            srs: srs.as_ref(),
            // FileGDB needs a concrete geometry type.
            ty: match layer.rows.first().map(|r| r.0) {
                Some(w) if w.starts_with("POLYGON") => OGRwkbGeometryType::wkbPolygon,
                Some(w) if w.starts_with("LINESTRING") => OGRwkbGeometryType::wkbLineString,
                _ => OGRwkbGeometryType::wkbUnknown,
            },
            options: (!options.is_empty()).then_some(options),
        })
        .unwrap();
    lyr.create_defn_fields(layer.fields).unwrap();
    let defn = Defn::from_layer(&lyr);
    for (wkt, vals) in &layer.rows {
        let mut f = Feature::new(&defn).unwrap();
        // An empty WKT writes a feature without geometry.
        if !wkt.is_empty() {
            f.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
        }
        for (i, v) in vals.iter().enumerate() {
            match v {
                V::S(s) => f.set_field_string(i, s).unwrap(),
                V::F(x) => f.set_field_double(i, *x).unwrap(),
            }
        }
        f.create(&lyr).unwrap();
    }
}

const PARCEL_FIELDS: &[(&str, OGRFieldType::Type)] = &[
    ("地块编号", OGRFieldType::OFTString),
    ("用地性质", OGRFieldType::OFTString),
    ("容积率", OGRFieldType::OFTReal),
    ("建筑密度", OGRFieldType::OFTString),
    ("名称", OGRFieldType::OFTString),
];

// Parcels near (528770, 3386666) in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E).
const A: &str =
    "POLYGON((528700 3386600,528800 3386600,528800 3386680,528700 3386680,528700 3386600))";
const B: &str =
    "POLYGON((528800 3386600,528860 3386600,528860 3386680,528800 3386680,528800 3386600))";

fn parcels() -> Layer<'static> {
    Layer {
        fields: PARCEL_FIELDS,
        rows: vec![
            (
                A,
                vec![
                    V::S("A-01"),
                    V::S("0701"),
                    V::F(2.5),
                    V::S("30%"),
                    V::S("滨江住宅地块"),
                ],
            ),
            (
                B,
                vec![
                    V::S("A-02"),
                    V::S("B1"),
                    V::F(3.0),
                    V::S("0.4"),
                    V::S("商业地块"),
                ],
            ),
        ],
    }
}

fn roads() -> Layer<'static> {
    Layer {
        fields: &[
            ("道路宽度", OGRFieldType::OFTReal),
            ("名称", OGRFieldType::OFTString),
        ],
        rows: vec![(
            "POLYGON((528700 3386560,528860 3386560,528860 3386590,528700 3386590,528700 3386560))",
            vec![V::F(30.0), V::S("江滨路")],
        )],
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The two parcels and the road, as GeoPackages, loaded.
fn parcels_and_roads() -> (tempfile::TempDir, SiteModel) {
    let d = tmp();
    write(
        &d.path().join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(4547),
        &parcels(),
        &[],
    );
    write(
        &d.path().join("road_red_line.gpkg"),
        "GPKG",
        "road_red_line",
        Some(4547),
        &roads(),
        &[],
    );
    let m = load(d.path());
    (d, m)
}

fn load(dir: &Path) -> SiteModel {
    zhishen_site::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

fn codes(m: &SiteModel) -> Vec<&'static str> {
    m.findings.iter().map(|f| f.code).collect()
}

#[test]
fn gpkg_geojson_and_gbk_shapefile_give_the_same_parcels() {
    let mut results = Vec::new();
    for (driver, file, opts) in [
        ("GPKG", "parcel.gpkg", vec![]),
        ("GeoJSON", "parcel.geojson", vec![]),
        ("ESRI Shapefile", "parcel.shp", vec!["ENCODING=CP936"]),
        ("FlatGeobuf", "parcel.fgb", vec![]),
        ("OpenFileGDB", "parcel.gdb", vec![]),
    ] {
        let d = tmp();
        write(
            &d.path().join(file),
            driver,
            "parcel",
            Some(4547),
            &parcels(),
            &opts,
        );
        if file.ends_with(".shp") {
            // GBK text and no .cpg: the reader must detect it.
            std::fs::remove_file(d.path().join("parcel.cpg")).ok();
        }
        write(
            &d.path().join("road_red_line.geojson"),
            "GeoJSON",
            "road",
            Some(4547),
            &roads(),
            &[],
        );
        let m = load(d.path());
        assert_eq!(m.crs, "EPSG:4547");
        assert!(
            m.findings.iter().all(|f| f.severity != Severity::Error),
            "{driver}: {:?}",
            m.findings
        );
        let mut ps: Vec<_> = m
            .features
            .iter()
            .filter(|f| f.kind == Kind::Parcel)
            .collect();
        ps.sort_by_key(|f| f.id().map(str::to_owned));
        let summary: Vec<(String, String, f64, f64, String, f64)> = ps
            .iter()
            .map(|f| {
                let area = match &f.geometry {
                    geo::Geometry::MultiPolygon(mp) => mp.unsigned_area(),
                    _ => 0.0,
                };
                (
                    f.id().unwrap().to_owned(),
                    f.text("land_use").unwrap().to_owned(),
                    f.number("far_max").unwrap(),
                    f.number("coverage_max").unwrap(),
                    f.text("name").unwrap().to_owned(),
                    (area * 100.0).round() / 100.0,
                )
            })
            .collect();
        if file.ends_with(".shp") {
            let info = m.layers.iter().find(|l| l.kind == Kind::Parcel).unwrap();
            assert!(
                info.encoding.as_deref().unwrap().starts_with("CP936"),
                "{:?}",
                info.encoding
            );
        }
        results.push((driver, summary));
    }
    let expected = vec![
        (
            "A-01".to_string(),
            "0701".to_string(),
            2.5,
            0.30,
            "滨江住宅地块".to_string(),
            8000.0,
        ),
        (
            "A-02".to_string(),
            "B1".to_string(),
            3.0,
            0.4,
            "商业地块".to_string(),
            4800.0,
        ),
    ];
    for (driver, s) in results {
        assert_eq!(s, expected, "{driver}");
    }
}

#[test]
fn latitude_first_layer_is_detected_and_swapped() {
    let d = tmp();
    write(
        &d.path().join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(4547),
        &parcels(),
        &[],
    );
    // A green area written in CGCS2000 geographic coordinates but latitude first.
    let lat_first = Layer {
        fields: &[("名称", OGRFieldType::OFTString)],
        rows: vec![(
            "POLYGON((30.6 114.3,30.6 114.301,30.601 114.301,30.601 114.3,30.6 114.3))",
            vec![V::S("江滩公园")],
        )],
    };
    write(
        &d.path().join("green_area.gpkg"),
        "GPKG",
        "green_area",
        Some(4490),
        &lat_first,
        &[],
    );
    let m = load(d.path());
    let f = m
        .findings
        .iter()
        .find(|f| f.code == "axis_order_swapped")
        .expect("finding");
    assert!(f.file.ends_with("green_area.gpkg") && f.message.contains("latitude-first"));
    // (lon 114.3, lat 30.6) in EPSG:4547 is E 528770.2373, N 3386666.2506 (cs2cs).
    let g = m
        .features
        .iter()
        .find(|f| f.kind == Kind::GreenArea)
        .unwrap();
    let geo::Geometry::MultiPolygon(mp) = &g.geometry else {
        panic!()
    };
    let c = mp.0[0].exterior().0[0];
    assert!(
        (c.x - 528_770.237_3).abs() < 0.001 && (c.y - 3_386_666.250_6).abs() < 0.001,
        "{c:?}"
    );
}

#[test]
fn bad_features_get_named_findings() {
    let d = tmp();
    let bowtie =
        "POLYGON((528900 3386600,528960 3386680,528960 3386600,528900 3386680,528900 3386600))";
    let layer = Layer {
        fields: PARCEL_FIELDS,
        rows: vec![
            (
                A,
                vec![
                    V::S("A-01"),
                    V::S("0701"),
                    V::F(2.5),
                    V::S("30%"),
                    V::S("ok"),
                ],
            ),
            (
                bowtie,
                vec![
                    V::S("A-03"),
                    V::S("0701"),
                    V::F(2.0),
                    V::S("25"),
                    V::S("bow tie"),
                ],
            ),
            (
                B,
                vec![
                    V::S("A-01"),
                    V::S(""),
                    V::F(1.0),
                    V::S("20"),
                    V::S("dup, no use"),
                ],
            ),
        ],
    };
    write(
        &d.path().join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(4547),
        &layer,
        &[],
    );
    // An empty layer and a layer without a CRS (a Shapefile without .prj).
    write(
        &d.path().join("blue_line.gpkg"),
        "GPKG",
        "blue_line",
        Some(4547),
        &Layer {
            fields: &[],
            rows: vec![],
        },
        &[],
    );
    write(
        &d.path().join("purple_line.shp"),
        "ESRI Shapefile",
        "purple_line",
        None,
        &roads(),
        &["ENCODING=UTF-8"],
    );
    let m = load(d.path());
    let find = |code: &str| {
        m.findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{code}: {:?}", codes(&m)))
    };
    let rep = find("invalid_geometry_repaired");
    assert!(
        rep.file.ends_with("parcel.gpkg") && rep.fid == Some(2),
        "{rep:?}"
    );
    assert!(
        rep.message.contains("Self-intersection") || rep.message.contains("self-intersection"),
        "{}",
        rep.message
    );
    let miss = find("missing_attribute");
    assert_eq!(miss.field.as_deref(), Some("land_use"));
    assert_eq!(miss.fid, Some(3));
    assert_eq!(miss.severity, Severity::Error);
    assert_eq!(find("duplicate_parcel_id").fid, Some(3));
    assert!(find("empty_layer").file.ends_with("blue_line.gpkg"));
    // No .prj: read in the site CRS, with a warning (its coordinates fit there).
    let assumed = find("assumed_crs");
    assert!(assumed.file.ends_with("purple_line.shp") && assumed.severity == Severity::Warning);
    assert_eq!(m.count(Kind::PurpleLine), 1);
    // The repaired bow tie keeps both triangles: 2 x (60 x 40 / 2) = 2400 m².
    let bt = m.parcel("A-03").unwrap();
    let geo::Geometry::MultiPolygon(mp) = &bt.geometry else {
        panic!()
    };
    assert!(
        (mp.unsigned_area() - 2400.0).abs() < 0.01,
        "{}",
        mp.unsigned_area()
    );
}

#[test]
fn queries_answer_by_geometry() {
    let (_dir, m) = parcels_and_roads();
    assert_eq!(
        m.parcel_at(528_750.0, 3_386_650.0).and_then(|f| f.id()),
        Some("A-01")
    );
    assert_eq!(
        m.parcel_at(528_850.0, 3_386_650.0).and_then(|f| f.id()),
        Some("A-02")
    );
    assert!(m.parcel_at(528_750.0, 3_386_570.0).is_none(), "on the road");
    // A 20 x 20 m footprint 25 m north of the road's red line (y = 3386590).
    let fp: geo::Geometry<f64> = geo::Polygon::new(
        geo::LineString::from(vec![
            (528_720.0, 3_386_615.0),
            (528_740.0, 3_386_615.0),
            (528_740.0, 3_386_635.0),
            (528_720.0, 3_386_635.0),
            (528_720.0, 3_386_615.0),
        ]),
        vec![],
    )
    .into();
    let (road, dist) = m.nearest(Kind::RoadRedLine, &fp).unwrap();
    assert_eq!(road.number("width"), Some(30.0));
    assert!((dist - 25.0).abs() < 1e-9, "{dist}");
    let near: Vec<_> = m.within_distance(&fp, 50.0);
    assert!(near
        .iter()
        .any(|(f, d)| f.id() == Some("A-01") && *d == 0.0));
    // A-02 starts 60 m east of the footprint: outside 50 m.
    assert!(!near.iter().any(|(f, _)| f.id() == Some("A-02")));
    assert_eq!(
        m.within_distance(&fp, 60.0)
            .iter()
            .filter(|(f, _)| f.id() == Some("A-02"))
            .count(),
        1
    );
    assert_eq!(m.intersecting(&fp).len(), 1);
}

#[test]
fn dxf_closed_polylines_become_parcels_with_gbk_layer_names() {
    let d = tmp();
    let layer_gbk: &[u8] = &[0xD3, 0xC3, 0xB5, 0xD8, 0xBA, 0xEC, 0xCF, 0xDF]; // 用地红线 in GBK
    let dxf = zhishen_testkit::r12_dxf(
        layer_gbk,
        &[vec![
            [528_700.0, 3_386_600.0],
            [528_800.0, 3_386_600.0],
            [528_800.0, 3_386_680.0],
            [528_700.0, 3_386_680.0],
        ]],
    );
    std::fs::write(d.path().join("parcel.dxf"), &dxf).unwrap();
    std::fs::write(
        d.path().join("site.toml"),
        "crs = \"EPSG:4547\"\n[[layer]]\npath = \"parcel.dxf\"\nkind = \"parcel\"\ncrs = \"EPSG:4547\"\n",
    )
    .unwrap();
    let m = load(d.path());
    let p = m
        .features
        .iter()
        .find(|f| f.kind == Kind::Parcel)
        .expect("parcel from DXF");
    let geo::Geometry::MultiPolygon(mp) = &p.geometry else {
        panic!("{:?}", p.geometry)
    };
    assert!((mp.unsigned_area() - 8000.0).abs() < 0.01);
    assert_eq!(p.text("name"), Some("用地红线"), "{:?}", p.attrs);
}

fn dataset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc")
        .join(name)
}

#[test]
fn pcert_is_placed_by_its_map_conversion_to_the_centimetre() {
    let model = zhishen_ifc::load_path(&dataset(
        "PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc",
    ))
    .unwrap();
    let placed = zhishen_site::place(&model, "EPSG:32760", None).unwrap();
    assert!(matches!(
        placed.source,
        zhishen_site::PlacementSource::MapConversion {
            transformed: false,
            ..
        }
    ));
    // By hand from the file: E0 = 729013348.8297004 mm, N0 = 9063992684.697363 mm,
    // rotation atan2(0.8660254037844387, 0.4999999999999999) = 60 degrees, Scale 1.
    let (e0, n0) = (729_013.348_829_700_4, 9_063_992.684_697_363);
    let (s, c) = (0.866_025_403_784_438_7, 0.499_999_999_999_999_9);
    for (poly_m, poly_s) in model.facts.footprint.iter().zip(&placed.footprint.0) {
        for (p, q) in poly_m[0].iter().zip(poly_s.exterior().0.iter()) {
            let (x, y) = (p[0], p[1]);
            assert!((q.x - (e0 + c * x - s * y)).abs() < 0.01, "{q:?}");
            assert!((q.y - (n0 + s * x + c * y)).abs() < 0.01, "{q:?}");
        }
    }
    assert!((placed.footprint_area_m2() - model.facts.footprint_area_m2).abs() < 0.01);
    assert!((placed.origin_elevation_m.unwrap() - 1.3).abs() < 1e-9);
}

#[test]
fn no_georeferencing_means_no_placement_and_explicit_placement_works() {
    let model = zhishen_ifc::load_path(&dataset("TallBuilding_Revit2021_IFC2x3.ifc")).unwrap();
    let err = zhishen_site::place(&model, "EPSG:4547", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Revit default location") && err.contains("--place"),
        "{err}"
    );
    let p: zhishen_site::Placement = "500000,3400000,90".parse().unwrap();
    let placed = zhishen_site::place(&model, "EPSG:4547", Some(p)).unwrap();
    // Rotating 90 degrees maps model (x, y) to (E - y, N + x).
    let (m0, s0) = (
        model.facts.footprint[0][0][0],
        placed.footprint.0[0].exterior().0[0],
    );
    assert!(
        (s0.x - (500_000.0 - m0[1])).abs() < 1e-6 && (s0.y - (3_400_000.0 + m0[0])).abs() < 1e-6
    );
    assert!("1,2".parse::<zhishen_site::Placement>().is_err());
    assert!("1,2,x".parse::<zhishen_site::Placement>().is_err());
}

#[test]
fn within_agrees_with_within_distance() {
    let (_dir, m) = parcels_and_roads();
    for (x, y, dist) in [
        (528_720.0, 3_386_615.0, 50.0),
        (528_720.0, 3_386_615.0, 60.0),
        (528_900.0, 3_386_700.0, 45.0),
        (528_900.0, 3_386_700.0, 30.0),
    ] {
        let fp: geo::Geometry<f64> = geo::Rect::new((x, y), (x + 20.0, y + 20.0))
            .to_polygon()
            .into();
        let mut a: Vec<_> = m
            .within(Kind::Parcel, &fp, dist)
            .iter()
            .filter_map(|f| f.id())
            .collect();
        let mut b: Vec<_> = m
            .within_distance(&fp, dist)
            .iter()
            .filter(|(f, _)| f.kind == Kind::Parcel)
            .filter_map(|(f, _)| f.id())
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "at ({x}, {y}) within {dist} m");
    }
}

#[test]
fn gbk_field_names_with_ascii_values_and_no_cpg_are_read() {
    // As departments deliver it: GBK field names (地块编号, 用地性质, 容积率, 建筑密度),
    // ASCII values, no .cpg. The values alone are valid UTF-8; the names are not.
    let d = tmp();
    write(
        &d.path().join("parcel.shp"),
        "ESRI Shapefile",
        "parcel",
        Some(4547),
        &Layer {
            fields: &[
                ("地块编号", OGRFieldType::OFTString),
                ("用地性质", OGRFieldType::OFTString),
                ("容积率", OGRFieldType::OFTReal),
                ("建筑密度", OGRFieldType::OFTReal),
            ],
            rows: vec![(A, vec![V::S("P1"), V::S("R2"), V::F(2.5), V::F(30.0)])],
        },
        &["ENCODING=CP936"],
    );
    std::fs::remove_file(d.path().join("parcel.cpg")).ok();
    write(
        &d.path().join("road_red_line.geojson"),
        "GeoJSON",
        "road",
        Some(4547),
        &roads(),
        &[],
    );
    let m = load(d.path());
    let p = m.parcel("P1").unwrap_or_else(|| panic!("{:?}", m.findings));
    assert_eq!(p.text("land_use"), Some("R2"));
    assert_eq!(p.number("far_max"), Some(2.5));
    // 建筑密度 30 is percent: 0.30.
    assert_eq!(p.number("coverage_max"), Some(0.30));
    let layer = m.layers.iter().find(|l| l.kind == Kind::Parcel).unwrap();
    let enc = layer.encoding.as_deref().unwrap();
    assert!(
        enc.starts_with("CP936") && enc.contains("detected"),
        "{enc}"
    );
}

/// A WKT geometry in EPSG:4547 given in CGCS2000 longitude/latitude (EPSG:4490), by OSR.
fn to_4490(wkt: &str) -> String {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform};
    let mut from = SpatialRef::from_epsg(4547).unwrap();
    let mut to = SpatialRef::from_epsg(4490).unwrap();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut g = Geometry::from_wkt(wkt).unwrap();
    g.transform_inplace(&CoordTransform::new(&from, &to).unwrap())
        .unwrap();
    g.wkt().unwrap()
}

/// Parcels A and B and the road, in CGCS2000 geographic coordinates.
fn geographic_package(dir: &Path) {
    let (a, b) = (to_4490(A), to_4490(B));
    let mut p = parcels();
    p.rows[0].0 = Box::leak(a.into_boxed_str());
    p.rows[1].0 = Box::leak(b.into_boxed_str());
    write(
        &dir.join("parcel.shp"),
        "ESRI Shapefile",
        "parcel",
        Some(4490),
        &p,
        &["ENCODING=CP936"],
    );
    let mut r = roads();
    r.rows[0].0 = Box::leak(to_4490(r.rows[0].0).into_boxed_str());
    write(
        &dir.join("road_red_line.geojson"),
        "GeoJSON",
        "road",
        Some(4490),
        &r,
        &[],
    );
}

fn area(f: &zhishen_site::Feature) -> f64 {
    match &f.geometry {
        geo::Geometry::MultiPolygon(mp) => mp.unsigned_area(),
        g => panic!("{g:?}"),
    }
}

fn choice(m: &SiteModel) -> zhishen_site::CrsSource {
    m.crs_choice.as_ref().expect("a chosen CRS").source
}

#[test]
fn geographic_package_takes_the_nearest_gauss_kruger_zone() {
    let d = tmp();
    geographic_package(d.path());
    let m = load(d.path());
    // The data lies near 114.30°E: CM 114°E is nearest, EPSG:4534 + (114 − 75) / 3 = 4547.
    assert_eq!(m.crs, "EPSG:4547", "{:?}", m.findings);
    assert_eq!(choice(&m), zhishen_site::CrsSource::GaussKrugerZone);
    let why = &m.crs_choice.as_ref().unwrap().reason;
    assert!(why.contains("CM 114°E") && why.contains("114.3"), "{why}");
    assert!(m.blocking().next().is_none(), "{:?}", m.findings);
    // The same parcels given in EPSG:4547: 100 × 80 = 8000 m² and 60 × 80 = 4800 m².
    for (id, expected) in [("A-01", 8000.0), ("A-02", 4800.0)] {
        let got = area(m.parcel(id).unwrap());
        assert!((got - expected).abs() / expected < 0.005, "{id}: {got}");
    }
    assert_eq!(
        m.parcel_at(528_750.0, 3_386_650.0).and_then(|f| f.id()),
        Some("A-01")
    );
    assert_eq!(m.count(Kind::RoadRedLine), 1);
}

#[test]
fn a_projected_layer_beats_the_gauss_kruger_zone() {
    let d = tmp();
    geographic_package(d.path());
    // The road in EPSG:4546 (CM 111°E) instead: a projected layer, though not the parcel's.
    std::fs::remove_file(d.path().join("road_red_line.geojson")).unwrap();
    let mut r = roads();
    let road_4546 = {
        use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform};
        let mut from = SpatialRef::from_epsg(4547).unwrap();
        let mut to = SpatialRef::from_epsg(4546).unwrap();
        from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut g = Geometry::from_wkt(r.rows[0].0).unwrap();
        g.transform_inplace(&CoordTransform::new(&from, &to).unwrap())
            .unwrap();
        g.wkt().unwrap()
    };
    r.rows[0].0 = Box::leak(road_4546.into_boxed_str());
    write(
        &d.path().join("road_red_line.geojson"),
        "GeoJSON",
        "road",
        Some(4546),
        &r,
        &[],
    );
    let m = load(d.path());
    assert_eq!(m.crs, "EPSG:4546");
    assert_eq!(choice(&m), zhishen_site::CrsSource::ProjectedLayer);
    assert!(m
        .crs_choice
        .as_ref()
        .unwrap()
        .reason
        .contains("road_red_line.geojson"));
    // Areas in CM 111°E, 3.3° off the meridian, stay within 0.5 % of the CM 114°E ones.
    let got = area(m.parcel("A-01").unwrap());
    assert!((got - 8000.0).abs() / 8000.0 < 0.005, "{got}");
}

#[test]
fn named_and_preferred_crs_win_in_order() {
    use zhishen_site::{CrsSource, LoadOptions, PreferredCrs};
    let d = tmp();
    geographic_package(d.path());
    let with = |o: LoadOptions| zhishen_site::load_with(d.path(), &o).unwrap();
    // The model's projected CRS comes before the package's own choice.
    let model = PreferredCrs {
        crs: "EPSG:4548".into(),
        reason: "IfcMapConversion of m.ifc names EPSG:4548".into(),
    };
    let m = with(LoadOptions {
        preferred_crs: Some(model.clone()),
        ..Default::default()
    });
    assert_eq!(
        (m.crs.as_str(), choice(&m)),
        ("EPSG:4548", CrsSource::Model)
    );
    // A model georeferenced far away (UTM 60S) is passed over, and the reason says so.
    let m = with(LoadOptions {
        preferred_crs: Some(PreferredCrs {
            crs: "EPSG:32760".into(),
            reason: "IfcMapConversion of far.ifc names EPSG:32760".into(),
        }),
        ..Default::default()
    });
    assert_eq!(
        (m.crs.as_str(), choice(&m)),
        ("EPSG:4547", CrsSource::GaussKrugerZone)
    );
    let why = &m.crs_choice.as_ref().unwrap().reason;
    assert!(
        why.contains("the model's EPSG:32760 was passed over") && why.contains("area of use"),
        "{why}"
    );
    // A geographic preference is no choice: the zone is chosen instead.
    let m = with(LoadOptions {
        preferred_crs: Some(PreferredCrs {
            crs: "EPSG:4490".into(),
            reason: "x".into(),
        }),
        ..Default::default()
    });
    assert_eq!(
        (m.crs.as_str(), choice(&m)),
        ("EPSG:4547", CrsSource::GaussKrugerZone)
    );
    // site.toml names one: it beats the model's.
    std::fs::write(
        d.path().join("site.toml"),
        "crs = \"EPSG:4546\"\n[[layer]]\npath = \"parcel.shp\"\nkind = \"parcel\"\n",
    )
    .unwrap();
    let m = with(LoadOptions {
        preferred_crs: Some(model.clone()),
        ..Default::default()
    });
    assert_eq!(
        (m.crs.as_str(), choice(&m)),
        ("EPSG:4546", CrsSource::SiteToml)
    );
    // --site-crs beats site.toml.
    let m = with(LoadOptions {
        site_crs: Some("EPSG:4549".into()),
        preferred_crs: Some(model),
        ..Default::default()
    });
    assert_eq!((m.crs.as_str(), choice(&m)), ("EPSG:4549", CrsSource::Cli));
    // A named geographic CRS is still refused: the user asked for it.
    std::fs::write(
        d.path().join("site.toml"),
        "crs = \"EPSG:4490\"\n[[layer]]\npath = \"parcel.shp\"\nkind = \"parcel\"\n",
    )
    .unwrap();
    let err = zhishen_site::load(d.path()).err().expect("refused");
    assert!(err.to_string().contains("EPSG:4490 is geographic"), "{err}");
}

#[test]
fn geographic_data_outside_the_zones_is_refused_with_its_longitude() {
    let d = tmp();
    let mut p = parcels();
    p.rows.truncate(1);
    p.rows[0].0 = "POLYGON((13.40 52.50,13.41 52.50,13.41 52.51,13.40 52.51,13.40 52.50))";
    write(
        &d.path().join("parcel.geojson"),
        "GeoJSON",
        "parcel",
        Some(4490),
        &p,
        &[],
    );
    let err = zhishen_site::load(d.path()).err().expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("13.405°E") && msg.contains("73.5°E"), "{msg}");
}

#[test]
fn the_model_crs_is_its_map_conversion_crs() {
    let pcert = zhishen_ifc::load_path(&dataset(
        "PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc",
    ))
    .unwrap();
    let p = zhishen_site::model_crs(&pcert).expect("georeferenced");
    assert_eq!(p.crs, "EPSG:32760");
    assert!(p.reason.contains("IfcMapConversion"), "{}", p.reason);
    let revit = zhishen_ifc::load_path(&dataset("TallBuilding_Revit2021_IFC2x3.ifc")).unwrap();
    assert_eq!(zhishen_site::model_crs(&revit), None);
}

/// A projected parcel package with a green area from CAD (no CRS), its ring given.
fn with_cad_green(ring: Vec<[f64; 2]>) -> (tempfile::TempDir, SiteModel) {
    let d = tmp();
    write(
        &d.path().join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(4547),
        &parcels(),
        &[],
    );
    let dxf = zhishen_testkit::r12_dxf(b"GREEN", &[ring]);
    std::fs::write(d.path().join("green_area.dxf"), &dxf).unwrap();
    let m = load(d.path());
    (d, m)
}

fn square(x: f64, y: f64, side: f64) -> Vec<[f64; 2]> {
    vec![[x, y], [x + side, y], [x + side, y + side], [x, y + side]]
}

#[test]
fn a_dxf_without_crs_takes_the_site_crs_with_a_warning() {
    let (_d, m) = with_cad_green(square(528_900.0, 3_386_600.0, 40.0));
    let f = m
        .findings
        .iter()
        .find(|f| f.code == "assumed_crs")
        .unwrap_or_else(|| panic!("{:?}", m.findings));
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.file.ends_with("green_area.dxf") && f.message.contains("EPSG:4547"));
    assert!(m.blocking().next().is_none(), "{:?}", m.findings);
    let g = m.of_kind(Kind::GreenArea).next().expect("placed");
    // Read as is: 40 × 40 = 1600 m² at (528900, 3386600).
    assert!((area(g) - 1600.0).abs() < 1e-6);
    assert_eq!(g.bbox.map(|b| [b[0], b[1]]), Some([528_900.0, 3_386_600.0]));
    let info = m.layers.iter().find(|l| l.kind == Kind::GreenArea).unwrap();
    assert!(
        info.crs_assumed && info.source_crs == "EPSG:4547",
        "{info:?}"
    );
}

fn implausible(m: &SiteModel) -> &zhishen_site::Finding {
    let f = m
        .findings
        .iter()
        .find(|f| f.code == "implausible_coordinates")
        .unwrap_or_else(|| panic!("{:?}", m.findings));
    assert_eq!(f.severity, Severity::Error);
    assert!(f.blocks_review() && f.file.ends_with("green_area.dxf"));
    assert_eq!(m.count(Kind::GreenArea), 0, "not read");
    assert!(!m.findings.iter().any(|f| f.code == "assumed_crs"));
    f
}

#[test]
fn a_dxf_in_degrees_is_refused_as_degrees() {
    let (_d, m) = with_cad_green(square(114.3, 30.6, 0.004));
    let f = implausible(&m);
    assert!(
        f.message.contains("degrees") && f.message.contains("EPSG:4490"),
        "{}",
        f.message
    );
}

#[test]
fn a_dxf_with_zone_prefixed_eastings_is_refused_naming_the_prefix() {
    let (_d, m) = with_cad_green(square(38_528_900.0, 3_386_600.0, 40.0));
    let f = implausible(&m);
    assert!(
        f.message.contains("zone-prefixed") && f.message.contains("EPSG:4526"),
        "{}",
        f.message
    );
}

#[test]
fn a_dxf_from_another_zone_is_refused_as_far_from_the_others() {
    // 528,900 − 300,000: an easting of CM 111°E data, 228 km west and outside 4547's area.
    let (_d, m) = with_cad_green(square(228_900.0, 3_386_600.0, 40.0));
    let f = implausible(&m);
    assert!(f.message.contains("area of use"), "{}", f.message);
    // Inside the area of use but 100 km from the parcels: another zone's easting.
    let (_d, m) = with_cad_green(square(428_800.0, 3_386_600.0, 40.0));
    let f = implausible(&m);
    assert!(
        f.message.contains("another 3° Gauss-Krüger zone") && f.message.contains("99.9 km"),
        "{}",
        f.message
    );
}

#[test]
fn geographic_parcels_with_a_cad_drawing_in_the_chosen_zone() {
    // As departments deliver it: CGCS2000 geographic parcels and a CRS-less DXF drawn in
    // CGCS2000 / CM 114°E. The zone chosen for the parcels is the DXF's, so it fits.
    let d = tmp();
    geographic_package(d.path());
    let dxf = zhishen_testkit::r12_dxf(b"GREEN", &[square(528_900.0, 3_386_600.0, 40.0)]);
    std::fs::write(d.path().join("green_area.dxf"), &dxf).unwrap();
    let m = load(d.path());
    assert_eq!(m.crs, "EPSG:4547");
    assert_eq!(choice(&m), zhishen_site::CrsSource::GaussKrugerZone);
    assert!(m.blocking().next().is_none(), "{:?}", m.findings);
    assert!(codes(&m).contains(&"assumed_crs"));
    let g = m.of_kind(Kind::GreenArea).next().expect("placed");
    assert_eq!(
        g.bbox,
        Some([528_900.0, 3_386_600.0, 528_940.0, 3_386_640.0])
    );
}

// ---- Road widths 道路宽度 from CAD (issue 13, item 5) ----

use zhishen_site::{RoadWidth, WidthSource};
use zhishen_testkit::DxfEntity;

/// The road red line of the width tests: 200 m along y = 3,386,600.
const ROAD: &[[f64; 2]] = &[[528_700.0, 3_386_600.0], [528_900.0, 3_386_600.0]];

/// `红线宽24米` in GBK, as the ANSI_936 DXF holds it.
const RED_LINE_24_GBK: &[u8] = &[0xBA, 0xEC, 0xCF, 0xDF, 0xBF, 0xED, b'2', b'4', 0xC3, 0xD7];

/// A DXF road package: `road.dxf` holding the road on `layer` and `labels`, listed in
/// site.toml with `extra` appended to its layer table.
fn dxf_road(
    layer: &[u8],
    labels: Vec<DxfEntity<'_>>,
    extra: &str,
) -> (tempfile::TempDir, SiteModel) {
    let d = tmp();
    let mut entities = vec![DxfEntity::Polyline {
        layer,
        points: ROAD,
        closed: false,
    }];
    entities.extend(labels);
    std::fs::write(
        d.path().join("road.dxf"),
        zhishen_testkit::dxf_entities(&entities),
    )
    .unwrap();
    std::fs::write(
        d.path().join("site.toml"),
        format!(
            "crs = \"EPSG:4547\"\n[[layer]]\npath = \"road.dxf\"\nkind = \"road_red_line\"\ncrs = \"EPSG:4547\"\n{extra}"
        ),
    )
    .unwrap();
    let m = load(d.path());
    (d, m)
}

fn text<'a>(at: [f64; 2], text: &'a [u8]) -> DxfEntity<'a> {
    DxfEntity::Text {
        layer: b"ROAD",
        at,
        height: 2.5,
        text,
    }
}

/// The one road's width and source (the labels are not roads).
fn only_road(m: &SiteModel) -> RoadWidth {
    let w = m.road_widths();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(m.count(Kind::RoadRedLine), 1);
    w[0].clone()
}

fn missing_width(m: &SiteModel) -> bool {
    m.findings
        .iter()
        .any(|f| f.code == "missing_attribute" && f.field.as_deref() == Some("width"))
}

#[test]
fn a_dxf_label_beside_the_road_gives_its_width() {
    // 3 m beside the line, text height 2.5 m: within 5 m.
    let (_d, m) = dxf_road(b"ROAD", vec![text([528_750.0, 3_386_603.0], b"40m")], "");
    let w = only_road(&m);
    assert_eq!(w.width_m, Some(40.0));
    assert_eq!(w.source, Some(WidthSource::DxfLabel));
    assert_eq!(w.road, "ROAD", "the DXF layer names it");
    assert!(!missing_width(&m), "{:?}", m.findings);
}

#[test]
fn a_chinese_mtext_label_gives_its_width() {
    let label = DxfEntity::MText {
        layer: b"ROAD",
        at: [528_800.0, 3_386_596.0],
        height: 3.0,
        text: RED_LINE_24_GBK,
    };
    let (_d, m) = dxf_road(b"ROAD", vec![label], "");
    let w = only_road(&m);
    assert_eq!(
        (w.width_m, w.source),
        (Some(24.0), Some(WidthSource::DxfLabel))
    );
    // The same as TEXT, 40米 in GBK.
    let (_d, m) = dxf_road(
        b"ROAD",
        vec![text([528_800.0, 3_386_604.0], &[b'4', b'0', 0xC3, 0xD7])],
        "",
    );
    assert_eq!(only_road(&m).width_m, Some(40.0));
}

#[test]
fn a_label_200_m_away_gives_no_width_and_the_road_is_reported_without_one() {
    let (_d, m) = dxf_road(b"ROAD", vec![text([528_800.0, 3_386_800.0], b"40m")], "");
    let w = only_road(&m);
    assert_eq!((w.width_m, w.source), (None, None));
    let f = m
        .findings
        .iter()
        .find(|f| f.code == "missing_attribute")
        .expect("the road lacks a width");
    assert_eq!(f.field.as_deref(), Some("width"));
    assert!(f.message.contains("width_m"), "{}", f.message);
    assert!(
        !f.blocks_review(),
        "a missing width makes checks unverifiable, it does not block"
    );
}

#[test]
fn equally_near_labels_that_disagree_give_no_width_and_a_warning() {
    // 40m 3 m north, 24米 3 m south: equally near, different widths.
    let labels = vec![
        text([528_750.0, 3_386_603.0], b"40m"),
        text([528_850.0, 3_386_597.0], RED_LINE_24_GBK),
    ];
    let (_d, m) = dxf_road(b"ROAD", labels, "");
    assert_eq!(only_road(&m).width_m, None);
    let warn = m
        .findings
        .iter()
        .find(|f| f.code == "ambiguous_width_label")
        .expect("ambiguity warned");
    assert_eq!(warn.severity, Severity::Warning);
    assert!(
        warn.message.contains("40m") && warn.message.contains("红线宽24米"),
        "{}",
        warn.message
    );
    assert!(missing_width(&m));
    // One nearer (2 m against 3 m): the nearer one wins, no warning.
    let labels = vec![
        text([528_750.0, 3_386_603.0], b"40m"),
        text([528_850.0, 3_386_598.0], RED_LINE_24_GBK),
    ];
    let (_d, m) = dxf_road(b"ROAD", labels, "");
    assert_eq!(only_road(&m).width_m, Some(24.0));
    assert!(!codes(&m).contains(&"ambiguous_width_label"));
}

#[test]
fn a_layer_named_with_its_width_gives_it() {
    // 道路红线-30m in GBK.
    let layer: &[u8] = &[
        0xB5, 0xC0, 0xC2, 0xB7, 0xBA, 0xEC, 0xCF, 0xDF, b'-', b'3', b'0', b'm',
    ];
    let (_d, m) = dxf_road(layer, vec![], "");
    let w = only_road(&m);
    assert_eq!(
        (w.width_m, w.source),
        (Some(30.0), Some(WidthSource::LayerName))
    );
    assert_eq!(w.road, "道路红线-30m");
    assert!(!missing_width(&m));
}

#[test]
fn site_toml_width_m_gives_the_layer_its_width() {
    let (_d, m) = dxf_road(b"ROAD", vec![], "width_m = 40\n");
    let w = only_road(&m);
    assert_eq!(
        (w.width_m, w.source),
        (Some(40.0), Some(WidthSource::SiteToml))
    );
}

#[test]
fn site_toml_width_m_outside_its_range_or_on_another_kind_is_refused() {
    for (kind, width, why) in [
        ("road_red_line", "0", "outside the valid road width range"),
        ("road_red_line", "600", "outside the valid road width range"),
        ("parcel", "40", "width_m is for road_red_line layers"),
    ] {
        let d = tmp();
        std::fs::write(
            d.path().join("road.dxf"),
            zhishen_testkit::dxf_entities(&[DxfEntity::Polyline {
                layer: b"ROAD",
                points: ROAD,
                closed: false,
            }]),
        )
        .unwrap();
        std::fs::write(
            d.path().join("site.toml"),
            format!("crs = \"EPSG:4547\"\n[[layer]]\npath = \"road.dxf\"\nkind = \"{kind}\"\nwidth_m = {width}\n"),
        )
        .unwrap();
        match zhishen_site::load(d.path()) {
            Err(zhishen_site::SiteError::Config { message, .. }) => {
                assert!(message.contains(why), "{message}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{kind} width_m = {width} was accepted"),
        }
    }
}

/// A package of one road along N 3386600 in EPSG:4547 GeoJSON (`file`), with the given
/// attribute (`道路宽度` as a number, or `名称` as text), listed in a site.toml with
/// `extra` lines for its layer table.
fn one_road_package(file: &str, attribute: V, extra: &str) -> tempfile::TempDir {
    let d = tmp();
    let field = match attribute {
        V::F(_) => ("道路宽度", OGRFieldType::OFTReal),
        _ => ("名称", OGRFieldType::OFTString),
    };
    write(
        &d.path().join(file),
        "GeoJSON",
        "road",
        Some(4547),
        &Layer {
            fields: &[field],
            rows: vec![("LINESTRING(528700 3386600,528900 3386600)", vec![attribute])],
        },
        &[],
    );
    std::fs::write(
        d.path().join("site.toml"),
        format!(
            "crs = \"EPSG:4547\"\n[[layer]]\npath = \"{file}\"\nkind = \"road_red_line\"\n{extra}"
        ),
    )
    .unwrap();
    d
}

#[test]
fn an_attribute_width_wins_over_site_toml_the_name_and_labels() {
    // A file named with 30 m, site.toml saying 40 m, the attribute 20 m.
    let d = one_road_package("道路红线-30m.geojson", V::F(20.0), "width_m = 40\n");
    let m = load(d.path());
    let w = only_road(&m);
    assert_eq!(
        (w.width_m, w.source),
        (Some(20.0), Some(WidthSource::Attribute))
    );
    // Without site.toml's width_m, the file name gives the road without an attribute.
    let d = one_road_package("道路红线-30m.geojson", V::S("江滨路"), "");
    let w = only_road(&load(d.path()));
    assert_eq!(
        (w.width_m, w.source),
        (Some(30.0), Some(WidthSource::LayerName))
    );
    assert_eq!(w.road, "江滨路");
}

#[test]
fn a_tall_label_reaches_one_and_a_half_times_its_height() {
    // 8 m beside the line: a 6 m high text reaches 9 m, a 2.5 m high one only the 5 m floor.
    let tall = DxfEntity::Text {
        layer: b"ROAD",
        at: [528_750.0, 3_386_608.0],
        height: 6.0,
        text: b"40m",
    };
    let (_d, m) = dxf_road(b"ROAD", vec![tall], "");
    assert_eq!(only_road(&m).width_m, Some(40.0));
    let (_d, m) = dxf_road(b"ROAD", vec![text([528_750.0, 3_386_608.0], b"40m")], "");
    assert_eq!(only_road(&m).width_m, None);
    assert!(missing_width(&m));
}

#[test]
fn a_refused_width_attribute_is_not_replaced_by_site_toml() {
    let d = one_road_package("road.geojson", V::F(900.0), "width_m = 40\n");
    let m = load(d.path());
    let w = only_road(&m);
    assert_eq!((w.width_m, w.source), (None, None));
    assert_eq!(codes(&m), vec!["value_out_of_range"], "{:?}", m.findings);
}

/// A 4-parameter city system 城市独立坐标系 to EPSG:4547: ΔX = 528000 m, ΔY = 3386000 m,
/// θ = 1.5° counter-clockwise, k = 1.0001.
const CITY: &str = "[local_crs.city]\nbase = \"EPSG:4547\"\n\
     four_parameter = { dx = 528000.0, dy = 3386000.0, rotation_deg = 1.5, scale = 1.0001 }\n";

/// Parcel A as a 100 × 80 m rectangle at local (100, 200), in a GeoJSON without CRS,
/// with `site.toml` `head` (site crs and city systems) and the layer's `crs`.
fn city_package(head: &str, layer_crs: &str) -> tempfile::TempDir {
    let d = tmp();
    let mut p = parcels();
    p.rows.truncate(1);
    p.rows[0].0 = "POLYGON((100 200,200 200,200 280,100 280,100 200))";
    write(
        &d.path().join("parcel.geojson"),
        "GeoJSON",
        "parcel",
        None,
        &p,
        &[],
    );
    std::fs::write(
        d.path().join("site.toml"),
        format!(
            "{head}\n[[layer]]\npath = \"parcel.geojson\"\nkind = \"parcel\"\ncrs = \"{layer_crs}\"\n"
        ),
    )
    .unwrap();
    d
}

#[test]
fn a_parcel_in_a_four_parameter_city_system_lands_where_computed_by_hand() {
    // cos 1.5° = 0.99965732498, sin 1.5° = 0.02617694831. Corner (100, 200):
    //   x·cosθ − y·sinθ = 99.965732498 − 5.235389662 = 94.730342836,
    //   x·sinθ + y·cosθ = 2.617694831 + 199.931464995 = 202.549159826;
    //   X = 528000 + 1.0001 · 94.730342836 = 528094.739816,
    //   Y = 3386000 + 1.0001 · 202.549159826 = 3386202.569415.
    // Likewise (200, 200), (200, 280), (100, 280):
    let expected = [
        (528_094.739_816, 3_386_202.569_415),
        (528_194.715_545, 3_386_205.187_371),
        (528_192.621_180, 3_386_285.167_955),
        (528_092.645_451, 3_386_282.549_998),
    ];
    for head in [format!("crs = \"EPSG:4547\"\n{CITY}"), CITY.to_string()] {
        let d = city_package(&head, "local:city");
        let m = load(d.path());
        assert!(m.blocking().next().is_none(), "{:?}", m.findings);
        // Without a site crs, the base of the city system is the projected layer's CRS.
        assert_eq!(m.crs, "EPSG:4547");
        let why = &m.crs_choice.as_ref().unwrap().reason;
        assert!(
            head.starts_with("crs") || why.ends_with("the base of its 城市独立坐标系 city system local:city: 4-parameter from EPSG:4547 (ΔX=528000 m, ΔY=3386000 m, θ=1.5°, k=1.0001)"),
            "{why}"
        );
        let f = m.parcel("A-01").unwrap();
        let geo::Geometry::MultiPolygon(mp) = &f.geometry else {
            panic!("{:?}", f.geometry)
        };
        let ring: Vec<_> = mp.0[0].exterior().0.iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(ring.len(), 5, "{ring:?}");
        for (want, got) in expected.iter().zip(&ring) {
            assert!(
                (want.0 - got.0).abs() < 0.001 && (want.1 - got.1).abs() < 0.001,
                "{want:?} vs {got:?}"
            );
        }
        // 100 × 80 m scaled by k in both directions: 8000 · 1.0001² = 8001.60008 m².
        assert!((area(f) - 8_001.600_08).abs() < 0.01, "{}", area(f));
        let info = &m.layers[0];
        assert_eq!(
            info.source_crs,
            "城市独立坐标系 city system local:city: 4-parameter from EPSG:4547 \
             (ΔX=528000 m, ΔY=3386000 m, θ=1.5°, k=1.0001)"
        );
        assert!(!info.crs_assumed);
    }
}

#[test]
fn bad_city_system_declarations_are_site_toml_errors_naming_the_field() {
    let four = |base: &str, scale: &str, dx: &str| {
        format!(
            "[local_crs.city]\n{base}\nfour_parameter = {{ dx = {dx}, dy = 3386000.0, \
             rotation_deg = 1.5, scale = {scale} }}\n"
        )
    };
    let cases = [
        (
            four("", "1.0001", "528000.0"),
            "local_crs.city.base is missing",
        ),
        (
            four("base = \"EPSG:999999\"", "1.0001", "528000.0"),
            "local_crs.city.base = 'EPSG:999999'",
        ),
        (
            four("base = \"EPSG:4547\"", "0.0", "528000.0"),
            "local_crs.city.four_parameter.scale = 0 must be > 0",
        ),
        (
            four("base = \"EPSG:4547\"", "-1.0", "528000.0"),
            "local_crs.city.four_parameter.scale = -1 must be > 0",
        ),
        (
            four("base = \"EPSG:4547\"", "1.0001", "nan"),
            "local_crs.city.four_parameter.dx = NaN is not a finite number",
        ),
    ];
    for (head, want) in cases {
        let d = city_package(&head, "local:city");
        let err = zhishen_site::load(d.path()).err().expect("refused");
        assert!(
            matches!(err, zhishen_site::SiteError::Config { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("site.toml") && msg.contains(want), "{msg}");
    }
    // A layer naming a system that is not declared.
    let d = city_package(CITY, "local:town");
    let msg = zhishen_site::load(d.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        msg.contains("layer 'parcel.geojson': crs = 'local:town'")
            && msg.contains("[local_crs.town]")
            && msg.contains("declared: city"),
        "{msg}"
    );
    // A 4-parameter system cannot be the site CRS (yet): its base can.
    let d = city_package(&format!("crs = \"local:city\"\n{CITY}"), "local:city");
    let msg = zhishen_site::load(d.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        msg.contains("cannot be the site CRS yet") && msg.contains("EPSG:4547"),
        "{msg}"
    );
}

#[test]
fn a_proj_string_site_crs_is_used_as_given() {
    let d = tmp();
    geographic_package(d.path());
    let proj =
        "+proj=tmerc +lat_0=0 +lon_0=114.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs";
    std::fs::write(
        d.path().join("site.toml"),
        format!("crs = \"{proj}\"\n[[layer]]\npath = \"parcel.shp\"\nkind = \"parcel\"\n"),
    )
    .unwrap();
    let m = load(d.path());
    assert!(m.blocking().next().is_none(), "{:?}", m.findings);
    assert_eq!(choice(&m), zhishen_site::CrsSource::SiteToml);
    assert_eq!(m.crs, proj, "{:?}", m.crs_choice);
    assert!(m.crs_choice.as_ref().unwrap().reason.ends_with(proj));
    // Parcel A lies at x = 528700 m in EPSG:4547 (CM 114°E), near 30.6°N, where
    // N·cosφ = 6383679 · 0.860742 = 5494706 m: 28700 / 5494706 = 0.0052232 rad east of
    // 114°E, so 0.0052232 − 0.0087266 (0.5°) = −0.0035034 rad from 114.5°E, and
    // x ≈ 500000 − 0.0035034 · 5494706 = 480750 m (first order; within 2 m).
    let f = m.parcel("A-01").unwrap();
    let b = f.bbox.unwrap();
    assert!((b[0] - 480_750.0).abs() < 2.0, "{b:?}");
    // Gauss-Krüger scale grows as 1 + x²/2R² away from the central meridian (R = 6371 km):
    // 1 + 1.0146e-5 at 28.7 km, 1 + 4.565e-6 at 19.25 km, so 8000 m² there reads
    // 8000 · ((1 + 4.565e-6) / (1 + 1.0146e-5))² = 7999.911 m² here.
    assert!((area(f) - 7_999.911).abs() < 0.01, "{}", area(f));
}

#[test]
fn a_seven_parameter_city_system_reads_through_proj_and_may_be_the_site_crs() {
    // Zero parameters on EPSG:4547's definition: the same plane as EPSG:4547 (CGCS2000
    // and WGS 84 coincide in PROJ's ballpark), so parcel A keeps its coordinates.
    let h7 = "[local_crs.h7]\nbase = \"EPSG:4547\"\nseven_parameter = { dx = 0.0, dy = 0.0, \
              dz = 0.0, rx_arcsec = 0.0, ry_arcsec = 0.0, rz_arcsec = 0.0, scale_ppm = 0.0 }\n";
    let d = tmp();
    let mut p = parcels();
    p.rows.truncate(1);
    write(
        &d.path().join("parcel.geojson"),
        "GeoJSON",
        "parcel",
        None,
        &p,
        &[],
    );
    let toml = |site: &str| {
        format!(
            "crs = \"{site}\"\n{h7}\n[[layer]]\npath = \"parcel.geojson\"\nkind = \"parcel\"\n\
             crs = \"local:h7\"\n"
        )
    };
    for site in ["EPSG:4547", "local:h7"] {
        std::fs::write(d.path().join("site.toml"), toml(site)).unwrap();
        let m = load(d.path());
        assert!(m.blocking().next().is_none(), "{site}: {:?}", m.findings);
        let b = m.parcel("A-01").unwrap().bbox.unwrap();
        let want = [528_700.0, 3_386_600.0, 528_800.0, 3_386_680.0];
        assert!(
            b.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.001),
            "{site}: {b:?}"
        );
        assert!(
            m.layers[0].source_crs.starts_with(
                "城市独立坐标系 city system local:h7: 7-parameter (position vector, to WGS 84) on EPSG:4547"
            ),
            "{}",
            m.layers[0].source_crs
        );
        if site == "local:h7" {
            let why = &m.crs_choice.as_ref().unwrap().reason;
            assert!(why.contains("city system local:h7"), "{why}");
            assert!(m.crs.contains("+towgs84=0,0,0,0,0,0,0"), "{}", m.crs);
        }
    }
    // ΔZ = 100 m (local datum → WGS 84): a point near 30.6°N moves along its meridian by
    // 100 · cos 30.6° = 86.074 m to the north (and 100 · sin 30.6° = 50.9 m up, dropped),
    // × the grid scale 1.00001 at 28.7 km from the CM = 86.075 m. 28.7 km east of the CM
    // the meridian leans west of grid north by the convergence γ = Δλ · sinφ =
    // 0.0052232 · 0.50904 = 0.0026589 rad, so the easting falls by 86.075 · γ = 0.229 m.
    // (Before binding the site CRS to WGS 84, PROJ dropped the shift: 0 m, silently.)
    let shifted = toml("EPSG:4547").replace("dz = 0.0", "dz = 100.0");
    std::fs::write(d.path().join("site.toml"), shifted).unwrap();
    let m = load(d.path());
    let b = m.parcel("A-01").unwrap().bbox.unwrap();
    assert!((b[1] - 3_386_600.0 - 86.075).abs() < 0.01, "{b:?}");
    assert!((b[0] - 528_700.0 + 0.229).abs() < 0.01, "{b:?}");
}

// ------------------------------------------------------------ Arrow stream vs features

/// Loads `dir` both ways: through GDAL's Arrow stream where it applies, and feature by
/// feature (the reference).
fn load_both(dir: &Path) -> (SiteModel, SiteModel) {
    let with = |read| {
        zhishen_site::load_with(
            dir,
            &LoadOptions {
                read,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    (with(ReadMode::Auto), with(ReadMode::Features))
}

/// Everything a load produced, exactly (f64 `Debug` round-trips).
fn contents(m: &SiteModel) -> (String, String, Vec<String>) {
    let layers = m
        .layers
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {:?} {:?}",
                l.layer, l.features, l.source_crs, l.encoding, l.extent
            )
        })
        .collect();
    (
        format!("{:?}", m.features),
        format!("{:?}", m.findings),
        layers,
    )
}

fn arrow_read(m: &SiteModel, kind: Kind) -> bool {
    m.layers.iter().find(|l| l.kind == kind).unwrap().arrow
}

/// Two parcels with an unmapped field, the three formats the Arrow path serves. The
/// Shapefile is GBK without a .cpg: the detected encoding must apply to the stream too.
#[test]
fn arrow_and_feature_reads_give_the_same_site_in_three_formats() {
    let mut layer = parcels();
    layer.fields = &[
        ("地块编号", OGRFieldType::OFTString),
        ("用地性质", OGRFieldType::OFTString),
        ("容积率", OGRFieldType::OFTReal),
        ("建筑密度", OGRFieldType::OFTString),
        ("名称", OGRFieldType::OFTString),
        ("备注", OGRFieldType::OFTString),
    ];
    layer.rows[0].1.push(V::S("沿江 退线"));
    layer.rows[1].1.push(V::S(" 商住 "));
    for (driver, file, opts) in [
        ("GPKG", "parcel.gpkg", vec![]),
        ("GeoJSON", "parcel.geojson", vec![]),
        ("ESRI Shapefile", "parcel.shp", vec!["ENCODING=CP936"]),
    ] {
        let d = tmp();
        write(
            &d.path().join(file),
            driver,
            "parcel",
            Some(4547),
            &layer,
            &opts,
        );
        std::fs::remove_file(d.path().join("parcel.cpg")).ok();
        write(
            &d.path().join("road_red_line.gpkg"),
            "GPKG",
            "road_red_line",
            Some(4547),
            &roads(),
            &[],
        );
        let (arrow, features) = load_both(d.path());
        assert!(
            arrow_read(&arrow, Kind::Parcel),
            "{driver}: Arrow stream not used"
        );
        assert!(arrow_read(&arrow, Kind::RoadRedLine), "{driver}");
        assert!(!arrow_read(&features, Kind::Parcel), "{driver}");
        assert_eq!(contents(&arrow), contents(&features), "{driver}");
        // By hand: A is 100 m x 80 m, 容积率 2.5, 建筑密度 "30%" -> 0.30, GBK text intact.
        let a = arrow
            .parcel("A-01")
            .unwrap_or_else(|| panic!("{driver}: {:?}", arrow.findings));
        assert_eq!(area(a), 8000.0, "{driver}");
        assert_eq!(a.number("far_max"), Some(2.5), "{driver}");
        assert_eq!(a.number("coverage_max"), Some(0.30), "{driver}");
        assert_eq!(a.text("name"), Some("滨江住宅地块"), "{driver}");
        assert_eq!(
            a.extra.get("备注"),
            Some(&serde_json::json!("沿江 退线")),
            "{driver}"
        );
        assert_eq!(
            a.bbox,
            Some([528_700.0, 3_386_600.0, 528_800.0, 3_386_680.0])
        );
        let b = arrow.parcel("A-02").unwrap();
        assert_eq!(area(b), 4800.0, "{driver}");
        // Unmapped values are kept as read (not trimmed; DBF pads and GDAL trims).
        let kept = if driver == "ESRI Shapefile" {
            "商住"
        } else {
            " 商住 "
        };
        assert_eq!(
            b.extra.get("备注"),
            Some(&serde_json::json!(kept)),
            "{driver}"
        );
        let road = &arrow.of_kind(Kind::RoadRedLine).next().unwrap();
        assert_eq!(road.number("width"), Some(30.0));
        if driver == "ESRI Shapefile" {
            let info = arrow
                .layers
                .iter()
                .find(|l| l.kind == Kind::Parcel)
                .unwrap();
            assert!(
                info.encoding.as_deref().unwrap().starts_with("CP936"),
                "{info:?}"
            );
        }
    }
}

/// Bad features through the Arrow stream: each finding names file, layer and fid, as
/// the feature path's do, and the good parcel is still read.
#[test]
fn bad_features_read_through_the_arrow_stream_are_named_like_the_feature_path_names_them() {
    let d = tmp();
    let bowtie =
        "POLYGON((528900 3386600,528960 3386680,528960 3386600,528900 3386680,528900 3386600))";
    let row =
        |id: &'static str, far: f64| vec![V::S(id), V::S("0701"), V::F(far), V::S("30"), V::S("x")];
    let layer = Layer {
        fields: PARCEL_FIELDS,
        rows: vec![
            (A, row("A-01", 2.5)),
            ("", row("A-02", 2.0)),
            (bowtie, row("A-03", 2.0)),
            (
                "LINESTRING(528700 3386700,528800 3386700)",
                row("A-04", 2.0),
            ),
            (B, row("A-05", 99.0)),
        ],
    };
    write(
        &d.path().join("parcel.gpkg"),
        "GPKG",
        "parcel",
        Some(4547),
        &layer,
        &[],
    );
    write(
        &d.path().join("road_red_line.gpkg"),
        "GPKG",
        "road_red_line",
        Some(4547),
        &roads(),
        &[],
    );
    let (arrow, features) = load_both(d.path());
    assert!(arrow_read(&arrow, Kind::Parcel));
    assert_eq!(contents(&arrow), contents(&features));
    let find = |code: &str| {
        arrow
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {code}: {:?}", arrow.findings))
    };
    let file = d.path().join("parcel.gpkg").display().to_string();
    for (code, fid) in [
        ("no_geometry", 2),
        ("invalid_geometry_repaired", 3),
        ("not_an_area", 4),
        ("value_out_of_range", 5),
    ] {
        let f = find(code);
        assert_eq!(
            (f.file.as_str(), f.layer.as_deref(), f.fid),
            (file.as_str(), Some("parcel"), Some(fid)),
            "{code}"
        );
    }
    // The bow tie is repaired into two triangles of 1200 m² each.
    let a3 = arrow.parcel("A-03").unwrap();
    assert!((area(a3) - 2400.0).abs() < 1e-6, "{}", area(a3));
    assert!(arrow.parcel("A-01").is_some() && arrow.parcel("A-02").is_none());
}

/// Bytes GDAL cannot make a geometry of (a GeoPackage blob whose WKB ring promises five
/// points and holds none) and a geometry of the wrong type for a parcel: the Arrow path
/// must neither panic nor keep anything of its attempt, and each feature is named by
/// file, layer and fid exactly as the feature path names it.
#[test]
fn corrupt_and_wrong_type_geometries_through_the_arrow_path_are_named_not_panicked_on() {
    let d = tmp();
    let row =
        |id: &'static str, far: f64| vec![V::S(id), V::S("0701"), V::F(far), V::S("30"), V::S("x")];
    let layer = Layer {
        fields: PARCEL_FIELDS,
        rows: vec![
            (A, row("A-01", 2.5)),
            (B, row("A-02", 2.0)),
            (B, row("A-03", 2.0)),
            (
                "MULTIPOINT((528700 3386700),(528800 3386700))",
                row("A-04", 2.0),
            ),
        ],
    };
    let path = d.path().join("parcel.gpkg");
    // No R-tree: its triggers would read the broken blob as the UPDATE writes it.
    write(
        &path,
        "GPKG",
        "parcel",
        Some(4547),
        &layer,
        &["SPATIAL_INDEX=NO"],
    );
    {
        let ds = gdal::Dataset::open_ex(
            &path,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE
                    | gdal::GdalOpenFlags::GDAL_OF_VECTOR,
                ..Default::default()
            },
        )
        .unwrap();
        // "GP", version 0, flags 1 (little-endian, no envelope), srs_id 4547, then WKB:
        // little-endian polygon, one ring of 5 points, no coordinates.
        let sql = "UPDATE parcel SET geom = X'47500001C3110000010300000001000000050000000000' \
                   WHERE fid = 3";
        ds.execute_sql(sql, None, gdal::vector::sql::Dialect::SQLITE)
            .unwrap();
    }
    write(
        &d.path().join("road_red_line.gpkg"),
        "GPKG",
        "road_red_line",
        Some(4547),
        &roads(),
        &[],
    );
    let (arrow, features) = load_both(d.path());
    assert_eq!(contents(&arrow), contents(&features));
    let file = path.display().to_string();
    let named = |fid: u64| {
        arrow
            .findings
            .iter()
            .filter(|f| f.fid == Some(fid))
            .inspect(|f| {
                assert_eq!(
                    (f.file.as_str(), f.layer.as_deref()),
                    (file.as_str(), Some("parcel"))
                )
            })
            .map(|f| (f.code, f.severity))
            .collect::<Vec<_>>()
    };
    // GDAL's own words for the blob vary by version; that it is an error on fid 3 does not.
    let fid3 = named(3);
    assert!(
        fid3.iter().any(|(_, s)| *s == Severity::Error),
        "fid 3: {:?}",
        arrow.findings
    );
    assert_eq!(
        named(4),
        [("not_an_area", Severity::Error)],
        "{:?}",
        arrow.findings
    );
    // The good parcels are read (A is 100 m x 80 m, B 60 m x 80 m), the bad ones not.
    assert_eq!(area(arrow.parcel("A-01").unwrap()), 8000.0);
    assert_eq!(area(arrow.parcel("A-02").unwrap()), 4800.0);
    assert!(arrow.parcel("A-03").is_none() && arrow.parcel("A-04").is_none());
}
