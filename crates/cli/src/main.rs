//! `zhishen` 智审: BIM+GIS planning review from the command line.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_ifc::{IfcError, Model, Severity};

mod audit;
mod calendar;
mod case;
mod check;
mod credit;
mod drive;
mod ids;
mod licence;
mod progress;
mod render;
mod report;
mod review;
mod serve;
mod table;

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
    /// Read an IFC model and print its facts (建筑信息).
    Inspect {
        model: PathBuf,
        /// Print the documented JSON contract instead of a table.
        #[arg(long)]
        json: bool,
        /// Table language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
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
    /// Benchmark helper: load one model fully and print {"seconds","meshes","triangles"},
    /// the stages of the load ("stages", seconds), the report's seconds and peak RSS.
    #[command(hide = true)]
    BenchLoad { model: PathBuf },
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

/// Exit code for bad input (a message names what and where).
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHISHEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            if let Some(a) = e.downcast_ref::<zhishen_app::AppError>() {
                return ExitCode::from(a.exit_code());
            }
            let bad_input = e
                .downcast_ref::<IfcError>()
                .is_some_and(IfcError::is_bad_input)
                || e.downcast_ref::<zhishen_site::SiteError>().is_some()
                || e.downcast_ref::<zhishen_rules::RulesError>().is_some()
                || e.downcast_ref::<zhishen_rules::ProfileError>().is_some();
            ExitCode::from(if bad_input { EXIT_BAD_INPUT } else { 1 })
        }
    }
}

/// Loads a model, with a progress bar on a terminal for a large file.
fn load(path: &std::path::Path) -> Result<Model> {
    let bar = progress::LoadBar::for_file(path);
    let sink = |p| bar.report(p);
    Ok(zhishen_ifc::load_path_with(path, &bar.options(&sink))?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Inspect { model, json, lang } => {
            let m = load(&model)?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &zhishen_ifc::report::inspect_json(&m))?;
                writeln!(out)?;
            } else {
                table::print(&mut out, &m, lang != "en")?;
            }
            for d in m
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
            {
                tracing::debug!(code = d.code, "{}", d.message);
            }
            Ok(ExitCode::SUCCESS)
        }
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
            let mut out = std::io::stdout().lock();
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
                table::print_site(&mut out, &m)?;
            }
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
        Cmd::BenchLoad { model } => bench_load(&model),
    }
}

/// `bench-load`: one full load, timed by stage (`zhishen_ifc::LoadTimings`), then the
/// inspect report built and serialised (timed apart, not in `seconds`), and the process's
/// peak RSS so far (VmHWM), all as one JSON line for `bench/ifc_bench.py`.
fn bench_load(model: &std::path::Path) -> Result<ExitCode> {
    let bytes = std::fs::read(model)?;
    let t = std::time::Instant::now();
    let (m, stages) = zhishen_ifc::load_bytes_timed(&bytes, &model.display().to_string())?;
    let secs = t.elapsed().as_secs_f64();
    let r = std::time::Instant::now();
    let report = serde_json::to_vec(&zhishen_ifc::report::inspect_json(&m))?;
    let report_s = r.elapsed().as_secs_f64();
    let meshes = m.elements.iter().filter(|e| e.mesh.is_some()).count();
    let triangles: usize = m
        .elements
        .iter()
        .filter_map(|e| e.mesh.as_ref())
        .map(|x| x.triangle_count())
        .sum();
    println!(
        "{}",
        serde_json::json!({
            "seconds": secs,
            "meshes": meshes,
            "triangles": triangles,
            "stages": stages,
            "report_s": report_s,
            "report_bytes": report.len(),
            "peak_rss_mib": zhishen_ifc::process_memory().map(|m| m.peak),
        })
    );
    Ok(ExitCode::SUCCESS)
}
