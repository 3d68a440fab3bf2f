//! `zhishen check`: review one building on one parcel and write the report as JSON, HTML
//! or BCF. Exit 0 when every check passes (or does not apply), 1 when one fails or cannot
//! be verified, 2 for bad input.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zhishen_rules::report::{FileRef, Inputs, ProfileRef};
use zhishen_rules::{Profile, Profiles, ReviewInput};

/// Bad input the message names; exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

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
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Output file (default: standard output; required for bcf).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read site.toml paths that are absolute or leave the package (refused by default).
    #[arg(long)]
    pub allow_outside_paths: bool,
}

/// Site load options from the command line: default limits, the path rule as asked.
pub(crate) fn site_options(allow_outside_paths: bool) -> zhishen_site::LoadOptions {
    zhishen_site::LoadOptions {
        allow_outside_paths,
        ..Default::default()
    }
}

/// A review never runs on a package that was not completely read: the findings that
/// say so, as one message naming each file (exit 2).
pub(crate) fn refuse_incomplete(site: &zhishen_site::SiteModel) -> Result<(), String> {
    let blocking: Vec<String> = site
        .blocking()
        .map(|f| {
            let place = [f.layer.clone(), f.fid.map(|x| format!("fid {x}"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            format!("  [{}] {} {place}: {}", f.code, f.file, f.message)
        })
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    Err(format!(
        "场地数据未完整读取, 不予审查 the site package was not read completely; no review:\n{}",
        blocking.join("\n")
    ))
}

pub fn sha256_file(p: &Path) -> Result<FileRef> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    Ok(FileRef {
        path: p.display().to_string(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
    })
}

/// What a report records about its inputs: the model, every site file read
/// (each once, plus `site.toml`), the profile stack, parcel, placement, use.
pub(crate) fn review_inputs(
    model: FileRef,
    site: &zhishen_site::SiteModel,
    site_dir: &Path,
    profiles: &Profiles,
    parcel: &str,
    placement: Option<String>,
    declared_use: Option<String>,
) -> Result<Inputs> {
    let mut site_files: Vec<FileRef> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for l in &site.layers {
        if seen.insert(l.file.clone()) {
            site_files.push(sha256_file(Path::new(&l.file))?);
        }
    }
    let toml = site_dir.join("site.toml");
    if toml.is_file() {
        site_files.push(sha256_file(&toml)?);
    }
    Ok(Inputs {
        model: Some(model),
        site: site_files,
        profiles: profiles
            .stack
            .iter()
            .map(|p| ProfileRef {
                id: p.id.clone(),
                version: p.version.clone(),
                level: p.level.as_str().into(),
                sha256: p.sha256.clone(),
            })
            .collect(),
        parcel: parcel.to_string(),
        placement,
        declared_use,
        tool: "zhishen".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    })
}

pub(crate) fn profiles(args: &[String]) -> Result<Profiles> {
    let builtin = |name: &str, text: &str| -> Result<Profile> {
        let mut p = Profile::from_toml(name, text)?;
        p.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        Ok(p)
    };
    let mut national = builtin(
        "assets/profiles/national.toml",
        zhishen_rules::profile::NATIONAL,
    )?;
    if args.is_empty() {
        let city = builtin(
            "assets/profiles/demo-city.toml",
            zhishen_rules::profile::DEMO_CITY,
        )?;
        return Ok(Profiles::new(national, Some(city)));
    }
    let mut city = None;
    for a in args {
        if a == "national" {
            continue;
        }
        let text =
            std::fs::read_to_string(a).map_err(|e| BadInput(format!("--profile {a}: {e}")))?;
        let mut p = Profile::from_toml(a, &text)?;
        p.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        match p.level {
            zhishen_rules::profile::Level::National => national = p,
            zhishen_rules::profile::Level::City => {
                if city.is_some() {
                    return Err(BadInput(format!(
                        "--profile {a}: only one city profile may be given"
                    ))
                    .into());
                }
                city = Some(p);
            }
        }
    }
    Ok(Profiles::new(national, city))
}

pub fn run(a: CheckArgs) -> Result<ExitCode> {
    if matches!(a.format, Format::Bcf) && a.out.is_none() {
        return Err(
            BadInput("--format bcf writes a zip archive: give --out FILE.bcf".into()).into(),
        );
    }
    let place = match &a.place {
        Some(s) => Some(
            s.parse::<zhishen_site::Placement>()
                .map_err(|e| BadInput(format!("--place: {e}")))?,
        ),
        None => None,
    };
    let profiles = profiles(&a.profile)?;
    let model = zhishen_ifc::load_path(&a.model)?;
    let site = zhishen_site::load_with(&a.site, &site_options(a.allow_outside_paths))?;
    refuse_incomplete(&site).map_err(BadInput)?;
    let placed = zhishen_site::place(&model, &site.crs, place).map_err(|e| e.to_string());
    let inputs = review_inputs(
        sha256_file(&a.model)?,
        &site,
        &a.site,
        &profiles,
        &a.parcel,
        a.place.clone(),
        a.declared_use.clone(),
    )?;
    let report = zhishen_rules::review(ReviewInput {
        model: &model,
        site: &site,
        parcel_id: &a.parcel,
        placed,
        declared_use: a.declared_use.as_deref(),
        profiles: &profiles,
        inputs,
    })?;
    let bytes: Vec<u8> = match a.format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(&report)?;
            v.push(b'\n');
            v
        }
        Format::Html => zhishen_rules::html::to_html(&report).into_bytes(),
        Format::Bcf => {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            zhishen_rules::bcf::to_bcf(&report, &now, "zhishen")?
        }
    };
    match &a.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    let s = &report.summary;
    eprintln!(
        "{} {}: 通过 pass {} · 不通过 fail {} · 无法核验 unverifiable {} · 不适用 n/a {}",
        report.parcel.id, model.file, s.pass, s.fail, s.unverifiable, s.not_applicable
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
