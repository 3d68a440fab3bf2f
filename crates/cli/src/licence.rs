//! `zhishen licence`: offline check and rendering of signed e-licences (电子证照).
//!
//! Keys: `--keys FILE` (TOML or JSON list of `{key_id, alg, public_key}`); without it the
//! built-in demo public key is trusted, and the output says so (its private seed is public).

use anyhow::Result;
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zhishen_audit::licence::{self, Lang, SignedLicence};
use zhishen_audit::TrustedKeys;

#[derive(Subcommand)]
pub enum LicenceCmd {
    /// Verify a signed e-licence offline (电子证照核验): exit 0 valid, 1 invalid, 2 unreadable.
    Verify {
        /// Signed licence JSON.
        file: PathBuf,
        /// Trusted public keys (TOML or JSON); default: the built-in demo key.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// Verify, then write a bilingual HTML page with a QR code of the verification URL.
    Show {
        file: PathBuf,
        /// Output HTML file.
        #[arg(long)]
        html: PathBuf,
        #[arg(long)]
        keys: Option<PathBuf>,
        /// Page language first shown: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Write the sample licence signed with the demo key (for trying the commands).
    #[command(hide = true)]
    Demo { out: PathBuf },
}

const EXIT_INVALID: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

/// Unreadable input: say which file and why, exit 2.
fn bad_input(path: &Path, what: impl std::fmt::Display) -> ExitCode {
    eprintln!("错误 error: {}: {what}", path.display());
    ExitCode::from(EXIT_BAD_INPUT)
}

fn load_keys(path: Option<&Path>) -> Result<(TrustedKeys, bool), ExitCode> {
    let Some(p) = path else {
        return Ok((licence::demo_keys(), true));
    };
    let text = std::fs::read_to_string(p).map_err(|e| bad_input(p, e))?;
    let keys = TrustedKeys::parse(&text).map_err(|e| bad_input(p, e))?;
    Ok((keys, false))
}

fn load_licence(p: &Path) -> Result<SignedLicence, ExitCode> {
    let text = std::fs::read_to_string(p).map_err(|e| bad_input(p, e))?;
    SignedLicence::from_json(&text).map_err(|e| bad_input(p, e))
}

/// Verifies and prints the verdict; `Err` carries the exit code to return.
fn check(file: &Path, keys: Option<&Path>) -> Result<SignedLicence, ExitCode> {
    let (keys, demo) = load_keys(keys)?;
    let signed = load_licence(file)?;
    match licence::verify(&signed, &keys) {
        Ok(()) => {
            let l = &signed.licence;
            println!("有效 valid: {} {} {}", l.number, l.kind.zh(), l.kind.en());
            println!("  持证单位 holder: {}", l.holder);
            println!("  项目代码 project code: {}", l.project_code);
            println!("  发证机关 issuer: {} ({})", l.issuer, l.issued_on);
            println!("  签名 signature: {} key `{}`", signed.alg, signed.key_id);
            if demo {
                println!("  注意 note: 使用内置演示密钥核验，仅供演示 verified with the built-in demo key (demo only; pass --keys)");
            }
            Ok(signed)
        }
        Err(e) => {
            println!("无效 invalid: {}: {e}", file.display());
            tracing::debug!(key = %signed.key_id, "licence rejected");
            Err(ExitCode::from(EXIT_INVALID))
        }
    }
}

pub fn run(cmd: LicenceCmd) -> Result<ExitCode> {
    match cmd {
        LicenceCmd::Verify { file, keys } => Ok(match check(&file, keys.as_deref()) {
            Ok(_) => ExitCode::SUCCESS,
            Err(code) => code,
        }),
        LicenceCmd::Show {
            file,
            html,
            keys,
            lang,
        } => {
            let Some(lang) = Lang::parse(&lang) else {
                eprintln!("错误 error: --lang `{lang}`: expected zh or en");
                return Ok(ExitCode::from(EXIT_BAD_INPUT));
            };
            let signed = match check(&file, keys.as_deref()) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            let page = match licence::to_html(&signed, lang) {
                Ok(p) => p,
                Err(e) => return Ok(bad_input(&file, e)),
            };
            std::fs::write(&html, page)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", html.display()))?;
            println!("已生成 written: {}", html.display());
            Ok(ExitCode::SUCCESS)
        }
        LicenceCmd::Demo { out } => {
            let signed = licence::sign(licence::sample_licence(), &licence::demo_signer())?;
            std::fs::write(&out, signed.to_json() + "\n")
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            println!("已生成 written: {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
