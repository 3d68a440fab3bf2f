//! Crash safety: a child `zhishen case drive` commits a stream of commands and
//! prints `ack <request id>` after each commit; we SIGKILL it at seeded random
//! points, restart it (same request ids, so finished commands replay), and
//! check that every acknowledged command is stored, no partial command is
//! (each case's events are a gap-free chain matching its projection), and
//! `zhishen audit verify` passes. On SQLite always; on PostgreSQL when
//! `ZHISHEN_TEST_PG_URL` is set (make test sets it).

mod common;
mod scale_out;

use common::{defs_dir, fresh_pg_db, BIN};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn pg_url(what: &str) -> Option<String> {
    match std::env::var("ZHISHEN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "\n*** SKIPPED: PostgreSQL {what}: ZHISHEN_TEST_PG_URL is unset \
                 (make test sets it; or export ZHISHEN_TEST_PG_URL=$(scripts/pg-test.sh start)) ***\n"
            );
            None
        }
    }
}

fn zhishen(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run zhishen")
}

/// One round: start the driver, kill it after `kill_after` acks (or let it
/// finish when `None`); returns the acknowledged request ids.
fn round(url: &str, cwd: &Path, kill_after: Option<usize>, seed: u64) -> (Vec<String>, bool) {
    let mut child = Command::new(BIN)
        .args([
            "case",
            "drive",
            "--db",
            url,
            "--cases",
            "12",
            // Several concurrent writers: on SQLite their commands share
            // group commits, so a kill can land mid-group.
            "--workers",
            "4",
            "--seed",
            &seed.to_string(),
            "--prefix",
            "crash",
            "--now",
            "2026-03-02T09:00:00+08:00",
        ])
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn driver");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    let mut fresh = 0;
    let mut killed = false;
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("ack ") {
                    let mut it = rest.split_whitespace();
                    acks.push(it.next().unwrap_or_default().to_string());
                    // Replays of earlier commands do not count towards the kill point.
                    fresh += usize::from(it.next().is_none());
                }
                if kill_after.is_some_and(|k| fresh >= k) {
                    // SIGKILL: no destructors, no flush, mid-transaction.
                    child.kill().expect("kill driver");
                    killed = true;
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("driver hung"),
        }
    }
    let status = child.wait().unwrap();
    // Lines already printed before the kill are acknowledgements too.
    while let Ok(line) = rx.try_recv() {
        if let Some(rest) = line.strip_prefix("ack ") {
            acks.push(
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    reader.join().unwrap();
    if !killed {
        assert!(status.success(), "driver failed: {status:?}");
    }
    (acks, killed)
}

fn check_store(url: &str, acked: &BTreeSet<String>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = zhishen_store::Store::open(url).await.unwrap();
        for rid in acked {
            assert!(
                store
                    .request_known(&zhishen_workflow::RequestId::new(rid.as_str()).unwrap())
                    .await
                    .unwrap(),
                "acknowledged request {rid} is not in the store"
            );
        }
        let cases = store.list_cases().await.unwrap();
        assert!(!cases.is_empty());
        for c in &cases {
            let evs = store.events(&c.id).await.unwrap();
            let seqs: Vec<u64> = evs.iter().map(|e| e.seq).collect();
            assert_eq!(
                seqs,
                (1..=c.seq).collect::<Vec<_>>(),
                "case {}: events do not form 1..=projection seq",
                c.id
            );
            let proj = store.case(&c.id).await.unwrap().unwrap();
            assert_eq!(proj.seq, c.seq);
        }
        // Every stored request's events exist in full (no partial command).
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT case_id, first_seq, last_seq FROM command_request")
                .fetch_all(store.pool())
                .await
                .unwrap();
        for (case, first, last) in rows {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_event WHERE case_id = $1 AND seq >= $2 AND seq <= $3",
            )
            .bind(case.as_str())
            .bind(first)
            .bind(last)
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(
                n,
                last - first + 1,
                "case {case}: partial command {first}..{last}"
            );
        }
        store.close().await;
    });
}

fn crash_suite(url: &str, cwd: &Path, seed: u64) {
    let defs = defs_dir(cwd, false);
    let o = zhishen(
        &[
            "case",
            "publish",
            "--db",
            url,
            "--defs",
            defs.to_str().unwrap(),
        ],
        cwd,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rng = Rng(seed);
    let mut acked = BTreeSet::new();
    let mut kills = 0;
    for r in 0..6u64 {
        let k = 1 + (rng.next_u64() % 12) as usize;
        // Same seed every round: the same request ids name the same commands.
        let (a, killed) = round(url, cwd, Some(k), seed);
        kills += usize::from(killed);
        acked.extend(a);
        check_store(url, &acked);
        let v = zhishen(&["audit", "verify", "--db", url], cwd);
        assert!(
            v.status.success(),
            "round {r}: audit verify failed: {}",
            String::from_utf8_lossy(&v.stdout)
        );
    }
    assert!(kills >= 3, "only {kills} rounds were killed mid-stream");
    // A final uninterrupted run finishes the workload; earlier commands replay.
    let (a, _) = round(url, cwd, None, seed);
    acked.extend(a);
    check_store(url, &acked);
    let v = zhishen(&["audit", "verify", "--db", url], cwd);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("intact"), "{text}");
}

#[test]
fn sigkill_during_commands_loses_nothing_acknowledged_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_suite(&url, dir.path(), 0x5eed_0001);
}

#[test]
fn sigkill_during_commands_loses_nothing_acknowledged_postgres() {
    let Some(base) = pg_url("crash test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_pg_db(&base, "crash");
    crash_suite(&url, dir.path(), 0x5eed_0002);
}

/// Two `zhishen serve` processes on one PostgreSQL: no command lost or doubled,
/// no review job run twice, a killed server's job finished by the other.
#[test]
fn two_servers_on_one_postgres_lose_nothing_and_run_each_job_once() {
    let Some(base) = pg_url("scale-out test (two servers)") else {
        return;
    };
    scale_out::two_servers_on_one_postgres(&base);
}
