//! The IFC-only commands, `inspect` and `bench-load`, shared by both binaries.
//!
//! They live apart from the rest of the CLI so that `zhishen` can run them without
//! linking GDAL (see `front.rs`): GDAL's 114 shared libraries cost about 30 ms at
//! every process start, ten times the load of a 0.1 MB model. Nothing here may
//! reach `zhishen_site`, `zhishen_app` or anything else that links GDAL; the
//! `front_binary_does_not_link_gdal` test holds this.

pub mod progress;
mod table;

use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zhishen_ifc::{IfcError, Model, Severity};

/// Exit code for bad input (a message names what and where).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Read an IFC model and print its facts (建筑信息).
#[derive(clap::Args)]
pub struct InspectArgs {
    pub model: PathBuf,
    /// Print the documented JSON contract instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Table language: zh (default) or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
}

/// Benchmark helper: load one model fully and print {"seconds","meshes","triangles"},
/// the stages of the load ("stages", seconds), the report's seconds and peak RSS.
#[derive(clap::Args)]
pub struct BenchLoadArgs {
    pub model: PathBuf,
}

/// Logs to stderr, filtered by `ZHISHEN_LOG` (default: warnings); a span logs its
/// time when it closes (a review's checks, at debug).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHISHEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Whether `e` is the input's fault (exit [`EXIT_BAD_INPUT`]) as far as IFC can tell.
pub fn is_bad_ifc(e: &anyhow::Error) -> bool {
    e.downcast_ref::<IfcError>()
        .is_some_and(IfcError::is_bad_input)
}

/// Loads a model, with a progress bar on a terminal for a large file.
pub fn load(path: &Path) -> Result<Model> {
    let bar = progress::LoadBar::for_file(path);
    let sink = |p| bar.report(p);
    Ok(zhishen_ifc::load_path_with(path, &bar.options(&sink))?)
}

/// `inspect`: the model's facts as a table or as the JSON contract.
pub fn inspect(a: &InspectArgs) -> Result<ExitCode> {
    let m = load(&a.model)?;
    let mut out = crate::out::Out::new();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &zhishen_ifc::report::inspect_json(&m))?;
        writeln!(out)?;
    } else {
        table::print(&mut out, &m, a.lang != "en")?;
    }
    out.finish()?;
    for d in m
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
    {
        tracing::debug!(code = d.code, "{}", d.message);
    }
    end_of_process(m);
    Ok(ExitCode::SUCCESS)
}

/// Lets the model go without freeing it: the command ends the process, and the system
/// takes its memory back at once, whereas freeing a model's many small allocations one
/// by one took 25 ms of the tiled 30 MB Duplex's 0.44 s and 114 ms at 300 MB. Only for
/// the last thing a one-shot command does.
fn end_of_process(m: Model) {
    std::mem::forget(m);
}

/// `bench-load`: one full load, timed by stage (`zhishen_ifc::LoadTimings`), then the
/// inspect report built and serialised (timed apart, not in `seconds`), and the process's
/// peak RSS so far (VmHWM), all as one JSON line for `bench/ifc_bench.py`.
pub fn bench_load(a: &BenchLoadArgs) -> Result<ExitCode> {
    let model = &a.model;
    let bytes = zhishen_ifc::file::read(model)?;
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
    end_of_process(m);
    Ok(ExitCode::SUCCESS)
}
