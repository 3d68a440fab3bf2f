//! `zhishen-all`: every command of `zhishen` 智审, BIM+GIS planning review from the
//! command line. Users type `zhishen`, which runs the IFC-only commands itself and
//! hands the rest to this binary (see `front.rs`).

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod audit;
mod calendar;
mod case;
mod check;
mod credit;
mod drive;
mod ids;
mod licence;
mod model;
mod out;
mod render;
mod report;
mod review;
mod serve;
mod site_table;

#[derive(Parser)]
#[command(
    name = "zhishen",
    version,
    about = "智审 zhishen: BIM+GIS planning review"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Review a building against its parcel's planning conditions (规划条件核验).
    Check(check::CheckArgs),
    /// Check a model against an IDS 1.0 document (信息交付规范核查).
    Ids(ids::IdsArgs),
    Inspect(model::InspectArgs),
    /// Planning layers of a site package (规划图层).
    Site {
        #[command(subcommand)]
        cmd: SiteCmd,
    },
    /// Signed e-licences (电子证照): verify offline, render as HTML.
    Licence {
        #[command(subcommand)]
        cmd: licence::LicenceCmd,
    },
    /// Working-day calendar 工作日历 (statutory holidays and 调休 make-up days).
    Calendar {
        #[command(subcommand)]
        cmd: calendar::CalendarCmd,
    },
    /// Approval cases 审批案件 over the durable store (see docs/store.md).
    Case(case::CaseArgs),
    /// Tamper-evident audit log 审计日志: verify, checkpoint.
    Audit(audit::AuditArgs),
    /// A snapshot 快照 of a review's twin as PNG (plan, axo or finding:N).
    Render(render::RenderArgs),
    /// Reports 报告: the supervision report 效能监督 over the store.
    Report {
        #[command(subcommand)]
        cmd: report::ReportCmd,
    },
    /// Enterprise credit 信用分级: show, regrade, record a fact, object 异议, decide.
    Credit(credit::CreditArgs),
    /// Benchmark helper: write an engine-generated case history into a store.
    #[command(hide = true)]
    BenchFillCases(report::FillArgs),
    /// Serve the service 服务: pages for every role, the JSON API, sign-in, workers.
    Serve(serve::ServeArgs),
    /// Users 用户: create, issue API tokens, print a TOTP code.
    User {
        #[command(subcommand)]
        cmd: serve::UserCmd,
    },
    #[command(hide = true)]
    BenchLoad(model::BenchLoadArgs),
}

#[derive(Subcommand)]
enum SiteCmd {
    /// Layers, feature counts, CRS, extents and validation findings of a site package.
    Info {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Read site.toml paths that are absolute or leave the package (refused by default).
        #[arg(long)]
        allow_outside_paths: bool,
        /// The site CRS (projected, metres), e.g. EPSG:4547; over site.toml's and any choice.
        #[arg(long)]
        site_crs: Option<String>,
    },
}

use model::EXIT_BAD_INPUT;

fn main() -> ExitCode {
    model::init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            if let Some(a) = e.downcast_ref::<zhishen_app::AppError>() {
                return ExitCode::from(a.exit_code());
            }
            let bad_input = model::is_bad_ifc(&e)
                || e.downcast_ref::<zhishen_site::SiteError>().is_some()
                || e.downcast_ref::<zhishen_rules::RulesError>().is_some()
                || e.downcast_ref::<zhishen_rules::ProfileError>().is_some();
            ExitCode::from(if bad_input { EXIT_BAD_INPUT } else { 1 })
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Inspect(a) => model::inspect(&a),
        Cmd::Calendar { cmd } => calendar::run(cmd),
        Cmd::Case(a) => case::run(a),
        Cmd::Audit(a) => audit::run(a),
        Cmd::Render(a) => render::run(a),
        Cmd::Report { cmd } => report::run(cmd),
        Cmd::Credit(a) => credit::run(a),
        Cmd::BenchFillCases(a) => report::fill(a),
        Cmd::Serve(a) => serve::serve(a),
        Cmd::User { cmd } => serve::user(cmd),
        Cmd::Check(a) => check::run(a),
        Cmd::Ids(a) => ids::run(a),
        Cmd::Site {
            cmd:
                SiteCmd::Info {
                    dir,
                    json,
                    allow_outside_paths,
                    site_crs,
                },
        } => {
            let m = zhishen_site::load_with(
                &dir,
                &zhishen_site::LoadOptions {
                    site_crs,
                    ..zhishen_app::inputs::site_options(allow_outside_paths)
                },
            )?;
            let mut out = out::Out::new();
            if json {
                let v = serde_json::json!({
                    "crs": m.crs,
                    "crs_choice": m.crs_choice,
                    "layers": m.layers,
                    "counts": zhishen_site::fields::ALL_KINDS
                        .iter()
                        .map(|k| (k.as_str(), m.count(*k)))
                        .filter(|(_, n)| *n > 0)
                        .collect::<std::collections::BTreeMap<_, _>>(),
                    "road_widths": m.road_widths(),
                    "findings": m.findings,
                });
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                site_table::print_site(&mut out, &m)?;
            }
            out.finish()?;
            let errors = m
                .findings
                .iter()
                .any(|f| f.severity == zhishen_site::Severity::Error);
            Ok(if errors {
                ExitCode::from(EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Licence { cmd } => licence::run(cmd),
        Cmd::BenchLoad(a) => model::bench_load(&a),
    }
}
