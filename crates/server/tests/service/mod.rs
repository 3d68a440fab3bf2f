//! The signed-in service over real HTTP on loopback: users sign in with password and
//! TOTP through the real sign-in form, and every route of the route table is tried
//! by every role; then the attacks that must fail (IDOR, CSRF, session fixation,
//! lockout, stored XSS, SQL metacharacters, hostile uploads, a forged projection) and
//! the whole permit flow through the API down to the public licence page.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zhishen_app::auth::{self, NewUser, WebRole};
use zhishen_app::demo::{demo_users, DEMO_PASSWORD, DEMO_TOTP_SECRET};
use zhishen_server::routes::{Access, ROUTES};

pub struct Svc {
    pub addr: SocketAddr,
    pub db: String,
    pub _dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

/// The demo house as handed in for the planning permit: georeferenced, it meets the
/// demo IDS of JSGCGHXK (datasets/submission/README.md).
const SUBMISSION: &str = "datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Extra users beside the demo ones: another enterprise's applicant, and users the
/// lockout and fixation tests may spend.
fn extra_users() -> Vec<NewUser> {
    let mk = |id: &str, ent: &str| NewUser {
        id: id.into(),
        display_name: id.into(),
        role: WebRole::Applicant,
        enterprise: Some(ent.into()),
        dept: None,
        region: "440300".into(),
        password: DEMO_PASSWORD.into(),
        totp_secret: Some(DEMO_TOTP_SECRET.into()),
    };
    vec![
        mk("b-applicant", "乙建设有限公司"),
        mk("lock-user", "丙公司"),
        mk("fix-user", "丁公司"),
    ]
}

/// A server over a fresh SQLite store: definitions published, users created, the
/// demo district as its site package, workers running.
pub fn start(max_upload: u64) -> Svc {
    start_with(max_upload, None)
}

/// The same in demo mode ("sign in as <role>" for loopback callers).
pub fn start_demo() -> Svc {
    start_cfg(8 << 20, None, true)
}

/// The same, serving HTTPS with the given PEM certificate and key.
pub fn start_with(max_upload: u64, tls: Option<(PathBuf, PathBuf)>) -> Svc {
    start_cfg(max_upload, tls, false)
}

fn start_cfg(max_upload: u64, tls: Option<(PathBuf, PathBuf)>, demo: bool) -> Svc {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = zhishen_store::Store::open(&db).await.unwrap();
        zhishen_app::defs::publish_dir(&store, &root().join("assets"))
            .await
            .unwrap();
        let cfg = auth::AuthConfig::default();
        for u in demo_users().into_iter().chain(extra_users()) {
            auth::create_user(&store, &cfg, &u).await.unwrap();
        }
        store.close().await;
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let mut cfg = zhishen_server::ServeConfig::new(db.clone(), "127.0.0.1:0".parse().unwrap());
    cfg.site = Some(root().join("datasets/district"));
    cfg.default_parcel = Some("DK-05-1".into());
    cfg.upload_limits.max_bytes = max_upload;
    cfg.tls = tls;
    cfg.demo = demo;
    cfg.viewer_dir = Some(root().join("viewer"));
    rt.spawn(async move {
        if let Err(e) = zhishen_server::serve(cfg, |a| tx.send(a).unwrap()).await {
            panic!("server: {e}");
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    Svc {
        addr,
        db,
        _dir: dir,
        rt,
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn redirects_to_login(&self) -> bool {
        self.status == 303 && self.header("location") == Some("/login")
    }
}

/// One HTTP/1.1 request written by hand.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A browser-like session: its cookie and its CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

fn hidden_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

pub fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(fields).unwrap().into_bytes()
}

pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// The current TOTP code, `ahead` steps later (a user signs in at most three times
/// in one 30-second window: codes are accepted once, in increasing steps).
pub fn code(ahead: i64) -> String {
    auth::totp_now(
        DEMO_TOTP_SECRET,
        chrono::Utc::now().timestamp() + 30 * ahead,
    )
    .unwrap()
}

/// Posts the sign-in form; returns the response (303 on success).
pub fn try_login(
    addr: SocketAddr,
    user: &str,
    password: &str,
    totp: &str,
    extra_cookie: Option<&str>,
) -> Resp {
    let page = send(addr, "GET", "/login", &[], b"");
    let pre = page.cookie("zs_pre").expect("pre-session cookie");
    let csrf = hidden_csrf(&page.body).unwrap();
    let cookie = match extra_cookie {
        Some(c) => format!("zs_pre={pre}; {c}"),
        None => format!("zs_pre={pre}"),
    };
    send(
        addr,
        "POST",
        "/login",
        &[FORM, ("Cookie", &cookie)],
        &form(&[
            ("csrf", &csrf),
            ("user", user),
            ("password", password),
            ("totp", totp),
        ]),
    )
}

pub fn login(addr: SocketAddr, user: &str) -> Session {
    let r = try_login(addr, user, DEMO_PASSWORD, &code(0), None);
    assert_eq!(r.status, 303, "sign-in of {user}: {}", r.body);
    let cookie = format!("zs_session={}", r.cookie("zs_session").unwrap());
    let home = send(addr, "GET", "/", &[("Cookie", &cookie)], b"");
    assert_eq!(home.status, 200, "{}", home.body);
    Session {
        cookie,
        csrf: hidden_csrf(&home.body).unwrap(),
    }
}

impl Session {
    pub fn get(&self, addr: SocketAddr, path: &str) -> Resp {
        send(addr, "GET", path, &[("Cookie", &self.cookie)], b"")
    }
    /// A state-changing request with the session's CSRF header.
    fn post(&self, addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Resp {
        let headers = [
            ("Cookie", self.cookie.as_str()),
            ("X-CSRF-Token", self.csrf.as_str()),
            ("Content-Type", content_type),
        ];
        send(addr, "POST", path, &headers, body)
    }
    pub fn post_json(&self, addr: SocketAddr, path: &str, body: &serde_json::Value) -> Resp {
        self.post(addr, path, "application/json", body.to_string().as_bytes())
    }
    pub fn post_form(&self, addr: SocketAddr, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut f = fields.to_vec();
        f.push(("csrf", &self.csrf));
        send(
            addr,
            "POST",
            path,
            &[FORM, ("Cookie", &self.cookie)],
            &form(&f),
        )
    }
    pub fn post_raw(&self, addr: SocketAddr, path: &str, body: &[u8]) -> Resp {
        self.post(addr, path, "application/octet-stream", body)
    }
    /// Runs one workflow command through the JSON API.
    pub fn command(&self, addr: SocketAddr, case: &str, cmd: serde_json::Value) -> Resp {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.post_json(
            addr,
            &format!("/api/cases/{case}/commands"),
            &serde_json::json!({"request_id": format!("t-{n}-{}", code(0)), "command": cmd}),
        )
    }
}

/// The people who take a case through the items before the planning permit.
pub struct Stage1<'a> {
    pub applicant: &'a Session,
    pub clerk: &'a Session,
    pub fgw: &'a Session,
    pub zrzy: &'a Session,
}

/// Submits, accepts, processes and passes 项目备案, 用地规划许可 and 设计方案审查 through
/// the API, so that the planning permit (JSGCGHXK) is next.
pub fn pass_items_before_the_permit(addr: SocketAddr, case: &str, p: &Stage1) {
    let ok = |r: Resp| assert_eq!(r.status, 200, "{}", r.body);
    let pass = |item: &str, materials: serde_json::Value, rev: &Session| {
        let submit = serde_json::json!({"type": "submit", "item": item, "materials": materials});
        ok(p.applicant.command(addr, case, submit));
        ok(p.clerk.command(
            addr,
            case,
            serde_json::json!({"type": "accept", "item": item}),
        ));
        let start = serde_json::json!({"type": "start_processing", "item": item});
        ok(rev.command(addr, case, start));
        let conclude = serde_json::json!({"type": "conclude", "item": item, "outcome": "pass", "opinion": "同意"});
        ok(rev.command(addr, case, conclude));
    };
    pass("XMBA", serde_json::json!(["BAXX"]), p.fgw);
    pass(
        "JSYDGHXK",
        serde_json::json!(["SQB", "CRHT", "HXT"]),
        p.zrzy,
    );
    pass("SJFASC", serde_json::json!(["FAWB", "BIM"]), p.zrzy);
}

/// A case of the demo applicant with the items before the planning permit passed:
/// (case, applicant, clerk, 自然资源 reviewer).
fn case_at_the_permit(a: SocketAddr, name: &str) -> (String, Session, Session, Session) {
    let app = login(a, "demo-applicant");
    let clerk = login(a, "demo-clerk");
    let zrzy = login(a, "demo-reviewer");
    let case = create_case(&app, a, name);
    let people = Stage1 {
        applicant: &app,
        clerk: &clerk,
        fgw: &login(a, "demo-reviewer-fgw"),
        zrzy: &zrzy,
    };
    pass_items_before_the_permit(a, &case, &people);
    (case, app, clerk, zrzy)
}

/// The planning permit submitted with its materials, accepted and in review.
fn permit_in_review(a: SocketAddr, case: &str, (app, clerk, zrzy): (&Session, &Session, &Session)) {
    let ok = |r: Resp| assert_eq!(r.status, 200, "{}", r.body);
    let submit = serde_json::json!({"type": "submit", "item": "JSGCGHXK", "materials": ["SQB", "ZPT", "BIM", "DZBG"]});
    ok(app.command(a, case, submit));
    ok(clerk.command(
        a,
        case,
        serde_json::json!({"type": "accept", "item": "JSGCGHXK"}),
    ));
    ok(zrzy.command(
        a,
        case,
        serde_json::json!({"type": "start_processing", "item": "JSGCGHXK"}),
    ));
}

pub fn create_case(s: &Session, addr: SocketAddr, name: &str) -> String {
    let r = s.post_json(
        addr,
        "/api/cases",
        &serde_json::json!({"project_code": "2612-440300-04-01-000009", "project_name": name}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["case_id"].as_str().unwrap().to_string()
}

fn role_user(role: WebRole) -> &'static str {
    match role {
        WebRole::Applicant => "demo-applicant",
        WebRole::Agent => "demo-agent",
        WebRole::Clerk => "demo-clerk",
        WebRole::Coordinator => "demo-coordinator",
        WebRole::Reviewer => "demo-reviewer",
        WebRole::Approver => "demo-approver",
        WebRole::Supervisor => "demo-supervisor",
        WebRole::Auditor => "demo-auditor",
        WebRole::SysAdmin => "demo-sysadmin",
        WebRole::SecAdmin => "demo-secadmin",
        WebRole::AuditAdmin => "demo-auditadmin",
    }
}

fn fill(path: &str, case: &str) -> String {
    path.replace("/admin/users/{id}", "/admin/users/demo-agent")
        .replace("{id}", case)
        .replace("{sha}", &"0".repeat(64))
        .replace("{file}", "app.css")
        .replace("{item}", "JSGCGHXK")
        .replace("{code}", "SQB")
        .replace("{format}", "json")
        .replace("{job}", "999999")
        .replace("{enterprise}", "91440300MA5DEMO001")
}

/// Every route of the table × every role and the anonymous caller: allowed roles
/// get through the guard (whatever the handler then says), others are refused with
/// 403, and the anonymous caller with 401 (API) or a redirect to sign-in (pages).
#[test]
fn route_role_matrix_follows_the_table() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let owner = login(a, "demo-applicant");
    let case = create_case(&owner, a, "矩阵测试项目");
    let sessions: Vec<(WebRole, Session)> = WebRole::ALL
        .iter()
        .map(|r| {
            let s = if *r == WebRole::Applicant {
                owner.clone()
            } else {
                login(a, role_user(*r))
            };
            (*r, s)
        })
        .collect();
    let mut checked = 0;
    for spec in ROUTES.iter().filter(|s| s.path != "/logout") {
        let path = if spec.path.starts_with("/api/jobs/") {
            spec.path.replace("{id}", "999999")
        } else {
            fill(spec.path, &case)
        };
        let method = spec.method.as_str();
        // Anonymous.
        let r = send(a, method, &path, &[], b"");
        match spec.access {
            Access::Public => assert!(
                r.status != 401 && !r.redirects_to_login(),
                "anonymous {method} {path}: {}",
                r.status
            ),
            _ if path.starts_with("/api/") => {
                assert_eq!(r.status, 401, "anonymous {method} {path}")
            }
            _ => assert!(
                r.redirects_to_login(),
                "anonymous {method} {path}: {} {:?}",
                r.status,
                r.header("location")
            ),
        }
        for (role, s) in &sessions {
            let r = send(
                a,
                method,
                &path,
                &[("Cookie", &s.cookie), ("X-CSRF-Token", &s.csrf)],
                b"",
            );
            let public_post = spec.access == Access::Public && method == "POST";
            if spec.access.allows(Some(*role)) {
                assert!(
                    r.status != 401 && (public_post || r.status != 403) && !r.redirects_to_login(),
                    "{role:?} must reach {method} {path}: {} {}",
                    r.status,
                    r.body.chars().take(200).collect::<String>()
                );
            } else {
                assert_eq!(
                    r.status,
                    403,
                    "{role:?} must be refused {method} {path}: {}",
                    r.body.chars().take(200).collect::<String>()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 11 * 30, "{checked} checks");
    // Sign-out ends the session: the same cookie no longer reaches anything.
    let (_, clerk) = &sessions[2];
    let r = clerk.post_form(a, "/logout", &[]);
    assert_eq!(r.status, 303);
    assert!(clerk.get(a, "/").redirects_to_login());
    // Every refusal above is in the access audit.
    let auditor = &sessions
        .iter()
        .find(|(r, _)| *r == WebRole::Auditor)
        .unwrap()
        .1;
    let all = auditor.get(a, "/api/audit/access?q=").json();
    let denied = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "denied")
        .count();
    assert!(denied >= 50, "denials audited: {denied}");
    let v = auditor.get(a, "/api/audit/verify").json();
    assert_eq!(v["access"]["intact"], true, "{v}");
}

#[test]
fn another_enterprise_sees_no_case_whatever_id_it_tries() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let owner = login(a, "demo-applicant");
    let case = create_case(&owner, a, "甲公司项目");
    let other = login(a, "b-applicant");
    let own = create_case(&other, a, "乙公司项目");
    // The real id, and ids guessed around it (the random suffix changed, sequential
    // suffixes, the other's own id with one digit changed).
    let mut tries = vec![case.clone()];
    let (stem, _) = case.rsplit_once('-').unwrap();
    for n in 0..20 {
        tries.push(format!("{stem}-{n:010}"));
    }
    // (A digit that differs from the real last one: the same one would be its own case.)
    let last = if own.ends_with('0') { '1' } else { '0' };
    tries.push(format!("{}{last}", &own[..own.len() - 1]));
    for id in &tries {
        for path in [
            format!("/api/cases/{id}"),
            format!("/api/cases/{id}/events"),
            format!("/cases/{id}"),
        ] {
            let r = other.get(a, &path);
            assert_eq!(r.status, 404, "{path}: {}", r.status);
        }
        let r = other.command(
            a,
            id,
            serde_json::json!({"type": "withdraw", "item": "XMBA", "reason": "x"}),
        );
        assert_eq!(r.status, 404, "command on {id}: {}", r.body);
        let r = other.post_raw(
            a,
            &format!("/api/cases/{id}/items/JSGCGHXK/model"),
            b"ISO-10303-21;",
        );
        assert_eq!(r.status, 404, "upload to {id}: {}", r.body);
    }
    // The list shows only its own.
    let list = other.get(a, "/api/cases").json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![own.as_str()]);
    // And the owner still sees its case.
    assert_eq!(owner.get(a, &format!("/api/cases/{case}")).status, 200);
    // A retried create (same request id) names the case it opened; the same request
    // id from the other enterprise is refused without naming that case.
    let body = serde_json::json!({"project_code": "2612-440300-04-01-000009", "project_name": "重试项目", "request_id": "retry-create-1"});
    let first = owner.post_json(a, "/api/cases", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = owner.post_json(a, "/api/cases", &body);
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.json()["case_id"], first.json()["case_id"]);
    let theirs = other.post_json(a, "/api/cases", &body);
    assert_eq!(theirs.status, 400, "{}", theirs.body);
    let opened = first.json()["case_id"].as_str().unwrap().to_string();
    assert!(!theirs.body.contains(&opened), "{}", theirs.body);
    // A command's request id cannot open a case either.
    let cmd_rid = serde_json::json!({"project_code": "2612-440300-04-01-000009", "project_name": "x", "request_id": "retry-cmd-1"});
    let r = owner.post_json(
        a,
        &format!("/api/cases/{case}/commands"),
        &serde_json::json!({"request_id": "retry-cmd-1", "command": {"type": "submit", "item": "XMBA", "materials": ["BAXX"]}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = owner.post_json(a, "/api/cases", &cmd_rid);
    assert_eq!(r.status, 400, "{}", r.body);
    let list = owner.get(a, "/api/cases").json();
    assert_eq!(list.as_array().unwrap().len(), 2, "no case opened twice");
}

#[test]
fn csrf_fixation_and_lockout_attacks_fail() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let s = login(a, "demo-applicant");
    let fields = [
        ("project_code", "2612-440300-04-01-000009"),
        ("project_name", "CSRF"),
    ];
    // No token, a foreign token, a token in the wrong place: refused, nothing created.
    let r = send(
        a,
        "POST",
        "/cases",
        &[FORM, ("Cookie", &s.cookie)],
        &form(&fields),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let other = login(a, "demo-agent");
    let mut f = fields.to_vec();
    f.push(("csrf", &other.csrf));
    let r = send(
        a,
        "POST",
        "/cases",
        &[FORM, ("Cookie", &s.cookie)],
        &form(&f),
    );
    assert_eq!(r.status, 403, "foreign token: {}", r.body);
    let r = send(
        a,
        "POST",
        "/api/cases",
        &[("Cookie", &s.cookie), ("Content-Type", "application/json")],
        br#"{"project_code":"2612-440300-04-01-000009","project_name":"x"}"#,
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        s.get(a, "/api/cases").json().as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    let r = s.post_form(a, "/cases", &fields);
    assert_eq!(r.status, 303, "with the token: {}", r.body);
    // A sign-in form posted without its pre-session cookie (login CSRF) is refused.
    let r = send(
        a,
        "POST",
        "/login",
        &[FORM],
        &form(&[
            ("csrf", "x"),
            ("user", "fix-user"),
            ("password", DEMO_PASSWORD),
            ("totp", &code(0)),
        ]),
    );
    assert_eq!(r.status, 403);

    // Session fixation: a session id planted before sign-in is not the one after,
    // and the planted value authenticates nothing.
    let planted = "zs_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = try_login(a, "fix-user", DEMO_PASSWORD, &code(0), Some(planted));
    assert_eq!(r.status, 303, "{}", r.body);
    let issued = r.cookie("zs_session").unwrap();
    assert_ne!(format!("zs_session={issued}"), planted);
    assert_eq!(
        send(a, "GET", "/api/me", &[("Cookie", planted)], b"").status,
        401
    );
    assert_eq!(
        send(
            a,
            "GET",
            "/api/me",
            &[("Cookie", &format!("zs_session={issued}"))],
            b""
        )
        .json()["user_id"],
        "fix-user"
    );
    // The cookie is HttpOnly and SameSite=Strict.
    let set = r
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("zs_session="))
        .unwrap();
    assert!(
        set.1.contains("HttpOnly") && set.1.contains("SameSite=Strict"),
        "{}",
        set.1
    );
    // A TOTP code is accepted once: the same code again is refused.
    let again = try_login(a, "fix-user", DEMO_PASSWORD, &code(0), None);
    assert_eq!(again.status, 401, "replayed code");

    // Lockout: five wrong passwords lock the account; then even the right password
    // and code are refused, until the security administrator unlocks it.
    for _ in 0..5 {
        let r = try_login(a, "lock-user", "wrong-password-1A!", &code(0), None);
        assert_eq!(r.status, 401);
    }
    let r = try_login(a, "lock-user", DEMO_PASSWORD, &code(0), None);
    assert_eq!(r.status, 403, "locked: {}", r.body);
    assert!(r.body.contains("锁定"), "{}", r.body);
    let sec = login(a, "demo-secadmin");
    assert_eq!(
        sec.post_form(a, "/admin/users/lock-user/unlock", &[])
            .status,
        303
    );
    let r = try_login(a, "lock-user", DEMO_PASSWORD, &code(1), None);
    assert_eq!(r.status, 303, "unlocked: {}", r.body);
    // Wrong user names and SQL in the user field are just wrong credentials.
    let r = try_login(a, "' OR '1'='1", "x", "000000", None);
    assert_eq!(r.status, 401);
}

#[test]
fn stored_xss_is_escaped_and_search_text_is_data() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let s = login(a, "demo-applicant");
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let case = create_case(&s, a, evil);
    let sup = login(a, "demo-supervisor");
    let clerk = login(a, "demo-clerk");
    let pages = [
        (&s, "/".to_string()),
        (&s, format!("/cases/{case}")),
        (&clerk, "/".to_string()),
        (&clerk, format!("/cases/{case}")),
        (&sup, "/supervision".to_string()),
    ];
    for (who, p) in pages {
        let r = who.get(a, &p);
        assert_eq!(r.status, 200, "{p}");
        assert!(
            !r.body.contains("<script>alert"),
            "{p} renders the title raw"
        );
        assert!(!r.body.contains("<img src=x"), "{p} renders the title raw");
        if p.starts_with("/cases") || p == "/" {
            assert!(
                r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                    || r.body.contains("&#60;script&#62;"),
                "{p}: the title is shown escaped"
            );
        }
    }
    // SQL metacharacters in the search field are searched for, literally.
    let auditor = login(a, "demo-auditor");
    // The control: plain text finds the entries it is in (so an empty answer below
    // means "not found", not "search broken"), and `%` / `_` are not wildcards.
    let hits = auditor.get(a, "/api/audit/access?q=case_create").json();
    assert!(
        !hits.as_array().unwrap().is_empty(),
        "search finds case_create"
    );
    let all = auditor
        .get(a, "/api/audit/access?q=")
        .json()
        .as_array()
        .unwrap()
        .len();
    let pct = auditor
        .get(a, "/api/audit/access?q=%25")
        .json()
        .as_array()
        .unwrap()
        .len();
    assert!(
        all > 0 && pct < all,
        "`%` matched every entry ({pct} of {all})"
    );
    for q in [
        "' OR 1=1 --",
        "%",
        "_",
        "\\",
        "\"; DROP TABLE access_audit; --",
        "login%' OR '%'='",
    ] {
        let path = format!(
            "/api/audit/access?q={}",
            zhishen_server::pages::urlencode(q)
        );
        let r = auditor.get(a, &path);
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        for row in r.json().as_array().unwrap() {
            let hay = format!("{}{}{}", row["user_id"], row["action"], row["target"]);
            assert!(
                hay.contains(q.trim_matches('"')) || hay.contains(q),
                "{q} matched {row}"
            );
        }
        let page = auditor.get(
            a,
            &format!("/audit?q={}", zhishen_server::pages::urlencode(q)),
        );
        assert_eq!(page.status, 200);
    }
    // The table is still there and intact.
    let v = auditor.get(a, "/api/audit/verify").json();
    assert_eq!(v["access"]["intact"], true, "{v}");
    assert!(v["access"]["size"].as_i64().unwrap() > 3);
}

fn blob_state(svc: &Svc) -> (u64, usize) {
    svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        let n = store.blob_count().await.unwrap();
        let tmp = zhishen_app::upload::upload_dir(&store);
        let files = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        store.close().await;
        (n, files)
    })
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opt = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opt).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
    buf.into_inner()
}

#[test]
fn bad_uploads_get_a_clear_4xx_and_leave_nothing() {
    let svc = start(1 << 20);
    let a = svc.addr;
    let s = login(a, "demo-applicant");
    let case = create_case(&s, a, "上传测试");
    let up = format!("/api/cases/{case}/items/JSGCGHXK/model");
    let before = blob_state(&svc);
    let ifc = std::fs::read(root().join("datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc")).unwrap();
    // Too large (the test server takes 1 MiB).
    let big = [ifc.as_slice(), &vec![b' '; 2 << 20]].concat();
    let r = s.post_raw(a, &up, &big);
    assert_eq!(r.status, 413, "{}", r.body);
    // A PDF under an .ifc name (names are not trusted; the content is sniffed).
    let r = s.post_raw(a, &up, b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.json()["detail"].as_str().unwrap().contains("found PDF"),
        "{}",
        r.body
    );
    // A truncated IFC.
    let cut = &ifc[..(ifc.len() / 2).min(500_000)];
    let r = s.post_raw(a, &up, cut);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("truncated"), "{}", r.body);
    // A connection that ends before the body it announced.
    {
        let mut t = TcpStream::connect(a).unwrap();
        let head = format!("POST {up} HTTP/1.1\r\nHost: {a}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nContent-Length: 500000\r\n\r\n", s.cookie, s.csrf);
        t.write_all(head.as_bytes()).unwrap();
        t.write_all(&ifc[..100_000.min(ifc.len())]).unwrap();
        drop(t);
        std::thread::sleep(Duration::from_millis(500));
    }
    // Site packages (system administrator): a zip bomb and an escaping name.
    let admin = login(a, "demo-sysadmin");
    let zeros = vec![0u8; 8 << 20];
    let bomb = zip_of(&[("site.toml", b"x"), ("layers/zeros.bin", &zeros)]);
    let r = admin.post_raw(a, "/api/site-packages", &bomb);
    assert!(
        matches!(r.status, 400 | 413),
        "bomb: {} {}",
        r.status,
        r.body
    );
    assert!(r.body.contains("zip bomb") || r.status == 413, "{}", r.body);
    let evil = zip_of(&[("../../etc/cron.d/x", b"* * * * * root true")]);
    let r = admin.post_raw(a, "/api/site-packages", &evil);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains(".."), "names the entry: {}", r.body);
    let r = admin.post_raw(a, "/api/site-packages", b"PK\x03\x04 not really a zip");
    assert_eq!(r.status, 400, "{}", r.body);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        blob_state(&svc),
        before,
        "nothing stored, no temp file left"
    );
    // A good model (under the limit) is accepted and queued, and stored once.
    let small =
        std::fs::read(root().join("datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc")).unwrap();
    let r = s.post_raw(
        a,
        &format!("{up}?parcel=DK-05-1&place=528496,3386425,0"),
        &small,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(r.json()["job_id"].as_i64().is_some());
    assert_eq!(blob_state(&svc).0, before.0 + 1);
}

/// 材料核验 over HTTP: a material's file is checked by content (an IFC under a PDF code,
/// a PDF without pages are refused, nothing kept), and the land-use licence issued
/// earlier in the case satisfies the permit's YDXK material by reference, so a 补正
/// asking for it again is refused.
#[test]
fn materials_are_checked_by_content_and_a_licence_is_never_asked_twice() {
    let svc = start(4 << 20);
    let a = svc.addr;
    let (case, app, clerk, zrzy) = case_at_the_permit(a, "材料核验测试");
    let up = |code: &str| format!("/api/cases/{case}/items/JSGCGHXK/materials/{code}");
    let before = blob_state(&svc);
    // The application form is a PDF: an IFC under its code is refused by content.
    let ifc = std::fs::read(root().join("datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc")).unwrap();
    let r = app.post_raw(a, &up("SQB"), &ifc);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("expected PDF"), "{}", r.body);
    // A PDF must open and have pages.
    let r = app.post_raw(a, &up("SQB"), &zhishen_testkit::pdf::pdf(0));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("no pages"), "{}", r.body);
    assert_eq!(blob_state(&svc), before, "nothing kept of refused uploads");
    // Attacks that must fail: no CSRF token, a reviewer, another enterprise, a
    // material the item does not have, and the generic command API naming a hash.
    let pdf = zhishen_testkit::pdf::pdf(3);
    let h = [
        ("Cookie", app.cookie.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    assert_eq!(send(a, "POST", &up("SQB"), &h, &pdf).status, 403);
    assert_eq!(zrzy.post_raw(a, &up("SQB"), &pdf).status, 403);
    let other = login(a, "b-applicant");
    assert_eq!(other.post_raw(a, &up("SQB"), &pdf).status, 404);
    assert_eq!(app.post_raw(a, &up("NOPE"), &pdf).status, 404);
    let forged = serde_json::json!({"type": "attach_material", "item": "JSGCGHXK", "material": "SQB",
        "attachment": {"by": "file", "sha256": "0".repeat(64), "kind": "pdf"}});
    let r = app.command(a, &case, forged);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("not a user command"), "{}", r.body);

    // The real PDF: stored with its pages, recorded on the case.
    let r = app.post_raw(a, &up("SQB"), &pdf);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["pages"], 3);
    assert_eq!(r.json()["replayed"], false);
    let r = app.post_raw(a, &up("SQB"), &pdf);
    assert_eq!(r.json()["replayed"], true, "the same file again replays");
    // 收件 without the land-use permit: the licence issued in stage 1 is reused.
    let submit = serde_json::json!({"type": "submit", "item": "JSGCGHXK", "materials": ["SQB", "ZPT", "BIM", "DZBG"]});
    assert_eq!(app.command(a, &case, submit).status, 200);
    let st = clerk.get(a, &format!("/api/cases/{case}/items/JSGCGHXK/materials"));
    assert_eq!(st.status, 200, "{}", st.body);
    let lines = st.json();
    let line = |code: &str| {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(line("SQB")["status"], "attached");
    assert_eq!(line("SQB")["attachment"]["pages"], 3);
    assert_eq!(line("ZPT")["status"], "declared");
    assert_eq!(line("YDXK")["status"], "attached");
    assert_eq!(line("YDXK")["attachment"]["by"], "licence");
    assert_eq!(line("YDXK")["attachment"]["item"], "JSYDGHXK");
    // The case page shows the same to the clerk, with the upload form.
    let page = clerk.get(a, &format!("/cases/{case}"));
    let row = |code: &str| {
        let at = page
            .body
            .find(&format!("data-material=\"JSGCGHXK/{code}\""))
            .unwrap();
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row("YDXK").contains("电子证照复用") && row("YDXK").contains("建设用地规划许可证"),
        "{}",
        row("YDXK")
    );
    assert!(row("SQB").contains("已上传 pdf 3p"), "{}", row("SQB"));
    assert!(row("ZPT").contains("收件时已提交"), "{}", row("ZPT"));
    assert!(page.body.contains("id=\"material-form\""));
    assert!(!zrzy
        .get(a, &format!("/cases/{case}"))
        .body
        .contains("id=\"material-form\""));
    let accept = serde_json::json!({"type": "accept", "item": "JSGCGHXK"});
    assert_eq!(clerk.command(a, &case, accept).status, 200);
    let again = serde_json::json!({"type": "request_supplement", "item": "JSGCGHXK", "materials": ["YDXK"], "note": "请提供用地规划许可证"});
    let r = zrzy.command(a, &case, again);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("licence_reused"), "{}", r.body);
}

/// An attacker with write access to the database edits a case's stored state: the
/// server refuses to act on it, and the audit names the case.
#[test]
fn a_forged_projection_is_refused_and_named() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let s = login(a, "demo-applicant");
    let case = create_case(&s, a, "原始项目名");
    svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        let state: String = sqlx::query_scalar("SELECT state FROM \"case\" WHERE id = $1")
            .bind(&case)
            .fetch_one(store.pool())
            .await
            .unwrap();
        let forged = state.replace("原始项目名", "伪造项目名");
        assert_ne!(forged, state);
        sqlx::query("UPDATE \"case\" SET state = $1 WHERE id = $2")
            .bind(forged)
            .bind(&case)
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    });
    let r = s.command(
        a,
        &case,
        serde_json::json!({"type": "submit", "item": "XMBA", "materials": ["BAXX"]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("projection_forged") && r.body.contains("project_name"),
        "{}",
        r.body
    );
    let auditor = login(a, "demo-auditor");
    let v = auditor.get(a, "/api/audit/verify").json();
    assert_eq!(v["projections"][0]["case_id"], case.as_str(), "{v}");
    assert_eq!(v["projections"][0]["path"], "project_name");
    let page = auditor.get(a, "/audit");
    assert!(page.body.contains(&case), "the audit page names the case");
}

/// The permit flow through the API as five people would do it, the automatic review
/// included, down to the public page the licence QR code opens.
#[test]
fn the_permit_flow_ends_in_a_licence_that_verifies_publicly() {
    let svc = start(64 << 20);
    let a = svc.addr;
    let app = login(a, "demo-applicant");
    let clerk = login(a, "demo-clerk");
    let fgw = login(a, "demo-reviewer-fgw");
    let zrzy = login(a, "demo-reviewer");
    let approver = login(a, "demo-approver");
    let case = create_case(&app, a, "流程测试项目");
    let people = Stage1 {
        applicant: &app,
        clerk: &clerk,
        fgw: &fgw,
        zrzy: &zrzy,
    };
    pass_items_before_the_permit(a, &case, &people);
    let ok = |r: Resp| assert_eq!(r.status, 200, "{}", r.body);
    ok(app.command(a, &case, serde_json::json!({"type": "submit", "item": "JSGCGHXK", "materials": ["SQB", "ZPT", "BIM", "DZBG"]})));
    ok(clerk.command(
        a,
        &case,
        serde_json::json!({"type": "accept", "item": "JSGCGHXK"}),
    ));
    ok(zrzy.command(
        a,
        &case,
        serde_json::json!({"type": "start_processing", "item": "JSGCGHXK"}),
    ));
    // Without a recorded review the approver cannot pass the item.
    let r = approver.command(a, &case, serde_json::json!({"type": "conclude", "item": "JSGCGHXK", "outcome": "pass", "opinion": "同意"}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("bim_review_missing"), "{}", r.body);
    let ifc = std::fs::read(root().join(SUBMISSION)).unwrap();
    let r = app.post_raw(
        a,
        &format!("/api/cases/{case}/items/JSGCGHXK/model?parcel=DK-05-1&place=528496,3386425,0"),
        &ifc,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let job = r.json()["job_id"].as_i64().unwrap();
    // The worker runs it; the server-sent events end with `done`.
    let sse = zrzy.get(a, &format!("/api/jobs/{job}/events"));
    assert_eq!(sse.header("content-type"), Some("text/event-stream"));
    assert!(sse.body.contains("\"status\":\"done\""), "{}", sse.body);
    let c = zrzy.get(a, &format!("/api/cases/{case}")).json();
    let item = c["case"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "JSGCGHXK")
        .unwrap()
        .clone();
    assert_eq!(item["reviews"].as_array().unwrap().len(), 1, "{item}");
    // The reviewer's page shows the findings and links the report.
    let page = zrzy.get(a, &format!("/cases/{case}"));
    assert!(page.body.contains("自动审查结果"), "findings shown");
    let sha = item["reviews"][0]["report_sha256"].as_str().unwrap();
    let rep = zrzy.get(a, &format!("/cases/{case}/reports/{sha}"));
    assert_eq!(rep.status, 200);
    assert!(rep
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));
    // The report links the review's twin.
    assert!(
        rep.body
            .contains(&format!("id=\"twin-link\" href=\"/twin/{job}\"")),
        "twin link in the report"
    );
    // And embeds the twin's snapshots, rendered headless on the server: the plan and
    // one per finding, as PNG data (base64 of the PNG signature: iVBORw0KGgo).
    assert!(rep.body.contains("id=\"snapshot-plan\"><img class=\"snapshot\" alt=\"plan\" src=\"data:image/png;base64,iVBORw0KGgo"));
    // (Snapshots per finding and BCF topics: `a_failing_review_report_…` below.)
    // The same report as BCF; nobody else gets it.
    let bcf_path = format!("/cases/{case}/reports/{sha}/bcf");
    let bcf = zrzy.get(a, &bcf_path);
    assert_eq!(bcf.status, 200);
    assert!(bcf.body.starts_with("PK"), "a zip");
    twin_routes_follow_the_case_scope(a, &case, job, (&zrzy, &app), &[&bcf_path]);
    // The approver decides; the licence is signed and filed.
    ok(approver.command(a, &case, serde_json::json!({"type": "conclude", "item": "JSGCGHXK", "outcome": "pass", "opinion": "同意核发"})));
    let page = app.get(a, &format!("/cases/{case}"));
    let li = page
        .body
        .find("JSGCGHXK: <a")
        .expect("the permit's licence on the case page");
    let at = li + page.body[li..].find("/licence/verify?no=").unwrap();
    let href: String = page.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    // The link is the QR code's URL: the number and the signature digest.
    assert!(href.contains("&d="), "{href}");
    let pub_page = send(a, "GET", &href, &[], b"");
    assert_eq!(pub_page.status, 200);
    assert!(pub_page.body.contains("有效 valid"), "{}", pub_page.body);
    assert!(pub_page.body.contains("建设工程规划许可证"));
    // A number not on record, and a wrong QR digest, are not valid.
    let bad = send(
        a,
        "GET",
        "/licence/verify?no=%E5%BB%BA%E5%AD%97%E7%AC%AC440300202699999%E5%8F%B7",
        &[],
        b"",
    );
    assert!(bad.body.contains("无此证照"), "{}", bad.body);
    let (no, _) = href.split_once("&d=").unwrap();
    let wrong = send(a, "GET", &format!("{no}&d=00"), &[], b"");
    assert!(wrong.body.contains("无效 invalid"), "{}", wrong.body);
}

/// 效能监督 on the dashboard: three items concluded through the API, then the
/// supervisor's page carries the figures of the JSON report.
#[test]
fn the_supervision_dashboard_shows_the_reports_figures() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let app = login(a, "demo-applicant");
    let people = Stage1 {
        applicant: &app,
        clerk: &login(a, "demo-clerk"),
        fgw: &login(a, "demo-reviewer-fgw"),
        zrzy: &login(a, "demo-reviewer"),
    };
    let case = create_case(&app, a, "效能监督测试项目");
    pass_items_before_the_permit(a, &case, &people);
    dashboard_shows_the_supervision_report(&svc, &login(a, "demo-supervisor"));
}

/// The text of the element with `id` on a page.
fn by_id<'a>(page: &'a str, id: &str) -> &'a str {
    let tag = format!("id=\"{id}\">");
    let at = page
        .find(&tag)
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        + tag.len();
    &page[at..at + page[at..].find('<').unwrap()]
}

/// 效能监督: the dashboard's figures are those of the JSON report for the same period
/// and region (computed here over the same database by the same call).
fn dashboard_shows_the_supervision_report(svc: &Svc, sup: &Session) {
    let page = sup.get(svc.addr, "/supervision");
    assert_eq!(page.status, 200);
    let (from, to) = by_id(&page.body, "sup-period").split_once(" — ").unwrap();
    let q = zhishen_app::supervision::SupervisionQuery {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        region: Some(zhishen_app::demo::DEMO_REGION.to_string()),
    };
    let json = svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        let r = zhishen_app::supervision::report(&store, &q).await.unwrap();
        store.close().await;
        serde_json::to_value(&r).unwrap()
    });
    let h = &json["headline"];
    let items = h["items"]["count"].as_u64().unwrap();
    assert_eq!(items, 3, "XMBA, JSYDGHXK and SJFASC concluded today: {h}");
    assert_eq!(by_id(&page.body, "sup-items"), items.to_string());
    let pct = |v: &serde_json::Value| {
        v.as_f64()
            .map_or("—".to_string(), |x| format!("{:.1}%", x * 100.0))
    };
    assert_eq!(by_id(&page.body, "sup-overdue"), pct(&h["overdue_rate"]));
    assert_eq!(
        by_id(&page.body, "sup-supplement"),
        pct(&h["supplement_rate"])
    );
    assert_eq!(
        by_id(&page.body, "sup-red"),
        json["red"].as_array().unwrap().len().to_string()
    );
    assert_eq!(
        by_id(&page.body, "sup-p90"),
        h["items"]["p90_wd"].as_u64().unwrap().to_string()
    );
    let report = &page.body[page.body.find("id=\"supervision-report\"").unwrap()..];
    assert!(report.contains("<svg"), "{report}");
}

/// The twin of a finished job: its page, its scene and the viewer's files, seen by whoever
/// sees the case and by nobody else (404, as for a job that does not exist); the case
/// page, the inbox and the report link it.
/// `also`: more paths of the case that another enterprise must not find.
fn twin_routes_follow_the_case_scope(
    a: SocketAddr,
    case: &str,
    job: i64,
    (reviewer, owner): (&Session, &Session),
    also: &[&str],
) {
    let glb = format!("/api/reviews/{job}/twin.glb");
    let page = format!("/twin/{job}");
    assert_eq!(send(a, "GET", &glb, &[], b"").status, 401);
    assert!(send(a, "GET", &page, &[], b"").redirects_to_login());
    let other = login(a, "b-applicant");
    for path in [glb.as_str(), page.as_str()].iter().chain(also) {
        assert_eq!(other.get(a, path).status, 404, "another enterprise: {path}");
    }
    for path in ["/api/reviews/999999/twin.glb", "/twin/999999"] {
        assert_eq!(reviewer.get(a, path).status, 404, "{path}");
    }
    for who in [reviewer, owner] {
        let r = who.get(a, &glb);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("model/gltf-binary"));
        assert!(r.header("cache-control").unwrap().contains("private"));
        assert!(r.body.starts_with("glTF"), "a GLB");
    }
    // Gzipped for a client that takes it, and smaller (the browser test reads it so).
    let plain = reviewer.get(a, &glb);
    let gz = send(
        a,
        "GET",
        &glb,
        &[
            ("Cookie", &reviewer.cookie),
            ("Accept-Encoding", "br, gzip;q=0.9"),
        ],
        b"",
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.header("vary").unwrap().contains("accept-encoding"));
    let len = |r: &Resp| {
        r.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert!(len(&gz) < len(&plain), "{} !< {}", len(&gz), len(&plain));
    let r = reviewer.get(a, &page);
    assert_eq!(r.status, 200, "{}", r.body);
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        r.body.contains(&format!("data-glb=\"{glb}\"")),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<script>"), "no inline script");
    // Only the twin page may compile WebAssembly.
    let case_page = reviewer.get(a, &format!("/cases/{case}"));
    let csp = case_page.header("content-security-policy").unwrap();
    assert!(!csp.contains("wasm"), "{csp}");
    assert!(
        case_page.body.contains(&format!("href=\"{page}\"")),
        "twin link on the case page"
    );
    // The reviewer's inbox links the case's latest twin.
    let home = reviewer.get(a, "/");
    assert!(
        home.body.contains(&format!("href=\"{page}\"")),
        "twin link in the inbox"
    );
    // The viewer's files: a fixed list, never a path from the request.
    let shell = send(a, "GET", "/twin-assets/twin.js", &[], b"");
    assert_eq!(shell.status, 200);
    assert!(shell
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    // The renderer's wasm goes out as the .gz `make viewer` wrote beside it, compressed
    // once at build time; the shell, which has none, is gzipped as it is sent.
    let gz = std::fs::metadata(root().join("viewer/pkg/zhishen_render_bg.wasm.gz"))
        .expect("make viewer writes the wasm's .gz")
        .len();
    let wasm = send(
        a,
        "GET",
        "/twin-assets/zhishen_render_bg.wasm",
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(wasm.header("content-encoding"), Some("gzip"));
    assert_eq!(wasm.header("content-length"), Some(gz.to_string().as_str()));
    let js = send(
        a,
        "GET",
        "/twin-assets/twin.js",
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(js.header("content-encoding"), Some("gzip"));
    for bad in [
        "/twin-assets/..%2FCargo.toml",
        "/twin-assets/app.css",
        "/twin-assets/pkg%2Fzhishen_render.js",
    ] {
        assert_eq!(send(a, "GET", bad, &[], b"").status, 404, "{bad}");
    }
}

/// A review that fails: its report page embeds one snapshot per finding, and its BCF
/// has a topic per failed check, each with its `snapshot.png`.
#[test]
fn a_failing_review_report_carries_a_snapshot_per_finding_and_per_bcf_topic() {
    let svc = start(64 << 20);
    let a = svc.addr;
    let (case, app, clerk, zrzy) = case_at_the_permit(a, "审查不通过项目");
    permit_in_review(a, &case, (&app, &clerk, &zrzy));
    // Demo placement P7: across the east boundary of DK-05-4 (datasets/district); the
    // application declares a GFA of 1 m² (申报指标), which the model does not match.
    let ifc = std::fs::read(root().join(SUBMISSION)).unwrap();
    let path = format!(
        "/api/cases/{case}/items/JSGCGHXK/model?parcel=DK-05-4&place=528614.5,3386425,0&declared=gfa%3D1"
    );
    let r = app.post_raw(a, &path, &ifc);
    assert_eq!(r.status, 202, "{}", r.body);
    let job = r.json()["job_id"].as_i64().unwrap();
    let sse = zrzy.get(a, &format!("/api/jobs/{job}/events"));
    assert!(sse.body.contains("\"status\":\"done\""), "{}", sse.body);
    let c = zrzy.get(a, &format!("/api/cases/{case}")).json();
    let item = c["case"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "JSGCGHXK")
        .unwrap()
        .clone();
    let sha = item["reviews"][0]["report_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let rep = zrzy.get(a, &format!("/cases/{case}/reports/{sha}"));
    assert_eq!(rep.status, 200);
    let fails = rep.body.matches("class=\"r-fail\"").count();
    let findings = fails + rep.body.matches("class=\"r-unverifiable\"").count();
    assert!(fails >= 1, "P7 fails redline_containment and the setbacks");
    let shots = rep.body.matches("<figure id=\"snapshot-").count() - 1;
    assert_eq!(
        shots, findings,
        "one snapshot per finding, besides the plan"
    );
    assert!(rep
        .body
        .contains("id=\"snapshot-1\"><img class=\"snapshot\""));
    let bcf = zrzy.get(a, &format!("/cases/{case}/reports/{sha}/bcf"));
    assert_eq!(bcf.status, 200);
    // Each name stands in a local and a central zip header.
    assert_eq!(bcf.body.matches("/markup.bcf").count(), 2 * fails);
    assert_eq!(bcf.body.matches("/snapshot.png").count(), 2 * fails);
    // 申报指标核对: the declared GFA is a finding with both values.
    let declared = item["reviews"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "declared_gfa")
        .unwrap_or_else(|| panic!("declared_gfa finding: {item}"))
        .clone();
    let msg = declared["message"].as_str().unwrap();
    assert!(msg.contains("申报 declared 1 m2"), "{msg}");

    // 风险预警: the finished review wakes the risk sweep; the declared mismatch is high
    // (its rule and clause named), the failed planning checks medium.
    let sup = login(a, "demo-supervisor");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let page = loop {
        let p = sup.get(a, "/supervision");
        if p.body.contains("risk-high") || std::time::Instant::now() > deadline {
            break p;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let risky = &page.body[page.body.find("id=\"risky\"").unwrap()..];
    assert!(risky.contains("高风险") && risky.contains(&case), "{risky}");
    assert!(
        risky.contains("申报指标与模型不符") && risky.contains("第三十一条"),
        "{risky}"
    );
    assert!(risky.contains("自动审查不通过"), "{risky}");
    let events = zrzy.get(a, &format!("/api/cases/{case}/events")).body;
    assert_eq!(
        events.matches("\"kind\":\"risk_changed\"").count(),
        1,
        "{events}"
    );
    // Staff see it in the inbox; the applicant's side does not.
    let row = |home: &str| {
        let at = home.find(&format!("data-case=\"{case}\"")).unwrap();
        home[at..at + home[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row(&zrzy.get(a, "/").body).contains("高风险"));
    assert!(!row(&app.get(a, "/").body).contains("风险"));
    // Nobody but the system records a risk.
    let forged = serde_json::json!({"type": "record_risk", "assessment": {"level": "none", "rules": "x@1", "reasons": []}});
    assert_eq!(app.command(a, &case, forged.clone()).status, 403);
    assert_eq!(sup.command(a, &case, forged).status, 403);
}

/// The IDS gate 提交要求核查: the raw export of the demo house has no IfcMapConversion,
/// so its planning-permit model is sent back for 补正 with the reason before any planning
/// check runs; the IDS report is the item's review (page and BCF); the georeferenced
/// model handed in after the 补正 gets its planning review.
#[test]
fn a_model_without_georeferencing_is_sent_back_by_the_ids_gate() {
    let svc = start(64 << 20);
    let a = svc.addr;
    let (case, app, clerk, zrzy) = case_at_the_permit(a, "缺地理参照项目");
    let ok = |r: Resp| assert_eq!(r.status, 200, "{}", r.body);
    permit_in_review(a, &case, (&app, &clerk, &zrzy));
    let upload = |model: &str| {
        let ifc = std::fs::read(root().join(model)).unwrap();
        let r = app.post_raw(
            a,
            &format!(
                "/api/cases/{case}/items/JSGCGHXK/model?parcel=DK-05-1&place=528496,3386425,0"
            ),
            &ifc,
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let job = r.json()["job_id"].as_i64().unwrap();
        zrzy.get(a, &format!("/api/jobs/{job}/events")).body
    };
    let sse = upload("datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc");
    assert!(sse.contains("\"status\":\"failed\""), "{sse}");
    assert!(sse.contains("补正") && sse.contains("GH-04"), "{sse}");
    let item = |c: &serde_json::Value| {
        c["case"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "JSGCGHXK")
            .unwrap()
            .clone()
    };
    let it = item(&zrzy.get(a, &format!("/api/cases/{case}")).json());
    assert_eq!(it["state"]["state"], "supplementing", "{it}");
    assert_eq!(it["requested"], serde_json::json!(["BIM"]), "{it}");
    // The only review is the IDS result: one finding, the georeferencing spec; no
    // planning check ran.
    let reviews = it["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{it}");
    let ids: Vec<&str> = reviews[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ids:GH-04"], "{it}");
    let events = zrzy.get(a, &format!("/api/cases/{case}/events")).body;
    let note_at = events
        .find("\"kind\":\"supplement_requested\"")
        .expect("a 补正 request");
    let tail = &events[note_at..];
    assert!(
        tail.contains("地理参照") && tail.contains("IfcMapConversion"),
        "{tail}"
    );
    // The report page is the IDS report, under the report policy; its BCF has a topic.
    let sha = reviews[0]["report_sha256"].as_str().unwrap();
    let page = zrzy.get(a, &format!("/cases/{case}/reports/{sha}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("GH-04") && page.body.contains("不通过"),
        "{}",
        page.body
    );
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));
    let bcf = zrzy.get(a, &format!("/cases/{case}/reports/{sha}/bcf"));
    assert_eq!(bcf.status, 200);
    assert!(bcf.body.contains("markup.bcf"));
    // The applicant sees why on the case page.
    assert!(app.get(a, &format!("/cases/{case}")).body.contains("GH-04"));
    // 补正 done, the georeferenced model passes the gate and is reviewed.
    ok(app.command(
        a,
        &case,
        serde_json::json!({"type": "supplement_done", "item": "JSGCGHXK", "materials": ["BIM"]}),
    ));
    let sse = upload(SUBMISSION);
    assert!(sse.contains("\"status\":\"done\""), "{sse}");
    let it = item(&zrzy.get(a, &format!("/api/cases/{case}")).json());
    let reviews = it["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 2, "{it}");
    assert!(
        reviews[1]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["check_id"].as_str().unwrap().starts_with("ids:")),
        "{it}"
    );
}

/// HTTPS: a self-signed certificate made with openssl; the pages come over TLS with
/// HSTS, the session cookie is Secure, and plain HTTP to the TLS port gets nothing.
#[test]
fn tls_serves_with_hsts_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let svc = start_with(1 << 20, Some((cert.clone(), key)));
    let url = format!("https://{}/login", svc.addr);
    let out = std::process::Command::new("curl")
        .args(["-s", "-D", "-", "-o", "/dev/null", "--cacert"])
        .arg(&cert)
        .arg(&url)
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("strict-transport-security: max-age="),
        "{head}"
    );
    assert!(
        head.contains("set-cookie: zs_pre=") && head.contains("; secure"),
        "{head}"
    );
    // Plain HTTP to the TLS port is not answered as HTTP.
    let r = send(svc.addr, "GET", "/login", &[], b"");
    assert_eq!(r.status, 0, "plain HTTP must not be served: {}", r.body);
}

/// Designer pre-check: a model checked against a parcel with no case, the report in
/// the page and as HTML, JSON and BCF downloads, visible to the enterprise only.
#[test]
fn a_designer_prechecks_a_model_and_only_its_enterprise_sees_it() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let s = login(a, "demo-applicant");
    let page = s.get(a, "/precheck");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"parcel-map\"") && page.body.contains("DK-05-1"),
        "the parcel map"
    );
    let ifc =
        std::fs::read(root().join("datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc")).unwrap();
    let r = s.post_raw(a, "/api/precheck?parcel=NOPE-1", &ifc);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("NOPE-1"));
    let r = s.post_raw(
        a,
        "/api/precheck?parcel=DK-05-1&place=528496,3386425,0",
        &ifc,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let row = r.json();
    let id = row["id"].as_str().unwrap().to_string();
    assert!(["pass", "fail", "unverifiable"].contains(&row["verdict"].as_str().unwrap()));
    let rep = s.get(a, &format!("/precheck/{id}"));
    assert_eq!(rep.status, 200);
    assert!(rep.body.contains("规划审查报告"));
    assert!(rep
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));
    let json = s.get(a, &format!("/precheck/{id}/json"));
    assert_eq!(
        json.json()["parcel"]["id"],
        "DK-05-1",
        "{}",
        json.body.chars().take(300).collect::<String>()
    );
    let bcf = s.get(a, &format!("/precheck/{id}/bcf"));
    assert_eq!(bcf.status, 200);
    assert!(bcf
        .header("content-disposition")
        .unwrap()
        .contains(".bcfzip"));
    assert!(s.get(a, "/precheck").body.contains(&id), "listed");
    // Another enterprise: not found, and not listed.
    let other = login(a, "b-applicant");
    assert_eq!(other.get(a, &format!("/precheck/{id}")).status, 404);
    assert_eq!(other.get(a, &format!("/precheck/{id}/json")).status, 404);
    assert!(!other.get(a, "/precheck").body.contains(&id));
}

/// Demo mode: the sign-in page offers every role, and each lands on its own signed-in
/// page; without demo mode the same request is refused.
#[test]
fn demo_mode_signs_in_as_every_role() {
    let svc = start_demo();
    let a = svc.addr;
    for role in WebRole::ALL {
        let page = send(a, "GET", "/login", &[], b"");
        assert!(
            page.body.contains(&format!("value=\"{}\"", role.as_str())),
            "{role:?} offered"
        );
        let pre = page.cookie("zs_pre").unwrap();
        let csrf = hidden_csrf(&page.body).unwrap();
        let r = send(
            a,
            "POST",
            "/login/demo",
            &[FORM, ("Cookie", &format!("zs_pre={pre}"))],
            &form(&[("csrf", &csrf), ("role", role.as_str())]),
        );
        assert_eq!(r.status, 303, "{role:?}: {}", r.body);
        let cookie = format!("zs_session={}", r.cookie("zs_session").unwrap());
        let home = send(a, "GET", "/", &[("Cookie", &cookie)], b"");
        assert_eq!(home.status, 200);
        assert!(
            home.body.contains(role.label_zh()),
            "{role:?} home shows the role"
        );
        for (href, _, _) in nav_of(role) {
            let r = send(a, "GET", href, &[("Cookie", &cookie)], b"");
            assert_eq!(r.status, 200, "{role:?} {href}");
        }
    }
    // Not in demo mode: refused.
    let plain = start(1 << 20);
    let page = send(plain.addr, "GET", "/login", &[], b"");
    assert!(!page.body.contains("/login/demo"));
    let pre = page.cookie("zs_pre").unwrap();
    let csrf = hidden_csrf(&page.body).unwrap();
    let r = send(
        plain.addr,
        "POST",
        "/login/demo",
        &[FORM, ("Cookie", &format!("zs_pre={pre}"))],
        &form(&[("csrf", &csrf), ("role", "sys_admin")]),
    );
    assert_eq!(r.status, 404);
}

fn nav_of(role: WebRole) -> Vec<(&'static str, &'static str, &'static str)> {
    zhishen_server::pages::Page {
        lang: zhishen_server::guard::Lang::Zh,
        user: Some(zhishen_app::auth::Principal {
            user_id: "x".into(),
            display_name: "x".into(),
            role,
            enterprise: None,
            dept: None,
            region: "440300".into(),
        }),
        csrf: String::new(),
        title: String::new(),
    }
    .nav()
}

/// An agent (代办) acts on its enterprise's case for the applicant: the event names
/// the agent as actor and the applicant it acted for, under the hash chain.
#[test]
fn an_agent_acts_for_its_enterprise_and_the_chain_records_it() {
    let svc = start(8 << 20);
    let a = svc.addr;
    let owner = login(a, "demo-applicant");
    let case = create_case(&owner, a, "代办项目");
    let agent = login(a, "demo-agent");
    let r = agent.command(
        a,
        &case,
        serde_json::json!({"type": "submit", "item": "XMBA", "materials": ["BAXX"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Another enterprise's applicant is not this case's agent.
    let other = login(a, "b-applicant");
    let r = other.command(
        a,
        &case,
        serde_json::json!({"type": "withdraw", "item": "XMBA", "reason": "x"}),
    );
    assert_eq!(r.status, 404);
    let (actor, obo): (String, Option<String>) = svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        let row = sqlx::query_as("SELECT actor_id, on_behalf_of FROM case_event WHERE case_id = $1 AND kind = 'item_received'")
            .bind(&case)
            .fetch_one(store.pool())
            .await
            .unwrap();
        store.close().await;
        row
    });
    assert_eq!(
        (actor.as_str(), obo.as_deref()),
        ("demo-agent", Some("demo-applicant"))
    );
    let auditor = login(a, "demo-auditor");
    let v = auditor.get(a, "/api/audit/verify").json();
    assert_eq!(v["event_chain_intact"], true, "{v}");
    // An attacker who drops the append-only trigger and rewrites whom the agent
    // acted for is caught by the chain.
    svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        sqlx::query("DROP TRIGGER case_event_no_update").execute(store.pool()).await.unwrap();
        sqlx::query("UPDATE case_event SET on_behalf_of = 'someone-else' WHERE case_id = $1 AND kind = 'item_received'")
            .bind(&case)
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    });
    let v = auditor.get(a, "/api/audit/verify").json();
    assert_eq!(v["event_chain_intact"], false, "{v}");
}

/// 信用分级 over HTTP: an enterprise graded D (two false declarations, hand-computed
/// 100 − 2 × 30 = 40) sees its own grade whatever enterprise it names; its applicant
/// objects; a supervisor amends the grade to C. Attacks that must fail: a reviewer
/// reading credit, an objection without the CSRF token, an agent objecting, an
/// applicant deciding, a second decision with no objection open.
#[test]
fn an_enterprise_objects_to_its_grade_and_a_supervisor_decides() {
    use zhishen_workflow::credit::{CreditActor, CreditCommand, FactKind};
    let svc = start(1 << 20);
    let a = svc.addr;
    let ent = zhishen_app::demo::DEMO_ENTERPRISE;
    svc.rt.block_on(async {
        let store = zhishen_store::Store::open(&svc.db).await.unwrap();
        let e = zhishen_workflow::EnterpriseId::new(ent).unwrap();
        let sup = CreditActor {
            id: "demo-supervisor".into(),
            role: zhishen_workflow::Role::Supervisor,
            enterprise: None,
        };
        for k in ["fact-1", "fact-2"] {
            let fact = CreditCommand::RecordFact {
                fact: FactKind::FalseDeclaration,
                case_id: None,
                note: "伪造证明".into(),
            };
            let rid = zhishen_workflow::RequestId::new(k).unwrap();
            zhishen_app::credit::execute(&store, &e, &fact, &sup, &rid)
                .await
                .unwrap();
        }
        let rules = zhishen_app::credit::rules().unwrap();
        let rid = zhishen_workflow::RequestId::new("grade-1").unwrap();
        let ex = zhishen_app::credit::regrade(&store, &e, &rules, &sup, &rid)
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(ex.state.grade).unwrap(), "D");
        store.close().await;
    });
    let app = login(a, "demo-applicant");
    let sup = login(a, "demo-supervisor");
    let mine = app.get(a, "/api/credit?enterprise=someone-else").json();
    assert_eq!(mine["enterprise"], ent, "{mine}");
    assert_eq!(mine["state"]["grade"], "D", "{mine}");
    assert_eq!(mine["state"]["assessment"]["score"], 40, "{mine}");
    assert_eq!(login(a, "demo-reviewer").get(a, "/api/credit").status, 403);
    assert_eq!(
        sup.get(a, "/api/credit").status,
        400,
        "a supervisor names the enterprise"
    );
    let path = format!("/api/credit?enterprise={}", urlencode(ent));
    assert_eq!(sup.get(a, &path).json()["state"]["grade"], "D");
    // No CSRF token: refused, nothing recorded.
    let body = serde_json::json!({"reason": "两次虚假申报系同一事项重复计数"});
    let r = send(
        a,
        "POST",
        "/api/credit/objection",
        &[
            ("Cookie", app.cookie.as_str()),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        login(a, "demo-agent")
            .post_json(a, "/api/credit/objection", &body)
            .status,
        403
    );
    let r = app.post_json(a, "/api/credit/objection", &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"]["open_objection"], 1, "{}", r.body);
    let decision = format!("/api/credit/{}/decision", urlencode(ent));
    let amend = serde_json::json!({"decision": "amend", "grade": "C", "reason": "核实为重复计数"});
    assert_eq!(app.post_json(a, &decision, &amend).status, 403);
    let r = sup.post_json(a, &decision, &amend);
    assert_eq!(r.status, 200, "{}", r.body);
    let after = r.json();
    assert_eq!(after["state"]["grade"], "C", "{after}");
    assert!(after["state"]["open_objection"].is_null(), "{after}");
    let r = sup.post_json(
        a,
        &decision,
        &serde_json::json!({"decision": "uphold", "reason": "再次"}),
    );
    assert_eq!(r.status, 422, "no objection open: {}", r.body);
    // The applicant reads the amended grade and the stream's events.
    let mine = app.get(a, "/api/credit").json();
    assert_eq!(mine["state"]["grade"], "C", "{mine}");
    assert!(mine["events"].as_array().unwrap().len() >= 5, "{mine}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `docs/routes.md` is the route table as a route × role matrix; this test writes it
/// with `ZHISHEN_BLESS=1` and otherwise fails when it differs from the code.
#[test]
fn docs_routes_md_is_the_route_table() {
    let mut md = String::from(
        "# Routes and roles\n\nGenerated from `crates/server/src/routes.rs` by the test \
         `docs_routes_md_is_the_route_table` (`ZHISHEN_BLESS=1` rewrites it). ✓ = the guard lets \
         the role through; the workflow and the case scope may still refuse (a case outside the \
         caller's scope is 404). Anonymous callers get 401 (API) or a redirect to `/login` \
         (pages) on every route that is not public.\n\n| method | path | action |",
    );
    for r in WebRole::ALL {
        md.push_str(&format!(" {} |", r.as_str()));
    }
    md.push_str("\n|---|---|---|");
    for _ in WebRole::ALL {
        md.push_str(":-:|");
    }
    md.push('\n');
    for spec in ROUTES {
        md.push_str(&format!(
            "| {} | `{}` | {} |",
            spec.method, spec.path, spec.action
        ));
        for r in WebRole::ALL {
            let cell = match spec.access {
                Access::Public => "public",
                a if a.allows(Some(r)) => "✓",
                _ => "",
            };
            md.push_str(&format!(" {cell} |"));
        }
        md.push('\n');
    }
    let path = root().join("docs/routes.md");
    if std::env::var("ZHISHEN_BLESS").is_ok() {
        std::fs::write(&path, &md).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(on_disk == md, "docs/routes.md is stale: run ZHISHEN_BLESS=1 cargo test -p zhishen-server --test api docs_routes");
}
