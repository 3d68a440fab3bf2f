//! The demo catalogue and process load and fit; broken definitions are refused
//! with errors naming the document and the field.

mod common;
use common::*;
use zhishen_workflow::*;

#[test]
fn demo_catalogue_covers_the_four_stages() {
    let d = demo();
    let cat = &d.catalogue;
    assert_eq!((cat.id.as_str(), cat.version.as_str()), ("demo", "2026.1"));
    for k in StageKind::ALL {
        assert!(cat.items.iter().any(|i| i.stage == k), "{k:?}");
    }
    let gh = cat.item("JSGCGHXK").unwrap();
    assert_eq!(gh.name_zh, "建设工程规划许可证核发");
    assert!(gh.bim_review);
    assert_eq!(gh.licence.as_deref(), Some("建设工程规划许可证"));
    assert!(gh.legal_basis[0].contains("城乡规划法") && gh.legal_basis[0].contains("第四十条"));
    assert_eq!(gh.supplement_clock, ClockRule::Pause);
    let yd = cat.item("JSYDGHXK").unwrap();
    assert!(yd.legal_basis[0].contains("第三十七条"));
    let sg = cat.item("SGXK").unwrap();
    assert!(sg.legal_basis[0].contains("建筑法") && sg.legal_basis[0].contains("第八条"));
    assert_eq!(sg.statutory_limit_wd, 7);
    assert_eq!(sg.supplement_clock, ClockRule::Restart);
    assert!(sg.material("ZJLS").unwrap().commitment);
    assert!(sg.material("SGHT").unwrap().rongque);
    // Only one item requires BIM review.
    assert_eq!(cat.items.iter().filter(|i| i.bim_review).count(), 1);
    for code in ["XFSJSC", "RFSC", "LHYS", "XMBA", "SGTSC", "GHHS"] {
        assert!(cat.item(code).is_some(), "{code}");
    }
    let p = &d.process;
    assert_eq!(p.stages.len(), 4);
    assert_eq!(p.stages[2].join, JoinRule::Milestones);
    assert_eq!(
        p.find_item("SGXK").unwrap().1.prerequisites,
        vec!["SGTSC", "XFSJSC"]
    );
}

fn cat_err(text: &str) -> String {
    Catalogue::from_toml(text).unwrap_err().to_string()
}
fn proc_err(text: &str) -> String {
    ProcessDef::from_toml(text).unwrap_err().to_string()
}

#[test]
fn broken_catalogues_name_the_field() {
    let e = cat_err(&MINI_CATALOGUE.replace(
        "promised_limit_wd = 10\nsupplement_clock = \"restart\"",
        "promised_limit_wd = 30\nsupplement_clock = \"restart\"",
    ));
    assert!(
        e.contains("items[R].promised_limit_wd") && e.contains("30"),
        "{e}"
    );
    let e = cat_err(&MINI_CATALOGUE.replace("code = \"R\"", "code = \"P\""));
    assert!(
        e.contains("items[P].code") && e.contains("duplicate"),
        "{e}"
    );
    let e = cat_err(&MINI_CATALOGUE.replacen(
        "stage = \"engineering_permit\"",
        "stage = \"design\"",
        1,
    ));
    assert!(e.contains("design"), "{e}");
    let e = cat_err(&MINI_CATALOGUE.replacen(
        "supplement_clock = \"pause\"",
        "supplement_clock = \"stop\"",
        1,
    ));
    assert!(e.contains("stop"), "{e}");
    let e = cat_err(&MINI_CATALOGUE.replacen(
        "legal_basis = [\"行政许可法 第四十二条\"]",
        "legal_basis = []",
        1,
    ));
    assert!(e.contains("items[P].legal_basis"), "{e}");
    // A typo in a field name is caught, not ignored.
    let e = cat_err(
        &MINI_CATALOGUE
            .replacen("bim_review", "bim_reveiw", 1)
            .replacen(
                "promised_limit_wd = 10",
                "promised_limit_wd = 10\nbim_reveiw = true",
                1,
            ),
    );
    assert!(e.contains("bim_reveiw"), "{e}");
}

#[test]
fn broken_processes_name_the_field() {
    let e = proc_err(&MINI_PROCESS.replace(
        "{ code = \"R\", required = false }",
        "{ code = \"R\", required = false, prerequisites = [\"Q\"] }",
    ));
    assert!(
        e.contains("items[R].prerequisites") && e.contains("'Q'"),
        "{e}"
    );
    let e = proc_err(
        &MINI_PROCESS
            .replace(
                "{ code = \"R\", required = false }",
                "{ code = \"R\", required = false, prerequisites = [\"K\"] }",
            )
            .replace(
                "{ code = \"K\", required = false }",
                "{ code = \"K\", required = false, prerequisites = [\"R\"] }",
            ),
    );
    assert!(e.contains("cycle"), "{e}");
    let e =
        proc_err(&MINI_PROCESS.replace("{ code = \"P\", milestone = true }", "{ code = \"P\" }"));
    assert!(e.contains("join") && e.contains("Milestones"), "{e}");
    let e = proc_err(&MINI_PROCESS.replace(
        "catalogue_version = \"1\"",
        "catalogue_version = \"1\"\nwarning_share = 1.5",
    ));
    assert!(e.contains("warning_share"), "{e}");
    // Stages out of national order.
    let two = format!(
        "{MINI_PROCESS}\n[[stages]]\nkind = \"land_use_planning\"\nlead_department = \"fgw\"\njoin = \"all_required\"\nitems = [{{ code = \"X\" }}]\n"
    );
    let e = proc_err(&two);
    assert!(e.contains("stages"), "{e}");
    // A prerequisite in a later stage.
    let later = MINI_PROCESS.replace("{ code = \"P\", milestone = true }", "{ code = \"P\", milestone = true, prerequisites = [\"X\"] }")
        + "\n[[stages]]\nkind = \"construction_permit\"\nlead_department = \"zjj\"\njoin = \"all_required\"\nitems = [{ code = \"X\" }]\n";
    let e = proc_err(&later);
    assert!(e.contains("later stage"), "{e}");
}

#[test]
fn definitions_must_fit_together() {
    let cal = demo::calendar().unwrap();
    let cat = Catalogue::from_toml(MINI_CATALOGUE).unwrap();
    // Process written for catalogue version 2.
    let p = ProcessDef::from_toml(
        &MINI_PROCESS.replace("catalogue_version = \"1\"", "catalogue_version = \"2\""),
    )
    .unwrap();
    let e = Definitions::new(cat.clone(), p, cal.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("catalogue mini 2"), "{e}");
    // An item the catalogue does not have.
    let p = ProcessDef::from_toml(&MINI_PROCESS.replace(
        "{ code = \"C\", required = false }",
        "{ code = \"ZZ\", required = false }",
    ))
    .unwrap();
    let e = Definitions::new(cat.clone(), p, cal.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("'ZZ'"), "{e}");
    // An item placed in the wrong stage.
    let p = ProcessDef::from_toml(&MINI_PROCESS.replace(
        "kind = \"engineering_permit\"",
        "kind = \"construction_permit\"",
    ))
    .unwrap();
    let e = Definitions::new(cat, p, cal).unwrap_err().to_string();
    assert!(e.contains("EngineeringPermit"), "{e}");
}

#[test]
fn state_codes_are_the_national_numbers() {
    let codes: Vec<u8> = StateCode::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(codes, vec![1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    for c in StateCode::ALL {
        assert_eq!(StateCode::from_code(c.code()), Some(c));
    }
    assert_eq!(StateCode::from_code(5), None);
    assert_eq!(StateCode::ConcludedRongque.name_zh(), "办结（容缺通过）");
    assert_eq!(Outcome::PassRongque.state_code().code(), 12);
    assert_eq!(ItemState::Waiting.code(), None);
    assert_eq!(RatingLevel::from_score(5).unwrap().name_zh(), "非常满意");
    assert_eq!(RatingLevel::from_score(1).unwrap().name_zh(), "非常不满意");
    assert!(RatingLevel::from_score(2).unwrap().is_bad());
    assert!(!RatingLevel::from_score(3).unwrap().is_bad());
}
