//! A case through all four stages of the demo process, with parallel items,
//! prerequisites, the BIM review gate, a milestone join, 告知承诺, a rating and
//! the metrics of the finished case.

mod common;
#[path = "scenario/supervision.rs"]
mod supervision;
use common::*;
use zhishen_workflow::model::{FindingStatus, LicenceStatus};
use zhishen_workflow::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn stage_status(h: &Harness) -> Vec<StageStatus> {
    h.case().stages.iter().map(|s| s.status).collect()
}

fn full_case() -> Harness {
    use StageStatus::*;
    let mut h = Harness::new(demo(), "2026-03-02");
    assert_eq!(Harness::kinds(&h.log), vec!["case_created", "stage_opened"]);
    assert_eq!(stage_status(&h), vec![Open, Pending, Pending, Pending]);
    let c = h.case();
    assert_eq!(c.process_version, "2026.1");
    assert_eq!(c.catalogue_version, "2026.1");
    assert_eq!(c.calendar_version, "CN-2025.1+CN-2026.1");
    assert_eq!(c.stages[0].lead_department, "fgw");

    // ── Stage 1: 项目备案 then 建设用地规划许可 (prerequisite) ──
    let sub = |item: &str, mats: &[&str]| Command::Submit {
        item: item.into(),
        materials: mats.iter().map(|s| s.to_string()).collect(),
        commitments: vec![],
    };
    h.refused(
        sub("JSYDGHXK", &["SQB", "CRHT", "HXT"]),
        &applicant(),
        at("2026-03-02", 9),
        "prerequisite_pending",
    );
    h.refused(
        sub("SGXK", &["SQB"]),
        &applicant(),
        at("2026-03-02", 9),
        "stage_not_open",
    );
    h.submit("XMBA", &["BAXX"], "2026-03-02");
    h.accept("XMBA", "2026-03-02");
    // 备案 promised 1 working day: 3/3.
    assert_eq!(h.item("XMBA").deadline, Some(date("2026-03-03")));
    h.process("XMBA", "fgw", "2026-03-02");
    let evs = h.conclude("XMBA", "fgw", Outcome::Pass, "2026-03-03");
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded"],
        "stage 1 still waits"
    );
    h.submit("JSYDGHXK", &["SQB", "CRHT", "HXT"], "2026-03-03");
    h.accept("JSYDGHXK", "2026-03-03");
    // Promised 5: 3/4, 3/5, 3/6, 3/9, 3/10.
    assert_eq!(h.item("JSYDGHXK").deadline, Some(date("2026-03-10")));
    h.process("JSYDGHXK", "zrzy", "2026-03-04");
    let evs = h.conclude("JSYDGHXK", "zrzy", Outcome::Pass, "2026-03-05");
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_joined", "stage_opened"]
    );
    assert_eq!(stage_status(&h), vec![Joined, Open, Pending, Pending]);
    let lic = h.item("JSYDGHXK").licence.clone().unwrap();
    assert_eq!(lic.kind, "建设用地规划许可证");
    assert_eq!(lic.status, LicenceStatus::Issued);

    // ── Stage 2: 设计方案审查 → 建设工程规划许可 (BIM review gate) ──
    h.submit("SJFASC", &["FAWB", "BIM"], "2026-03-06");
    h.accept("SJFASC", "2026-03-06");
    h.process("SJFASC", "zrzy", "2026-03-06");
    // 方案审查 takes no machine review: the domain refuses a report for it, whoever sends it.
    h.refused(
        Command::RecordReview {
            item: "SJFASC".into(),
            report_sha256: SHA.into(),
            findings: vec![],
        },
        &reviewer("zrzy"),
        at("2026-03-07", 9),
        "no_bim_review",
    );
    h.conclude("SJFASC", "zrzy", Outcome::Pass, "2026-03-10");
    h.submit("JSGCGHXK", &["SQB", "ZPT", "BIM", "DZBG"], "2026-03-10");
    h.accept("JSGCGHXK", "2026-03-10");
    h.process("JSGCGHXK", "zrzy", "2026-03-10");
    let concl = Command::Conclude {
        item: "JSGCGHXK".into(),
        outcome: Outcome::Pass,
        opinion: "同意".into(),
    };
    h.refused(
        concl.clone(),
        &reviewer("zrzy"),
        at("2026-03-11", 9),
        "bim_review_missing",
    );
    h.refused(
        Command::RecordReview {
            item: "JSGCGHXK".into(),
            report_sha256: "not-a-digest".into(),
            findings: vec![],
        },
        &reviewer("zrzy"),
        at("2026-03-11", 9),
        "invalid_digest",
    );
    h.ok(
        Command::RecordReview {
            item: "JSGCGHXK".into(),
            report_sha256: SHA.into(),
            findings: vec![Finding {
                check_id: "far".into(),
                status: FindingStatus::Pass,
                message: "容积率 2.4 ≤ 2.5".into(),
            }],
        },
        &reviewer("zrzy"),
        at("2026-03-11", 10),
    );
    let evs = h.ok(concl, &reviewer("zrzy"), at("2026-03-12", 9));
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_joined", "stage_opened"]
    );
    assert_eq!(
        h.item("JSGCGHXK").licence.as_ref().unwrap().kind,
        "建设工程规划许可证"
    );
    assert_eq!(stage_status(&h), vec![Joined, Joined, Open, Pending]);

    // ── Stage 3: 施工图/消防/人防 in parallel; 施工许可 is the milestone ──
    h.submit("SGTSC", &["SCHGS"], "2026-03-13");
    h.submit("XFSJSC", &["XFSJ", "ZZZM"], "2026-03-13");
    h.submit("RFSC", &["RFSJ", "YDJS"], "2026-03-13");
    for (item, dept) in [("SGTSC", "zjj"), ("XFSJSC", "zjj"), ("RFSC", "rfb")] {
        h.accept(item, "2026-03-13");
        h.process(item, dept, "2026-03-13");
    }
    h.conclude("SGTSC", "zjj", Outcome::Pass, "2026-03-16");
    h.refused(
        Command::Submit {
            item: "SGXK".into(),
            materials: vec!["SQB".into(), "SGHT".into()],
            commitments: vec!["ZJLS".into()],
        },
        &applicant(),
        at("2026-03-16", 17),
        "prerequisite_pending",
    );
    h.conclude("XFSJSC", "zjj", Outcome::Pass, "2026-03-17");
    h.submit_c("SGXK", &["SQB", "SGHT"], &["ZJLS"], "2026-03-17");
    h.accept("SGXK", "2026-03-17");
    // Promised 3: 3/18, 3/19, 3/20.
    assert_eq!(h.item("SGXK").deadline, Some(date("2026-03-20")));
    h.process("SGXK", "zjj", "2026-03-17");
    let evs = h.conclude("SGXK", "zjj", Outcome::Pass, "2026-03-18");
    // Milestone join: 人防 is still being processed.
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_joined", "stage_opened"]
    );
    assert_eq!(h.item("RFSC").state, ItemState::Processing);
    assert_eq!(stage_status(&h), vec![Joined, Joined, Joined, Open]);
    // 告知承诺 on 资金: 核查 due 3/18 + 20 working days = 4/16 (清明 4/6 skipped).
    assert_eq!(
        h.item("SGXK").commitment_check.as_ref().unwrap().due,
        date("2026-04-16")
    );
    let evs = h.conclude("RFSC", "rfb", Outcome::Pass, "2026-03-20");
    assert_eq!(Harness::kinds(&evs), vec!["item_concluded"]);

    // ── Stage 4: 规划核实 ‖ 联合验收, then 竣工验收备案 ──
    h.submit("GHHS", &["JGCH"], "2026-03-23");
    h.submit("LHYS", &["JGBG", "DAYS"], "2026-03-23");
    h.accept("GHHS", "2026-03-23");
    h.accept("LHYS", "2026-03-23");
    h.process("GHHS", "zrzy", "2026-03-23");
    h.process("LHYS", "zjj", "2026-03-23");
    h.refused(
        Command::Rate {
            score: 5,
            comment: "".into(),
        },
        &applicant(),
        at("2026-03-23", 17),
        "case_not_ended",
    );
    h.conclude("GHHS", "zrzy", Outcome::Pass, "2026-03-24");
    h.conclude("LHYS", "zjj", Outcome::Pass, "2026-03-25");
    h.submit("JGBA", &["BAB"], "2026-03-26");
    h.accept("JGBA", "2026-03-26");
    h.process("JGBA", "zjj", "2026-03-26");
    let evs = h.conclude("JGBA", "zjj", Outcome::Pass, "2026-03-27");
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_concluded", "stage_joined", "case_completed"]
    );
    assert_eq!(h.case().status, CaseStatus::Completed);
    assert_eq!(h.case().ended_on, Some(date("2026-03-27")));
    h.ok(
        Command::Rate {
            score: 5,
            comment: "并联审批很快".into(),
        },
        &applicant(),
        at("2026-03-30", 9),
    );
    h
}

#[test]
fn four_stages_open_and_join_in_order() {
    let h = full_case();
    let s = &h.case().stages;
    let got: Vec<_> = s.iter().map(|s| (s.opened_on, s.joined_on)).collect();
    let d = |x: &str| Some(date(x));
    assert_eq!(
        got,
        vec![
            (d("2026-03-02"), d("2026-03-05")),
            (d("2026-03-05"), d("2026-03-12")),
            (d("2026-03-12"), d("2026-03-18")),
            (d("2026-03-18"), d("2026-03-27")),
        ]
    );
    // Every item 办结(通过) = code 11.
    for it in &h.case().items {
        assert_eq!(it.state.code().map(|c| c.code()), Some(11), "{}", it.code);
    }
    // The only timer left is the 告知承诺 check.
    let t = timers(h.case());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].id, "commitment_check:SGXK");
}

#[test]
fn replaying_the_log_rebuilds_the_case_and_events_round_trip_as_json() {
    let h = full_case();
    let mut c = None;
    for e in &h.log {
        let v = serde_json::to_value(e).unwrap();
        assert_eq!(v["type"], e.kind().as_str());
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(&back, e);
        c = Some(apply(c, &back, &h.defs));
    }
    let c = c.unwrap();
    assert_eq!(&c, h.case());
    assert_eq!(c.seq, h.log.len() as u64);
    let json = serde_json::to_value(&c).unwrap();
    let back: Case = serde_json::from_value(json).unwrap();
    assert_eq!(&back, h.case());
}

#[test]
fn metrics_of_the_finished_case() {
    let h = full_case();
    let m = metrics(
        std::slice::from_ref(h.case()),
        date("2026-03-31"),
        &h.defs.calendar,
    );
    assert_eq!(m.items_concluded, 11);
    assert_eq!(m.items_overdue, 0);
    assert_eq!(m.overdue_rate, Some(0.0));
    // 施工许可: accepted 3/17, concluded 3/18 → 1 working day.
    assert_eq!(m.by_item["SGXK"].mean_wd, 1.0);
    // 建设用地规划许可: 3/3 → 3/5 = 2.
    assert_eq!(m.by_item["JSYDGHXK"].mean_wd, 2.0);
    // fgw handled only 备案: 3/2 → 3/3 = 1.
    assert_eq!(m.by_department["fgw"].count, 1);
    assert_eq!(m.by_department["fgw"].mean_wd, 1.0);
    // rfb: 人防 3/13 → 3/20 = 5.
    assert_eq!(m.by_department["rfb"].mean_wd, 5.0);
    // Stage 1: 3/2 → 3/5 = 3; stage 4: 3/18 → 3/27 = 7.
    assert_eq!(m.by_stage[&StageKind::LandUsePlanning].mean_wd, 3.0);
    assert_eq!(m.by_stage[&StageKind::CompletionAcceptance].mean_wd, 7.0);
    assert_eq!(m.counts_by_state.len(), 1);
    assert_eq!(m.counts_by_state[0].code, 11);
    assert_eq!(m.counts_by_state[0].count, 11);
    assert_eq!(m.ratings.len(), 1);
    assert_eq!(m.rating_mean, Some(5.0));
    assert_eq!(m.rating_distribution[4].name_zh, "非常满意");
    assert_eq!(m.rating_distribution[4].count, 1);
    assert_eq!(m.bad_ratings, 0);
    assert!(m.errors.is_empty());
    // It serialises (for the API / CLI).
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["by_stage"]["land_use_planning"]["mean_wd"], 3.0);
}

#[test]
fn metrics_exclude_special_time_and_count_overdue() {
    let mut h = Harness::new(mini(), "2026-03-02");
    h.submit("P", &["A"], "2026-03-02");
    h.submit("R", &["A"], "2026-03-02");
    h.accept("P", "2026-03-02");
    h.accept("R", "2026-03-02");
    h.process("P", "zrzy", "2026-03-03");
    h.process("R", "zjj", "2026-03-03");
    h.ok(
        Command::StartSpecial {
            item: "P".into(),
            kind: SpecialKind::Hearing,
            reason: "听证".into(),
            limit_wd: None,
        },
        &reviewer("zrzy"),
        at("2026-03-04", 12),
    );
    h.ok(
        Command::EndSpecial {
            item: "P".into(),
            result: "听证结束".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-11", 12),
    );
    // R: 3/2 → 3/17 = 11 working days > 10 → overdue.
    h.conclude("R", "zjj", Outcome::Pass, "2026-03-17");
    // P: 3/2 → 3/20 = 14 working days, minus (3/4, 3/11] = 5 → 9.
    h.conclude("P", "zrzy", Outcome::Pass, "2026-03-20");
    // Another case still running, rated never; K is in 补正 (state code 6).
    let mut h2 = Harness::new(mini(), "2026-03-02");
    h2.submit("K", &["A", "B"], "2026-03-02");
    h2.accept("K", "2026-03-02");
    h2.ok(
        Command::RequestSupplement {
            item: "K".into(),
            materials: vec!["A".into()],
            note: "签章".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-03", 9),
    );
    let m = metrics(
        &[h.case().clone(), h2.case().clone()],
        date("2026-03-31"),
        &h.defs.calendar,
    );
    assert_eq!(m.items_concluded, 2);
    assert_eq!(m.items_overdue, 1);
    assert_eq!(m.overdue_rate, Some(0.5));
    assert_eq!(m.by_item["P"].mean_wd, 9.0);
    assert_eq!(m.by_item["P"].mean_counted_wd, 9.0);
    assert_eq!(m.by_item["R"].mean_wd, 11.0);
    assert_eq!(m.by_department["zjj"].mean_wd, 11.0);
    let codes: Vec<(u8, u64)> = m
        .counts_by_state
        .iter()
        .map(|s| (s.code, s.count))
        .collect();
    assert_eq!(codes, vec![(6, 1), (11, 2)]);
    assert!(m.ratings.is_empty());
    assert_eq!(m.rating_mean, None);
}

/// 材料核验 and 电子证照复用 on the planning permit (JSGCGHXK): files must be of the kind
/// the catalogue asks for; the land-use planning permit issued in stage 1 satisfies the
/// YDXK material by reference on 收件 and may not be asked for again.
#[test]
fn materials_are_matched_by_kind_and_an_issued_licence_is_reused() {
    let mut h = Harness::new(demo(), "2026-03-02");
    for (item, mats, dept, day) in [
        ("XMBA", &["BAXX"][..], "fgw", "2026-03-02"),
        (
            "JSYDGHXK",
            &["SQB", "CRHT", "HXT"][..],
            "zrzy",
            "2026-03-03",
        ),
        ("SJFASC", &["FAWB", "BIM"][..], "zrzy", "2026-03-05"),
    ] {
        h.submit(item, mats, day);
        h.accept(item, day);
        h.process(item, dept, day);
        h.conclude(item, dept, Outcome::Pass, day);
    }
    let land = h.item("JSYDGHXK").licence.clone().unwrap();
    let file = |material: &str, kind: MaterialKind, sha: &str| Command::AttachMaterial {
        item: "JSGCGHXK".into(),
        material: material.into(),
        attachment: Attachment::File {
            sha256: sha.into(),
            kind,
            pages: Some(2),
        },
    };
    let t = at("2026-03-06", 9);
    // The application form must be a PDF: an IFC is refused, naming both kinds.
    let r = h.refused(
        file("SQB", MaterialKind::Ifc, SHA),
        &applicant(),
        t,
        "material_kind",
    );
    assert!(
        r.message_en.contains("must be pdf, the upload is ifc"),
        "{}",
        r.message_en
    );
    h.refused(
        file("XYZ", MaterialKind::Pdf, SHA),
        &applicant(),
        t,
        "unknown_material",
    );
    h.refused(
        file("SQB", MaterialKind::Pdf, "abc"),
        &applicant(),
        t,
        "invalid_digest",
    );
    h.refused(
        file("SQB", MaterialKind::Pdf, SHA),
        &Actor::new("app-2", Role::Applicant, None),
        t,
        "not_applicant",
    );
    h.refused(
        file("SQB", MaterialKind::Pdf, SHA),
        &reviewer("zrzy"),
        t,
        "role_not_allowed",
    );
    // A licence reference must name a licence this case issued, of the catalogue's type.
    let by_licence = |number: &str| Command::AttachMaterial {
        item: "JSGCGHXK".into(),
        material: "YDXK".into(),
        attachment: Attachment::Licence {
            item: "JSYDGHXK".into(),
            kind: land.kind.clone(),
            number: number.into(),
        },
    };
    h.refused(by_licence("FORGED-1"), &applicant(), t, "licence_not_found");

    h.ok(file("SQB", MaterialKind::Pdf, SHA), &applicant(), t);
    let def = h.defs.catalogue.item("JSGCGHXK").unwrap().clone();
    let lines = materials::status(&def, h.item("JSGCGHXK"));
    let by_code = |c: &str| lines.iter().find(|l| l.code == c).unwrap().status.clone();
    assert!(matches!(by_code("SQB"), MaterialStatus::Attached { .. }));
    assert_eq!(
        by_code("BIM"),
        MaterialStatus::Missing {
            required: true,
            rongque: false
        }
    );
    assert_eq!(
        by_code("DZBG"),
        MaterialStatus::Missing {
            required: true,
            rongque: true
        }
    );

    // 收件 without YDXK: the issued land-use permit is attached by reference.
    let evs = h.submit("JSGCGHXK", &["SQB", "ZPT", "BIM", "DZBG"], "2026-03-06");
    assert_eq!(
        Harness::kinds(&evs),
        vec!["item_received", "material_attached"]
    );
    let lines = materials::status(&def, h.item("JSGCGHXK"));
    let ydxk = lines.iter().find(|l| l.code == "YDXK").unwrap();
    assert_eq!(
        ydxk.status,
        MaterialStatus::Attached {
            attachment: Attachment::Licence {
                item: "JSYDGHXK".into(),
                kind: "建设用地规划许可证".into(),
                number: land.number.clone(),
            }
        }
    );
    assert_eq!(
        lines.iter().find(|l| l.code == "ZPT").unwrap().status,
        MaterialStatus::Declared,
        "handed in at 收件 without a file on record"
    );
    // Accepted with nothing missing: the reused licence counts.
    h.accept("JSGCGHXK", "2026-03-06");
    assert!(h.item("JSGCGHXK").rongque.is_none());
    // Never asked for twice.
    let r = h.refused(
        Command::RequestSupplement {
            item: "JSGCGHXK".into(),
            materials: vec!["YDXK".into(), "ZPT".into()],
            note: "请补交".into(),
        },
        &reviewer("zrzy"),
        at("2026-03-09", 9),
        "licence_reused",
    );
    assert!(
        r.message_zh.contains("YDXK") && !r.message_zh.contains("ZPT"),
        "{}",
        r.message_zh
    );

    // Replaying the log gives the same case, attachments included.
    let mut replayed = None;
    for e in &h.log {
        replayed = Some(apply(replayed, e, &h.defs));
    }
    assert_eq!(replayed.as_ref(), h.case.as_ref());
}
