//! The outbox relay against a real HTTP receiver on 127.0.0.1 (a minimal hand-written
//! HTTP/1.1 server that deduplicates by `Idempotency-Key`, like the exchange does), on
//! SQLite and, when `ZHISHEN_TEST_PG_URL` is set, PostgreSQL: order and exactly-once
//! through 500s, a dead receiver and a lost answer; backoff; signatures; poison rows;
//! the relay lease; `run_relay` and shutdown.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zhishen_app::exchange::{
    relay_once, run_relay, verify_delivery, DeliveryHeaders, Ed25519Signer, ExchangeConfig,
    RelayReport, Signer, TrustedKeys,
};
use zhishen_store::{FixedClock, OutboxRow, OutboxState, Store};
use zhishen_workflow::{demo, Actor, CaseId, Command, RequestId, Role};

// ------------------------------------------------------------------ receiver

/// One request as the receiver got it.
#[derive(Debug, Clone)]
struct Got {
    key: String,
    body: Vec<u8>,
    verified: bool,
}

/// What the receiver does with the next request(s).
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Answer this status, keep nothing.
    Status(u16),
    /// Keep the message, then close the connection without answering.
    AcceptThenDrop,
}

#[derive(Default)]
struct Seen {
    /// Every request that arrived.
    raw: Vec<Got>,
    /// Kept messages, deduplicated by Idempotency-Key, in arrival order.
    accepted: Vec<Got>,
    /// Keys that arrived again after being kept.
    duplicates: Vec<String>,
    /// Scripted answers for the next requests (then: keep and 200).
    script: VecDeque<Act>,
    /// Keys always answered with this status.
    refuse: HashMap<String, u16>,
}

struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    keys: Arc<TrustedKeys>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    async fn start(keys: TrustedKeys) -> Receiver {
        let mut r = Receiver {
            addr: "127.0.0.1:0".parse().unwrap(),
            seen: Arc::default(),
            keys: Arc::new(keys),
            task: None,
        };
        r.up().await;
        r
    }

    fn url(&self) -> String {
        format!("http://{}/gg/exchange", self.addr)
    }

    /// Listens (again, on the same port once it has one).
    async fn up(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("bind receiver");
        self.addr = listener.local_addr().unwrap();
        let (seen, keys) = (self.seen.clone(), self.keys.clone());
        self.task = Some(tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, seen.clone(), keys.clone()));
            }
        }));
    }

    /// Stops listening: connections are refused until `up`.
    async fn down(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }
}

/// Reads one HTTP/1.1 request: (lower-case headers, body). None on a short read.
async fn read_request(conn: &mut TcpStream) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = buf[end..].to_vec();
    while body.len() < len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, body))
}

async fn serve(mut conn: TcpStream, seen: Arc<Mutex<Seen>>, keys: Arc<TrustedKeys>) {
    let Some((h, body)) = read_request(&mut conn).await else {
        return;
    };
    let get = |k: &str| h.get(k).cloned().unwrap_or_default();
    let key = get("idempotency-key");
    let verified = verify_delivery(
        &keys,
        &DeliveryHeaders {
            topic: &get("x-zhishen-topic"),
            idempotency_key: &key,
            key_id: &get("x-zhishen-key-id"),
            signature: &get("x-zhishen-signature"),
        },
        &body,
    );
    let got = Got {
        key: key.clone(),
        body,
        verified,
    };
    let status = {
        let mut s = seen.lock().unwrap();
        s.raw.push(got.clone());
        let act = match s.refuse.get(&key) {
            Some(&code) => Some(Act::Status(code)),
            None => s.script.pop_front(),
        };
        match act {
            Some(Act::Status(code)) => code,
            Some(Act::AcceptThenDrop) => {
                s.accepted.push(got);
                0
            }
            None => {
                if s.accepted.iter().any(|a| a.key == key) {
                    s.duplicates.push(key);
                } else {
                    s.accepted.push(got);
                }
                200
            }
        }
    };
    if status == 0 {
        return; // the connection closes without an answer
    }
    let text = if status == 200 { "ok" } else { "nope" };
    let resp = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = conn.write_all(resp.as_bytes()).await;
    let _ = conn.shutdown().await;
}

// --------------------------------------------------------------------- store

struct Db {
    store: Store,
    clock: Arc<FixedClock>,
    label: &'static str,
    _dir: tempfile::TempDir,
}

fn start_time() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap()
}

async fn open(url: String, label: &'static str, dir: tempfile::TempDir) -> Db {
    let clock = Arc::new(FixedClock::new(start_time()));
    let store = Store::open(&url)
        .await
        .expect("open store")
        .with_clock(clock.clone())
        .with_blob_dir(dir.path().join("blobs"));
    store
        .publish_definitions(
            demo::CATALOGUE,
            demo::PROCESS,
            &[demo::CALENDAR_2025, demo::CALENDAR_2026],
        )
        .await
        .expect("publish demo definitions");
    Db {
        store,
        clock,
        label,
        _dir: dir,
    }
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("z.db").display());
    open(url, "sqlite", dir).await
}

/// A fresh database in the cluster at `ZHISHEN_TEST_PG_URL`, or a printed skip.
async fn pg(test: &str) -> Option<Db> {
    let base = match std::env::var("ZHISHEN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            eprintln!(
                "\n*** SKIPPED: PostgreSQL half of `{test}`: ZHISHEN_TEST_PG_URL is unset \
                 (export ZHISHEN_TEST_PG_URL=$(scripts/pg-test.sh start)) ***\n"
            );
            return None;
        }
    };
    sqlx::any::install_default_drivers();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("zx_{}_{nanos}", std::process::id());
    let pool = sqlx::AnyPool::connect(&base).await.expect("connect to PG");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let (head, _) = base.rsplit_once('/').expect("URL has a database part");
    let dir = tempfile::tempdir().unwrap();
    Some(open(format!("{head}/{name}"), "postgres", dir).await)
}

async fn both(test: &str) -> Vec<Db> {
    let mut v = vec![sqlite().await];
    v.extend(pg(test).await);
    v
}

fn cid(s: &str) -> CaseId {
    CaseId::new(s).unwrap()
}

/// Two cases, interleaved: created, XMBA submitted, XMBA accepted — 8 events, so 8
/// outbox rows alternating between the cases.
async fn two_cases(store: &Store) {
    let applicant = Actor::new("app-1", Role::Applicant, None);
    let clerk = Actor::new("clerk-1", Role::Clerk, None);
    let mut n = 0;
    let mut run = |case: &str, cmd: Command, who: &Actor| {
        n += 1;
        let (store, case, who) = (store.clone(), cid(case), who.clone());
        let rid = RequestId::new(format!("r{n}")).unwrap();
        async move {
            store
                .execute(&case, &cmd, &who, &rid)
                .await
                .expect("command");
        }
    };
    for c in ["C1", "C2"] {
        run(
            c,
            Command::CreateCase {
                case_id: c.into(),
                project_code: format!("P-{c}"),
                project_name: "交换测试项目".into(),
                applicant: "app-1".into(),
            },
            &applicant,
        )
        .await;
    }
    for c in ["C1", "C2"] {
        run(
            c,
            Command::Submit {
                item: "XMBA".into(),
                materials: vec!["BAXX".into()],
                commitments: vec![],
            },
            &applicant,
        )
        .await;
    }
    for c in ["C1", "C2"] {
        run(
            c,
            Command::Accept {
                item: "XMBA".into(),
            },
            &clerk,
        )
        .await;
    }
}

async fn rows(store: &Store) -> Vec<OutboxRow> {
    store.outbox_rows(0, 1000).await.unwrap()
}

fn signer() -> Arc<Ed25519Signer> {
    Arc::new(Ed25519Signer::from_seed("zhishen-exchange-test", &[9; 32]))
}

fn config(url: String, key: Arc<Ed25519Signer>, batch: usize) -> ExchangeConfig {
    ExchangeConfig {
        batch,
        base_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(20),
        timeout: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        poll: Duration::from_millis(10),
        ..ExchangeConfig::new(url, key)
    }
}

/// Moves the test clock to the head row's next attempt when it is later.
async fn to_next_attempt(db: &Db) {
    let head = db.store.outbox_undelivered(1).await.unwrap();
    if let Some(h) = head.first() {
        if h.next_attempt_ms > db.store.now().timestamp_millis() {
            let t = chrono::DateTime::from_timestamp_millis(h.next_attempt_ms)
                .unwrap()
                .with_timezone(&zhishen_store::cst());
            db.clock.set(t);
        }
    }
}

// --------------------------------------------------------------------- tests

#[tokio::test]
async fn relay_delivers_in_order_exactly_once_through_failures() {
    for db in both("relay_delivers_in_order_exactly_once_through_failures").await {
        order_and_exactly_once(&db).await;
    }
}

async fn order_and_exactly_once(db: &Db) {
    let (s, l) = (&db.store, db.label);
    two_cases(s).await;
    let outbox = rows(s).await;
    assert_eq!(outbox.len(), 8, "{l}");
    let key = signer();
    let mut rx = Receiver::start(TrustedKeys::from_signer(key.as_ref())).await;
    rx.seen()
        .script
        .extend([Act::Status(500), Act::Status(500)]);
    let cfg = config(rx.url(), key.clone(), 3);
    let client = cfg.client().unwrap();
    let round = || relay_once(s, &cfg, &client, "relay-a");
    let mut waits = Vec::new();
    let failed_round = |rep: RelayReport, waits: &mut Vec<i64>| {
        assert_eq!(
            (rep.leased, rep.delivered, rep.retried),
            (true, 0, 1),
            "{l}: {rep:?}"
        );
        waits.push(rep.waiting_until_ms.unwrap() - s.now().timestamp_millis());
    };
    // Two 500s.
    failed_round(round().await.unwrap(), &mut waits);
    // Not due yet: nothing is sent.
    let idle = round().await.unwrap();
    assert_eq!(idle.delivered + idle.retried, 0, "{l}");
    assert!(idle.waiting_until_ms.is_some(), "{l}");
    assert_eq!(rx.seen().raw.len(), 1, "{l}");
    to_next_attempt(db).await;
    failed_round(round().await.unwrap(), &mut waits);
    // The receiver is down: connection refused, three rounds.
    rx.down().await;
    for _ in 0..3 {
        to_next_attempt(db).await;
        failed_round(round().await.unwrap(), &mut waits);
    }
    let head = s.outbox_row(outbox[0].id).await.unwrap().unwrap();
    assert_eq!(
        (head.attempts, head.state),
        (5, OutboxState::Pending),
        "{l}"
    );
    assert!(head.last_error.is_some(), "{l}");
    // Back up; the first request is kept but its answer is lost.
    rx.seen().script.push_back(Act::AcceptThenDrop);
    rx.up().await;
    to_next_attempt(db).await;
    failed_round(round().await.unwrap(), &mut waits);
    assert_eq!(
        waits,
        [1000, 2000, 4000, 8000, 16000, 20000],
        "{l}: backoff"
    );
    // From here every round delivers a batch of up to 3.
    let mut delivered = Vec::new();
    for _ in 0..10 {
        to_next_attempt(db).await;
        let rep = round().await.unwrap();
        delivered.push(rep.delivered);
        if s.outbox_undelivered(1).await.unwrap().is_empty() {
            break;
        }
    }
    assert_eq!(delivered, [3, 3, 2], "{l}");
    check_receiver(l, &rx, &outbox, key.as_ref());
    let after = rows(s).await;
    assert!(
        after.iter().all(|r| r.state == OutboxState::Delivered
            && r.last_error.is_none()
            && r.delivered_at.is_some()),
        "{l}: {after:#?}"
    );
    let attempts: Vec<i64> = after.iter().map(|r| r.attempts).collect();
    assert_eq!(attempts, [7, 1, 1, 1, 1, 1, 1, 1], "{l}");
    rx.down().await;
}

/// The receiver kept each row once, in id order, every signature verified, the head row
/// arrived twice after its lost answer, and nothing behind it was sent before it.
fn check_receiver(l: &str, rx: &Receiver, outbox: &[OutboxRow], key: &Ed25519Signer) {
    let seen = rx.seen();
    let keys: Vec<&str> = seen.accepted.iter().map(|g| g.key.as_str()).collect();
    let want: Vec<&str> = outbox.iter().map(|r| r.idempotency_key.as_str()).collect();
    assert_eq!(keys, want, "{l}: order, each once");
    assert_eq!(want[..2], ["C1:1", "C1:2"], "{l}");
    for (g, r) in seen.accepted.iter().zip(outbox) {
        assert_eq!(g.body, r.payload.as_bytes(), "{l}: body is the payload");
    }
    assert_eq!(
        seen.duplicates,
        [want[0]],
        "{l}: the lost answer's row came again"
    );
    assert!(
        seen.raw.iter().all(|g| g.verified),
        "{l}: every signature verifies"
    );
    // Requests: 500, 500, kept-but-dropped, duplicate, then the other seven.
    assert_eq!(seen.raw.len(), 11, "{l}");
    assert!(
        seen.raw[..4].iter().all(|g| g.key == want[0]),
        "{l}: head of line"
    );
    // A tampered body (or another key) does not verify.
    let g = &seen.accepted[0];
    let sig = base64_sig(key, &g.key, &g.body);
    let trusted = TrustedKeys::from_signer(key);
    let h = DeliveryHeaders {
        topic: "case.event",
        idempotency_key: &g.key,
        key_id: "zhishen-exchange-test",
        signature: &sig,
    };
    assert!(verify_delivery(&trusted, &h, &g.body), "{l}");
    let mut tampered = g.body.clone();
    tampered[1] ^= 0x20;
    assert!(
        !verify_delivery(&trusted, &h, &tampered),
        "{l}: tampered body"
    );
    let other = Ed25519Signer::from_seed("zhishen-exchange-test", &[8; 32]);
    assert!(
        !verify_delivery(&TrustedKeys::from_signer(&other), &h, &g.body),
        "{l}: other key"
    );
}

/// What the relay itself would send for this key and body.
fn base64_sig(key: &Ed25519Signer, idem: &str, body: &[u8]) -> String {
    use base64::Engine;
    let msg = zhishen_app::exchange::signing_input("case.event", idem, body);
    base64::engine::general_purpose::STANDARD.encode(key.sign(&msg))
}

#[tokio::test]
async fn a_refused_row_blocks_the_rows_behind_it_until_requeued() {
    for db in both("a_refused_row_blocks_the_rows_behind_it_until_requeued").await {
        let (s, l) = (&db.store, db.label);
        two_cases(s).await;
        let outbox = rows(s).await;
        let key = signer();
        let rx = Receiver::start(TrustedKeys::from_signer(key.as_ref())).await;
        let poison = outbox[2].idempotency_key.clone();
        rx.seen().script.push_back(Act::Status(429));
        rx.seen().refuse.insert(poison.clone(), 422);
        let cfg = config(rx.url(), key.clone(), 50);
        let client = cfg.client().unwrap();
        // 429 is "later", not poison.
        let rep = relay_once(s, &cfg, &client, "relay-a").await.unwrap();
        assert_eq!((rep.retried, rep.failed), (1, 0), "{l}: {rep:?}");
        to_next_attempt(&db).await;
        let rep = relay_once(s, &cfg, &client, "relay-a").await.unwrap();
        assert_eq!(
            (rep.delivered, rep.failed, rep.blocked),
            (2, 1, Some(outbox[2].id)),
            "{l}: {rep:?}"
        );
        let row = s.outbox_row(outbox[2].id).await.unwrap().unwrap();
        assert_eq!(row.state, OutboxState::Failed, "{l}");
        assert!(
            row.last_error.as_deref().unwrap_or("").contains("422"),
            "{l}: {row:?}"
        );
        // Blocked: later rounds send nothing, however much time passes.
        let sent = rx.seen().raw.len();
        db.clock.set(start_time() + chrono::Duration::days(1));
        let rep = relay_once(s, &cfg, &client, "relay-a").await.unwrap();
        assert_eq!((rep.delivered, rep.blocked), (0, Some(outbox[2].id)), "{l}");
        assert_eq!(
            rx.seen().raw.len(),
            sent,
            "{l}: nothing behind the failed row"
        );
        // The operator fixes the cause and requeues; the rest follows in order.
        rx.seen().refuse.clear();
        assert!(s.requeue_outbox(outbox[2].id).await.unwrap(), "{l}");
        assert!(
            !s.requeue_outbox(outbox[2].id).await.unwrap(),
            "{l}: only failed rows"
        );
        let rep = relay_once(s, &cfg, &client, "relay-a").await.unwrap();
        assert_eq!((rep.delivered, rep.blocked), (6, None), "{l}: {rep:?}");
        let keys: Vec<String> = rx.seen().accepted.iter().map(|g| g.key.clone()).collect();
        let want: Vec<String> = outbox.iter().map(|r| r.idempotency_key.clone()).collect();
        assert_eq!(keys, want, "{l}");
    }
}

#[tokio::test]
async fn only_the_lease_holder_sends() {
    for db in both("only_the_lease_holder_sends").await {
        let (s, l) = (&db.store, db.label);
        two_cases(s).await;
        let key = signer();
        let rx = Receiver::start(TrustedKeys::from_signer(key.as_ref())).await;
        let cfg = config(rx.url(), key.clone(), 50);
        let client = cfg.client().unwrap();
        let (a, b) = tokio::join!(
            relay_once(s, &cfg, &client, "relay-a"),
            relay_once(s, &cfg, &client, "relay-b")
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.leased != b.leased,
            "{l}: exactly one holds the lease: {a:?} {b:?}"
        );
        let (winner, holder, loser) = if a.leased {
            (a, "relay-a", b)
        } else {
            (b, "relay-b", a)
        };
        assert_eq!((winner.delivered, loser.delivered), (8, 0), "{l}");
        assert_eq!(rx.seen().raw.len(), 8, "{l}: each row sent once");
        let other = if holder == "relay-a" {
            "relay-b"
        } else {
            "relay-a"
        };
        let (who, until) = s.outbox_relay_holder().await.unwrap().unwrap();
        assert_eq!(who, holder, "{l}");
        // The lease outlives the round; the other waits until it lapses.
        let rep = relay_once(s, &cfg, &client, other).await.unwrap();
        assert!(!rep.leased, "{l}");
        // A release by a non-holder changes nothing.
        s.release_outbox_relay(other).await.unwrap();
        assert_eq!(
            s.outbox_relay_holder().await.unwrap().unwrap().0,
            holder,
            "{l}"
        );
        let lapsed = chrono::DateTime::from_timestamp_millis(until)
            .unwrap()
            .with_timezone(&zhishen_store::cst());
        db.clock.set(lapsed);
        let rep = relay_once(s, &cfg, &client, other).await.unwrap();
        assert!(rep.leased && rep.delivered == 0, "{l}: {rep:?}");
        assert_eq!(
            s.outbox_relay_holder().await.unwrap().unwrap().0,
            other,
            "{l}"
        );
    }
}

#[tokio::test]
async fn run_relay_delivers_and_releases_the_lease_on_shutdown() {
    for db in both("run_relay_delivers_and_releases_the_lease_on_shutdown").await {
        let (s, l) = (&db.store, db.label);
        two_cases(s).await;
        let key = signer();
        let rx = Receiver::start(TrustedKeys::from_signer(key.as_ref())).await;
        let cfg = config(rx.url(), key.clone(), 3);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let relay = tokio::spawn(run_relay(s.clone(), cfg, "relay-run".into(), shutdown));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !s.outbox_undelivered(1).await.unwrap().is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{l}: relay too slow"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            s.outbox_relay_holder().await.unwrap().unwrap().0,
            "relay-run"
        );
        stop.send(()).unwrap();
        relay.await.unwrap().unwrap();
        assert_eq!(
            s.outbox_relay_holder().await.unwrap(),
            None,
            "{l}: released"
        );
        let seen = rx.seen();
        assert_eq!(seen.accepted.len(), 8, "{l}");
        assert!(seen.duplicates.is_empty() && seen.raw.iter().all(|g| g.verified));
        let keys: Vec<&str> = seen.accepted.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(
            keys[..4],
            ["C1:1", "C1:2", "C2:1", "C2:2"],
            "{l}: in id order"
        );
    }
}
