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

#[tokio::test]
async fn a_verified_file_goes_to_the_bucket_in_one_put_or_in_parts() {
    let db = sqlite().await;
    let bucket = Arc::new(InMemory::new());
    let s3 = S3Blobs::new(bucket.clone() as Arc<dyn ObjectStore>, "zhishen/");
    let store = db.store.clone().with_s3_blobs(s3);
    let tmp = tempfile::tempdir().unwrap();
    // Small (one PUT) and over the multipart threshold (parts).
    for (i, size) in [(1u8, 1000usize), (2, (16 << 20) + 12_345)] {
        let bytes: Vec<u8> = (0..size).map(|k| (k % 251) as u8 ^ i).collect();
        let sha = zhishen_workflow::Sha256::of(&bytes);
        let src = tmp.path().join(format!("upload-{i}"));
        std::fs::write(&src, &bytes).unwrap();
        let got = store
            .put_blob_file(&src, size as u64, &sha, "application/pdf")
            .await
            .unwrap();
        assert_eq!(got, sha);
        assert!(!src.exists(), "the uploaded temp file is removed");
        assert!(!store.blobs().path(sha.as_str()).unwrap().exists());
        assert_eq!(store.get_blob(&sha).await.unwrap(), bytes);
        assert_eq!(count(&store, "blob").await, i64::from(i));
    }
    // A row that cannot be written leaves no object behind.
    let trigger = "CREATE TRIGGER refuse_blob BEFORE INSERT ON blob BEGIN SELECT RAISE(ABORT, 'refused by the test'); END";
    sqlx::query(trigger).execute(store.pool()).await.unwrap();
    let bytes = b"%PDF-1.7\n%%EOF\n".to_vec();
    let sha = zhishen_workflow::Sha256::of(&bytes);
    let src = tmp.path().join("upload-3");
    std::fs::write(&src, &bytes).unwrap();
    let e = store
        .put_blob_file(&src, bytes.len() as u64, &sha, "application/pdf")
        .await;
    assert!(matches!(e, Err(StoreError::Db(_))), "{e:?}");
    let key = object_store::path::Path::from(format!(
        "zhishen/{}/{}",
        &sha.as_str()[..2],
        &sha.as_str()[2..]
    ));
    assert!(
        bucket.head(&key).await.is_err(),
        "no object without its row"
    );
    assert_eq!(count(&store, "blob").await, 2);
}
