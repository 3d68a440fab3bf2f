//! What a review is computed from and records: the rule profile stack, the site package
//! as read (refused unless read completely), and the content hashes of every input.

use crate::AppError;
use sha2::{Digest, Sha256};
use std::path::Path;
use zhishen_rules::report::{FileRef, Inputs, ProfileRef};
use zhishen_rules::{Profile, Profiles};

/// SHA-256 and size of a file, for a report's inputs. Streamed: a model is hashed
/// while it loads, and a second copy of it in memory would raise the review's peak.
pub fn sha256_file(p: &Path) -> Result<FileRef, AppError> {
    let failed = |e: std::io::Error| AppError::BadInput(format!("reading {}: {e}", p.display()));
    let mut file = std::fs::File::open(p).map_err(failed)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = match std::io::Read::read(&mut file, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(e)),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileRef {
        path: p.display().to_string(),
        sha256: hex::encode(hasher.finalize()),
        bytes,
    })
}

/// Site load options: default limits, outside paths only when the caller (the CLI,
/// never the server) asks for them.
pub fn site_options(allow_outside_paths: bool) -> zhishen_site::LoadOptions {
    zhishen_site::LoadOptions {
        allow_outside_paths,
        ..Default::default()
    }
}

/// A review never runs on a package that was not completely read: the findings that
/// say so, as one message naming each file.
pub fn refuse_incomplete(site: &zhishen_site::SiteModel) -> Result<(), AppError> {
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
    Err(AppError::BadInput(format!(
        "场地数据未完整读取, 不予审查 the site package was not read completely; no review:\n{}",
        blocking.join("\n")
    )))
}

/// Everything a report records about its inputs besides the model and the site files.
pub struct InputsCtx<'a> {
    pub profiles: &'a Profiles,
    pub parcel: &'a str,
    pub placement: Option<String>,
    pub declared_use: Option<String>,
    pub declared: Option<zhishen_rules::report::Declared>,
}

/// What a report records about its inputs: the model, every site file read (each
/// once, plus `site.toml`), the profile stack, parcel, placement, use.
pub fn review_inputs(
    model: FileRef,
    site: &zhishen_site::SiteModel,
    site_dir: &Path,
    ctx: InputsCtx,
) -> Result<Inputs, AppError> {
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
        profiles: ctx
            .profiles
            .stack
            .iter()
            .map(|p| ProfileRef {
                id: p.id.clone(),
                version: p.version.clone(),
                level: p.level.as_str().into(),
                sha256: p.sha256.clone(),
            })
            .collect(),
        parcel: ctx.parcel.to_string(),
        placement: ctx.placement,
        declared_use: ctx.declared_use,
        declared: ctx.declared.filter(|d| !d.is_empty()),
        site_crs_source: site.crs_choice.as_ref().map(|c| c.source.as_str().into()),
        site_crs_reason: site.crs_choice.as_ref().map(|c| c.reason.clone()),
        city_crs: site
            .layers
            .iter()
            .filter(|l| l.city_crs)
            .map(|l| format!("{}: {}", l.file, l.source_crs))
            .collect(),
        tool: "zhishen".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    })
}

fn hashed(name: &str, text: &str) -> Result<Profile, AppError> {
    let mut p = Profile::from_toml(name, text)?;
    p.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(p)
}

/// The profile stack: the shipped national defaults and demo city profile when `args`
/// is empty; otherwise the given files (`national` = the shipped national defaults).
pub fn profiles(args: &[String]) -> Result<Profiles, AppError> {
    let mut national = hashed(
        "assets/profiles/national.toml",
        zhishen_rules::profile::NATIONAL,
    )?;
    if args.is_empty() {
        let city = hashed(
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
        let text = std::fs::read_to_string(a)
            .map_err(|e| AppError::BadInput(format!("--profile {a}: {e}")))?;
        let p = hashed(a, &text)?;
        match p.level {
            zhishen_rules::profile::Level::National => national = p,
            zhishen_rules::profile::Level::City => {
                if city.is_some() {
                    return Err(AppError::BadInput(format!(
                        "--profile {a}: only one city profile may be given"
                    )));
                }
                city = Some(p);
            }
        }
    }
    Ok(Profiles::new(national, city))
}
