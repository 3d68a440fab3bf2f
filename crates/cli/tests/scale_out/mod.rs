//! Scale-out: two `zhishen serve` processes over ONE PostgreSQL database, shared
//! blobs, workers on in both. Commands go over HTTP with bearer tokens, alternating
//! between the servers, many at once, some retried against the other server with
//! the same request id; review jobs are picked up by both workers; one server is
//! killed with SIGKILL right after it claimed a job, and the other takes the job
//! over when the lease runs out. Checked: every command is stored exactly once,
//! every case's events are gap-free (`zhishen audit verify`), every job ran once
//! (and the interrupted one finished once, by the survivor).
//!
//! Runs when `ZHISHEN_TEST_PG_URL` is set (`make test` sets it). No timing is
//! asserted: waits have generous deadlines only so that a hang fails instead of
//! blocking the suite.

use crate::common::{fresh_pg_db, repo, BIN};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Scale-out-test-2026";
/// Cases driven concurrently (one client thread each).
const CASES: usize = 16;
/// Cases that get a review job while both workers run.
const REVIEWED: usize = 6;
/// The review lease of both servers; a claim is renewed every quarter of it.
const LEASE_SECS: &str = "5";
const PLACE: &str = "parcel=DK-05-1&place=528496,3386425,0";

/// A `zhishen serve` child; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Drops terminal colour sequences from a log line.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The job id of a "review job claimed" log line.
fn claimed_job(line: &str) -> Option<i64> {
    let line = plain(line);
    if !line.contains("review job claimed") {
        return None;
    }
    let at = line.find("job=")? + 4;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Starts `zhishen serve` on a free loopback port; job claims it logs are sent to
/// `claims` as (server number, job id).
fn serve(
    n: usize,
    url: &str,
    cwd: &Path,
    blobs: &Path,
    claims: mpsc::Sender<(usize, i64)>,
) -> Server {
    let district = repo().join("datasets/district");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--db",
            url,
            "--addr",
            "127.0.0.1:0",
            "--parcel",
            "DK-05-1",
        ])
        .arg("--site")
        .arg(&district)
        .env("ZHISHEN_BLOB_DIR", blobs)
        .env("ZHISHEN_REVIEW_LEASE_SECS", LEASE_SECS)
        .env("ZHISHEN_LOG", "warn,zhishen_app::review=info")
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zhishen serve");
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("serving on http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default().to_string();
                let _ = tx.send(addr);
            }
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            match claimed_job(&line) {
                Some(job) => {
                    let _ = claims.send((n, job));
                }
                None => eprintln!("[server {n}] {}", plain(&line)),
            }
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(a) => a.parse().expect("bound address"),
        Err(_) => {
            let _ = child.kill();
            panic!("server {n} did not start: {:?}", child.wait());
        }
    };
    Server { child, addr }
}

struct Resp {
    status: u16,
    body: String,
}

impl Resp {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One HTTP/1.1 request with a bearer token (no cookie, so no CSRF token).
fn http(addr: SocketAddr, method: &str, path: &str, token: &str, ty: &str, body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Resp {
        status,
        body: body.to_string(),
    }
}

fn post_json(addr: SocketAddr, path: &str, token: &str, v: &serde_json::Value) -> Resp {
    http(
        addr,
        "POST",
        path,
        token,
        "application/json",
        v.to_string().as_bytes(),
    )
}

fn zhishen(args: &[&str], cwd: &Path) -> String {
    let o = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("ZHISHEN_PASSWORD", PASSWORD)
        // The servers' blob store: `case publish` stores the catalogue's IDS there.
        .env("ZHISHEN_BLOB_DIR", cwd.join("blobs"))
        .output()
        .expect("run zhishen");
    assert!(
        o.status.success(),
        "zhishen {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The callers: (user id, role, enterprise or dept flag).
const USERS: &[(&str, &str, &[&str])] = &[
    (
        "so-applicant",
        "applicant",
        &["--enterprise", "扩容测试置业有限公司"],
    ),
    ("so-clerk", "clerk", &[]),
    ("so-fgw", "reviewer", &["--dept", "fgw"]),
    ("so-zrzy", "reviewer", &["--dept", "zrzy"]),
];

struct Tokens {
    applicant: String,
    clerk: String,
    fgw: String,
    zrzy: String,
}

fn users_and_tokens(url: &str, cwd: &Path) -> Tokens {
    let mut t = BTreeMap::new();
    for (id, role, extra) in USERS {
        let mut args = vec![
            "user", "add", "--db", url, "--id", id, "--name", id, "--role", role, "--region",
            "440300",
        ];
        args.extend_from_slice(extra);
        zhishen(&args, cwd);
        let token = zhishen(&["user", "token", "--db", url, "--id", id], cwd);
        t.insert(*id, token.trim().to_string());
    }
    Tokens {
        applicant: t["so-applicant"].clone(),
        clerk: t["so-clerk"].clone(),
        fgw: t["so-fgw"].clone(),
        zrzy: t["so-zrzy"].clone(),
    }
}

/// The commands that take a fresh case to JSGCGHXK accepted (a BIM review may be
/// recorded then): each item before it submitted, accepted, processed and passed.
fn to_review(t: &Tokens) -> Vec<(String, serde_json::Value)> {
    use serde_json::json;
    let mut steps = Vec::new();
    for (item, materials, reviewer) in [
        ("XMBA", json!(["BAXX"]), &t.fgw),
        ("JSYDGHXK", json!(["SQB", "CRHT", "HXT"]), &t.zrzy),
        ("SJFASC", json!(["FAWB", "BIM"]), &t.zrzy),
    ] {
        steps.push((
            t.applicant.clone(),
            json!({"type": "submit", "item": item, "materials": materials}),
        ));
        steps.push((t.clerk.clone(), json!({"type": "accept", "item": item})));
        steps.push((
            reviewer.clone(),
            json!({"type": "start_processing", "item": item}),
        ));
        steps.push((
            reviewer.clone(),
            json!({"type": "conclude", "item": item, "outcome": "pass", "opinion": "同意"}),
        ));
    }
    steps.push((
        t.applicant.clone(),
        json!({"type": "submit", "item": "JSGCGHXK", "materials": ["SQB", "ZPT", "BIM", "DZBG"]}),
    ));
    steps.push((
        t.clerk.clone(),
        json!({"type": "accept", "item": "JSGCGHXK"}),
    ));
    steps
}

/// What one client thread did: its case and the request ids the servers acknowledged.
struct Driven {
    case: String,
    acked: Vec<String>,
    retries: usize,
}

/// Opens a case and drives it to review, alternating servers per request; every
/// third request is sent again to the other server with the same request id and
/// must replay.
fn drive(i: usize, addrs: [SocketAddr; 2], t: &Tokens, start: &Barrier) -> Driven {
    start.wait();
    let mut acked = Vec::new();
    let mut retries = 0;
    let rid = format!("so-create-{i}");
    let body = serde_json::json!({
        "project_code": "2612-440300-04-01-000009",
        "project_name": format!("扩容测试项目 {i}"),
        "request_id": rid,
    });
    let r = post_json(addrs[i % 2], "/api/cases", &t.applicant, &body);
    assert_eq!(r.status, 201, "create {i}: {}", r.body);
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    acked.push(rid);
    if i.is_multiple_of(3) {
        let again = post_json(addrs[(i + 1) % 2], "/api/cases", &t.applicant, &body);
        assert_eq!(again.status, 201, "create {i} again: {}", again.body);
        assert_eq!(
            again.json()["case_id"].as_str(),
            Some(case.as_str()),
            "a retried create names the case it opened"
        );
        retries += 1;
    }
    let path = format!("/api/cases/{case}/commands");
    for (k, (token, cmd)) in to_review(t).into_iter().enumerate() {
        let rid = format!("so-{i}-{k}");
        let body = serde_json::json!({"request_id": rid, "command": cmd});
        let r = post_json(addrs[(i + k) % 2], &path, &token, &body);
        assert_eq!(r.status, 200, "case {i} step {k} {cmd}: {}", r.body);
        let first = r.json();
        assert_eq!(first["replayed"], false, "{first}");
        acked.push(rid);
        if (i + k).is_multiple_of(3) {
            let again = post_json(addrs[(i + k + 1) % 2], &path, &token, &body);
            assert_eq!(again.status, 200, "case {i} step {k} again: {}", again.body);
            let v = again.json();
            assert_eq!(v["replayed"], true, "{v}");
            assert_eq!(v["events"], first["events"], "{v}");
            retries += 1;
        }
    }
    Driven {
        case,
        acked,
        retries,
    }
}

/// SQL and store reads from the test.
struct Db {
    rt: tokio::runtime::Runtime,
    store: zhishen_store::Store,
}

impl Db {
    fn open(url: &str) -> Db {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = rt.block_on(zhishen_store::Store::open(url)).unwrap();
        Db { rt, store }
    }
    fn strings(&self, sql: &str, arg: &str) -> Vec<String> {
        self.rt
            .block_on(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                    .bind(arg.to_string())
                    .fetch_all(self.store.pool()),
            )
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
    fn count(&self, sql: &str, arg: &str) -> i64 {
        self.rt
            .block_on(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                    .bind(arg.to_string())
                    .fetch_one(self.store.pool()),
            )
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
    fn job(&self, id: i64) -> zhishen_store::ReviewJob {
        self.rt
            .block_on(self.store.review_job(id))
            .unwrap()
            .unwrap_or_else(|| panic!("job {id} missing"))
    }
    /// Waits until the job is done or failed (the deadline only stops a hang).
    fn finished(&self, id: i64) -> zhishen_store::ReviewJob {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let j = self.job(id);
            if matches!(
                j.status,
                zhishen_store::ReviewStatus::Done | zhishen_store::ReviewStatus::Failed
            ) {
                return j;
            }
            assert!(Instant::now() < deadline, "job {id} never finished: {j:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    /// Each case's events are 1..=seq with no gap, matching its projection.
    fn gap_free(&self, case: &str) {
        let id = zhishen_workflow::CaseId::new(case).unwrap();
        let evs = self.rt.block_on(self.store.events(&id)).unwrap();
        let proj = self.rt.block_on(self.store.case(&id)).unwrap().unwrap();
        let seqs: Vec<u64> = evs.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=proj.seq).collect::<Vec<_>>(), "case {case}");
    }
}

/// Uploads the small model for the case's JSGCGHXK review; returns the job id.
fn upload(addr: SocketAddr, case: &str, token: &str, model: &[u8]) -> i64 {
    let r = http(
        addr,
        "POST",
        &format!("/api/cases/{case}/items/JSGCGHXK/model?{PLACE}"),
        token,
        "application/octet-stream",
        model,
    );
    assert_eq!(r.status, 202, "upload to {case}: {}", r.body);
    r.json()["job_id"].as_i64().unwrap()
}

/// The review of job `id` is recorded exactly once on its case.
fn recorded_once(db: &Db, id: i64) {
    let kinds = db.strings(
        "SELECT kind FROM case_event WHERE request_id = $1",
        &format!("review-job:{id}"),
    );
    assert_eq!(kinds, vec!["review_recorded".to_string()], "job {id}");
}

fn audit_verify(url: &str, cwd: &Path) {
    let out = zhishen(&["audit", "verify", "--db", url], cwd);
    assert!(out.contains("intact"), "{out}");
}

pub fn two_servers_on_one_postgres(base: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let blobs: PathBuf = cwd.join("blobs");
    let url = fresh_pg_db(base, "scale");
    let assets = repo().join("assets");
    zhishen(
        &[
            "case",
            "publish",
            "--db",
            &url,
            "--defs",
            assets.to_str().unwrap(),
        ],
        cwd,
    );
    let tokens = Arc::new(users_and_tokens(&url, cwd));
    // Both start at once, as after a deploy: migrations, the site package blob and
    // the workers must not trip over each other.
    let (claims_tx, claims) = mpsc::channel();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| serve(0, &url, cwd, &blobs, claims_tx.clone()));
        let b = s.spawn(|| serve(1, &url, cwd, &blobs, claims_tx.clone()));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut servers = [Some(a), Some(b)];
    let addrs = [
        servers[0].as_ref().unwrap().addr,
        servers[1].as_ref().unwrap().addr,
    ];
    let db = Db::open(&url);

    // 1. Commands: CASES clients at once, alternating servers, some retried.
    let start = Arc::new(Barrier::new(CASES));
    let handles: Vec<_> = (0..CASES)
        .map(|i| {
            let t = tokens.clone();
            let start = start.clone();
            std::thread::spawn(move || drive(i, addrs, &t, &start))
        })
        .collect();
    let driven: Vec<Driven> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let acked: BTreeSet<String> = driven.iter().flat_map(|d| d.acked.clone()).collect();
    let retries: usize = driven.iter().map(|d| d.retries).sum();
    assert_eq!(acked.len(), CASES * (1 + to_review(&tokens).len()));
    let stored: BTreeSet<String> = db
        .strings(
            "SELECT request_id FROM command_request WHERE request_id LIKE $1",
            "so-%",
        )
        .into_iter()
        .collect();
    assert_eq!(stored, acked, "every acknowledged command stored, once");
    for d in &driven {
        db.gap_free(&d.case);
    }
    let cases: BTreeSet<&str> = driven.iter().map(|d| d.case.as_str()).collect();
    assert_eq!(cases.len(), CASES, "no retry opened a second case");
    for addr in addrs {
        let r = http(
            addr,
            "GET",
            "/api/cases",
            &tokens.applicant,
            "application/json",
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let listed: BTreeSet<String> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["case"]["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            listed,
            cases.iter().map(|c| c.to_string()).collect(),
            "both servers list the same cases"
        );
    }
    eprintln!(
        "scale-out: {} commands over 2 servers, {retries} retried on the other server",
        acked.len()
    );
    audit_verify(&url, cwd);

    // 2. Review jobs while both workers run: each runs once.
    // The house as submitted: it meets the planning permit's IDS gate.
    let model = std::fs::read(repo().join("datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc"))
        .unwrap();
    let jobs: Vec<i64> = driven[..REVIEWED]
        .iter()
        .enumerate()
        .map(|(i, d)| upload(addrs[i % 2], &d.case, &tokens.applicant, &model))
        .collect();
    for &id in &jobs {
        let j = db.finished(id);
        assert_eq!(
            j.status,
            zhishen_store::ReviewStatus::Done,
            "job {id}: {j:?}"
        );
        assert_eq!(j.attempts, 1, "job {id} ran more than once: {j:?}");
        recorded_once(&db, id);
    }
    for d in &driven[..REVIEWED] {
        let n = db.count(
            "SELECT COUNT(*) FROM case_event WHERE case_id = $1 AND kind = 'review_recorded'",
            &d.case,
        );
        assert_eq!(n, 1, "case {}: one review per job", d.case);
        db.gap_free(&d.case);
    }
    // The claim log lines (read from the servers' stderr) of every job, then any
    // further claim already logged.
    let mut seen = Vec::new();
    while let Some(missing) = jobs.iter().find(|j| !seen.iter().any(|(_, s)| s == *j)) {
        let c = claims
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("no claim logged for job {missing}"));
        seen.push(c);
    }
    seen.extend(claims.try_iter());
    let mut by_server = [0usize; 2];
    let mut claimed = BTreeMap::new();
    for (n, job) in seen {
        by_server[n] += 1;
        *claimed.entry(job).or_insert(0) += 1;
    }
    for id in &jobs {
        assert_eq!(
            claimed.get(id),
            Some(&1),
            "job {id} claimed once: {claimed:?}"
        );
    }
    eprintln!(
        "scale-out: {} review jobs, claimed by server 0: {}, server 1: {}",
        jobs.len(),
        by_server[0],
        by_server[1]
    );

    // 3. SIGKILL the server running a job: the other takes it over after the lease.
    let victim_case = &driven[REVIEWED].case;
    let job = upload(addrs[0], victim_case, &tokens.applicant, &model);
    let (runner, got) = claims
        .recv_timeout(Duration::from_secs(300))
        .expect("nobody claimed the job");
    assert_eq!(got, job);
    drop(servers[runner].take());
    let j = db.job(job);
    assert_eq!(
        j.status,
        zhishen_store::ReviewStatus::Running,
        "killed mid-job: {j:?}"
    );
    assert_eq!(j.attempts, 1);
    let survivor = 1 - runner;
    let (taker, again) = claims
        .recv_timeout(Duration::from_secs(300))
        .expect("the job was not taken over");
    assert_eq!(
        (taker, again),
        (survivor, job),
        "the survivor takes it over"
    );
    let j = db.finished(job);
    assert_eq!(j.status, zhishen_store::ReviewStatus::Done, "{j:?}");
    assert_eq!(j.attempts, 2, "{j:?}");
    recorded_once(&db, job);
    db.gap_free(victim_case);
    eprintln!("scale-out: job {job} of killed server {runner} finished by server {survivor}");

    // A restarted server answers retries of requests the killed one acknowledged.
    let back = serve(runner, &url, cwd, &blobs, claims_tx);
    for (i, d) in driven.iter().enumerate() {
        let body = serde_json::json!({
            "project_code": "2612-440300-04-01-000009",
            "project_name": format!("扩容测试项目 {i}"),
            "request_id": d.acked[0],
        });
        let r = post_json(back.addr, "/api/cases", &tokens.applicant, &body);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["case_id"].as_str(), Some(d.case.as_str()));
    }
    let r = http(
        back.addr,
        "GET",
        &format!("/api/cases/{victim_case}"),
        &tokens.zrzy,
        "application/json",
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let item = r.json()["case"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "JSGCGHXK")
        .cloned()
        .unwrap();
    assert_eq!(item["reviews"].as_array().unwrap().len(), 1, "{item}");
    let n = db.count(
        "SELECT COUNT(*) FROM command_request WHERE request_id LIKE $1",
        "so-%",
    );
    assert_eq!(n as usize, acked.len(), "retries stored nothing new");
    audit_verify(&url, cwd);
    drop(back);
    drop(servers);
    db.rt.block_on(db.store.close());
}
