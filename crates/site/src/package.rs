//! The files of a site package before GDAL reads them: whether a path stays inside the
//! package, how many bytes a source occupies, what a Shapefile's own headers declare
//! (records, sizes; so a truncated file is caught even where GDAL reads on and returns
//! fewer features) and, when GDAL cannot open a file, a reason a planner can act on.

use std::path::{Component, Path, PathBuf};

/// Resolves a `site.toml` path against the package directory. `Err` says why it leaves
/// the package: absolute, or outside it after `..` and symlinks are resolved.
pub(crate) fn resolve_inside(dir: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() || p.has_root() || p.components().any(|c| matches!(c, Component::Prefix(_)))
    {
        return Err(format!(
            "路径为绝对路径 absolute path '{rel}'; paths in site.toml are relative to the package"
        ));
    }
    let joined = dir.join(p);
    check_inside(dir, &joined).map(|()| joined)
}

/// `Err` when `path` (existing or not) lies outside `dir` once resolved.
pub(crate) fn check_inside(dir: &Path, path: &Path) -> Result<(), String> {
    let root = dir.canonicalize().unwrap_or_else(|_| lexical(dir));
    let real = match path.canonicalize() {
        Ok(r) => r,
        // Not there (yet): judge the words; opening it will report it missing.
        Err(_) => lexical(&root.join(path.strip_prefix(dir).unwrap_or(path))),
    };
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "路径超出场地数据包 path leaves the package: {} resolves to {}, outside {}",
            path.display(),
            real.display(),
            root.display()
        ))
    }
}

/// `..` and `.` removed without touching the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A file of the source beside the main one, e.g. `roads.dbf` for `roads.shp`;
/// the upper-case extension when only that exists.
pub(crate) fn sidecar(main: &Path, ext: &str) -> PathBuf {
    let lower = main.with_extension(ext);
    let upper = main.with_extension(ext.to_ascii_uppercase());
    if !lower.exists() && upper.exists() {
        upper
    } else {
        lower
    }
}

/// The files a source reads: a Shapefile's sidecars, every file of a FileGDB directory.
pub(crate) fn files_of(main: &Path) -> Vec<PathBuf> {
    if main.is_dir() {
        return std::fs::read_dir(main)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
    }
    let mut out = vec![main.to_path_buf()];
    if is_ext(main, "shp") {
        out.extend(
            ["shx", "dbf", "prj", "cpg"]
                .iter()
                .map(|e| sidecar(main, e)),
        );
    }
    out.retain(|p| p.exists());
    out
}

/// Sum of the sizes of `files`.
pub(crate) fn bytes_of(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

pub(crate) fn is_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A record count a file declares in its header.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    pub file: PathBuf,
    pub records: u64,
    /// Where the count comes from, e.g. "DBF header".
    pub how: &'static str,
}

/// A file that is shorter than its header says, or has no complete header.
#[derive(Debug, Clone)]
pub(crate) struct Truncated {
    pub file: PathBuf,
    pub message: String,
}

/// What a Shapefile's .shp, .shx and .dbf headers declare, and which of them are cut short.
pub(crate) fn shapefile(shp: &Path) -> (Vec<Declared>, Vec<Truncated>) {
    let mut declared = Vec::new();
    let mut cut = Vec::new();
    let shx = sidecar(shp, "shx");
    for (file, is_index) in [(shp.to_path_buf(), false), (shx, true)] {
        match esri_header(&file) {
            Ok(Some(len)) if is_index => declared.push(Declared {
                records: len.saturating_sub(100) / 8,
                file,
                how: "SHX index (header length)",
            }),
            Ok(_) => {}
            Err(m) => cut.push(Truncated { file, message: m }),
        }
    }
    let dbf = sidecar(shp, "dbf");
    match dbf_header(&dbf) {
        Ok(Some(n)) => declared.push(Declared {
            file: dbf,
            records: n,
            how: "DBF header",
        }),
        Ok(None) => {}
        Err(m) => cut.push(Truncated {
            file: dbf,
            message: m,
        }),
    }
    (declared, cut)
}

fn read_head(p: &Path, n: usize) -> std::io::Result<(Vec<u8>, u64)> {
    use std::io::Read;
    let f = std::fs::File::open(p)?;
    let size = f.metadata()?.len();
    let mut head = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut head)?;
    Ok((head, size))
}

/// The first `n` bytes of `p` and its size; `Ok(None)` when it cannot be read (absent),
/// `Err` when it is shorter than the `n`-byte header.
fn header(p: &Path, n: usize, what: &str) -> Result<Option<(Vec<u8>, u64)>, String> {
    let Ok((h, size)) = read_head(p, n) else {
        return Ok(None);
    };
    if h.len() < n {
        return Err(format!(
            "文件被截断 truncated: {size} bytes, shorter than the {n}-byte {what}header"
        ));
    }
    Ok(Some((h, size)))
}

/// The file length a .shp/.shx header declares (bytes); `Ok(None)` when the file is absent.
fn esri_header(p: &Path) -> Result<Option<u64>, String> {
    let Some((h, size)) = header(p, 100, "")? else {
        return Ok(None);
    };
    if h[0..4] != [0, 0, 0x27, 0x0a] {
        return Err(
            "不是 Shapefile 文件 not a Shapefile: the header does not start with 9994".into(),
        );
    }
    let words = u32::from_be_bytes([h[24], h[25], h[26], h[27]]);
    let len = u64::from(words) * 2;
    if size < len {
        return Err(format!(
            "文件被截断 truncated: the header declares {len} bytes, the file has {size}"
        ));
    }
    Ok(Some(len))
}

/// The record count of a DBF header; `Ok(None)` when the file is absent.
fn dbf_header(p: &Path) -> Result<Option<u64>, String> {
    let Some((h, size)) = header(p, 32, "DBF ")? else {
        return Ok(None);
    };
    let records = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
    let header = u64::from(u16::from_le_bytes([h[8], h[9]]));
    let record = u64::from(u16::from_le_bytes([h[10], h[11]]));
    // The 0x1A end-of-file marker after the last record is optional.
    let need = header + records * record;
    if size < need {
        return Err(format!(
            "文件被截断 truncated: the header declares {records} records of {record} bytes after a {header}-byte header ({need} bytes), the file has {size}"
        ));
    }
    Ok(Some(records))
}

/// What must hold before GDAL may open `path`: a regular file or a directory (a FIFO or
/// device would block GDAL's read or never end), and for a DXF [`dxf_precheck`].
pub(crate) fn precheck(path: &Path) -> Result<(), String> {
    let kind = std::fs::metadata(path).map(|m| m.file_type());
    if kind.as_ref().is_ok_and(|t| !t.is_file() && !t.is_dir()) {
        return Err("不是普通文件 not a regular file".into());
    }
    if is_ext(path, "dxf") {
        dxf_precheck(path)?;
    }
    Ok(())
}

/// An ASCII DXF is text: a NUL byte in it is damage, and GDAL 3.6's DXF reader loops
/// forever on some (fuzzing found a 221-byte file with `\r` and NULs in a section name).
/// Such a file is refused before GDAL sees it. A binary DXF (its own sentinel) is left to GDAL.
fn dxf_precheck(path: &Path) -> Result<(), String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Ok(());
    }
    match bytes.iter().position(|&b| b == 0) {
        Some(i) => Err(format!(
            "DXF 已损坏 damaged DXF: a NUL byte at offset {i} in a text DXF"
        )),
        None => Ok(()),
    }
}

/// Why GDAL could not open `path`, for a finding: the format's own signature first,
/// then GDAL's message.
pub(crate) fn why_unreadable(path: &Path, gdal: &str) -> String {
    let (head, size) = read_head(path, 64).unwrap_or_default();
    let gdal = gdal.trim();
    if path.is_file() && size == 0 {
        return "文件为空 empty file".into();
    }
    if is_ext(path, "gpkg") {
        if !head.starts_with(b"SQLite format 3\0") {
            return "不是 GeoPackage 文件 not a GeoPackage: the file does not start with the SQLite header".into();
        }
        return format!("GeoPackage 已损坏 corrupt GeoPackage: {gdal}");
    }
    if is_ext(path, "geojson") || is_ext(path, "json") {
        if let Ok(bytes) = std::fs::read(path) {
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                let what = if e.is_eof() {
                    "JSON 被截断 truncated JSON"
                } else {
                    "JSON 无效 invalid JSON"
                };
                return format!("{what}: {e}");
            }
        }
        return format!("不是有效的 GeoJSON not valid GeoJSON: {gdal}");
    }
    if is_ext(path, "dxf") {
        return format!("不是 DXF 文件或已损坏 not a DXF file, or a damaged one: {gdal}");
    }
    if is_ext(path, "shp") {
        let (_, cut) = shapefile(path);
        if let Some(c) = cut.first() {
            return format!("{}: {}", c.file.display(), c.message);
        }
    }
    if !path.exists() {
        return "文件不存在 file not found".into();
    }
    format!("GDAL 无法读取 GDAL cannot read it: {gdal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_leaving_the_package_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let pkg = d.path().join("pkg");
        std::fs::create_dir_all(pkg.join("sub")).unwrap();
        std::fs::write(pkg.join("sub/a.geojson"), "{}").unwrap();
        std::fs::write(d.path().join("outside.geojson"), "{}").unwrap();
        assert!(resolve_inside(&pkg, "sub/a.geojson").is_ok());
        assert!(resolve_inside(&pkg, "sub/../sub/a.geojson").is_ok());
        assert!(resolve_inside(&pkg, "missing/../b.geojson").is_ok());
        assert!(resolve_inside(&pkg, "../outside.geojson").is_err());
        assert!(resolve_inside(&pkg, "sub/../../outside.geojson").is_err());
        assert!(resolve_inside(&pkg, "../../other-project/blue_line.geojson").is_err());
        let abs = d.path().join("outside.geojson");
        let e = resolve_inside(&pkg, abs.to_str().unwrap()).unwrap_err();
        assert!(e.contains("absolute"), "{e}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.path().join("outside.geojson"), pkg.join("link.geojson"))
                .unwrap();
            let e = resolve_inside(&pkg, "link.geojson").unwrap_err();
            assert!(e.contains("outside"), "{e}");
        }
    }

    #[test]
    fn dbf_and_shx_headers_give_record_counts_and_catch_cuts() {
        let d = tempfile::tempdir().unwrap();
        let shp = d.path().join("r.shp");
        // A .shp header declaring 100 bytes (50 words): complete.
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&[0, 0, 0x27, 0x0a]);
        h[24..28].copy_from_slice(&50u32.to_be_bytes());
        std::fs::write(&shp, &h).unwrap();
        // A .shx for 3 records: 100 + 3 x 8 = 124 bytes = 62 words.
        let mut x = h.clone();
        x[24..28].copy_from_slice(&62u32.to_be_bytes());
        x.extend([0u8; 24]);
        std::fs::write(sidecar(&shp, "shx"), &x).unwrap();
        // A .dbf: 3 records of 10 bytes after a 33-byte header = 63 bytes.
        let mut b = vec![0u8; 33];
        b[0] = 3;
        b[4..8].copy_from_slice(&3u32.to_le_bytes());
        b[8..10].copy_from_slice(&33u16.to_le_bytes());
        b[10..12].copy_from_slice(&10u16.to_le_bytes());
        b.extend([b' '; 30]);
        std::fs::write(sidecar(&shp, "dbf"), &b).unwrap();
        let (dec, cut) = shapefile(&shp);
        assert!(cut.is_empty(), "{cut:?}");
        let counts: Vec<(u64, &str)> = dec.iter().map(|d| (d.records, d.how)).collect();
        assert_eq!(
            counts,
            vec![(3, "SHX index (header length)"), (3, "DBF header")]
        );
        // Cut the .dbf by one byte and the .shx by 8: both named.
        std::fs::write(sidecar(&shp, "dbf"), &b[..62]).unwrap();
        std::fs::write(sidecar(&shp, "shx"), &x[..116]).unwrap();
        let (dec, cut) = shapefile(&shp);
        assert!(dec.is_empty());
        let files: Vec<String> = cut.iter().map(|c| c.file.display().to_string()).collect();
        assert!(
            files[0].ends_with("r.shx") && files[1].ends_with("r.dbf"),
            "{files:?}"
        );
        assert!(cut[1].message.contains("63 bytes"), "{}", cut[1].message);
        assert!(cut[0].message.contains("124 bytes"), "{}", cut[0].message);
    }

    #[test]
    fn unreadable_files_get_a_reason() {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str, b: &[u8]| {
            let p = d.path().join(n);
            std::fs::write(&p, b).unwrap();
            p
        };
        let r = why_unreadable(&p("a.gpkg", b"not sqlite at all"), "x");
        assert!(r.contains("not a GeoPackage"), "{r}");
        let r = why_unreadable(&p("b.gpkg", b"SQLite format 3\0garbage"), "malformed");
        assert!(r.contains("corrupt GeoPackage: malformed"), "{r}");
        let r = why_unreadable(
            &p("c.geojson", b"{\"type\": \"FeatureCollection\", \"fe"),
            "x",
        );
        assert!(r.contains("truncated JSON"), "{r}");
        let r = why_unreadable(&p("d.geojson", b"{\"type\": ]"), "x");
        assert!(r.contains("invalid JSON"), "{r}");
        let r = why_unreadable(&p("e.dxf", b"hello"), "not recognised");
        assert!(r.contains("not a DXF"), "{r}");
        assert_eq!(why_unreadable(&p("f.fgb", b""), "x"), "文件为空 empty file");
    }
}
