//! Connections for both back ends through sqlx's `Any` driver.
//!
//! Why `Any` rather than an enum over two pools: every statement the store
//! runs is written once in the common subset (`$n` placeholders work in both;
//! values are only text, 64-bit integers and byte strings, which `Any` maps
//! identically), so one function body serves SQLite and PostgreSQL and the
//! two cannot drift apart. The few real differences are isolated in
//! [`Backend`]: how a write transaction starts (`BEGIN IMMEDIATE` takes
//! SQLite's write lock up front, so a reader never has to upgrade and fail)
//! and the row-lock suffixes (`FOR UPDATE`, `SKIP LOCKED`) that SQLite lacks
//! and does not need (one writer at a time).

use crate::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{Any, Executor, Transaction};
use std::path::PathBuf;
use std::time::Duration;

/// Which database a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Default database: `./data/zhishen.db` under the working directory.
pub const DEFAULT_URL: &str = "sqlite://data/zhishen.db";

/// Parsed `--db` URL.
#[derive(Debug, Clone)]
pub(crate) struct DbUrl {
    pub backend: Backend,
    /// What sqlx connects to.
    pub connect: String,
    /// The SQLite file (for the default blob directory next to it).
    pub sqlite_path: Option<PathBuf>,
}

pub(crate) fn parse_url(url: &str) -> Result<DbUrl, StoreError> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        if path.is_empty() || path.starts_with(':') {
            return Err(StoreError::BadInput(format!(
                "database URL {url:?}: give a file path (sqlite://data/zhishen.db); in-memory databases are not durable"
            )));
        }
        let connect = match query {
            Some(q) => format!("sqlite://{path}?{q}"),
            None => format!("sqlite://{path}?mode=rwc"),
        };
        return Ok(DbUrl {
            backend: Backend::Sqlite,
            connect,
            sqlite_path: Some(PathBuf::from(path)),
        });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DbUrl {
            backend: Backend::Postgres,
            connect: url.to_string(),
            sqlite_path: None,
        });
    }
    Err(StoreError::BadInput(format!(
        "database URL {url:?}: expected sqlite://PATH or postgres://USER@HOST:PORT/DB"
    )))
}

pub(crate) async fn connect(u: &DbUrl, max_connections: u32) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    if let Some(p) = &u.sqlite_path {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::io(dir.display().to_string(), e))?;
        }
    }
    let backend = u.backend;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(60))
        // An SQLite connection lives in this process and cannot drop: pinging it
        // before every use only doubled each query's thread hand-offs (sqlx runs
        // each SQLite connection on a thread of its own). PostgreSQL connections
        // are still checked, since the server or the network can drop them.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL + synchronous=FULL: a commit returns only after the WAL
                    // is fsynced, so an acknowledged command survives power loss.
                    conn.execute("PRAGMA journal_mode=WAL").await?;
                    conn.execute("PRAGMA synchronous=FULL").await?;
                    conn.execute("PRAGMA busy_timeout=30000").await?;
                    conn.execute("PRAGMA foreign_keys=ON").await?;
                }
                Ok(())
            })
        })
        .connect(&u.connect)
        .await?;
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
    }
    Ok(pool)
}

/// Starts a write transaction the way each back end needs it.
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>, StoreError> {
    Ok(match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    })
}
