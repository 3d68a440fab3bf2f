//! BIM review jobs through the real binary on SQLite: `case submit-model` →
//! `case run-jobs` → findings on the case; 补正 → resubmission → the recorded
//! difference; a bad-input job fails without findings; `audit verify` passes.

mod common;

use common::{defs_dir, repo, BIN};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const NOW: &str = "2026-03-02T09:00:00+08:00";
const FAILING: &str = "528580,3386631.98,0";
const FIXED: &str = "528580,3386650,0";

struct Env {
    url: String,
    dir: tempfile::TempDir,
    defs: PathBuf,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.db").display());
        let defs = defs_dir(dir.path(), true);
        Env { url, dir, defs }
    }

    fn case(&self, args: &[&str]) -> Out {
        let o = Command::new(BIN)
            .arg("case")
            .args(args)
            .args(["--db", &self.url, "--now", NOW])
            .args(["--defs", self.defs.to_str().unwrap()])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> Out {
        let o = self.case(args);
        assert_eq!(o.code, 0, "{args:?}: {}{}", o.stdout, o.stderr);
        o
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a).stdout).unwrap()
    }

    fn submit_model(&self, case: &str, item: &str, parcel: &str, place: &str) -> Out {
        self.submit_declared(case, item, (parcel, place), "")
    }

    fn submit_declared(&self, case: &str, item: &str, at: (&str, &str), declared: &str) -> Out {
        let (parcel, place) = at;
        let model = repo().join("datasets/ifc/TallBuilding_Revit2021_IFC2x3.ifc");
        let site = repo().join("datasets/district");
        self.case(&[
            "submit-model",
            "--case",
            case,
            "--item",
            item,
            "--model",
            model.to_str().unwrap(),
            "--site",
            site.to_str().unwrap(),
            "--parcel",
            parcel,
            "--place",
            place,
            "--use",
            "商业",
            "--declared",
            declared,
        ])
    }

    fn open_case(&self, case: &str) {
        self.ok(&[
            "create",
            case,
            "--project-code",
            "2026-000000-00-00-000001",
            "--project-name",
            "审查测试",
            "--actor",
            "app-1",
        ]);
        self.ok(&[
            "submit",
            case,
            "--item",
            "LAND",
            "--materials",
            "app,plan",
            "--actor",
            "app-1",
        ]);
        self.ok(&["accept", case, "--item", "LAND"]);
    }
}

/// The latest review recorded on an item, from `case show --json`.
fn reviews(env: &Env, case: &str, item: &str) -> Vec<Value> {
    let v = env.json(&["show", case]);
    let it = v["case"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == item)
        .unwrap()
        .clone();
    it["reviews"].as_array().unwrap().clone()
}

fn open_ids(review: &Value) -> Vec<String> {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn review_job_findings_and_resubmission_diff() {
    let env = Env::new();
    env.open_case("R1");

    // An unknown case or item names nothing: exit 2, as `case show` of a missing case
    // (one mapping, AppError::NotFound). An item without bim_review is a refusal: exit 1.
    let o = env.submit_model("NOPE", "LAND", "DK-07", FAILING);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("不存在") && o.stderr.contains("does not exist"));
    assert_eq!(
        env.case(&["show", "NOPE"]).code,
        2,
        "case show of a missing case"
    );
    let o = env.submit_model("R1", "XYZ", "DK-07", FAILING);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = env.submit_model("R1", "EIA", "DK-07", FAILING);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("bim_review"), "{}", o.stderr);

    // First submission: setback_road fails and becomes a finding.
    let o = env.submit_model("R1", "LAND", "DK-07", FAILING);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ran = env.json(&["run-jobs"]);
    assert_eq!(ran.as_array().unwrap().len(), 1, "{ran}");
    assert_eq!(ran[0]["job"]["status"], "done", "{ran}");
    let first_report = ran[0]["job"]["report_sha256"].as_str().unwrap().to_string();
    let rs = reviews(&env, "R1", "LAND");
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0]["report_sha256"], first_report.as_str());
    assert!(rs[0].get("diff").is_none(), "first review has no diff");
    let f = rs[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "setback_road")
        .unwrap_or_else(|| panic!("setback_road finding: {}", rs[0]));
    assert_eq!(f["status"], "fail");
    assert!(f["message"].as_str().unwrap().contains("限值"), "{f}");
    // The report blob is stored beside the database.
    let blob = env
        .dir
        .path()
        .join("blobs")
        .join(&first_report[..2])
        .join(&first_report[2..]);
    assert!(blob.is_file(), "{}", blob.display());
    // Nothing left to run.
    assert_eq!(env.json(&["run-jobs"]).as_array().unwrap().len(), 0);

    // 补正 after 受理, then the corrected model.
    env.ok(&[
        "supplement",
        "R1",
        "--item",
        "LAND",
        "--materials",
        "plan",
        "--note",
        "道路退线不足",
        "--role",
        "reviewer",
        "--dept",
        "zrzy",
    ]);
    env.ok(&[
        "supplement-done",
        "R1",
        "--item",
        "LAND",
        "--materials",
        "plan",
        "--actor",
        "app-1",
    ]);
    let o = env.submit_model("R1", "LAND", "DK-07", FIXED);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ran = env.json(&["run-jobs"]);
    assert_eq!(ran[0]["job"]["status"], "done", "{ran}");
    let rs = reviews(&env, "R1", "LAND");
    assert_eq!(rs.len(), 2);
    assert!(!open_ids(&rs[1]).contains(&"setback_road".to_string()));
    let diff = &rs[1]["diff"];
    assert_eq!(diff["previous_report_sha256"], first_report.as_str());
    assert!(
        diff["resolved"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "setback_road"),
        "{diff}"
    );
    assert_eq!(ran[0]["diff"], *diff);
    // The same difference is in the review_recorded event of the log.
    let ev = env.json(&["show", "R1"]);
    let last = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["kind"] == "review_recorded")
        .unwrap()
        .clone();
    assert_eq!(last["payload"]["diff"], *diff);

    let o = Command::new(BIN)
        .args(["audit", "verify", "--db", &env.url])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Issue 12's acceptance: a declared GFA 10 % below the model's is a finding with both
/// values. The model's GFA is 269.04 m² (its four storeys' slabs, see `zhishen check`);
/// 0.9 × 269.04 = 242.13 m² declared, 4 storeys declared as 4 (a match).
#[test]
fn a_declared_gfa_ten_percent_low_is_a_finding_with_both_values() {
    let env = Env::new();
    env.open_case("D1");
    let o = env.submit_declared("D1", "LAND", ("DK-07", FIXED), "gfa=abc");
    assert_eq!(o.code, 2, "bad declaration is bad input: {}", o.stderr);
    assert!(o.stderr.contains("gfa"), "{}", o.stderr);
    let o = env.submit_declared("D1", "LAND", ("DK-07", FIXED), "gfa=242.13,storeys_above=4");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ran = env.json(&["run-jobs"]);
    assert_eq!(ran[0]["job"]["status"], "done", "{ran}");
    let rs = reviews(&env, "D1", "LAND");
    let ids = open_ids(&rs[0]);
    assert!(
        !ids.contains(&"declared_storeys_above".to_string()),
        "{ids:?}"
    );
    let f = rs[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "declared_gfa")
        .unwrap_or_else(|| panic!("declared_gfa finding: {}", rs[0]));
    assert_eq!(f["status"], "fail");
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains("申报 declared 242.13") && m.contains("模型 model 269.03"),
        "{m}"
    );
    assert!(m.contains("242.13 m²") && m.contains("269.04 m²"), "{m}");

    // 风险预警: the mismatch makes the case high risk, recorded once.
    let changes = env.json(&["risk"]);
    let d1 = changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_id"] == "D1")
        .unwrap_or_else(|| panic!("{changes}"));
    assert_eq!(d1["assessment"]["level"], "high");
    assert_eq!(d1["assessment"]["reasons"][0]["rule"], "declared_mismatch");
    assert_eq!(
        env.json(&["risk"]).as_array().unwrap().len(),
        0,
        "unchanged: nothing recorded"
    );
}

/// 材料核验 from the command line: a file is checked by content (the test catalogue
/// names no kind, so a PDF is expected) and recorded; `case materials` shows it.
#[test]
fn case_attach_checks_the_file_and_case_materials_lists_it() {
    let env = Env::new();
    env.open_case("M1");
    let pdf = env.dir.path().join("app.pdf");
    std::fs::write(&pdf, zhishen_testkit::pdf::pdf(1)).unwrap();
    let ifc = repo().join("datasets/ifc/TallBuilding_Revit2021_IFC2x3.ifc");
    let attach = |file: &std::path::Path, material: &str| {
        env.case(&[
            "attach",
            "--case",
            "M1",
            "--item",
            "LAND",
            "--material",
            material,
            "--file",
            file.to_str().unwrap(),
            "--actor",
            "app-1",
        ])
    };
    let o = attach(&ifc, "app");
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("expected PDF"), "{}", o.stderr);
    assert_eq!(
        attach(&pdf, "nope").code,
        2,
        "an unknown material is bad input"
    );
    let o = attach(&pdf, "app");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("material_attached"), "{}", o.stdout);
    let lines = env.json(&["materials", "M1", "--item", "LAND"]);
    let app = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "app")
        .unwrap();
    assert_eq!(app["status"], "attached");
    assert_eq!(app["attachment"]["kind"], "pdf");
    assert_eq!(app["attachment"]["pages"], 1);
}

#[test]
fn bad_input_job_fails_without_findings() {
    let env = Env::new();
    env.open_case("R2");
    let o = env.submit_model("R2", "LAND", "DK-99", FAILING);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ran = env.json(&["run-jobs"]);
    let job = &ran[0]["job"];
    assert_eq!(job["status"], "failed", "{ran}");
    assert!(job["report_sha256"].is_null());
    assert!(
        job["error"].as_str().unwrap().contains("DK-99"),
        "the message names the parcel: {ran}"
    );
    assert!(reviews(&env, "R2", "LAND").is_empty(), "no findings");
    let ev = env.json(&["show", "R2"]);
    assert!(!ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "review_recorded"));
}
