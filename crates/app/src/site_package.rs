//! A site package as one content-addressed blob: the package directory packed into a
//! zip, stored in the blob store, and unpacked into a fresh directory for each review.
//! A review job records the package's hash, never a path: a server has no such path,
//! and the hash says exactly which data the verdict was computed from.
//!
//! Unpacking is hostile-input code (uploads will arrive here): entry names must be
//! relative and stay inside the target, and the entry count and unpacked size are
//! bounded so a zip bomb stops early.

use crate::AppError;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Bounds for unpacking a site package.
#[derive(Debug, Clone, Copy)]
pub struct UnpackLimits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
}

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_entries: 10_000,
            max_total_bytes: 2 << 30,
        }
    }
}

/// The files of `dir` (recursively, hidden files and symlinks left out), as
/// `(relative path with '/', absolute path)`, sorted so the zip is deterministic.
fn files(dir: &Path) -> Result<Vec<(String, PathBuf)>, AppError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d)
            .map_err(|e| AppError::BadInput(format!("site package {}: {e}", d.display())))?;
        for e in rd {
            let e = e.map_err(|e| AppError::BadInput(format!("{}: {e}", d.display())))?;
            let name = e.file_name().to_string_lossy().to_string();
            let ft = e
                .file_type()
                .map_err(|x| AppError::Internal(x.to_string()))?;
            if name.starts_with('.') || ft.is_symlink() {
                continue;
            }
            let p = e.path();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let rel = p
                    .strip_prefix(dir)
                    .map_err(|x| AppError::Internal(x.to_string()))?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, p));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Packs the site package directory `dir` into zip bytes (same files, same bytes).
pub fn pack_dir(dir: &Path) -> Result<Vec<u8>, AppError> {
    if !dir.is_dir() {
        return Err(AppError::BadInput(format!(
            "{}: not a site package directory",
            dir.display()
        )));
    }
    let zerr = |e: zip::result::ZipError| AppError::Internal(format!("packing the site: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (rel, path) in files(dir)? {
        let bytes = std::fs::read(&path)
            .map_err(|e| AppError::BadInput(format!("{}: {e}", path.display())))?;
        zip.start_file(rel, opts).map_err(zerr)?;
        zip.write_all(&bytes)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

/// A relative path that stays inside the target: no root, no prefix, no `..`.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Unpacks a packed site package into `into` (an empty directory).
pub fn unpack(bytes: &[u8], into: &Path, limits: UnpackLimits) -> Result<(), AppError> {
    let bad = |m: String| AppError::BadInput(format!("site package archive: {m}"));
    let mut z =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if z.len() > limits.max_entries {
        return Err(bad(format!(
            "{} entries, more than the limit of {}",
            z.len(),
            limits.max_entries
        )));
    }
    let mut total: u64 = 0;
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = f.name().map_err(|e| bad(e.to_string()))?.to_string();
        let rel = safe_relative(&name)
            .ok_or_else(|| bad(format!("entry {name:?} leaves the package")))?;
        let target = into.join(&rel);
        if f.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| AppError::Internal(e.to_string()))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        // Read at most what is left of the budget, plus one byte to notice the excess:
        // the declared size of an entry is not trusted.
        let left = limits.max_total_bytes.saturating_sub(total);
        let mut buf = Vec::new();
        (&mut f)
            .take(left + 1)
            .read_to_end(&mut buf)
            .map_err(|e| bad(format!("entry {name:?}: {e}")))?;
        total += buf.len() as u64;
        if total > limits.max_total_bytes {
            return Err(bad(format!(
                "unpacks to more than {} bytes",
                limits.max_total_bytes
            )));
        }
        std::fs::write(&target, &buf).map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("parcel.geojson"), b"{\"a\":1}").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/road.dxf"), b"0\nEOF\n").unwrap();
        std::fs::write(d.path().join(".hidden"), b"x").unwrap();
        d
    }

    #[test]
    fn a_packed_package_unpacks_to_the_same_files_and_packs_deterministically() {
        let d = package();
        let a = pack_dir(d.path()).unwrap();
        assert_eq!(a, pack_dir(d.path()).unwrap(), "same files, same bytes");
        let out = tempfile::tempdir().unwrap();
        unpack(&a, out.path(), UnpackLimits::default()).unwrap();
        assert_eq!(
            std::fs::read(out.path().join("sub/road.dxf")).unwrap(),
            b"0\nEOF\n"
        );
        assert!(out.path().join("parcel.geojson").is_file());
        assert!(!out.path().join(".hidden").exists());
    }

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in entries {
            z.start_file(*n, o).unwrap();
            z.write_all(b).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn escaping_entries_and_bombs_are_refused() {
        let out = tempfile::tempdir().unwrap();
        for name in ["../evil.geojson", "/etc/passwd", "a/../../b"] {
            let z = zip_of(&[(name, b"x".to_vec())]);
            let e = unpack(&z, out.path(), UnpackLimits::default()).unwrap_err();
            assert!(e.to_string().contains("leaves the package"), "{name}: {e}");
        }
        // 10 MB of zeros compress to a few KB; the limit stops it at 1 MB.
        let z = zip_of(&[("big.geojson", vec![0u8; 10 << 20])]);
        assert!(z.len() < 100_000);
        let e = unpack(
            &z,
            out.path(),
            UnpackLimits {
                max_entries: 10,
                max_total_bytes: 1 << 20,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        assert!(unpack(b"not a zip", out.path(), UnpackLimits::default()).is_err());
    }
}
