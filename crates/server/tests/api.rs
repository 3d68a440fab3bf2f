//! The service's public routes over real HTTP on loopback: a server started on an
//! ephemeral port over a fresh SQLite store with the shipped definitions published,
//! requests written by hand on a TCP socket (what a client sends, nothing mocked), and
//! the docs page loaded in Debian's chromium; the permit flow through the pages in
//! chromium driven by chromedriver (`browser/`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

#[path = "service/mod.rs"]
mod service;

#[path = "browser/mod.rs"]
mod browser;

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

/// Starts a server over a fresh store; `publish` loads `assets/` (catalogue, process,
/// calendar) first.
fn start(publish: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if publish {
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        rt.block_on(async {
            let store = zhishen_store::Store::open(&db).await.unwrap();
            zhishen_app::defs::publish_dir(&store, &assets)
                .await
                .unwrap();
            store.close().await;
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let cfg = zhishen_server::ServeConfig::new(db, "127.0.0.1:0".parse().unwrap());
        let r = zhishen_server::serve(cfg, |a| {
            tx.send(a).unwrap();
        })
        .await;
        if let Err(e) = r {
            panic!("server: {e}");
        }
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    Server {
        addr,
        _dir: dir,
        _rt: rt,
    }
}

use service::{send, Resp};

fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Resp {
    send(addr, method, path, &[], body)
}

fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, b"")
}

#[test]
fn health_catalogue_and_security_headers() {
    let s = start(true);
    let r = get(s.addr, "/healthz");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "ok");
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    // The catalogue is the one in assets/catalogue/demo.toml: 建设工程规划许可 takes a BIM
    // review, 20 statutory working days (行政许可法 Art. 42), and issues its licence.
    let r = get(s.addr, "/api/catalogue");
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let items = v["items"].as_array().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalogue/demo.toml"),
    )
    .unwrap();
    let it = items.iter().find(|i| i["code"] == "JSGCGHXK").unwrap();
    assert_eq!(it["bim_review"], true);
    assert_eq!(it["licence"], "建设工程规划许可证");
    assert_eq!(it["stage"], "engineering_permit");
    assert!(it["materials"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["code"] == "BIM"));
    assert_eq!(it["statutory_limit_wd"], 20);
    assert_eq!(items.len(), text.matches("[[items]]").count());
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[test]
fn errors_are_problem_json_and_name_what_is_missing() {
    let s = start(false);
    // Nothing published: the catalogue is not found, said as problem+json.
    let r = get(s.addr, "/api/catalogue");
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["status"], 404);
    // An unknown route, with a hostile path, is a 404 problem naming the path as text.
    let r = get(s.addr, "/nope/%3Cscript%3E");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["detail"].as_str().unwrap().contains("/nope/"));
    assert!(r.header("content-security-policy").is_some());
    // A write to a read-only route is refused.
    let r = request(s.addr, "POST", "/healthz", b"{}");
    assert_eq!(r.status, 405, "{}", r.body);
}

#[test]
fn openapi_is_generated_and_the_docs_page_renders_in_chromium() {
    let s = start(true);
    let r = get(s.addr, "/api/openapi.json");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(
        v["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        v["openapi"]
    );
    for p in ["/healthz", "/api/catalogue"] {
        assert!(v["paths"][p]["get"].is_object(), "{p} missing");
    }
    // Every JSON route of the route table is described, with its method.
    for spec in zhishen_server::routes::ROUTES {
        if !spec.path.starts_with("/api/")
            || spec.path.starts_with("/api/openapi")
            || spec.path == "/api/docs"
        {
            continue;
        }
        let m = spec.method.as_str().to_lowercase();
        assert!(
            v["paths"][spec.path][&m].is_object(),
            "{} {} not in the OpenAPI description",
            spec.method,
            spec.path
        );
    }
    assert!(v["components"]["schemas"]["Problem"].is_object());

    let r = get(s.addr, "/api/docs");
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("<script"), "no script on the docs page");
    // Debian's chromium loads the page from the server and sees the operations.
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args([
            "120",
            "chromium",
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("http://{}/api/docs", s.addr))
        .output()
        .expect("chromium must be installed (scripts/deps.sh installs Debian's chromium)");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("智审 zhishen API"), "{dom}");
    assert!(dom.contains("<code>/api/catalogue</code>"), "{dom}");
}
