//! Uploads 上传: request bodies arrive here chunk by chunk and become blobs only once
//! they are known to be what the caller said they are.
//!
//! Why a sink rather than bytes: models run to hundreds of megabytes, so a body is
//! streamed to a temp file beside the blob directory (same filesystem, so storing it is
//! a rename), SHA-256 hashed as it passes and cut off at `max_bytes` the moment it gets
//! there. Why sniffing: a file name or a `Content-Type` is whatever the client says; the
//! type is decided from the content (STEP header and trailer, zip, SQLite header with
//! the GeoPackage application id, PDF header and trailer), and a truncated IFC or PDF is
//! refused rather than stored. Zips are walked with the rules a review job unpacks by
//! (`site_package::walk`): names that escape, too many entries, declared or real
//! unpacked size, ratio (zip bomb). Nothing partial stays: a refused or abandoned upload
//! (the sink dropped) leaves no temp file, no blob file and no row.
//!
//! HTTP stays out: the server feeds [`UploadSink::write`] and maps [`AppError`].

use crate::site_package::{self, Entry, ZipBounds};
use crate::{AppError, Sha256};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use zhishen_store::Store;

/// What an upload is declared to be; the content must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadKind {
    /// An IFC-SPF model (ISO 10303-21).
    Ifc,
    /// An ifcZIP: a zip holding exactly one `.ifc` file.
    IfcZip,
    /// A site package (规划图层) packed as a zip.
    SitePackageZip,
    /// An OGC GeoPackage (SQLite).
    GeoPackage,
    /// A PDF document.
    Pdf,
}

impl UploadKind {
    /// The media type recorded with the blob.
    pub fn media_type(self) -> &'static str {
        match self {
            UploadKind::Ifc => "application/x-step",
            UploadKind::IfcZip | UploadKind::SitePackageZip => "application/zip",
            UploadKind::GeoPackage => "application/geopackage+sqlite3",
            UploadKind::Pdf => "application/pdf",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UploadKind::Ifc => "IFC 模型",
            UploadKind::IfcZip => "IFC 压缩模型",
            UploadKind::SitePackageZip => "场地数据包",
            UploadKind::GeoPackage => "GeoPackage 数据",
            UploadKind::Pdf => "PDF 文件",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UploadKind::Ifc => "IFC (ISO-10303-21)",
            UploadKind::IfcZip => "ifcZIP (a zip with one .ifc file)",
            UploadKind::SitePackageZip => "site package zip",
            UploadKind::GeoPackage => "GeoPackage",
            UploadKind::Pdf => "PDF",
        }
    }

    /// Both labels, for people: `IFC 模型 IFC (ISO-10303-21)`.
    pub fn label(self) -> String {
        format!("{} {}", self.label_zh(), self.label_en())
    }
}

/// Bounds of one upload. A body over `max_bytes` is [`AppError::TooLarge`]; the zip
/// bounds apply to `IfcZip` and `SitePackageZip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub max_zip_entries: usize,
    /// Real unpacked bytes of all entries together.
    pub max_zip_uncompressed: u64,
    /// Real unpacked bytes per compressed byte (deflate reaches about 1000 on zeros; real
    /// models and GIS layers stay far below 100).
    pub max_zip_ratio: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_bytes: 512 << 20,
            max_zip_entries: 10_000,
            max_zip_uncompressed: 2 << 30,
            max_zip_ratio: 200,
        }
    }
}

impl UploadLimits {
    fn zip_bounds(&self) -> ZipBounds {
        ZipBounds {
            max_entries: self.max_zip_entries,
            max_total_bytes: self.max_zip_uncompressed,
            max_ratio: Some(self.max_zip_ratio),
        }
    }
}

/// A verified upload, stored as a blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredUpload {
    pub sha256: Sha256,
    pub size: u64,
    pub kind: UploadKind,
    /// Pages of a PDF.
    pub pages: Option<u32>,
}

/// Bytes kept of each end of a stream for sniffing.
const END_BYTES: usize = 4096;

/// The first and last [`END_BYTES`] of a stream (they overlap when it is short).
#[derive(Debug, Default)]
struct Ends {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Ends {
    fn push(&mut self, chunk: &[u8]) {
        let room = END_BYTES - self.head.len();
        self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let last = &chunk[chunk.len().saturating_sub(END_BYTES)..];
        self.tail.extend_from_slice(last);
        let excess = self.tail.len().saturating_sub(END_BYTES);
        self.tail.drain(..excess);
    }
}

impl Write for Ends {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the content turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Empty,
    Ifc,
    /// STEP header without the `END-ISO-10303-21;` trailer.
    IfcTruncated,
    Zip,
    GeoPackage,
    /// SQLite without the GeoPackage application id.
    Sqlite,
    Pdf,
    /// `%PDF-` without `%%EOF` in the last KiB.
    PdfTruncated,
    Unknown,
}

impl Found {
    fn label(self) -> &'static str {
        match self {
            Found::Empty => "empty content",
            Found::Ifc => "IFC (ISO-10303-21)",
            Found::IfcTruncated => "a truncated IFC (no END-ISO-10303-21;)",
            Found::Zip => "a zip archive",
            Found::GeoPackage => "GeoPackage",
            Found::Sqlite => {
                "an SQLite database that is not a GeoPackage (application_id at byte 68 is not GPKG)"
            }
            Found::Pdf => "PDF",
            Found::PdfTruncated => "a truncated PDF (no %%EOF)",
            Found::Unknown => "content of no accepted type",
        }
    }
}

const STEP_MAGIC: &[u8] = b"ISO-10303-21;";
const STEP_END: &[u8] = b"END-ISO-10303-21;";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PDF_EOF_WINDOW: usize = 1024;

/// The type of a stream from its two ends; never from a name.
fn sniff(ends: &Ends) -> Found {
    let (head, tail) = (&ends.head[..], &ends.tail[..]);
    if head.is_empty() {
        return Found::Empty;
    }
    if head.starts_with(b"%PDF-") {
        let window = &tail[tail.len().saturating_sub(PDF_EOF_WINDOW)..];
        return match window.windows(5).any(|w| w == b"%%EOF") {
            true => Found::Pdf,
            false => Found::PdfTruncated,
        };
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Found::Zip;
    }
    if head.starts_with(SQLITE_MAGIC) {
        return match head.get(68..72) {
            Some(b"GPKG") => Found::GeoPackage,
            _ => Found::Sqlite,
        };
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.trim_ascii_start().starts_with(STEP_MAGIC) {
        return match tail.trim_ascii_end().ends_with(STEP_END) {
            true => Found::Ifc,
            false => Found::IfcTruncated,
        };
    }
    Found::Unknown
}

/// Whether what was found is what was expected (a zip is looked into later).
fn check_found(expected: UploadKind, found: Found) -> Result<(), AppError> {
    use UploadKind as K;
    match (expected, found) {
        (K::Ifc, Found::Ifc)
        | (K::GeoPackage, Found::GeoPackage)
        | (K::Pdf, Found::Pdf)
        | (K::IfcZip | K::SitePackageZip, Found::Zip) => Ok(()),
        (K::Ifc, Found::IfcTruncated) => Err(AppError::BadInput(format!(
            "文件不完整 expected {}: truncated, it does not end with END-ISO-10303-21;",
            expected.label_en()
        ))),
        (K::Pdf, Found::PdfTruncated) => Err(AppError::BadInput(
            "文件不完整 expected PDF: truncated, no %%EOF in its last 1 KiB".into(),
        )),
        _ => Err(mismatch(expected, found.label())),
    }
}

fn mismatch(expected: UploadKind, found: &str) -> AppError {
    AppError::BadInput(format!(
        "文件类型不符 expected {}, found {found}",
        expected.label_en()
    ))
}

/// What a zip holds, as far as its kind is concerned.
#[derive(Debug, Default)]
struct ZipScan {
    files: usize,
    ifc_files: usize,
    /// The first `.ifc` entry: its name and its two ends.
    first_ifc: Option<(String, Ends)>,
}

fn is_ifc(rel: &Path) -> bool {
    rel.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ifc"))
}

/// Walks an uploaded zip under the shared rules (blocking: every entry is unpacked into
/// a counting sink) and checks that its contents are of the expected kind.
fn verify_zip(path: &Path, expected: UploadKind, limits: UploadLimits) -> Result<(), AppError> {
    let what = expected.label_en();
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::Internal(format!("reopening the upload: {e}")))?;
    let mut scan = ZipScan::default();
    let reader = std::io::BufReader::new(file);
    site_package::walk(reader, limits.zip_bounds(), what, |entry| {
        let Entry::File(rel, r) = entry else {
            return Ok(());
        };
        scan.files += 1;
        if is_ifc(rel) {
            scan.ifc_files += 1;
            if scan.first_ifc.is_none() {
                let mut ends = Ends::default();
                // A read error is the walk's to report (it names the entry).
                let _ = std::io::copy(r, &mut ends);
                scan.first_ifc = Some((rel.to_string_lossy().into_owned(), ends));
            }
        }
        Ok(())
    })?;
    match expected {
        UploadKind::IfcZip => check_ifc_zip(&scan),
        UploadKind::SitePackageZip => check_site_zip(&scan),
        _ => Ok(()),
    }
}

/// Past the sniffed ends (blocking): a zip's entries, an IFC's STEP pre-scan (ids,
/// references, strings), a PDF's page tree. Returns a PDF's page count.
fn verify_content(
    path: &Path,
    expected: UploadKind,
    limits: UploadLimits,
) -> Result<Option<u32>, AppError> {
    let read = || {
        std::fs::read(path).map_err(|e| AppError::Internal(format!("reopening the upload: {e}")))
    };
    match expected {
        UploadKind::IfcZip | UploadKind::SitePackageZip => {
            verify_zip(path, expected, limits).map(|()| None)
        }
        UploadKind::Ifc => {
            zhishen_ifc::step::scan(&read()?, "upload").map_err(|e| {
                AppError::BadInput(format!("IFC 预检未通过 the IFC pre-scan failed: {e}"))
            })?;
            Ok(None)
        }
        UploadKind::Pdf => pdf_pages(&read()?).map(Some),
        UploadKind::GeoPackage => Ok(None),
    }
}

/// The page count of a PDF that opens; a PDF without pages, or one that does not parse
/// (a broken cross-reference, an encrypted file), is refused.
fn pdf_pages(bytes: &[u8]) -> Result<u32, AppError> {
    let doc = lopdf::Document::load_mem(bytes)
        .map_err(|e| AppError::BadInput(format!("PDF 无法打开 the PDF does not open: {e}")))?;
    if doc.is_encrypted() {
        return Err(AppError::BadInput(
            "PDF 已加密 the PDF is encrypted; submit it without a password".into(),
        ));
    }
    match u32::try_from(doc.get_pages().len()) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(AppError::BadInput(
            "PDF 没有页面 the PDF has no pages".into(),
        )),
    }
}

fn check_ifc_zip(scan: &ZipScan) -> Result<(), AppError> {
    let kind = UploadKind::IfcZip;
    let Some((name, ends)) = scan.first_ifc.as_ref().filter(|_| scan.ifc_files == 1) else {
        let found = format!("a zip with {} .ifc files", scan.ifc_files);
        return Err(mismatch(kind, &found));
    };
    match sniff(ends) {
        Found::Ifc => Ok(()),
        Found::IfcTruncated => Err(AppError::BadInput(format!(
            "文件不完整 {}: entry {name:?} is truncated, it does not end with END-ISO-10303-21;",
            kind.label_en()
        ))),
        other => Err(mismatch(
            kind,
            &format!("entry {name:?} holding {}", other.label()),
        )),
    }
}

fn check_site_zip(scan: &ZipScan) -> Result<(), AppError> {
    let kind = UploadKind::SitePackageZip;
    match (scan.files, scan.ifc_files) {
        (0, _) => Err(mismatch(kind, "a zip without files")),
        (1, 1) => Err(mismatch(kind, UploadKind::IfcZip.label_en())),
        _ => Ok(()),
    }
}

/// Small chunks are gathered to this size before they go to the file (each file write
/// is a trip to tokio's blocking pool).
const WRITE_BUF: usize = 256 << 10;

/// An upload in progress: its temp file, digest and ends so far.
struct Open {
    /// Removes the file when dropped (refusal, failure, abandoned upload).
    path: tempfile::TempPath,
    file: tokio::fs::File,
    /// Bytes not yet written to `file`.
    buf: Vec<u8>,
    hasher: sha2::Sha256,
    size: u64,
    ends: Ends,
}

impl Open {
    async fn append(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hasher.update(chunk);
        self.ends.push(chunk);
        self.size += chunk.len() as u64;
        if self.buf.len() + chunk.len() > WRITE_BUF {
            self.file.write_all(&self.buf).await?;
            self.buf.clear();
        }
        if chunk.len() >= WRITE_BUF {
            self.file.write_all(chunk).await
        } else {
            self.buf.extend_from_slice(chunk);
            Ok(())
        }
    }

    /// Writes what is buffered and waits for the write in flight (the data is fsynced
    /// when the blob is stored).
    async fn close(&mut self) -> std::io::Result<()> {
        self.file.write_all(&self.buf).await?;
        self.buf.clear();
        self.file.flush().await
    }
}

/// Receives one upload's body chunk by chunk ([`UploadSink::write`]), then verifies and
/// stores it ([`UploadSink::finish`]). Dropping it aborts the upload: the temp file is
/// removed and nothing is stored. After a refused chunk the sink holds nothing and every
/// later call fails.
pub struct UploadSink {
    store: Store,
    expected: UploadKind,
    limits: UploadLimits,
    /// `None` once a write failed (the temp file is already gone).
    open: Option<Open>,
}

impl std::fmt::Debug for UploadSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSink")
            .field("expected", &self.expected)
            .field("limits", &self.limits)
            .field("size", &self.open.as_ref().map(|o| o.size))
            .finish_non_exhaustive()
    }
}

/// Where uploads are written before they are verified: beside the blobs, so storing
/// one is a rename on the same filesystem.
pub fn upload_dir(store: &Store) -> PathBuf {
    store.blobs().root().join("tmp")
}

/// Removes upload temp files older than `age` — left behind only when a process died
/// mid-upload (a dropped sink removes its own). For a server's start; returns how many.
pub fn remove_stale_uploads(store: &Store, age: std::time::Duration) -> Result<usize, AppError> {
    let dir = upload_dir(store);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(AppError::Internal(format!("{}: {e}", dir.display()))),
    };
    let mut removed = 0;
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|a| a >= age));
        if name.starts_with("upload-") && name.ends_with(".part") && old {
            match std::fs::remove_file(e.path()) {
                Ok(()) => removed += 1,
                Err(x) => tracing::warn!(path = %e.path().display(), "stale upload: {x}"),
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, dir = %dir.display(), "stale upload files removed");
    }
    Ok(removed)
}

impl UploadSink {
    /// Starts an upload expected to be `expected`, into a new temp file.
    pub fn new(
        store: &Store,
        expected: UploadKind,
        limits: UploadLimits,
    ) -> Result<UploadSink, AppError> {
        let dir = upload_dir(store);
        let internal = |e: std::io::Error| {
            AppError::Internal(format!("upload directory {}: {e}", dir.display()))
        };
        std::fs::create_dir_all(&dir).map_err(internal)?;
        let tmp = tempfile::Builder::new()
            .prefix("upload-")
            .suffix(".part")
            .tempfile_in(&dir)
            .map_err(internal)?;
        let (file, path) = tmp.into_parts();
        tracing::debug!(kind = ?expected, path = %path.display(), "upload started");
        Ok(UploadSink {
            store: store.clone(),
            expected,
            limits,
            open: Some(Open {
                path,
                file: tokio::fs::File::from_std(file),
                buf: Vec::new(),
                hasher: sha2::Sha256::new(),
                size: 0,
                ends: Ends::default(),
            }),
        })
    }

    /// Appends one chunk. Past `max_bytes` the upload is refused at once
    /// ([`AppError::TooLarge`]) and its temp file removed.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        let max = self.limits.max_bytes;
        let open = self.open.as_mut().ok_or_else(failed_earlier)?;
        let size = open.size.saturating_add(chunk.len() as u64);
        if size > max {
            self.open = None;
            tracing::info!(kind = ?self.expected, max, "upload refused: too large");
            return Err(AppError::TooLarge(format!(
                "{} upload is more than {max} bytes, the limit",
                self.expected.label_en()
            )));
        }
        if let Err(e) = open.append(chunk).await {
            self.open = None;
            return Err(AppError::Internal(format!("writing the upload: {e}")));
        }
        Ok(())
    }

    /// Ends the body: checks the content against the expected kind (and a zip's
    /// entries), then stores it as a blob. On any error nothing of it is kept.
    pub async fn finish(mut self) -> Result<StoredUpload, AppError> {
        let open = self.open.take().ok_or_else(failed_earlier)?;
        let expected = self.expected;
        let done = self.store_verified(open).await;
        match &done {
            Ok(u) => {
                tracing::info!(kind = ?u.kind, size = u.size, sha256 = %u.sha256, "upload stored")
            }
            Err(e) => tracing::info!(kind = ?expected, "upload refused: {e}"),
        }
        done
    }

    async fn store_verified(&self, mut open: Open) -> Result<StoredUpload, AppError> {
        open.close()
            .await
            .map_err(|e| AppError::Internal(format!("writing the upload: {e}")))?;
        let Open {
            path,
            hasher,
            size,
            ends,
            ..
        } = open;
        check_found(self.expected, sniff(&ends))?;
        let (p, kind, limits) = (path.to_path_buf(), self.expected, self.limits);
        let pages = tokio::task::spawn_blocking(move || verify_content(&p, kind, limits))
            .await
            .map_err(|e| AppError::Internal(format!("content check aborted: {e}")))??;
        let sha = Sha256::parse(&hex::encode(hasher.finalize()))?;
        let media = self.expected.media_type();
        self.store.put_blob_file(&path, size, &sha, media).await?;
        // The file is the blob now (or was dropped as a duplicate): nothing to remove.
        let _ = path.keep();
        Ok(StoredUpload {
            sha256: sha,
            size,
            kind: self.expected,
            pages,
        })
    }
}

fn failed_earlier() -> AppError {
    AppError::BadInput("上传已失败 this upload was already refused; nothing of it was kept".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUSE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc"
    );
    const PARCEL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/district/parcel.gpkg"
    );
    const DISTRICT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/district");

    /// A store in a temp directory: SQLite file and blob directory side by side.
    struct Env {
        store: Store,
        _dir: tempfile::TempDir,
    }

    async fn env() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.db").display());
        let store = Store::open(&url)
            .await
            .unwrap()
            .with_blob_dir(dir.path().join("blobs"));
        Env { store, _dir: dir }
    }

    /// Files under the blob directory, the upload directory left out.
    fn blob_files(store: &Store) -> usize {
        let mut n = 0;
        let mut stack = vec![store.blobs().root().to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.map(Result::unwrap) {
                if e.path() == upload_dir(store) {
                    continue;
                }
                match e.file_type().unwrap().is_dir() {
                    true => stack.push(e.path()),
                    false => n += 1,
                }
            }
        }
        n
    }

    fn temp_files(store: &Store) -> usize {
        std::fs::read_dir(upload_dir(store)).map_or(0, |rd| rd.count())
    }

    /// (blob rows, blob files, temp files).
    async fn kept(store: &Store) -> (u64, usize, usize) {
        let rows = store.blob_count().await.unwrap();
        (rows, blob_files(store), temp_files(store))
    }

    async fn upload_with(
        store: &Store,
        kind: UploadKind,
        limits: UploadLimits,
        bytes: &[u8],
        chunk: usize,
    ) -> Result<StoredUpload, AppError> {
        let mut sink = UploadSink::new(store, kind, limits)?;
        for c in bytes.chunks(chunk) {
            sink.write(c).await?;
        }
        sink.finish().await
    }

    async fn upload(
        store: &Store,
        kind: UploadKind,
        bytes: &[u8],
    ) -> Result<StoredUpload, AppError> {
        upload_with(store, kind, UploadLimits::default(), bytes, 64 << 10).await
    }

    /// Refused as bad input whose message holds `needle`, and nothing kept.
    async fn refused(kind: UploadKind, limits: UploadLimits, bytes: &[u8], needle: &str) {
        let e = env().await;
        let err = upload_with(&e.store, kind, limits, bytes, 64 << 10)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::BadInput(_)), "{err}");
        assert!(err.to_string().contains(needle), "{needle:?} not in: {err}");
        assert_eq!(kept(&e.store).await, (0, 0, 0), "{err}");
    }

    fn sha_hex(bytes: &[u8]) -> String {
        hex::encode(sha2::Sha256::digest(bytes))
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in entries {
            z.start_file(*n, o).unwrap();
            z.write_all(b).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    /// Rewrites the one entry's uncompressed size in its local and central headers.
    fn lie_about_size(zip: &mut [u8], size: u32) {
        assert_eq!(&zip[..4], b"PK\x03\x04");
        zip[22..26].copy_from_slice(&size.to_le_bytes());
        let central = zip
            .windows(4)
            .rposition(|w| w == b"PK\x01\x02")
            .expect("a central directory header");
        zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    }

    fn pdf() -> Vec<u8> {
        zhishen_testkit::pdf::pdf(2)
    }

    /// A small IFC of `n` bytes or so, with a BOM and blank lines around it.
    fn small_ifc(n: usize) -> Vec<u8> {
        let mut s = String::from("\u{feff}\r\n  ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n");
        let mut i = 1;
        while s.len() < n {
            s.push_str(&format!("#{i}=IFCCARTESIANPOINT((0.,0.,{i}.));\n"));
            i += 1;
        }
        s.push_str("ENDSEC;\nEND-ISO-10303-21;\n\n");
        s.into_bytes()
    }

    #[tokio::test]
    async fn an_ifc_must_pass_the_pre_scan_past_its_ends() {
        let e = env().await;
        // Header and trailer are fine; a record in the middle never closes its string.
        let mut bytes = small_ifc(20_000);
        let mid = bytes.len() / 2;
        let at = mid + bytes[mid..].iter().position(|&b| b == b'\n').unwrap() + 1;
        bytes.splice(
            at..at,
            b"#999999=IFCLABEL('never closed);\n".iter().copied(),
        );
        let limits = UploadLimits::default();
        refused(UploadKind::Ifc, limits, &bytes, "pre-scan").await;
        assert_eq!(kept(&e.store).await, (0, 0, 0));
    }

    #[tokio::test]
    async fn a_valid_ifc_is_stored_under_its_own_sha256() {
        let e = env().await;
        let bytes = std::fs::read(HOUSE).unwrap();
        let got = upload(&e.store, UploadKind::Ifc, &bytes).await.unwrap();
        assert_eq!(got.sha256.as_str(), sha_hex(&bytes));
        assert_eq!((got.size, got.kind), (bytes.len() as u64, UploadKind::Ifc));
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        assert_eq!(e.store.get_blob(&got.sha256).await.unwrap(), bytes);
        // The same bytes again: one blob, one row, no temp file.
        let again = upload(&e.store, UploadKind::Ifc, &bytes).await.unwrap();
        assert_eq!(again, got);
        assert_eq!(kept(&e.store).await, (1, 1, 0));
    }

    #[tokio::test]
    async fn odd_chunk_sizes_give_the_same_hash_as_one_chunk() {
        let e = env().await;
        let bytes = small_ifc(3 * END_BYTES);
        let limits = UploadLimits::default();
        let mut shas = Vec::new();
        for chunk in [bytes.len(), 1, 7, 4093, WRITE_BUF + 1] {
            let u = upload_with(&e.store, UploadKind::Ifc, limits, &bytes, chunk).await;
            shas.push(u.unwrap().sha256);
        }
        assert!(
            shas.iter().all(|s| s.as_str() == sha_hex(&bytes)),
            "{shas:?}"
        );
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        // Larger than the write buffer, in odd chunks: the file holds every byte.
        let big = small_ifc(3 * WRITE_BUF);
        let u = upload_with(&e.store, UploadKind::Ifc, limits, &big, 7777).await;
        let u = u.unwrap();
        assert_eq!(u.sha256.as_str(), sha_hex(&big));
        assert_eq!(e.store.get_blob(&u.sha256).await.unwrap(), big);
    }

    #[tokio::test]
    async fn too_large_is_refused_at_once_and_nothing_is_kept() {
        let e = env().await;
        let bytes = std::fs::read(HOUSE).unwrap();
        let limits = UploadLimits {
            max_bytes: 10_000,
            ..UploadLimits::default()
        };
        let mut sink = UploadSink::new(&e.store, UploadKind::Ifc, limits).unwrap();
        assert_eq!(temp_files(&e.store), 1);
        let mut err = None;
        for c in bytes.chunks(4096) {
            if let Err(x) = sink.write(c).await {
                err = Some(x);
                break;
            }
        }
        let err = err.expect("refused");
        assert!(matches!(err, AppError::TooLarge(_)), "{err}");
        assert_eq!(err.http_status(), 413);
        // Removed at once, before the sink is dropped; later calls fail too.
        assert_eq!(kept(&e.store).await, (0, 0, 0));
        assert!(sink.write(b"x").await.is_err());
        assert!(sink.finish().await.is_err());
        assert_eq!(kept(&e.store).await, (0, 0, 0));
    }

    #[tokio::test]
    async fn a_dropped_sink_leaves_nothing() {
        let e = env().await;
        let mut sink = UploadSink::new(&e.store, UploadKind::Ifc, UploadLimits::default()).unwrap();
        sink.write(&small_ifc(1000)).await.unwrap();
        drop(sink);
        assert_eq!(kept(&e.store).await, (0, 0, 0));
    }

    #[tokio::test]
    async fn stale_temp_files_are_swept_and_live_ones_kept() {
        let e = env().await;
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(
            remove_stale_uploads(&e.store, hour).unwrap(),
            0,
            "no directory yet"
        );
        let mut live = UploadSink::new(&e.store, UploadKind::Pdf, UploadLimits::default()).unwrap();
        std::fs::write(upload_dir(&e.store).join("upload-dead.part"), b"%PDF-").unwrap();
        assert_eq!(
            remove_stale_uploads(&e.store, hour).unwrap(),
            0,
            "too recent"
        );
        let zero = std::time::Duration::ZERO;
        std::fs::write(upload_dir(&e.store).join("other.txt"), b"x").unwrap();
        assert_eq!(remove_stale_uploads(&e.store, zero).unwrap(), 2);
        assert_eq!(temp_files(&e.store), 1, "only what is not an upload stays");
        // A sink whose file was swept fails on finish; nothing is stored.
        live.write(&pdf()).await.unwrap();
        assert!(live.finish().await.is_err());
        assert_eq!(e.store.blob_count().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_pdf_is_not_an_ifc() {
        let needle = "expected IFC (ISO-10303-21), found PDF";
        refused(UploadKind::Ifc, UploadLimits::default(), &pdf(), needle).await;
        let needle = "expected PDF, found IFC (ISO-10303-21)";
        refused(
            UploadKind::Pdf,
            UploadLimits::default(),
            &small_ifc(100),
            needle,
        )
        .await;
        let needle = "expected GeoPackage, found content of no accepted type";
        refused(
            UploadKind::GeoPackage,
            UploadLimits::default(),
            b"hello",
            needle,
        )
        .await;
        let needle = "expected IFC (ISO-10303-21), found empty content";
        refused(UploadKind::Ifc, UploadLimits::default(), b"", needle).await;
    }

    #[tokio::test]
    async fn an_ifc_without_its_end_is_truncated() {
        let bytes = std::fs::read(HOUSE).unwrap();
        let cut = &bytes[..bytes.len() - 40];
        refused(UploadKind::Ifc, UploadLimits::default(), cut, "truncated").await;
        // Only trailing whitespace may follow the end marker.
        let mut more = small_ifc(100);
        more.extend_from_slice(b"#99=IFCWALL();\n");
        refused(UploadKind::Ifc, UploadLimits::default(), &more, "truncated").await;
    }

    #[tokio::test]
    async fn zip_entries_that_escape_are_refused_by_name() {
        let ifc = small_ifc(100);
        for name in ["../evil.ifc", "/etc/evil.ifc", "a\\evil.ifc", "C:/evil.ifc"] {
            let z = zip_of(&[(name, &ifc)]);
            let named = format!("{name:?}");
            for kind in [UploadKind::IfcZip, UploadKind::SitePackageZip] {
                refused(kind, UploadLimits::default(), &z, &named).await;
            }
        }
    }

    #[tokio::test]
    async fn too_many_entries_are_refused() {
        let z = zip_of(&[
            ("a.geojson", b"{}"),
            ("b.geojson", b"{}"),
            ("c.geojson", b"{}"),
        ]);
        let limits = UploadLimits {
            max_zip_entries: 2,
            ..UploadLimits::default()
        };
        refused(UploadKind::SitePackageZip, limits, &z, "3 entries").await;
    }

    #[tokio::test]
    async fn a_zip_bomb_is_refused_and_nothing_is_kept() {
        let zeros = vec![0u8; 50 << 20];
        let z = zip_of(&[("layer.geojson", &zeros)]);
        assert!(z.len() < 100_000, "{} bytes", z.len());
        // The real ratio (about 1000) passes the default limit of 200 at once.
        let limits = UploadLimits::default();
        refused(UploadKind::SitePackageZip, limits, &z, "zip bomb").await;
        // Declared over the size limit: refused before anything is unpacked.
        let e = env().await;
        let limits = UploadLimits {
            max_zip_uncompressed: 10 << 20,
            max_zip_ratio: 10_000,
            ..UploadLimits::default()
        };
        let err = upload_with(&e.store, UploadKind::SitePackageZip, limits, &z, 4096).await;
        let err = err.unwrap_err();
        assert!(matches!(err, AppError::TooLarge(_)), "{err}");
        assert_eq!(kept(&e.store).await, (0, 0, 0));
    }

    #[tokio::test]
    async fn a_central_directory_that_lies_about_sizes_is_refused() {
        let zeros = vec![0u8; 20 << 20];
        // Declares 1 KB, holds 20 MB: unpacking stops at the declared size.
        let mut z = zip_of(&[("layer.geojson", &zeros)]);
        lie_about_size(&mut z, 1000);
        let limits = UploadLimits {
            max_zip_ratio: 10_000,
            ..UploadLimits::default()
        };
        refused(UploadKind::SitePackageZip, limits, &z, "layer.geojson").await;
        // Declares 4 GB: over the size limit before anything is unpacked.
        let e = env().await;
        let mut z = zip_of(&[("layer.geojson", &zeros)]);
        lie_about_size(&mut z, 0xF000_0000);
        let err = upload_with(&e.store, UploadKind::SitePackageZip, limits, &z, 4096).await;
        let err = err.unwrap_err();
        assert!(matches!(err, AppError::TooLarge(_)), "{err}");
        assert_eq!(kept(&e.store).await, (0, 0, 0));
        // A truncated archive is bad input.
        let z = zip_of(&[("layer.geojson", b"{}")]);
        let cut = &z[..z.len() - 10];
        refused(
            UploadKind::SitePackageZip,
            limits,
            cut,
            "not a readable zip",
        )
        .await;
    }

    #[tokio::test]
    async fn a_valid_ifczip_is_stored_and_its_ifc_is_checked() {
        let e = env().await;
        let ifc = std::fs::read(HOUSE).unwrap();
        let z = zip_of(&[("model/house.IFC", &ifc), ("readme.txt", b"hi")]);
        let got = upload(&e.store, UploadKind::IfcZip, &z).await.unwrap();
        assert_eq!(got.sha256.as_str(), sha_hex(&z));
        assert_eq!(got.kind, UploadKind::IfcZip);
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        let limits = UploadLimits::default();
        let two = zip_of(&[("a.ifc", &ifc), ("b.ifc", &ifc)]);
        refused(
            UploadKind::IfcZip,
            limits,
            &two,
            "found a zip with 2 .ifc files",
        )
        .await;
        let none = zip_of(&[("a.txt", b"x")]);
        refused(
            UploadKind::IfcZip,
            limits,
            &none,
            "found a zip with 0 .ifc files",
        )
        .await;
        let cut = zip_of(&[("a.ifc", &ifc[..ifc.len() - 40])]);
        refused(UploadKind::IfcZip, limits, &cut, "\"a.ifc\" is truncated").await;
        let fake = zip_of(&[("a.ifc", &pdf())]);
        refused(UploadKind::IfcZip, limits, &fake, "\"a.ifc\" holding PDF").await;
        // An ifcZIP is not a site package, and a bare IFC is not an ifcZIP.
        let one = zip_of(&[("a.ifc", &small_ifc(100))]);
        let needle = "expected site package zip, found ifcZIP";
        refused(UploadKind::SitePackageZip, limits, &one, needle).await;
        let needle = "expected ifcZIP (a zip with one .ifc file), found IFC";
        refused(UploadKind::IfcZip, limits, &small_ifc(100), needle).await;
    }

    #[tokio::test]
    async fn a_packed_site_package_is_stored() {
        let e = env().await;
        let z = site_package::pack_dir(Path::new(DISTRICT)).unwrap();
        let got = upload(&e.store, UploadKind::SitePackageZip, &z)
            .await
            .unwrap();
        assert_eq!(got.sha256.as_str(), sha_hex(&z));
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        let empty = zip_of(&[]);
        let limits = UploadLimits::default();
        refused(
            UploadKind::SitePackageZip,
            limits,
            &empty,
            "a zip without files",
        )
        .await;
    }

    #[tokio::test]
    async fn a_geopackage_is_stored_and_plain_sqlite_is_refused() {
        let e = env().await;
        let gpkg = std::fs::read(PARCEL).unwrap();
        let got = upload(&e.store, UploadKind::GeoPackage, &gpkg)
            .await
            .unwrap();
        assert_eq!(got.sha256.as_str(), sha_hex(&gpkg));
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        let mut sqlite = gpkg.clone();
        sqlite[68..72].copy_from_slice(&[0, 0, 0, 0]);
        let limits = UploadLimits::default();
        refused(UploadKind::GeoPackage, limits, &sqlite, "not a GeoPackage").await;
    }

    #[tokio::test]
    async fn a_pdf_is_stored_and_a_truncated_one_refused() {
        let e = env().await;
        let bytes = pdf();
        let got = upload(&e.store, UploadKind::Pdf, &bytes).await.unwrap();
        assert_eq!(got.sha256.as_str(), sha_hex(&bytes));
        assert_eq!(got.pages, Some(2));
        assert_eq!(kept(&e.store).await, (1, 1, 0));
        // It must open and have pages: an empty page tree, a broken body, are refused.
        let limits = UploadLimits::default();
        refused(
            UploadKind::Pdf,
            limits,
            &zhishen_testkit::pdf::pdf(0),
            "no pages",
        )
        .await;
        let broken = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        refused(UploadKind::Pdf, limits, broken, "does not open").await;
        assert_eq!(
            kept(&e.store).await,
            (1, 1, 0),
            "nothing kept of the refused"
        );
        let cut = &bytes[..bytes.len() - 7];
        refused(UploadKind::Pdf, UploadLimits::default(), cut, "truncated").await;
        // %%EOF further back than the last KiB is not the end of the file.
        let mut long = bytes.clone();
        long.extend(std::iter::repeat_n(b' ', 2000));
        long.extend_from_slice(b"garbage");
        refused(UploadKind::Pdf, UploadLimits::default(), &long, "truncated").await;
    }

    #[test]
    fn kinds_have_stable_names_media_types_and_labels() {
        let json = serde_json::to_string(&UploadKind::SitePackageZip).unwrap();
        assert_eq!(json, "\"site_package_zip\"");
        let back: UploadKind = serde_json::from_str("\"ifc_zip\"").unwrap();
        assert_eq!(back, UploadKind::IfcZip);
        assert_eq!(UploadKind::Pdf.media_type(), "application/pdf");
        assert_eq!(UploadKind::Ifc.label(), "IFC 模型 IFC (ISO-10303-21)");
    }

    /// Compiles only if the sink and its futures are `Send` (the server runs them in
    /// tasks).
    #[allow(dead_code)]
    fn the_sink_and_its_futures_are_send(mut s: UploadSink) {
        fn send<T: Send>(_: &T) {}
        send(&s);
        send(&s.write(b"x"));
        send(&s.finish());
    }
}
