//! `zhishen serve` and `zhishen user …`: argument parsing over `zhishen-server` and
//! `zhishen_app::{auth, demo}`. With `--demo` the server seeds the demo users and
//! cases, offers "sign in as <role>" to loopback callers, and must bind loopback.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use zhishen_app::auth::{self, AuthConfig, NewUser, WebRole};
use zhishen_app::demo::{self, DemoSite};
use zhishen_app::licences::Issuer;
use zhishen_store::Store;

#[derive(Args)]
pub struct ServeArgs {
    /// Store: sqlite://FILE or postgres://…
    #[arg(long, default_value = "sqlite://zhishen.db")]
    db: String,
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Publish the workflow definitions in this directory first (idempotent).
    #[arg(long)]
    defs: Option<PathBuf>,
    /// Site package directory that uploaded models are reviewed against.
    #[arg(long)]
    site: Option<PathBuf>,
    /// Parcel offered by default on the upload form.
    #[arg(long)]
    parcel: Option<String>,
    /// Base URL printed into licence QR codes (default: the bound address).
    #[arg(long)]
    public_url: Option<String>,
    /// Seed demo users and cases, offer "sign in as <role>" on loopback (loopback only).
    #[arg(long)]
    demo: bool,
    /// Do not run the review, timer and relay workers in this process.
    #[arg(long)]
    no_workers: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PKCS#8 PEM Ed25519 key that signs e-licences and exchange deliveries (default:
    /// the public demo key, which proves nothing).
    #[arg(long, requires = "key_id")]
    signing_key: Option<PathBuf>,
    /// Key id of --signing-key (published with its public key to verifiers).
    #[arg(long)]
    key_id: Option<String>,
    /// 发证机关 printed on licences.
    #[arg(long)]
    issuer: Option<String>,
    /// Deliver the outbox to this exchange endpoint, signed with --signing-key.
    #[arg(long)]
    exchange_url: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a user; the password is read from ZHISHEN_PASSWORD. Prints the TOTP secret.
    Add {
        #[arg(long, default_value = "sqlite://zhishen.db")]
        db: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// applicant, agent, clerk, coordinator, reviewer, approver, supervisor,
        /// auditor, sys_admin, sec_admin, audit_admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        enterprise: Option<String>,
        #[arg(long)]
        dept: Option<String>,
        #[arg(long)]
        region: String,
    },
    /// Issue an API token for a machine client (shown once, stored hashed).
    Token {
        #[arg(long, default_value = "sqlite://zhishen.db")]
        db: String,
        #[arg(long)]
        id: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// Print the current TOTP code of a base32 secret (default: the demo secret).
    Totp { secret: Option<String> },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// A demo building from `buildings.toml` of the site package: (model bytes, parcel,
/// place, use). `submission` picks the model as handed in (it meets the item's IDS),
/// else the raw export.
fn demo_building(
    site: &Path,
    id: &str,
    submission: bool,
) -> Result<(Vec<u8>, String, String, String)> {
    let path = site.join("buildings.toml");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let doc: toml::Value = toml::from_str(&text).with_context(|| path.display().to_string())?;
    let b = doc
        .get("building")
        .and_then(|v| v.as_array())
        .and_then(|a| {
            a.iter()
                .find(|b| b.get("id").and_then(|x| x.as_str()) == Some(id))
        })
        .with_context(|| format!("{}: no building {id}", path.display()))?;
    let field = |k: &str| -> Result<String> {
        Ok(b.get(k)
            .and_then(|v| v.as_str())
            .with_context(|| format!("{}: building {id}: no {k}", path.display()))?
            .to_string())
    };
    let model = match submission {
        true => site.join(field("submission")?),
        false => site.join(field("model")?),
    };
    let bytes = std::fs::read(&model).with_context(|| model.display().to_string())?;
    Ok((bytes, field("parcel")?, field("place")?, field("use")?))
}

async fn seed_demo(db: &str, site: Option<&Path>) -> Result<()> {
    let store = Store::open(db).await?;
    let signer = zhishen_audit::licence::demo_signer();
    let issuer = Issuer {
        signer: &signer,
        name: "演示市规划和自然资源局 Demo City Planning Bureau",
        verify_url: "http://127.0.0.1:8080/licence/verify",
    };
    let seeded = match site {
        Some(dir) => {
            let packed = zhishen_app::site_package::pack_dir(dir)?;
            let sha = store.put_blob(&packed, "application/zip").await?;
            let ok = demo_building(dir, "P1", true)?;
            let bad = demo_building(dir, "P7", true)?;
            let raw = demo_building(dir, "P1", false)?;
            let ds = DemoSite {
                site_sha256: sha,
                compliant: (&ok.0, &ok.1, &ok.2, &ok.3),
                failing: (&bad.0, &bad.1, &bad.2, &bad.3),
                unreferenced: (&raw.0, &raw.1, &raw.2, &raw.3),
            };
            demo::seed(&store, Some(&ds), &issuer).await?
        }
        None => demo::seed(&store, None, &issuer).await?,
    };
    for (id, what) in &seeded.cases {
        println!("  演示案件 demo case {id}: {what}");
    }
    store.close().await;
    Ok(())
}

/// `ZHISHEN_REVIEW_LEASE_SECS`: how long a review job claimed by a process that
/// stopped renewing it (killed) waits before another process takes it over. Not a
/// flag: operators rarely need it; the scale-out test sets it to finish in seconds.
fn review_lease() -> Result<Option<chrono::Duration>> {
    match std::env::var("ZHISHEN_REVIEW_LEASE_SECS") {
        Ok(v) => {
            let secs: u32 =
                v.trim().parse().ok().filter(|s| *s > 0).with_context(|| {
                    format!("ZHISHEN_REVIEW_LEASE_SECS={v:?}: whole seconds > 0")
                })?;
            Ok(Some(chrono::Duration::seconds(i64::from(secs))))
        }
        Err(_) => Ok(None),
    }
}

pub fn serve(a: ServeArgs) -> Result<ExitCode> {
    if a.demo && !a.addr.ip().is_loopback() {
        bail!(
            "--demo serves only on loopback (its passwords are public); got --addr {}",
            a.addr
        );
    }
    let rt = runtime()?;
    rt.block_on(async {
        if let Some(dir) = &a.defs {
            let store = Store::open(&a.db).await?;
            zhishen_app::defs::publish_dir(&store, dir).await?;
            store.close().await;
        }
        if a.demo {
            seed_demo(&a.db, a.site.as_deref()).await?;
        }
        let signer = match (&a.signing_key, &a.key_id) {
            (Some(path), Some(id)) => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("--signing-key {}", path.display()))?;
                Some(
                    zhishen_audit::Ed25519Signer::from_pkcs8_pem(id, &pem)
                        .map_err(|e| anyhow::anyhow!("--signing-key {}: {e}", path.display()))?,
                )
            }
            _ => None,
        };
        let key = signer.clone().unwrap_or_else(zhishen_audit::licence::demo_signer);
        let exchange = a
            .exchange_url
            .as_ref()
            .map(|url| zhishen_app::exchange::ExchangeConfig::new(url.clone(), Arc::new(key.clone())));
        let demo = a.demo;
        let mut cfg = zhishen_server::ServeConfig::new(a.db.clone(), a.addr);
        cfg.site = a.site.clone();
        cfg.default_parcel = a.parcel.clone();
        cfg.demo = demo;
        cfg.public_url = a.public_url.clone();
        cfg.workers = !a.no_workers;
        cfg.exchange = exchange;
        cfg.tls = a.tls_cert.clone().zip(a.tls_key.clone());
        cfg.signer = signer;
        cfg.issuer_name = a.issuer.clone();
        cfg.review_lease = review_lease()?;
        zhishen_server::serve(cfg, |addr| {
            println!("智审 zhishen serving on http://{addr}/ (API docs: http://{addr}/api/docs)");
            if demo {
                println!("  登录 sign in: http://{addr}/login — 演示模式可直接“以角色身份登录” (demo: sign in as a role),");
                println!("  或用户名 demo-applicant / demo-clerk / demo-reviewer / demo-approver / demo-supervisor / demo-auditor / demo-sysadmin …");
                println!("  密码 password {} · 动态口令 TOTP: zhishen user totp", demo::DEMO_PASSWORD);
                println!("  三维孪生 digital twin: 以审查人员登录，打开“自动审查未通过”的案件，点“三维孪生” (sign in as the reviewer, open the case whose automatic review failed, click 三维孪生)");
            }
        })
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn user(cmd: UserCmd) -> Result<ExitCode> {
    match cmd {
        UserCmd::Totp { secret } => {
            let secret = secret.unwrap_or_else(|| demo::DEMO_TOTP_SECRET.to_string());
            let now = chrono::Utc::now().timestamp();
            match auth::totp_now(&secret, now) {
                Some(code) => println!("{code}"),
                None => bail!("TOTP secret {secret:?} is not base32"),
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Add {
            db,
            id,
            name,
            role,
            enterprise,
            dept,
            region,
        } => {
            let password = std::env::var("ZHISHEN_PASSWORD").context(
                "set the initial password in ZHISHEN_PASSWORD (not on the command line)",
            )?;
            let u = NewUser {
                id,
                display_name: name,
                role: WebRole::parse(&role)?,
                enterprise,
                dept,
                region,
                password,
                totp_secret: None,
            };
            runtime()?.block_on(async {
                let store = Store::open(&db).await?;
                match auth::create_user(&store, &AuthConfig::default(), &u).await {
                    Ok(secret) => {
                        println!("已创建 created {} ({})", u.id, u.role.as_str());
                        println!("动态口令密钥 TOTP secret (base32): {secret}");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::case::exit_for(e),
                }
            })
        }
        UserCmd::Token { db, id, name } => runtime()?.block_on(async {
            let store = Store::open(&db).await?;
            match auth::create_api_token(&store, &id, &name).await {
                Ok(t) => {
                    println!("{t}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => crate::case::exit_for(e),
            }
        }),
    }
}
