//! The limit clock through real command sequences (mini definitions, 2026 calendar).
//! Every expected date is hand-computed in the comment beside it.

mod common;
use common::*;
use zhishen_workflow::clock::{counted_days, remaining_days};
use zhishen_workflow::model::PauseCause;
use zhishen_workflow::*;

fn supplement(h: &mut Harness, item: &str, dept: &str, day: &str) {
    h.ok(
        Command::RequestSupplement {
            item: item.into(),
            materials: vec!["A".into()],
            note: "申请表签章不全".into(),
        },
        &reviewer(dept),
        at(day, 15),
    );
}

fn supplement_done(h: &mut Harness, item: &str, day: &str) -> Vec<Event> {
    h.ok(
        Command::SupplementDone {
            item: item.into(),
            materials: vec!["A".into()],
        },
        &applicant(),
        at(day, 10),
    )
}

#[test]
fn acceptance_starts_the_clock_day_after_is_day_one() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    assert_eq!(h.item("P").deadline, None, "no clock before 受理");
    h.accept("P", "2026-03-02");
    let it = h.item("P");
    assert_eq!(it.state.code().unwrap().code(), 3);
    // Accepted Mon 3/2; day 1 = Tue 3/3 … day 10 = Mon 3/16.
    assert_eq!(it.deadline, Some(date("2026-03-16")));
    let cal = &h.defs.calendar;
    assert_eq!(counted_days(&it.clock, cal, date("2026-03-02")).unwrap(), 0);
    assert_eq!(counted_days(&it.clock, cal, date("2026-03-03")).unwrap(), 1);
    assert_eq!(counted_days(&it.clock, cal, date("2026-03-08")).unwrap(), 4); // Sunday
    assert_eq!(
        remaining_days(&it.clock, cal, date("2026-03-16")).unwrap(),
        0
    );
    assert_eq!(
        remaining_days(&it.clock, cal, date("2026-03-17")).unwrap(),
        -1
    );
}

#[test]
fn supplement_pause_spanning_spring_festival_and_makeup_saturday() {
    let mut h = Harness::new(mini(), "2026-02-10");
    h.submit("P", &["A"], "2026-02-10");
    h.accept("P", "2026-02-10");
    // Without a pause: 2/11 1, 2/12 2, 2/13 3, 2/14 (Sat make-up) 4, 2/24 5 … 3/2 10.
    assert_eq!(h.item("P").deadline, Some(date("2026-03-02")));
    h.process("P", "zrzy", "2026-02-11");
    supplement(&mut h, "P", "zrzy", "2026-02-12"); // 2/12 is day 2 and still counts
    assert_eq!(h.item("P").state.code().unwrap().code(), 6);
    assert_eq!(h.item("P").deadline, None, "deadline unknown while paused");
    let evs = supplement_done(&mut h, "P", "2026-02-26");
    assert!(matches!(
        evs[0],
        Event::SupplementCompleted {
            rule: Some(ClockRule::Pause),
            ..
        }
    ));
    let it = h.item("P");
    assert_eq!(it.state, ItemState::Processing);
    assert_eq!(it.last_code, Some(StateCode::SupplementEnded));
    // Excluded (2/12, 2/26]: 2/13, 2/14 (make-up Sat), 2/24, 2/25, 2/26 = 5 working days
    // (2/15–23 are holidays anyway). Resume: 2/27 3, 2/28 (make-up Sat) 4, 3/2 5 … 3/9 10.
    assert_eq!(it.deadline, Some(date("2026-03-09")));
    assert_eq!(it.clock.excluded.len(), 1);
    assert_eq!(it.clock.excluded[0].cause, PauseCause::Supplement);
    let cal = &h.defs.calendar;
    assert_eq!(counted_days(&it.clock, cal, date("2026-02-26")).unwrap(), 2);
    assert_eq!(counted_days(&it.clock, cal, date("2026-02-28")).unwrap(), 4);
}

#[test]
fn supplement_restart_rule_counts_from_the_complete_day() {
    let mut h = Harness::new(mini(), "2026-02-10");
    h.submit("R", &["A"], "2026-02-10");
    h.accept("R", "2026-02-10");
    h.process("R", "zjj", "2026-02-11");
    supplement(&mut h, "R", "zjj", "2026-02-12");
    let evs = supplement_done(&mut h, "R", "2026-02-26");
    assert!(matches!(
        evs[0],
        Event::SupplementCompleted {
            rule: Some(ClockRule::Restart),
            ..
        }
    ));
    let it = h.item("R");
    // New baseline 2/26: 2/27 1, 2/28 2, 3/2 3 … 3/11 10.
    assert_eq!(it.clock.baseline, Some(date("2026-02-26")));
    assert_eq!(it.deadline, Some(date("2026-03-11")));
    assert_eq!(it.clock.restarts.len(), 1);
    assert_eq!(it.clock.restarts[0].counted_before, 2); // 2/11 and 2/12
    assert!(it.clock.excluded.is_empty());
    assert_eq!(it.clock.history.len(), 1);
}

#[test]
fn special_procedure_time_is_excluded() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h.process("P", "zrzy", "2026-03-03");
    h.ok(
        Command::StartSpecial {
            item: "P".into(),
            kind: SpecialKind::ExpertReview,
            reason: "专家评审 expert review".into(),
            limit_wd: Some(10),
        },
        &reviewer("zrzy"),
        at("2026-03-04", 10),
    );
    assert_eq!(h.item("P").state.code(), Some(StateCode::SpecialStarted));
    assert_eq!(h.item("P").deadline, None);
    // Timers: no overdue timer while the clock stands.
    assert!(timers(h.case()).is_empty());
    h.ok(
        Command::EndSpecial {
            item: "P".into(),
            result: "专家意见: 同意".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-11", 10),
    );
    let it = h.item("P");
    assert_eq!(it.state, ItemState::Processing);
    assert_eq!(it.last_code, Some(StateCode::SpecialEnded));
    // Without special: 3/16. Excluded (3/4, 3/11] = 3/5, 3/6, 3/9, 3/10, 3/11 → +5 → 3/23.
    assert_eq!(it.deadline, Some(date("2026-03-23")));
    let cal = &h.defs.calendar;
    assert_eq!(counted_days(&it.clock, cal, date("2026-03-11")).unwrap(), 2);
    assert_eq!(counted_days(&it.clock, cal, date("2026-03-12")).unwrap(), 3);
}

#[test]
fn extension_moves_the_deadline_only_when_approved() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h.process("P", "zrzy", "2026-03-03");
    let req = Command::RequestExtension {
        item: "P".into(),
        days: 5,
        reason: "情况复杂".into(),
    };
    h.ok(req.clone(), &reviewer("zrzy"), at("2026-03-10", 9));
    assert_eq!(h.item("P").deadline, Some(date("2026-03-16")), "unapproved");
    h.refused(
        req,
        &reviewer("zrzy"),
        at("2026-03-10", 10),
        "extension_pending",
    );
    let approve = Command::ApproveExtension {
        item: "P".into(),
        approved: true,
    };
    h.refused(
        approve.clone(),
        &reviewer("zrzy"),
        at("2026-03-10", 11),
        "role_not_allowed",
    );
    h.refused(
        approve.clone(),
        &head("zjj"),
        at("2026-03-10", 11),
        "wrong_department",
    );
    h.ok(approve.clone(), &head("zrzy"), at("2026-03-11", 9));
    // 3/16 + 5 working days: 3/17, 3/18, 3/19, 3/20, 3/23.
    assert_eq!(h.item("P").deadline, Some(date("2026-03-23")));
    assert_eq!(h.item("P").clock.extension_wd, 5);
    // Nothing pending any more; a further 6 days would exceed the 10-day cap.
    h.refused(
        approve,
        &head("zrzy"),
        at("2026-03-11", 10),
        "no_extension_request",
    );
    h.refused(
        Command::RequestExtension {
            item: "P".into(),
            days: 6,
            reason: "再延".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-11", 11),
        "extension_too_long",
    );
    // A denied request leaves the deadline alone.
    h.ok(
        Command::RequestExtension {
            item: "P".into(),
            days: 5,
            reason: "再延".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-12", 9),
    );
    h.ok(
        Command::ApproveExtension {
            item: "P".into(),
            approved: false,
        },
        &head("zrzy"),
        at("2026-03-12", 10),
    );
    assert_eq!(h.item("P").deadline, Some(date("2026-03-23")));
    assert!(h.item("P").pending_extension.is_none());
}

#[test]
fn automatic_acceptance_after_five_working_days() {
    let mut h = Harness::new(mini(), "2026-04-01");
    h.submit("P", &["A"], "2026-04-01");
    // 4/1 + 5 working days (清明 4/4–6): 4/2, 4/3, 4/7, 4/8, 4/9. Fires 4/10 00:00.
    let t = timers(h.case());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].id, "auto_accept:P");
    assert_eq!(t[0].kind, TimerKind::AutoAccept);
    assert_eq!(t[0].due, at("2026-04-10", 0));
    // Not due yet; not the system; unknown id.
    assert_eq!(
        h.fire("auto_accept:P", at("2026-04-09", 23))
            .unwrap_err()
            .code,
        "timer_not_due"
    );
    assert_eq!(
        h.try_run(
            Command::FireTimer {
                timer_id: "auto_accept:P".into()
            },
            &clerk(),
            at("2026-04-10", 1)
        )
        .unwrap_err()
        .code,
        "role_not_allowed"
    );
    assert_eq!(
        h.fire("overdue:P", at("2026-04-10", 1)).unwrap_err().code,
        "timer_not_armed"
    );
    let evs = h.fire("auto_accept:P", at("2026-04-10", 0)).unwrap();
    assert!(matches!(
        &evs[0],
        Event::ItemAccepted { deemed: true, accepted_on, .. } if *accepted_on == date("2026-04-01")
    ));
    let it = h.item("P");
    assert!(it.deemed_accepted);
    // Counted from receipt (Art. 32): 4/2 1, 4/3 2, 4/7 3 … 4/16 10.
    assert_eq!(it.deadline, Some(date("2026-04-16")));
    // Fired once: not armed any more.
    assert_eq!(
        h.fire("auto_accept:P", at("2026-04-10", 1))
            .unwrap_err()
            .code,
        "timer_not_armed"
    );
}

#[test]
fn one_notice_disarms_auto_acceptance_and_only_one_is_allowed() {
    let mut h = Harness::new(mini(), "2026-04-01");
    h.submit("P", &["A"], "2026-04-01");
    h.ok(
        Command::RequestSupplement {
            item: "P".into(),
            materials: vec!["A".into()],
            note: "一次告知".into(),
        },
        &clerk(),
        at("2026-04-03", 9),
    );
    assert!(timers(h.case()).is_empty());
    assert_eq!(
        h.fire("auto_accept:P", at("2026-04-10", 0))
            .unwrap_err()
            .code,
        "timer_not_armed"
    );
    let evs = supplement_done(&mut h, "P", "2026-04-08");
    assert!(matches!(
        evs[0],
        Event::SupplementCompleted { rule: None, .. }
    ));
    // A new 5-day window from 4/8: 4/9, 4/10, 4/13, 4/14, 4/15 → fires 4/16 00:00.
    assert_eq!(timers(h.case())[0].due, at("2026-04-16", 0));
    h.refused(
        Command::RequestSupplement {
            item: "P".into(),
            materials: vec!["A".into()],
            note: "再次告知".into(),
        },
        &clerk(),
        at("2026-04-09", 9),
        "one_notice_only",
    );
}

#[test]
fn warning_levels_at_the_boundaries() {
    use WarningLevel::*;
    // limit 10, share 0.2: threshold max(2, 2) = 2.
    assert_eq!(warning_level(3, 10, 0.2), Green);
    assert_eq!(warning_level(2, 10, 0.2), Yellow);
    assert_eq!(warning_level(0, 10, 0.2), Yellow);
    assert_eq!(warning_level(-1, 10, 0.2), Red);
    // limit 20: threshold 4.
    assert_eq!(warning_level(5, 20, 0.2), Green);
    assert_eq!(warning_level(4, 20, 0.2), Yellow);
    // limit 11: ⌈2.2⌉ = 3.
    assert_eq!(warning_level(4, 11, 0.2), Green);
    assert_eq!(warning_level(3, 11, 0.2), Yellow);
    // limit 3: ⌈0.6⌉ = 1, floor of 2 applies.
    assert_eq!(warning_level(3, 3, 0.2), Green);
    assert_eq!(warning_level(2, 3, 0.2), Yellow);
    // share 0.5, limit 7: ⌈3.5⌉ = 4.
    assert_eq!(warning_level(5, 7, 0.5), Green);
    assert_eq!(warning_level(4, 7, 0.5), Yellow);

    // On a running item (accepted 3/2, limit 10, deadline 3/16).
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    let it = h.item("P").clone();
    let cal = &h.defs.calendar;
    let light = |d: &str| {
        warning_level(
            remaining_days(&it.clock, cal, date(d)).unwrap(),
            it.clock.total_limit(),
            h.defs.process.warning_share,
        )
    };
    assert_eq!(light("2026-03-11"), Green); // 7 counted, 3 left
    assert_eq!(light("2026-03-12"), Yellow); // 2 left
    assert_eq!(light("2026-03-16"), Yellow); // deadline day, 0 left
    assert_eq!(light("2026-03-17"), Red); // overdue
    assert_eq!(
        clock::item_warning(&it, cal, date("2026-03-12"), 0.2).unwrap(),
        Some(Yellow)
    );
    // Paused items have no light.
    h.process("P", "zrzy", "2026-03-03");
    h.ok(
        Command::StartSpecial {
            item: "P".into(),
            kind: SpecialKind::Testing,
            reason: "检测".into(),
            limit_wd: None,
        },
        &reviewer("zrzy"),
        at("2026-03-04", 9),
    );
    assert_eq!(
        clock::item_warning(h.item("P"), &h.defs.calendar, date("2026-03-20"), 0.2).unwrap(),
        None
    );
}

#[test]
fn overdue_timer_notifies_the_supervisor() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    let t = timers(h.case());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].kind, TimerKind::Overdue);
    assert_eq!(t[0].due, at("2026-03-17", 0));
    assert_eq!(
        h.fire("overdue:P", at("2026-03-16", 23)).unwrap_err().code,
        "timer_not_due"
    );
    let evs = h.fire("overdue:P", at("2026-03-17", 0)).unwrap();
    assert_eq!(Harness::kinds(&evs), vec!["item_overdue"]);
    assert!(h.item("P").flags.contains(&model::ItemFlag::Overdue));
    assert_eq!(h.case().notices.len(), 1);
    assert_eq!(h.case().notices[0].kind, model::NoticeKind::Overdue);
    assert!(timers(h.case()).is_empty());
}
