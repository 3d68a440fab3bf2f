//! Content-addressed blobs (models, reports, licences), keyed by SHA-256.
//!
//! Local layout: `<root>/ab/cdef…` (first two hex digits as a fan-out
//! directory). A write goes to a temp file in the same directory, is fsynced,
//! renamed into place and the directory fsynced, so a crash leaves either the
//! whole blob or nothing. Identical content is stored once. An upload streamed to a
//! temp file on the same filesystem is moved in the same way (`put_file`), never
//! copied through memory.

use crate::StoreError;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks that `sha` is 64 lowercase hex digits (it becomes a path).
pub fn check_sha(sha: &str) -> Result<(), StoreError> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(StoreError::BadInput(format!(
            "blob id {sha:?} is not a lowercase hex SHA-256"
        )))
    }
}

/// Blobs in a local directory.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalBlobs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this hash lives (whether or not it exists).
    pub fn path(&self, sha: &str) -> Result<PathBuf, StoreError> {
        check_sha(sha)?;
        Ok(self.root.join(&sha[..2]).join(&sha[2..]))
    }

    /// Stores `bytes` durably and returns their SHA-256; a no-op when present.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha)?;
        if path.exists() {
            return Ok(sha);
        }
        let dir = path.parent().expect("blob path has a fan-out parent");
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir.display().to_string(), e))?;
        let tmp = dir.join(format!(".{}.{}.tmp", &sha[2..], std::process::id()));
        let io = |e| StoreError::io(tmp.display().to_string(), e);
        {
            let mut f = File::create(&tmp).map_err(io)?;
            f.write_all(bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        fs::rename(&tmp, &path).map_err(|e| StoreError::io(path.display().to_string(), e))?;
        // The rename is durable only once the directory entry is.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(dir.display().to_string(), e))?;
        Ok(sha)
    }

    /// Moves the file at `src` (its SHA-256 is `sha`, computed by the caller as the file
    /// was written) into place: fsync, rename, fsync the directory — the same crash
    /// behaviour as [`LocalBlobs::put`]. Another filesystem is copied to a temp file
    /// beside the blob first. When the blob is already there, `src` is only removed.
    /// Returns whether this call created the blob (so a failed caller can undo it). On
    /// error no blob was created; `src` may remain, the caller removes it.
    pub fn put_file(&self, src: &Path, sha: &str) -> Result<bool, StoreError> {
        let path = self.path(sha)?;
        if path.exists() {
            remove_if_there(src)?;
            return Ok(false);
        }
        let dir = path.parent().expect("blob path has a fan-out parent");
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir.display().to_string(), e))?;
        let io = |e| StoreError::io(src.display().to_string(), e);
        File::open(src).and_then(|f| f.sync_all()).map_err(io)?;
        match fs::rename(src, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                self.copy_in(src, &path, sha)?;
                remove_if_there(src)?;
            }
            Err(e) => return Err(StoreError::io(path.display().to_string(), e)),
        }
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            // Not durable: take it back rather than leave a blob nobody recorded.
            let _ = fs::remove_file(&path);
            return Err(StoreError::io(dir.display().to_string(), e));
        }
        Ok(true)
    }

    /// `src` from another filesystem: copied to a temp file beside `path`, then renamed.
    fn copy_in(&self, src: &Path, path: &Path, sha: &str) -> Result<(), StoreError> {
        let dir = path.parent().expect("blob path has a fan-out parent");
        let tmp = dir.join(format!(".{}.{}.tmp", &sha[2..], std::process::id()));
        let io = |e| StoreError::io(tmp.display().to_string(), e);
        let copied = fs::copy(src, &tmp)
            .and_then(|_| File::open(&tmp)?.sync_all())
            .and_then(|()| fs::rename(&tmp, path));
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }

    /// Removes a blob this process just created and could not record.
    pub(crate) fn remove_created(&self, sha: &str) -> Result<(), StoreError> {
        let path = self.path(sha)?;
        remove_if_there(&path)
    }

    /// Reads a blob and checks its hash (a damaged file is an error, not data).
    pub fn get(&self, sha: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(sha)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(format!("blob {sha}")))
            }
            Err(e) => return Err(StoreError::io(path.display().to_string(), e)),
        };
        let got = sha256_hex(&bytes);
        if got != sha {
            return Err(StoreError::Corrupt(format!(
                "blob {} has SHA-256 {got}",
                path.display()
            )));
        }
        Ok(bytes)
    }

    pub fn contains(&self, sha: &str) -> Result<bool, StoreError> {
        Ok(self.path(sha)?.exists())
    }
}

fn remove_if_there(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(path.display().to_string(), e)),
    }
}

/// Blobs in an S3-compatible bucket (same keys: `ab/cdef…` under a prefix).
#[cfg(feature = "s3")]
pub struct S3Blobs {
    store: std::sync::Arc<dyn object_store::ObjectStore>,
    prefix: String,
}

#[cfg(feature = "s3")]
impl S3Blobs {
    /// From an `AmazonS3Builder` configured by the caller (endpoint, bucket,
    /// credentials), or any other object store.
    pub fn new(store: std::sync::Arc<dyn object_store::ObjectStore>, prefix: &str) -> Self {
        S3Blobs {
            store,
            prefix: prefix.trim_end_matches('/').to_string(),
        }
    }

    /// Builds an S3 client from the standard `AWS_*` environment variables.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<Self, StoreError> {
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        Ok(Self::new(std::sync::Arc::new(s3), prefix))
    }

    /// From `s3://BUCKET[/PREFIX]`, with endpoint, region and credentials
    /// from the standard `AWS_*` variables (`AWS_ENDPOINT` for MinIO / OSS /
    /// COS, `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            StoreError::BadInput(format!("blob URL {url:?}: expected s3://BUCKET[/PREFIX]"))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StoreError::BadInput(format!(
                "blob URL {url:?}: the bucket name is empty"
            )));
        }
        Self::from_env(bucket, prefix)
    }

    /// The object key of a blob (for tests and operators).
    pub fn key(&self, sha: &str) -> Result<object_store::path::Path, StoreError> {
        check_sha(sha)?;
        let k = format!("{}/{}/{}", self.prefix, &sha[..2], &sha[2..]);
        Ok(object_store::path::Path::from(k.trim_start_matches('/')))
    }

    /// Uploads `bytes` under their hash; S3 PUT is atomic per object.
    pub async fn put(&self, bytes: Vec<u8>) -> Result<String, StoreError> {
        use object_store::ObjectStoreExt;
        let sha = sha256_hex(&bytes);
        let key = self.key(&sha)?;
        if self.store.head(&key).await.is_ok() {
            return Ok(sha);
        }
        self.store.put(&key, bytes.into()).await?;
        Ok(sha)
    }

    /// Uploads the file at `src` under `sha` (computed by the caller as the file was
    /// written): one PUT when small, a multipart upload (aborted on failure, so no
    /// object appears) when large. Returns whether this call created the object.
    pub async fn put_file(&self, src: &Path, sha: &str, size: u64) -> Result<bool, StoreError> {
        use object_store::ObjectStoreExt;
        let key = self.key(sha)?;
        if self.store.head(&key).await.is_ok() {
            return Ok(false);
        }
        let io = |e| StoreError::io(src.display().to_string(), e);
        if size <= S3_SINGLE_PUT {
            let bytes = tokio::fs::read(src).await.map_err(io)?;
            self.store.put(&key, bytes.into()).await?;
            return Ok(true);
        }
        let mut up = object_store::WriteMultipart::new(self.store.put_multipart(&key).await?);
        match copy_parts(src, &mut up).await {
            Ok(()) => {
                up.finish().await?;
                Ok(true)
            }
            Err(e) => {
                if let Err(a) = up.abort().await {
                    tracing::warn!(%key, "aborting a failed multipart upload: {a}");
                }
                Err(e)
            }
        }
    }

    /// Removes an object this process just created and could not record.
    pub(crate) async fn remove_created(&self, sha: &str) -> Result<(), StoreError> {
        use object_store::ObjectStoreExt;
        self.store.delete(&self.key(sha)?).await?;
        Ok(())
    }

    pub async fn get(&self, sha: &str) -> Result<Vec<u8>, StoreError> {
        use object_store::ObjectStoreExt;
        let key = self.key(sha)?;
        let bytes = self.store.get(&key).await?.bytes().await?;
        if sha256_hex(&bytes) != sha {
            return Err(StoreError::Corrupt(format!(
                "object {key} does not hash to {sha}"
            )));
        }
        Ok(bytes.to_vec())
    }
}

/// Files up to this size go to S3 in one PUT; larger ones as a multipart upload.
#[cfg(feature = "s3")]
const S3_SINGLE_PUT: u64 = 16 << 20;

/// Streams a file into a multipart upload, at most a few parts in flight.
#[cfg(feature = "s3")]
async fn copy_parts(src: &Path, up: &mut object_store::WriteMultipart) -> Result<(), StoreError> {
    use tokio::io::AsyncReadExt;
    let io = |e| StoreError::io(src.display().to_string(), e);
    let mut f = tokio::fs::File::open(src).await.map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).await.map_err(io)?;
        if n == 0 {
            return Ok(());
        }
        up.wait_for_capacity(4).await?;
        up.write(&buf[..n]);
    }
}
