//! `zhishen ids MODEL.ifc SPEC.ids`: check a model against an IDS 1.0 document
//! (`zhishen_app::ids_check::check`) and write the result as JSON, HTML or BCF. Exit 0
//! when every specification passes (or does not apply to the model's schema), 1 when
//! one fails, 2 for bad input (an IDS invalid against ids.xsd, an unreadable model).

use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_app::AppError;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Json,
    Html,
    Bcf,
}

#[derive(clap::Args)]
pub struct IdsArgs {
    /// The IFC model (IFC2X3, IFC4, IFC4X3).
    pub model: PathBuf,
    /// The IDS 1.0 document.
    pub ids: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Output file (default: standard output; required for bcf).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(a: IdsArgs) -> Result<ExitCode> {
    if matches!(a.format, Format::Bcf) && a.out.is_none() {
        return Err(AppError::BadInput(
            "--format bcf writes a zip archive: give --out FILE.bcf".into(),
        )
        .into());
    }
    let report = zhishen_app::ids_check::check(&a.model, &a.ids)?;
    let bytes = match a.format {
        Format::Json => report.to_json(),
        Format::Html => zhishen_ids::report::to_html(&report).into_bytes(),
        Format::Bcf => {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            zhishen_ids::bcf::to_bcf(&report, &now)?
        }
    };
    match &a.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    let s = &report.summary;
    eprintln!(
        "{}: 规范 specifications {} · 通过 pass {} · 不通过 fail {} · 不适用 n/a {}",
        a.model.display(),
        s.specifications,
        s.pass,
        s.fail,
        s.not_applicable
    );
    for spec in report
        .specifications
        .iter()
        .filter(|s| s.status == zhishen_ids::Status::Fail)
    {
        let failed: usize = spec
            .requirements
            .iter()
            .map(|r| r.failures.len())
            .sum::<usize>()
            + spec.prohibited.len();
        eprintln!("  [不通过 fail] {} ({failed})", spec.name);
    }
    Ok(ExitCode::from(report.exit_code()))
}
