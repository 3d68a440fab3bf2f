//! `zhishen licence verify|show` through the built binary: exit codes 0 / 1 / 2.

use std::path::PathBuf;
use std::process::{Command, Output};
use zhishen_audit::licence::{demo_signer, sample_licence, sign};
use zhishen_audit::{Signer, Sm2Signer};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhishen"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("licence-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o: Output = bin().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write_signed(name: &str) -> PathBuf {
    let p = tmp(name);
    let s = sign(sample_licence(), &demo_signer()).unwrap();
    std::fs::write(&p, s.to_json()).unwrap();
    p
}

#[test]
fn valid_licence_passes() {
    let p = write_signed("valid.json");
    let (code, out, err) = run(&["licence", "verify", p.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.starts_with("有效 valid: 建字第440300202600001号 建设工程规划许可证"),
        "{out}"
    );
    assert!(out.contains("demo key"), "{out}");
}

#[test]
fn changed_field_is_tampered_and_named() {
    let p = write_signed("tampered-src.json");
    let text = std::fs::read_to_string(&p).unwrap();
    let changed = text.replace("深圳市示例置业有限公司", "深圳市另一家公司");
    assert_ne!(changed, text);
    let q = tmp("tampered.json");
    std::fs::write(&q, changed).unwrap();
    let (code, out, err) = run(&["licence", "verify", q.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.starts_with("无效 invalid:"), "{out}");
    assert!(
        out.contains("篡改") && out.contains("tampered") && out.contains("holder"),
        "{out}"
    );
}

#[test]
fn garbage_and_bad_fields_exit_2_naming_file_and_field() {
    let g = tmp("garbage.json");
    std::fs::write(&g, b"\x00\x01 not a licence").unwrap();
    let (code, out, err) = run(&["licence", "verify", g.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("garbage.json"), "{err}");

    let p = write_signed("badfield-src.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["licence"]["issued_on"] = serde_json::json!("2026-13-45");
    let q = tmp("badfield.json");
    std::fs::write(&q, v.to_string()).unwrap();
    let (code, _, err) = run(&["licence", "verify", q.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("badfield.json") && err.contains("licence.issued_on"),
        "{err}"
    );

    let (code, _, err) = run(&["licence", "verify", tmp("missing.json").to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn keys_file_selects_trust() {
    let sm = Sm2Signer::from_seed("zhishen-sm2-test", &[11; 32]);
    let p = tmp("sm2.json");
    std::fs::write(&p, sign(sample_licence(), &sm).unwrap().to_json()).unwrap();
    // Not trusted by default: invalid (unknown key), exit 1.
    let (code, out, _) = run(&["licence", "verify", p.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(out.contains("zhishen-sm2-test"), "{out}");
    // Trusted through a keys file with a PEM public key.
    let k = tmp("keys.toml");
    std::fs::write(
        &k,
        format!(
            "[[keys]]\nkey_id = \"{}\"\nalg = \"sm2\"\npublic_key = '''\n{}'''\n",
            sm.key_id(),
            sm.public_key_pem().unwrap()
        ),
    )
    .unwrap();
    let (code, out, err) = run(&[
        "licence",
        "verify",
        p.to_str().unwrap(),
        "--keys",
        k.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!out.contains("demo key"));
    // A broken keys file is bad input naming that file.
    let bad = tmp("bad-keys.toml");
    std::fs::write(
        &bad,
        "[[keys]]\nkey_id = \"x\"\nalg = \"rsa\"\npublic_key = \"AA\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "licence",
        "verify",
        p.to_str().unwrap(),
        "--keys",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bad-keys.toml"), "{err}");
}

#[test]
fn show_writes_html_only_for_valid_licences() {
    let p = write_signed("show.json");
    let html = tmp("show.html");
    let _ = std::fs::remove_file(&html);
    let (code, out, err) = run(&[
        "licence",
        "show",
        p.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("Construction project planning permit"));

    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("99.8", "120.0");
    let q = tmp("show-tampered.json");
    std::fs::write(&q, text).unwrap();
    let html2 = tmp("show-tampered.html");
    let _ = std::fs::remove_file(&html2);
    let (code, out, _) = run(&[
        "licence",
        "show",
        q.to_str().unwrap(),
        "--html",
        html2.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(out.contains("scale"), "{out}");
    assert!(!html2.exists());
}
