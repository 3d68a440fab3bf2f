//! Illegal commands are refused with a code and a Chinese + English reason,
//! and leave the case untouched (the harness checks that).

mod common;
use common::*;
use zhishen_workflow::*;

fn accepted_p() -> Harness {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h
}

fn conclude(item: &str, outcome: Outcome, opinion: &str) -> Command {
    Command::Conclude {
        item: item.into(),
        outcome,
        opinion: opinion.into(),
    }
}

#[test]
fn conclude_before_acceptance() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.refused(
        conclude("P", Outcome::Pass, "x"),
        &reviewer("zrzy"),
        at("2026-03-02", 10),
        "invalid_transition",
    );
    h.submit("P", &["A"], "2026-03-02");
    let r = h.refused(
        conclude("P", Outcome::Pass, "x"),
        &reviewer("zrzy"),
        at("2026-03-02", 10),
        "invalid_transition",
    );
    assert!(r.message_zh.contains("收件(1)"), "{}", r.message_zh);
    assert!(r.to_string().starts_with("[invalid_transition]"));
}

#[test]
fn accept_twice() {
    let mut h = accepted_p();
    let r = h.refused(
        Command::Accept { item: "P".into() },
        &clerk(),
        at("2026-03-02", 11),
        "invalid_transition",
    );
    assert!(r.message_zh.contains("受理(3)"), "{}", r.message_zh);
}

#[test]
fn after_conclusion_only_revoke() {
    let mut h = accepted_p();
    h.process("P", "zrzy", "2026-03-03");
    h.conclude("P", "zrzy", Outcome::Pass, "2026-03-04");
    let t = at("2026-03-05", 9);
    h.refused(
        Command::StartProcessing { item: "P".into() },
        &reviewer("zrzy"),
        t,
        "item_concluded",
    );
    h.refused(
        conclude("P", Outcome::Fail, "改判"),
        &reviewer("zrzy"),
        t,
        "item_concluded",
    );
    h.refused(
        Command::RequestSupplement {
            item: "P".into(),
            materials: vec!["A".into()],
            note: "n".into(),
        },
        &reviewer("zrzy"),
        t,
        "item_concluded",
    );
    h.refused(
        Command::Withdraw {
            item: "P".into(),
            reason: "不办了".into(),
        },
        &applicant(),
        t,
        "item_concluded",
    );
    // Revoke: not by a reviewer, needs a reason, then works once.
    let revoke = |reason: &str| Command::Revoke {
        item: "P".into(),
        reason: reason.into(),
    };
    h.refused(revoke("违法"), &reviewer("zrzy"), t, "role_not_allowed");
    h.refused(revoke(" "), &supervisor(), t, "missing_reason");
    h.ok(revoke("以欺骗手段取得许可"), &supervisor(), t);
    assert_eq!(h.item("P").state.code().unwrap().code(), 15);
    h.refused(revoke("再次"), &supervisor(), t, "invalid_transition");
}

#[test]
fn reviewer_of_another_department() {
    let mut h = accepted_p();
    let r = h.refused(
        Command::StartProcessing { item: "P".into() },
        &reviewer("zjj"),
        at("2026-03-03", 9),
        "wrong_department",
    );
    assert!(r.message_en.contains("zrzy"));
    // A reviewer without any department is refused too.
    h.refused(
        Command::StartProcessing { item: "P".into() },
        &Actor::new("rev-x", Role::Reviewer, None),
        at("2026-03-03", 9),
        "wrong_department",
    );
}

#[test]
fn rate_before_the_case_ends_and_rating_rules() {
    let mut h = accepted_p();
    let rate = |score| Command::Rate {
        score,
        comment: "好".into(),
    };
    h.refused(rate(5), &applicant(), at("2026-03-03", 9), "case_not_ended");
    h.process("P", "zrzy", "2026-03-03");
    // P is the milestone: concluding it completes the single stage and the case.
    let evs = h.conclude("P", "zrzy", Outcome::Pass, "2026-03-04");
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_joined", "case_completed"]
    );
    h.refused(rate(0), &applicant(), at("2026-03-05", 9), "invalid_score");
    h.refused(rate(6), &applicant(), at("2026-03-05", 9), "invalid_score");
    h.refused(rate(5), &clerk(), at("2026-03-05", 9), "role_not_allowed");
    h.refused(
        rate(5),
        &Actor::new("someone-else", Role::Applicant, None),
        at("2026-03-05", 9),
        "not_applicant",
    );
    h.ok(rate(2), &applicant(), at("2026-03-05", 9));
    assert_eq!(
        h.case().rating.as_ref().unwrap().level,
        RatingLevel::Dissatisfied
    );
    h.refused(rate(5), &applicant(), at("2026-03-05", 10), "already_rated");
}

#[test]
fn pinned_definitions_must_match() {
    let mut h = accepted_p();
    // Same catalogue content, new version: a running case keeps the old one.
    let cat2 = MINI_CATALOGUE.replace("version = \"1\"", "version = \"2\"");
    let proc2 = MINI_PROCESS.replace("catalogue_version = \"1\"", "catalogue_version = \"2\"");
    let defs2 = Definitions::new(
        Catalogue::from_toml(&cat2).unwrap(),
        ProcessDef::from_toml(&proc2).unwrap(),
        h.defs.calendar.clone(),
    )
    .unwrap();
    let r = decide(
        h.case.as_ref(),
        &Command::StartProcessing { item: "P".into() },
        &reviewer("zrzy"),
        at("2026-03-03", 9),
        &defs2,
    )
    .unwrap_err();
    assert_eq!(r.code, "definitions_mismatch");
    // A calendar with only 2026 has a different version.
    let defs3 = Definitions::new(
        h.defs.catalogue.clone(),
        h.defs.process.clone(),
        Calendar::from_toml(demo::CALENDAR_2026).unwrap(),
    )
    .unwrap();
    let r = decide(
        h.case.as_ref(),
        &Command::StartProcessing { item: "P".into() },
        &reviewer("zrzy"),
        at("2026-03-03", 9),
        &defs3,
    )
    .unwrap_err();
    assert_eq!(r.code, "definitions_mismatch");
    // The case still works with its own definitions.
    h.process("P", "zrzy", "2026-03-03");
}

#[test]
fn roles_items_materials_and_time() {
    let mut h = Harness::new(mini(), "2026-03-02");
    let t = at("2026-03-02", 10);
    h.refused(
        Command::Submit {
            item: "P".into(),
            materials: vec!["A".into()],
            commitments: vec![],
        },
        &Actor::new("aud", Role::Auditor, None),
        t,
        "role_not_allowed",
    );
    h.refused(
        Command::Submit {
            item: "P".into(),
            materials: vec!["A".into()],
            commitments: vec![],
        },
        &Actor::new("intruder", Role::Applicant, None),
        t,
        "not_applicant",
    );
    h.refused(
        Command::Submit {
            item: "NOPE".into(),
            materials: vec![],
            commitments: vec![],
        },
        &applicant(),
        t,
        "unknown_item",
    );
    h.refused(
        Command::Submit {
            item: "P".into(),
            materials: vec!["ZZ".into()],
            commitments: vec![],
        },
        &applicant(),
        t,
        "unknown_material",
    );
    // Submitted without the required, non-容缺 material A.
    h.submit("P", &[], "2026-03-02");
    let r = h.refused(
        Command::Accept { item: "P".into() },
        &clerk(),
        t,
        "materials_incomplete",
    );
    assert!(r.message_en.contains('A'));
    h.refused(
        Command::Accept { item: "P".into() },
        &applicant(),
        t,
        "role_not_allowed",
    );
    // Time going backwards, and a date outside the calendar.
    h.refused(
        Command::Reject {
            item: "P".into(),
            reason: "材料不全".into(),
        },
        &clerk(),
        at("2026-03-01", 9),
        "time_reversed",
    );
    h.refused(
        Command::Reject {
            item: "P".into(),
            reason: "材料不全".into(),
        },
        &clerk(),
        at("2027-01-04", 9),
        "calendar_uncovered",
    );
    h.refused(
        Command::Reject {
            item: "P".into(),
            reason: "".into(),
        },
        &clerk(),
        t,
        "missing_reason",
    );
    h.ok(
        Command::Reject {
            item: "P".into(),
            reason: "材料不全".into(),
        },
        &clerk(),
        t,
    );
    assert_eq!(h.item("P").state.code().unwrap().code(), 4);
}

#[test]
fn outcome_rules() {
    let mut h = accepted_p();
    h.process("P", "zrzy", "2026-03-03");
    h.refused(
        conclude("P", Outcome::Fail, ""),
        &reviewer("zrzy"),
        at("2026-03-04", 9),
        "missing_reason",
    );
    h.refused(
        conclude("P", Outcome::PassRongque, "同意"),
        &reviewer("zrzy"),
        at("2026-03-04", 9),
        "not_rongque",
    );
    // 不通过 of the milestone item ends the stage and the case.
    let evs = h.ok(
        conclude("P", Outcome::Fail, "不符合规划条件"),
        &reviewer("zrzy"),
        at("2026-03-04", 9),
    );
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_failed", "case_terminated"]
    );
    assert_eq!(h.case().status, CaseStatus::Terminated);
    assert_eq!(h.item("P").state.code().unwrap().code(), 13);
}

#[test]
fn withdraw_codes_and_case_lifecycle() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("R", &["A"], "2026-03-02");
    h.ok(
        Command::Withdraw {
            item: "R".into(),
            reason: "撤件".into(),
        },
        &applicant(),
        at("2026-03-02", 11),
    );
    assert_eq!(h.item("R").state.code().unwrap().code(), 2);
    h.submit("C", &["A", "F"], "2026-03-03");
    h.accept("C", "2026-03-03");
    h.ok(
        Command::Withdraw {
            item: "C".into(),
            reason: "撤回".into(),
        },
        &applicant(),
        at("2026-03-03", 11),
    );
    assert_eq!(h.item("C").state.code().unwrap().code(), 14);
    // No case / existing case.
    let defs = mini();
    let r = decide(
        None,
        &Command::Accept { item: "P".into() },
        &clerk(),
        at("2026-03-02", 9),
        &defs,
    )
    .unwrap_err();
    assert_eq!(r.code, "no_case");
    h.refused(
        Command::CreateCase {
            case_id: "C-1".into(),
            project_code: "x".into(),
            project_name: "x".into(),
            applicant: "app-1".into(),
        },
        &applicant(),
        at("2026-03-03", 12),
        "case_exists",
    );
}

/// The department head (审批人) may sign the decision of its own department's item;
/// a clerk may not, nor a head of another department.
#[test]
fn the_department_head_signs_the_decision_of_its_department() {
    let mut h = accepted_p();
    h.process("P", "zrzy", "2026-03-03");
    h.refused(
        conclude("P", Outcome::Pass, "同意"),
        &clerk(),
        at("2026-03-04", 9),
        "role_not_allowed",
    );
    h.refused(
        conclude("P", Outcome::Pass, "同意"),
        &head("fgw"),
        at("2026-03-04", 9),
        "wrong_department",
    );
    let evs = h.ok(
        conclude("P", Outcome::Pass, "同意"),
        &head("zrzy"),
        at("2026-03-04", 10),
    );
    assert_eq!(Harness::kinds(&evs)[0], "item_concluded");
}

/// An agent (代办) acts for the applicant it names; an agent for someone else, or
/// one naming nobody, is not the applicant.
#[test]
fn an_agent_acts_only_for_the_applicant_it_names() {
    let mut h = Harness::new(mini(), "2026-03-02");
    let submit = Command::Submit {
        item: "P".into(),
        materials: vec!["A".into()],
        commitments: vec![],
    };
    let a = applicant();
    h.refused(
        submit.clone(),
        &Actor::agent("agent-9", "someone-else"),
        at("2026-03-02", 9),
        "not_applicant",
    );
    h.refused(
        submit.clone(),
        &Actor::new("agent-9", Role::Applicant, None),
        at("2026-03-02", 9),
        "not_applicant",
    );
    h.ok(
        submit,
        &Actor::agent("agent-9", &a.id),
        at("2026-03-02", 10),
    );
}
