//! Planning review 规划条件核验, one code path for every caller: `check` reviews one
//! building on one parcel now; `submit_model` queues a BIM review job on a case item
//! (model and site package stored as blobs); `run_jobs` claims queued jobs, reviews
//! them and records the findings on the case through the workflow.

use crate::ids::{CaseId, ItemCode, RequestId, Sha256};
use crate::inputs::{
    profiles, refuse_incomplete, review_inputs, sha256_file, site_options, InputsCtx,
};
use crate::site_package;
use crate::AppError;
use serde::Serialize;
use std::path::PathBuf;
use zhishen_ifc::{Cancel, LoadOptions, Progress};
use zhishen_rules::report::{Comparison, Declared, FileRef};
use zhishen_rules::{Report, ReviewInput, Status};
use zhishen_store::{ReviewInputs, ReviewJob, Store, StoreError};
use zhishen_workflow::{Actor, Command, Finding, FindingStatus, FindingsDiff};

/// One review now: a model file on a site package directory.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub model: PathBuf,
    pub site: PathBuf,
    pub parcel: String,
    /// Profile files (`national` = the shipped national defaults); empty = shipped defaults.
    pub profiles: Vec<String>,
    /// `E,N,rotation_deg[,elevation]` in the site CRS.
    pub place: Option<String>,
    pub declared_use: Option<String>,
    /// The figures the application declares 申报指标, compared with the model's.
    pub declared: Option<Declared>,
    /// Only the CLI may allow site.toml paths outside the package.
    pub allow_outside_paths: bool,
    /// The site CRS as named by the caller (`--site-crs`), over site.toml.
    pub site_crs: Option<String>,
}

fn parse_place(s: &Option<String>) -> Result<Option<zhishen_site::Placement>, AppError> {
    s.as_deref()
        .map(|s| {
            s.parse::<zhishen_site::Placement>()
                .map_err(|e| AppError::BadInput(format!("place (--place) {s:?}: {e}")))
        })
        .transpose()
}

/// Reviews one building on one parcel.
pub fn check(req: &CheckRequest) -> Result<Report, AppError> {
    check_with(req, &LoadOptions::default())
}

/// [`check`] with the model's load reporting progress and cancellable ([`LoadOptions`]);
/// a cancelled load is `AppError::Internal` naming it (the caller knows it cancelled).
pub fn check_with(req: &CheckRequest, load: &LoadOptions) -> Result<Report, AppError> {
    let Checked {
        report,
        model,
        site,
        ..
    } = checked(req, load)?;
    // Freeing a 30 MB model's meshes and footprints took a tenth of a second after
    // its review; the caller waits only for the report.
    drop_later((model, site));
    Ok(report)
}

/// Drops `v` on a thread of its own; when none can be started, the failed spawn
/// drops it here.
fn drop_later<T: Send + 'static>(v: T) {
    let spawned = std::thread::Builder::new()
        .name("zhishen-drop".into())
        .spawn(move || drop(v));
    if let Err(e) = spawned {
        tracing::debug!(error = %e, "no thread to free the model on");
    }
}

/// A review now, with what it was made from (the twin is built from the same).
pub(crate) struct Checked {
    pub report: Report,
    pub model: zhishen_ifc::Model,
    pub site: zhishen_site::SiteModel,
    pub placed: Result<zhishen_site::PlacedBuilding, String>,
}

pub(crate) fn checked(req: &CheckRequest, load: &LoadOptions) -> Result<Checked, AppError> {
    let t0 = std::time::Instant::now();
    let place = parse_place(&req.place)?;
    let profiles = profiles(&req.profiles)?;
    let Read { model, hash, site } = read(req, load)?;
    tracing::debug!(
        s = t0.elapsed().as_secs_f64(),
        "review: model, hash and site read"
    );
    refuse_incomplete(&site)?;
    let placed = zhishen_site::place(&model, &site.crs, place).map_err(|e| e.to_string());
    tracing::debug!(s = t0.elapsed().as_secs_f64(), "review: placed");
    let inputs = review_inputs(
        hash,
        &site,
        &req.site,
        InputsCtx {
            profiles: &profiles,
            parcel: &req.parcel,
            placement: req.place.clone(),
            declared_use: req.declared_use.clone(),
            declared: req.declared.clone(),
        },
    )?;
    tracing::debug!(s = t0.elapsed().as_secs_f64(), "review: inputs listed");
    let report = zhishen_rules::review(ReviewInput {
        model: &model,
        site: &site,
        parcel_id: &req.parcel,
        placed: placed.clone(),
        declared_use: req.declared_use.as_deref(),
        profiles: &profiles,
        inputs,
    })?;
    tracing::debug!(s = t0.elapsed().as_secs_f64(), "review: checked");
    Ok(Checked {
        report,
        model,
        site,
        placed,
    })
}

/// What a review reads: the model, its file's hash, and the site package.
struct Read {
    model: zhishen_ifc::Model,
    hash: FileRef,
    site: zhishen_site::SiteModel,
}

/// Reads the model, hashes its file and reads the site package side by side (the
/// hash and the site took 0.15 s after a 30 MB model's load).
///
/// The site is read without the model's CRS, which only decides the site CRS when
/// neither `--site-crs` nor `site.toml` names one; when the model has one and the
/// package did not decide, the site is read again with it. So the site is the one
/// reading it after the model would give. A bad model is named first.
fn read(req: &CheckRequest, load: &LoadOptions) -> Result<Read, AppError> {
    let site_options = |preferred_crs| zhishen_site::LoadOptions {
        site_crs: req.site_crs.clone(),
        preferred_crs,
        ..site_options(req.allow_outside_paths)
    };
    let (model, hash, early) = std::thread::scope(|s| {
        let hash = s.spawn(|| sha256_file(&req.model));
        let early = s.spawn(|| zhishen_site::load_with(&req.site, &site_options(None)));
        let model = zhishen_ifc::load_path_with(&req.model, load);
        (model, hash.join(), early.join())
    });
    let model = model?;
    let panicked = |what: &str| AppError::Internal(format!("{what} failed unexpectedly"));
    let hash = hash.map_err(|_| panicked("hashing the model"))??;
    let early = early.map_err(|_| panicked("reading the site"))?;
    let preferred = zhishen_site::model_crs(&model);
    let decided_by_package = |s: &zhishen_site::SiteModel| {
        s.crs_choice.as_ref().is_some_and(|c| {
            matches!(
                c.source,
                zhishen_site::CrsSource::Cli | zhishen_site::CrsSource::SiteToml
            )
        })
    };
    let site = match early {
        Ok(site) if preferred.is_none() || decided_by_package(&site) => site,
        Err(e) if preferred.is_none() => return Err(e.into()),
        _ => zhishen_site::load_with(&req.site, &site_options(preferred))?,
    };
    Ok(Read { model, hash, site })
}

/// Reads `gfa=…,height=…,use=…` (the form of `--declared` and the `declared` query
/// parameter); blank is none, a bad pair is bad input naming the key.
pub fn parse_declared(text: Option<&str>) -> Result<Option<Declared>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Declared::parse(t)
            .map(|d| Some(d).filter(|d| !d.is_empty()))
            .map_err(|e| AppError::BadInput(e.to_string())),
    }
}

/// A model submitted for an item's BIM review.
#[derive(Debug, Clone)]
pub struct SubmitModel {
    pub case_id: CaseId,
    pub item: ItemCode,
    pub model: Vec<u8>,
    /// The site package directory; it is packed and stored as a blob.
    pub site: PathBuf,
    pub parcel: String,
    pub place: Option<String>,
    pub declared_use: Option<String>,
    /// 申报指标, compared with the model's after the review.
    pub declared: Option<Declared>,
}

/// A queued review job.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub job_id: i64,
    pub case_id: CaseId,
    pub item: ItemCode,
    pub model_sha256: Sha256,
    pub site_sha256: Sha256,
    pub parcel: String,
    pub placement: Option<String>,
    pub declared_use: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<Declared>,
}

/// Stores the model and the packed site package and queues a review job for the item.
/// The case must exist and hold the item, and the item must take a BIM review.
pub async fn submit_model(store: &Store, s: SubmitModel) -> Result<Queued, AppError> {
    needs_bim_review(store, &s.case_id, &s.item).await?;
    parse_place(&s.place)?;
    let packed = site_package::pack_dir(&s.site)?;
    let model_sha = store.put_blob(&s.model, "application/x-step").await?;
    let site_sha = store.put_blob(&packed, "application/zip").await?;
    enqueue_stored(
        store,
        StoredInputs {
            case_id: s.case_id,
            item: s.item,
            model_sha256: model_sha,
            site_sha256: site_sha,
            parcel: s.parcel,
            place: s.place,
            declared_use: s.declared_use,
            declared: s.declared,
        },
    )
    .await
}

/// A review of blobs already stored (an upload, a packed site package).
#[derive(Debug, Clone)]
pub struct StoredInputs {
    pub case_id: CaseId,
    pub item: ItemCode,
    pub model_sha256: Sha256,
    pub site_sha256: Sha256,
    pub parcel: String,
    pub place: Option<String>,
    pub declared_use: Option<String>,
    /// 申报指标, compared with the model's after the review.
    pub declared: Option<Declared>,
}

/// Queues a review of stored blobs for an item that takes a BIM review.
pub async fn enqueue_stored(store: &Store, s: StoredInputs) -> Result<Queued, AppError> {
    needs_bim_review(store, &s.case_id, &s.item).await?;
    parse_place(&s.place)?;
    let declared = s.declared.filter(|d| !d.is_empty());
    let inputs = ReviewInputs {
        site_sha256: Some(s.site_sha256.clone()),
        placement: s.place.clone(),
        declared_use: s.declared_use.clone(),
        declared: declared
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| AppError::Internal(format!("declared figures JSON: {e}")))?,
    };
    let job_id = store
        .enqueue_review_with(
            &s.case_id,
            &s.item,
            &s.model_sha256,
            Some(&s.parcel),
            &inputs,
        )
        .await?;
    Ok(Queued {
        job_id,
        case_id: s.case_id,
        item: s.item,
        model_sha256: s.model_sha256,
        site_sha256: s.site_sha256,
        parcel: s.parcel,
        placement: s.place,
        declared_use: s.declared_use,
        declared,
    })
}

/// The case must exist and hold the item, and the item must take a BIM review.
pub async fn needs_bim_review(
    store: &Store,
    case_id: &CaseId,
    item: &ItemCode,
) -> Result<(), AppError> {
    let Some(case) = store.case(case_id).await? else {
        return Err(AppError::NotFound(format!(
            "案件 case {} 不存在 does not exist",
            case_id
        )));
    };
    if case.item(item.as_str()).is_none() {
        return Err(AppError::NotFound(format!(
            "案件 {} 没有事项 {} / case {} has no item {}",
            case_id, item, case_id, item
        )));
    }
    let defs = store.case_definitions(&case).await?;
    let needs_review = defs
        .catalogue
        .item(item.as_str())
        .is_some_and(|d| d.bim_review);
    if !needs_review {
        return Err(AppError::refused(
            "no_bim_review",
            format!("事项 {} 不要求模型审查 (bim_review)，不能提交模型", item),
            format!(
                "item {} does not require a BIM review (bim_review); no model accepted",
                item
            ),
        ));
    }
    Ok(())
}

/// The outcome of one job.
#[derive(Debug, Serialize)]
pub struct JobOutcome {
    pub job: ReviewJob,
    /// Findings recorded on the case: the planning findings, or the failed IDS
    /// specifications of a model the IDS gate sent back (empty when the job failed).
    pub findings: Vec<Finding>,
    /// Difference to the item's previous review, as recorded.
    pub diff: Option<FindingsDiff>,
}

/// Claims and runs every queued review job as `reviewer` (normally the system actor).
pub async fn run_jobs(store: &Store, reviewer: &Actor) -> Result<Vec<JobOutcome>, AppError> {
    let mut outcomes = Vec::new();
    while let Some(job) = store.claim_review_job().await? {
        tracing::info!(
            job = job.id,
            case = %job.case_id,
            attempt = job.attempts,
            "review job claimed"
        );
        let cancel = Cancel::new();
        let heartbeat = renew_while_running(store, &job, cancel.clone());
        let outcome = run_job_with(store, reviewer, job, &cancel).await;
        heartbeat.abort();
        match outcome {
            // The job is its new claimant's; the rest of the queue is still this worker's.
            Err(AppError::Conflict(msg)) if cancel.is_cancelled() => {
                tracing::warn!("{msg}");
            }
            other => outcomes.push(other?),
        }
    }
    Ok(outcomes)
}

/// Renews the claim of a running job every quarter lease, so a review longer than
/// the lease is not taken over while its worker lives; a worker that dies stops
/// renewing, and another takes the job over when the lease runs out. A claim found
/// lost (taken over) cancels the job's model load: the job is the new claimant's.
fn renew_while_running(
    store: &Store,
    job: &ReviewJob,
    cancel: Cancel,
) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    let job = job.clone();
    let every = (store.review_lease() / 4)
        .to_std()
        .unwrap_or_default()
        .max(std::time::Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match store.renew_review_claim(&job).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = job.id, "review lease lost; stopping its load");
                    cancel.cancel();
                    break;
                }
                Err(e) => tracing::warn!(job = job.id, error = %e, "review lease not renewed"),
            }
        }
    })
}

/// Runs one claimed job and records its result; a review that cannot run or be
/// recorded fails the job with its message (the case is unchanged).
pub async fn run_job(
    store: &Store,
    reviewer: &Actor,
    job: ReviewJob,
) -> Result<JobOutcome, AppError> {
    run_job_with(store, reviewer, job, &Cancel::new()).await
}

/// [`run_job`], whose model load stops once `cancel` is cancelled (by `run_jobs` when
/// the job's lease is found lost). A cancelled job is never recorded as a review: it
/// fails as cancelled while its claim is still this worker's, else it is left to its
/// new claimant (`Conflict`).
pub async fn run_job_with(
    store: &Store,
    reviewer: &Actor,
    job: ReviewJob,
    cancel: &Cancel,
) -> Result<JobOutcome, AppError> {
    let failed = |job: ReviewJob| JobOutcome {
        job,
        findings: vec![],
        diff: None,
    };
    // The IDS gate 提交要求核查 runs first: a model that fails it is sent back for 补正
    // and never gets a planning verdict.
    match crate::ids_gate::gate(store, reviewer, &job).await {
        Ok(crate::ids_gate::Gate::Open) => {}
        Ok(crate::ids_gate::Gate::SentBack { message, findings }) => {
            let job = store.complete_review_job(&job, Err(&message)).await?;
            return Ok(JobOutcome {
                job,
                findings,
                diff: None,
            });
        }
        Err(msg) => {
            let job = store.complete_review_job(&job, Err(&msg)).await?;
            return Ok(failed(job));
        }
    }
    let reviewed = review(store, &job, cancel).await;
    if cancel.is_cancelled() {
        return cancelled(store, job).await.map(failed);
    }
    let Reviewed { report, twin } = match reviewed {
        Ok(r) => r,
        Err(msg) => {
            let job = store.complete_review_job(&job, Err(&msg)).await?;
            return Ok(failed(job));
        }
    };
    let mut json = serde_json::to_vec_pretty(&report)
        .map_err(|e| AppError::Internal(format!("report JSON: {e}")))?;
    json.push(b'\n');
    store.set_review_stage(job.id, "report").await?;
    let report_sha = store.put_blob(&json, "application/json").await?;
    if let Some(glb) = twin {
        crate::twin::store_twin(store, job.id, &glb).await;
    }
    let findings = findings_of(&report);
    let cmd = Command::RecordReview {
        item: job.item.as_str().to_string(),
        report_sha256: report_sha.as_str().to_string(),
        findings: findings.clone(),
    };
    // One request id per job: a rerun after a crash replays, never records twice.
    let rid = RequestId::new(format!("review-job:{}", job.id))?;
    match store.execute(&job.case_id, &cmd, reviewer, &rid).await {
        Ok(ex) => {
            let diff = ex.events.iter().find_map(|e| {
                e.payload
                    .get("diff")
                    .filter(|d| !d.is_null())
                    .and_then(|d| serde_json::from_value(d.clone()).ok())
            });
            let job = store.complete_review_job(&job, Ok(&report_sha)).await?;
            Ok(JobOutcome {
                job,
                findings,
                diff,
            })
        }
        Err(StoreError::Refused(r)) => {
            let msg = format!(
                "审查结果未能记录 review not recorded [{}]: {} / {}",
                r.code, r.message_zh, r.message_en
            );
            let job = store.complete_review_job(&job, Err(&msg)).await?;
            Ok(failed(job))
        }
        Err(e) => Err(e.into()),
    }
}

/// A cancelled job, whether its load stopped or had already ended, is never recorded
/// as a review: while the claim is still this worker's the job fails as cancelled
/// (已取消); a claim already lost (the usual reason to cancel) is left to its new
/// claimant and is `Conflict`, with nothing recorded.
async fn cancelled(store: &Store, job: ReviewJob) -> Result<ReviewJob, AppError> {
    let msg = "已取消 cancelled: 审查在记录结果前停止 the review was stopped before its result was recorded";
    match store.complete_review_job(&job, Err(msg)).await {
        Ok(job) => Ok(job),
        Err(StoreError::NotFound(_)) => Err(AppError::Conflict(format!(
            "审查任务 {} 已取消，租约已失效 review job {} cancelled: its claim {} was lost, nothing recorded",
            job.id, job.id, job.attempts
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Findings = the checks that failed or could not be verified.
pub fn findings_of(report: &Report) -> Vec<Finding> {
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
            // A declared figure 申报指标 is not a limit: name both sides for what they are.
            let (m, l) = match ch.comparison {
                Some(Comparison::Matches) => ("模型 model", "申报 declared"),
                _ => ("实测 measured", "限值 limit"),
            };
            Some(Finding {
                check_id: ch.id.clone(),
                status,
                message: format!(
                    "{}（{m} {} {unit}；{l} {} {unit}）",
                    ch.explanation.zh,
                    num(ch.measured),
                    num(ch.limit)
                ),
            })
        })
        .collect()
}

/// What one job reviews, read from the store before the blocking work starts.
pub(crate) struct JobInputs {
    model: Vec<u8>,
    site: Vec<u8>,
    site_sha: Sha256,
    pub parcel: String,
    place: Option<zhishen_site::Placement>,
}

pub(crate) async fn job_inputs(store: &Store, job: &ReviewJob) -> Result<JobInputs, String> {
    let model = store
        .get_blob(&job.model_sha256)
        .await
        .map_err(|e| format!("模型 model blob {}: {e}", job.model_sha256))?;
    let parcel = job
        .parcel
        .clone()
        .ok_or_else(|| "未指定地块 no parcel given".to_string())?;
    let site_sha = job.site_sha256.clone().ok_or_else(|| {
        "未指定场地数据包 no stored site package (a job queued before site packages were stored as blobs: submit the model again)".to_string()
    })?;
    let site = store
        .get_blob(&site_sha)
        .await
        .map_err(|e| format!("场地数据包 site package blob {site_sha}: {e}"))?;
    let place = parse_place(&job.placement).map_err(|e| e.to_string())?;
    Ok(JobInputs {
        model,
        site,
        site_sha,
        parcel,
        place,
    })
}

/// A job's inputs loaded: the model, the site read from its unpacked package (the
/// directory lives as long as this) and the placement, or why there is none.
pub(crate) struct Loaded {
    pub model: zhishen_ifc::Model,
    pub site: zhishen_site::SiteModel,
    pub dir: tempfile::TempDir,
    pub placed: Result<zhishen_site::PlacedBuilding, String>,
}

/// How a job's load reports and stops.
pub(crate) struct JobControl<'a> {
    /// Hears each step ("parse+mesh", "parse+mesh 42%", "site", "place").
    pub stage: &'a (dyn Fn(&str) + Sync),
    pub cancel: &'a Cancel,
    /// Least time between two "parse+mesh N%" stage texts ([`STAGE_EVERY`] for a job,
    /// whose stage is a store row).
    pub every: std::time::Duration,
}

/// Time between two "parse+mesh N%" stage writes of a job: the stage is a store row.
pub(crate) const STAGE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Loads a job's inputs (blocking); `ctl.stage` hears each step and, during the
/// model's load, its rising percentage at most every `ctl.every`. `Err` is the message
/// the failed job keeps.
pub(crate) fn load_job(inp: &JobInputs, file: &str, ctl: &JobControl) -> Result<Loaded, String> {
    (ctl.stage)("parse+mesh");
    let last = std::sync::Mutex::new((std::time::Instant::now(), 0));
    let sink = |p: Progress| {
        let pct = p.overall_percent();
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if pct > last.1 && last.0.elapsed() >= ctl.every {
            *last = (std::time::Instant::now(), pct);
            (ctl.stage)(&format!("parse+mesh {pct}%"));
        }
    };
    let opts = LoadOptions {
        progress: Some(&sink),
        cancel: Some(ctl.cancel),
        ..Default::default()
    };
    let model = zhishen_ifc::load_bytes_with(&inp.model, file, &opts)
        .map(|(m, _)| m)
        .map_err(|e| format!("模型无法读取 unreadable IFC: {e}"))?;
    (ctl.stage)("site");
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    site_package::unpack(&inp.site, dir.path(), Default::default()).map_err(|e| e.to_string())?;
    let opts = zhishen_site::LoadOptions {
        preferred_crs: zhishen_site::model_crs(&model),
        ..site_options(false)
    };
    let site = zhishen_site::load_with(dir.path(), &opts)
        .map_err(|e| format!("场地数据无法读取 site package {}: {e}", inp.site_sha))?;
    refuse_incomplete(&site).map_err(|e| e.to_string())?;
    (ctl.stage)("place");
    let placed = zhishen_site::place(&model, &site.crs, inp.place).map_err(|e| e.to_string());
    Ok(Loaded {
        model,
        site,
        dir,
        placed,
    })
}

/// The job's declared figures, read back from the JSON the store keeps; text that does
/// not read fails the job rather than reviewing without them.
fn declared_of(job: &ReviewJob) -> Result<Option<Declared>, String> {
    job.declared
        .as_deref()
        .map(serde_json::from_str::<Declared>)
        .transpose()
        .map_err(|e| format!("申报指标无法读取 declared figures of job {}: {e}", job.id))
}

/// A job's report and, when it could be built, its twin scene (GLB).
struct Reviewed {
    report: Report,
    twin: Option<Vec<u8>>,
}

/// Runs one job's review; `Err` is the message the failed job keeps. A twin that
/// cannot be built leaves `twin` empty and never fails the review.
async fn review(store: &Store, job: &ReviewJob, cancel: &Cancel) -> Result<Reviewed, String> {
    let inp = job_inputs(store, job).await?;
    let file = format!("blob:{}", job.model_sha256);
    let sha = job.model_sha256.clone();
    let declared_use = job.declared_use.clone();
    let declared = declared_of(job)?;
    let placement = job.placement.clone();
    let (progress, id, rt) = (store.clone(), job.id, tokio::runtime::Handle::current());
    let cancel = cancel.clone();
    // Progress is best effort: a failed stage write never fails the review.
    let stage = move |s: &str| {
        if let Err(e) = rt.block_on(progress.set_review_stage(id, s)) {
            tracing::warn!(job = id, error = %e, "review stage not recorded");
        }
    };
    tokio::task::spawn_blocking(move || -> Result<Reviewed, String> {
        let profiles = profiles(&[]).map_err(|e| format!("profiles: {e}"))?;
        let ctl = JobControl {
            stage: &stage,
            cancel: &cancel,
            every: STAGE_EVERY,
        };
        let l = load_job(&inp, &file, &ctl)?;
        stage("check");
        let inputs = review_inputs(
            FileRef {
                path: file.clone(),
                sha256: sha.as_str().to_string(),
                bytes: inp.model.len() as u64,
            },
            &l.site,
            l.dir.path(),
            InputsCtx {
                profiles: &profiles,
                parcel: &inp.parcel,
                placement,
                declared_use: declared_use.clone(),
                declared,
            },
        )
        .map_err(|e| e.to_string())?;
        let report = zhishen_rules::review(ReviewInput {
            model: &l.model,
            site: &l.site,
            parcel_id: &inp.parcel,
            placed: l.placed.clone(),
            declared_use: declared_use.as_deref(),
            profiles: &profiles,
            inputs,
        })
        .map_err(|e| format!("审查无法进行 review failed: {e}"))?;
        let twin = crate::twin::job_twin(id, &l, &inp.parcel, &report);
        Ok(Reviewed { report, twin })
    })
    .await
    .map_err(|e| format!("审查任务中断 review task aborted: {e}"))?
}
