//! Scene tests with hand-computed answers: testkit buildings reviewed on sites built in
//! code (as `crates/rules/tests/scenarios.rs` does), then built into a twin.
//!
//! Site (local metres, offset to E 500000 / N 3000000 in EPSG:4547): parcel P-1 is the
//! rectangle x 0..100, y 0..60 (centroid (50, 30), so the scene origin is E 500050,
//! N 3000030); road 南路 is the red-line polygon y −20..0 along its south edge; a second
//! road 远路 lies 5 km east, outside any scene window. The default building is 20 × 10 m,
//! 3 storeys of 3 m and a 0.2 m roof slab; its ground is ±0.00.

use super::*;
use geo::{Coord, Geometry, LineString, Polygon};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use zhishen_render::format::{Layer, Mark, NodeData};
use zhishen_report::Status;
use zhishen_rules::report::Inputs;
use zhishen_rules::{Profiles, ReviewInput};
use zhishen_site::{Feature, Kind, Placement};
use zhishen_testkit::shapes::{self, Level, Solid};
use zhishen_testkit::{write_ifc4, BuildingSpec};

const E0: f64 = 500_000.0;
const N0: f64 = 3_000_000.0;
/// Scene origin: the parcel's centroid.
const OE: f64 = 500_050.0;
const ON: f64 = 3_000_030.0;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
    let c = |x: f64, y: f64| Coord {
        x: E0 + x,
        y: N0 + y,
    };
    Geometry::Polygon(Polygon::new(
        LineString(vec![c(x0, y0), c(x1, y0), c(x1, y1), c(x0, y1), c(x0, y0)]),
        vec![],
    ))
}

fn feature(kind: Kind, geometry: Geometry<f64>, attrs: Value, fid: u64) -> Feature {
    use geo::BoundingRect;
    let bbox = geometry
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    Feature {
        kind,
        geometry,
        bbox,
        attrs: attrs
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        extra: BTreeMap::new(),
        file: format!("{}.geojson", kind.as_str()),
        layer: kind.as_str().into(),
        fid: Some(fid),
        width_source: None,
    }
}

/// Parcel P-1, road 南路 on its south edge, road 远路 5 km east, and `extra`.
fn site(extra: Vec<Feature>) -> SiteModel {
    let mut f = vec![
        feature(
            Kind::Parcel,
            rect(0.0, 0.0, 100.0, 60.0),
            json!({"id": "P-1", "land_use": "0701", "far_max": 2.5, "coverage_max": 0.30,
                   "green_min": 0.30, "height_max": 24.0, "setback_road_min": 10.0,
                   "setback_boundary_min": 5.0}),
            1,
        ),
        feature(
            Kind::RoadRedLine,
            rect(-50.0, -20.0, 150.0, 0.0),
            json!({"name": "南路", "width": 20.0}),
            1,
        ),
        feature(
            Kind::RoadRedLine,
            rect(5_000.0, -20.0, 5_200.0, 0.0),
            json!({"name": "远路", "width": 20.0}),
            2,
        ),
    ];
    f.extend(extra);
    SiteModel::new("EPSG:4547".into(), f, vec![], vec![])
}

fn house() -> zhishen_ifc::Model {
    let spec = BuildingSpec {
        occupancy: Some("住宅".into()),
        ..Default::default()
    };
    zhishen_ifc::load_bytes(write_ifc4(&spec).as_bytes(), "house.ifc").unwrap()
}

/// The model placed with its origin at local (x, y), turned `rot` degrees.
fn at(x: f64, y: f64, rot: f64) -> Option<Placement> {
    Some(Placement {
        eastings: E0 + x,
        northings: N0 + y,
        rotation_deg: rot,
        elevation: None,
    })
}

/// A review and its placement.
struct Reviewed {
    placed: Option<PlacedBuilding>,
    report: Report,
}

fn review(model: &zhishen_ifc::Model, site: &SiteModel, place: Option<Placement>) -> Reviewed {
    let profiles = Profiles::builtin().unwrap();
    let placed = match place {
        Some(p) => zhishen_site::place(model, &site.crs, Some(p)).map_err(|e| e.to_string()),
        None => Err("no placement given".to_string()),
    };
    let report = zhishen_rules::review(ReviewInput {
        model,
        site,
        parcel_id: "P-1",
        placed: placed.clone(),
        declared_use: None,
        profiles: &profiles,
        inputs: Inputs::default(),
    })
    .unwrap();
    Reviewed {
        placed: placed.ok(),
        report,
    }
}

fn twin(model: &zhishen_ifc::Model, site: &SiteModel, r: &Reviewed) -> Built {
    build(&TwinInput {
        model,
        placed: r.placed.as_ref(),
        site,
        parcel: "P-1",
        report: &r.report,
        review: Some("7"),
    })
    .unwrap()
}

/// Every vertex of a node, in local coordinates.
fn vertices<'a>(s: &'a TwinScene, n: &'a NodeData) -> impl Iterator<Item = [f32; 3]> + 'a {
    let t = n.translation;
    s.meshes[n.mesh]
        .positions
        .iter()
        .map(move |p| [p[0] + t[0], p[1] + t[1], p[2] + t[2]])
}

fn near(a: [f32; 3], b: [f64; 3], tol: f64) -> bool {
    (0..3).all(|k| (f64::from(a[k]) - b[k]).abs() <= tol)
}

fn layer_nodes(s: &TwinScene, layer: Layer) -> Vec<&NodeData> {
    s.nodes
        .iter()
        .filter(|n| n.info.layer == Some(layer))
        .collect()
}

/// Finding numbers as `zhishen_app::review::findings_of` orders them.
fn finding_number(r: &Report, id: &str) -> usize {
    r.checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Unverifiable))
        .position(|c| c.id == id)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{id} is not a finding"))
}

#[test]
fn placed_box_lands_where_computed_and_round_trips_as_glb() {
    let (model, site) = (house(), site(vec![]));
    // Model origin at local (60, 10), model +X turned 90° to north: model (x, y) →
    // E = 500060 − y, N = 3000010 + x. The footprint covers E 500050..500060, N 3000010..3000030.
    let r = review(&model, &site, at(60.0, 10.0, 90.0));
    let built = twin(&model, &site, &r);
    let s = &built.scene;
    let ground = model.facts.ground_m.unwrap_or(0.0);
    assert_eq!(s.meta.origin, [OE, ON, ground]);
    assert_eq!(s.meta.crs, "EPSG:4547");
    assert_eq!(s.meta.review.as_deref(), Some("7"));
    assert_eq!(s.meta.storeys.len(), 3);
    let walls: Vec<&NodeData> = s
        .nodes
        .iter()
        .filter(|n| n.info.class.as_deref() == Some("IfcWall"))
        .collect();
    assert_eq!(walls.len(), 12, "4 walls per storey");
    assert!(walls.iter().all(|n| n.info.layer == Some(Layer::Building)
        && n.info.global_id.is_some()
        && n.info.storey.is_some()));
    // Model (0, 0, 0) → site (500060, 3000010, 0) → local [10, −ground, 20];
    // model (20, 10, 9), the top of the NE wall → site (500050, 3000030, 9) → local [0, 9 − ground, 0].
    let want = [[10.0, -ground, 20.0], [0.0, 9.0 - ground, 0.0]];
    for w in want {
        assert!(
            walls
                .iter()
                .any(|n| vertices(s, n).any(|v| near(v, w, 1e-3))),
            "a wall vertex at {w:?}"
        );
    }
    // No wall vertex outside the placed footprint (E 500050..500060 → x 0..10).
    for n in &walls {
        for v in vertices(s, n) {
            assert!((-1e-3..=10.001).contains(&v[0]), "{v:?}");
        }
    }
    let glb = s.to_glb().unwrap();
    let back = TwinScene::from_glb(&glb).unwrap();
    assert_eq!(back.meshes, s.meshes);
    assert_eq!(back.nodes, s.nodes);
    assert_eq!(back.meta.origin, s.meta.origin);
    assert_eq!(back.meta.findings.len(), s.meta.findings.len());
    // The ground and the parcel are drawn, and nothing was left out.
    assert_eq!(layer_nodes(s, Layer::Ground).len(), 1);
    assert!(layer_nodes(s, Layer::Parcel)
        .iter()
        .any(|n| n.info.class.as_deref() == Some("P-1")));
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
}

#[test]
fn failed_setback_marks_its_elements_and_draws_its_segment() {
    let (model, site) = (house(), site(vec![]));
    // South face at N 3000005: 5 m from the road, 10 m required.
    let r = review(&model, &site, at(40.0, 5.0, 0.0));
    let check = r.report.check("setback_road").unwrap();
    assert_eq!(check.status, Status::Fail, "{}", check.explanation.en);
    assert!((check.measured.unwrap() - 5.0).abs() < 1e-6);
    assert!(!check.elements.is_empty());
    let number = finding_number(&r.report, "setback_road");
    let built = twin(&model, &site, &r);
    let s = &built.scene;
    for gid in &check.elements {
        let n = s
            .nodes
            .iter()
            .find(|n| n.info.global_id.as_deref() == Some(gid.as_str()))
            .unwrap_or_else(|| panic!("no node for {gid}"));
        assert_eq!(n.info.mark, Mark::Fail);
        assert!(n.info.findings.contains(&number));
    }
    // An element no finding names stays unmarked.
    assert!(s
        .nodes
        .iter()
        .any(|n| n.info.layer == Some(Layer::Building) && n.info.mark == Mark::None));
    // The evidence segment from the report: local ends, ribbon and posts around them.
    let c = check.evidence.as_ref().unwrap()["coordinates"]
        .as_array()
        .unwrap()
        .clone();
    let end = |i: usize| [c[i][0].as_f64().unwrap(), c[i][1].as_f64().unwrap()];
    let (a, b) = (end(0), end(1));
    assert!(
        ((a[0] - b[0]).hypot(a[1] - b[1]) - 5.0).abs() < 1e-3,
        "{a:?} {b:?}"
    );
    let ev: Vec<&NodeData> = layer_nodes(s, Layer::Evidence)
        .into_iter()
        .filter(|n| n.info.findings == vec![number])
        .collect();
    assert_eq!(ev.len(), 1, "one node for the segment and its posts");
    assert_eq!(ev[0].info.mark, Mark::Fail);
    for p in [a, b] {
        let l = [p[0] - OE, 0.0, -(p[1] - ON)];
        let close = vertices(s, ev[0])
            .filter(|v| (f64::from(v[0]) - l[0]).hypot(f64::from(v[2]) - l[2]) <= 0.61)
            .count();
        assert!(close >= 4, "vertices around the end {p:?}");
        // A post stands on it, 3 m high.
        assert!(
            vertices(s, ev[0]).any(|v| near(v, [l[0] + 0.06, 3.0, l[2] + 0.06], 1e-3)
                || near(v, [l[0] - 0.06, 3.0, l[2] - 0.06], 1e-3))
        );
    }
    let info = &s.meta.findings[number - 1];
    assert_eq!((info.number, info.check.as_str()), (number, "setback_road"));
    assert_eq!(info.mark, Mark::Fail);
    assert_eq!(info.unit, "m");
    let mid = [(a[0] + b[0]) / 2.0 - OE, -((a[1] + b[1]) / 2.0 - ON)];
    let label = info.label_at.unwrap();
    assert!(
        (f64::from(label[0]) - mid[0]).abs() < 1e-3 && (f64::from(label[2]) - mid[1]).abs() < 1e-3
    );
    let f = info.focus.unwrap();
    assert!(f.min[2] <= -(a[1].max(b[1]) - ON) as f32 && f.max[1] >= 3.0);
    assert_eq!(s.meta.findings.len(), finding_number_count(&r.report));
}

fn finding_number_count(r: &Report) -> usize {
    r.checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Unverifiable))
        .count()
}

#[test]
fn fail_wins_over_unverifiable_and_bad_input_is_named_not_fatal() {
    let (mut model, site) = (house(), site(vec![]));
    let mut r = review(&model, &site, at(40.0, 20.0, 0.0));
    let walls: Vec<String> = model
        .elements
        .iter()
        .filter(|e| e.ifc_class == "IfcWall")
        .map(|e| e.global_id.clone())
        .collect();
    // Two synthetic findings on the same wall: unverifiable first, then fail.
    let mut unv = r.report.checks[0].clone();
    unv.id = "synthetic_unverifiable".into();
    unv.status = Status::Unverifiable;
    unv.elements = vec![walls[0].clone(), walls[1].clone()];
    unv.evidence = Some(json!({"type": "Circle", "coordinates": [0, 0]}));
    let mut fail = unv.clone();
    fail.id = "synthetic_fail".into();
    fail.status = Status::Fail;
    fail.elements = vec![walls[0].clone()];
    fail.evidence = None;
    r.report.checks.insert(0, fail);
    r.report.checks.insert(0, unv);
    // A wall whose mesh has a NaN coordinate.
    let broken = walls[2].clone();
    let e = model
        .elements
        .iter_mut()
        .find(|e| e.global_id == broken)
        .unwrap();
    let m = e.mesh.as_ref().unwrap();
    let mut positions = m.raw_positions().to_vec();
    positions[4] = f32::NAN;
    e.mesh = Some(zhishen_ifc::Mesh::new(
        m.origin,
        positions,
        m.indices().to_vec(),
    ));
    let built = twin(&model, &site, &r);
    let s = &built.scene;
    let node = |gid: &str| {
        s.nodes
            .iter()
            .find(|n| n.info.global_id.as_deref() == Some(gid))
    };
    let w0 = node(&walls[0]).unwrap();
    assert_eq!(
        (w0.info.mark, w0.info.findings.clone()),
        (Mark::Fail, vec![1, 2])
    );
    let w1 = node(&walls[1]).unwrap();
    assert_eq!(
        (w1.info.mark, w1.info.findings.clone()),
        (Mark::Unverifiable, vec![1])
    );
    assert!(node(&broken).is_none());
    assert!(
        built
            .warnings
            .iter()
            .any(|w| w.contains(&broken) && w.contains("non-finite")),
        "{:?}",
        built.warnings
    );
    assert!(
        built
            .warnings
            .iter()
            .any(|w| w.contains("finding 1") && w.contains("GeoJSON")),
        "{:?}",
        built.warnings
    );
    // Without evidence, the focus is the named wall.
    let f2 = s.meta.findings[1].focus.unwrap();
    let b = s.meshes[w0.mesh].bbox().unwrap();
    assert_eq!(
        f2.min,
        [
            b.0[0] + w0.translation[0],
            b.0[1] + w0.translation[1],
            b.0[2] + w0.translation[2]
        ]
    );
}

#[test]
fn equal_shapes_share_one_mesh() {
    // Two equal 1.2 × 0.2 × 1.5 m columns 5 m apart and a wider one.
    let level = Level::new("F1", 0.0)
        .with(Solid::new("IfcColumn", "COLUMN", "C1").at(
            shapes::rect(2.0, 2.0, 3.2, 2.2),
            1.0,
            2.5,
        ))
        .with(Solid::new("IfcColumn", "COLUMN", "C2").at(
            shapes::rect(7.0, 2.0, 8.2, 2.2),
            1.0,
            2.5,
        ))
        .with(Solid::new("IfcColumn", "COLUMN", "C3").at(
            shapes::rect(2.0, 6.0, 4.0, 6.2),
            1.0,
            2.5,
        ));
    let scene = shapes::Scene {
        buildings: vec![shapes::Building::new("B", "住宅", vec![level])],
    };
    let frame = shapes::Frame {
        unit: zhishen_testkit::Unit::Metre,
        anchor: [0.0, 0.0],
        rotation_deg: 0.0,
        map_conversion: None,
    };
    let model =
        zhishen_ifc::load_bytes(shapes::write(&scene, &frame).as_bytes(), "cols.ifc").unwrap();
    let site = site(vec![]);
    let r = review(&model, &site, at(40.0, 20.0, 0.0));
    let s = twin(&model, &site, &r).scene;
    let cols: Vec<&NodeData> = s
        .nodes
        .iter()
        .filter(|n| n.info.class.as_deref() == Some("IfcColumn"))
        .collect();
    assert_eq!(cols.len(), 3);
    let by_name = |name: &str| {
        *cols
            .iter()
            .find(|n| n.info.name.as_deref() == Some(name))
            .unwrap()
    };
    let (c1, c2, c3) = (by_name("C1"), by_name("C2"), by_name("C3"));
    assert_eq!(c1.mesh, c2.mesh, "equal shapes are one mesh");
    assert_ne!(c1.mesh, c3.mesh, "a different shape is its own mesh");
    let distinct: std::collections::BTreeSet<usize> = cols.iter().map(|n| n.mesh).collect();
    assert_eq!(distinct.len(), 2);
    // Translations: the boxes' minimum corners, 5 m apart along E (local x).
    // C1: E 500042, N 3000022.2 (max N → min local z), z 1.0.
    let ground = model.facts.ground_m.unwrap_or(0.0) as f32;
    assert!(
        near(
            c1.translation,
            [-8.0, 1.0 - f64::from(ground), -(22.2 - 30.0)],
            1e-3
        ),
        "{:?}",
        c1.translation
    );
    assert!(
        near(c2.translation, [-3.0, 1.0 - f64::from(ground), 7.8], 1e-3),
        "{:?}",
        c2.translation
    );
    // The shared mesh starts at its own box minimum.
    let (lo, hi) = s.meshes[c1.mesh].bbox().unwrap();
    assert_eq!(lo, [0.0, 0.0, 0.0]);
    assert!(near(hi, [1.2, 1.5, 0.2], 1e-4), "{hi:?}");
}

#[test]
fn site_layers_in_the_window_only_and_capped() {
    let extra = vec![
        feature(
            Kind::HeightZone,
            rect(-20.0, -20.0, 120.0, 80.0),
            json!({"name": "限高区A", "limit_m": 30.0}),
            1,
        ),
        feature(
            Kind::ExistingBuilding,
            rect(120.0, 10.0, 130.0, 20.0),
            json!({"name": "现状1", "height_m": 12.0}),
            1,
        ),
        feature(
            Kind::ExistingBuilding,
            rect(140.0, 10.0, 150.0, 20.0),
            json!({"name": "现状2"}),
            2,
        ),
        feature(
            Kind::GreenArea,
            rect(70.0, 40.0, 90.0, 55.0),
            json!({"name": "绿地"}),
            1,
        ),
    ];
    let (model, site) = (house(), site(extra));
    let r = review(&model, &site, at(40.0, 20.0, 0.0));
    let built = twin(&model, &site, &r);
    let s = &built.scene;
    // The near road is a ribbon along its polygon's boundary, 11 cm above ground (the
    // top line layer, over the parcel outlines).
    let roads = layer_nodes(s, Layer::RoadRedLine);
    assert_eq!(roads.len(), 1, "the road 5 km away is outside the window");
    assert_eq!(roads[0].info.name.as_deref(), Some("南路"));
    let b = s.meshes[roads[0].mesh].bbox().unwrap();
    // Road x −50..150, N −20..0 → local x −100..100, z 30..50, widened by 0.2 m.
    assert!(
        near(b.0, [-100.2, 0.11, 29.8], 1e-3) && near(b.1, [100.2, 0.11, 50.2], 1e-3),
        "{b:?}"
    );
    // The window is the parcel (and building) grown by 150 m: x −200..200.
    let g = s.meshes[layer_nodes(s, Layer::Ground)[0].mesh]
        .bbox()
        .unwrap();
    assert!(
        near(g.0, [-200.0, -0.05, -180.0], 1e-3) && near(g.1, [200.0, -0.05, 180.0], 1e-3),
        "{g:?}"
    );
    assert!(!s
        .nodes
        .iter()
        .any(|n| n.info.name.as_deref() == Some("远路")));
    // The height zone rises to its limit above the ground; existing building 1 to 12 m.
    let hz = layer_nodes(s, Layer::HeightZone);
    assert_eq!(s.meshes[hz[0].mesh].bbox().unwrap().1[1], 30.0);
    let ex = layer_nodes(s, Layer::ExistingBuilding);
    assert_eq!(ex.len(), 2);
    let e1 = ex
        .iter()
        .find(|n| n.info.name.as_deref() == Some("现状1"))
        .unwrap();
    let (lo, hi) = s.meshes[e1.mesh].bbox().unwrap();
    assert!(
        near(lo, [70.0, 0.0, 10.0], 1e-4) && near(hi, [80.0, 12.0, 20.0], 1e-4),
        "{lo:?} {hi:?}"
    );
    // No height: drawn flat and said so.
    assert!(built
        .warnings
        .iter()
        .any(|w| w.contains("现状2") && w.contains("no height_m")));
    assert_eq!(layer_nodes(s, Layer::GreenArea).len(), 1);
    // A cap of one feature per layer keeps the nearest existing building and says so.
    let capped = build_with(
        &TwinInput {
            model: &model,
            placed: r.placed.as_ref(),
            site: &site,
            parcel: "P-1",
            report: &r.report,
            review: None,
        },
        &Limits {
            features_per_layer: 1,
            ..Limits::default()
        },
    )
    .unwrap();
    let ex = layer_nodes(&capped.scene, Layer::ExistingBuilding);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].info.name.as_deref(), Some("现状1"));
    assert!(capped
        .warnings
        .iter()
        .any(|w| w.contains("existing_building") && w.contains("only the 1 nearest")));
}

#[test]
fn unplaced_model_still_builds_centred_on_the_parcel() {
    let (model, site) = (house(), site(vec![]));
    let r = review(&model, &site, None);
    assert_eq!(r.report.building.placement, "none");
    let built = twin(&model, &site, &r);
    assert!(
        built.warnings.iter().any(|w| w.contains("not placed")),
        "{:?}",
        built.warnings
    );
    let s = &built.scene;
    assert_eq!(s.meta.origin[..2], [OE, ON]);
    // The 20 × 10 m plan is centred on the origin: x −10..10, z −5..5.
    let mut b: Option<Bounds> = None;
    for i in 0..s.nodes.len() {
        if s.nodes[i].info.layer == Some(Layer::Building) {
            let n = &s.nodes[i];
            let (lo, hi) = s.meshes[n.mesh].bbox().unwrap();
            let t = n.translation;
            b = Bounds::merge(
                b,
                Some(Bounds::of(
                    [lo[0] + t[0], lo[1] + t[1], lo[2] + t[2]],
                    [hi[0] + t[0], hi[1] + t[1], hi[2] + t[2]],
                )),
            );
        }
    }
    let b = b.unwrap();
    assert!(
        near(b.min, [-10.0, b.min[1].into(), -5.0], 1e-3)
            && near(b.max, [10.0, b.max[1].into(), 5.0], 1e-3),
        "{b:?}"
    );
    s.to_glb().unwrap();
    // Not even a parcel or a building: an error, not a panic.
    let empty = SiteModel::new("EPSG:4547".into(), vec![], vec![], vec![]);
    let mut bare = model.clone();
    bare.elements.clear();
    bare.bbox_world_m = None;
    let mut report = r.report.clone();
    report.parcel.geometry = Value::Null;
    let e = build(&TwinInput {
        model: &bare,
        placed: None,
        site: &empty,
        parcel: "P-1",
        report: &report,
        review: None,
    });
    assert!(
        matches!(e, Err(TwinError::NoExtent { .. })),
        "{:?}",
        e.map(|b| b.warnings)
    );
}

#[test]
fn an_element_whose_geometry_could_not_be_read_is_named_not_drawn() {
    let (mut model, site) = (house(), site(vec![]));
    let r = review(&model, &site, at(40.0, 20.0, 0.0));
    let wall = (model.elements.iter_mut())
        .find(|e| e.ifc_class == "IfcWall")
        .unwrap();
    wall.mesh = None;
    wall.body_error = Some("Invalid extrusion parameters: Depth must be positive".into());
    let gid = wall.global_id.clone();
    let built = twin(&model, &site, &r);
    let named: Vec<&String> = (built.warnings.iter())
        .filter(|w| w.contains(&gid))
        .collect();
    assert_eq!(named.len(), 1, "{:?}", built.warnings);
    assert!(
        named[0].contains("its geometry could not be read: Invalid extrusion"),
        "{named:?}"
    );
    // An element without a body (none here but the wall) is not a warning.
    assert_eq!(
        (built.warnings.iter())
            .filter(|w| w.contains("could not be read"))
            .count(),
        1
    );
}
