//! Enterprise credit streams: chained per enterprise, leaves of the global log,
//! refusals write nothing, request ids replay; generated histories import.

use super::common::*;
use super::{applicant, create_and_submit};
use zhishen_store::{credit_stream, StoreError};
use zhishen_workflow::credit::*;
use zhishen_workflow::simulate::{simulate, SimConfig};
use zhishen_workflow::{EnterpriseId, Role};

fn sup() -> CreditActor {
    CreditActor {
        id: "sup-1".into(),
        role: Role::Supervisor,
        enterprise: None,
    }
}

fn app_of(e: &str) -> CreditActor {
    CreditActor {
        id: "app-1".into(),
        role: Role::Applicant,
        enterprise: Some(EnterpriseId::new(e).unwrap()),
    }
}

#[tokio::test]
async fn credit_events_are_chained_logged_and_replayed() {
    for db in both("credit_events_are_chained_logged_and_replayed").await {
        let s = &db.store;
        let _ = applicant();
        create_and_submit(s).await;
        let case_events = count(s, "case_event").await;
        let e = EnterpriseId::new("91440300MA5F").unwrap();
        let rules = CreditRules::demo().unwrap();
        let fact = CreditCommand::RecordFact {
            fact: FactKind::FalseDeclaration,
            case_id: Some(cid("C1")),
            note: "伪造证明".into(),
        };
        let ex = s
            .credit_execute(&e, &fact, &sup(), &rules, &rid("k1"))
            .await
            .unwrap();
        assert_eq!(ex.events.len(), 1);
        // 100 − 30 (false declaration) − 15 (one broken commitment) = 55 < 60: D.
        let regrade = CreditCommand::Regrade {
            history: CreditInputs {
                commitments_broken: 1,
                ..Default::default()
            },
        };
        let ex = s
            .credit_execute(&e, &regrade, &sup(), &rules, &rid("k2"))
            .await
            .unwrap();
        assert_eq!(ex.state.grade, Some(Grade::D), "{}", db.label);
        assert_eq!(ex.events[0].kind, "credit_grade_changed");
        assert_eq!(ex.state.assessment.as_ref().unwrap().score, 55);
        let again = s
            .credit_execute(&e, &regrade, &sup(), &rules, &rid("k2"))
            .await
            .unwrap();
        assert!(again.replayed && again.events.is_empty());
        // Another enterprise's applicant: refused, nothing written.
        let object = CreditCommand::Object {
            reason: "有误 wrong".into(),
        };
        let before = count(s, "case_event").await;
        match s
            .credit_execute(&e, &object, &app_of("OTHER"), &rules, &rid("k3"))
            .await
        {
            Err(StoreError::Refused(r)) => assert_eq!(r.code, "not_enterprise_applicant"),
            other => panic!("{other:?}"),
        }
        assert_eq!(count(s, "case_event").await, before);
        s.credit_execute(&e, &object, &app_of("91440300MA5F"), &rules, &rid("k3"))
            .await
            .unwrap();
        let amend = CreditCommand::DecideObjection {
            decision: ObjectionDecision::Amend { grade: Grade::C },
            reason: "复核 reviewed".into(),
        };
        let ex = s
            .credit_execute(&e, &amend, &sup(), &rules, &rid("k4"))
            .await
            .unwrap();
        assert_eq!(ex.events.len(), 2);
        let (state, hist) = s.credit(&e).await.unwrap();
        assert_eq!(state.grade, Some(Grade::C));
        // The current grades: the last change of each stream (D, then C on objection).
        let grades = s.credit_grades().await.unwrap();
        assert_eq!(
            grades.into_iter().collect::<Vec<_>>(),
            vec![("91440300MA5F".to_string(), Grade::C)]
        );
        assert_eq!(
            hist.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(count(s, "case_event").await, case_events + 5);
        assert_eq!(count(s, "log_leaf").await, case_events + 5);
        let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
        assert_eq!(rep.report.events as i64, case_events + 5);
        assert_eq!(credit_stream(&e), "credit:91440300MA5F");
    }
}

#[tokio::test]
async fn generated_histories_import_and_verify() {
    for db in both("generated_histories_import_and_verify").await {
        let s = &db.store;
        let defs = zhishen_workflow::demo::definitions().unwrap();
        let cfg = SimConfig {
            seed: 7,
            cases: 30,
            start: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            span_days: 60,
            until: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            regions: vec!["440303".into(), "440304".into()],
            enterprises: 5,
        };
        let sim = simulate(&defs, &cfg).unwrap();
        let events: usize = sim.iter().map(|c| c.log.len()).sum();
        let n = s.import_cases(&defs, &sim).await.unwrap();
        assert_eq!(n as usize, events);
        let cases = s.cases().await.unwrap();
        assert_eq!(cases.len(), 30);
        let c = cases.iter().find(|c| c.id == sim[3].case.id).unwrap();
        assert_eq!(c, &sim[3].case);
        assert_eq!(
            s.case_scope(&sim[3].case.id).await.unwrap().unwrap().region,
            "440304"
        );
        let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
    }
}
