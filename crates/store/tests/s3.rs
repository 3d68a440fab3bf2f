//! The S3 blob store (feature `s3`) through `object_store`, on its in-memory
//! backend: the same keys, hashes and checks as against a real bucket.
#![cfg(feature = "s3")]

mod common;

use common::*;
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt};
use std::sync::Arc;
use zhishen_store::{S3Blobs, StoreError};

#[tokio::test]
async fn blobs_go_to_the_bucket_by_hash_and_are_checked_on_read() {
    let db = sqlite().await;
    let bucket = Arc::new(InMemory::new());
    let s3 = S3Blobs::new(bucket.clone() as Arc<dyn ObjectStore>, "zhishen/");
    let store = db.store.clone().with_s3_blobs(s3);
    let bytes = b"ISO-10303-21;\nEND-ISO-10303-21;\n".to_vec();
    let digest = store.put_blob(&bytes, "application/x-step").await.unwrap();
    let sha = digest.as_str();
    // SHA-256 of the bytes, computed independently.
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&bytes)));
    // Stored under prefix/ab/cdef…, not in the local directory.
    let key = object_store::path::Path::from(format!("zhishen/{}/{}", &sha[..2], &sha[2..]));
    assert_eq!(
        bucket
            .get(&key)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        &bytes[..]
    );
    assert!(!store.blobs().path(sha).unwrap().exists());
    assert_eq!(store.get_blob(&digest).await.unwrap(), bytes);
    // The metadata row is in the database as for local blobs.
    assert_eq!(count(&store, "blob").await, 1);
    // Idempotent: the same bytes again give the same key and one row.
    assert_eq!(
        store.put_blob(&bytes, "application/x-step").await.unwrap(),
        digest
    );
    assert_eq!(count(&store, "blob").await, 1);
    // An object altered in the bucket is refused on read, naming the key.
    bucket.put(&key, b"tampered".to_vec().into()).await.unwrap();
    match store.get_blob(&digest).await {
        Err(StoreError::Corrupt(m)) => assert!(m.contains(&sha[2..]), "{m}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // A missing object is an error, never empty bytes.
    let other = zhishen_workflow::Sha256::parse(&"0".repeat(64)).unwrap();
    assert!(store.get_blob(&other).await.is_err());
    assert!(matches!(
        S3Blobs::from_url("http://bucket"),
        Err(StoreError::BadInput(_))
    ));
}
