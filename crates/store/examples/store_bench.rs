//! Store benchmark (run by `make bench` through bench/store_bench.sh):
//!
//! * durable commands per second: `cases` cases × 5 commands (create, submit,
//!   accept, process, conclude) sent by `clients` concurrent tasks through
//!   `Store::execute`, each acknowledged only after its commit (SQLite: WAL +
//!   synchronous=FULL; PostgreSQL: fsync on). Group commit is the back end's
//!   default unless `group` / `nogroup` is given;
//! * `audit verify` over `events` synthetic hash-chained events: export
//!   (one snapshot read) and `verify_log`.
//!
//! ```text
//! store_bench commands URL [cases] [clients] [group|nogroup]
//! store_bench grouped URL [cases] [workers] [batch]     group commit (execute_batch)
//! store_bench verify URL [events]
//! ```

use std::sync::Arc;
use std::time::Instant;
use zhishen_store::{FixedClock, Store, StoreError};
use zhishen_workflow::{Actor, CaseId, Command, Outcome, RequestId, Role};

fn cid(s: &str) -> CaseId {
    CaseId::new(s).expect("bench case id")
}

fn rid(s: String) -> RequestId {
    RequestId::new(s).expect("bench request id")
}

const CATALOGUE: &str = include_str!("../tests/fixtures/catalogue.toml");
const PROCESS: &str = include_str!("../tests/fixtures/process.toml");
const CAL_2025: &str = include_str!("../../../assets/calendar/2025.toml");
const CAL_2026: &str = include_str!("../../../assets/calendar/2026.toml");

fn script(case: &str) -> Vec<(Command, Actor)> {
    let app = Actor::new("app-1", Role::Applicant, None);
    let clerk = Actor::new("clerk-1", Role::Clerk, None);
    let rev = Actor::new("rev-1", Role::Reviewer, Some("zrzy"));
    vec![
        (
            Command::CreateCase {
                case_id: case.into(),
                project_code: format!("P-{case}"),
                project_name: "基准项目".into(),
                applicant: app.id.clone(),
            },
            app.clone(),
        ),
        (
            Command::Submit {
                item: "LAND".into(),
                materials: vec!["app".into(), "plan".into()],
                commitments: vec![],
            },
            app,
        ),
        (
            Command::Accept {
                item: "LAND".into(),
            },
            clerk,
        ),
        (
            Command::StartProcessing {
                item: "LAND".into(),
            },
            rev.clone(),
        ),
        (
            Command::Conclude {
                item: "LAND".into(),
                outcome: Outcome::Pass,
                opinion: "同意".into(),
            },
            rev,
        ),
    ]
}

/// Opens the store at a fixed time, publishes the test definitions, and
/// returns a run prefix that keeps case ids fresh across runs on one database.
async fn setup(
    url: &str,
    group: Option<bool>,
    tag: &str,
) -> Result<(Arc<Store>, String), StoreError> {
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").expect("time");
    let mut store = Store::open(url)
        .await?
        .with_clock(Arc::new(FixedClock::new(t0)));
    if let Some(on) = group {
        store = store.with_group_commit(on);
    }
    store
        .publish_definitions(CATALOGUE, PROCESS, &[CAL_2025, CAL_2026])
        .await?;
    let run = format!(
        "{tag}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    );
    Ok((Arc::new(store), run))
}

/// Explicit group commit: each worker sends batches of `batch` commands (one step of
/// `batch` different cases) through `execute_batch`, one fsync per batch.
async fn grouped(url: &str, cases: u32, workers: u32, batch: u32) -> Result<(), StoreError> {
    let (store, run) = setup(url, None, "g").await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    let workers = workers.max(1);
    for w in 0..workers {
        let store = store.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mine: Vec<u32> = (w..cases).step_by(workers as usize).collect();
            let mut n = 0u64;
            for chunk in mine.chunks(batch.max(1) as usize) {
                for step in 0..5 {
                    let cmds: Vec<(CaseId, Command, Actor, RequestId)> = chunk
                        .iter()
                        .map(|i| {
                            let case = format!("{run}-{i}");
                            let (cmd, actor) = script(&case).swap_remove(step);
                            let r = rid(format!("{case}-{step}"));
                            (cid(&case), cmd, actor, r)
                        })
                        .collect();
                    for r in store.execute_batch(&cmds).await? {
                        r?;
                        n += 1;
                    }
                }
            }
            Ok::<u64, StoreError>(n)
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.expect("worker")?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "backend": store.backend(),
            "mode": "group commit",
            "batch": batch,
            "commands": n,
            "seconds": secs,
            "commands_per_second": n as f64 / secs,
            "workers": workers,
        })
    );
    Ok(())
}

async fn commands(
    url: &str,
    cases: u32,
    clients: u32,
    group: Option<bool>,
) -> Result<(), StoreError> {
    let (store, run) = setup(url, group, "b").await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..clients.max(1) {
        let store = store.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            for i in (w..cases).step_by(clients.max(1) as usize) {
                let case = format!("{run}-{i}");
                for (k, (cmd, actor)) in script(&case).iter().enumerate() {
                    store
                        .execute(&cid(&case), cmd, actor, &rid(format!("{case}-{k}")))
                        .await?;
                    n += 1;
                }
            }
            Ok::<u64, StoreError>(n)
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.expect("worker")?;
    }
    let secs = start.elapsed().as_secs_f64();
    let (groups, grouped) = store.group_commit_stats().unwrap_or((0, 0));
    println!(
        "{}",
        serde_json::json!({
            "backend": store.backend(),
            "commands": n,
            "seconds": secs,
            "commands_per_second": n as f64 / secs,
            "clients": clients,
            "group_commit": store.group_commit_stats().is_some(),
            "mean_group": if groups > 0 { grouped as f64 / groups as f64 } else { 1.0 },
        })
    );
    Ok(())
}

async fn verify(url: &str, events: u64) -> Result<(), StoreError> {
    let store = Store::open(url).await?;
    let t = Instant::now();
    let n = store.bench_fill(events, 20).await?;
    let fill = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let export = store.export_log().await?;
    let load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let v = zhishen_store::log_verdict(&export, &zhishen_audit::TrustedKeys::new());
    let check = t.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "backend": store.backend(),
            "events": n,
            "ok": v.ok(),
            "fill_seconds": fill,
            "export_seconds": load,
            "verify_log_seconds": check,
            "verify_total_seconds": load + check,
        })
    );
    Ok(())
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let num = |i: usize, d: u64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let r = match (a.first().map(String::as_str), a.get(1)) {
        (Some("commands"), Some(url)) => {
            let group = match a.get(4).map(String::as_str) {
                Some("group") => Some(true),
                Some("nogroup") => Some(false),
                _ => None,
            };
            rt.block_on(commands(url, num(2, 400) as u32, num(3, 4) as u32, group))
        }
        (Some("grouped"), Some(url)) => rt.block_on(grouped(
            url,
            num(2, 2000) as u32,
            num(3, 4) as u32,
            num(4, 50) as u32,
        )),
        (Some("verify"), Some(url)) => rt.block_on(verify(url, num(2, 1_000_000))),
        _ => {
            eprintln!("usage: store_bench commands URL [cases] [clients] [group|nogroup] | grouped URL [cases] [workers] [batch] | verify URL [events]");
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
