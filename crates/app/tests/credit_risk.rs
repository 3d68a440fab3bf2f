//! The risk sweep sees the credit grade: a case of an enterprise graded D is raised by
//! the `low_credit` rule (C/D), and only by the sweep that passes the grades; the
//! dashboard figures of the supervision report count it.

use std::sync::Arc;
use zhishen_app::supervision::{report, SupervisionQuery};
use zhishen_store::{CaseScope, FixedClock, Store};
use zhishen_workflow::credit::{CreditActor, CreditCommand, FactKind, Grade};
use zhishen_workflow::{demo, Actor, CaseId, Command, EnterpriseId, RequestId, Role};

async fn store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("z.db").display());
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
    let s = Store::open(&url)
        .await
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(now)));
    s.publish_definitions(
        demo::CATALOGUE,
        demo::PROCESS,
        &[demo::CALENDAR_2025, demo::CALENDAR_2026],
    )
    .await
    .unwrap();
    s
}

async fn case_of(s: &Store, id: &str, enterprise: &str) {
    let cmd = Command::CreateCase {
        case_id: id.into(),
        project_code: format!("P-{id}"),
        project_name: "信用测试".into(),
        applicant: "app-1".into(),
    };
    let who = Actor::new("app-1", Role::Applicant, None);
    let rid = RequestId::new(format!("create-{id}")).unwrap();
    s.execute(&CaseId::new(id).unwrap(), &cmd, &who, &rid)
        .await
        .unwrap();
    s.insert_case_scope(&CaseScope {
        case_id: id.into(),
        enterprise: enterprise.into(),
        region: "440300".into(),
        title: "信用测试".into(),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_d_grade_raises_the_low_credit_risk_of_its_cases_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    case_of(&s, "C1", "ENT-BAD").await;
    case_of(&s, "C2", "ENT-GOOD").await;
    let rules = zhishen_app::risk::rules().unwrap();
    // Nobody graded: nothing to record.
    assert!(zhishen_app::risk::sweep_graded(&s, &rules)
        .await
        .unwrap()
        .is_empty());
    // Two false declarations: 100 − 2 × 30 = 40 → D (docs/credit.md).
    let bad = EnterpriseId::new("ENT-BAD").unwrap();
    let sup = CreditActor {
        id: "sup-1".into(),
        role: Role::Supervisor,
        enterprise: None,
    };
    for k in ["f1", "f2"] {
        let fact = CreditCommand::RecordFact {
            fact: FactKind::FalseDeclaration,
            case_id: None,
            note: "伪造证明".into(),
        };
        zhishen_app::credit::execute(&s, &bad, &fact, &sup, &RequestId::new(k).unwrap())
            .await
            .unwrap();
    }
    let credit_rules = zhishen_app::credit::rules().unwrap();
    let ex =
        zhishen_app::credit::regrade(&s, &bad, &credit_rules, &sup, &RequestId::new("g").unwrap())
            .await
            .unwrap();
    assert_eq!(ex.state.grade, Some(Grade::D));
    let grades = zhishen_app::credit::case_grades(&s).await.unwrap();
    assert_eq!(grades.get("C1"), Some(&Grade::D));
    assert_eq!(grades.get("C2"), None);
    // The sweep that passes the grades raises C1, and C1 only, for its grade.
    let changes = zhishen_app::risk::sweep_graded(&s, &rules).await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].case_id, "C1");
    let reason = &changes[0].assessment.reasons[0];
    assert_eq!(reason.rule, "low_credit");
    assert!(reason.text_en.contains("grade D"), "{}", reason.text_en);
    // Again: unchanged, nothing written.
    assert!(zhishen_app::risk::sweep_graded(&s, &rules)
        .await
        .unwrap()
        .is_empty());
    // The supervision report counts the recorded level.
    let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let r = report(
        &s,
        &SupervisionQuery {
            from: d,
            to: d,
            region: Some("440300".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(r.risk.counts.get("medium"), Some(&1));
    assert_eq!(r.risk.counts.get("none"), Some(&1));
    s.close().await;
}
