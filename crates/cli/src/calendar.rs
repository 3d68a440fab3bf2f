//! `zhishen calendar …`: working-day arithmetic on the statutory calendar
//! (holidays and 调休 make-up days). The 2025/2026 national calendars are
//! embedded, so the binary works anywhere; `--calendar FILE` replaces them.

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_workflow::{parse_iso_date, Calendar, WorkflowError};

const EMBEDDED: [&str; 2] = [
    include_str!("../../../assets/calendar/2025.toml"),
    include_str!("../../../assets/calendar/2026.toml"),
];

/// Exit code for bad input (the message says what and where).
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Args)]
pub struct Source {
    /// Calendar TOML file(s) to use instead of the embedded national ones (repeatable).
    #[arg(long = "calendar", value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
pub enum CalendarCmd {
    /// Date of the N-th working day after DATE (the day after DATE is day 1).
    AddWorkingDays {
        /// Start date, YYYY-MM-DD
        date: String,
        /// Working days to add
        n: u32,
        #[command(flatten)]
        src: Source,
    },
    /// Print `true` when DATE is a working day, else `false`.
    IsWorkingDay {
        /// Date, YYYY-MM-DD
        date: String,
        #[command(flatten)]
        src: Source,
    },
    /// Working days in (FROM, TO] (negative when TO is before FROM).
    Between {
        from: String,
        to: String,
        #[command(flatten)]
        src: Source,
    },
}

/// A user-facing failure: message printed, exit code 2.
struct BadInput(String);

fn load(src: &Source) -> Result<Calendar, BadInput> {
    if src.files.is_empty() {
        return Calendar::from_tomls(&EMBEDDED)
            .map_err(|e| BadInput(format!("内置工作日历无效 embedded calendar invalid: {e}")));
    }
    let mut texts = Vec::new();
    for f in &src.files {
        let t = std::fs::read_to_string(f).map_err(|e| {
            BadInput(format!(
                "无法读取工作日历 cannot read calendar file {}: {e}",
                f.display()
            ))
        })?;
        texts.push(t);
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let files = src
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Calendar::from_tomls(&refs).map_err(|e| BadInput(format!("{files}: {e}")))
}

fn date_arg(name: &str, s: &str) -> Result<zhishen_workflow::chrono::NaiveDate, BadInput> {
    parse_iso_date(s).ok_or_else(|| {
        BadInput(format!(
            "参数 {name} 不是有效日期 argument {name}: '{s}' is not a valid date YYYY-MM-DD"
        ))
    })
}

fn cal_err(e: WorkflowError) -> BadInput {
    // The calendar error already names the uncovered year and the covered ones.
    BadInput(e.to_string())
}

fn exec(cmd: &CalendarCmd) -> Result<String, BadInput> {
    match cmd {
        CalendarCmd::AddWorkingDays { date, n, src } => {
            let d = date_arg("DATE", date)?;
            let cal = load(src)?;
            Ok(cal.add_working_days(d, *n).map_err(cal_err)?.to_string())
        }
        CalendarCmd::IsWorkingDay { date, src } => {
            let d = date_arg("DATE", date)?;
            let cal = load(src)?;
            Ok(cal.is_working_day(d).map_err(cal_err)?.to_string())
        }
        CalendarCmd::Between { from, to, src } => {
            let a = date_arg("FROM", from)?;
            let b = date_arg("TO", to)?;
            let cal = load(src)?;
            Ok(cal.working_days_between(a, b).map_err(cal_err)?.to_string())
        }
    }
}

pub fn run(cmd: CalendarCmd) -> Result<ExitCode> {
    match exec(&cmd) {
        Ok(out) => {
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(BadInput(msg)) => {
            eprintln!("错误 error: {msg}");
            Ok(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}
