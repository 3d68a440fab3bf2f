//! HTML and BCF renderings of a hand-built report: content, escaping, well-formedness, a real
//! browser (Debian's chromium) rendering the page with the violations in red, BCF 2.1 schema
//! validation with xmllint, and IfcOpenShell's `bcf` package reading the archive.
//!
//! chromium, xmllint and python3-venv come from `scripts/deps.sh`; these tests fail (they do
//! not skip) when those are missing, because `make test` installs them.

use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use zhishen_rules::bcf::{camera_for_bbox, to_bcf, topic_guid, viewpoint_guid, BcfError};
use zhishen_rules::html::{plan_svg, to_html};
use zhishen_rules::report::*;

const E0: f64 = 500_000.0;
const N0: f64 = 2_500_000.0;
const CREATED: &str = "2026-11-27T09:30:00+08:00";
const AUTHOR: &str = "审查员 reviewer@example.cn";

const G_WALL: &str = "2O2Fr$t4X7Zf8NOew3FLOH";
const G_SLAB: &str = "1hqIFTRjfV6AWq_bMtnZwI";
const G_ROOF: &str = "0k1l2m3n4o5p6q7r8s9t0u";
const G_PROJECT: &str = "0YvctVUKr0kugbFTf53O9L";

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> serde_json::Value {
    json!({"type": "Polygon", "coordinates": [[
        [E0 + x0, N0 + y0], [E0 + x1, N0 + y0], [E0 + x1, N0 + y1], [E0 + x0, N0 + y1], [E0 + x0, N0 + y0]
    ]]})
}

fn file(path: &str, sha: char) -> FileRef {
    FileRef {
        path: path.into(),
        sha256: std::iter::repeat_n(sha, 64).collect(),
        bytes: 1234,
    }
}

/// A 60 m × 40 m parcel with a road on its west side; the 30 m × 20 m footprint stands 4 m
/// from the road (10 m required) and overlaps a blue line polygon by 4 m × 20 m = 80 m².
fn report() -> Report {
    let checks = vec![
        CheckResult {
            id: "setback_road".into(),
            title: Text::new("退让道路红线", "Road setback"),
            status: Status::Fail,
            measured: Some(4.0),
            limit: Some(10.0),
            unit: Unit::M,
            comparison: Some(Comparison::AtLeast),
            within_tolerance: false,
            clause: Some(Citation {
                level: "city".into(),
                profile: "cn-sz@2024.2".into(),
                clause: "深规 §3.2.1".into(),
                unverified: false,
            }),
            elements: vec![G_WALL.into(), G_SLAB.into(), "not-a-guid".into()],
            elements_bbox: Some([4.0, 10.0, 0.0, 34.0, 30.0, 23.5]),
            evidence: Some(
                json!({"type": "LineString", "coordinates": [[E0, N0 + 20.0], [E0 + 4.0, N0 + 20.0]]}),
            ),
            explanation: Text::new(
                "建筑距道路红线 4.00 m，小于 10 m",
                "Building is 4.00 m from the road red line, below 10 m",
            ),
            details: serde_json::Value::Null,
        },
        CheckResult {
            id: "blue_line".into(),
            title: Text::new("蓝线侵占", "Blue line encroachment"),
            status: Status::Fail,
            measured: Some(80.0),
            limit: Some(0.0),
            unit: Unit::M2,
            comparison: Some(Comparison::AtMost),
            within_tolerance: false,
            clause: Some(Citation {
                level: "national".into(),
                profile: "cn-national@2024.1".into(),
                clause: "城市蓝线管理办法 第十条".into(),
                unverified: false,
            }),
            elements: vec![G_ROOF.into()],
            elements_bbox: Some([30.0, 10.0, 0.0, 34.0, 30.0, 3.0]),
            evidence: Some(rect(30.0, 10.0, 34.0, 30.0)),
            explanation: Text::new(
                "基底侵入蓝线 80.00 m²",
                "Footprint enters the blue line by 80.00 m²",
            ),
            details: serde_json::Value::Null,
        },
        CheckResult {
            id: "far".into(),
            title: Text::new("容积率", "Floor area ratio"),
            status: Status::Pass,
            measured: Some(2.345),
            limit: Some(2.5),
            unit: Unit::Ratio,
            comparison: Some(Comparison::AtMost),
            within_tolerance: false,
            clause: Some(Citation {
                level: "parcel".into(),
                profile: "site:parcel.gpkg#DK-05".into(),
                clause: "规划条件 RJL".into(),
                unverified: false,
            }),
            elements: vec![],
            elements_bbox: None,
            evidence: None,
            explanation: Text::new("容积率 2.345 ≤ 2.5", "FAR 2.345 ≤ 2.5"),
            details: serde_json::Value::Null,
        },
        CheckResult {
            id: "green_ratio".into(),
            title: Text::new("绿地率", "Green ratio"),
            status: Status::Unverifiable,
            measured: None,
            limit: Some(0.35),
            unit: Unit::Ratio,
            comparison: Some(Comparison::AtLeast),
            within_tolerance: false,
            clause: Some(Citation {
                level: "national".into(),
                profile: "cn-national@2024.1".into(),
                clause: "GB 50180-2018 §4.0.2".into(),
                unverified: true,
            }),
            elements: vec![],
            elements_bbox: None,
            evidence: None,
            explanation: Text::new("模型中没有绿地", "The model has no green areas"),
            details: serde_json::Value::Null,
        },
    ];
    let summary = Report::summarize(&checks);
    let mut conditions = BTreeMap::new();
    conditions.insert("far_max".to_string(), json!(2.5));
    conditions.insert("setback_road_min".to_string(), json!(10));
    Report {
        schema: SCHEMA.into(),
        site_crs: "EPSG:4547".into(),
        inputs: Inputs {
            model: Some(file("tower<script>alert(1)</script>.ifc", 'a')),
            site: vec![file("site/parcel.gpkg", 'b')],
            profiles: vec![ProfileRef {
                id: "cn-national".into(),
                version: "2024.1".into(),
                level: "national".into(),
                sha256: "c".repeat(64),
            }],
            parcel: "DK-05".into(),
            placement: None,
            declared_use: Some("residential".into()),
            site_crs_source: Some("site_toml".into()),
            site_crs_reason: Some("site.toml names EPSG:4547".into()),
            city_crs: vec![],
            declared: None,
            tool: "zhishen".into(),
            tool_version: "0.1.0".into(),
        },
        parcel: ParcelInfo {
            id: "DK-05".into(),
            name: Some("滨河地块 & Co".into()),
            land_use: Some("0701".into()),
            area_m2: 2400.0,
            conditions,
            geometry: rect(0.0, 0.0, 60.0, 40.0),
            file: "site/parcel.gpkg".into(),
        },
        building: BuildingInfo {
            file: "tower<script>alert(1)</script>.ifc".into(),
            project_global_id: Some(G_PROJECT.into()),
            schema: "IFC4".into(),
            placement: "explicit".into(),
            placement_accuracy: "exact".into(),
            footprint: Some(rect(4.0, 10.0, 34.0, 30.0)),
            footprint_below: Some(rect(2.0, 8.0, 36.0, 32.0)),
            footprint_area_m2: 600.0,
            base_area_m2: 580.0,
            parts: vec![
                PartInfo {
                    building: None,
                    area_m2: 400.0,
                    height_m: Some(23.5),
                },
                PartInfo {
                    building: None,
                    area_m2: 200.0,
                    height_m: Some(9.2),
                },
            ],
            height_m: Some(23.5),
            height_method: Some("GB 50352 §A.0.1".into()),
            highest_point_m: Some(24.1),
            highest_point_abs_m: None,
            ground_m: Some(0.0),
            storeys_above: 7,
            storeys_below: 1,
            gfa_m2: Some(4200.0),
            far_area_m2: Some(5628.0),
            uses: vec![UseInfo {
                category: "residential".into(),
                term: "住宅".into(),
                source: "--use".into(),
                area_m2: None,
            }],
            warnings: vec![],
        },
        tolerance: Tolerance {
            distance_m: 0.05,
            area_relative: 0.001,
        },
        checks,
        summary,
        context: vec![
            ContextFeature {
                kind: "road_red_line".into(),
                name: Some("滨河路".into()),
                geometry: rect(-20.0, -50.0, 0.0, 90.0),
            },
            // A road given as its edge line, not as an area.
            ContextFeature {
                kind: "road_red_line".into(),
                name: None,
                geometry: json!({"type": "LineString", "coordinates": [[E0 - 3.0, N0 - 50.0], [E0 - 3.0, N0 + 90.0]]}),
            },
            ContextFeature {
                kind: "blue_line".into(),
                name: None,
                geometry: rect(30.0, 0.0, 70.0, 40.0),
            },
            ContextFeature {
                kind: "height_zone".into(),
                name: None,
                geometry: rect(-10.0, -10.0, 70.0, 50.0),
            },
            ContextFeature {
                kind: "existing_building".into(),
                name: None,
                geometry: rect(45.0, 5.0, 55.0, 15.0),
            },
            // The parcel under review again, as the site's parcel layer lists it: drawn once.
            ContextFeature {
                kind: "parcel".into(),
                name: Some("DK-05".into()),
                geometry: rect(0.0, 0.0, 60.0, 40.0),
            },
            ContextFeature {
                kind: "parcel".into(),
                name: Some("DK-06".into()),
                geometry: rect(60.0, 0.0, 100.0, 40.0),
            },
            // Far outside the view: must not be drawn.
            ContextFeature {
                kind: "existing_building".into(),
                name: None,
                geometry: rect(5000.0, 5000.0, 5010.0, 5010.0),
            },
            ContextFeature {
                kind: "yellow_line".into(),
                name: None,
                geometry: json!({"type": "LineString", "coordinates": [[E0 - 3000.0, N0], [E0 - 2900.0, N0]]}),
            },
        ],
    }
}

/// Parses the page as XML: the report HTML is written well-formed (XHTML-compatible) so that
/// any XML tool can read it. `<!DOCTYPE html>` is the only DTD.
fn doc(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, opts).expect("report HTML is well-formed XML")
}

// ---------------------------------------------------------------------------------------------
// HTML content

#[test]
fn html_is_well_formed_and_has_every_section_and_check() {
    let r = report();
    let html = to_html(&r);
    let d = doc(&html);
    for id in ["summary", "plan", "checks", "building", "parcel", "inputs"] {
        assert!(
            d.descendants().any(|n| n.attribute("id") == Some(id)),
            "section {id}"
        );
    }
    for c in &r.checks {
        assert!(
            d.descendants()
                .any(|n| n.attribute("id") == Some(&format!("check-{}", c.id))),
            "row for {}",
            c.id
        );
    }
    assert!(d.descendants().any(|n| n.has_tag_name("svg")));
    // The inputs say how the site CRS was chosen.
    assert!(
        html.contains("Site CRS chosen by")
            && html.contains("<code>site_toml</code> site.toml names EPSG:4547"),
        "site CRS source"
    );
    // No external resources, no script.
    for tag in ["script", "link", "img", "iframe"] {
        assert!(
            !d.descendants().any(|n| n.has_tag_name(tag)),
            "unexpected <{tag}>"
        );
    }
    assert!(!html.contains("src=") && !html.contains("href=\"http") && !html.contains("url(http"));
}

#[test]
fn html_escapes_the_model_name() {
    let html = to_html(&report());
    assert!(
        !html.to_lowercase().contains("<script"),
        "raw <script> in page"
    );
    assert!(html.contains("tower&lt;script&gt;alert(1)&lt;/script&gt;.ifc"));
    assert!(html.contains("滨河地块 &amp; Co"));
    // The title element carries the parcel id and the model file name.
    let d = doc(&html);
    let title = d
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(title.contains("DK-05"), "{title}");
    assert!(
        title.contains("tower<script>alert(1)</script>.ifc"),
        "{title}"
    );
}

#[test]
fn html_shows_the_base_area_apart_from_the_footprint_and_the_parts() {
    let html = to_html(&report());
    let d = doc(&html);
    let text: String = d
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect();
    assert!(text.contains("580.00 m²"), "base area");
    assert!(text.contains("600.00 m²"), "footprint area");
    assert!(
        text.contains("400.00 m² · 23.50 m; 200.00 m² · 9.20 m"),
        "parts by height"
    );
}

#[test]
fn html_formats_numbers_and_clauses() {
    let html = to_html(&report());
    let d = doc(&html);
    let row_text = |id: &str| -> String {
        let row = d
            .descendants()
            .find(|n| n.attribute("id") == Some(&format!("check-{id}")))
            .unwrap();
        row.descendants()
            .filter(|n| n.is_text())
            .map(|n| n.text().unwrap())
            .collect()
    };
    let setback = row_text("setback_road");
    assert!(setback.contains("4.00 m"), "{setback}");
    assert!(setback.contains("≥ 10 m"), "{setback}");
    assert!(setback.contains("cn-sz@2024.2"), "{setback}");
    assert!(setback.contains("不通过"), "{setback}");
    let far = row_text("far");
    assert!(far.contains("2.345 (234.5%)"), "{far}");
    assert!(far.contains("≤ 2.5 (250%)"), "{far}");
    assert!(far.contains("通过"), "{far}");
    let green = row_text("green_ratio");
    assert!(green.contains("未核实"), "{green}");
    assert!(green.contains("unverified"), "{green}");
    assert!(green.contains("无法核验"), "{green}");
    assert!(green.contains("≥ 0.35 (35%)"), "{green}");
    assert!(!setback.contains("未核实"));
    // Summary counts: 1 pass, 2 fail, 1 unverifiable, 0 not applicable; overall fail.
    let summary: String = d
        .descendants()
        .find(|n| n.attribute("id") == Some("summary"))
        .unwrap()
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect();
    assert!(summary.contains("1通过"), "{summary}");
    assert!(summary.contains("2不通过"), "{summary}");
    assert!(summary.contains("1无法核验"), "{summary}");
    assert!(summary.contains("0不适用"), "{summary}");
    // Inputs: hashes and profile versions.
    assert!(html.contains(&"a".repeat(64)));
    assert!(html.contains(&"b".repeat(64)));
    assert!(html.contains("2024.1"));
}

/// Violation labels in the SVG, read back as text.
fn labels(svg: &str) -> Vec<String> {
    let d = roxmltree::Document::parse(svg).unwrap();
    d.descendants()
        .filter(|n| n.attribute("class") == Some("vlabel"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn plan_labels_each_violation_with_its_measure() {
    let svg = plan_svg(&report()).unwrap();
    let l = labels(&svg);
    assert_eq!(
        l,
        vec![
            "退让道路红线: 4.00 m < 10 m".to_string(),
            "蓝线侵占: 80.00 m² > 0 m²".to_string()
        ]
    );
    let d = roxmltree::Document::parse(&svg).unwrap();
    let groups: Vec<_> = d
        .descendants()
        .filter(|n| n.attribute("class") == Some("violation"))
        .map(|n| n.attribute("data-check").unwrap())
        .collect();
    assert_eq!(groups, vec!["setback_road", "blue_line"]);
    // The polygon violation is hatched.
    assert!(svg.contains("fill=\"url(#hatch)\""));
}

#[test]
fn plan_projection_matches_hand_computation() {
    // Fit box: parcel 0..60 × 0..40 (footprints and evidence lie inside); margin
    // max(0.08·60, 5) = 5 m → 70 m × 50 m; scale = min(800/70, 800/50) = 11.428571 px/m;
    // size 800 × round(571.43) = 571. The setback segment (0,20)-(4,20) maps to
    // x = 5·11.428571 = 57.14, 9·11.428571 = 102.86 and y = (45-20)·11.428571 = 285.71.
    let svg = plan_svg(&report()).unwrap();
    assert!(
        svg.contains("width=\"800\" height=\"571\""),
        "{}",
        &svg[..300]
    );
    assert!(svg.contains("d=\"M57.14 285.71 L102.86 285.71\""));
    // The footprint (4,10)-(34,30): top-left corner at x = 9·s = 102.86, y = (45-30)·s = 171.43.
    assert!(svg.contains("M102.86 400.00 L445.71 400.00 L445.71 171.43 L102.86 171.43"));
    // Scale bar: 70 m / 5 = 14 m → 10 m bar, labelled.
    assert!(svg.contains(">10 m</text>"));
    assert!(svg.contains(">北 N</text>"));
}

#[test]
fn plan_ignores_far_context_and_styles_kinds() {
    let svg = plan_svg(&report()).unwrap();
    assert_eq!(svg.matches("ctx ctx-existing_building").count(), 1);
    assert_eq!(svg.matches("ctx ctx-yellow_line").count(), 0);
    assert_eq!(svg.matches("ctx ctx-road_red_line").count(), 2);
    assert_eq!(
        svg.matches("ctx ctx-parcel").count(),
        1,
        "the neighbour only"
    );
    // Layering: parcel fill, area layers, parcel outline, control lines, footprints, violations.
    let at = |pat: &str| svg.find(pat).unwrap_or_else(|| panic!("{pat}"));
    assert!(at("class=\"parcel-fill\"") < at("ctx ctx-road_red_line"));
    assert!(at("ctx ctx-road_red_line") < at("class=\"parcel\""));
    assert!(at("ctx ctx-parcel") < at("class=\"parcel\""));
    assert!(at("class=\"parcel\"") < at("ctx ctx-blue_line"));
    assert!(at("ctx ctx-blue_line") < at("class=\"footprint\""));
    assert!(at("class=\"footprint\"") < at("class=\"violation\""));
    assert!(svg.contains("fill=\"#d9d9d9\""), "roads light grey");
    assert!(svg.contains("stroke=\"#1565c0\""), "blue line in blue");
    assert!(svg.contains("class=\"footprint-below\""));
    assert!(
        svg.contains("stroke-dasharray=\"5 4\""),
        "below-ground dashed"
    );
    assert!(
        svg.contains("stroke-dasharray=\"6 4\""),
        "height zone dashed"
    );
}

#[test]
fn plan_without_geometry_says_so() {
    let mut r = report();
    r.parcel.geometry = serde_json::Value::Null;
    r.building.footprint = None;
    r.building.footprint_below = None;
    for c in &mut r.checks {
        c.evidence = None;
    }
    assert!(plan_svg(&r).is_none());
    let html = to_html(&r);
    doc(&html);
    assert!(html.contains("没有可绘制的平面几何"));
    assert!(html.contains("<code>setback_road, blue_line</code>"));
}

// ---------------------------------------------------------------------------------------------
// Browser rendering

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Decoded RGBA screenshot.
struct Shot {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

fn shoot(html: &str, dir: &Path, name: &str) -> Shot {
    let page = dir.join(format!("{name}.html"));
    let png_path = dir.join(format!("{name}.png"));
    std::fs::write(&page, html).unwrap();
    // coreutils `timeout` so that a hung browser fails the test instead of stalling the suite.
    let out = Command::new("timeout")
        .args([
            "120",
            "chromium",
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium must be installed (scripts/deps.sh installs Debian's chromium)");
    assert!(
        png_path.exists(),
        "chromium wrote no screenshot (status {:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected screenshot colour type {other:?}"),
    };
    Shot {
        width: info.width,
        height: info.height,
        rgba,
    }
}

impl Shot {
    fn count(&self, f: impl Fn(u8, u8, u8) -> bool) -> usize {
        self.rgba.chunks(4).filter(|p| f(p[0], p[1], p[2])).count()
    }
}

/// Saturated red like the violation colour #e00000 (and its translucent fills).
fn is_red(r: u8, g: u8, b: u8) -> bool {
    r > 180 && g < 90 && b < 90
}

#[test]
fn chromium_renders_the_page_with_violations_in_red() {
    let dir = tempfile::tempdir().unwrap();
    let r = report();
    let with = shoot(&to_html(&r), dir.path(), "with");
    assert_eq!((with.width, with.height), (1280, 2000));
    let total = (with.width * with.height) as usize;
    let non_white = with.count(|r, g, b| r < 245 || g < 245 || b < 245);
    assert!(
        non_white > total / 50,
        "page looks blank: {non_white} of {total} pixels non-white"
    );
    // Same page without evidence: only the plan's red marks disappear, so the difference in
    // red pixels is what the violations drew.
    let mut bare = r.clone();
    for c in &mut bare.checks {
        c.evidence = None;
    }
    let without = shoot(&to_html(&bare), dir.path(), "without");
    // ZHISHEN_RENDER_OUT=DIR keeps the page and its screenshot for a human look.
    if let Some(out) = std::env::var_os("ZHISHEN_RENDER_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for f in ["with.html", "with.png"] {
            std::fs::copy(dir.path().join(f), out.join(f)).unwrap();
        }
    }
    let red_with = with.count(is_red);
    let red_without = without.count(is_red);
    assert!(
        red_with > red_without + 300,
        "violations not visible in red: {red_with} red pixels with evidence, {red_without} without"
    );
}

// ---------------------------------------------------------------------------------------------
// BCF

fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.is_dir() {
            continue;
        }
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        out.insert(f.name().unwrap().to_string(), s);
    }
    out
}

fn bcf() -> (Report, Vec<u8>) {
    let r = report();
    let b = to_bcf(&r, CREATED, AUTHOR).unwrap();
    (r, b)
}

#[test]
fn bcf_has_one_topic_per_failed_check() {
    let (r, bytes) = bcf();
    let files = unzip(&bytes);
    let t1 = topic_guid(&r, "setback_road");
    let t2 = topic_guid(&r, "blue_line");
    let mut expected: Vec<String> = vec![
        "bcf.version".into(),
        format!("{t1}/markup.bcf"),
        format!("{t1}/viewpoint.bcfv"),
        format!("{t2}/markup.bcf"),
        format!("{t2}/viewpoint.bcfv"),
    ];
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);
    let v = roxmltree::Document::parse(&files["bcf.version"]).unwrap();
    assert_eq!(v.root_element().attribute("VersionId"), Some("2.1"));

    let m = roxmltree::Document::parse(&files[&format!("{t1}/markup.bcf")]).unwrap();
    let topic = m.descendants().find(|n| n.has_tag_name("Topic")).unwrap();
    assert_eq!(topic.attribute("Guid"), Some(t1.as_str()));
    assert_eq!(topic.attribute("TopicType"), Some("Error"));
    assert_eq!(topic.attribute("TopicStatus"), Some("Open"));
    let child = |name: &str| {
        topic
            .children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        child("Title"),
        "[setback_road] 退让道路红线 / Road setback: 4.00 m < 10 m"
    );
    assert_eq!(child("CreationDate"), CREATED);
    assert_eq!(child("CreationAuthor"), AUTHOR);
    let desc = child("Description");
    assert!(
        desc.contains("实测 Measured: 4.00 m; 限值 Limit: ≥ 10 m"),
        "{desc}"
    );
    assert!(desc.contains("深规 §3.2.1 · cn-sz@2024.2 (city)"), "{desc}");
    assert!(desc.contains("not-a-guid"), "invalid GUID named: {desc}");
    let file = m.descendants().find(|n| n.has_tag_name("File")).unwrap();
    assert_eq!(file.attribute("IfcProject"), Some(G_PROJECT));
    let vp = m
        .descendants()
        .find(|n| n.has_tag_name("Viewpoints"))
        .unwrap();
    assert_eq!(
        vp.attribute("Guid"),
        Some(viewpoint_guid(&r, "setback_road").as_str())
    );

    // Selections: the valid GlobalIds only, in order.
    let sel = |t: &str| -> Vec<String> {
        let d = roxmltree::Document::parse(&files[&format!("{t}/viewpoint.bcfv")]).unwrap();
        d.descendants()
            .filter(|n| n.has_tag_name("Component"))
            .map(|n| n.attribute("IfcGuid").unwrap().to_string())
            .collect()
    };
    assert_eq!(sel(&t1), vec![G_WALL, G_SLAB]);
    assert_eq!(sel(&t2), vec![G_ROOF]);
}

fn read_xyz(node: roxmltree::Node, name: &str) -> [f64; 3] {
    let n = node.descendants().find(|n| n.has_tag_name(name)).unwrap();
    let get = |c: &str| -> f64 {
        n.children()
            .find(|x| x.has_tag_name(c))
            .unwrap()
            .text()
            .unwrap()
            .parse()
            .unwrap()
    };
    [get("X"), get("Y"), get("Z")]
}

#[test]
fn bcf_camera_looks_at_the_element_box() {
    let (r, bytes) = bcf();
    let files = unzip(&bytes);
    for id in ["setback_road", "blue_line"] {
        let bbox = r.check(id).unwrap().elements_bbox.unwrap();
        let t = topic_guid(&r, id);
        let d = roxmltree::Document::parse(&files[&format!("{t}/viewpoint.bcfv")]).unwrap();
        let cam = d
            .descendants()
            .find(|n| n.has_tag_name("PerspectiveCamera"))
            .unwrap();
        let p = read_xyz(cam, "CameraViewPoint");
        let dir = read_xyz(cam, "CameraDirection");
        let up = read_xyz(cam, "CameraUpVector");
        let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        assert!((dot(dir, dir) - 1.0).abs() < 1e-5);
        assert!((dot(up, up) - 1.0).abs() < 1e-5);
        assert!(dot(dir, up).abs() < 1e-5, "up not perpendicular");
        assert!(up[2] > 0.0, "up points up");
        // Closest point of the view ray to the box centre is the centre (within rounding).
        let c = [
            (bbox[0] + bbox[3]) / 2.0,
            (bbox[1] + bbox[4]) / 2.0,
            (bbox[2] + bbox[5]) / 2.0,
        ];
        let t_ = dot([c[0] - p[0], c[1] - p[1], c[2] - p[2]], dir);
        assert!(t_ > 0.0, "box is in front of the camera");
        let target = [p[0] + t_ * dir[0], p[1] + t_ * dir[1], p[2] + t_ * dir[2]];
        for i in 0..3 {
            assert!(
                target[i] >= bbox[i] && target[i] <= bbox[i + 3],
                "{target:?} in {bbox:?}"
            );
            assert!((target[i] - c[i]).abs() < 1e-4);
        }
        // The bounding sphere fits the 60° field of view: distance = r / sin 30° = 2r.
        let h = [
            (bbox[3] - bbox[0]) / 2.0,
            (bbox[4] - bbox[1]) / 2.0,
            (bbox[5] - bbox[2]) / 2.0,
        ];
        let rad = dot(h, h).sqrt();
        assert!(
            (t_ - 2.0 * rad).abs() < 1e-4,
            "distance {t_} vs 2r {}",
            2.0 * rad
        );
        let fov: f64 = cam
            .descendants()
            .find(|n| n.has_tag_name("FieldOfView"))
            .unwrap()
            .text()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(fov, 60.0);
    }
    // Setback box 4..34 × 10..30 × 0..23.5: centre (19, 20, 11.75),
    // r = √(15² + 10² + 11.75²) = √(225 + 100 + 138.0625) = 21.5189..., camera at
    // centre + 2r·(1,1,1)/√3 = centre + 24.8479...·(1,1,1).
    let cam = camera_for_bbox(&[4.0, 10.0, 0.0, 34.0, 30.0, 23.5]).unwrap();
    let k = 2.0 * 463.0625f64.sqrt() / 3f64.sqrt();
    assert!((cam.position[0] - (19.0 + k)).abs() < 1e-9);
    assert!((cam.position[2] - (11.75 + k)).abs() < 1e-9);
}

#[test]
fn bcf_is_deterministic_and_checks_its_arguments() {
    let (r, a) = bcf();
    let b = to_bcf(&r, CREATED, AUTHOR).unwrap();
    assert_eq!(a, b, "same report, same bytes");
    let later = to_bcf(&r, "2026-11-28T10:00:00Z", AUTHOR).unwrap();
    assert_ne!(a, later);
    assert_eq!(
        unzip(&a).keys().collect::<Vec<_>>(),
        unzip(&later).keys().collect::<Vec<_>>(),
        "GUIDs do not depend on the date"
    );
    // Another model (hash) gives other topic GUIDs.
    let mut other = r.clone();
    other.inputs.model.as_mut().unwrap().sha256 = "d".repeat(64);
    assert_ne!(topic_guid(&r, "far"), topic_guid(&other, "far"));
    assert_ne!(topic_guid(&r, "far"), viewpoint_guid(&r, "far"));

    match to_bcf(&r, "27/11/2026", AUTHOR) {
        Err(e @ BcfError::BadDate(_)) => assert!(e.to_string().contains("27/11/2026")),
        other => panic!("expected BadDate, got {other:?}"),
    }
    assert!(matches!(to_bcf(&r, CREATED, "  "), Err(BcfError::NoAuthor)));

    // Nothing failed: a valid archive with no topics.
    let mut ok = r.clone();
    ok.checks.retain(|c| c.status != Status::Fail);
    let files = unzip(&to_bcf(&ok, CREATED, AUTHOR).unwrap());
    assert_eq!(files.keys().collect::<Vec<_>>(), vec!["bcf.version"]);
}

/// Runs xmllint --schema on one file; panics with its output on failure.
fn xmllint(xsd: &Path, xml: &Path) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(xml)
        .output()
        .expect("xmllint must be installed (scripts/deps.sh installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{} is not valid against {}:\n{}",
        xml.display(),
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bcf_xml_validates_against_the_bcf21_schemas() {
    let (_, bytes) = bcf();
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bcf21");
    // Optional second pass against the official buildingSMART XSDs (release_2_1 Schemas/).
    let official = std::env::var_os("BCF21_XSD_DIR").map(PathBuf::from);
    let mut n = 0;
    for (name, text) in unzip(&bytes) {
        let xsd = match name.rsplit('.').next() {
            Some("version") => "version.xsd",
            Some("bcf") => "markup.xsd",
            Some("bcfv") => "visinfo.xsd",
            _ => panic!("unexpected entry {name}"),
        };
        let path = dir.path().join(name.replace('/', "_"));
        std::fs::write(&path, text).unwrap();
        xmllint(&fixtures.join(xsd), &path);
        if let Some(o) = &official {
            xmllint(&o.join(xsd), &path);
        }
        n += 1;
    }
    assert_eq!(n, 5);

    // The schemas do reject a wrong order (Title after CreationDate), so passing means something.
    let bad = dir.path().join("bad.bcf");
    std::fs::write(
        &bad,
        "<Markup><Topic Guid=\"0a0b0c0d-0000-8000-8000-000000000000\"><CreationDate>2026-11-27T09:30:00Z</CreationDate>\
         <Title>x</Title><CreationAuthor>a</CreationAuthor></Topic></Markup>",
    )
    .unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(fixtures.join("markup.xsd"))
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "misordered markup accepted");
}

#[test]
fn ifcopenshell_bcf_reads_the_archive() {
    let (r, bytes) = bcf();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.bcf");
    std::fs::write(&path, &bytes).unwrap();
    let script = workspace_root().join("scripts/bcf_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&path)
        .output()
        .expect("python3 must be installed (scripts/deps.sh)");
    assert!(
        out.status.success(),
        "bcf_check.py failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1");
    let topics = v["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 2);
    for (id, guids) in [
        ("setback_road", vec![G_WALL, G_SLAB]),
        ("blue_line", vec![G_ROOF]),
    ] {
        let g = topic_guid(&r, id);
        let t = topics
            .iter()
            .find(|t| t["guid"] == g.as_str())
            .unwrap_or_else(|| panic!("topic {id} ({g}) not read: {v}"));
        assert_eq!(t["folder"], g.as_str());
        assert_eq!(t["type"], "Error");
        assert_eq!(t["status"], "Open");
        assert_eq!(t["creation_author"], AUTHOR);
        let c = r.check(id).unwrap();
        assert!(t["title"].as_str().unwrap().contains(&c.title.zh));
        let vp = &t["viewpoints"][0];
        assert_eq!(vp["guid"], viewpoint_guid(&r, id).as_str());
        assert_eq!(vp["selected"], serde_json::json!(guids));
        assert_eq!(vp["default_visibility"], true);
        assert_eq!(vp["camera"]["field_of_view"], 60.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Laws

mod laws {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any model name (printable text, markup included) survives escaping: the page stays
        /// well-formed and its title reads back the exact name.
        #[test]
        fn any_model_name_is_escaped(name in "[ -~\u{4e00}-\u{4e20}]{0,40}") {
            let mut r = report();
            r.inputs.model.as_mut().unwrap().path = name.clone();
            let html = to_html(&r);
            let d = doc(&html);
            let title = d.descendants().find(|n| n.has_tag_name("title")).unwrap();
            prop_assert!(title.text().unwrap_or_default().contains(name.as_str()));
        }

        /// The camera looks through the centre of any box, from outside the bounding sphere
        /// (distance 2r, at least 2 m), with a unit up vector perpendicular to the direction.
        #[test]
        fn camera_frames_any_box(
            min in prop::array::uniform3(-1.0e5f64..1.0e5),
            size in prop::array::uniform3(0.0f64..500.0),
        ) {
            let b = [min[0], min[1], min[2], min[0] + size[0], min[1] + size[1], min[2] + size[2]];
            let cam = camera_for_bbox(&b).unwrap();
            let dot = |a: [f64; 3], c: [f64; 3]| a[0] * c[0] + a[1] * c[1] + a[2] * c[2];
            let c = [(b[0] + b[3]) / 2.0, (b[1] + b[4]) / 2.0, (b[2] + b[5]) / 2.0];
            let to_c = [c[0] - cam.position[0], c[1] - cam.position[1], c[2] - cam.position[2]];
            let t = dot(to_c, cam.direction);
            let r = (dot(size, size).sqrt() / 2.0).max(1.0);
            prop_assert!((t - 2.0 * r).abs() < 1e-6 * (1.0 + r));
            let miss = dot(to_c, to_c) - t * t;
            prop_assert!(miss.abs() < 1e-6 * (1.0 + t * t));
            prop_assert!(dot(cam.up, cam.direction).abs() < 1e-12);
            prop_assert!((dot(cam.up, cam.up) - 1.0).abs() < 1e-12);
        }

        /// Topic GUIDs have the BCF form and differ between checks.
        #[test]
        fn topic_guids_are_bcf_guids(a in "[a-z_]{1,20}", b in "[a-z_]{1,20}") {
            let r = report();
            let ga = topic_guid(&r, &a);
            let re = |g: &str| g.len() == 36
                && g.chars().enumerate().all(|(i, ch)| if [8, 13, 18, 23].contains(&i) { ch == '-' } else { ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase() });
            prop_assert!(re(&ga), "{}", ga);
            prop_assert_eq!(a == b, ga == topic_guid(&r, &b));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Real reports: the demo district (datasets/district), reviewed by the real checks.

mod district {
    use super::*;
    use zhishen_rules::profile::Profiles;
    use zhishen_rules::ReviewInput;

    fn dir() -> PathBuf {
        workspace_root().join("datasets/district")
    }

    /// Every placed building of `buildings.toml`, reviewed.
    fn reviews() -> Vec<(String, Report)> {
        let site = zhishen_site::load(&dir()).unwrap();
        let profiles = Profiles::builtin().unwrap();
        let text = std::fs::read_to_string(dir().join("buildings.toml")).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let mut out = Vec::new();
        for b in doc["building"].as_array().unwrap() {
            let file = b["model"].as_str().unwrap();
            let model = zhishen_ifc::load_path(&dir().join(file)).unwrap();
            let place: zhishen_site::Placement = b["place"].as_str().unwrap().parse().unwrap();
            let placed =
                zhishen_site::place(&model, &site.crs, Some(place)).map_err(|e| e.to_string());
            let report = zhishen_rules::review(ReviewInput {
                model: &model,
                site: &site,
                parcel_id: b["parcel"].as_str().unwrap(),
                placed,
                declared_use: b["use"].as_str(),
                profiles: &profiles,
                inputs: Inputs {
                    model: Some(FileRef {
                        path: file.rsplit('/').next().unwrap().to_string(),
                        sha256: "0".repeat(64),
                        bytes: 0,
                    }),
                    parcel: b["parcel"].as_str().unwrap().to_string(),
                    tool: "zhishen".into(),
                    tool_version: "test".into(),
                    ..Inputs::default()
                },
            })
            .unwrap();
            out.push((b["id"].as_str().unwrap().to_string(), report));
        }
        out
    }

    #[test]
    fn district_reports_render_to_valid_html_and_bcf() {
        let tmp = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bcf21");
        let mut topics_total = 0;
        for (id, r) in reviews() {
            let html = to_html(&r);
            let d = doc(&html);
            for c in &r.checks {
                assert!(
                    d.descendants()
                        .any(|n| n.attribute("id") == Some(&format!("check-{}", c.id))),
                    "{id}: row {}",
                    c.id
                );
            }
            let fails: Vec<&CheckResult> = r
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .collect();
            // A placed building has a footprint, so the plan is drawn, with one red group per
            // failed check that carries evidence.
            if r.building.footprint.is_some() {
                let svg = plan_svg(&r).unwrap_or_else(|| panic!("{id}: no plan"));
                let with_evidence = fails.iter().filter(|c| c.evidence.is_some()).count();
                assert_eq!(
                    svg.matches("class=\"violation\"").count(),
                    with_evidence,
                    "{id}"
                );
            }
            let bytes = to_bcf(&r, CREATED, AUTHOR).unwrap();
            let files = unzip(&bytes);
            assert_eq!(files.len(), 1 + 2 * fails.len(), "{id}: {:?}", files.keys());
            for (name, text) in &files {
                let xsd = match name.rsplit('.').next() {
                    Some("version") => "version.xsd",
                    Some("bcf") => "markup.xsd",
                    _ => "visinfo.xsd",
                };
                let path = tmp.path().join(format!("{id}_{}", name.replace('/', "_")));
                std::fs::write(&path, text).unwrap();
                xmllint(&fixtures.join(xsd), &path);
            }
            topics_total += fails.len();
            if let Some(out) = std::env::var_os("ZHISHEN_RENDER_OUT") {
                let out = PathBuf::from(out);
                std::fs::create_dir_all(&out).unwrap();
                std::fs::write(out.join(format!("district-{id}.html")), &html).unwrap();
                std::fs::write(out.join(format!("district-{id}.bcf")), &bytes).unwrap();
            }
        }
        // datasets/README.md states failures for the district; at least one building fails.
        assert!(topics_total > 0);
    }
}

#[test]
fn html_and_json_name_the_city_coordinate_systems_of_the_layers() {
    let mut r = report();
    // None declared: the JSON leaves the field out (older readers see no change).
    let json = serde_json::to_value(&r).unwrap();
    assert!(
        json["inputs"].get("city_crs").is_none(),
        "{}",
        json["inputs"]
    );
    let city = "parcel.dxf: 城市独立坐标系 city system local:city: 4-parameter from EPSG:4547 \
                (ΔX=528000 m, ΔY=3386000 m, θ=1.5°, k=1.0001)";
    r.inputs.city_crs = vec![city.into()];
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["inputs"]["city_crs"][0], city);
    let html = to_html(&r);
    assert!(html.contains("City coordinate system"), "no row");
    assert!(html.contains(city), "no system");
}
