//! `zhishen calendar …` through the built binary.

use std::process::{Command, Output};

fn zhishen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhishen"))
        .args(args)
        .output()
        .expect("run zhishen")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn add_working_days_golden() {
    // 春节 2026-02-15..23 skipped, make-up Saturdays 2/14 and 2/28 counted.
    let o = zhishen(&["calendar", "add-working-days", "2026-02-12", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2026-03-18");
    // National Day 2025 (10/1–8) then the make-up Saturday 10/11.
    let o = zhishen(&["calendar", "add-working-days", "2025-09-30", "3"]);
    assert_eq!(stdout(&o), "2025-10-11");
}

#[test]
fn is_working_day_and_between() {
    let o = zhishen(&["calendar", "is-working-day", "2026-02-14"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "true"));
    let o = zhishen(&["calendar", "is-working-day", "2026-02-16"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "false"));
    let o = zhishen(&["calendar", "between", "2026-02-12", "2026-03-18"]);
    assert_eq!(stdout(&o), "20");
}

#[test]
fn bad_date_exits_2_naming_the_argument() {
    let o = zhishen(&["calendar", "add-working-days", "2026-02-30", "5"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("DATE") && e.contains("2026-02-30"), "{e}");
    assert!(stdout(&o).is_empty());
    let o = zhishen(&["calendar", "is-working-day", "tomorrow"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("DATE"));
}

#[test]
fn uncovered_year_exits_2_naming_the_year() {
    let o = zhishen(&["calendar", "add-working-days", "2027-03-01", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2027"), "{}", stderr(&o));
    // Running past the end of 2026 names 2027 too.
    let o = zhishen(&["calendar", "add-working-days", "2026-12-30", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2027"), "{}", stderr(&o));
}

#[test]
fn calendar_file_override() {
    let dir = std::env::temp_dir().join(format!("zhishen-cal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A 2027 calendar with one holiday on Monday 2027-01-04.
    let f = dir.join("2027.toml");
    std::fs::write(
        &f,
        "version = \"T-2027\"\nregion = \"110000\"\nyear = 2027\nsource = \"test\"\n\
         makeup_workdays = []\n[[holidays]]\nname = \"x\"\nfrom = \"2027-01-04\"\nto = \"2027-01-04\"\n",
    )
    .unwrap();
    let fs = f.to_str().unwrap();
    // Fri 1/1 + 1: Sat, Sun, Mon (holiday) → Tue 1/5.
    let o = zhishen(&[
        "calendar",
        "add-working-days",
        "2027-01-01",
        "1",
        "--calendar",
        fs,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2027-01-05");
    // With the override, 2026 is no longer covered.
    let o = zhishen(&["calendar", "is-working-day", "2026-03-02", "--calendar", fs]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2026"));
    // A broken or missing file is named.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "version = 1").unwrap();
    let o = zhishen(&[
        "calendar",
        "is-working-day",
        "2027-01-04",
        "--calendar",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
    let o = zhishen(&[
        "calendar",
        "is-working-day",
        "2027-01-04",
        "--calendar",
        "/nonexistent/cal.toml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/cal.toml"));
    std::fs::remove_dir_all(&dir).ok();
}
