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
