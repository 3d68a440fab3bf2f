//! The crash-test workload (hidden `zhishen case drive`): a deterministic stream of
//! commands over many cases, printing `ack <request id>` after each commit, so that
//! `crates/cli/tests/crash.rs` can SIGKILL the process mid-stream and check that
//! nothing acknowledged is lost. Test support, kept out of the production modules.

use std::io::Write;
use std::sync::Arc;
use zhishen_store::{Store, StoreError};
use zhishen_workflow::{Actor, CaseId, Command, RequestId, Role};

/// splitmix64: a seeded, dependency-free generator for the test workload.
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

/// The command script of one case in the test workload: create, then for
/// each required stage-1 item submit all required materials, (sometimes a
/// 补正 round trip), accept, process, conclude 通过.
pub fn script(
    defs: &zhishen_workflow::Definitions,
    case_id: &str,
    rng_seed: u64,
) -> Vec<(Command, Actor)> {
    let mut rng = Rng(rng_seed);
    let applicant = Actor::new("applicant-1", Role::Applicant, None);
    let clerk = Actor::new("clerk-1", Role::Clerk, None);
    let mut out = vec![(
        Command::CreateCase {
            case_id: case_id.to_string(),
            project_code: format!("P-{case_id}"),
            project_name: format!("测试项目 {case_id}"),
            applicant: applicant.id.clone(),
        },
        applicant.clone(),
    )];
    let Some(stage) = defs.process.stages.first() else {
        return out;
    };
    for si in stage
        .items
        .iter()
        .filter(|i| i.required && i.prerequisites.is_empty())
    {
        let Some(item) = defs.catalogue.item(&si.code) else {
            continue;
        };
        let reviewer = Actor::new("reviewer-1", Role::Reviewer, Some(&item.department));
        let mats: Vec<String> = item
            .materials
            .iter()
            .filter(|m| m.required)
            .map(|m| m.code.clone())
            .collect();
        out.push((
            Command::Submit {
                item: item.code.clone(),
                materials: mats.clone(),
                commitments: vec![],
            },
            applicant.clone(),
        ));
        if rng.next_u64().is_multiple_of(3) && !mats.is_empty() {
            out.push((
                Command::RequestSupplement {
                    item: item.code.clone(),
                    materials: vec![mats[0].clone()],
                    note: "请补正 please supplement".into(),
                },
                clerk.clone(),
            ));
            out.push((
                Command::SupplementDone {
                    item: item.code.clone(),
                    materials: vec![mats[0].clone()],
                },
                applicant.clone(),
            ));
        }
        out.push((
            Command::Accept {
                item: item.code.clone(),
            },
            clerk.clone(),
        ));
        out.push((
            Command::StartProcessing {
                item: item.code.clone(),
            },
            reviewer.clone(),
        ));
        out.push((
            Command::Conclude {
                item: item.code.clone(),
                outcome: zhishen_workflow::Outcome::Pass,
                opinion: "同意 approved".into(),
            },
            reviewer,
        ));
    }
    out
}

/// Runs the workload: `cases` cases split over `workers` tasks; request ids
/// are `<prefix>-<case>-<step>`, so rerunning with the same prefix replays.
/// Prints `ack <request id>` after each commit (`… replayed` when the
/// request had been done before).
pub async fn drive(
    store: Arc<Store>,
    cases: u32,
    seed: u64,
    prefix: &str,
    workers: u32,
) -> Result<u64, StoreError> {
    let workers = workers.max(1);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        let prefix = prefix.to_string();
        tasks.push(tokio::spawn(async move {
            let defs = store.latest_definitions().await?;
            let mut n = 0u64;
            for i in (w..cases).step_by(workers as usize) {
                let case_id = format!("{prefix}-c{i}");
                for (step, (cmd, actor)) in script(&defs, &case_id, seed ^ u64::from(i))
                    .iter()
                    .enumerate()
                {
                    let rid = RequestId::new(format!("{case_id}-s{step}"))?;
                    let ex = store
                        .execute(&CaseId::new(case_id.as_str())?, cmd, actor, &rid)
                        .await?;
                    n += 1;
                    // One write per line, flushed: the parent may kill us any time.
                    let mut out = std::io::stdout().lock();
                    let tag = if ex.replayed { " replayed" } else { "" };
                    let _ = writeln!(out, "ack {rid}{tag}");
                    let _ = out.flush();
                }
            }
            Ok::<u64, StoreError>(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t
            .await
            .map_err(|e| StoreError::Corrupt(format!("worker panicked: {e}")))??;
    }
    Ok(total)
}
