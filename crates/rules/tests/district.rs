//! The demo district's stated outcomes (datasets/README.md): every placed building fails
//! exactly the checks its `expect_fail` names; every other check passes or does not apply.

use std::collections::BTreeMap;
use std::path::Path;
use zhishen_rules::report::Inputs;
use zhishen_rules::{Profiles, Report, ReviewInput, Status};

fn district() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/district"
    ))
}

fn reviews() -> Vec<(String, Vec<String>, Report)> {
    let site = zhishen_site::load(district()).unwrap();
    let profiles = Profiles::builtin().unwrap();
    let text = std::fs::read_to_string(district().join("buildings.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let mut models = BTreeMap::new();
    let mut out = Vec::new();
    for b in doc["building"].as_array().unwrap() {
        let id = b["id"].as_str().unwrap().to_string();
        let file = b["model"].as_str().unwrap();
        let model = models
            .entry(file.to_string())
            .or_insert_with(|| zhishen_ifc::load_path(&district().join(file)).unwrap());
        let place: zhishen_site::Placement = b["place"].as_str().unwrap().parse().unwrap();
        let placed = zhishen_site::place(model, &site.crs, Some(place)).map_err(|e| e.to_string());
        let report = zhishen_rules::review(ReviewInput {
            model,
            site: &site,
            parcel_id: b["parcel"].as_str().unwrap(),
            placed,
            declared_use: b["use"].as_str(),
            profiles: &profiles,
            inputs: Inputs::default(),
        })
        .unwrap();
        let fails = b["expect_fail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        out.push((id, fails, report));
    }
    out
}

fn measured(r: &Report, id: &str) -> (f64, f64) {
    let c = r.check(id).unwrap();
    (c.measured.unwrap(), c.limit.unwrap())
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn every_building_fails_exactly_its_stated_checks() {
    for (id, expect_fail, report) in reviews() {
        for c in &report.checks {
            let listed = expect_fail.contains(&c.id);
            if listed {
                assert_eq!(
                    c.status,
                    Status::Fail,
                    "{id} {}: {:?} {}",
                    c.id,
                    c.status,
                    c.explanation.en
                );
                assert!(
                    c.evidence.is_some(),
                    "{id} {}: a failure carries evidence",
                    c.id
                );
            } else {
                assert!(
                    matches!(c.status, Status::Pass | Status::NotApplicable),
                    "{id} {}: {:?} {}",
                    c.id,
                    c.status,
                    c.explanation.en
                );
            }
        }
        let expect_exit = if expect_fail.is_empty() { 0 } else { 1 };
        assert_eq!(report.exit_code(), expect_exit, "{id}");
    }
}

#[test]
fn measured_values_match_the_dataset_readme() {
    let all = reviews();
    let get = |id: &str| &all.iter().find(|x| x.0 == id).unwrap().2;
    // P2: (207.53 + 156.60) m² above-ground GFA / 1200 m² = 0.303 > 0.25.
    let (far, lim) = measured(get("P2"), "far");
    assert!(
        close(far, 364.13 / 1200.0, 0.0005) && lim == 0.25,
        "{far} {lim}"
    );
    // P5: 4.00 m from 长江大道 where the parcel asks for 10 m.
    let (d, lim) = measured(get("P5"), "setback_road");
    assert!(close(d, 4.00, 0.005) && lim == 10.0, "{d} {lim}");
    // P6: 16.40 m flat-roof height on a 12 m plot.
    let (h, lim) = measured(get("P6"), "height_planning");
    assert!(close(h, 16.40, 0.005) && lim == 12.0, "{h} {lim}");
    // P7: crosses E 528620 by 7.00 m (x 528614.0-528627.0).
    let (p, _) = measured(get("P7"), "redline_containment");
    assert!(close(p, 7.0, 0.01), "{p}");
    // P8: enters the purple line by 3.83 m.
    let (d, lim) = measured(get("P8"), "setback_control_line");
    assert!(close(d, -3.83, 0.01) && lim == 0.0, "{d}");
    // P1: coverage 120.00 / 1600 (the 12 × 10 m walls; the roof's eaves are not 基底) and
    // green 760 / 1600 (no green within 1 m of the house).
    let (c, _) = measured(get("P1"), "coverage");
    assert!(close(c, 120.0 / 1600.0, 0.0005), "{c}");
    let (g, _) = measured(get("P1"), "green_ratio");
    assert!(close(g, 760.0 / 1600.0, 0.0005), "{g}");
    // P4: office on R2 residential land: share 1.0 against 0.
    let (s, lim) = measured(get("P4"), "land_use");
    assert!(s == 1.0 && lim == 0.0, "{s} {lim}");
}

/// The models as submitted (`submission`, datasets/submission/) differ from their raw
/// exports only by georeferencing, so they review exactly as their raw export at the same
/// placement; P1's is georeferenced where P1 is placed, so its own map conversion places
/// it to the same verdicts and values without an explicit placement.
#[test]
fn a_submission_model_reviews_as_its_raw_export() {
    let site = zhishen_site::load(district()).unwrap();
    let profiles = Profiles::builtin().unwrap();
    let text = std::fs::read_to_string(district().join("buildings.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let mut seen = 0;
    for b in doc["building"].as_array().unwrap() {
        let Some(sub) = b.get("submission").and_then(|v| v.as_str()) else {
            continue;
        };
        seen += 1;
        let raw = zhishen_ifc::load_path(&district().join(b["model"].as_str().unwrap())).unwrap();
        let sub = zhishen_ifc::load_path(&district().join(sub)).unwrap();
        assert!(raw.georef.map_conversion.is_none());
        assert!(sub.georef.map_conversion.is_some());
        let place: zhishen_site::Placement = b["place"].as_str().unwrap().parse().unwrap();
        let review = |model: &zhishen_ifc::Model, place: Option<zhishen_site::Placement>| {
            let placed = zhishen_site::place(model, &site.crs, place).map_err(|e| e.to_string());
            zhishen_rules::review(ReviewInput {
                model,
                site: &site,
                parcel_id: b["parcel"].as_str().unwrap(),
                placed,
                declared_use: b["use"].as_str(),
                profiles: &profiles,
                inputs: Inputs::default(),
            })
            .unwrap()
        };
        let verdicts = |r: &Report| -> Vec<(String, Status, Option<f64>)> {
            r.checks
                .iter()
                .map(|c| {
                    (
                        c.id.clone(),
                        c.status,
                        c.measured.map(|m| (m * 1e4).round() / 1e4),
                    )
                })
                .collect()
        };
        let want = verdicts(&review(&raw, Some(place)));
        assert_eq!(verdicts(&review(&sub, Some(place))), want, "{}", b["id"]);
        if b["id"].as_str() == Some("P1") {
            assert_eq!(
                verdicts(&review(&sub, None)),
                want,
                "P1 by its map conversion"
            );
        }
    }
    assert_eq!(seen, 2, "P1 and P7 name their submission model");
}
