//! `zhishen check`: review one building on one parcel (`zhishen_app::review::check`) and
//! write the report as JSON, HTML or BCF. Exit 0 when every check passes (or does not apply), 1 when one fails or cannot
//! be verified, 2 for bad input.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_app::review::CheckRequest;
use zhishen_app::AppError;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Json,
    Html,
    Bcf,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The IFC model.
    #[arg(long)]
    pub model: PathBuf,
    /// The site package directory.
    #[arg(long)]
    pub site: PathBuf,
    /// Parcel id (地块编号).
    #[arg(long)]
    pub parcel: String,
    /// Rule profile TOML (city or national level; repeatable). Default: the shipped national
    /// defaults and demo city profile. `national` = the shipped national defaults only.
    #[arg(long)]
    pub profile: Vec<String>,
    /// Explicit placement E,N,rotation_deg[,elevation] in the site CRS.
    #[arg(long)]
    pub place: Option<String>,
    /// Declared building use(s), e.g. 住宅 or 住宅:0.9,商业:0.1.
    #[arg(long = "use")]
    pub declared_use: Option<String>,
    /// 申报指标 to compare with the model's, e.g.
    /// gfa=12000,far_area=11500,height=45,storeys_above=15,storeys_below=2,footprint=1500,use=住宅
    #[arg(long)]
    pub declared: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Output file (default: standard output; required for bcf).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read site.toml paths that are absolute or leave the package (refused by default).
    #[arg(long)]
    pub allow_outside_paths: bool,
    /// The site CRS (projected, metres), e.g. EPSG:4547; over site.toml's and any choice.
    #[arg(long)]
    pub site_crs: Option<String>,
    /// HTML and BCF: leave out the twin's snapshots (plan and one per finding), which
    /// are otherwise rendered headless and embedded.
    #[arg(long)]
    pub no_snapshots: bool,
}

/// The review, and for HTML and BCF the twin's snapshots (a twin that cannot be built
/// or drawn is named on stderr and the report is written without pictures).
fn review(
    req: &CheckRequest,
    a: &CheckArgs,
) -> Result<(zhishen_rules::Report, Option<zhishen_rules::Pictures>)> {
    let bar = crate::model::progress::LoadBar::for_file(&req.model);
    let sink = |p| bar.report(p);
    let load = bar.options(&sink);
    if matches!(a.format, Format::Json) || a.no_snapshots {
        return Ok((zhishen_app::review::check_with(req, &load)?, None));
    }
    let t = zhishen_app::twin::twin_for_check_with(req, &load)?;
    let pictures = match zhishen_app::snapshot::scene(&t.glb) {
        Ok(scene) => Some(zhishen_app::snapshot::report_pictures(
            &scene,
            zhishen_app::snapshot::SIZE,
        )),
        Err(e) => {
            eprintln!("注意 warning: 快照不可用 no snapshots: {e}");
            None
        }
    };
    Ok((t.report, pictures))
}

pub fn run(a: CheckArgs) -> Result<ExitCode> {
    if matches!(a.format, Format::Bcf) && a.out.is_none() {
        return Err(AppError::BadInput(
            "--format bcf writes a zip archive: give --out FILE.bcf".into(),
        )
        .into());
    }
    let req = CheckRequest {
        model: a.model.clone(),
        site: a.site.clone(),
        parcel: a.parcel.clone(),
        profiles: a.profile.clone(),
        place: a.place.clone(),
        declared_use: a.declared_use.clone(),
        declared: zhishen_app::review::parse_declared(a.declared.as_deref())?,
        allow_outside_paths: a.allow_outside_paths,
        site_crs: a.site_crs.clone(),
    };
    let (report, pictures) = review(&req, &a)?;
    let pictures = pictures.as_ref();
    let bytes: Vec<u8> = match a.format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(&report)?;
            v.push(b'\n');
            v
        }
        Format::Html => {
            let opts = zhishen_rules::html::HtmlOptions {
                pictures,
                ..Default::default()
            };
            zhishen_rules::html::to_html_with(&report, &opts).into_bytes()
        }
        Format::Bcf => {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let opts = zhishen_rules::bcf::BcfOptions {
                pictures,
                ..Default::default()
            };
            zhishen_rules::bcf::to_bcf_with(&report, &now, "zhishen", &opts)?
        }
    };
    match &a.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    let s = &report.summary;
    eprintln!(
        "{} {}: 通过 pass {} · 不通过 fail {} · 无法核验 unverifiable {} · 不适用 n/a {}",
        report.parcel.id,
        a.model.display(),
        s.pass,
        s.fail,
        s.unverifiable,
        s.not_applicable
    );
    for c in report.checks.iter().filter(|c| {
        matches!(
            c.status,
            zhishen_rules::Status::Fail | zhishen_rules::Status::Unverifiable
        )
    }) {
        eprintln!("  {} [{}] {}", c.id, c.status.label().zh, c.explanation.zh);
    }
    Ok(ExitCode::from(report.exit_code()))
}
