//! Tamper scenarios over a generated log: each must fail and name the exact first row.

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::json;
use std::collections::BTreeMap;
use zhishen_audit::merkle;
use zhishen_audit::*;

struct Log {
    events: Vec<EventRow>,
    leaves: Vec<LeafRow>,
    signer: Ed25519Signer,
}

fn t0() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-02-12T09:00:00+08:00").unwrap()
}

/// `n` events spread round-robin-ish over `cases` cases, alternating SHA-256 and SM3 cases.
fn build(n: usize, cases: usize) -> Log {
    let mut events = Vec::new();
    let mut leaves = Vec::new();
    let mut last: Vec<(u64, [u8; 32])> = vec![(0, GENESIS); cases];
    for i in 0..n {
        // A non-trivial interleaving: case = (i * 7 + i / 13) mod cases.
        let c = (i * 7 + i / 13) % cases;
        let (seq, prev) = last[c];
        let seq = seq + 1;
        let alg = if c.is_multiple_of(2) {
            HashAlg::Sha256
        } else {
            HashAlg::Sm3
        };
        let content = EventContent {
            case_id: format!("C2026-{c:04}"),
            seq,
            kind: if seq == 1 {
                "case_created".into()
            } else {
                "item_concluded".into()
            },
            actor_id: format!("u{}", i % 5),
            actor_role: "reviewer".into(),
            on_behalf_of: None,
            occurred_at: t0() + Duration::seconds(i as i64),
            versions: BTreeMap::from([("process_version".to_string(), "2026.1".to_string())]),
            payload: json!({"item": format!("item-{}", i % 9), "outcome": "通过", "n": i}),
        };
        let canonical = event_canonical(&content);
        let hash = chain_hash(alg, &prev, &canonical);
        last[c] = (seq, hash);
        leaves.push(LeafRow {
            index: i as u64,
            leaf_hash: event_leaf(&hash),
        });
        events.push(EventRow {
            case_id: content.case_id,
            seq,
            kind: content.kind,
            alg,
            canonical,
            prev_hash: prev,
            hash,
            log_index: i as u64,
        });
    }
    Log {
        events,
        leaves,
        signer: Ed25519Signer::from_seed("zhishen-test-log", &[5; 32]),
    }
}

impl Log {
    fn checkpoint(&self, size: usize) -> SignedCheckpoint {
        let root = merkle::root(
            &self.leaves[..size]
                .iter()
                .map(|l| l.leaf_hash)
                .collect::<Vec<_>>(),
        );
        let cp = Checkpoint {
            origin: "zhishen.test/log".into(),
            size: size as u64,
            root,
            time: t0(),
        };
        SignedCheckpoint::sign(cp, &[&self.signer])
    }
    fn keys(&self) -> TrustedKeys {
        TrustedKeys::from_signer(&self.signer)
    }
    fn verify(&self, cps: &[SignedCheckpoint]) -> VerifyReport {
        verify_log(&self.events, &self.leaves, cps, &self.keys())
    }
    fn pos(&self, case: &str, seq: u64) -> usize {
        self.events
            .iter()
            .position(|e| e.case_id == case && e.seq == seq)
            .unwrap()
    }
}

fn problem(r: &VerifyReport) -> &Problem {
    assert!(!r.ok, "expected a failure, got {r:?}");
    r.first_problem.as_ref().unwrap()
}

#[test]
fn clean_log_verifies() {
    let log = build(300, 17);
    let cps = vec![
        log.checkpoint(0),
        log.checkpoint(100),
        log.checkpoint(257),
        log.checkpoint(300),
    ];
    let r = log.verify(&cps);
    assert!(r.ok, "{:?}", r.first_problem);
    assert_eq!(
        (r.events, r.cases, r.leaves, r.checkpoints),
        (300, 17, 300, 4)
    );
    // Row order in the export does not matter.
    let mut shuffled = log.events.clone();
    shuffled.reverse();
    assert!(verify_log(&shuffled, &log.leaves, &cps, &log.keys()).ok);
}

#[test]
fn altered_payload_names_the_row() {
    let mut log = build(300, 17);
    let i = log.pos("C2026-0003", 5);
    let text = String::from_utf8(log.events[i].canonical.clone()).unwrap();
    log.events[i].canonical = text.replace("通过", "不通过").into_bytes();
    let r = log.verify(&[]);
    let p = problem(&r);
    assert_eq!(p.kind, ProblemKind::Altered);
    assert_eq!(
        (p.case_id.as_deref(), p.seq, p.row),
        (Some("C2026-0003"), Some(5), Some(i))
    );
}

#[test]
fn rehashed_alteration_breaks_the_chain_or_the_leaf() {
    // The attacker rewrites content and recomputes the row hash: the leaf no longer matches.
    let mut log = build(300, 17);
    let i = log.pos("C2026-0004", 3);
    let e = &mut log.events[i];
    e.canonical = String::from_utf8(e.canonical.clone())
        .unwrap()
        .replace("通过", "容缺通过")
        .into_bytes();
    e.hash = chain_hash(e.alg, &e.prev_hash, &e.canonical);
    let p = problem(&log.verify(&[])).clone();
    assert_eq!((p.kind, p.row), (ProblemKind::Altered, Some(i)));
    assert!(p.detail.contains("leaf"), "{p}");
    // Also rewrites the leaf: the next event of the case no longer links to it.
    log.leaves[i].leaf_hash = event_leaf(&log.events[i].hash);
    let next = log.pos("C2026-0004", 4);
    let p = problem(&log.verify(&[])).clone();
    assert_eq!(
        (p.kind, p.row, p.seq),
        (ProblemKind::ChainBroken, Some(next), Some(4))
    );
}

#[test]
fn column_changed_without_content_is_altered() {
    let mut log = build(120, 5);
    let i = log.pos("C2026-0002", 2);
    log.events[i].kind = "case_revoked".into();
    let p = problem(&log.verify(&[])).clone();
    assert_eq!((p.kind, p.row), (ProblemKind::Altered, Some(i)));
    assert!(p.detail.contains("kind"), "{p}");
}

#[test]
fn deleted_row_names_the_gap() {
    let mut log = build(300, 17);
    let i = log.pos("C2026-0006", 4);
    log.events.remove(i);
    let p = problem(&log.verify(&[])).clone();
    // The leaf of the deleted event remains: a leaf without its event at that log index.
    assert_eq!(
        (p.kind, p.log_index),
        (ProblemKind::Deleted, Some(i as u64))
    );
    // Also delete the leaf and renumber, as a careful attacker would: seq gap in the case.
    log.leaves.remove(i);
    for (k, e) in log.events.iter_mut().enumerate() {
        e.log_index = k as u64;
    }
    for (k, l) in log.leaves.iter_mut().enumerate() {
        l.index = k as u64;
    }
    let p = problem(&log.verify(&[])).clone();
    let next = log.pos("C2026-0006", 5);
    assert_eq!(
        (p.kind, p.row, p.seq),
        (ProblemKind::Deleted, Some(next), Some(5))
    );
    assert!(p.detail.contains("seq 4..4 missing"), "{p}");
}

#[test]
fn swapped_seq_is_reordered() {
    let mut log = build(300, 17);
    let a = log.pos("C2026-0008", 6);
    let b = log.pos("C2026-0008", 7);
    log.events[a].seq = 7;
    log.events[b].seq = 6;
    let p = problem(&log.verify(&[])).clone();
    assert_eq!(
        (p.kind, p.row, p.seq),
        (ProblemKind::Reordered, Some(a), Some(7))
    );
    // Swapping the log positions of two rows instead: same verdict at the earlier position.
    let mut log = build(300, 17);
    log.events[a].log_index = b as u64;
    log.events[b].log_index = a as u64;
    let p = problem(&log.verify(&[])).clone();
    assert_eq!(
        (p.kind, p.row, p.log_index),
        (ProblemKind::Reordered, Some(b), Some(a as u64))
    );
}

#[test]
fn deleted_case_is_detected() {
    let log0 = build(300, 17);
    let first = log0.pos("C2026-0010", 1);
    // Events only: the leaves still hold the case.
    let mut log = build(300, 17);
    log.events.retain(|e| e.case_id != "C2026-0010");
    let p = problem(&log.verify(&[])).clone();
    assert_eq!(
        (p.kind, p.log_index),
        (ProblemKind::Deleted, Some(first as u64))
    );
    // Events and leaves, renumbered: only the signed checkpoint can tell.
    let cp = log0.checkpoint(300);
    let mut log = build(300, 17);
    let keep: Vec<bool> = log
        .events
        .iter()
        .map(|e| e.case_id != "C2026-0010")
        .collect();
    let mut k = 0;
    log.events.retain(|e| e.case_id != "C2026-0010");
    let mut idx = 0;
    log.leaves.retain(|_| {
        idx += 1;
        keep[idx - 1]
    });
    for (n, (e, l)) in log.events.iter_mut().zip(log.leaves.iter_mut()).enumerate() {
        e.log_index = n as u64;
        l.index = n as u64;
        k = n + 1;
    }
    assert!(
        log.verify(&[]).ok,
        "without checkpoints a consistent rewrite is invisible"
    );
    let p = problem(&log.verify(&[cp])).clone();
    assert_eq!(p.kind, ProblemKind::Deleted);
    assert_eq!(
        (p.log_index, p.checkpoint_size),
        (Some(k as u64), Some(300))
    );
    // With an older checkpoint that now falls inside the rewritten range: root mismatch.
    let p = problem(&log.verify(&[log0.checkpoint(250)])).clone();
    assert_eq!(
        (p.kind, p.checkpoint_size),
        (ProblemKind::CheckpointMismatch, Some(250))
    );
}

#[test]
fn truncated_log_is_detected() {
    let mut log = build(300, 17);
    let cp = log.checkpoint(300);
    log.events.truncate(280);
    log.leaves.truncate(280);
    let p = problem(&log.verify(&[cp])).clone();
    assert_eq!(
        (p.kind, p.log_index, p.checkpoint_size),
        (ProblemKind::Deleted, Some(280), Some(300))
    );
    assert!(p.detail.contains("truncated"), "{p}");
}

#[test]
fn forged_checkpoint_is_rejected() {
    let log = build(300, 17);
    // Attacker's own key under the log's name.
    let evil = Ed25519Signer::from_seed("zhishen-test-log", &[99; 32]);
    let mut cp = log.checkpoint(200).checkpoint;
    cp.root[0] ^= 1;
    let forged = SignedCheckpoint::sign(cp, &[&evil]);
    let p = problem(&log.verify(&[log.checkpoint(100), forged])).clone();
    assert_eq!(
        (p.kind, p.checkpoint_size),
        (ProblemKind::BadSignature, Some(200))
    );
    // A genuine signature over an edited note text.
    let note = log.checkpoint(200).to_note();
    let edited = note.replacen("\n200\n", "\n201\n", 1);
    let p = problem(&log.verify(&[SignedCheckpoint::from_note(&edited).unwrap()])).clone();
    assert_eq!(
        (p.kind, p.checkpoint_size),
        (ProblemKind::BadSignature, Some(201))
    );
    // Correctly signed but wrong root (a signing-key holder rewrote history): mismatch.
    let mut cp = log.checkpoint(150).checkpoint;
    cp.root[31] ^= 0x80;
    let p = problem(&log.verify(&[SignedCheckpoint::sign(cp, &[&log.signer])])).clone();
    assert_eq!(
        (p.kind, p.log_index),
        (ProblemKind::CheckpointMismatch, Some(149))
    );
}

#[test]
fn sm2_signed_checkpoints_verify() {
    let log = build(64, 4);
    let sm = Sm2Signer::from_seed("zhishen-test-sm2", &[6; 32]);
    let root = merkle::root(&log.leaves.iter().map(|l| l.leaf_hash).collect::<Vec<_>>());
    let cp = SignedCheckpoint::sign(
        Checkpoint {
            origin: "o".into(),
            size: 64,
            root,
            time: t0(),
        },
        &[&sm],
    );
    assert!(
        verify_log(
            &log.events,
            &log.leaves,
            std::slice::from_ref(&cp),
            &TrustedKeys::from_signer(&sm)
        )
        .ok
    );
    let r = verify_log(&log.events, &log.leaves, &[cp], &log.keys());
    assert_eq!(problem(&r).kind, ProblemKind::BadSignature);
}

#[test]
fn event_canonical_is_fixed() {
    // Hand-written expected bytes: sorted keys, microsecond time, no whitespace.
    let c = EventContent {
        case_id: "C1".into(),
        seq: 1,
        kind: "case_created".into(),
        actor_id: "u1".into(),
        actor_role: "clerk".into(),
        on_behalf_of: None,
        occurred_at: t0(),
        versions: BTreeMap::from([("calendar_version".to_string(), "2026".to_string())]),
        payload: json!({"b": 1.5, "a": "窗口"}),
    };
    assert_eq!(
        String::from_utf8(event_canonical(&c)).unwrap(),
        r#"{"actor":{"id":"u1","on_behalf_of":null,"role":"clerk"},"case_id":"C1","kind":"case_created","occurred_at":"2026-02-12T09:00:00.000000+08:00","payload":{"a":"窗口","b":1.5},"seq":1,"v":1,"versions":{"calendar_version":"2026"}}"#
    );
}

#[test]
fn empty_log_and_empty_checkpoint() {
    let log = build(0, 1);
    let r = log.verify(&[log.checkpoint(0)]);
    assert!(r.ok && r.checkpoints == 1 && r.cases == 0);
}
