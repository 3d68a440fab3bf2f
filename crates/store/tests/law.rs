//! Law: whatever sequence of commands (accepted or refused) runs, the stored
//! events are gap-free per case, the projection equals the fold of `apply`
//! over the stored events, and the log verifies.

mod common;

use common::*;
use proptest::prelude::*;
use zhishen_workflow::{Actor, Command, Event, Outcome, Role};

fn cmd_of(k: u8) -> (Command, Actor) {
    let app = Actor::new("app-1", Role::Applicant, None);
    let clerk = Actor::new("clerk-1", Role::Clerk, None);
    let rev = |d: &str| Actor::new("rev-1", Role::Reviewer, Some(d));
    let (item, dept, mats): (&str, &str, Vec<String>) = if k.is_multiple_of(2) {
        ("LAND", "zrzy", vec!["app".into(), "plan".into()])
    } else {
        ("EIA", "sthj", vec!["report".into()])
    };
    match k / 2 % 6 {
        0 => (
            Command::Submit {
                item: item.into(),
                materials: mats,
                commitments: vec![],
            },
            app,
        ),
        1 => (Command::Accept { item: item.into() }, clerk),
        2 => (Command::StartProcessing { item: item.into() }, rev(dept)),
        3 => (
            Command::Conclude {
                item: item.into(),
                outcome: Outcome::Pass,
                opinion: "同意".into(),
            },
            rev(dept),
        ),
        4 => (
            Command::RequestSupplement {
                item: item.into(),
                materials: vec![mats[0].clone()],
                note: "补正".into(),
            },
            clerk,
        ),
        _ => (
            Command::Withdraw {
                item: item.into(),
                reason: "撤回".into(),
            },
            app,
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn projection_is_the_fold_of_stored_events(ks in proptest::collection::vec(0u8..12, 1..25)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let db = sqlite().await;
            let s = &db.store;
            s.execute(&cid("C1"), &Command::CreateCase {
                case_id: "C1".into(),
                project_code: "P".into(),
                project_name: "N".into(),
                applicant: "app-1".into(),
            }, &Actor::new("app-1", Role::Applicant, None), &rid("c")).await.unwrap();
            let mut accepted = 1;
            for (i, k) in ks.iter().enumerate() {
                let (cmd, actor) = cmd_of(*k);
                match s.execute(&cid("C1"), &cmd, &actor, &rid(format!("r{i}"))).await {
                    Ok(_) => accepted += 1,
                    Err(zhishen_store::StoreError::Refused(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            let evs = s.events(&cid("C1")).await.unwrap();
            let seqs: Vec<u64> = evs.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, (1..=evs.len() as u64).collect::<Vec<_>>());
            assert_eq!(count(s, "command_request").await, accepted);
            let stored = s.case(&cid("C1")).await.unwrap().unwrap();
            let defs = s.case_definitions(&stored).await.unwrap();
            let mut folded = None;
            for e in &evs {
                let ev: Event = serde_json::from_value(e.payload.clone()).unwrap();
                folded = Some(zhishen_workflow::apply(folded, &ev, &defs));
            }
            assert_eq!(folded.unwrap(), stored);
            let v = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
            assert!(v.ok(), "{}", v.describe());
        });
    }
}
