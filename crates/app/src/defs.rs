//! Publishing workflow definitions (catalogue, process, calendar) from a directory of
//! TOML files, the way `make demo`, `zhishen case publish` and the admin pages do.

use crate::AppError;
use std::path::{Path, PathBuf};
use zhishen_store::{DefsRef, Store};

/// Reads the TOML files of one kind (`catalogue`, `process`, `calendar`), sorted by name.
fn read_kind(dir: &Path, kind: &str) -> Result<Vec<(PathBuf, String)>, AppError> {
    let sub = dir.join(kind);
    let rd = std::fs::read_dir(&sub)
        .map_err(|e| AppError::BadInput(format!("definition directory {}: {e}", sub.display())))?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p)
                .map_err(|e| AppError::BadInput(format!("{}: {e}", p.display())))?;
            Ok((p, t))
        })
        .collect()
}

/// Publishes every process in `dir` with the catalogue it names and all calendars.
pub async fn publish_dir(store: &Store, dir: &Path) -> Result<Vec<DefsRef>, AppError> {
    let catalogues = read_kind(dir, "catalogue")?;
    let processes = read_kind(dir, "process")?;
    let calendars = read_kind(dir, "calendar")?;
    if processes.is_empty() || calendars.is_empty() {
        return Err(AppError::BadInput(format!(
            "definition directory {}: needs process/*.toml and calendar/*.toml",
            dir.display()
        )));
    }
    let cal: Vec<&str> = calendars.iter().map(|(_, t)| t.as_str()).collect();
    let mut out = Vec::new();
    for (ppath, ptext) in &processes {
        let p = zhishen_workflow::ProcessDef::from_toml(ptext)
            .map_err(|e| AppError::BadInput(format!("{}: {e}", ppath.display())))?;
        let found = catalogues.iter().find_map(|(_, ctext)| {
            zhishen_workflow::Catalogue::from_toml(ctext)
                .ok()
                .filter(|c| c.id == p.catalogue_id && c.version == p.catalogue_version)
                .map(|_| ctext)
        });
        let ctext = found.ok_or_else(|| {
            AppError::BadInput(format!(
                "{}: catalogue {} {} not found in {}",
                ppath.display(),
                p.catalogue_id,
                p.catalogue_version,
                dir.join("catalogue").display()
            ))
        })?;
        store_ids_files(store, dir, ctext).await?;
        out.push(store.publish_definitions(ctext, ptext, &cal).await?);
    }
    Ok(out)
}

/// Stores the IDS files the catalogue's items name (`ids/<file>` of the directory) as
/// blobs, each checked against the SHA-256 the catalogue pins it by; a missing or
/// changed file refuses the publication.
async fn store_ids_files(store: &Store, dir: &Path, catalogue: &str) -> Result<(), AppError> {
    let c = zhishen_workflow::Catalogue::from_toml(catalogue)
        .map_err(|e| AppError::BadInput(format!("catalogue: {e}")))?;
    for (item, gate) in c
        .items
        .iter()
        .filter_map(|i| i.ids.as_ref().map(|g| (i, g)))
    {
        let path = dir.join("ids").join(&gate.file);
        let bytes = std::fs::read(&path).map_err(|e| {
            AppError::BadInput(format!("item {}: IDS {}: {e}", item.code, path.display()))
        })?;
        let sha = crate::Sha256::of(&bytes);
        if sha.as_str() != gate.sha256 {
            return Err(AppError::BadInput(format!(
                "item {}: IDS {} has SHA-256 {sha}, the catalogue pins {}",
                item.code,
                path.display(),
                gate.sha256
            )));
        }
        store.put_blob(&bytes, "application/xml").await?;
    }
    Ok(())
}
