//! The demo district package (datasets/district, written by `examples/make_district.rs`)
//! loads cleanly, and each placement in its buildings.toml lands where datasets/README.md says.

use geo::{Area, BooleanOps, Contains, Distance, Euclidean, Intersects, LineString, MultiPolygon};
use std::path::PathBuf;
use zhishen_site::{Kind, Placement, Severity, SiteModel};

fn datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../datasets")
}

fn district() -> SiteModel {
    zhishen_site::load(&datasets().join("district")).unwrap_or_else(|e| panic!("{e}"))
}

fn multi(g: &geo::Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        geo::Geometry::MultiPolygon(m) => m.clone(),
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        other => panic!("not areal: {other:?}"),
    }
}

#[test]
fn district_package_loads_with_every_layer() {
    let m = district();
    assert_eq!(m.crs, "EPSG:4547");
    let errors: Vec<_> = m
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for (kind, n) in [
        (Kind::Parcel, 17),
        (Kind::RoadRedLine, 9),
        (Kind::BlueLine, 1),
        (Kind::GreenLine, 2),
        (Kind::PurpleLine, 1),
        (Kind::HeightZone, 2),
        (Kind::ExistingBuilding, 9),
        (Kind::GreenArea, 12),
    ] {
        assert_eq!(m.count(kind), n, "{kind:?}");
    }
    assert_eq!(m.count(Kind::YellowLine), 0);

    // The GBK shapefile has no .cpg; its encoding is detected as the CP936 fallback.
    assert!(!datasets().join("district/road_red_line.cpg").exists());
    let roads = m
        .layers
        .iter()
        .find(|l| l.kind == Kind::RoadRedLine)
        .unwrap();
    let enc = roads.encoding.as_deref().unwrap();
    assert!(enc.starts_with("CP936"), "{enc}");
    let mut names: Vec<&str> = m
        .features
        .iter()
        .filter(|f| f.kind == Kind::RoadRedLine)
        .map(|f| f.text("name").unwrap())
        .collect();
    names.sort();
    let mut want = vec![
        "滨江路",
        "长江大道",
        "学府路",
        "北环路",
        "解放大道",
        "中山路",
        "友谊路",
        "建设路",
        "青年路",
    ];
    want.sort();
    assert_eq!(names, want);
    let cjd = m
        .features
        .iter()
        .find(|f| f.text("name") == Some("长江大道"))
        .unwrap();
    assert_eq!(cjd.number("width"), Some(60.0));
    assert_eq!(cjd.text("class"), Some("主干路"));
    for f in m.features.iter().filter(|f| f.kind == Kind::RoadRedLine) {
        let w = f.number("width").unwrap();
        assert!((15.0..=60.0).contains(&w), "{w}");
    }

    // DXF layer name written in GBK, decoded through $DWGCODEPAGE ANSI_936.
    let purple = m
        .features
        .iter()
        .find(|f| f.kind == Kind::PurpleLine)
        .unwrap();
    assert_eq!(purple.text("name"), Some("紫线_历史文化街区"));

    // Parcels: both code systems, full conditions, Chinese field names mapped without a mapping.
    let parcels: Vec<_> = m
        .features
        .iter()
        .filter(|f| f.kind == Kind::Parcel)
        .collect();
    assert!(parcels.len() >= 12);
    let codes: Vec<&str> = parcels
        .iter()
        .map(|p| p.text("land_use").unwrap())
        .collect();
    for c in ["0701", "070101", "0702", "0901", "080403", "1401"] {
        assert!(codes.contains(&c), "2023 code {c} missing: {codes:?}");
    }
    for c in ["R1", "R2", "B1", "B1/R2", "A33", "G1"] {
        assert!(codes.contains(&c), "GB 50137 class {c} missing: {codes:?}");
    }
    for p in &parcels {
        for k in [
            "far_max",
            "coverage_max",
            "green_min",
            "height_max",
            "setback_road_min",
            "setback_boundary_min",
        ] {
            assert!(p.number(k).is_some(), "{:?} lacks {k}", p.id());
        }
    }
    let p = m.parcel("DK-05-2").unwrap();
    assert_eq!(p.text("land_use"), Some("R1"));
    assert_eq!(p.number("far_max"), Some(0.25));
    assert_eq!(p.number("coverage_max"), Some(0.35));
    assert_eq!(p.number("green_min"), Some(0.30));
    assert_eq!(p.number("height_max"), Some(12.0));
    assert_eq!(p.number("setback_road_min"), Some(5.0));
    assert_eq!(p.number("setback_boundary_min"), Some(3.0));
    assert!((multi(&p.geometry).unsigned_area() - 1200.0).abs() < 1e-6);

    // Height zones: one relative, one absolute elevation limit.
    let mut zones: Vec<(f64, bool)> = m
        .features
        .iter()
        .filter(|f| f.kind == Kind::HeightZone)
        .map(|f| {
            (
                f.number("limit_m").unwrap(),
                f.attrs["absolute"].as_bool().unwrap(),
            )
        })
        .collect();
    zones.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(zones, vec![(12.0, false), (60.0, true)]);
    assert!(m
        .features
        .iter()
        .filter(|f| f.kind == Kind::ExistingBuilding)
        .all(|f| f.number("height_m").is_some() && f.text("use").is_some()));
}

/// Measured values of one placement, as tabulated in datasets/README.md.
#[derive(Debug)]
struct Measured {
    contained: bool,
    road: String,
    d_road: f64,
    d_boundary: f64,
    control: String,
    d_control: f64,
    height: f64,
    far: f64,
    coverage: f64,
    green: f64,
    /// Height zones the footprint touches.
    zones: Vec<String>,
}

fn measure(m: &SiteModel, model: &zhishen_ifc::Model, parcel: &str, place: &str) -> Measured {
    let p: Placement = place.parse().unwrap();
    let placed = zhishen_site::place(model, &m.crs, Some(p)).unwrap();
    let fp = placed.footprint.clone();
    let g: geo::Geometry<f64> = fp.clone().into();
    let parcel = m.parcel(parcel).unwrap();
    let pm = multi(&parcel.geometry);
    let area = pm.unsigned_area();
    let (road, d_road) = m.nearest(Kind::RoadRedLine, &g).unwrap();
    let boundary: Vec<LineString<f64>> = pm.0.iter().map(|p| p.exterior().clone()).collect();
    let d_boundary = boundary
        .iter()
        .map(|b| Euclidean.distance(&g, &geo::Geometry::from(b.clone())))
        .fold(f64::INFINITY, f64::min);
    let (control, d_control) = [Kind::BlueLine, Kind::GreenLine, Kind::PurpleLine]
        .iter()
        .filter_map(|k| m.nearest(*k, &g))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let green: f64 = m
        .features
        .iter()
        .filter(|f| f.kind == Kind::GreenArea)
        .map(|f| multi(&f.geometry).intersection(&pm).unsigned_area())
        .sum();
    let zones = m
        .features
        .iter()
        .filter(|f| f.kind == Kind::HeightZone && f.geometry.intersects(&g))
        .map(|f| f.text("name").unwrap().to_owned())
        .collect();
    Measured {
        zones,
        contained: pm.contains(&fp),
        road: road.text("name").unwrap().to_owned(),
        d_road,
        d_boundary,
        control: control.text("name").unwrap().to_owned(),
        d_control,
        height: model.facts.height_m.unwrap(),
        far: model.facts.gfa_m2.unwrap() / area,
        coverage: model.facts.base_area_m2 / area,
        green: green / area,
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn placements_land_where_the_readme_says() {
    let m = district();
    let text = std::fs::read_to_string(datasets().join("district/buildings.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let buildings = doc["building"].as_array().unwrap();
    assert_eq!(buildings.len(), 8);
    // id -> (contained, nearest road, d_road, d_boundary, nearest control line, d_control,
    //        height, FAR, coverage, green) as tabulated in datasets/README.md (rounded to 0.01
    //        for metres, 0.001 for ratios).
    #[allow(clippy::type_complexity)]
    let expected: &[(&str, bool, &str, f64, f64, &str, f64, f64, f64, f64, f64)] = &[
        (
            "P1",
            true,
            "滨江路",
            14.50,
            11.50,
            "滨江公园绿线",
            45.50,
            4.73,
            0.153,
            0.075,
            0.475,
        ),
        (
            "P2",
            true,
            "滨江路",
            5.82,
            5.82,
            "汉江蓝线",
            45.82,
            6.63,
            0.303,
            0.173,
            0.333,
        ),
        (
            "P3",
            true,
            "滨江路",
            60.58,
            60.58,
            "汉江蓝线",
            100.58,
            8.00,
            0.017,
            0.011,
            0.233,
        ),
        (
            "P4",
            true,
            "学府路",
            57.50,
            57.50,
            "滨江公园绿线",
            121.19,
            8.00,
            0.017,
            0.011,
            0.400,
        ),
        (
            "P5",
            true,
            "长江大道",
            4.00,
            4.00,
            "滨江公园绿线",
            139.66,
            16.40,
            0.009,
            0.002,
            0.467,
        ),
        (
            "P6",
            true,
            "滨江路",
            12.02,
            10.07,
            "汉江蓝线",
            52.02,
            16.40,
            0.224,
            0.056,
            0.375,
        ),
        (
            "P7",
            false,
            "滨江路",
            14.50,
            0.00,
            "汉江蓝线",
            54.50,
            4.73,
            0.153,
            0.075,
            0.500,
        ),
        (
            "P8",
            true,
            "北环路",
            50.62,
            50.62,
            "紫线_历史文化街区",
            0.00,
            6.63,
            0.012,
            0.007,
            0.425,
        ),
    ];
    let mut models = std::collections::BTreeMap::new();
    for b in buildings {
        let id = b["id"].as_str().unwrap();
        let file = b["model"].as_str().unwrap();
        let parcel = b["parcel"].as_str().unwrap();
        let place = b["place"].as_str().unwrap();
        let fails: Vec<&str> = b["expect_fail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let model = models.entry(file.to_owned()).or_insert_with(|| {
            zhishen_ifc::load_path(&datasets().join("district").join(file)).unwrap()
        });
        let got = measure(&m, model, parcel, place);
        println!("{id} {parcel} {got:?}");
        assert_eq!(
            got.contained,
            !fails.contains(&"redline_containment"),
            "{id}: containment"
        );
        // The placement point (model origin) lies in the named parcel.
        let p: Placement = place.parse().unwrap();
        let origin = geo::Point::new(p.eastings, p.northings);
        assert!(
            multi(&m.parcel(parcel).unwrap().geometry).intersects(&origin),
            "{id}: origin outside {parcel}"
        );
        assert_eq!(
            got.zones,
            if id == "P8" {
                vec!["老街风貌限高区".to_string()]
            } else {
                vec![]
            },
            "{id}: height zones"
        );
        let e = expected.iter().find(|e| e.0 == id).unwrap();
        {
            assert_eq!(got.contained, e.1, "{id}");
            assert_eq!(got.road, e.2, "{id}");
            assert!(close(got.d_road, e.3, 0.005), "{id}: d_road {}", got.d_road);
            assert!(
                close(got.d_boundary, e.4, 0.005),
                "{id}: d_boundary {}",
                got.d_boundary
            );
            assert_eq!(got.control, e.5, "{id}");
            assert!(
                close(got.d_control, e.6, 0.005),
                "{id}: d_control {}",
                got.d_control
            );
            assert!(close(got.height, e.7, 0.005), "{id}: height {}", got.height);
            assert!(close(got.far, e.8, 0.0005), "{id}: far {}", got.far);
            assert!(
                close(got.coverage, e.9, 0.0005),
                "{id}: coverage {}",
                got.coverage
            );
            assert!(close(got.green, e.10, 0.0005), "{id}: green {}", got.green);
        }
    }
}
