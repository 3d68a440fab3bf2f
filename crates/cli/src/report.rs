//! `zhishen report supervision`: argument parsing and output over
//! `zhishen_app::supervision`; and the hidden `bench-fill-cases`, which writes an
//! engine-generated history into a store for the benchmark.

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_app::supervision::{report, to_html, SupervisionQuery};
use zhishen_store::Store;
use zhishen_workflow::chrono::NaiveDate;
use zhishen_workflow::simulate::{simulate, SimConfig};

#[derive(Subcommand)]
pub enum ReportCmd {
    /// 效能监督报告: durations against limits, overdue and 补正 rates, 好差评,
    /// departments ranked, red and yellow lists, risk, against the previous period.
    Supervision(SupervisionArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Html,
    Json,
}

#[derive(Args)]
pub struct SupervisionArgs {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    from: String,
    /// Last day of the period (YYYY-MM-DD, inclusive).
    #[arg(long)]
    to: String,
    /// 行政区划代码: only cases filed in this region.
    #[arg(long)]
    region: Option<String>,
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, default_value = zhishen_store::DEFAULT_URL)]
    db: String,
}

#[derive(Args)]
pub struct FillArgs {
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    #[arg(long, default_value_t = 12)]
    seed: u64,
    #[arg(long, default_value = zhishen_store::DEFAULT_URL)]
    db: String,
}

fn date(arg: &str, s: &str) -> Result<NaiveDate> {
    zhishen_workflow::parse_iso_date(s).ok_or_else(|| {
        zhishen_app::AppError::BadInput(format!(
            "--{arg} {s:?}: 日期无效 invalid date (YYYY-MM-DD)"
        ))
        .into()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(cmd: ReportCmd) -> Result<ExitCode> {
    let ReportCmd::Supervision(a) = cmd;
    let q = SupervisionQuery {
        from: date("from", &a.from)?,
        to: date("to", &a.to)?,
        region: a.region.clone(),
    };
    let r = runtime()?.block_on(async {
        let store = Store::open(&a.db).await?;
        let r = report(&store, &q).await;
        store.close().await;
        r
    })?;
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&r)? + "\n",
        Format::Html => to_html(&r),
    };
    match &a.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Publishes the demo definitions and imports `cases` generated cases
/// (2025-01-02 … 2026-06-30, two regions, 300 enterprises).
pub fn fill(a: FillArgs) -> Result<ExitCode> {
    use zhishen_workflow::demo;
    let defs = demo::definitions()?;
    let cfg = SimConfig {
        seed: a.seed,
        cases: a.cases,
        start: NaiveDate::from_ymd_opt(2025, 1, 2).context("date")?,
        span_days: 540,
        until: NaiveDate::from_ymd_opt(2026, 6, 30).context("date")?,
        regions: vec!["440303".into(), "440304".into()],
        enterprises: 300,
    };
    let sim = simulate(&defs, &cfg)?;
    let n = runtime()?.block_on(async {
        let store = Store::open(&a.db).await?;
        store
            .publish_definitions(
                demo::CATALOGUE,
                demo::PROCESS,
                &[demo::CALENDAR_2025, demo::CALENDAR_2026],
            )
            .await?;
        let n = store.import_cases(&defs, &sim).await?;
        store.close().await;
        Ok::<u64, anyhow::Error>(n)
    })?;
    println!("{} cases, {n} events", sim.len());
    Ok(ExitCode::SUCCESS)
}
