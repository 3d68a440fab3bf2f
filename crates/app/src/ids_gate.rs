//! The IDS gate 提交要求核查. A catalogue item may name an IDS (pinned by SHA-256, stored
//! as a blob when the definitions are published). Before any planning check runs, a
//! submitted model is checked against it; a model that fails is sent back for 补正
//! with a note that lists what is missing, and the IDS report is recorded on the case as
//! the item's review, so the clerk and the reviewer read the same reasons the applicant
//! gets. No planning verdict is ever produced for a model that failed its gate.

use crate::ids::{RequestId, Sha256};
use zhishen_ids::IdsReport;
use zhishen_store::{ReviewJob, Store, StoreError};
use zhishen_workflow::catalogue::{IdsGate, ItemDef, MaterialKind};
use zhishen_workflow::{Actor, Command, Finding, FindingStatus, ItemState};

/// What the gate decided for one job.
#[derive(Debug)]
pub(crate) enum Gate {
    /// No IDS for the item, or the model meets it: the planning review may run.
    Open,
    /// The model failed its IDS and was sent back; the job ends with `message`.
    SentBack {
        message: String,
        findings: Vec<Finding>,
    },
}

/// Runs the item's IDS on the job's model. `Err` is the message the failed job keeps
/// (the IDS blob is missing, the IDS or the model cannot be read, or the 补正 request
/// was refused); the case is then unchanged apart from what the message says.
pub(crate) async fn gate(store: &Store, reviewer: &Actor, job: &ReviewJob) -> Result<Gate, String> {
    let (def, state) = item_of(store, job).await?;
    let Some(spec) = def.ids.clone() else {
        return Ok(Gate::Open);
    };
    if let Err(e) = store.set_review_stage(job.id, "ids").await {
        tracing::warn!(job = job.id, error = %e, "review stage not recorded");
    }
    let report = run(store, job, &spec).await?;
    if report.summary.fail == 0 {
        tracing::info!(job = job.id, ids = %spec.file, "IDS gate passed");
        return Ok(Gate::Open);
    }
    let note = note_of(&report);
    // Only an item that is received, accepted or in review can be sent back; the report
    // of any other is not kept (nothing would refer to it).
    if !matches!(
        state,
        ItemState::Received | ItemState::Accepted | ItemState::Processing
    ) {
        return Err(format!(
            "未通过提交要求 the model fails its IDS ({note}); 事项状态 {state:?} 不能要求补正 the item's state takes no 补正"
        ));
    }
    let materials = model_materials(&def)?;
    let report_sha = store
        .put_blob(&report.to_json(), "application/json")
        .await
        .map_err(|e| format!("IDS 报告无法保存 IDS report not stored: {e}"))?;
    let findings = findings_of(&report);
    record_review(store, reviewer, job, &report_sha, &findings).await?;
    let cmd = Command::RequestSupplement {
        item: job.item.as_str().to_string(),
        materials,
        note: note.clone(),
    };
    let rid = request_id(job, "supplement")?;
    match store.execute(&job.case_id, &cmd, reviewer, &rid).await {
        Ok(_) => {
            tracing::info!(job = job.id, fails = report.summary.fail, "IDS gate: sent back for 补正");
            Ok(Gate::SentBack {
                message: format!("未通过提交要求，已要求补正 sent back for 补正 by the IDS gate: {note}"),
                findings,
            })
        }
        Err(StoreError::Refused(r)) => Err(format!(
            "未通过提交要求 the model fails its IDS ({note}); 补正未能发出 the 补正 request was refused [{}]: {} / {}",
            r.code, r.message_zh, r.message_en
        )),
        Err(e) => Err(format!("补正未能发出 the 补正 request failed: {e}")),
    }
}

/// The job's item as the case's catalogue defines it, and its state.
async fn item_of(store: &Store, job: &ReviewJob) -> Result<(ItemDef, ItemState), String> {
    let case = store
        .case(&job.case_id)
        .await
        .map_err(|e| format!("案件 case {}: {e}", job.case_id))?
        .ok_or_else(|| format!("案件 case {} 不存在 does not exist", job.case_id))?;
    let state = case
        .item(job.item.as_str())
        .map(|i| i.state)
        .ok_or_else(|| {
            format!(
                "案件 {} 没有事项 case has no item {}",
                job.case_id, job.item
            )
        })?;
    let defs = store
        .case_definitions(&case)
        .await
        .map_err(|e| format!("事项目录 catalogue of case {}: {e}", job.case_id))?;
    let def = defs
        .catalogue
        .item(job.item.as_str())
        .cloned()
        .ok_or_else(|| format!("事项目录没有事项 catalogue has no item {}", job.item))?;
    Ok((def, state))
}

/// Reads the pinned IDS and the model and checks one against the other (blocking work
/// off the runtime).
async fn run(store: &Store, job: &ReviewJob, spec: &IdsGate) -> Result<IdsReport, String> {
    let sha = Sha256::parse(&spec.sha256)
        .map_err(|e| format!("事项 {} 的 IDS {}: {e}", job.item, spec.file))?;
    let ids = store.get_blob(&sha).await.map_err(|e| {
        format!(
            "事项 {} 的 IDS {} ({sha}) 未存储 is not stored (publish the definitions with their ids/ directory): {e}",
            job.item, spec.file
        )
    })?;
    let model = store
        .get_blob(&job.model_sha256)
        .await
        .map_err(|e| format!("模型 model blob {}: {e}", job.model_sha256))?;
    let model_file = format!("blob:{}", job.model_sha256);
    let ids_file = spec.file.clone();
    tokio::task::spawn_blocking(move || {
        zhishen_ids::check_bytes(model, &model_file, &ids, &ids_file)
    })
    .await
    .map_err(|e| format!("IDS 核查中断 IDS check aborted: {e}"))?
    .map_err(|e| format!("IDS 核查无法进行 IDS check failed: {e}"))
}

/// One finding per failed specification, `ids:<identifier or name>`.
pub(crate) fn findings_of(report: &IdsReport) -> Vec<Finding> {
    failed(report)
        .map(|s| Finding {
            check_id: format!("ids:{}", s.identifier.as_deref().unwrap_or(&s.name)),
            status: FindingStatus::Fail,
            message: format!("{}：{}", s.name, reason_of(s)),
        })
        .collect()
}

fn failed(report: &IdsReport) -> impl Iterator<Item = &zhishen_ids::report::SpecResult> {
    report
        .specifications
        .iter()
        .filter(|s| s.status == zhishen_ids::Status::Fail)
}

/// Why a specification failed, in Chinese: its own message (no applicable entity), or
/// the first failing entity's reason and how many failed.
fn reason_of(s: &zhishen_ids::report::SpecResult) -> String {
    // A specification that found nothing to apply to says so; what it requires is in
    // its description.
    if let Some(m) = &s.message {
        return match s.description.as_deref() {
            Some(d) => format!("{}：{d}", m.zh),
            None => m.zh.clone(),
        };
    }
    let fails: Vec<_> = s.requirements.iter().flat_map(|r| &r.failures).collect();
    match fails.first() {
        Some(f) => {
            let who = f
                .entity
                .global_id
                .as_deref()
                .map_or_else(|| format!("#{}", f.entity.step_id), str::to_string);
            format!(
                "{} 个构件不满足，例如 {} {}：{}",
                fails.len(),
                f.entity.class,
                who,
                f.reason.zh
            )
        }
        None if !s.prohibited.is_empty() => {
            format!(
                "{} 个构件不应出现 prohibited entities present",
                s.prohibited.len()
            )
        }
        None => "不满足 not met".to_string(),
    }
}

/// The 补正 note: what is missing, one line per failed specification, with its
/// instructions when the IDS gives them.
pub(crate) fn note_of(report: &IdsReport) -> String {
    let lines: Vec<String> = failed(report)
        .map(|s| {
            let id = s
                .identifier
                .as_deref()
                .map(|i| format!("[{i}] "))
                .unwrap_or_default();
            let how = s
                .instructions
                .as_deref()
                .map(|i| format!("（{i}）"))
                .unwrap_or_default();
            format!("{id}{}：{}{how}", s.name, reason_of(s))
        })
        .collect();
    format!(
        "模型不满足《{}》: {}",
        report.ids.info.title,
        lines.join("；")
    )
}

/// The item's model materials (kind `ifc`): what the applicant hands in again. An item
/// whose catalogue types no material as a model cannot be sent back for one.
fn model_materials(def: &ItemDef) -> Result<Vec<String>, String> {
    let codes: Vec<String> = def
        .materials
        .iter()
        .filter(|m| m.kind == Some(MaterialKind::Ifc))
        .map(|m| m.code.clone())
        .collect();
    if codes.is_empty() {
        return Err(format!(
            "事项 {0} 未列出模型材料（kind = \"ifc\"），无法要求补正 / item {0} lists no model material (kind = \"ifc\") to request again",
            def.code
        ));
    }
    Ok(codes)
}

/// Records the IDS report as the item's review, when the item's clock runs (before
/// acceptance there is no review to record; the 补正 note still carries the reasons).
async fn record_review(
    store: &Store,
    reviewer: &Actor,
    job: &ReviewJob,
    report_sha: &Sha256,
    findings: &[Finding],
) -> Result<(), String> {
    let cmd = Command::RecordReview {
        item: job.item.as_str().to_string(),
        report_sha256: report_sha.as_str().to_string(),
        findings: findings.to_vec(),
    };
    let rid = request_id(job, "review")?;
    match store.execute(&job.case_id, &cmd, reviewer, &rid).await {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(r)) => {
            tracing::info!(job = job.id, code = %r.code, "IDS result not recorded as a review");
            Ok(())
        }
        Err(e) => Err(format!("IDS 结果未能记录 IDS result not recorded: {e}")),
    }
}

/// One request id per job and step: a rerun after a crash replays, never records twice.
fn request_id(job: &ReviewJob, step: &str) -> Result<RequestId, String> {
    RequestId::new(format!("ids-gate:{}:{step}", job.id)).map_err(|e| e.to_string())
}
