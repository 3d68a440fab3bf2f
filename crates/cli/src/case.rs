//! `zhishen case …`: the approval workflow (审批流程) from the command line,
//! over the durable store. See `docs/store.md` for the argument design.
//!
//! Exit codes: 0 done, 1 refused by the workflow (reason printed zh + en),
//! 2 bad input (a message names the field or entity).

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use zhishen_app::{AppError, CaseId, RequestId};
use zhishen_store::{cst, Executed, FixedClock, Store, StoreError};
use zhishen_workflow::{Actor, Command, Role};

#[derive(Args)]
pub struct CaseArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub cmd: CaseCmd,
}

/// Options every `case` subcommand takes (before or after the subcommand).
#[derive(Args, Clone)]
pub struct Common {
    /// Database: sqlite://PATH (default ./data/zhishen.db) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, default_value = zhishen_store::DEFAULT_URL)]
    pub db: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The time the command happens (RFC 3339, or YYYY-MM-DD = 09:00 +08:00); default now.
    #[arg(long, global = true)]
    pub now: Option<String>,
    /// Who acts (actor id).
    #[arg(long, global = true, default_value = "cli")]
    pub actor: String,
    /// Role: applicant | clerk | reviewer | dept_head | supervisor | auditor | system
    /// (default depends on the subcommand).
    #[arg(long, global = true)]
    pub role: Option<String>,
    /// Department id of a reviewer or department head.
    #[arg(long, global = true)]
    pub dept: Option<String>,
    /// Idempotency key; repeating it returns the first result. Default: a fresh id.
    #[arg(long, global = true)]
    pub request_id: Option<String>,
    /// Definition directory (catalogue/ process/ calendar/ TOML files) published
    /// by `create` and `publish`.
    #[arg(long, global = true, default_value = "assets")]
    pub defs: PathBuf,
}

#[derive(Subcommand)]
pub enum CaseCmd {
    /// Publish the definitions in --defs (idempotent).
    Publish,
    /// 立案: open a case.
    Create {
        case: String,
        #[arg(long)]
        project_code: String,
        #[arg(long)]
        project_name: String,
        /// Applicant actor id (default: --actor).
        #[arg(long)]
        applicant: Option<String>,
    },
    /// 收件: hand in materials for an item.
    Submit {
        case: String,
        #[arg(long)]
        item: String,
        /// Material codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        materials: Vec<String>,
        /// Materials replaced by a 告知承诺书, comma-separated.
        #[arg(long, value_delimiter = ',')]
        commitments: Vec<String>,
    },
    /// 受理.
    Accept {
        case: String,
        #[arg(long)]
        item: String,
    },
    /// 不予受理.
    Reject {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        reason: String,
    },
    /// 补正 request (一次告知 before 受理).
    Supplement {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long, value_delimiter = ',')]
        materials: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 补正 done: the requested materials arrived.
    SupplementDone {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long, value_delimiter = ',')]
        materials: Vec<String>,
    },
    /// Outstanding 容缺 materials handed in.
    Supply {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long, value_delimiter = ',')]
        materials: Vec<String>,
    },
    /// 部门办理.
    Process {
        case: String,
        #[arg(long)]
        item: String,
    },
    /// 特别程序 start (hearing, testing, appraisal, expert_review, site_inspection, tender, other).
    SpecialStart {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        limit_wd: Option<u32>,
    },
    /// 特别程序 end.
    SpecialEnd {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        result: String,
    },
    /// Ask for an extension (延期) of N working days.
    Extend {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
    },
    /// Department head approves (or with --deny, denies) the pending extension.
    ApproveExtension {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        deny: bool,
    },
    /// 办结 with an outcome: pass | pass_rongque | fail.
    Conclude {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        outcome: String,
        #[arg(long, default_value = "")]
        opinion: String,
    },
    /// 撤件/撤回 by the applicant.
    Withdraw {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        reason: String,
    },
    /// 撤销 of an approval.
    Revoke {
        case: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        reason: String,
    },
    /// 好差评 1..=5.
    Rate {
        case: String,
        #[arg(long)]
        score: u8,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Submit an IFC model for an item's BIM review (bim_review items): stores the
    /// model as a blob and queues a review job.
    SubmitModel(crate::review::SubmitArgs),
    /// Hand in a material's file (材料核验): checked by content against the catalogue's
    /// kind (a PDF must open and have pages, an IFC pass the pre-scan), stored, recorded.
    Attach {
        #[arg(long)]
        case: String,
        #[arg(long)]
        item: String,
        /// Material code of the catalogue, e.g. SQB.
        #[arg(long)]
        material: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Each catalogue material of an item and where it stands (attached, licence
    /// reused, handed in, committed, missing).
    Materials {
        case: String,
        #[arg(long)]
        item: String,
    },
    /// 风险预警: assess every case against the shipped risk rules and record the
    /// changed assessments (risk_changed); prints the changes.
    Risk,
    /// Run every queued BIM review job and record the findings on the cases.
    RunJobs,
    /// The case projection and its events.
    Show { case: String },
    /// All cases.
    List,
    /// Armed timers (of one case, or all).
    Timers { case: Option<String> },
    /// Fire every timer due at --now.
    FireTimers,
    /// 效能 metrics over all cases on --today (default: the date of --now).
    Metrics {
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Test helper: a deterministic stream of commands printing `ack <request id>`
    /// after each commit (used by the crash test).
    #[command(hide = true)]
    Drive {
        #[arg(long, default_value_t = 20)]
        cases: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "drive")]
        prefix: String,
        /// Concurrent workers (each drives its own cases).
        #[arg(long, default_value_t = 1)]
        workers: u32,
    },
}

/// Runs a `case` subcommand; returns the exit code.
pub fn run(args: CaseArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(args))
}

/// Prints an application error the CLI way and returns its exit code
/// (`AppError::exit_code`, the one mapping).
pub fn exit_for(e: AppError) -> Result<ExitCode> {
    match &e {
        AppError::Refused { code, zh, en } => {
            eprintln!("拒绝 refused [{code}]: {zh}");
            eprintln!("  {en}");
        }
        AppError::Internal(_) => return Err(e.into()),
        e => eprintln!("错误 error: {e}"),
    }
    Ok(ExitCode::from(e.exit_code()))
}

/// Parses `--now`: RFC 3339, or a date meaning 09:00 China time.
pub fn parse_now(s: &str) -> Result<DateTime<FixedOffset>, StoreError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        StoreError::BadInput(format!(
            "--now {s:?}: expected RFC 3339 (2026-03-02T09:00:00+08:00) or YYYY-MM-DD"
        ))
    })?;
    let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 is a time");
    cst()
        .from_local_datetime(&d.and_time(nine))
        .single()
        .ok_or_else(|| StoreError::BadInput(format!("--now {s:?}: no such local time")))
}

fn parse_enum<T: serde::de::DeserializeOwned>(
    flag: &str,
    s: &str,
    allowed: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::BadInput(format!("{flag} {s:?}: expected one of {allowed}")))
}

pub(crate) fn actor(c: &Common, default_role: Role) -> Result<Actor, StoreError> {
    let role = match &c.role {
        Some(r) => parse_enum::<Role>(
            "--role",
            r,
            "applicant, clerk, reviewer, dept_head, supervisor, auditor, system",
        )?,
        None => default_role,
    };
    Ok(Actor {
        id: c.actor.clone(),
        role,
        dept: c.dept.clone(),
        on_behalf_of: None,
    })
}

fn fresh_request_id() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "cli-{}-{}-{}",
        t.as_secs(),
        t.subsec_nanos(),
        std::process::id()
    )
}

async fn run_async(args: CaseArgs) -> Result<ExitCode> {
    match run_inner(args).await {
        Ok(code) => Ok(code),
        Err(e) => match e.downcast::<StoreError>() {
            Ok(se) => exit_for(se.into()),
            Err(e) => match e.downcast::<AppError>() {
                Ok(ae) => exit_for(ae),
                Err(e) => Err(e),
            },
        },
    }
}

async fn run_inner(args: CaseArgs) -> Result<ExitCode> {
    let c = args.common;
    let now = match &c.now {
        Some(s) => Some(parse_now(s)?),
        None => None,
    };
    let mut store = Store::open(&c.db).await?;
    if let Some(t) = now {
        store = store.with_clock(Arc::new(FixedClock::new(t)));
    }
    let rid = c.request_id.clone().unwrap_or_else(fresh_request_id);
    let (case_id, cmd, role): (String, Command, Role) = match args.cmd {
        CaseCmd::Publish => return publish(&store, &c).await,
        CaseCmd::Create {
            case,
            project_code,
            project_name,
            applicant,
        } => {
            if c.defs.is_dir() {
                zhishen_app::defs::publish_dir(&store, &c.defs).await?;
            }
            let cmd = Command::CreateCase {
                case_id: case.clone(),
                project_code,
                project_name,
                applicant: applicant.unwrap_or_else(|| c.actor.clone()),
            };
            (case, cmd, Role::Applicant)
        }
        CaseCmd::SubmitModel(a) => return crate::review::submit_model(&store, &c, a).await,
        CaseCmd::Attach {
            case,
            item,
            material,
            file,
        } => {
            let cmd = attach(&store, (&case, &item, &material), &file).await?;
            (case, cmd, Role::Applicant)
        }
        CaseCmd::Materials { case, item } => return materials(&store, &c, &case, &item).await,
        CaseCmd::Risk => return risk(&store, &c).await,
        CaseCmd::RunJobs => return crate::review::run_jobs(&store, &c).await,
        CaseCmd::Show { case } => return show(&store, &c, &case).await,
        CaseCmd::List => return list(&store, &c).await,
        CaseCmd::Timers { case } => return timers(&store, &c, case).await,
        CaseCmd::FireTimers => return fire_timers(&store, &c).await,
        CaseCmd::Metrics { today } => return metrics(&store, today).await,
        CaseCmd::Drive {
            cases,
            seed,
            prefix,
            workers,
        } => {
            crate::drive::drive(Arc::new(store), cases, seed, &prefix, workers).await?;
            return Ok(ExitCode::SUCCESS);
        }
        other => workflow_command(other)?,
    };
    let actor = actor(&c, role)?;
    let case_id = CaseId::new(case_id).map_err(AppError::from)?;
    let rid = RequestId::new(rid).map_err(AppError::from)?;
    let ex = store.execute(&case_id, &cmd, &actor, &rid).await?;
    print_json_or(&c, &ex, || summary(&ex))?;
    Ok(ExitCode::SUCCESS)
}

/// A case command that is a workflow command sent by the applicant or an official, as
/// the case, the command and the sender's role. `run_inner` handles the others.
fn workflow_command(cmd: CaseCmd) -> Result<(String, Command, Role)> {
    Ok(match cmd {
        CaseCmd::Submit {
            case,
            item,
            materials,
            commitments,
        } => (
            case,
            Command::Submit {
                item,
                materials,
                commitments,
            },
            Role::Applicant,
        ),
        CaseCmd::SupplementDone {
            case,
            item,
            materials,
        } => (
            case,
            Command::SupplementDone { item, materials },
            Role::Applicant,
        ),
        CaseCmd::Supply {
            case,
            item,
            materials,
        } => (
            case,
            Command::SupplyMaterials { item, materials },
            Role::Applicant,
        ),
        CaseCmd::Withdraw { case, item, reason } => {
            (case, Command::Withdraw { item, reason }, Role::Applicant)
        }
        CaseCmd::Rate {
            case,
            score,
            comment,
        } => (case, Command::Rate { score, comment }, Role::Applicant),
        other => official_command(other)?,
    })
}

/// A workflow command an official sends: a clerk 窗口, a reviewer or a department head.
fn official_command(cmd: CaseCmd) -> Result<(String, Command, Role)> {
    Ok(match cmd {
        CaseCmd::Accept { case, item } => (case, Command::Accept { item }, Role::Clerk),
        CaseCmd::Reject { case, item, reason } => {
            (case, Command::Reject { item, reason }, Role::Clerk)
        }
        CaseCmd::Supplement {
            case,
            item,
            materials,
            note,
        } => (
            case,
            Command::RequestSupplement {
                item,
                materials,
                note,
            },
            Role::Clerk,
        ),
        CaseCmd::Process { case, item } => {
            (case, Command::StartProcessing { item }, Role::Reviewer)
        }
        CaseCmd::SpecialStart {
            case,
            item,
            kind,
            reason,
            limit_wd,
        } => (
            case,
            Command::StartSpecial {
                item,
                kind: parse_enum(
                    "--kind",
                    &kind,
                    "hearing, testing, appraisal, expert_review, site_inspection, tender, other",
                )?,
                reason,
                limit_wd,
            },
            Role::Reviewer,
        ),
        CaseCmd::SpecialEnd { case, item, result } => {
            (case, Command::EndSpecial { item, result }, Role::Reviewer)
        }
        CaseCmd::Extend {
            case,
            item,
            days,
            reason,
        } => (
            case,
            Command::RequestExtension { item, days, reason },
            Role::Reviewer,
        ),
        CaseCmd::ApproveExtension { case, item, deny } => (
            case,
            Command::ApproveExtension {
                item,
                approved: !deny,
            },
            Role::DeptHead,
        ),
        CaseCmd::Conclude {
            case,
            item,
            outcome,
            opinion,
        } => (
            case,
            Command::Conclude {
                item,
                outcome: parse_enum("--outcome", &outcome, "pass, pass_rongque, fail")?,
                opinion,
            },
            Role::Reviewer,
        ),
        CaseCmd::Revoke { case, item, reason } => {
            (case, Command::Revoke { item, reason }, Role::DeptHead)
        }
        _ => anyhow::bail!("not a workflow command: handled before it reaches here"),
    })
}

/// Publishes the definitions directory (`--defs`) and prints what was published.
async fn publish(store: &Store, c: &Common) -> Result<ExitCode> {
    let refs = zhishen_app::defs::publish_dir(store, &c.defs).await?;
    print_json_or(c, &refs, || {
        refs.iter()
            .map(|r| {
                format!(
                    "已发布 published: process {} {} / catalogue {} {} / calendar {} {}",
                    r.process_id,
                    r.process_version,
                    r.catalogue_id,
                    r.catalogue_version,
                    r.calendar_region,
                    r.calendar_version
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// 风险预警: assesses every case (with the applicants' credit grades) and prints the changes recorded.
async fn risk(store: &Store, c: &Common) -> Result<ExitCode> {
    let rules = zhishen_app::risk::rules()?;
    let changes = zhishen_app::risk::sweep_graded(store, &rules).await?;
    print_json_or(c, &changes, || {
        let mut s = format!("风险变化 risk changed on {} case(s)", changes.len());
        for ch in &changes {
            s.push_str(&format!(
                "\n{}\t{} → {}",
                ch.case_id,
                ch.previous.name_zh(),
                ch.assessment.level.name_zh()
            ));
            for r in &ch.assessment.reasons {
                s.push_str(&format!("\n  - {}", r.text_zh));
            }
        }
        s
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Lists the stored cases.
async fn list(store: &Store, c: &Common) -> Result<ExitCode> {
    let l = store.list_cases().await?;
    print_json_or(c, &l, || {
        l.iter()
            .map(|s| {
                format!(
                    "{}\tseq {}\t{} {}\t{}",
                    s.id, s.seq, s.process_id, s.process_version, s.updated_at
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Fires the timers due by the store's clock.
async fn fire_timers(store: &Store, c: &Common) -> Result<ExitCode> {
    let fired = store.fire_due_timers(store.now()).await?;
    print_json_or(c, &fired, || {
        let mut s = format!("已触发 fired {} timer(s)", fired.len());
        for ex in &fired {
            s.push_str(&format!("\n{}", summary(ex)));
        }
        s
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The armed timers, of one case or of all.
async fn timers(store: &Store, c: &Common, case: Option<String>) -> Result<ExitCode> {
    let case = case.map(CaseId::new).transpose().map_err(AppError::from)?;
    let t = store.timers(case.as_ref()).await?;
    print_json_or(c, &t, || {
        t.iter()
            .map(|t| {
                format!(
                    "{}\t{}\t{}\t{}",
                    t.case_id,
                    t.timer_id,
                    t.kind,
                    t.due.to_rfc3339()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The workflow metrics as JSON, as of `today` (default: the store's today).
async fn metrics(store: &Store, today: Option<NaiveDate>) -> Result<ExitCode> {
    let today = today.unwrap_or_else(|| store.now().date_naive());
    let cases = store.cases().await?;
    let defs = store.latest_definitions().await?;
    let m = zhishen_workflow::metrics(&cases, today, &defs.calendar);
    let mut out = crate::out::Out::new();
    serde_json::to_writer_pretty(&mut out, &m)?;
    writeln!(out)?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// The catalogue entry of a case's item.
async fn item_def(store: &Store, case: &str, item: &str) -> Result<zhishen_workflow::ItemDef> {
    let id = CaseId::new(case).map_err(AppError::from)?;
    let c = store
        .case(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("案件 case {case} 不存在 does not exist")))?;
    let defs = store.case_definitions(&c).await?;
    Ok(defs.catalogue.item(item).cloned().ok_or_else(|| {
        AppError::NotFound(format!(
            "事项 item {item} 不在目录中 is not in the catalogue"
        ))
    })?)
}

/// Checks and stores the file; the command that records it.
async fn attach(
    store: &Store,
    (case, item, material): (&str, &str, &str),
    file: &std::path::Path,
) -> Result<Command> {
    let bytes = std::fs::read(file)
        .map_err(|e| AppError::BadInput(format!("--file {}: {e}", file.display())))?;
    let def = item_def(store, case, item).await?;
    let stored = zhishen_app::materials::store_file(store, &def, material, &bytes).await?;
    let item = zhishen_app::ItemCode::new(item).map_err(AppError::from)?;
    let m = zhishen_app::materials::MaterialRef {
        case_id: case,
        item: &item,
        material,
    };
    Ok(zhishen_app::materials::attach_command(&m, &stored))
}

async fn materials(store: &Store, c: &Common, case: &str, item: &str) -> Result<ExitCode> {
    let def = item_def(store, case, item).await?;
    let id = CaseId::new(case).map_err(AppError::from)?;
    let cs = store
        .case(&id)
        .await?
        .ok_or_else(|| AppError::NotFound(case.into()))?;
    let it = cs.item(item).ok_or_else(|| {
        AppError::NotFound(format!(
            "案件 {case} 没有事项 {item} / case {case} has no item {item}"
        ))
    })?;
    let lines = zhishen_workflow::materials::status(&def, it);
    print_json_or(c, &lines, || {
        lines
            .iter()
            .map(|l| {
                format!(
                    "{}\t{}\t{}",
                    l.code,
                    l.name_zh,
                    serde_json::to_string(&l.status).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn summary(ex: &Executed) -> String {
    let kinds: Vec<&str> = ex.events.iter().map(|e| e.kind.as_str()).collect();
    format!(
        "{} case {} seq {}: {}{}",
        if ex.replayed {
            "已处理过 already done"
        } else {
            "完成 done"
        },
        ex.case_id,
        ex.case.seq,
        kinds.join(", "),
        if ex.replayed { " (replayed)" } else { "" }
    )
}

pub(crate) fn print_json_or<T: serde::Serialize>(
    c: &Common,
    v: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    let mut out = crate::out::Out::new();
    if c.json {
        serde_json::to_writer_pretty(&mut out, v)?;
    } else {
        write!(out, "{}", text())?;
    }
    writeln!(out)?;
    out.finish()?;
    Ok(())
}

async fn show(store: &Store, c: &Common, case_id: &str) -> Result<ExitCode> {
    let case_id = CaseId::new(case_id).map_err(AppError::from)?;
    let Some(case) = store.case(&case_id).await? else {
        return exit_for(AppError::NotFound(format!("case {case_id}")));
    };
    let events = store.events(&case_id).await?;
    let v = serde_json::json!({ "case": case, "events": events });
    print_json_or(c, &v, || {
        let mut s = format!(
            "case {} seq {} ({} {})",
            case.id, case.seq, case.process_id, case.process_version
        );
        for e in &events {
            s.push_str(&format!(
                "\n  #{:<3} {:<24} {:<10} {:<12} {}",
                e.seq, e.kind, e.actor_role, e.actor_id, e.occurred_at
            ));
        }
        s
    })?;
    Ok(ExitCode::SUCCESS)
}
