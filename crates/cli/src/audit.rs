//! `zhishen audit …`: verify the tamper-evident log (审计日志校验) and sign checkpoints.
//!
//! `verify` exits 0 with a summary when the log is intact, 1 naming the first
//! altered, deleted or reordered event (case id, seq, DB row id) otherwise,
//! 2 on bad input.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_audit::TrustedKeys;
use zhishen_store::{Store, StoreError};

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub cmd: AuditCmd,
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Recompute every case's hash chain and the global Merkle log, check the
    /// signed checkpoints, report the first divergence.
    Verify {
        /// Database: sqlite://PATH or postgres://…
        #[arg(long, default_value = zhishen_store::DEFAULT_URL)]
        db: String,
        /// Trusted checkpoint keys (TOML or JSON, see docs/store.md). Without it
        /// checkpoints are not checked.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the log with an Ed25519 PKCS#8 PEM key and store it.
    Checkpoint {
        #[arg(long, default_value = zhishen_store::DEFAULT_URL)]
        db: String,
        /// PKCS#8 PEM private key (Ed25519).
        #[arg(long)]
        key: PathBuf,
        /// Key name in the signed note.
        #[arg(long, default_value = "zhishen")]
        key_id: String,
    },
    /// Benchmark helper: fill an empty database with synthetic hash-chained events.
    #[command(hide = true)]
    Synth {
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        #[arg(long, default_value_t = 20)]
        per_case: u64,
    },
}

pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match rt.block_on(run_async(args)) {
        Ok(c) => Ok(c),
        Err(e) => match e.downcast::<StoreError>() {
            Ok(se) => crate::case::exit_for(se.into()),
            Err(e) => Err(e),
        },
    }
}

async fn run_async(args: AuditArgs) -> Result<ExitCode> {
    match args.cmd {
        AuditCmd::Verify { db, keys, json } => {
            let keyset = match &keys {
                Some(p) => {
                    let text = std::fs::read_to_string(p).map_err(|e| {
                        StoreError::BadInput(format!("--keys {}: {e}", p.display()))
                    })?;
                    Some(TrustedKeys::parse(&text).map_err(|e| {
                        StoreError::BadInput(format!("--keys {}: {e}", p.display()))
                    })?)
                }
                None => None,
            };
            let store = Store::open(&db).await?;
            let t = std::time::Instant::now();
            let mut export = store.export_log().await?;
            let loaded = t.elapsed().as_secs_f64();
            let checked_cps = keyset.is_some();
            if !checked_cps {
                export.checkpoints.clear();
                export.bad_checkpoints.clear();
            }
            let v = zhishen_store::log_verdict(&export, &keyset.unwrap_or_else(TrustedKeys::new));
            // The projections are derived data commands are decided on: replay them.
            let forged = store.verify_projections().await?;
            // The access audit (sign-ins, every state-changing or refused request).
            let access = store.verify_access_audit().await?;
            let secs = t.elapsed().as_secs_f64();
            if json {
                let mut j = serde_json::to_value(&v)?;
                j["projections_ok"] = serde_json::json!(forged.is_empty());
                j["projection_mismatches"] = serde_json::to_value(&forged)?;
                j["load_seconds"] = serde_json::json!(loaded);
                j["seconds"] = serde_json::json!(secs);
                j["checkpoints_checked"] = serde_json::json!(checked_cps);
                j["access_audit"] = serde_json::to_value(&access)?;
                println!("{}", serde_json::to_string_pretty(&j)?);
            } else {
                println!("{}", v.describe());
                for m in &forged {
                    println!(
                        "案件投影被篡改 case projection differs from its events: case {} at {}: stored {} / replayed {}",
                        m.case_id, m.path, m.stored, m.replayed
                    );
                }
                match &access.broken_at {
                    None => println!("访问审计完好 access audit intact: {} entries", access.size),
                    Some((n, why)) => {
                        println!("访问审计被篡改 access audit broken at entry {n}: {why}")
                    }
                }
                if !checked_cps {
                    println!("  (检查点未校验 checkpoints not checked: no --keys)");
                }
                println!("  {:.2} s (load {:.2} s)", secs, loaded);
            }
            Ok(if v.ok() && forged.is_empty() && access.intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCmd::Checkpoint { db, key, key_id } => {
            let pem = std::fs::read_to_string(&key)
                .map_err(|e| StoreError::BadInput(format!("--key {}: {e}", key.display())))?;
            let signer = zhishen_audit::Ed25519Signer::from_pkcs8_pem(&key_id, &pem)
                .map_err(|e| StoreError::BadInput(format!("--key {}: {e}", key.display())))?;
            let store = Store::open(&db).await?;
            let cp = store.checkpoint(&signer).await?;
            print!("{}", cp.to_note());
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Synth {
            db,
            events,
            per_case,
        } => {
            let store = Store::open(&db).await?;
            let t = std::time::Instant::now();
            let n = store.bench_fill(events, per_case.max(1)).await?;
            println!(
                "{}",
                serde_json::json!({"events": n, "seconds": t.elapsed().as_secs_f64()})
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
