//! Store behaviour on SQLite and (when `ZHISHEN_TEST_PG_URL` is set) PostgreSQL:
//! the command transaction, idempotency, refusals, concurrency, timers,
//! append-only triggers, blobs, review jobs, checkpoints.

mod common;
#[path = "store/credit.rs"]
mod credit;

use common::*;
use std::sync::Arc;
use zhishen_store::{Store, StoreError};
use zhishen_workflow::{Actor, Command, Outcome, Role};

fn applicant() -> Actor {
    Actor::new("app-1", Role::Applicant, None)
}
fn clerk() -> Actor {
    Actor::new("clerk-1", Role::Clerk, None)
}
fn reviewer(dept: &str) -> Actor {
    Actor::new("rev-1", Role::Reviewer, Some(dept))
}

fn create(id: &str) -> Command {
    Command::CreateCase {
        case_id: id.into(),
        project_code: format!("P-{id}"),
        project_name: "测试项目".into(),
        applicant: "app-1".into(),
    }
}

fn submit(item: &str, mats: &[&str]) -> Command {
    Command::Submit {
        item: item.into(),
        materials: mats.iter().map(|s| s.to_string()).collect(),
        commitments: vec![],
    }
}

/// Case C1 created (r1) and its LAND item submitted with both materials (r2).
async fn create_and_submit(s: &Store) {
    s.execute(&cid("C1"), &create("C1"), &applicant(), &rid("r1"))
        .await
        .unwrap();
    s.execute(
        &cid("C1"),
        &submit("LAND", &["app", "plan"]),
        &applicant(),
        &rid("r2"),
    )
    .await
    .unwrap();
}

async fn seqs(store: &Store, case: &str) -> Vec<u64> {
    store
        .events(&cid(case))
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect()
}

#[tokio::test]
async fn lifecycle_appends_a_gap_free_hash_chain() {
    for db in both("lifecycle_appends_a_gap_free_hash_chain").await {
        let s = &db.store;
        let ex = s
            .execute(&cid("C1"), &create("C1"), &applicant(), &rid("r1"))
            .await
            .unwrap();
        assert!(!ex.replayed, "{}", db.label);
        // case_created + stage_opened for stage 1.
        let kinds: Vec<&str> = ex.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["case_created", "stage_opened"], "{}", db.label);
        assert_eq!(ex.case.seq, 2);
        // The acknowledgement carries the indices the database assigned.
        let first: Vec<(i64, u64)> = ex.events.iter().map(|e| (e.row_id, e.log_index)).collect();
        assert_eq!(first.iter().map(|e| e.1).collect::<Vec<_>>(), [0, 1]);
        s.execute(
            &cid("C1"),
            &submit("LAND", &["app", "plan"]),
            &applicant(),
            &rid("r2"),
        )
        .await
        .unwrap();
        s.execute(
            &cid("C1"),
            &Command::Accept {
                item: "LAND".into(),
            },
            &clerk(),
            &rid("r3"),
        )
        .await
        .unwrap();
        let ex = s
            .execute(
                &cid("C1"),
                &Command::StartProcessing {
                    item: "LAND".into(),
                },
                &reviewer("zrzy"),
                &rid("r4"),
            )
            .await
            .unwrap();
        assert_eq!(ex.events.len(), 1);
        assert_eq!(ex.events[0].seq, 5);
        assert_eq!(ex.events[0].log_index, 4, "{}", db.label);
        let evs = s.events(&cid("C1")).await.unwrap();
        assert_eq!(
            evs.iter()
                .take(2)
                .map(|e| (e.row_id, e.log_index))
                .collect::<Vec<_>>(),
            first,
            "{}",
            db.label
        );
        assert_eq!(evs[4].row_id, ex.events[0].row_id);
        assert_eq!(
            evs.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        // Global log indices are 0.. in append order.
        assert_eq!(
            evs.iter().map(|e| e.log_index).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        // Per-case chain: recompute every hash from the stored content.
        let mut prev = zhishen_audit::GENESIS;
        let rows: Vec<(Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT prev_hash, hash FROM case_event WHERE case_id = 'C1' ORDER BY seq",
        )
        .fetch_all(s.pool())
        .await
        .unwrap();
        for (p, h) in &rows {
            assert_eq!(p.as_slice(), prev.as_slice(), "{}", db.label);
            prev = h.clone().try_into().unwrap();
        }
        let case = s.case(&cid("C1")).await.unwrap().unwrap();
        assert_eq!(case.seq, 5);
        assert_eq!(count(s, "outbox").await, 5);
        assert_eq!(count(s, "log_leaf").await, 5);
        assert_eq!(count(s, "command_request").await, 4);
        // The whole log verifies.
        let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
    }
}

#[tokio::test]
async fn repeated_request_id_returns_the_original_result() {
    for db in both("repeated_request_id_returns_the_original_result").await {
        let s = &db.store;
        let first = s
            .execute(&cid("C1"), &create("C1"), &applicant(), &rid("same"))
            .await
            .unwrap();
        let again = s
            .execute(&cid("C1"), &create("C1"), &applicant(), &rid("same"))
            .await
            .unwrap();
        assert!(again.replayed, "{}", db.label);
        assert_eq!(first.events, again.events, "{}", db.label);
        assert_eq!(count(s, "case_event").await, 2);
        // Even a different command under the same key replays, never writes.
        let other = s
            .execute(
                &cid("C1"),
                &submit("LAND", &["app", "plan"]),
                &applicant(),
                &rid("same"),
            )
            .await
            .unwrap();
        assert!(other.replayed);
        assert_eq!(count(s, "case_event").await, 2);
        // The same key for another case is bad input.
        let e = s
            .execute(&cid("C2"), &create("C2"), &applicant(), &rid("same"))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::BadInput(_)), "{}: {e}", db.label);
        assert_eq!(count(s, "case_event").await, 2);
    }
}

#[tokio::test]
async fn refusal_writes_nothing() {
    for db in both("refusal_writes_nothing").await {
        let s = &db.store;
        s.execute(&cid("C1"), &create("C1"), &applicant(), &rid("r1"))
            .await
            .unwrap();
        let tables = [
            "case_event",
            "log_leaf",
            "outbox",
            "command_request",
            "timer",
        ];
        let mut before = Vec::new();
        for t in tables {
            before.push(count(s, t).await);
        }
        let state_before: String = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = 'C1'")
            .fetch_one(s.pool())
            .await
            .unwrap();
        // Accept before anything was submitted: illegal.
        let e = s
            .execute(
                &cid("C1"),
                &Command::Accept {
                    item: "LAND".into(),
                },
                &clerk(),
                &rid("r2"),
            )
            .await
            .unwrap_err();
        let StoreError::Refused(r) = &e else {
            panic!("{}: expected a refusal, got {e}", db.label)
        };
        assert!(!r.message_zh.is_empty() && !r.message_en.is_empty());
        // A command on a case that does not exist.
        let e = s
            .execute(
                &cid("NOPE"),
                &Command::Accept {
                    item: "LAND".into(),
                },
                &clerk(),
                &rid("r3"),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Refused(_)), "{e}");
        // A second create of the same case.
        let e = s
            .execute(&cid("C1"), &create("C1"), &applicant(), &rid("r4"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Refused(r) if r.code == "case_exists"),
            "{e}"
        );
        for (t, b) in tables.iter().zip(before) {
            assert_eq!(count(s, t).await, b, "{}: {t} changed", db.label);
        }
        let state_after: String = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = 'C1'")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(state_before, state_after);
        // The refused request id is free: retrying it after fixing the cause works.
        s.execute(
            &cid("C1"),
            &submit("LAND", &["app", "plan"]),
            &applicant(),
            &rid("r2"),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn bad_ids_and_mismatched_case_are_bad_input() {
    let db = sqlite().await;
    let s = &db.store;
    let e = s
        .execute(&cid("C 1"), &create("C 1"), &applicant(), &rid("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::BadInput(ref m) if m.contains("case id")),
        "{e}"
    );
    let e = s
        .execute(&cid("C1"), &create("C1"), &applicant(), &rid("r 1"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::BadInput(ref m) if m.contains("request id")),
        "{e}"
    );
    let e = s
        .execute(&cid("C1"), &create("C2"), &applicant(), &rid("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::BadInput(ref m) if m.contains("C2")),
        "{e}"
    );
    assert_eq!(count(s, "case_event").await, 0);
}

#[tokio::test]
async fn concurrent_commands_on_one_case_serialize() {
    for db in both("concurrent_commands_on_one_case_serialize").await {
        let s = Arc::new(db.store);
        s.execute(&cid("C1"), &create("C1"), &applicant(), &rid("r0"))
            .await
            .unwrap();
        // Two tasks race: one works on LAND, the other on EIA, same case.
        let mut tasks = Vec::new();
        for (item, mats, dept) in [
            ("LAND", vec!["app", "plan"], "zrzy"),
            ("EIA", vec!["report"], "sthj"),
        ] {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let steps = [
                    (submit(item, &mats), applicant()),
                    (Command::Accept { item: item.into() }, clerk()),
                    (
                        Command::StartProcessing { item: item.into() },
                        reviewer(dept),
                    ),
                ];
                for (i, (cmd, actor)) in steps.iter().enumerate() {
                    s.execute(&cid("C1"), cmd, actor, &rid(format!("{item}-{i}")))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let seq = seqs(&s, "C1").await;
        let n = seq.len() as u64;
        assert_eq!(seq, (1..=n).collect::<Vec<_>>(), "{}", db.label);
        assert_eq!(s.case(&cid("C1")).await.unwrap().unwrap().seq, n);
        // 2 (create) + 3 per item.
        assert_eq!(n, 8, "{}", db.label);
        let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
    }
}

#[tokio::test]
async fn concurrent_creates_on_different_cases_share_one_log() {
    for db in both("concurrent_creates_on_different_cases_share_one_log").await {
        // Group commit off: one transaction per command, racing for the log.
        let s = Arc::new(db.store.with_group_commit(false));
        assert!(s.group_commit_stats().is_none());
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..5 {
                    let id = format!("W{w}-{i}");
                    s.execute(
                        &cid(&id),
                        &create(&id),
                        &applicant(),
                        &rid(format!("{id}-r")),
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let idx: Vec<i64> =
            sqlx::query_scalar("SELECT log_index FROM case_event ORDER BY log_index")
                .fetch_all(s.pool())
                .await
                .unwrap();
        assert_eq!(idx, (0..40).collect::<Vec<i64>>(), "{}", db.label);
        let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
    }
}

#[tokio::test]
async fn timers_are_persisted_and_fired_as_audited_commands() {
    for db in both("timers_are_persisted_and_fired_as_audited_commands").await {
        let s = &db.store;
        create_and_submit(s).await;
        let armed = s.timers(Some(&cid("C1"))).await.unwrap();
        let auto = armed
            .iter()
            .find(|t| t.kind == zhishen_workflow::TimerKind::AutoAccept)
            .unwrap_or_else(|| panic!("{}: no auto_accept timer in {armed:?}", db.label));
        // Received Mon 2026-03-02; 5 working days end Mon 03-09; fires 00:00 on 03-10.
        assert_eq!(auto.due, t("2026-03-10T00:00:00+08:00"), "{}", db.label);
        assert!(s
            .due_timers(t("2026-03-09T23:59:59+08:00"))
            .await
            .unwrap()
            .is_empty());
        let due_at = t("2026-03-10T09:00:00+08:00");
        assert_eq!(s.due_timers(due_at).await.unwrap().len(), 1);
        db.clock.set(due_at);
        let fired = s.fire_due_timers(due_at).await.unwrap();
        assert_eq!(fired.len(), 1, "{}", db.label);
        let ev = &fired[0].events[0];
        assert_eq!(ev.kind, zhishen_workflow::EventKind::ItemAccepted);
        assert_eq!(ev.actor_role, "system");
        assert_eq!(ev.payload["deemed"], serde_json::json!(true));
        // The auto-accept timer is gone; firing again does nothing.
        assert!(s
            .timers(Some(&cid("C1")))
            .await
            .unwrap()
            .iter()
            .all(|t| t.kind != zhishen_workflow::TimerKind::AutoAccept));
        assert!(s.fire_due_timers(due_at).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn event_and_leaf_rows_are_append_only() {
    for db in both("event_and_leaf_rows_are_append_only").await {
        let s = &db.store;
        s.execute(&cid("C1"), &create("C1"), &applicant(), &rid("r1"))
            .await
            .unwrap();
        for sql in [
            "UPDATE case_event SET kind = 'x'",
            "DELETE FROM case_event",
            "UPDATE log_leaf SET idx = idx + 100",
            "DELETE FROM log_leaf",
            "UPDATE definition SET body = ''",
        ] {
            let e = sqlx::query(sql).execute(s.pool()).await;
            let msg = format!(
                "{:?}",
                e.err()
                    .unwrap_or_else(|| panic!("{}: {sql} succeeded", db.label))
            );
            assert!(
                msg.contains("append-only") || msg.contains("immutable"),
                "{}: {sql}: {msg}",
                db.label
            );
        }
        assert_eq!(count(s, "case_event").await, 2);
        assert_eq!(count(s, "log_leaf").await, 2);
    }
}

#[tokio::test]
async fn definitions_are_immutable_per_version() {
    let db = sqlite().await;
    let s = &db.store;
    // Same text again: fine.
    s.publish_definitions(CATALOGUE, PROCESS, &[CAL_2025, CAL_2026])
        .await
        .unwrap();
    // Same version, different text: refused.
    let changed = PROCESS.replace("测试流程", "改过的流程");
    let e = s
        .publish_definitions(CATALOGUE, &changed, &[CAL_2025, CAL_2026])
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::BadInput(ref m) if m.contains("P1")),
        "{e}"
    );
    // A broken text names the document.
    let e = s
        .publish_definitions("id = ", PROCESS, &[CAL_2026])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("catalogue"), "{e}");
}

#[tokio::test]
async fn blobs_are_content_addressed_durable_and_checked() {
    let db = sqlite().await;
    let s = &db.store;
    let sha = s.put_blob(b"hello", "text/plain").await.unwrap();
    // SHA-256("hello"), computed independently.
    assert_eq!(
        sha.as_str(),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(s.put_blob(b"hello", "text/plain").await.unwrap(), sha);
    assert_eq!(count(s, "blob").await, 1);
    let path = s.blobs().path(sha.as_str()).unwrap();
    assert!(path.ends_with("2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    assert_eq!(s.get_blob(&sha).await.unwrap(), b"hello");
    // No temp files left next to it.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1);
    // A damaged file is an error, not data.
    std::fs::write(&path, b"hellO").unwrap();
    assert!(matches!(
        s.get_blob(&sha).await,
        Err(StoreError::Corrupt(_))
    ));
    // Missing and malformed ids.
    let missing = zhishen_workflow::Sha256::parse(&"00".repeat(32)).unwrap();
    assert!(matches!(
        s.get_blob(&missing).await,
        Err(StoreError::NotFound(_))
    ));
    // A path is not a digest: refused where it would enter, and by the blob store.
    assert!(zhishen_workflow::Sha256::parse("../etc/passwd").is_err());
    assert!(matches!(
        s.blobs().path("../etc/passwd"),
        Err(StoreError::BadInput(_))
    ));
}

/// Bytes whose blob lands in a fan-out directory not used yet under `root`.
fn bytes_in_new_fanout(root: &std::path::Path, tag: &str) -> (Vec<u8>, zhishen_workflow::Sha256) {
    (0..)
        .map(|i| format!("{tag} {i}").into_bytes())
        .map(|b| {
            let sha = zhishen_workflow::Sha256::of(&b);
            (b, sha)
        })
        .find(|(_, sha)| !root.join(&sha.as_str()[..2]).exists())
        .expect("some prefix is free")
}

#[tokio::test]
async fn a_verified_file_becomes_a_blob_all_or_nothing() {
    for db in both("a_verified_file_becomes_a_blob_all_or_nothing").await {
        let dir = tempfile::tempdir().unwrap();
        let s = &db.store.clone().with_blob_dir(dir.path().join("blobs"));
        let tmp = s.blobs().root().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let bytes = b"ISO-10303-21;\nEND-ISO-10303-21;\n";
        let sha = zhishen_workflow::Sha256::of(bytes);
        let src = tmp.join("upload-1");
        std::fs::write(&src, bytes).unwrap();
        // A size that is not the file's is refused before anything moves.
        let n = bytes.len() as u64;
        let e = s
            .put_blob_file(&src, n + 1, &sha, "application/x-step")
            .await;
        assert!(matches!(e, Err(StoreError::BadInput(_))), "{e:?}");
        assert!(src.exists());
        assert_eq!(count(s, "blob").await, 0);
        // Stored: the file is moved into place, and the row written.
        let got = s.put_blob_file(&src, n, &sha, "application/x-step").await;
        assert_eq!(got.unwrap(), sha);
        assert!(!src.exists(), "moved, not copied");
        assert_eq!(s.get_blob(&sha).await.unwrap(), bytes);
        assert_eq!(count(s, "blob").await, 1);
        // The same bytes again: the temp file is dropped, one blob, one row.
        std::fs::write(&src, bytes).unwrap();
        let got = s.put_blob_file(&src, n, &sha, "application/x-step").await;
        assert_eq!(got.unwrap(), sha);
        assert!(!src.exists());
        assert_eq!(count(s, "blob").await, 1);
        // The blob cannot be put in place (its fan-out directory is a file): no row.
        let (other, other_sha) = bytes_in_new_fanout(s.blobs().root(), "blocked");
        std::fs::write(s.blobs().root().join(&other_sha.as_str()[..2]), b"x").unwrap();
        std::fs::write(&src, &other).unwrap();
        let m = other.len() as u64;
        let e = s.put_blob_file(&src, m, &other_sha, "text/plain").await;
        assert!(matches!(e, Err(StoreError::Io { .. })), "{e:?}");
        assert_eq!(count(s, "blob").await, 1, "{}", db.label);
        if db.label != "sqlite" {
            continue;
        }
        // The row cannot be written: no blob file either.
        let (other, other_sha) = bytes_in_new_fanout(s.blobs().root(), "refused");
        let trigger = "CREATE TRIGGER refuse_blob BEFORE INSERT ON blob BEGIN SELECT RAISE(ABORT, 'refused by the test'); END";
        sqlx::query(trigger).execute(s.pool()).await.unwrap();
        std::fs::write(&src, &other).unwrap();
        let m = other.len() as u64;
        let e = s.put_blob_file(&src, m, &other_sha, "text/plain").await;
        assert!(matches!(e, Err(StoreError::Db(_))), "{e:?}");
        assert!(!s.blobs().path(other_sha.as_str()).unwrap().exists());
        assert!(src.exists(), "left for the caller to remove");
        assert_eq!(count(s, "blob").await, 1);
    }
}

#[tokio::test]
async fn review_jobs_are_claimed_once() {
    for db in both("review_jobs_are_claimed_once").await {
        let s = &db.store;
        let model = s
            .put_blob(b"ISO-10303-21;", "application/x-step")
            .await
            .unwrap();
        assert!(s.claim_review_job().await.unwrap().is_none());
        let a = s
            .enqueue_review(&cid("C1"), &icode("BUILD"), &model, Some("P-7"))
            .await
            .unwrap();
        let b = s
            .enqueue_review(&cid("C2"), &icode("BUILD"), &model, None)
            .await
            .unwrap();
        let j1 = s.claim_review_job().await.unwrap().unwrap();
        let j2 = s.claim_review_job().await.unwrap().unwrap();
        assert_eq!((j1.id, j2.id), (a, b), "{}", db.label);
        assert_eq!(j1.status, zhishen_store::ReviewStatus::Running);
        assert_eq!(j1.parcel.as_deref(), Some("P-7"));
        assert_eq!(j1.attempts, 1);
        assert!(s.claim_review_job().await.unwrap().is_none());
        let report = s
            .put_blob(b"{\"findings\":[]}", "application/json")
            .await
            .unwrap();
        let done = s.complete_review_job(&j1, Ok(&report)).await.unwrap();
        assert_eq!(done.status, zhishen_store::ReviewStatus::Done);
        assert_eq!(done.report_sha256.as_ref(), Some(&report));
        let failed = s
            .complete_review_job(&j2, Err("IFC unreadable"))
            .await
            .unwrap();
        assert_eq!(failed.status, zhishen_store::ReviewStatus::Failed);
        // Completing twice is refused (it is no longer running).
        assert!(matches!(
            s.complete_review_job(&j1, Ok(&report)).await,
            Err(StoreError::NotFound(_))
        ));
        // A digest that is not one cannot be queued: it is not a `Sha256`.
        assert!(zhishen_workflow::Sha256::parse("nothex").is_err());
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again_then_failed() {
    for db in both("a_job_whose_worker_died_is_claimed_again_then_failed").await {
        let s = db
            .store
            .clone()
            .with_review_lease(chrono::Duration::minutes(10));
        let model = s
            .put_blob(b"ISO-10303-21;", "application/x-step")
            .await
            .unwrap();
        let id = s
            .enqueue_review(&cid("C1"), &icode("BUILD"), &model, None)
            .await
            .unwrap();
        let first = s.claim_review_job().await.unwrap().unwrap();
        // The worker dies. Within the lease nobody else may take the job.
        db.clock.set(start_time() + chrono::Duration::minutes(9));
        assert!(
            s.claim_review_job().await.unwrap().is_none(),
            "{}",
            db.label
        );
        db.clock.set(start_time() + chrono::Duration::minutes(11));
        let second = s.claim_review_job().await.unwrap().unwrap();
        assert_eq!((second.id, second.attempts), (id, 2), "{}", db.label);
        // The lost worker comes back late: its claim no longer finishes the job.
        let report = s.put_blob(b"{}", "application/json").await.unwrap();
        assert!(matches!(
            s.complete_review_job(&first, Ok(&report)).await,
            Err(StoreError::NotFound(_))
        ));
        // Two more lost workers: the third expiry marks it failed, not retried.
        db.clock.set(start_time() + chrono::Duration::minutes(22));
        let third = s.claim_review_job().await.unwrap().unwrap();
        assert_eq!(third.attempts, 3);
        db.clock.set(start_time() + chrono::Duration::minutes(33));
        assert!(
            s.claim_review_job().await.unwrap().is_none(),
            "{}",
            db.label
        );
        let job = s.review_job(id).await.unwrap().unwrap();
        assert_eq!(job.status, zhishen_store::ReviewStatus::Failed);
        assert!(job.error.unwrap().contains("3 times"), "{}", db.label);
    }
}

#[tokio::test]
async fn a_renewed_claim_is_not_taken_over() {
    for db in both("a_renewed_claim_is_not_taken_over").await {
        let s = db
            .store
            .clone()
            .with_review_lease(chrono::Duration::minutes(10));
        assert_eq!(s.review_lease(), chrono::Duration::minutes(10));
        let model = s
            .put_blob(b"ISO-10303-21;", "application/x-step")
            .await
            .unwrap();
        let id = s
            .enqueue_review(&cid("C1"), &icode("BUILD"), &model, None)
            .await
            .unwrap();
        let first = s.claim_review_job().await.unwrap().unwrap();
        // A long review: its worker renews the claim before the lease runs out.
        db.clock.set(start_time() + chrono::Duration::minutes(9));
        assert!(s.renew_review_claim(&first).await.unwrap(), "{}", db.label);
        db.clock.set(start_time() + chrono::Duration::minutes(15));
        assert!(
            s.claim_review_job().await.unwrap().is_none(),
            "renewed at 9 min, so still held at 15: {}",
            db.label
        );
        // It stops renewing (killed): after the lease another worker takes over,
        // and the old claim can neither renew nor finish.
        db.clock.set(start_time() + chrono::Duration::minutes(20));
        let second = s.claim_review_job().await.unwrap().unwrap();
        assert_eq!((second.id, second.attempts), (id, 2), "{}", db.label);
        assert!(!s.renew_review_claim(&first).await.unwrap(), "{}", db.label);
        let report = s.put_blob(b"{}", "application/json").await.unwrap();
        s.complete_review_job(&second, Ok(&report)).await.unwrap();
        assert!(
            !s.renew_review_claim(&second).await.unwrap(),
            "done: {}",
            db.label
        );
    }
}

/// Access-audit appends and case scopes from many tasks of two store handles (two
/// server processes) at once: they share commits, and the chain is one unbroken
/// sequence with every entry in it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_access_appends_keep_one_chain() {
    for db in both("concurrent_access_appends_keep_one_chain").await {
        let other = Store::open(&db.url).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..120 {
            let s = if i % 2 == 0 {
                db.store.clone()
            } else {
                other.clone()
            };
            tasks.spawn(async move {
                if i % 5 == 0 {
                    s.insert_case_scope(&zhishen_store::CaseScope {
                        case_id: format!("S-{i}"),
                        enterprise: "甲".into(),
                        region: "440300".into(),
                        title: format!("项目 {i}"),
                    })
                    .await
                    .unwrap();
                }
                s.append_access(&zhishen_store::AccessEntry {
                    user_id: format!("u{i}"),
                    role: "applicant".into(),
                    action: "case_create".into(),
                    target: format!("/api/cases/{i}"),
                    result: "ok".into(),
                    detail: "201".into(),
                })
                .await
                .unwrap()
            });
        }
        let mut seqs = Vec::new();
        while let Some(r) = tasks.join_next().await {
            seqs.push(r.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=120).collect::<Vec<i64>>(), "{}", db.label);
        let v = db.store.verify_access_audit().await.unwrap();
        assert!(v.intact, "{}: {v:?}", db.label);
        assert_eq!(v.size, 120);
        assert_eq!(count(&db.store, "case_scope").await, 24, "{}", db.label);
        // A duplicate scope fails its own caller only.
        let dup = zhishen_store::CaseScope {
            case_id: "S-0".into(),
            enterprise: "乙".into(),
            region: "440300".into(),
            title: "重复".into(),
        };
        let last = zhishen_store::AccessEntry {
            user_id: "u-last".into(),
            role: "applicant".into(),
            action: "case_create".into(),
            target: "/api/cases".into(),
            result: "ok".into(),
            detail: "201".into(),
        };
        let (a, b) = tokio::join!(
            db.store.insert_case_scope(&dup),
            db.store.append_access(&last)
        );
        assert!(a.is_err(), "{}", db.label);
        assert_eq!(b.unwrap(), 121, "{}", db.label);
        assert!(db.store.verify_access_audit().await.unwrap().intact);
        other.close().await;
    }
}

#[tokio::test]
async fn checkpoints_are_signed_and_verified() {
    for db in both("checkpoints_are_signed_and_verified").await {
        let s = &db.store;
        let signer = zhishen_audit::Ed25519Signer::from_seed("test-key", &[7; 32]);
        s.execute(&cid("C1"), &create("C1"), &applicant(), &rid("r1"))
            .await
            .unwrap();
        let c1 = s.checkpoint(&signer).await.unwrap();
        assert_eq!(c1.checkpoint.size, 2);
        s.execute(
            &cid("C1"),
            &submit("LAND", &["app", "plan"]),
            &applicant(),
            &rid("r2"),
        )
        .await
        .unwrap();
        let c2 = s.checkpoint(&signer).await.unwrap();
        assert_eq!(c2.checkpoint.size, 3);
        assert_ne!(c1.checkpoint.root, c2.checkpoint.root);
        assert_eq!(count(s, "checkpoint").await, 2);
        let keys = zhishen_audit::TrustedKeys::from_signer(&signer);
        let rep = s.verify(&keys).await.unwrap();
        assert!(rep.ok(), "{}: {:?}", db.label, rep);
        // Against an unrelated key the checkpoints do not verify.
        let other = zhishen_audit::Ed25519Signer::from_seed("test-key", &[8; 32]);
        let rep = s
            .verify(&zhishen_audit::TrustedKeys::from_signer(&other))
            .await
            .unwrap();
        assert!(!rep.ok(), "{}", db.label);
    }
}

#[tokio::test]
async fn conclude_and_rate_complete_a_case() {
    let db = sqlite().await;
    let s = &db.store;
    create_and_submit(s).await;
    s.execute(
        &cid("C1"),
        &Command::Accept {
            item: "LAND".into(),
        },
        &clerk(),
        &rid("r3"),
    )
    .await
    .unwrap();
    s.execute(
        &cid("C1"),
        &Command::StartProcessing {
            item: "LAND".into(),
        },
        &reviewer("zrzy"),
        &rid("r4"),
    )
    .await
    .unwrap();
    let ex = s
        .execute(
            &cid("C1"),
            &Command::Conclude {
                item: "LAND".into(),
                outcome: Outcome::Pass,
                opinion: "同意".into(),
            },
            &reviewer("zrzy"),
            &rid("r5"),
        )
        .await
        .unwrap();
    let kinds: Vec<&str> = ex.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds[0], "item_concluded");
    // Stage 1 joins (EIA is optional) and stage 2 opens.
    assert!(kinds.contains(&"stage_joined"), "{kinds:?}");
    let seq = seqs(s, "C1").await;
    assert_eq!(seq, (1..=seq.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn group_commit_isolates_refusals_and_applies_in_order() {
    for db in both("group_commit_isolates_refusals_and_applies_in_order").await {
        let s = &db.store;
        let batch = vec![
            (cid("C1"), create("C1"), applicant(), rid("b1")),
            // Refused (nothing submitted yet): only this slot fails.
            (
                cid("C1"),
                Command::Accept {
                    item: "LAND".into(),
                },
                clerk(),
                rid("b2"),
            ),
            (
                cid("C1"),
                submit("LAND", &["app", "plan"]),
                applicant(),
                rid("b3"),
            ),
            // Applies after b3 in the same transaction.
            (
                cid("C1"),
                Command::Accept {
                    item: "LAND".into(),
                },
                clerk(),
                rid("b4"),
            ),
            (cid("C2"), create("C2"), applicant(), rid("b5")),
            (cid("bad id"), create("bad id"), applicant(), rid("b6")),
        ];
        let out = s.execute_batch(&batch).await.unwrap();
        let ok: Vec<bool> = out.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, false, true, true, true, false], "{}", db.label);
        assert!(matches!(out[1], Err(StoreError::Refused(_))));
        assert!(matches!(out[5], Err(StoreError::BadInput(_))));
        assert_eq!(seqs(s, "C1").await, [1, 2, 3, 4], "{}", db.label);
        assert_eq!(seqs(s, "C2").await, [1, 2]);
        assert_eq!(count(s, "command_request").await, 4);
        assert!(!s.request_known(&rid("b2")).await.unwrap());
        // Re-sending the batch replays the accepted entries and writes nothing.
        let again = s.execute_batch(&batch).await.unwrap();
        assert!(again[0].as_ref().unwrap().replayed);
        assert!(again[3].as_ref().unwrap().replayed);
        assert_eq!(count(s, "case_event").await, 6);
        let v = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(v.ok(), "{}: {}", db.label, v.describe());
    }
}

#[tokio::test]
async fn group_commit_answers_each_caller_and_isolates_a_failing_command() {
    for db in both("group_commit_answers_each_caller_and_isolates_a_failing_command").await {
        let s = Arc::new(db.store.clone());
        // A stray outbox row makes the creation of G-bad fail inside the
        // database (unique idempotency key), after the workflow accepted it.
        sqlx::query(
            "INSERT INTO outbox (topic, msg_key, payload, idempotency_key, next_attempt_ms, created_at) VALUES ('x', 'x', '{}', 'G-bad:1', 0, 'x')",
        )
        .execute(s.pool())
        .await
        .unwrap();
        let mut jobs: Vec<(String, Command, Actor)> = (0..10)
            .map(|i| format!("G-{i}"))
            .map(|id| (id.clone(), create(&id), applicant()))
            .collect();
        jobs.push(("G-bad".into(), create("G-bad"), applicant()));
        // Refused: nothing was submitted on G-0 when this runs.
        jobs.push((
            "G-0".into(),
            Command::Accept {
                item: "LAND".into(),
            },
            clerk(),
        ));
        let mut tasks = Vec::new();
        for (k, (id, cmd, actor)) in jobs.into_iter().enumerate() {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.execute(&cid(&id), &cmd, &actor, &rid(format!("g-{k}")))
                    .await
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        for (k, r) in out.iter().enumerate().take(10) {
            let ex = r
                .as_ref()
                .unwrap_or_else(|e| panic!("{}: g-{k}: {e}", db.label));
            assert_eq!(ex.case_id.as_str(), format!("G-{k}"));
            // CaseCreated and the first stage opening (a follow-up).
            assert_eq!(ex.events.len(), 2);
        }
        assert!(
            matches!(out[10], Err(StoreError::Db(_))),
            "{}: {:?}",
            db.label,
            out[10].as_ref().map(|e| &e.case_id)
        );
        assert!(
            matches!(out[11], Err(StoreError::Refused(_))),
            "{}",
            db.label
        );
        assert!(s.case(&cid("G-bad")).await.unwrap().is_none());
        assert!(!s.request_known(&rid("g-10")).await.unwrap());
        assert!(!s.request_known(&rid("g-11")).await.unwrap());
        assert_eq!(count(&s, "case_event").await, 20, "{}", db.label);
        let (groups, commands) = s.group_commit_stats().unwrap();
        assert_eq!(commands, 12, "{}", db.label);
        assert!(groups < commands, "{}: {groups} transactions", db.label);
        let v = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(v.ok(), "{}: {}", db.label, v.describe());
    }
}

#[tokio::test]
async fn a_request_repeated_inside_one_group_replays_or_is_refused() {
    for db in both("a_request_repeated_inside_one_group_replays_or_is_refused").await {
        let s = &db.store;
        let batch = vec![
            (cid("D1"), create("D1"), applicant(), rid("d1")),
            // The same request again in the same transaction: a replay.
            (cid("D1"), create("D1"), applicant(), rid("d1")),
            // The same request id for another case: bad input.
            (cid("D2"), create("D2"), applicant(), rid("d1")),
            (
                cid("D1"),
                submit("LAND", &["app", "plan"]),
                applicant(),
                rid("d2"),
            ),
        ];
        let out = s.execute_batch(&batch).await.unwrap();
        let first = out[0].as_ref().unwrap();
        let again = out[1].as_ref().unwrap();
        assert!(!first.replayed && again.replayed, "{}", db.label);
        assert_eq!(again.events, first.events, "{}", db.label);
        // A replay shows the case as it is now (after d2 in the same group).
        assert_eq!(again.case.seq, 3, "{}", db.label);
        assert!(
            matches!(out[2], Err(StoreError::BadInput(_))),
            "{}",
            db.label
        );
        assert_eq!(out[3].as_ref().unwrap().events[0].seq, 3);
        assert!(s.case(&cid("D2")).await.unwrap().is_none());
        assert_eq!(seqs(s, "D1").await, [1, 2, 3], "{}", db.label);
        assert_eq!(count(s, "command_request").await, 2);
        // Row ids and log indices in the answers are the stored ones.
        let stored = s.events(&cid("D1")).await.unwrap();
        let answered: Vec<_> = first
            .events
            .iter()
            .chain(&out[3].as_ref().unwrap().events)
            .collect();
        for (a, b) in answered.iter().zip(&stored) {
            assert_eq!(
                (a.row_id, a.log_index, &a.hash),
                (b.row_id, b.log_index, &b.hash)
            );
        }
        let v = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
        assert!(v.ok(), "{}: {}", db.label, v.describe());
    }
}

/// Kinds and ids are typed at the store boundary; the text the rows hold is the same
/// as before (an event's `kind` column is its payload's serde tag), and a text no build
/// knows is `Corrupt` naming the row, never a panic. The verifier still reads the raw
/// columns, so a tampered kind fails the hash check at that row.
#[tokio::test]
async fn unknown_stored_kinds_are_corrupt_naming_the_row() {
    let db = sqlite().await;
    let s = &db.store;
    create_and_submit(s).await;
    let texts: Vec<String> = sqlx::query_scalar("SELECT kind FROM case_event ORDER BY seq")
        .fetch_all(s.pool())
        .await
        .unwrap();
    let evs = s.events(&cid("C1")).await.unwrap();
    assert_eq!(texts.len(), evs.len());
    for (e, t) in evs.iter().zip(&texts) {
        assert_eq!(e.kind.as_str(), t);
        assert_eq!(e.payload["type"], e.kind.as_str());
    }
    let timers = s.timers(Some(&cid("C1"))).await.unwrap();
    assert!(timers
        .iter()
        .any(|t| t.kind == zhishen_workflow::TimerKind::AutoAccept));

    sqlx::query("UPDATE timer SET kind = 'bogus' WHERE case_id = 'C1'")
        .execute(s.pool())
        .await
        .unwrap();
    let e = s.timers(Some(&cid("C1"))).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Corrupt(ref m) if m.contains("timer row") && m.contains("bogus")),
        "{e}"
    );

    // Tampering: the append-only trigger has to go first.
    for sql in [
        "DROP TRIGGER case_event_no_update",
        "UPDATE case_event SET kind = 'case_exploded' WHERE seq = 1",
    ] {
        sqlx::query(sql).execute(s.pool()).await.unwrap();
    }
    let e = s.events(&cid("C1")).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Corrupt(ref m) if m.contains("case_event row") && m.contains("case_exploded")),
        "{e}"
    );
    let rep = s.verify(&zhishen_audit::TrustedKeys::new()).await.unwrap();
    assert!(!rep.ok(), "{rep:?}");
    assert!(rep.db_row_id.is_some(), "{rep:?}");
}

#[tokio::test]
async fn a_forged_projection_is_named_by_replaying_the_events() {
    for db in both("a_forged_projection_is_named_by_replaying_the_events").await {
        let s = &db.store;
        create_and_submit(s).await;
        s.execute(&cid("C2"), &create("C2"), &applicant(), &rid("r3"))
            .await
            .unwrap();
        assert_eq!(
            s.verify_projections().await.unwrap(),
            vec![],
            "{}: untouched projections replay exactly",
            db.label
        );
        // An attacker with write access edits the project name of C1: the hash chain
        // covers the events only, so only the replay can see it.
        let state: String = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = 'C1'")
            .fetch_one(s.pool())
            .await
            .unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&state).unwrap();
        let real = v["project_name"].clone();
        v["project_name"] = serde_json::json!("伪造项目 forged");
        sqlx::query("UPDATE \"case\" SET state = $1 WHERE id = 'C1'")
            .bind(v.to_string())
            .execute(s.pool())
            .await
            .unwrap();
        let bad = s.verify_projections().await.unwrap();
        assert_eq!(bad.len(), 1, "{}: {bad:?}", db.label);
        assert_eq!(bad[0].case_id, "C1");
        assert_eq!(bad[0].path, "project_name");
        assert_eq!(bad[0].replayed, real);
        assert_eq!(bad[0].stored, serde_json::json!("伪造项目 forged"));
    }
}

/// The access audit is a hash chain: an edited, deleted or appended-behind-its-back
/// row is found and named; concurrent appenders never fork it.
#[tokio::test]
async fn the_access_audit_names_a_tampered_entry() {
    for db in both("the_access_audit_names_a_tampered_entry").await {
        let s = &db.store;
        let entry = |i: usize| zhishen_store::AccessEntry {
            user_id: format!("u{i}"),
            role: "clerk".into(),
            action: "case_command".into(),
            target: format!("/cases/C{i}"),
            result: "ok".into(),
            detail: String::new(),
        };
        let mut tasks = Vec::new();
        for i in 0..12 {
            let st = s.clone();
            tasks.push(tokio::spawn(async move {
                st.append_access(&entry(i)).await.unwrap()
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=12).collect::<Vec<i64>>(), "{}", db.label);
        let v = s.verify_access_audit().await.unwrap();
        assert!(v.intact && v.size == 12, "{} {v:?}", db.label);
        // Search is literal: `%` and `_` match themselves, quotes are data.
        // u1, u10 and u11 (their targets C1, C10, C11 are the same rows).
        assert_eq!(s.search_access("u1", 100).await.unwrap().len(), 3);
        assert!(s.search_access("%", 100).await.unwrap().is_empty());
        assert!(s
            .search_access("' OR 1=1 --", 100)
            .await
            .unwrap()
            .is_empty());
        // Edit entry 5: named.
        sqlx::query("UPDATE access_audit SET result = 'denied' WHERE seq = 5")
            .execute(s.pool())
            .await
            .unwrap();
        let v = s.verify_access_audit().await.unwrap();
        assert!(!v.intact, "{}", db.label);
        assert_eq!(v.broken_at.as_ref().unwrap().0, 5, "{} {v:?}", db.label);
        sqlx::query("UPDATE access_audit SET result = 'ok' WHERE seq = 5")
            .execute(s.pool())
            .await
            .unwrap();
        assert!(s.verify_access_audit().await.unwrap().intact);
        // Delete the newest entry: the head no longer matches.
        sqlx::query("DELETE FROM access_audit WHERE seq = 12")
            .execute(s.pool())
            .await
            .unwrap();
        let v = s.verify_access_audit().await.unwrap();
        assert!(!v.intact, "{}", db.label);
        assert_eq!(v.broken_at.unwrap().0, 12, "{}", db.label);
    }
}
