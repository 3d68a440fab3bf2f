//! 容缺受理 deadlines and 告知承诺 checks.

mod common;
#[path = "followups/credit.rs"]
mod credit;
use common::*;
use zhishen_workflow::model::{CheckStatus, ItemFlag, LicenceStatus, NoticeKind};
use zhishen_workflow::*;

fn rongque_accept(h: &mut Harness, item: &str) {
    h.submit(item, &["A"], "2026-03-02");
    let evs = h.accept(item, "2026-03-02");
    // 容缺受理: B missing, due 3/2 + 5 working days = 3/9.
    assert!(matches!(
        &evs[0],
        Event::ItemAccepted { rongque_missing, rongque_due: Some(d), .. }
            if rongque_missing == &vec!["B".to_string()] && *d == date("2026-03-09")
    ));
}

#[test]
fn expired_rongque_deadline_escalates_and_blocks_conclusion() {
    let mut h = Harness::new(mini(), "2026-03-02");
    rongque_accept(&mut h, "K");
    let t: Vec<_> = timers(h.case())
        .into_iter()
        .filter(|t| t.kind == TimerKind::RongqueDue)
        .collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].due, at("2026-03-10", 0));
    assert_eq!(
        h.fire("rongque_due:K", at("2026-03-09", 18))
            .unwrap_err()
            .code,
        "timer_not_due"
    );
    h.process("K", "zrzy", "2026-03-03");
    // Before the deadline: 通过 is refused while B is outstanding.
    h.refused(
        Command::Conclude {
            item: "K".into(),
            outcome: Outcome::Pass,
            opinion: "同意".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-04", 9),
        "rongque_outstanding",
    );
    let evs = h.fire("rongque_due:K", at("2026-03-10", 0)).unwrap();
    assert_eq!(Harness::kinds(&evs), vec!["rongque_overdue"]);
    assert!(matches!(
        &evs[0],
        Event::RongqueOverdue { action: RongqueOverdueAction::Block, missing, .. } if missing == &vec!["B".to_string()]
    ));
    let it = h.item("K");
    assert!(it.flags.contains(&ItemFlag::RongqueOverdue));
    assert!(it.rongque.as_ref().unwrap().overdue);
    assert_eq!(h.case().notices[0].kind, NoticeKind::RongqueOverdue);
    // Blocked: 容缺通过 is refused now.
    h.refused(
        Command::Conclude {
            item: "K".into(),
            outcome: Outcome::PassRongque,
            opinion: "同意".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-10", 9),
        "rongque_overdue",
    );
    // A 不通过 stays possible; instead the material arrives late and 通过 is allowed.
    h.refused(
        Command::SupplyMaterials {
            item: "K".into(),
            materials: vec!["A".into()],
        },
        &applicant(),
        at("2026-03-10", 10),
        "not_outstanding",
    );
    h.ok(
        Command::SupplyMaterials {
            item: "K".into(),
            materials: vec!["B".into()],
        },
        &applicant(),
        at("2026-03-10", 11),
    );
    h.conclude("K", "zrzy", Outcome::Pass, "2026-03-10");
    assert_eq!(
        h.item("K").licence.as_ref().unwrap().status,
        LicenceStatus::Issued
    );
}

#[test]
fn expired_rongque_deadline_revokes_a_rongque_approval() {
    let mut h = Harness::new(mini(), "2026-03-02");
    rongque_accept(&mut h, "V");
    h.process("V", "zrzy", "2026-03-02");
    h.refused(
        Command::Conclude {
            item: "V".into(),
            outcome: Outcome::Pass,
            opinion: "同意".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-03", 9),
        "rongque_outstanding",
    );
    h.conclude("V", "zrzy", Outcome::PassRongque, "2026-03-03");
    let it = h.item("V");
    assert_eq!(it.state.code().unwrap().code(), 12);
    assert_eq!(it.licence.as_ref().unwrap().status, LicenceStatus::Withheld);
    let evs = h.fire("rongque_due:V", at("2026-03-10", 0)).unwrap();
    assert_eq!(
        Harness::kinds(&evs),
        vec!["rongque_overdue", "item_revoked"]
    );
    let it = h.item("V");
    assert_eq!(it.state, ItemState::Revoked);
    assert_eq!(it.state.code().unwrap().code(), 15);
    assert_eq!(it.licence.as_ref().unwrap().status, LicenceStatus::Revoked);
}

#[test]
fn rongque_material_in_time_releases_the_licence_and_disarms_the_timer() {
    let mut h = Harness::new(mini(), "2026-03-02");
    rongque_accept(&mut h, "V");
    h.process("V", "zrzy", "2026-03-02");
    h.conclude("V", "zrzy", Outcome::PassRongque, "2026-03-03");
    h.ok(
        Command::SupplyMaterials {
            item: "V".into(),
            materials: vec!["B".into()],
        },
        &applicant(),
        at("2026-03-06", 9),
    );
    let it = h.item("V");
    assert_eq!(it.licence.as_ref().unwrap().status, LicenceStatus::Issued);
    assert!(timers(h.case())
        .iter()
        .all(|t| t.kind != TimerKind::RongqueDue));
    assert_eq!(
        h.fire("rongque_due:V", at("2026-03-10", 0))
            .unwrap_err()
            .code,
        "timer_not_armed"
    );
}

#[test]
fn commitment_check_timer_and_breach() {
    let mut h = Harness::new(mini(), "2026-03-02");
    // F may be replaced by a commitment; A may not.
    h.refused(
        Command::Submit {
            item: "C".into(),
            materials: vec![],
            commitments: vec!["A".into()],
        },
        &applicant(),
        at("2026-03-02", 9),
        "commitment_not_allowed",
    );
    h.submit_c("C", &["A"], &["F"], "2026-03-02");
    h.accept("C", "2026-03-02");
    assert!(h.item("C").rongque.is_none(), "commitment is not 容缺");
    h.process("C", "zjj", "2026-03-02");
    let evs = h.conclude("C", "zjj", Outcome::Pass, "2026-03-03");
    // Check due 3/3 + 20 working days = 3/31.
    assert!(matches!(
        &evs[0],
        Event::ItemConcluded { commitment_check_due: Some(d), .. } if *d == date("2026-03-31")
    ));
    let t: Vec<_> = timers(h.case())
        .into_iter()
        .filter(|t| t.kind == TimerKind::CommitmentCheck)
        .collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].due, at("2026-03-31", 0));
    assert_eq!(
        h.fire("commitment_check:C", at("2026-03-30", 12))
            .unwrap_err()
            .code,
        "timer_not_due"
    );
    let evs = h.fire("commitment_check:C", at("2026-03-31", 0)).unwrap();
    assert_eq!(Harness::kinds(&evs), vec!["commitment_check_due"]);
    assert_eq!(
        h.item("C").commitment_check.as_ref().unwrap().status,
        CheckStatus::Due
    );
    let evs = h.ok(
        Command::RecordCheck {
            item: "C".into(),
            compliant: false,
            note: "资金未落实".into(),
        },
        &reviewer("zjj"),
        at("2026-04-01", 9),
    );
    assert_eq!(
        Harness::kinds(&evs),
        vec!["commitment_checked", "item_revoked"]
    );
    let it = h.item("C");
    assert_eq!(it.state, ItemState::Revoked);
    assert!(it.flags.contains(&ItemFlag::CommitmentBreached));
}

#[test]
fn commitment_check_compliant_keeps_the_approval() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit_c("C", &["A"], &["F"], "2026-03-02");
    h.accept("C", "2026-03-02");
    h.process("C", "zjj", "2026-03-02");
    h.conclude("C", "zjj", Outcome::Pass, "2026-03-03");
    h.ok(
        Command::RecordCheck {
            item: "C".into(),
            compliant: true,
            note: "已核查".into(),
        },
        &reviewer("zjj"),
        at("2026-03-20", 9),
    );
    assert!(h.item("C").state.is_passed());
    assert!(timers(h.case()).is_empty());
}

/// 风险预警 with hand-computed facts, on the demo definitions and the shipped rules.
///
/// History: five cases whose 企业投资项目备案 (XMBA, promised 1 working day) was accepted
/// on Monday 2026-03-02 and concluded on Thursday 03-05: 3 counted working days each,
/// mean 3.0. The case under watch accepts XMBA on Monday 03-09: 0 counted, 1 left
/// (deadline 03-10), 3.0 − 0 = 3.0 expected > 1 → 预计超期 (high).
#[test]
fn risk_rules_fire_on_their_facts_and_changes_are_recorded() {
    use zhishen_workflow::risk::{assess, History, RiskContext, RiskLevel};
    let rules = zhishen_workflow::demo::risk_rules().unwrap();
    let done: Vec<Case> = (0..5)
        .map(|_| {
            let mut h = Harness::new(demo(), "2026-03-02");
            h.submit("XMBA", &["BAXX"], "2026-03-02");
            h.accept("XMBA", "2026-03-02");
            h.process("XMBA", "fgw", "2026-03-03");
            h.conclude("XMBA", "fgw", Outcome::Pass, "2026-03-05");
            h.case().clone()
        })
        .collect();
    let cal = zhishen_workflow::demo::calendar().unwrap();
    let history = History::from_cases(&done, &cal).unwrap();
    assert_eq!(history.mean("XMBA"), Some((5, 3.0)));

    let mut h = Harness::new(demo(), "2026-03-09");
    h.submit("XMBA", &["BAXX"], "2026-03-09");
    h.accept("XMBA", "2026-03-09");
    let ctx = |grade: Option<&'static str>| RiskContext {
        today: date("2026-03-09"),
        calendar: &h.defs.calendar,
        history: &history,
        credit_grade: grade,
    };
    let a = assess(h.case(), &rules, &ctx(None)).unwrap();
    assert_eq!(a.level, RiskLevel::High);
    assert_eq!(a.rules, "demo-risk@2026.1");
    assert_eq!(a.reasons.len(), 1, "{:?}", a.reasons);
    let r = &a.reasons[0];
    assert_eq!(
        (r.rule.as_str(), r.item.as_deref()),
        ("predicted_overdue", Some("XMBA"))
    );
    assert!(
        r.text_zh.contains("剩余 1 个") && r.text_zh.contains("平均需 3.0 个（5 件）"),
        "{}",
        r.text_zh
    );
    // Four samples are below the rule's minimum of five: no prediction.
    let thin = History::from_cases(&done[..4], &cal).unwrap();
    let c4 = RiskContext {
        history: &thin,
        ..ctx(None)
    };
    assert_eq!(
        assess(h.case(), &rules, &c4).unwrap().level,
        RiskLevel::None
    );
    // A C grade adds the credit reason (medium; the level stays high).
    let a2 = assess(h.case(), &rules, &ctx(Some("C"))).unwrap();
    assert_eq!(
        a2.reasons
            .iter()
            .map(|r| r.rule.as_str())
            .collect::<Vec<_>>(),
        ["predicted_overdue", "low_credit"]
    );
    assert_eq!(
        assess(
            h.case(),
            &rules,
            &RiskContext {
                history: &thin,
                ..ctx(Some("B"))
            }
        )
        .unwrap()
        .level,
        RiskLevel::None
    );

    // Recorded by the system only, only when it changed; the projection keeps it.
    let record = |a: &zhishen_workflow::risk::RiskAssessment| Command::RecordRisk {
        assessment: a.clone(),
    };
    let t = at("2026-03-09", 12);
    h.refused(record(&a), &clerk(), t, "role_not_allowed");
    let evs = h.ok(record(&a), &Actor::system(), t);
    assert_eq!(Harness::kinds(&evs), vec!["risk_changed"]);
    assert!(matches!(
        &evs[0],
        Event::RiskChanged {
            previous: RiskLevel::None,
            ..
        }
    ));
    assert_eq!(h.case().risk.as_ref(), Some(&a));
    h.refused(
        record(&a),
        &Actor::system(),
        at("2026-03-09", 13),
        "risk_unchanged",
    );
    let evs = h.ok(record(&a2), &Actor::system(), at("2026-03-09", 14));
    assert!(matches!(
        &evs[0],
        Event::RiskChanged {
            previous: RiskLevel::High,
            ..
        }
    ));
}
