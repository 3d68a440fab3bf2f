//! Working-day calendar: golden dates (hand-checked against the State Council
//! arrangements), errors for uncovered years and bad files, and the laws of
//! add / between.

mod common;
use common::date;
use proptest::prelude::*;
use zhishen_workflow::{demo, Calendar, WorkflowError};

fn cal() -> Calendar {
    demo::calendar().unwrap()
}

#[test]
fn golden_2026_02_12_plus_20_is_03_18() {
    // Weekday-only counting would give 2026-03-12: 春节 2/15–23 is skipped,
    // and the 调休 Saturdays 2/14 and 2/28 count.
    assert_eq!(
        cal().add_working_days(date("2026-02-12"), 20).unwrap(),
        date("2026-03-18")
    );
    assert_eq!(
        cal()
            .working_days_between(date("2026-02-12"), date("2026-03-18"))
            .unwrap(),
        20
    );
    assert_eq!(
        cal()
            .working_days_between(date("2026-03-18"), date("2026-02-12"))
            .unwrap(),
        -20
    );
}

#[test]
fn hand_checked_dates_2025_2026() {
    let c = cal();
    let cases = [
        // 2025 National Day + Mid-Autumn 10/1–8: next working day is Thu 10/9.
        ("2025-09-30", 1, "2025-10-09"),
        // Sat 9/27 rest, Sun 9/28 make-up working day.
        ("2025-09-26", 2, "2025-09-29"),
        // Make-up Saturday 2025-10-11.
        ("2025-10-10", 1, "2025-10-11"),
        // 9/30 + 5: 10/9, 10/10, 10/11 (Sat, make-up), 10/13, 10/14.
        ("2025-09-30", 5, "2025-10-14"),
        // 2025 Spring Festival 1/28–2/4.
        ("2025-01-27", 1, "2025-02-05"),
        // Sunday 2025-01-26 is a make-up working day.
        ("2025-01-24", 1, "2025-01-26"),
        // Dragon Boat 5/31–6/2: 6/3, 6/4, 6/5.
        ("2025-05-30", 3, "2025-06-05"),
        // Year boundary: 2026 New Year 1/1–3, Sunday 1/4 is worked.
        ("2025-12-31", 1, "2026-01-04"),
        // 2026 National Day 10/1–7.
        ("2026-09-30", 1, "2026-10-08"),
        // Make-up Saturday 2026-10-10.
        ("2026-10-09", 1, "2026-10-10"),
        // Labour Day 5/1–5, make-up Saturday 5/9.
        ("2026-04-30", 3, "2026-05-08"),
        ("2026-04-30", 4, "2026-05-09"),
        // n = 0 is the start itself.
        ("2026-02-15", 0, "2026-02-15"),
    ];
    for (start, n, want) in cases {
        assert_eq!(
            c.add_working_days(date(start), n).unwrap(),
            date(want),
            "{start} + {n}"
        );
    }
}

#[test]
fn working_day_flags() {
    let c = cal();
    for (d, w) in [
        ("2026-02-14", true),  // Saturday make-up
        ("2026-02-16", false), // Monday in 春节
        ("2026-02-21", false), // Saturday in 春节
        ("2026-03-07", false), // ordinary Saturday
        ("2026-03-09", true),  // ordinary Monday
        ("2025-10-08", false), // Wednesday, last day of National Day 2025
        ("2025-04-27", true),  // Sunday make-up
    ] {
        assert_eq!(c.is_working_day(date(d)).unwrap(), w, "{d}");
    }
}

#[test]
fn whole_year_counts() {
    // 2025: 261 weekdays − 18 weekday holidays + 5 make-up days = 248.
    // 2026: 261 weekdays − 19 weekday holidays + 6 make-up days = 248.
    let c = cal();
    assert_eq!(
        c.working_days_between(date("2025-01-01"), date("2025-12-31"))
            .unwrap(),
        248
    );
    assert_eq!(
        c.working_days_between(date("2026-01-01"), date("2026-12-31"))
            .unwrap(),
        248
    );
}

#[test]
fn uncovered_year_is_an_error_not_a_guess() {
    let c = cal();
    let e = c.is_working_day(date("2024-05-01")).unwrap_err();
    assert_eq!(e.uncovered_year(), Some(2024));
    assert!(e.to_string().contains("2024"), "{e}");
    // Crossing into 2027 fails naming 2027.
    let e = c.add_working_days(date("2026-12-30"), 5).unwrap_err();
    assert_eq!(e.uncovered_year(), Some(2027));
    assert!(c
        .working_days_between(date("2026-12-01"), date("2027-01-05"))
        .is_err());
}

#[test]
fn versions_and_merge() {
    let c = cal();
    assert_eq!(c.version(), "CN-2025.1+CN-2026.1");
    assert_eq!(c.region(), "000000");
    assert_eq!(c.covered_years(), vec![2025, 2026]);
    let one = Calendar::from_toml(demo::CALENDAR_2026).unwrap();
    assert_eq!(one.version(), "CN-2026.1");
    // The same year twice is refused.
    let e = one.clone().merge(one).unwrap_err();
    assert!(matches!(e, WorkflowError::Mismatch(_)), "{e}");
}

#[test]
fn bad_calendar_files_name_the_field() {
    let base = demo::CALENDAR_2026;
    // A weekday listed as make-up day.
    let t = base.replace("\"2026-01-04\"", "\"2026-01-05\"");
    let e = Calendar::from_toml(&t).unwrap_err().to_string();
    assert!(
        e.contains("makeup_workdays[0]") && e.contains("weekday"),
        "{e}"
    );
    // Not a date.
    let t = base.replace("from = \"2026-02-15\"", "from = \"2026-02-30\"");
    let e = Calendar::from_toml(&t).unwrap_err().to_string();
    assert!(e.contains("holidays[1]") && e.contains("2026-02-30"), "{e}");
    // A date from another year.
    let t = base.replace("to = \"2026-10-07\"", "to = \"2027-10-07\"");
    let e = Calendar::from_toml(&t).unwrap_err().to_string();
    assert!(e.contains("holidays[6]") && e.contains("2026"), "{e}");
    // Unknown field (typo) and bad region.
    assert!(Calendar::from_toml(&base.replace("makeup_workdays", "makeup_days")).is_err());
    let e = Calendar::from_toml(&base.replace("\"000000\"", "\"CN\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("region"), "{e}");
}

fn any_day() -> impl Strategy<Value = chrono::NaiveDate> {
    // Start dates in 2025 and the first half of 2026, so +n (≤ 120) stays covered.
    (0u64..540).prop_map(|o| date("2025-01-01") + chrono::Days::new(o))
}

proptest! {
    #[test]
    fn add_lands_on_a_working_day(d in any_day(), n in 1u32..120) {
        let c = cal();
        let r = c.add_working_days(d, n).unwrap();
        prop_assert!(c.is_working_day(r).unwrap());
        prop_assert!(r > d);
    }

    #[test]
    fn between_inverts_add(d in any_day(), n in 0u32..120) {
        let c = cal();
        let r = c.add_working_days(d, n).unwrap();
        prop_assert_eq!(c.working_days_between(d, r).unwrap(), i64::from(n));
        prop_assert_eq!(c.working_days_between(r, d).unwrap(), -i64::from(n));
    }

    #[test]
    fn add_is_monotonic(d in any_day(), n in 0u32..100, k in 0u32..20, shift in 0u64..30) {
        let c = cal();
        // in n
        prop_assert!(c.add_working_days(d, n).unwrap() <= c.add_working_days(d, n + k).unwrap());
        // in the start date
        let later = d + chrono::Days::new(shift);
        prop_assert!(c.add_working_days(d, n).unwrap() <= c.add_working_days(later, n).unwrap());
    }
}
