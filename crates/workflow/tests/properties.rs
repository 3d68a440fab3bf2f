//! Property tests on the engine: random command sequences never panic, the
//! events `decide` returns always apply consistently, refusals change nothing,
//! and the clock never counts a paused interval.

mod common;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use common::*;
use proptest::prelude::*;
use zhishen_workflow::clock::{counted_days, local_date};
use zhishen_workflow::model::StageStatus;
use zhishen_workflow::*;

#[derive(Debug, Clone)]
struct Op {
    kind: u8,
    item: usize,
    mask: u8,
    param: u8,
    actor: u8,
    hours: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u8..64,
        0usize..16,
        any::<u8>(),
        any::<u8>(),
        0u8..16,
        0i64..48,
    )
        .prop_map(|(kind, item, mask, param, actor, hours)| Op {
            kind,
            item,
            mask,
            param,
            actor,
            hours,
        })
}

fn pick<T: Clone>(v: &[T], mask: u8) -> Vec<T> {
    v.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
        .map(|(_, x)| x.clone())
        .collect()
}

/// Build a command (and the actor) from random choices; mostly plausible ones.
fn build(op: &Op, defs: &Definitions, case: &Case) -> (Command, Actor) {
    let items: Vec<&ItemDef> = defs.catalogue.items.iter().collect();
    // Mostly items of the open stage (or already received), so sequences get far.
    let live: Vec<&ItemDef> = items
        .iter()
        .copied()
        .filter(|d| {
            case.item(&d.code).is_some_and(|i| {
                i.state != ItemState::Waiting || case.stages[i.stage].status == StageStatus::Open
            })
        })
        .collect();
    let def = if op.item < 13 && !live.is_empty() {
        live[op.item % live.len()]
    } else {
        items[op.item % items.len()]
    };
    let item = def.code.clone();
    let dept = def.department.as_str();
    let mats: Vec<String> = def.materials.iter().map(|m| m.code.clone()).collect();
    let coms: Vec<String> = def
        .materials
        .iter()
        .filter(|m| m.commitment)
        .map(|m| m.code.clone())
        .collect();
    // Everything handed in most of the time, a random subset otherwise.
    let chosen = if op.mask < 160 {
        mats.clone()
    } else {
        pick(&mats, op.mask)
    };
    // Kinds ≥ 19 pick a command that fits the item's state (a guided walk),
    // so sequences reach late stages; lower kinds are uniformly random.
    let kind = if op.kind < 19 {
        op.kind
    } else {
        let st = case.item(&def.code).map_or(ItemState::Waiting, |i| i.state);
        let choices: &[u8] = match st {
            ItemState::Waiting => &[0],
            ItemState::Received => &[1, 1, 1, 1, 1, 3, 18],
            ItemState::Accepted => &[6, 6, 6, 3, 7, 11, 9, 5],
            ItemState::Processing => &[12, 12, 12, 11, 11, 7, 3, 9, 10, 5, 18],
            ItemState::Supplementing { .. } => &[4],
            ItemState::Special { .. } => &[8, 8, 10],
            ItemState::Concluded { .. } => &[15, 5, 18, 16, 18],
            _ => &[18, 16],
        };
        choices[usize::from(op.param) % choices.len()]
    };
    let (cmd, natural) = match kind {
        0 => (
            Command::Submit {
                item,
                materials: chosen,
                commitments: pick(&coms, op.param),
            },
            applicant(),
        ),
        1 => (Command::Accept { item }, clerk()),
        2 => (
            Command::Reject {
                item,
                reason: "不符合受理条件".into(),
            },
            clerk(),
        ),
        3 => (
            Command::RequestSupplement {
                item,
                materials: pick(&mats, op.mask | 1),
                note: "补正".into(),
            },
            if op.param.is_multiple_of(2) {
                clerk()
            } else {
                reviewer(dept)
            },
        ),
        4 => {
            let requested = case
                .item(&def.code)
                .map(|i| i.requested.clone())
                .unwrap_or_default();
            (
                Command::SupplementDone {
                    item,
                    materials: if op.mask < 200 { requested } else { chosen },
                },
                applicant(),
            )
        }
        5 => {
            let missing: Vec<String> = case
                .item(&def.code)
                .and_then(|i| i.rongque.as_ref())
                .map(|r| r.missing.iter().cloned().collect())
                .unwrap_or_default();
            (
                Command::SupplyMaterials {
                    item,
                    materials: if op.mask < 200 { missing } else { chosen },
                },
                applicant(),
            )
        }
        6 => (Command::StartProcessing { item }, reviewer(dept)),
        7 => (
            Command::StartSpecial {
                item,
                kind: SpecialKind::ExpertReview,
                reason: "专家评审".into(),
                limit_wd: Some(u32::from(op.param % 20)),
            },
            reviewer(dept),
        ),
        8 => (
            Command::EndSpecial {
                item,
                result: "完成".into(),
            },
            reviewer(dept),
        ),
        9 => (
            Command::RequestExtension {
                item,
                days: u32::from(op.param % 12),
                reason: "复杂".into(),
            },
            reviewer(dept),
        ),
        10 => (
            Command::ApproveExtension {
                item,
                approved: !op.param.is_multiple_of(3),
            },
            head(dept),
        ),
        11 => (
            Command::RecordReview {
                item,
                report_sha256: "ab".repeat(32),
                findings: vec![],
            },
            reviewer(dept),
        ),
        12 => (
            Command::Conclude {
                item,
                outcome: match op.mask % 16 {
                    0 => Outcome::Fail,
                    1..=4 => Outcome::PassRongque,
                    _ => Outcome::Pass,
                },
                opinion: "意见".into(),
            },
            reviewer(dept),
        ),
        13 => (
            Command::Withdraw {
                item,
                reason: "撤".into(),
            },
            applicant(),
        ),
        14 => (
            Command::Revoke {
                item,
                reason: "违法".into(),
            },
            supervisor(),
        ),
        15 => (
            Command::RecordCheck {
                item,
                compliant: op.param.is_multiple_of(2),
                note: "核查".into(),
            },
            reviewer(dept),
        ),
        16 => (
            Command::Rate {
                score: op.param % 7,
                comment: "".into(),
            },
            applicant(),
        ),
        _ => {
            let t = timers(case);
            let id = if t.is_empty() || op.param == 255 {
                "bogus:X".to_string()
            } else {
                t[usize::from(op.param) % t.len()].id.clone()
            };
            (Command::FireTimer { timer_id: id }, Actor::system())
        }
    };
    let others = [
        applicant(),
        clerk(),
        reviewer("zrzy"),
        reviewer("zjj"),
        head("zrzy"),
        supervisor(),
        Actor::new("aud", Role::Auditor, None),
        Actor::system(),
        Actor::new("app-2", Role::Applicant, None),
    ];
    let actor = if op.actor < 14 {
        natural
    } else {
        others[usize::from(op.actor) % others.len()].clone()
    };
    (cmd, actor)
}

/// Working days in `(base, end]` outside every interval, computed per interval
/// (intervals must not overlap) rather than day by day.
fn counted_by_intervals(it: &ItemCase, cal: &Calendar, today: NaiveDate) -> i64 {
    let base = it.clock.baseline.unwrap();
    let end = it.clock.stopped_on.map_or(today, |s| s.min(today));
    if end <= base {
        return 0;
    }
    let mut n = cal.working_days_between(base, end).unwrap();
    for iv in &it.clock.excluded {
        let from = iv.from.max(base);
        let to = iv.to.unwrap_or(end).min(end);
        if to > from {
            n -= cal.working_days_between(from, to).unwrap();
        }
    }
    n
}

fn check_invariants(c: &Case, defs: &Definitions, now: DateTime<FixedOffset>) {
    let cal = &defs.calendar;
    let today = local_date(now);
    // Stages: joined …, at most one open, pending … (a failed stage ends the case).
    let st: Vec<StageStatus> = c.stages.iter().map(|s| s.status).collect();
    assert!(st.iter().filter(|s| **s == StageStatus::Open).count() <= 1);
    if let Some(i) = st.iter().position(|s| *s != StageStatus::Joined) {
        assert!(
            st[i + 1..].iter().all(|s| *s == StageStatus::Pending),
            "{st:?}"
        );
    }
    match c.status {
        CaseStatus::Completed => assert!(st.iter().all(|s| *s == StageStatus::Joined)),
        CaseStatus::Terminated => assert!(st.contains(&StageStatus::Failed)),
        CaseStatus::Open => assert!(!st.contains(&StageStatus::Failed)),
    }
    for it in &c.items {
        if st[it.stage] == StageStatus::Pending {
            assert_eq!(
                it.state,
                ItemState::Waiting,
                "{} received in a pending stage",
                it.code
            );
        }
        if it.clock.baseline.is_none() {
            continue;
        }
        // Intervals are ordered, closed except possibly the last, and do not overlap.
        for w in it.clock.excluded.windows(2) {
            let to = w[0].to.expect("only the last interval may be open");
            assert!(to <= w[1].from, "{:?}", it.clock.excluded);
        }
        if matches!(today.year(), 2025 | 2026) {
            let direct = counted_days(&it.clock, cal, today).unwrap();
            assert_eq!(direct, counted_by_intervals(it, cal, today), "{}", it.code);
            // While paused nothing is counted, however long the pause lasts.
            if it.clock.paused() && it.clock.stopped_on.is_none() {
                let later = today + chrono::Days::new(10);
                if later.year() == today.year() {
                    assert_eq!(counted_days(&it.clock, cal, later).unwrap(), direct);
                }
            }
        }
    }
    let t = timers(c);
    let mut ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), t.len(), "timer ids must be unique");
}

fn run(defs: Definitions, ops: Vec<Op>) {
    let mut h = Harness::new(defs, "2026-01-05");
    let mut now = at("2026-01-05", 9);
    for o in ops {
        now += Duration::hours(o.hours);
        let case = h.case().clone();
        let (cmd, actor) = build(&o, &h.defs, &case);
        // Half of the timer firings wait until the timer is due.
        if let Command::FireTimer { timer_id } = &cmd {
            if o.mask.is_multiple_of(2) {
                if let Some(t) = timers(&case).into_iter().find(|t| &t.id == timer_id) {
                    now = now.max(t.due);
                }
            }
        }
        match decide(Some(&case), &cmd, &actor, now, &h.defs) {
            Ok(evs) => {
                assert!(!evs.is_empty(), "{cmd:?} produced no event");
                let mut c = case.clone();
                for e in &evs {
                    assert_eq!(e.at(), now);
                    let back: Event =
                        serde_json::from_value(serde_json::to_value(e).unwrap()).unwrap();
                    assert_eq!(&back, e);
                    c = apply(Some(c), e, &h.defs);
                }
                assert_eq!(c.seq, case.seq + evs.len() as u64);
                // Deterministic: applying again gives the same case.
                let mut c2 = case.clone();
                for e in &evs {
                    c2 = apply(Some(c2), e, &h.defs);
                }
                assert_eq!(c, c2);
                check_invariants(&c, &h.defs, now);
                h.case = Some(c);
                h.log.extend(evs);
            }
            Err(r) => {
                assert!(!r.code.is_empty() && !r.message_zh.is_empty() && !r.message_en.is_empty());
            }
        }
    }
    // Replaying the whole log rebuilds the same case.
    let mut c = None;
    for e in &h.log {
        c = Some(apply(c, e, &h.defs));
    }
    assert_eq!(c.as_ref(), h.case.as_ref());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn random_commands_on_the_demo_process(ops in prop::collection::vec(op(), 1..80)) {
        run(demo(), ops);
    }

    #[test]
    fn random_commands_on_the_mini_process(ops in prop::collection::vec(op(), 1..60)) {
        run(mini(), ops);
    }
}

#[test]
fn apply_is_total_on_stray_events() {
    // An event for an unknown item, or without a case, does not panic.
    let defs = mini();
    let stray = Event::ProcessingStarted {
        item: "NOPE".into(),
        at: at("2026-03-02", 9),
    };
    let c = apply(None, &stray, &defs);
    assert_eq!(c.seq, 1);
    let h = Harness::new(mini(), "2026-03-02");
    let c2 = apply(h.case.clone(), &stray, &defs);
    assert_eq!(c2.seq, h.case().seq + 1);
    assert_eq!(c2.items, h.case().items);
}
