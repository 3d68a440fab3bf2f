//! BIM review jobs (模型审查任务) from the command line:
//! `zhishen case submit-model` queues a planning review of an IFC model for a case
//! item that requires one (`bim_review = true`); `zhishen case run-jobs` runs the
//! queued reviews, stores each report as a blob and records its findings on the
//! case (`RecordReview`). See `docs/store.md` ("BIM review jobs").

use crate::case::{actor, exit_for, print_json_or, Common};
use crate::check::{profiles, review_inputs};
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zhishen_rules::report::FileRef;
use zhishen_rules::{ReviewInput, Status};
use zhishen_store::{ReviewInputs, ReviewJob, Store, StoreError};
use zhishen_workflow::{Command, Finding, FindingStatus, Refusal, Role};

fn refused(code: &'static str, zh: String, en: String) -> StoreError {
    StoreError::Refused(Refusal {
        code,
        message_zh: zh,
        message_en: en,
    })
}

/// `case submit-model`: store the IFC as a blob and queue its review.
#[allow(clippy::too_many_arguments)]
pub async fn submit_model(
    store: &Store,
    c: &Common,
    case_id: &str,
    item: &str,
    model: &Path,
    site: &Path,
    parcel: &str,
    place: Option<String>,
    declared_use: Option<String>,
) -> Result<ExitCode> {
    let Some(case) = store.case(case_id).await? else {
        return exit_for(refused(
            "no_case",
            format!("案件 {case_id} 不存在"),
            format!("case {case_id} does not exist"),
        ));
    };
    if case.item(item).is_none() {
        return exit_for(refused(
            "unknown_item",
            format!("案件 {case_id} 没有事项 {item}"),
            format!("case {case_id} has no item {item}"),
        ));
    }
    let defs = store.case_definitions(&case).await?;
    let needs_review = defs
        .catalogue
        .item(item)
        .map(|d| d.bim_review)
        .unwrap_or(false);
    if !needs_review {
        return exit_for(refused(
            "no_bim_review",
            format!("事项 {item} 不要求模型审查 (bim_review)，不能提交模型"),
            format!("item {item} does not require a BIM review (bim_review); no model accepted"),
        ));
    }
    if let Some(p) = &place {
        p.parse::<zhishen_site::Placement>()
            .map_err(|e| StoreError::BadInput(format!("--place: {e}")))?;
    }
    let bytes = std::fs::read(model)
        .map_err(|e| StoreError::BadInput(format!("--model {}: {e}", model.display())))?;
    let site_dir = site
        .canonicalize()
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| {
            StoreError::BadInput(format!(
                "--site {}: not a site package directory",
                site.display()
            ))
        })?;
    let sha = store.put_blob(&bytes, "application/x-step").await?;
    let inputs = ReviewInputs {
        site_dir: Some(site_dir.display().to_string()),
        placement: place,
        declared_use,
    };
    let id = store
        .enqueue_review_with(case_id, item, &sha, Some(parcel), &inputs)
        .await?;
    let out = serde_json::json!({
        "job_id": id, "case_id": case_id, "item": item, "model_sha256": sha,
        "parcel": parcel, "site_dir": inputs.site_dir, "placement": inputs.placement,
        "declared_use": inputs.declared_use,
    });
    print_json_or(c, &out, || {
        format!("已排队 queued review job {id}: case {case_id} item {item} model {sha}")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The outcome of one job as `run-jobs` reports it.
#[derive(Serialize)]
pub struct JobOutcome {
    pub job: ReviewJob,
    /// Findings recorded on the case (empty when the job failed).
    pub findings: Vec<Finding>,
    /// Difference to the item's previous review, as recorded.
    pub diff: Option<zhishen_workflow::FindingsDiff>,
}

/// `case run-jobs`: claim and run every queued review job.
pub async fn run_jobs(store: &Store, c: &Common) -> Result<ExitCode> {
    let reviewer = actor(c, Role::System)?;
    let mut outcomes = Vec::new();
    while let Some(job) = store.claim_review_job().await? {
        let report = match review(store, &job).await {
            Ok(r) => r,
            Err(msg) => {
                let job = store.complete_review_job(&job, Err(&msg)).await?;
                outcomes.push(JobOutcome {
                    job,
                    findings: vec![],
                    diff: None,
                });
                continue;
            }
        };
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        let report_sha = store.put_blob(&json, "application/json").await?;
        let findings = findings_of(&report);
        let cmd = Command::RecordReview {
            item: job.item.clone(),
            report_sha256: report_sha.clone(),
            findings: findings.clone(),
        };
        // One request id per job: a rerun after a crash replays, never records twice.
        let rid = format!("review-job:{}", job.id);
        match store.execute(&job.case_id, &cmd, &reviewer, &rid).await {
            Ok(ex) => {
                let diff = ex.events.iter().find_map(|e| {
                    e.payload
                        .get("diff")
                        .filter(|d| !d.is_null())
                        .and_then(|d| serde_json::from_value(d.clone()).ok())
                });
                let job = store.complete_review_job(&job, Ok(&report_sha)).await?;
                outcomes.push(JobOutcome {
                    job,
                    findings,
                    diff,
                });
            }
            Err(StoreError::Refused(r)) => {
                let msg = format!(
                    "审查结果未能记录 review not recorded [{}]: {} / {}",
                    r.code, r.message_zh, r.message_en
                );
                let job = store.complete_review_job(&job, Err(&msg)).await?;
                outcomes.push(JobOutcome {
                    job,
                    findings: vec![],
                    diff: None,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    print_json_or(c, &outcomes, || {
        let mut s = format!("已运行 ran {} review job(s)", outcomes.len());
        for o in &outcomes {
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
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Findings = the checks that failed or could not be verified.
fn findings_of(report: &zhishen_rules::Report) -> Vec<Finding> {
    let num = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |x| format!("{x}"));
    report
        .checks
        .iter()
        .filter_map(|ch| {
            let status = match ch.status {
                Status::Fail => FindingStatus::Fail,
                Status::Unverifiable => FindingStatus::Unverifiable,
                Status::Pass | Status::NotApplicable => return None,
            };
            let unit = serde_json::to_value(ch.unit)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            Some(Finding {
                check_id: ch.id.clone(),
                status,
                message: format!(
                    "{}（实测 measured {} {unit}；限值 limit {} {unit}）",
                    ch.explanation.zh,
                    num(ch.measured),
                    num(ch.limit)
                ),
            })
        })
        .collect()
}

/// Runs one job's review; `Err` is the message the failed job keeps.
async fn review(store: &Store, job: &ReviewJob) -> Result<zhishen_rules::Report, String> {
    let bytes = store
        .get_blob(&job.model_sha256)
        .await
        .map_err(|e| format!("模型 model blob {}: {e}", job.model_sha256))?;
    let parcel = job
        .parcel
        .clone()
        .ok_or_else(|| "未指定地块 no parcel given".to_string())?;
    let site_dir = PathBuf::from(
        job.site_dir
            .clone()
            .ok_or_else(|| "未指定场地数据 no site package given".to_string())?,
    );
    let place = match &job.placement {
        Some(s) => Some(
            s.parse::<zhishen_site::Placement>()
                .map_err(|e| format!("placement {s:?}: {e}"))?,
        ),
        None => None,
    };
    let file = format!("blob:{}", job.model_sha256);
    let sha = job.model_sha256.clone();
    let declared_use = job.declared_use.clone();
    let placement = job.placement.clone();
    tokio::task::spawn_blocking(move || -> Result<zhishen_rules::Report, String> {
        let profiles = profiles(&[]).map_err(|e| format!("profiles: {e:#}"))?;
        let model = zhishen_ifc::load_bytes(&bytes, &file)
            .map_err(|e| format!("模型无法读取 unreadable IFC: {e}"))?;
        let site = zhishen_site::load(&site_dir)
            .map_err(|e| format!("场地数据无法读取 site {}: {e}", site_dir.display()))?;
        crate::check::refuse_incomplete(&site)?;
        let placed = zhishen_site::place(&model, &site.crs, place).map_err(|e| e.to_string());
        let inputs = review_inputs(
            FileRef {
                path: file.clone(),
                sha256: sha,
                bytes: bytes.len() as u64,
            },
            &site,
            &site_dir,
            &profiles,
            &parcel,
            placement,
            declared_use.clone(),
        )
        .map_err(|e| format!("{e:#}"))?;
        zhishen_rules::review(ReviewInput {
            model: &model,
            site: &site,
            parcel_id: &parcel,
            placed,
            declared_use: declared_use.as_deref(),
            profiles: &profiles,
            inputs,
        })
        .map_err(|e| format!("审查无法进行 review failed: {e}"))
    })
    .await
    .map_err(|e| format!("审查任务中断 review task aborted: {e}"))?
}
