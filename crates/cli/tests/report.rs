//! `zhishen report supervision` and `zhishen credit` end to end over a small
//! SQLite store whose figures are computed by hand below.

mod common;

use common::{defs_dir, BIN};
use std::process::Command;

struct Env {
    url: String,
    dir: tempfile::TempDir,
    defs: std::path::PathBuf,
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
        let defs = defs_dir(dir.path(), false);
        Env { url, dir, defs }
    }

    fn run(&self, args: &[&str]) -> Out {
        let o = Command::new(BIN)
            .args(args)
            .args(["--db", &self.url])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// `zhishen case …` at `day` 09:00 +08:00; must succeed.
    fn case(&self, day: &str, args: &[&str]) {
        let mut a = vec!["case"];
        a.extend_from_slice(args);
        let defs = self.defs.to_str().unwrap();
        a.extend_from_slice(&["--now", day, "--defs", defs]);
        let o = self.run(&a);
        assert_eq!(o.code, 0, "{args:?}: {}{}", o.stdout, o.stderr);
    }

    /// Case `id` with item LAND (promised 10 working days, 补正 pauses the clock)
    /// handed in, accepted and taken up on Monday 2026-03-02.
    fn land(&self, id: &str, name: &str) {
        let d = "2026-03-02";
        self.case(
            d,
            &[
                "create",
                id,
                "--project-code",
                "P-1",
                "--project-name",
                name,
                "--actor",
                "app-1",
            ],
        );
        let sub = ["submit", id, "--item", "LAND", "--materials", "app,plan"];
        self.case(d, &[&sub[..], &["--actor", "app-1"]].concat());
        self.case(d, &["accept", id, "--item", "LAND", "--actor", "clerk-1"]);
        self.case(
            d,
            &[
                "process", id, "--item", "LAND", "--actor", "rev-1", "--dept", "zrzy",
            ],
        );
    }

    fn conclude(&self, id: &str, day: &str) {
        self.case(
            day,
            &[
                "conclude",
                id,
                "--item",
                "LAND",
                "--outcome",
                "pass",
                "--actor",
                "rev-1",
                "--dept",
                "zrzy",
            ],
        );
    }

    fn report(&self, args: &[&str]) -> Out {
        let mut a = vec!["report", "supervision"];
        a.extend_from_slice(args);
        self.run(&a)
    }
}

/// Three LAND items accepted on 2026-03-02 and concluded in March, so in working
/// days (3/2, end]:
/// - C1 concluded 3/5: 3 (3, 4, 5);
/// - C2 concluded 3/18: 12 (3–6, 9–13, 16–18) > 10 promised: overdue, red;
/// - C3 with a 补正 3/3 → 3/6 (paused: 4, 5, 6 off the clock), concluded 3/16:
///   10 (补正 time included), counted 10 − 3 = 7: not overdue.
///
/// Mean 25 / 3 = 8.33…, p90 = rank ⌈0.9 × 3⌉ = 3 of (3, 10, 12) = 12; overdue 1/3,
/// 补正 1/3; the previous period (the 31 days before March) has none.
#[test]
fn supervision_report_figures_match_a_hand_computation() {
    let env = Env::new();
    env.land("C1", "一号项目");
    env.conclude("C1", "2026-03-05");
    env.land("C2", "<b>二号</b> & 项目");
    env.conclude("C2", "2026-03-18");
    env.land("C3", "三号项目");
    env.case(
        "2026-03-03",
        &[
            "supplement",
            "C3",
            "--item",
            "LAND",
            "--materials",
            "plan",
            "--note",
            "签章",
            "--actor",
            "rev-1",
            "--role",
            "reviewer",
            "--dept",
            "zrzy",
        ],
    );
    env.case(
        "2026-03-06",
        &[
            "supplement-done",
            "C3",
            "--item",
            "LAND",
            "--materials",
            "plan",
            "--actor",
            "app-1",
        ],
    );
    env.conclude("C3", "2026-03-16");

    let march = ["--from", "2026-03-01", "--to", "2026-03-31"];
    let o = env.report(&[&march[..], &["--format", "json"]].concat());
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let r: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(r["schema"], "zhishen.supervision/1");
    assert_eq!(r["cases"], 3);
    let h = &r["headline"];
    assert_eq!(h["items"]["count"], 3);
    let mean = h["items"]["mean_wd"].as_f64().unwrap();
    assert!((mean - 25.0 / 3.0).abs() < 1e-9, "{mean}");
    assert_eq!(h["items"]["p90_wd"], 12);
    assert_eq!(h["items_overdue"], 1);
    assert!((h["overdue_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(h["items_supplemented"], 1);
    assert!((h["supplement_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["previous_period"]["from"], "2026-01-29");
    assert_eq!(r["previous"]["items"]["count"], 0);
    assert_eq!(r["change"]["items"], 3);
    let item = &r["items"][0];
    assert_eq!(item["code"], "LAND");
    assert_eq!(item["promised_limit_wd"], 10);
    assert_eq!(item["statutory_limit_wd"], 20);
    assert_eq!(item["durations"]["p90_wd"], 12);
    let red = r["red"].as_array().unwrap();
    assert_eq!(red.len(), 1, "{red:?}");
    assert_eq!(red[0]["case_id"], "C2");
    assert_eq!(red[0]["remaining_wd"], -2);
    assert_eq!(r["yellow"].as_array().unwrap().len(), 0);
    assert_eq!(r["departments"][0]["department"], "zrzy");
    assert_eq!(r["risk"]["counts"]["none"], 3);

    // HTML: the same figures, inline SVG charts, every text escaped.
    let out = env.dir.path().join("r.html");
    let out_s = out.to_str().unwrap();
    let o = env.report(&[&march[..], &["--format", "html", "--out", out_s]].concat());
    assert_eq!(o.code, 0, "{}", o.stderr);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<svg"), "no chart");
    assert!(html.contains("id=\"sup-overdue\">33.3%<"), "overdue rate");
    assert!(html.contains("id=\"sup-p90\">12<"), "p90");
    assert!(
        html.contains("&lt;b&gt;二号&lt;/b&gt; &amp; 项目"),
        "escaped name"
    );
    assert!(!html.contains("<b>二号"), "unescaped name");

    // --from after --to, and a date that is none: exit 2 with the flag named.
    let o = env.report(&["--from", "2026-04-01", "--to", "2026-03-01"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("--from 2026-04-01") && o.stderr.contains("--to 2026-03-01"));
    let o = env.report(&["--from", "2026-02-30", "--to", "2026-03-01"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--from"), "{}", o.stderr);
}

/// 信用分级 from the CLI: a supervisor records two false declarations, the grade
/// falls (100 − 2 × 30 = 40 < 60: D); an account of another enterprise may not
/// object (exit 1, refused); the supervisor amends on objection.
#[test]
fn credit_regrade_object_and_decide() {
    let env = Env::new();
    let credit = |args: &[&str]| {
        let mut a = vec!["credit"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--now", "2026-03-02"]);
        env.run(&a)
    };
    for (i, k) in ["k1", "k2"].iter().enumerate() {
        let o = credit(&[
            "fact",
            "91440300MA5F",
            "--kind",
            "false-declaration",
            "--note",
            &format!("伪造证明 {i}"),
            "--actor",
            "sup-1",
            "--role",
            "supervisor",
            "--request-id",
            k,
        ]);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    }
    // Regrading counts 补正 in working days: the calendars must be published.
    env.case("2026-03-02", &["publish"]);
    let o = credit(&["regrade", "91440300MA5F"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ex: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(ex["state"]["grade"], "D", "{ex}");
    assert_eq!(ex["state"]["assessment"]["score"], 40, "{ex}");
    // No account of that enterprise: refused, exit 1.
    let o = credit(&[
        "object",
        "91440300MA5F",
        "--reason",
        "有误",
        "--actor",
        "app-x",
    ]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("not_enterprise_applicant"),
        "{}",
        o.stderr
    );
    let o = credit(&["show", "91440300MA5F"]);
    let shown: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "credit_fact_recorded",
            "credit_fact_recorded",
            "credit_grade_changed"
        ]
    );
    // An applicant account of the enterprise objects; the supervisor amends to C.
    let o = Command::new(BIN)
        .args([
            "user", "add", "--db", &env.url, "--id", "app-e", "--name", "甲",
        ])
        .args(["--role", "applicant", "--enterprise", "91440300MA5F"])
        .args(["--region", "440300"])
        .env("ZHISHEN_PASSWORD", "correct horse battery staple 9")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = credit(&[
        "object",
        "91440300MA5F",
        "--reason",
        "已整改",
        "--actor",
        "app-e",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // Only a supervisor decides.
    let o = credit(&[
        "decide",
        "91440300MA5F",
        "--amend",
        "c",
        "--reason",
        "复核",
        "--actor",
        "app-e",
        "--role",
        "applicant",
    ]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let o = credit(&[
        "decide",
        "91440300MA5F",
        "--amend",
        "c",
        "--reason",
        "复核",
        "--actor",
        "sup-1",
        "--role",
        "supervisor",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ex: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(ex["state"]["grade"], "C", "{ex}");
    let last = ex["events"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "credit_grade_changed");
    assert_eq!(last["event"]["cause"], "objection", "{last}");
    // Bad grade text: exit 2.
    let o = credit(&["decide", "91440300MA5F", "--amend", "E", "--reason", "x"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}
