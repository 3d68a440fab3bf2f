//! Credit grading 信用分级: hand-computed scores under `assets/credit/rules.toml`
//! (base 100; broken commitment −15, late 补正 −5, on-time 补正 0, kept commitment +2,
//! false declaration −30 and at most C, violation −20; floors A 95, B 80, C 60).

use super::common::*;
use zhishen_workflow::credit::*;
use zhishen_workflow::*;

fn ent(s: &str) -> EnterpriseId {
    EnterpriseId::new(s).unwrap()
}

fn rules() -> CreditRules {
    CreditRules::demo().unwrap()
}

/// A case whose 告知承诺 item C is approved, then checked `compliant` or not.
fn commitment_case(compliant: bool) -> Vec<Event> {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit_c("C", &["A"], &["F"], "2026-03-02");
    h.accept("C", "2026-03-02");
    h.process("C", "zjj", "2026-03-02");
    h.conclude("C", "zjj", Outcome::Pass, "2026-03-03");
    h.ok(
        Command::RecordCheck {
            item: "C".into(),
            compliant,
            note: "核查".into(),
        },
        &reviewer("zjj"),
        at("2026-03-20", 9),
    );
    h.log
}

/// A case whose item P has one 补正 requested on 3/3 and done on `done`.
fn supplement_case(done: &str) -> Vec<Event> {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h.ok(
        Command::RequestSupplement {
            item: "P".into(),
            materials: vec!["A".into()],
            note: "签章".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-03", 9),
    );
    h.ok(
        Command::SupplementDone {
            item: "P".into(),
            materials: vec!["A".into()],
        },
        &applicant(),
        at(done, 9),
    );
    h.log
}

fn applicant_of(e: &str) -> CreditActor {
    CreditActor {
        id: "app-1".into(),
        role: Role::Applicant,
        enterprise: Some(ent(e)),
    }
}

fn sup() -> CreditActor {
    CreditActor {
        id: "sup-1".into(),
        role: Role::Supervisor,
        enterprise: None,
    }
}

/// Decides and applies; panics on a refusal.
fn run(
    e: &str,
    s: CreditState,
    cmd: CreditCommand,
    a: &CreditActor,
) -> (CreditState, Vec<CreditEvent>) {
    let evs = decide_credit(&ent(e), &s, &cmd, a, at("2026-04-01", 9), &rules())
        .unwrap_or_else(|r| panic!("refused: {r}"));
    let s = evs.iter().fold(s, apply_credit);
    (s, evs)
}

#[test]
fn two_broken_commitments_and_a_late_supplement_grade_c() {
    let (b1, b2) = (commitment_case(false), commitment_case(false));
    // 3/3 → 3/10: (3/3, 3/10] = 4,5,6,9,10 = 5 working days ≤ 10: on time.
    let on_time = supplement_case("2026-03-10");
    // 3/3 → 3/20: 4–6, 9–13, 16–20 = 13 working days > 10: late.
    let late = supplement_case("2026-03-20");
    let hist: Vec<CaseHistory<'_>> = [&b1, &b2, &on_time, &late]
        .iter()
        .map(|l| CaseHistory { events: l })
        .collect();
    let cal = demo::calendar().unwrap();
    let inputs = inputs_from_cases(&hist, date("2026-04-01"), &cal, 10).unwrap();
    assert_eq!(
        inputs,
        CreditInputs {
            commitments_broken: 2,
            supplements_on_time: 1,
            supplements_late: 1,
            ..Default::default()
        }
    );
    // 100 − 2×15 + 1×0 − 1×5 = 65 ≥ 60 (C), < 80 (B).
    let (s, evs) = run(
        "E1",
        CreditState::default(),
        CreditCommand::Regrade {
            history: inputs.clone(),
        },
        &sup(),
    );
    let CreditEvent::GradeChanged {
        from,
        to,
        cause: GradeCause::Assessment { assessment: a },
        ..
    } = &evs[0]
    else {
        panic!("{evs:?}")
    };
    assert_eq!((*from, *to, a.score), (None, Grade::C, 65));
    let fired: Vec<(&str, u32, i32)> = a
        .fired
        .iter()
        .map(|f| (f.rule.as_str(), f.count, f.points))
        .collect();
    assert_eq!(
        fired,
        vec![
            ("commitment_broken", 2, -30),
            ("supplement_on_time", 1, 0),
            ("supplement_late", 1, -5)
        ]
    );
    assert!(a.fired[0].clause.contains("国办发"));
    assert_eq!(a.rules_version, "2026.1");
    // The same inputs again: no change, no event.
    let (s, evs) = run("E1", s, CreditCommand::Regrade { history: inputs }, &sup());
    assert!(evs.is_empty());
    assert_eq!(s.grade, Some(Grade::C));
    let st = rules().standing(ent("E1"), Grade::C);
    assert!(!st.commitment && st.rongque && !st.extra_review);
}

#[test]
fn a_false_declaration_caps_the_grade_at_c() {
    // 100 + 5×2 − 30 = 80: B by score, capped to C by the false declaration.
    let (s, _) = run(
        "E2",
        CreditState::default(),
        CreditCommand::RecordFact {
            fact: FactKind::FalseDeclaration,
            case_id: Some(CaseId::new("C-9").unwrap()),
            note: "伪造资金证明".into(),
        },
        &sup(),
    );
    let history = CreditInputs {
        commitments_kept: 5,
        ..Default::default()
    };
    let (s, evs) = run("E2", s, CreditCommand::Regrade { history }, &sup());
    assert_eq!(s.grade, Some(Grade::C));
    let a = s.assessment.as_ref().unwrap();
    assert_eq!(a.score, 80);
    assert_eq!(a.fired[1].cap, Some(Grade::C));
    assert_eq!(evs.len(), 1);
}

#[test]
fn objections_upheld_and_amended() {
    let history = CreditInputs {
        commitments_broken: 2,
        supplements_late: 1,
        ..Default::default()
    };
    let (s, _) = run(
        "E1",
        CreditState::default(),
        CreditCommand::Regrade { history },
        &sup(),
    );
    let object = CreditCommand::Object {
        reason: "第二次核查系材料延误 the second check was a delay".into(),
    };
    // Another enterprise's applicant, a reviewer, an empty reason: refused.
    let now = at("2026-04-01", 9);
    let r = decide_credit(&ent("E1"), &s, &object, &applicant_of("E2"), now, &rules()).unwrap_err();
    assert_eq!(r.code, "not_enterprise_applicant");
    assert!(r.message_zh.contains("E1") && r.message_en.contains("E1"));
    let no_reason = CreditCommand::Object { reason: " ".into() };
    let r = decide_credit(
        &ent("E1"),
        &s,
        &no_reason,
        &applicant_of("E1"),
        now,
        &rules(),
    )
    .unwrap_err();
    assert_eq!(r.code, "missing_reason");
    let (s, evs) = run("E1", s, object.clone(), &applicant_of("E1"));
    assert!(matches!(
        evs[0],
        CreditEvent::ObjectionFiled {
            objection: 1,
            against: Grade::C,
            ..
        }
    ));
    let r = decide_credit(&ent("E1"), &s, &object, &applicant_of("E1"), now, &rules()).unwrap_err();
    assert_eq!(r.code, "objection_open");
    let amend = CreditCommand::DecideObjection {
        decision: ObjectionDecision::Amend { grade: Grade::B },
        reason: "复核属实 confirmed".into(),
    };
    let reviewer = CreditActor {
        id: "rev".into(),
        role: Role::Reviewer,
        enterprise: None,
    };
    let r = decide_credit(&ent("E1"), &s, &amend, &reviewer, now, &rules()).unwrap_err();
    assert_eq!(r.code, "role_not_allowed");
    let (s, evs) = run("E1", s, amend, &sup());
    assert_eq!(
        evs.iter().map(|e| e.kind()).collect::<Vec<_>>(),
        vec!["credit_objection_decided", "credit_grade_changed"]
    );
    assert!(matches!(
        &evs[1],
        CreditEvent::GradeChanged {
            from: Some(Grade::C),
            to: Grade::B,
            cause: GradeCause::Objection { objection: 1, .. },
            ..
        }
    ));
    assert_eq!((s.grade, s.open_objection), (Some(Grade::B), None));
    // A second objection, upheld: the grade stays B.
    let (s, _) = run("E1", s, object, &applicant_of("E1"));
    let uphold = CreditCommand::DecideObjection {
        decision: ObjectionDecision::Uphold,
        reason: "维持".into(),
    };
    let (s, evs) = run("E1", s, uphold.clone(), &sup());
    assert_eq!(evs.len(), 1);
    assert_eq!(
        (s.grade, s.objections, s.open_objection),
        (Some(Grade::B), 2, None)
    );
    let r = decide_credit(&ent("E1"), &s, &uphold, &sup(), now, &rules()).unwrap_err();
    assert_eq!(r.code, "no_objection");
}

#[test]
fn grade_d_loses_rongque_and_commitment_and_needs_the_head() {
    let mut s = CreditState::default();
    for fact in [
        FactKind::FalseDeclaration,
        FactKind::Violation,
        FactKind::Violation,
    ] {
        s = run(
            "E3",
            s,
            CreditCommand::RecordFact {
                fact,
                case_id: None,
                note: "查实".into(),
            },
            &sup(),
        )
        .0;
    }
    // 100 − 30 − 2×20 = 30 < 60: D.
    let (s, _) = run(
        "E3",
        s,
        CreditCommand::Regrade {
            history: CreditInputs::default(),
        },
        &sup(),
    );
    assert_eq!(
        (s.grade, s.assessment.as_ref().unwrap().score),
        (Some(Grade::D), 30)
    );
    let credit = rules().standing(ent("E3"), Grade::D);
    let mut h = Harness::new(mini(), "2026-03-02");
    let apply_credit = Command::ApplyCredit { credit };
    h.refused(
        apply_credit.clone(),
        &applicant(),
        at("2026-03-02", 9),
        "role_not_allowed",
    );
    h.ok(apply_credit, &supervisor(), at("2026-03-02", 9));
    assert_eq!(h.case().credit.as_ref().unwrap().grade, Grade::D);
    // 告知承诺 refused at 收件.
    h.refused(
        Command::Submit {
            item: "C".into(),
            materials: vec!["A".into()],
            commitments: vec!["F".into()],
        },
        &applicant(),
        at("2026-03-02", 10),
        "credit_commitment_barred",
    );
    // 容缺受理 refused: B is missing.
    h.submit("K", &["A"], "2026-03-02");
    let r = h.refused(
        Command::Accept { item: "K".into() },
        &clerk(),
        at("2026-03-02", 11),
        "credit_rongque_barred",
    );
    assert!(
        r.message_zh.contains('B') && r.message_zh.contains('D'),
        "{r}"
    );
    // With every material in, it is accepted; 通过 needs the department head.
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h.process("P", "zrzy", "2026-03-03");
    let pass = Command::Conclude {
        item: "P".into(),
        outcome: Outcome::Pass,
        opinion: "同意".into(),
    };
    h.refused(
        pass.clone(),
        &reviewer("zrzy"),
        at("2026-03-04", 9),
        "credit_extra_review",
    );
    h.ok(pass, &head("zrzy"), at("2026-03-04", 10));
    assert!(h.item("P").state.is_passed());
}
