//! Test harness: a fresh database per test on SQLite (temp dir) and, when
//! `ZHISHEN_TEST_PG_URL` is set (make test sets it), on PostgreSQL.
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use zhishen_store::{FixedClock, Store};

pub const CATALOGUE: &str = include_str!("../fixtures/catalogue.toml");
pub const PROCESS: &str = include_str!("../fixtures/process.toml");
pub const CAL_2025: &str = include_str!("../../../../assets/calendar/2025.toml");
pub const CAL_2026: &str = include_str!("../../../../assets/calendar/2026.toml");

/// A database under test; keeps its temp dir (the SQLite file, the blobs) alive and
/// removes it when dropped.
pub struct Db {
    pub url: String,
    pub store: Store,
    pub clock: Arc<FixedClock>,
    pub label: &'static str,
    _dir: tempfile::TempDir,
}

pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test time")
}

pub fn start_time() -> DateTime<FixedOffset> {
    t("2026-03-02T09:00:00+08:00")
}

static N: AtomicU32 = AtomicU32::new(0);

pub async fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("z.db").display());
    open(url, "sqlite", dir).await
}

/// The PostgreSQL base URL, or a loud skip message.
pub fn pg_base(test: &str) -> Option<String> {
    match std::env::var("ZHISHEN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "\n*** SKIPPED: PostgreSQL half of `{test}`: ZHISHEN_TEST_PG_URL is unset \
                 (make test starts a cluster and sets it; or: export ZHISHEN_TEST_PG_URL=$(scripts/pg-test.sh start)) ***\n"
            );
            None
        }
    }
}

/// A fresh database in the test cluster.
pub async fn pg_fresh_url(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!(
        "zt_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let pool = sqlx::AnyPool::connect(base)
        .await
        .expect("connect to test cluster");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let (head, _) = base.rsplit_once('/').expect("URL has a database part");
    format!("{head}/{name}")
}

pub async fn pg(test: &str) -> Option<Db> {
    let base = pg_base(test)?;
    let url = pg_fresh_url(&base).await;
    // The blobs in a temp dir of their own too: a shared one per process was left
    // behind in /tmp by every run.
    let dir = tempfile::tempdir().expect("tempdir");
    Some(open(url, "postgres", dir).await)
}

async fn open(url: String, label: &'static str, dir: tempfile::TempDir) -> Db {
    let clock = Arc::new(FixedClock::new(start_time()));
    let blob_dir = dir.path().join("blobs");
    let store = Store::open(&url)
        .await
        .expect("open store")
        .with_clock(clock.clone())
        .with_blob_dir(blob_dir);
    store
        .publish_definitions(CATALOGUE, PROCESS, &[CAL_2025, CAL_2026])
        .await
        .expect("publish definitions");
    Db {
        url,
        store,
        clock,
        label,
        _dir: dir,
    }
}

/// SQLite always, PostgreSQL when configured.
pub async fn both(test: &str) -> Vec<Db> {
    let mut v = vec![sqlite().await];
    if let Some(p) = pg(test).await {
        v.push(p);
    }
    v
}

pub async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// Test ids: the store takes newtypes; these panic on a text that does not validate.
pub fn cid(s: impl Into<String>) -> zhishen_workflow::CaseId {
    zhishen_workflow::CaseId::new(s).expect("test case id")
}

pub fn rid(s: impl Into<String>) -> zhishen_workflow::RequestId {
    zhishen_workflow::RequestId::new(s).expect("test request id")
}

pub fn icode(s: impl Into<String>) -> zhishen_workflow::ItemCode {
    zhishen_workflow::ItemCode::new(s).expect("test item code")
}

pub fn sha(s: impl AsRef<str>) -> zhishen_workflow::Sha256 {
    zhishen_workflow::Sha256::parse(s.as_ref()).expect("test digest")
}
