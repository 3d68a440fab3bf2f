//! Content-addressed blobs (models, reports, licences), keyed by SHA-256.
//!
//! Local layout: `<root>/ab/cdef…` (first two hex digits as a fan-out
//! directory). A write goes to a temp file in the same directory, is fsynced,
//! renamed into place and the directory fsynced, so a crash leaves either the
//! whole blob or nothing. Identical content is stored once.

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
