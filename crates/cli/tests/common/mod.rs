//! Shared support of the CLI integration tests: the binary, the repository,
//! a definitions directory, and SQL against a test database.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const BIN: &str = env!("CARGO_BIN_EXE_zhishen");

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `catalogue/ process/ calendar/` under `root`: the store test fixtures and
/// the shipped 2025 + 2026 calendars. With `bim_review`, item LAND needs a
/// BIM review (EIA does not).
pub fn defs_dir(root: &Path, bim_review: bool) -> PathBuf {
    let d = root.join("defs");
    for k in ["catalogue", "process", "calendar"] {
        std::fs::create_dir_all(d.join(k)).unwrap();
    }
    let fx = repo().join("crates/store/tests/fixtures");
    let mut cat = std::fs::read_to_string(fx.join("catalogue.toml")).unwrap();
    if bim_review {
        cat = cat.replacen(
            "code = \"LAND\"\n",
            "code = \"LAND\"\nbim_review = true\n",
            1,
        );
        assert!(cat.contains("bim_review = true"));
    }
    std::fs::write(d.join("catalogue/test.toml"), cat).unwrap();
    std::fs::copy(fx.join("process.toml"), d.join("process/test.toml")).unwrap();
    for y in ["2025", "2026"] {
        std::fs::copy(
            repo().join(format!("assets/calendar/{y}.toml")),
            d.join(format!("calendar/{y}.toml")),
        )
        .unwrap();
    }
    d
}

/// Runs statements on `url`, panicking with the statement that failed.
pub fn run_sql(url: &str, stmts: &[&str]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        for s in stmts {
            sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        pool.close().await;
    });
}

/// A freshly created database `zc_<tag>_<pid>` in the cluster at `base`.
pub fn fresh_pg_db(base: &str, tag: &str) -> String {
    let name = format!("zc_{tag}_{}", std::process::id());
    run_sql(
        base,
        &[
            &format!("DROP DATABASE IF EXISTS {name}"),
            &format!("CREATE DATABASE {name}"),
        ],
    );
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}
