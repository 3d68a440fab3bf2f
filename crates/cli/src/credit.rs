//! `zhishen credit …`: enterprise credit grading 信用分级 from the command line,
//! over `zhishen_app::credit` (see `docs/credit.md`).
//!
//! Exit codes as `zhishen case`: 0 done, 1 refused (reason printed zh + en),
//! 2 bad input.

use crate::case::{actor, exit_for, parse_now, Common};
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::process::ExitCode;
use std::sync::Arc;
use zhishen_app::credit;
use zhishen_app::{AppError, CaseId, RequestId};
use zhishen_store::{FixedClock, Store, StoreError};
use zhishen_workflow::credit::{CreditCommand, FactKind, Grade, ObjectionDecision};
use zhishen_workflow::{EnterpriseId, Role};

#[derive(Args)]
pub struct CreditArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub cmd: CreditCmd,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FactArg {
    /// 虚假申报
    FalseDeclaration,
    /// 违法违规
    Violation,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GradeArg {
    A,
    B,
    C,
    D,
}

#[derive(Subcommand)]
pub enum CreditCmd {
    /// The enterprise's grade, latest assessment and credit events.
    Show { enterprise: String },
    /// 信用评级: grade from the enterprise's cases and recorded facts (an event
    /// only when the grade changes). Default role: system.
    Regrade { enterprise: String },
    /// 记录失信事实 (supervisor).
    Fact {
        enterprise: String,
        #[arg(long, value_enum)]
        kind: FactArg,
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        note: String,
    },
    /// 异议: an applicant of the enterprise (its account's enterprise) objects to
    /// the grade. Default role: applicant.
    Object {
        enterprise: String,
        #[arg(long)]
        reason: String,
    },
    /// 异议处理 (supervisor): uphold the grade, or amend it with --amend.
    Decide {
        enterprise: String,
        /// The new grade; without it the grade is upheld (维持).
        #[arg(long, value_enum)]
        amend: Option<GradeArg>,
        #[arg(long)]
        reason: String,
    },
    /// 信用等级适用: record the enterprise's current grade on a case, which its
    /// 告知承诺, 容缺受理 and approvals then honour. Default role: system.
    Apply {
        case: String,
        #[arg(long)]
        enterprise: String,
    },
}

/// Runs a `credit` subcommand; returns the exit code.
pub fn run(args: CreditArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match rt.block_on(run_inner(args)) {
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

fn enterprise(s: &str) -> Result<EnterpriseId, AppError> {
    EnterpriseId::new(s).map_err(|e| AppError::BadInput(format!("enterprise {s:?}: {e}")))
}

fn grade(g: GradeArg) -> Grade {
    match g {
        GradeArg::A => Grade::A,
        GradeArg::B => Grade::B,
        GradeArg::C => Grade::C,
        GradeArg::D => Grade::D,
    }
}

/// The command of a stream subcommand, its enterprise and default role
/// (`None` for `show` and `apply`, which are not stream commands).
fn stream_command(cmd: &CreditCmd) -> Result<Option<(&str, CreditCommand, Role)>, AppError> {
    Ok(Some(match cmd {
        CreditCmd::Fact {
            enterprise,
            kind,
            case,
            note,
        } => {
            let case_id = match case {
                Some(c) => Some(CaseId::new(c.clone())?),
                None => None,
            };
            let fact = match kind {
                FactArg::FalseDeclaration => FactKind::FalseDeclaration,
                FactArg::Violation => FactKind::Violation,
            };
            let note = note.clone();
            (
                enterprise.as_str(),
                CreditCommand::RecordFact {
                    fact,
                    case_id,
                    note,
                },
                Role::Supervisor,
            )
        }
        CreditCmd::Object { enterprise, reason } => (
            enterprise.as_str(),
            CreditCommand::Object {
                reason: reason.clone(),
            },
            Role::Applicant,
        ),
        CreditCmd::Decide {
            enterprise,
            amend,
            reason,
        } => (
            enterprise.as_str(),
            CreditCommand::DecideObjection {
                decision: amend.map_or(ObjectionDecision::Uphold, |g| ObjectionDecision::Amend {
                    grade: grade(g),
                }),
                reason: reason.clone(),
            },
            Role::Supervisor,
        ),
        CreditCmd::Show { .. } | CreditCmd::Regrade { .. } | CreditCmd::Apply { .. } => {
            return Ok(None)
        }
    }))
}

fn print<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

async fn run_inner(args: CreditArgs) -> Result<ExitCode> {
    let c = args.common;
    let mut store = Store::open(&c.db).await?;
    if let Some(s) = &c.now {
        store = store.with_clock(Arc::new(FixedClock::new(parse_now(s)?)));
    }
    let rid = RequestId::new(c.request_id.clone().unwrap_or_else(|| {
        format!(
            "cli-credit-{}-{}",
            std::process::id(),
            store.now().timestamp_micros()
        )
    }))
    .map_err(AppError::from)?;
    if let Some((e, cmd, role)) = stream_command(&args.cmd)? {
        let a = actor(&c, role)?;
        let who = credit::actor_of(&store, &a.id, a.role).await?;
        print(&credit::execute(&store, &enterprise(e)?, &cmd, &who, &rid).await?)?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    match &args.cmd {
        CreditCmd::Show { enterprise: e } => {
            let (state, events) = credit::show(&store, &enterprise(e)?).await?;
            print(&serde_json::json!({ "state": state, "events": events }))?;
        }
        CreditCmd::Regrade { enterprise: e } => {
            let a = actor(&c, Role::System)?;
            let who = credit::actor_of(&store, &a.id, a.role).await?;
            let rules = credit::rules()?;
            print(&credit::regrade(&store, &enterprise(e)?, &rules, &who, &rid).await?)?;
        }
        CreditCmd::Apply {
            case,
            enterprise: e,
        } => {
            let a = actor(&c, Role::System)?;
            let rules = credit::rules()?;
            let id = CaseId::new(case.clone())?;
            let ex = credit::apply_to_case(&store, &id, &enterprise(e)?, &rules, &a, &rid).await?;
            print(&ex)?;
        }
        _ => {}
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
