//! A site package as one content-addressed blob: the package directory packed into a
//! zip, stored in the blob store, and unpacked into a fresh directory for each review.
//! A review job records the package's hash, never a path: a server has no such path,
//! and the hash says exactly which data the verdict was computed from.
//!
//! Unpacking is hostile-input code (uploads arrive here): entry names must be relative
//! and stay inside the target, and the entry count and unpacked size are bounded so a
//! zip bomb stops early. The same walk ([`walk`]) verifies an uploaded zip before it is
//! stored (`upload.rs`), so an archive that passed the upload also unpacks.

use crate::AppError;
use std::io::{Read, Seek, Write};
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

/// Bounds for any zip archive read here: entries, unpacked bytes and, for uploads, real
/// unpacked bytes per packed byte. Declared sizes are checked before anything is read,
/// real bytes while reading (a central directory can lie).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZipBounds {
    pub max_entries: usize,
    pub max_total_bytes: u64,
    /// Unpacked bytes per packed byte (the entries' compressed sizes); `None`: unbounded.
    pub max_ratio: Option<u64>,
}

impl From<UnpackLimits> for ZipBounds {
    fn from(l: UnpackLimits) -> ZipBounds {
        ZipBounds {
            max_entries: l.max_entries,
            max_total_bytes: l.max_total_bytes,
            max_ratio: None,
        }
    }
}

/// The rule for an entry name: a relative `/`-separated path that stays inside the
/// target — no root, no `..`, no backslash (a separator on Windows), no drive letter, no
/// NUL. `Err` says why, for the message.
pub(crate) fn entry_path(name: &str) -> Result<PathBuf, &'static str> {
    let b = name.as_bytes();
    if b.contains(&b'\\') {
        return Err("contains a backslash");
    }
    if b.contains(&0) {
        return Err("contains a NUL byte");
    }
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("starts with a drive letter");
    }
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
            Component::ParentDir => return Err("has a `..` component"),
            Component::RootDir | Component::Prefix(_) => return Err("is an absolute path"),
        }
    }
    if out.as_os_str().is_empty() {
        Err("is empty")
    } else {
        Ok(out)
    }
}

/// One entry of an archive being walked: its checked relative path and, for a file, a
/// reader of its unpacked bytes that stops where the bounds are exceeded.
pub(crate) enum Entry<'a> {
    Dir(&'a Path),
    File(&'a Path, &'a mut dyn Read),
}

/// What the central directory says, checked before any entry is unpacked.
struct Plan {
    /// (name as written, checked relative path), in archive order.
    entries: Vec<(String, PathBuf)>,
    /// The entries' compressed bytes, at most the archive's own length.
    packed: u64,
    /// The most real unpacked bytes allowed in total.
    cap: u64,
}

fn plan<R: Read + Seek>(
    z: &zip::ZipArchive<R>,
    archive_len: u64,
    bounds: ZipBounds,
    what: &str,
) -> Result<Plan, AppError> {
    let bad = |m: String| AppError::BadInput(format!("{what}: {m}"));
    if z.len() > bounds.max_entries {
        return Err(bad(format!(
            "{} entries, more than the limit of {}",
            z.len(),
            bounds.max_entries
        )));
    }
    if z.has_duplicate_names() {
        return Err(bad("the same entry name appears twice".into()));
    }
    let mut entries = Vec::with_capacity(z.len());
    let (mut declared, mut packed) = (0u128, 0u64);
    for i in 0..z.len() {
        let e = z.by_index_data(i).map_err(|e| bad(e.to_string()))?;
        let name = e.name().map_err(|e| bad(e.to_string()))?.into_owned();
        let rel = entry_path(&name)
            .map_err(|why| bad(format!("entry {name:?} {why}: it would leave the archive")))?;
        declared += u128::from(e.size());
        packed = packed.saturating_add(e.compressed_size());
        entries.push((name, rel));
    }
    if declared > u128::from(bounds.max_total_bytes) {
        return Err(AppError::TooLarge(format!(
            "{what}: entries declare {declared} unpacked bytes, more than the limit of {}",
            bounds.max_total_bytes
        )));
    }
    let packed = packed.min(archive_len);
    let cap = match bounds.max_ratio {
        Some(r) => bounds.max_total_bytes.min(r.saturating_mul(packed.max(1))),
        None => bounds.max_total_bytes,
    };
    Ok(Plan {
        entries,
        packed,
        cap,
    })
}

/// A reader of one entry that yields at most `left` bytes and notices one more (`over`);
/// a failure of the archive itself is kept apart (`failed`) from the consumer's own.
struct Capped<'r> {
    inner: &'r mut dyn Read,
    left: u64,
    read: u64,
    over: bool,
    failed: Option<String>,
}

impl Capped<'_> {
    fn fail(&mut self, e: std::io::Error) -> std::io::Result<usize> {
        self.failed = Some(e.to_string());
        Err(e)
    }
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe) {
                Ok(0) => Ok(0),
                Ok(_) => {
                    self.over = true;
                    Err(std::io::Error::other("unpacked-size bound exceeded"))
                }
                Err(e) => self.fail(e),
            };
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..n]) {
            Ok(k) => {
                self.left -= k as u64;
                self.read += k as u64;
                Ok(k)
            }
            Err(e) => self.fail(e),
        }
    }
}

/// Walks every entry of a zip archive under the one set of rules (names, entry count,
/// declared and real unpacked size, ratio), handing each to `each`. Declared sizes are
/// not trusted: every file entry is read to its end whatever `each` does with it, and
/// the walk stops as soon as the real bytes pass the bounds — [`AppError::TooLarge`]
/// over the size limit, [`AppError::BadInput`] naming a zip bomb over the ratio. A
/// truncated or corrupt archive is `BadInput` naming the entry.
pub(crate) fn walk<R: Read + Seek>(
    mut reader: R,
    bounds: ZipBounds,
    what: &str,
    mut each: impl FnMut(Entry<'_>) -> Result<(), AppError>,
) -> Result<u64, AppError> {
    let bad = |m: String| AppError::BadInput(format!("{what}: {m}"));
    let archive_len = reader
        .seek(std::io::SeekFrom::End(0))
        .and_then(|n| reader.rewind().map(|()| n))
        .map_err(|e| AppError::Internal(format!("{what}: {e}")))?;
    let mut z = zip::ZipArchive::new(reader)
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    let plan = plan(&z, archive_len, bounds, what)?;
    let mut total: u64 = 0;
    for (i, (name, rel)) in plan.entries.iter().enumerate() {
        let mut f = z
            .by_index(i)
            .map_err(|e| bad(format!("entry {name:?}: {e}")))?;
        if f.is_dir() {
            each(Entry::Dir(rel))?;
            continue;
        }
        let mut r = Capped {
            inner: &mut f,
            left: plan.cap - total,
            read: 0,
            over: false,
            failed: None,
        };
        let done = each(Entry::File(rel, &mut r))
            .and_then(|()| drain(&mut r).map_err(|e| AppError::Internal(e.to_string())));
        total += r.read;
        if r.over {
            return Err(over_bound(&plan, bounds, what));
        }
        if let Some(e) = r.failed {
            return Err(bad(format!("entry {name:?}: {e}")));
        }
        done?;
    }
    Ok(total)
}

fn drain(r: &mut dyn Read) -> std::io::Result<u64> {
    std::io::copy(r, &mut std::io::sink())
}

/// The error for real bytes past `plan.cap`: the size limit, or the ratio when that was
/// the tighter bound.
fn over_bound(plan: &Plan, bounds: ZipBounds, what: &str) -> AppError {
    match bounds.max_ratio {
        Some(r) if plan.cap < bounds.max_total_bytes => AppError::BadInput(format!(
            "{what}: zip bomb: unpacks to more than {r} times its {} packed bytes",
            plan.packed
        )),
        _ => AppError::TooLarge(format!(
            "{what}: unpacks to more than {} bytes",
            bounds.max_total_bytes
        )),
    }
}

/// Unpacks a packed site package into `into` (an empty directory).
pub fn unpack(bytes: &[u8], into: &Path, limits: UnpackLimits) -> Result<(), AppError> {
    let io = |e: std::io::Error| AppError::Internal(format!("unpacking the site package: {e}"));
    let cursor = std::io::Cursor::new(bytes);
    walk(cursor, limits.into(), "site package archive", |entry| {
        match entry {
            Entry::Dir(rel) => std::fs::create_dir_all(into.join(rel)).map_err(io)?,
            Entry::File(rel, r) => {
                let target = into.join(rel);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                let mut out = std::fs::File::create(&target).map_err(io)?;
                std::io::copy(r, &mut out).map_err(io)?;
            }
        }
        Ok(())
    })?;
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
        for name in [
            "../evil.geojson",
            "/etc/passwd",
            "a/../../b",
            "a\\b",
            "C:/x",
        ] {
            let z = zip_of(&[(name, b"x".to_vec())]);
            let e = unpack(&z, out.path(), UnpackLimits::default()).unwrap_err();
            assert!(
                e.to_string().contains("would leave the archive"),
                "{name}: {e}"
            );
            assert!(
                e.to_string().contains(&format!("{name:?}")),
                "names the entry: {e}"
            );
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

    #[test]
    fn real_bytes_past_the_bound_are_noticed_whatever_was_declared() {
        // What the walk relies on when a central directory understates a size.
        let mut data = std::io::repeat(7).take(100);
        let mut r = Capped {
            inner: &mut data,
            left: 60,
            read: 0,
            over: false,
            failed: None,
        };
        let mut out = Vec::new();
        assert!(std::io::copy(&mut r, &mut out).is_err());
        assert_eq!((out.len(), r.read, r.over, r.failed), (60, 60, true, None));
        // Exactly at the bound is not over it.
        let mut data = std::io::repeat(7).take(60);
        let mut r = Capped {
            inner: &mut data,
            left: 60,
            read: 0,
            over: false,
            failed: None,
        };
        assert_eq!(std::io::copy(&mut r, &mut std::io::sink()).unwrap(), 60);
        assert!(!r.over);
        // Which bound was tighter decides the error.
        let plan = |cap| Plan {
            entries: Vec::new(),
            packed: 1000,
            cap,
        };
        let bounds = ZipBounds {
            max_entries: 10,
            max_total_bytes: 1 << 20,
            max_ratio: Some(200),
        };
        let e = over_bound(&plan(200_000), bounds, "x");
        assert!(
            matches!(e, AppError::BadInput(ref m) if m.contains("zip bomb")),
            "{e}"
        );
        let e = over_bound(&plan(1 << 20), bounds, "x");
        assert!(matches!(e, AppError::TooLarge(_)), "{e}");
    }
}
