//! Stage limits 阶段时限: the open stage's deadline in working days (holidays
//! and 调休 make-up days from the calendar), stretched by 特别程序 days of its
//! items, and the stage-overdue timer that raises a 红灯 event.

mod common;
use common::*;
use zhishen_workflow::model::StageStatus;
use zhishen_workflow::*;

fn stage_timer(h: &Harness) -> Option<Timer> {
    timers(h.case())
        .into_iter()
        .find(|t| t.kind == TimerKind::StageOverdue)
}

/// Both stage-1 items 通过 by Wed 3/4 (case created Mon 3/2).
fn pass_stage_one(h: &mut Harness) {
    h.submit("XMBA", &["BAXX"], "2026-03-02");
    h.accept("XMBA", "2026-03-02");
    h.process("XMBA", "fgw", "2026-03-02");
    h.conclude("XMBA", "fgw", Outcome::Pass, "2026-03-02");
    h.submit("JSYDGHXK", &["SQB", "CRHT", "HXT"], "2026-03-03");
    h.accept("JSYDGHXK", "2026-03-03");
    h.process("JSYDGHXK", "zrzy", "2026-03-03");
    h.conclude("JSYDGHXK", "zrzy", Outcome::Pass, "2026-03-04");
}

#[test]
fn stage_deadline_counts_working_days_across_the_spring_festival() {
    // Demo stage 1 (立项用地规划许可) has a 10-working-day limit. Opened
    // Thu 2026-02-12: 2/13 1, 2/14 (make-up Saturday) 2, 2/15-23 holiday,
    // 2/24 3 … 2/27 6, 2/28 (make-up) 7, 3/2 8, 3/3 9, 3/4 10.
    let h = Harness::new(demo(), "2026-02-12");
    let s = &h.case().stages[0];
    assert_eq!(s.status, StageStatus::Open);
    assert_eq!(s.limit_wd, Some(10));
    assert_eq!(s.deadline, Some(date("2026-03-04")));
    let t = stage_timer(&h).expect("stage timer armed");
    assert_eq!(t.id, "stage_overdue:0");
    assert_eq!(t.due, at("2026-03-05", 0));
    // Later stages are not open, so they have no deadline yet.
    assert!(h.case().stages[1..].iter().all(|s| s.deadline.is_none()));
}

#[test]
fn an_overdue_stage_raises_one_red_light_event() {
    let mut h = Harness::new(demo(), "2026-02-12");
    assert_eq!(
        h.fire("stage_overdue:0", at("2026-03-04", 23))
            .unwrap_err()
            .code,
        "timer_not_due"
    );
    let evs = h.fire("stage_overdue:0", at("2026-03-05", 0)).unwrap();
    assert_eq!(Harness::kinds(&evs), vec!["stage_overdue"]);
    assert!(matches!(
        &evs[0],
        Event::StageOverdue { stage: 0, deadline, .. } if *deadline == date("2026-03-04")
    ));
    assert!(h.case().stages[0].overdue);
    // Fired once: the timer is disarmed and a second firing is refused.
    assert!(stage_timer(&h).is_none());
    assert_eq!(
        h.fire("stage_overdue:0", at("2026-03-06", 0))
            .unwrap_err()
            .code,
        "timer_not_armed"
    );
}

#[test]
fn special_procedure_days_of_a_stage_item_stretch_the_stage_deadline() {
    let mut h = Harness::new(demo(), "2026-03-02");
    // Opened Mon 3/2: 10 working days → Mon 3/16.
    assert_eq!(h.case().stages[0].deadline, Some(date("2026-03-16")));
    h.submit("XMBA", &["BAXX"], "2026-03-02");
    h.accept("XMBA", "2026-03-02");
    h.process("XMBA", "fgw", "2026-03-03");
    h.ok(
        Command::StartSpecial {
            item: "XMBA".into(),
            kind: SpecialKind::ExpertReview,
            reason: "专家评审 expert review".into(),
            limit_wd: Some(5),
        },
        &reviewer("fgw"),
        at("2026-03-04", 10),
    );
    // While the item is in 特别程序 the stage clock waits: no deadline, no timer.
    assert_eq!(h.case().stages[0].deadline, None);
    assert!(stage_timer(&h).is_none());
    h.ok(
        Command::EndSpecial {
            item: "XMBA".into(),
            result: "专家意见: 同意".into(),
        },
        &reviewer("fgw"),
        at("2026-03-11", 10),
    );
    // Excluded (3/4, 3/11] = 3/5, 3/6, 3/9, 3/10, 3/11: five working days,
    // so the deadline moves from 3/16 to 3/23.
    assert_eq!(h.case().stages[0].deadline, Some(date("2026-03-23")));
    assert_eq!(stage_timer(&h).unwrap().due, at("2026-03-24", 0));
}

#[test]
fn a_joined_stage_has_no_timer_and_the_next_stage_starts_its_own() {
    let mut h = Harness::new(demo(), "2026-03-02");
    pass_stage_one(&mut h);
    let c = h.case();
    assert_eq!(c.stages[0].status, StageStatus::Joined);
    assert_eq!(c.stages[0].deadline, None);
    // Stage 2 (工程建设许可, 15 working days) opened Wed 3/4 → Wed 3/25.
    assert_eq!(c.stages[1].opened_on, Some(date("2026-03-04")));
    assert_eq!(c.stages[1].deadline, Some(date("2026-03-25")));
    assert_eq!(stage_timer(&h).unwrap().id, "stage_overdue:1");
}

#[test]
fn metrics_count_overdue_stages() {
    // A: stage 1 opened 2/12, past its 3/4 deadline on 3/10 (timer not fired
    // yet: still counted). B: stage 1 joined on time, stage 2 open in time.
    let a = Harness::new(demo(), "2026-02-12");
    let mut b = Harness::new(demo(), "2026-03-02");
    pass_stage_one(&mut b);
    let cases = [a.case().clone(), b.case().clone()];
    let m = metrics(&cases, date("2026-03-10"), &a.defs.calendar);
    assert_eq!(m.stages_with_limit, 3);
    assert_eq!(m.stages_overdue, 1);
    assert_eq!(m.stage_overdue_rate, Some(1.0 / 3.0));
    // On its deadline day A is not yet late.
    let m = metrics(&cases, date("2026-03-04"), &a.defs.calendar);
    assert_eq!(m.stages_overdue, 0);
}
