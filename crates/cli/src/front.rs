//! `zhishen` 智审: the command users type. It runs the IFC-only commands (`inspect`,
//! `bench-load`) itself and hands every other command, unchanged, to `zhishen-all`
//! beside it, by `exec`.
//!
//! Why two binaries: GDAL and its 114 shared libraries take about 30 ms to map and
//! relocate at every start, whether a command reads GIS data or not. A planner's
//! `zhishen inspect` of a 0.1 MB model spent 35 ms, of which the load was 4 ms. This
//! binary links no GDAL (the `front_binary_does_not_link_gdal` test reads its
//! dynamic section), so it starts in about a millisecond; the commands that read
//! site data, serve, or use the store pay GDAL's start-up as before, in `zhishen-all`.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

mod model;
mod out;

/// The binary with every command, installed beside this one.
const ALL: &str = "zhishen-all";

#[derive(Parser)]
#[command(name = "zhishen", version)]
struct Front {
    #[command(subcommand)]
    cmd: FrontCmd,
}

/// The commands run here; their arguments are `zhishen-all`'s, from the same types.
#[derive(Subcommand)]
enum FrontCmd {
    Inspect(model::InspectArgs),
    BenchLoad(model::BenchLoadArgs),
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let here = matches!(
        args.get(1).and_then(|a| a.to_str()),
        Some("inspect" | "bench-load")
    );
    if !here {
        return hand_over(args);
    }
    model::init_tracing();
    let r = match Front::parse_from(args).cmd {
        FrontCmd::Inspect(a) => model::inspect(&a),
        FrontCmd::BenchLoad(a) => model::bench_load(&a),
    };
    r.unwrap_or_else(|e| {
        eprintln!("错误 error: {e:#}");
        ExitCode::from(if model::is_bad_ifc(&e) {
            model::EXIT_BAD_INPUT
        } else {
            1
        })
    })
}

/// Replaces this process with `zhishen-all` and the same arguments; returns only
/// when that cannot be done.
fn hand_over(args: Vec<OsString>) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let all = match std::env::current_exe() {
        Ok(p) => p.with_file_name(ALL),
        Err(e) => {
            eprintln!("错误 error: cannot find this program's own path to start {ALL}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut cmd = std::process::Command::new(&all);
    if let Some(arg0) = args.first() {
        cmd.arg0(arg0);
    }
    let e = cmd.args(args.iter().skip(1)).exec();
    eprintln!(
        "错误 error: cannot start {} ({e}); zhishen and {ALL} are installed side by side",
        all.display()
    );
    ExitCode::from(1)
}
