//! `zhishen check` end to end on the demo district: exit codes, the JSON contract, HTML and
//! BCF files, and bad input naming what is wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zhishen"))
        .current_dir(root())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const TALL: &str = "datasets/ifc/TallBuilding_Revit2021_IFC2x3.ifc";
const HAUS: &str = "datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc";

#[test]
fn compliant_building_exits_0_and_violation_exits_1() {
    let (code, out, err) = check(&[
        "--model",
        HAUS,
        "--site",
        "datasets/district",
        "--parcel",
        "DK-05-1",
        "--place",
        "528496,3386425,0",
        "--use",
        "住宅",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "zhishen.report/1");
    assert_eq!(v["summary"]["overall"], "pass");
    assert_eq!(v["checks"].as_array().unwrap().len(), 14);
    assert_eq!(v["inputs"]["model"]["sha256"].as_str().unwrap().len(), 64);
    assert!(v["inputs"]["profiles"].as_array().unwrap().len() == 2);

    let (code, out, err) = check(&[
        "--model",
        TALL,
        "--site",
        "datasets/district",
        "--parcel",
        "DK-07",
        "--place",
        "528580,3386631.98,0",
        "--use",
        "商业",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "setback_road")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert!((c["measured"].as_f64().unwrap() - 4.0).abs() < 0.005);
    assert_eq!(c["limit"], 10.0);
    assert_eq!(c["unit"], "m");
    assert_eq!(c["evidence"]["type"], "LineString");
    assert!(err.contains("setback_road"), "{err}");
}

#[test]
fn html_and_bcf_files() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let bcf = dir.path().join("r.bcf");
    let base = [
        "--model",
        TALL,
        "--site",
        "datasets/district",
        "--parcel",
        "DK-05-3",
        "--place",
        "528566,3386430,0",
        "--use",
        "住宅",
    ];
    let (code, _, err) = check(
        &[
            &base[..],
            &["--format", "html", "--out", html.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("height_planning"));
    // The twin's snapshots are embedded: the plan and the failed height check's view.
    assert!(page.contains("id=\"snapshot-plan\"><img class=\"snapshot\" alt=\"plan\" src=\"data:image/png;base64,iVBOR"));
    assert!(
        page.contains("id=\"snapshot-1\"><img"),
        "finding 1 has its snapshot"
    );
    let (code, _, err) = check(
        &[
            &base[..],
            &["--format", "bcf", "--out", bcf.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{err}");
    let bytes = std::fs::read(&bcf).unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip archive");
    // Each topic carries its finding's snapshot as a PNG.
    let snapshots = bytes.windows(13).filter(|w| w == b"/snapshot.png").count();
    assert!(
        snapshots >= 2,
        "snapshot.png named in the zip's local and central headers"
    );
    // BCF needs a file.
    let (code, _, err) = check(&[&base[..], &["--format", "bcf"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
}

#[test]
fn bad_input_exits_2_naming_it() {
    let site = ["--site", "datasets/district"];
    let place = ["--place", "528496,3386425,0"];
    // (extra arguments, what the message must name)
    let cases: [(Vec<&str>, &[&str]); 4] = [
        // An unknown parcel: named, with the parcels that exist.
        (
            [&["--model", HAUS, "--parcel", "DK-99"][..], &place].concat(),
            &["DK-99", "DK-05-1"],
        ),
        (
            vec![
                "--model",
                HAUS,
                "--parcel",
                "DK-05-1",
                "--place",
                "528496,north,0",
            ],
            &["--place", "north"],
        ),
        // Not an IFC file.
        (
            vec!["--model", "datasets/README.md", "--parcel", "DK-05-1"],
            &["README.md"],
        ),
        (
            [
                &["--model", HAUS, "--parcel", "DK-05-1", "--use", "宇宙飞船"][..],
                &place,
            ]
            .concat(),
            &["宇宙飞船"],
        ),
    ];
    for (args, named) in cases {
        let args = [&args[..], &site].concat();
        let (code, _, err) = check(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        for n in named {
            assert!(err.contains(n), "{args:?}: {err}");
        }
    }
}

#[test]
fn unplaced_model_is_never_a_pass() {
    // IfcOpenHouse has neither a map conversion nor an IfcSite location.
    let house = "datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc";
    let (code, out, _) = check(&[
        "--model",
        house,
        "--site",
        "datasets/district",
        "--parcel",
        "DK-05-1",
        "--use",
        "住宅",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(v["summary"]["overall"], "pass");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "data_completeness")
        .unwrap();
    assert_eq!(c["status"], "fail");
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "setback_road")
        .unwrap();
    assert_eq!(c["status"], "unverifiable");
    // The FZK house's IfcSite location is in Karlsruhe: thousands of km from the parcel,
    // so it is not taken as a placement on this site.
    let (code, out, _) = check(&[
        "--model",
        HAUS,
        "--site",
        "datasets/district",
        "--parcel",
        "DK-05-1",
        "--use",
        "住宅",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "data_completeness")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert!(
        c["explanation"]["en"].as_str().unwrap().contains("km"),
        "{}",
        c["explanation"]["en"]
    );
}

/// `zhishen render` on a failing setback of the demo district (P5: 4 m from the 长江大道
/// red line where 10 m is required): the finding's snapshot shows the footprint in the
/// violation colour, the red line and the measured segment where the twin's geometry
/// puts them. Colours are compared by hue, so any driver (lavapipe, llvmpipe) passes.
#[test]
fn render_snapshot_of_a_failing_setback_shows_footprint_red_line_and_segment() {
    use glam::Vec3;
    use zhishen_render::format::{palette, Layer, Mark};
    let dir = tempfile::tempdir().unwrap();
    let (png, glb) = (dir.path().join("f.png"), dir.path().join("t.glb"));
    let render = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_zhishen"))
            .current_dir(root())
            .arg("render")
            .args(args)
            .arg("--out")
            .arg(&png)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The review and its twin from files, then the finding's view from the GLB.
    let glb_s = glb.to_str().unwrap();
    render(
        &[
            "--model",
            TALL,
            "--site",
            "datasets/district",
            "--parcel",
            "DK-07",
        ]
        .iter()
        .chain(&[
            "--place",
            "528580,3386631.98,0",
            "--use",
            "商业",
            "--glb-out",
            glb_s,
        ])
        .copied()
        .collect::<Vec<_>>(),
    );
    let scene = zhishen_render::TwinScene::from_glb(&std::fs::read(&glb).unwrap()).unwrap();
    let checks: Vec<&str> = scene
        .meta
        .findings
        .iter()
        .map(|f| f.check.as_str())
        .collect();
    assert_eq!(
        checks,
        ["setback_road"],
        "the demo expects this one failure"
    );
    let f = &scene.meta.findings[0];
    assert_eq!(f.mark, Mark::Fail);
    render(&["--glb", glb_s, "--view", "finding:1", "--size", "960x640"]);
    let img = image(&std::fs::read(&png).unwrap());
    let index = zhishen_render::index::SceneIndex::new(&scene);
    let cam =
        zhishen_render::Camera::for_view(&index, &scene, zhishen_render::ViewSpec::Finding(1), 1.5)
            .unwrap();
    let px = |p: Vec3| {
        let (x, y, on) = cam.project(p, 960.0, 640.0);
        assert!(on, "{p} off screen");
        let i = 4 * (y as usize * 960 + x as usize);
        [img[i], img[i + 1], img[i + 2]]
    };
    let hue = |c: [u8; 3], want: [f32; 4]| {
        let v = Vec3::new(c[0] as f32, c[1] as f32, c[2] as f32);
        v.length() > 40.0
            && v.normalize()
                .dot(Vec3::new(want[0], want[1], want[2]).normalize())
                > 0.98
    };
    // The failing element, in the violation colour where its box says.
    let node = scene
        .nodes
        .iter()
        .position(|n| n.info.global_id.as_ref() == Some(&f.elements[0]))
        .unwrap();
    let b = index.node_boxes[node];
    assert!(hue(
        px(Vec3::new(b.center().x, b.max.y, b.center().z)),
        palette::FAIL
    ));
    // The measured segment, at its middle.
    let mid = Vec3::from(f.label_at.unwrap());
    assert!(
        hue(px(mid), palette::EVIDENCE),
        "segment middle {:?}",
        px(mid)
    );
    // Its ends: the evidence vertices farthest from the middle, on the ground plane.
    let ev = scene
        .nodes
        .iter()
        .find(|n| n.info.layer == Some(Layer::Evidence) && n.info.findings == [1])
        .unwrap();
    let t = Vec3::from(ev.translation);
    let flat = |p: Vec3| Vec3::new(p.x, 0.0, p.z);
    let far = scene.meshes[ev.mesh]
        .positions
        .iter()
        .map(|p| flat(Vec3::from(*p) + t - mid))
        .max_by(|a, b| a.length().total_cmp(&b.length()))
        .unwrap();
    // The end on the red line is the one away from the building.
    let centre = flat(b.center() - mid);
    let half = if far.dot(centre) > 0.0 { -far } else { far };
    let end = flat(mid) + half;
    // The red line runs across the segment there: 3 m either side of the end, within
    // 1.5 m of it along the segment (the end vertices carry the ribbon and post widths).
    let (along, across) = (
        half.normalize(),
        Vec3::new(-half.z, 0.0, half.x).normalize(),
    );
    for side in [-3.0f32, 3.0] {
        let red = (-30..=30).any(|k| {
            let p = end + across * side + along * (k as f32 * 0.05) + Vec3::new(0.0, 0.12, 0.0);
            hue(px(p), palette::RED_LINE)
        });
        assert!(red, "no red line 3 m beside the segment's end {end}");
    }
    // And not everywhere: the middle of the segment's side, 3 m off, is not red.
    assert!(!hue(px(flat(mid) + across * 3.0), palette::RED_LINE));
}

/// The PNG's RGBA bytes (8-bit RGBA, as the renderer writes it).
fn image(png_bytes: &[u8]) -> Vec<u8> {
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    r.next_frame(&mut buf).unwrap();
    buf
}

/// The site is read while the model loads, before the model's CRS is known; where
/// neither `--site-crs` nor site.toml names a CRS, the model's decides, as when the
/// site was read after it.
#[test]
fn the_model_s_crs_decides_a_package_that_names_none() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    for e in std::fs::read_dir(root().join("datasets/district")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), site.join(e.file_name())).unwrap();
    }
    let toml = std::fs::read_to_string(site.join("site.toml")).unwrap();
    let top = "crs = \"EPSG:4547\"\n";
    assert!(toml.starts_with("# ") && toml.contains(top));
    // Only the package-wide CRS goes (the first one, before any [[layer]]).
    std::fs::write(site.join("site.toml"), toml.replacen(top, "", 1)).unwrap();
    let site = site.to_str().unwrap();
    let source = |model: &str, extra: &[&str]| {
        let mut args = vec!["--model", model, "--site", site, "--parcel", "DK-05-1"];
        args.extend(extra);
        let (code, out, err) = check(&args);
        assert!(code == 0 || code == 1, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["inputs"]["site_crs_source"].as_str().unwrap().to_string()
    };
    // A georeferenced model (IfcMapConversion, EPSG:4547): the site is read again with it.
    assert_eq!(
        source("datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc", &[]),
        "model"
    );
    // A model without a CRS: the package's own choice, a projected layer's.
    assert_eq!(
        source(HAUS, &["--place", "528496,3386425,0"]),
        "projected_layer"
    );
    // --site-crs decides before either.
    assert_eq!(
        source(
            "datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc",
            &["--site-crs", "EPSG:4547"]
        ),
        "cli"
    );
}
