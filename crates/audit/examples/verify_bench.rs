//! Benchmark of `verify_log`: builds a synthetic log (default 1,000,000 events over 100,000
//! cases, one signed checkpoint every 100,000 events) and times verification.
//!
//! `cargo run --release -p zhishen-audit --example verify_bench -- [EVENTS] [CASES] [sm3]`
//! prints one JSON line.

use chrono::{DateTime, Duration};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;
use zhishen_audit::merkle::Frontier;
use zhishen_audit::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let cases: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or((n / 10).max(1));
    let alg = if args.get(3).map(String::as_str) == Some("sm3") {
        HashAlg::Sm3
    } else {
        HashAlg::Sha256
    };
    let signer = Ed25519Signer::from_seed("bench-log", &[1; 32]);
    let t0 = DateTime::parse_from_rfc3339("2026-01-05T09:00:00+08:00").expect("fixed time");

    let build = Instant::now();
    let mut last = vec![(0u64, GENESIS); cases];
    let mut events = Vec::with_capacity(n);
    let mut leaves = Vec::with_capacity(n);
    let mut frontier = Frontier::new();
    let mut checkpoints = Vec::new();
    for i in 0..n {
        let c = (i * 7919) % cases;
        let (seq, prev) = last[c];
        let seq = seq + 1;
        let content = EventContent {
            case_id: format!("C2026-{c:07}"),
            seq,
            kind: "item_concluded".into(),
            actor_id: format!("reviewer-{}", i % 50),
            actor_role: "reviewer".into(),
            on_behalf_of: None,
            occurred_at: t0 + Duration::seconds(i as i64),
            versions: BTreeMap::from([
                ("calendar_version".to_string(), "2026.1".to_string()),
                ("process_version".to_string(), "2026.1".to_string()),
            ]),
            payload: json!({"item": format!("item-{}", i % 40), "outcome": "通过", "report_sha256": hex(&[i as u8; 32])}),
        };
        let canonical = event_canonical(&content);
        let hash = chain_hash(alg, &prev, &canonical);
        last[c] = (seq, hash);
        let leaf = event_leaf(&hash);
        frontier.push(leaf);
        leaves.push(LeafRow {
            index: i as u64,
            leaf_hash: leaf,
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
        if (i + 1) % 100_000 == 0 || i + 1 == n {
            let cp = Checkpoint {
                origin: "bench".into(),
                size: (i + 1) as u64,
                root: frontier.root(),
                time: t0,
            };
            checkpoints.push(SignedCheckpoint::sign(cp, &[&signer]));
        }
    }
    let build_s = build.elapsed().as_secs_f64();
    let bytes: usize = events.iter().map(|e| e.canonical.len()).sum();

    let keys = TrustedKeys::from_signer(&signer);
    let t = Instant::now();
    let report = verify_log(&events, &leaves, &checkpoints, &keys);
    let verify_s = t.elapsed().as_secs_f64();
    assert!(report.ok, "{:?}", report.first_problem);
    println!(
        "{}",
        json!({
            "events": n,
            "cases": report.cases,
            "checkpoints": report.checkpoints,
            "alg": alg.as_str(),
            "canonical_bytes": bytes,
            "build_seconds": build_s,
            "verify_seconds": verify_s,
            "events_per_second": n as f64 / verify_s,
            "threads": rayon::current_num_threads(),
        })
    );
}
