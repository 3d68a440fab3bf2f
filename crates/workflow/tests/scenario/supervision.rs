//! The supervision report 效能监督报告: figures computed by hand on a small history,
//! and the whole report on 10,000 generated cases driven through the engine.

use super::common::*;
use zhishen_workflow::simulate::{simulate, SimConfig};
use zhishen_workflow::supervision::*;
use zhishen_workflow::*;

/// A mini case `id` whose item P (promised 10 wd, zrzy) is accepted on `acc` and,
/// with `done`, concluded 通过 on it (which completes the case).
fn p_case(id: &str, acc: &str, done: Option<&str>) -> Harness {
    let mut h = Harness {
        defs: mini(),
        case: None,
        log: vec![],
    };
    h.ok(
        Command::CreateCase {
            case_id: id.into(),
            project_code: "2603-440300-04-01-000001".into(),
            project_name: format!("项目 {id}"),
            applicant: "app-1".into(),
        },
        &applicant(),
        at(acc, 8),
    );
    h.submit("P", &["A"], acc);
    h.accept("P", acc);
    h.process("P", "zrzy", acc);
    if let Some(d) = done {
        h.conclude("P", "zrzy", Outcome::Pass, d);
    }
    h
}

fn rate(h: &mut Harness, score: u8, day: &str) {
    h.ok(
        Command::Rate {
            score,
            comment: String::new(),
        },
        &applicant(),
        at(day, 12),
    );
}

fn march() -> Period {
    Period {
        from: date("2026-03-01"),
        to: date("2026-03-31"),
    }
}

#[test]
fn five_cases_by_hand() {
    // Accepted 3/2 (Mon). Working days (3/2, end]:
    let mut c1 = p_case("C1", "2026-03-02", Some("2026-03-05")); // 3,4,5 = 3
    let c2 = p_case("C2", "2026-03-02", Some("2026-03-09")); // 3–6, 9 = 5
    let c3 = p_case("C3", "2026-03-02", Some("2026-03-12")); // 3–6, 9–12 = 8
    let mut c4 = p_case("C4", "2026-03-02", Some("2026-03-18")); // 3–6, 9–13, 16–18 = 12 > 10: overdue
                                                                 // C5: a 补正 (pause rule) 3/3 → 3/6 excludes 4,5,6 from the clock; concluded 3/16:
                                                                 // duration 10 working days (3–6, 9–13, 16; 补正 time included), counted 10 − 3 = 7.
    let mut c5 = p_case("C5", "2026-03-02", None);
    c5.ok(
        Command::RequestSupplement {
            item: "P".into(),
            materials: vec!["A".into()],
            note: "签章".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-03", 12),
    );
    c5.ok(
        Command::SupplementDone {
            item: "P".into(),
            materials: vec!["A".into()],
        },
        &applicant(),
        at("2026-03-06", 9),
    );
    c5.conclude("P", "zrzy", Outcome::Pass, "2026-03-16");
    // C6 runs: accepted 3/18, on 3/31 counted 19,20,23–27,30,31 = 9, 1 left of 10:
    // yellow (≤ max(2, ⌈0.2 × 10⌉) = 2).
    let mut c6 = p_case("C6", "2026-03-18", None);
    c6.ok(
        Command::RecordRisk {
            assessment: risk::RiskAssessment {
                level: risk::RiskLevel::Medium,
                rules: "test@1".into(),
                reasons: vec![],
            },
        },
        &Actor::system(),
        at("2026-03-25", 12),
    );
    // C7 concluded in April: outside the period.
    let c7 = p_case("C7", "2026-03-30", Some("2026-04-02"));
    rate(&mut c1, 5, "2026-03-20");
    rate(&mut c4, 2, "2026-03-20");
    let cases: Vec<Case> = [c1, c2, c3, c4, c5, c6, c7]
        .into_iter()
        .map(|h| h.case.unwrap())
        .collect();
    let defs = mini();
    let r = supervision_report(&ReportInput {
        cases: &cases,
        calendar: &defs.calendar,
        catalogue: &defs.catalogue,
        period: march(),
        region: None,
    });
    let h = &r.headline;
    // Sorted 3, 5, 8, 10, 12: mean 38 / 5 = 7.6; p90 rank ⌈0.9 × 5⌉ = 5 → 12.
    assert_eq!(h.items.count, 5);
    assert_eq!(h.items.mean_wd, Some(7.6));
    assert_eq!(h.items.p90_wd, Some(12));
    // Overdue: C4 only (C5 counted 7) → 1/5; 补正: C5 → 1/5.
    assert_eq!((h.items_overdue, h.overdue_rate), (1, Some(0.2)));
    assert_eq!((h.items_supplemented, h.supplement_rate), (1, Some(0.2)));
    // Ratings in March: 5 and 2 → mean 3.5, one 差评.
    assert_eq!(
        (
            r.satisfaction.count,
            r.satisfaction.mean,
            r.satisfaction.bad
        ),
        (2, Some(3.5), 1)
    );
    assert_eq!(r.satisfaction.by_level[0].score, 5);
    assert_eq!(r.satisfaction.by_level[0].count, 1);
    // The stage (one per case) joined with each 通过: 5 joins in March.
    assert_eq!(h.stages.count, 5);
    // Previous period: the 31 days before March, nothing concluded.
    assert_eq!(
        r.previous_period,
        Period {
            from: date("2026-01-29"),
            to: date("2026-02-28")
        }
    );
    assert_eq!(r.previous.items.count, 0);
    assert_eq!(r.change.items, 5);
    assert_eq!(r.change.mean_wd, None);
    // Lists: C4 red (concluded 2 days over), C6 yellow (1 left).
    let red: Vec<_> = r
        .red
        .iter()
        .map(|e| (e.case_id.as_str(), e.remaining_wd, e.running))
        .collect();
    assert_eq!(red, vec![("C4", -2, false)]);
    let yellow: Vec<_> = r
        .yellow
        .iter()
        .map(|e| (e.case_id.as_str(), e.remaining_wd))
        .collect();
    assert_eq!(yellow, vec![("C6", 1)]);
    // Recorded risk over 7 cases: C6 was raised to medium, the rest never assessed.
    assert_eq!(r.risk.source, "risk_changed");
    assert_eq!(r.risk.cases, 7);
    assert_eq!(r.risk.counts.get("medium"), Some(&1));
    assert_eq!(r.risk.counts.get("none"), Some(&6));
    assert_eq!(r.risk.counts.get("high"), Some(&0));
    // By warning light instead: 1 red (C4), 1 yellow (C6), 5 green.
    let lights = RiskDistribution::of(
        "warning_level",
        case_light_levels(&cases, &r.red, &r.yellow)
            .into_iter()
            .map(light_name),
    );
    assert_eq!(lights.counts.get("red"), Some(&1));
    assert_eq!(lights.counts.get("yellow"), Some(&1));
    assert_eq!(lights.counts.get("green"), Some(&5));
    // The item against its limits, the department ranked.
    let p = &r.items[0];
    assert_eq!(
        (p.code.as_str(), p.promised_limit_wd, p.statutory_limit_wd),
        ("P", Some(10), Some(20))
    );
    assert_eq!(
        (r.departments[0].rank, r.departments[0].department.as_str()),
        (1, "zrzy")
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn nearest_rank_percentile() {
    assert_eq!(nearest_rank(&[], 90), None);
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    // n = 10: rank ⌈9⌉ = 9; n = 11: rank ⌈9.9⌉ = 10.
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&v, 90), Some(9));
    let v: Vec<i64> = (1..=11).collect();
    assert_eq!(nearest_rank(&v, 90), Some(10));
    assert_eq!(nearest_rank(&v, 100), Some(11));
}

#[test]
fn ten_thousand_generated_cases() {
    let defs = demo();
    let cfg = SimConfig {
        seed: 12,
        cases: 10_000,
        start: date("2025-01-02"),
        span_days: 540,
        until: date("2026-06-30"),
        regions: vec!["440303".into(), "440304".into()],
        enterprises: 300,
    };
    let sim = simulate(&defs, &cfg).unwrap();
    assert_eq!(sim.len(), 10_000);
    let again = simulate(
        &defs,
        &SimConfig {
            cases: 50,
            ..cfg.clone()
        },
    )
    .unwrap();
    assert_eq!(again[49].case, sim[49].case, "same seed, same history");
    let day = Period {
        from: date("2026-03-03"),
        to: date("2026-03-03"),
    };
    let logs: Vec<Vec<Event>> = sim
        .iter()
        .map(|s| s.log.iter().map(|(e, _)| e.clone()).collect())
        .collect();
    let cases: Vec<Case> = sim.into_iter().map(|s| s.case).collect();
    subset_matches_a_count_by_hand(&defs, &cases, &logs, day);
    let period = Period {
        from: date("2026-01-01"),
        to: date("2026-06-30"),
    };
    let r = supervision_report(&ReportInput {
        cases: &cases,
        calendar: &defs.calendar,
        catalogue: &defs.catalogue,
        period,
        region: None,
    });
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    // The report agrees with the live metrics' counting on the same items.
    let m = metrics(&cases, date("2026-06-30"), &defs.calendar);
    let total: u64 = r.items.iter().map(|i| i.durations.count).sum();
    assert_eq!(total, r.headline.items.count);
    assert!(r.headline.items.count > 10_000 && r.headline.items.count < m.items_concluded);
    assert!(r.previous.items.count > 10_000);
    // Overdue and 补正 happen by construction (1.3 × limit, 30 %).
    let sr = r.headline.supplement_rate.unwrap();
    assert!((0.25..0.35).contains(&sr), "{sr}");
    assert!(r.headline.overdue_rate.unwrap() > 0.0);
    assert!(!r.red.is_empty() && !r.yellow.is_empty());
    assert_eq!(r.risk.cases, 10_000);
    let depts: std::collections::BTreeSet<&str> =
        r.items.iter().map(|i| i.department.as_str()).collect();
    assert_eq!(r.departments.len(), depts.len());
    assert!(r
        .departments
        .windows(2)
        .all(|w| w[0].overdue_rate <= w[1].overdue_rate));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["schema"], "zhishen.supervision/1");
}

/// One concluded item counted from its case's events alone: working days in
/// (受理, 办结] stepped one day at a time through the calendar, and whether a 补正
/// was asked (before or after 受理).
struct ByHand {
    item: String,
    wd: i64,
    supplemented: bool,
}

fn count_by_hand(defs: &Definitions, log: &[Event], p: Period) -> Vec<ByHand> {
    let mut accepted = std::collections::BTreeMap::new();
    let mut supplemented = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for e in log {
        match e {
            Event::ItemAccepted {
                item, accepted_on, ..
            } => {
                accepted.insert(item.clone(), *accepted_on);
            }
            Event::SupplementRequested { item, .. } => {
                supplemented.insert(item.clone());
            }
            Event::SpecialStarted { .. } => panic!("the generator has no 特别程序"),
            Event::ItemConcluded { item, at, .. } => {
                let done = at.date_naive();
                if done < p.from || done > p.to {
                    continue;
                }
                let mut d = accepted[item];
                let mut wd = 0;
                while d < done {
                    d = d.succ_opt().unwrap();
                    if defs.calendar.is_working_day(d).unwrap() {
                        wd += 1;
                    }
                }
                out.push(ByHand {
                    item: item.clone(),
                    wd,
                    supplemented: supplemented.contains(item),
                });
            }
            _ => {}
        }
    }
    out
}

/// The report over all 10,000 cases for one day: the number of items concluded
/// that day, and the row of the item with the fewest (a handful), match a count
/// made from the events alone — mean, nearest-rank p90 and 补正 rate.
fn subset_matches_a_count_by_hand(
    defs: &Definitions,
    cases: &[Case],
    logs: &[Vec<Event>],
    day: Period,
) {
    let r = supervision_report(&ReportInput {
        cases,
        calendar: &defs.calendar,
        catalogue: &defs.catalogue,
        period: day,
        region: None,
    });
    let hand: Vec<ByHand> = logs
        .iter()
        .flat_map(|l| count_by_hand(defs, l, day))
        .collect();
    assert_eq!(r.headline.items.count, hand.len() as u64);
    let row = r
        .items
        .iter()
        .filter(|i| i.durations.count >= 3)
        .min_by_key(|i| i.durations.count)
        .expect("an item concluded at least three times that day");
    let mut wd: Vec<i64> = hand
        .iter()
        .filter(|h| h.item == row.code)
        .map(|h| h.wd)
        .collect();
    wd.sort_unstable();
    let n = wd.len();
    assert!((3..=40).contains(&n), "a small subset: {n} {}", row.code);
    assert_eq!(row.durations.count, n as u64);
    let mean = wd.iter().sum::<i64>() as f64 / n as f64;
    assert!((row.durations.mean_wd.unwrap() - mean).abs() < 1e-9);
    // Nearest rank: the value at rank ⌈0.9 n⌉, i.e. index ⌈9n/10⌉ − 1.
    assert_eq!(row.durations.p90_wd, Some(wd[(9 * n).div_ceil(10) - 1]));
    let supp = hand
        .iter()
        .filter(|h| h.item == row.code && h.supplemented)
        .count();
    assert_eq!(row.supplement_rate, Some(supp as f64 / n as f64));
}
