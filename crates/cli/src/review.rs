//! BIM review jobs (模型审查任务) from the command line, over `zhishen_app::review`:
//! `zhishen case submit-model` queues a planning review of an IFC model for a case
//! item that requires one (`bim_review = true`), with the model and the packed site
//! package stored as blobs; `zhishen case run-jobs` runs the queued reviews and
//! records their findings on the cases. See `docs/store.md` ("BIM review jobs").

use crate::case::{actor, print_json_or, Common};
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_app::review::{JobOutcome, SubmitModel};
use zhishen_app::{AppError, CaseId, ItemCode};
use zhishen_store::Store;
use zhishen_workflow::Role;

/// `case submit-model`'s arguments.
#[derive(clap::Args)]
pub struct SubmitArgs {
    #[arg(long)]
    pub case: String,
    #[arg(long)]
    pub item: String,
    /// The IFC model.
    #[arg(long)]
    pub model: PathBuf,
    /// The site package directory.
    #[arg(long)]
    pub site: PathBuf,
    /// Parcel id (地块编号).
    #[arg(long)]
    pub parcel: String,
    /// Explicit placement E,N,rotation_deg[,elevation] in the site CRS.
    #[arg(long)]
    pub place: Option<String>,
    /// Declared building use(s), e.g. 商业.
    #[arg(long = "use")]
    pub declared_use: Option<String>,
    /// 申报指标, e.g. gfa=12000,height=45,storeys_above=15,use=住宅.
    #[arg(long)]
    pub declared: Option<String>,
}

/// `case submit-model`: store the IFC and the site package as blobs and queue the review.
pub async fn submit_model(store: &Store, c: &Common, a: SubmitArgs) -> Result<ExitCode> {
    let model = std::fs::read(&a.model)
        .map_err(|e| AppError::BadInput(format!("--model {}: {e}", a.model.display())))?;
    let q = zhishen_app::review::submit_model(
        store,
        SubmitModel {
            case_id: CaseId::new(a.case)?,
            item: ItemCode::new(a.item)?,
            model,
            site: a.site,
            parcel: a.parcel,
            place: a.place,
            declared_use: a.declared_use,
            declared: zhishen_app::review::parse_declared(a.declared.as_deref())?,
        },
    )
    .await?;
    print_json_or(c, &q, || {
        format!(
            "已排队 queued review job {}: case {} item {} model {} site {}",
            q.job_id, q.case_id, q.item, q.model_sha256, q.site_sha256
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `case run-jobs`: claim and run every queued review job.
pub async fn run_jobs(store: &Store, c: &Common) -> Result<ExitCode> {
    let reviewer = actor(c, Role::System)?;
    let outcomes = zhishen_app::review::run_jobs(store, &reviewer).await?;
    print_json_or(c, &outcomes, || text(&outcomes))?;
    Ok(ExitCode::SUCCESS)
}

fn text(outcomes: &[JobOutcome]) -> String {
    let mut s = format!("已运行 ran {} review job(s)", outcomes.len());
    for o in outcomes {
        let j = &o.job;
        match &j.error {
            Some(e) => s.push_str(&format!(
                "\n  job {} case {} item {}: 失败 failed: {e}",
                j.id, j.case_id, j.item
            )),
            None => {
                s.push_str(&format!(
                    "\n  job {} case {} item {}: 完成 done, {} finding(s)",
                    j.id,
                    j.case_id,
                    j.item,
                    o.findings.len()
                ));
                for f in &o.findings {
                    s.push_str(&format!("\n    {} {}", f.check_id, f.message));
                }
                if let Some(d) = &o.diff {
                    s.push_str(&format!(
                        "\n    新增 added {:?} · 已解决 resolved {:?} · 未变 unchanged {:?}",
                        d.added, d.resolved, d.unchanged
                    ));
                }
            }
        }
    }
    s
}
