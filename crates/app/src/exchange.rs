//! The outbox relay 数据交换: every stored event goes to the provincial / national
//! 工改 exchange endpoint (工程建设项目审批管理系统的数据共享交换), once, in order, signed.
//!
//! Why it is built this way:
//!
//! * **Order beats throughput.** The receiver rebuilds each case's state from the events,
//!   so they are sent strictly in outbox `id` order, one at a time. When row N fails,
//!   nothing after N is sent until N succeeds (head of line).
//! * **Exactly once, end to end.** A row is marked `delivered` only after a 2xx answer.
//!   A lost answer means the row is sent again; every request carries
//!   `Idempotency-Key: <case>:<seq>` (percent-encoded outside visible ASCII, see
//!   [`header_text`]) so the receiver drops the duplicate. At-least-once sending plus a
//!   deduplicating receiver is the only exactly-once there is over HTTP.
//! * **Retry with backoff.** Connection errors, timeouts, 5xx, 3xx (redirects are not
//!   followed: the signature is for one URL, and a redirected POST may lose its body),
//!   408, 425, 429 and the 4xx that describe the sender rather than the message (401,
//!   403: key not registered yet; 404: wrong URL) keep the row pending, due again after
//!   `min(base · 2^attempts, max)` on the store's clock. No jitter: one relay sends one
//!   row at a time, so there is no herd to spread.
//! * **Poison.** Any other 4xx (400, 409, 413, 415, 422, …) says the receiver looked at
//!   this message and will never take it: the row becomes `failed`, an error is logged,
//!   and — because order matters more than the rows behind it — delivery stops there
//!   until an operator fixes the cause and calls [`Store::requeue_outbox`]. A blocked
//!   relay is logged again whenever the blocking row changes ([`run_relay`]).
//! * **Signed.** Headers `X-Zhishen-Key-Id` and `X-Zhishen-Signature` (base64) carry a
//!   signature by the audit crate's [`Signer`] (Ed25519, or SM2 for 国密) over
//!   [`signing_input`]: a domain tag, the topic, the idempotency key and the SHA-256 of
//!   the body. The tag keeps a delivery signature from ever being valid as a
//!   checkpoint or licence signature made with the same key. [`verify_delivery`] is
//!   the receiver's check.
//! * **One relay at a time.** Several `zhishen serve` may share one PostgreSQL. Only the
//!   holder of the single-row lease (`outbox_relay`, migration 0006) sends; it renews
//!   the lease while it works and the lease lapses when the process dies. A send never
//!   outlives the lease it started under (the lease must exceed twice the request
//!   timeout, and it is renewed once half of it is used).

use crate::AppError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use zhishen_store::{OutboxOutcome, OutboxRow, OutboxState, Store};

pub use zhishen_audit::{Ed25519Signer, Signer, Sm2Signer, TrustedKey, TrustedKeys};

/// `Idempotency-Key`: the outbox row's `<case>:<seq>` ([`header_text`]).
pub const HEADER_IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The signing key's id (the receiver's trusted-key list names it).
pub const HEADER_KEY_ID: &str = "x-zhishen-key-id";
/// Base64 of the signature over [`signing_input`].
pub const HEADER_SIGNATURE: &str = "x-zhishen-signature";
/// The outbox topic (`case.event`).
pub const HEADER_TOPIC: &str = "x-zhishen-topic";
/// First line of every signed delivery: domain separation from checkpoints and licences.
pub const SIGNING_DOMAIN: &str = "zhishen.exchange/1";

/// Where and how to deliver. [`ExchangeConfig::new`] fills in the defaults.
#[derive(Clone)]
pub struct ExchangeConfig {
    /// The exchange endpoint; each event is one `POST` to it.
    pub url: String,
    /// Signs every request; its `key_id()` goes into `X-Zhishen-Key-Id`.
    pub key: Arc<dyn Signer + Send + Sync>,
    /// Rows read per round (at most this many are sent before the next lease check).
    pub batch: usize,
    /// Wait after the first failure of a row; doubled per further failure.
    pub base_backoff: Duration,
    /// The longest wait between attempts of a row.
    pub max_backoff: Duration,
    /// One request, connect to last byte.
    pub timeout: Duration,
    /// The relay lease; must exceed twice `timeout`.
    pub lease: Duration,
    /// Pause of [`run_relay`] between rounds that found nothing more to send.
    pub poll: Duration,
}

impl std::fmt::Debug for ExchangeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeConfig")
            .field("url", &self.url)
            .field("key_id", &self.key.key_id())
            .field("alg", &self.key.alg())
            .field("batch", &self.batch)
            .field("base_backoff", &self.base_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("timeout", &self.timeout)
            .field("lease", &self.lease)
            .field("poll", &self.poll)
            .finish()
    }
}

impl ExchangeConfig {
    /// Defaults: batch 50, backoff 1 s doubling to 10 min, 30 s per request, 2 min
    /// lease, 1 s poll.
    pub fn new(url: impl Into<String>, key: Arc<dyn Signer + Send + Sync>) -> ExchangeConfig {
        ExchangeConfig {
            url: url.into(),
            key,
            batch: 50,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            timeout: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(1),
        }
    }

    /// The signing key's id.
    pub fn key_id(&self) -> String {
        self.key.key_id()
    }

    /// Refuses a configuration the relay could not work with, naming the field.
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |m: String| Err(AppError::BadInput(format!("exchange config: {m}")));
        let url = reqwest::Url::parse(&self.url);
        match url.as_ref().map(|u| u.scheme()) {
            Ok("http") => {}
            Ok("https") if cfg!(feature = "tls") => {}
            Ok("https") => {
                return bad(format!(
                    "url {}: this build has no TLS (build zhishen-app with the `tls` feature)",
                    self.url
                ))
            }
            Ok(s) => return bad(format!("url {}: scheme {s} is not http(s)", self.url)),
            Err(e) => return bad(format!("url {:?}: {e}", self.url)),
        }
        let key_id = self.key.key_id();
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_graphic()) {
            return bad(format!(
                "key id {key_id:?} must be non-empty visible ASCII (it is a header)"
            ));
        }
        if self.batch == 0 {
            return bad("batch must be at least 1".into());
        }
        if self.base_backoff.is_zero() || self.max_backoff < self.base_backoff {
            return bad(format!(
                "backoff {:?} … {:?}: base must be positive and at most max",
                self.base_backoff, self.max_backoff
            ));
        }
        if self.timeout.is_zero() || self.lease <= self.timeout * 2 {
            return bad(format!(
                "lease {:?} must exceed twice the request timeout {:?} (and the timeout must be positive)",
                self.lease, self.timeout
            ));
        }
        Ok(())
    }

    /// The HTTP client the relay uses: per-request timeout, no redirects, no
    /// client-side retries (each attempt is counted and backed off here). Proxies
    /// come from the usual `HTTP_PROXY` / `NO_PROXY` variables.
    pub fn client(&self) -> Result<reqwest::Client, AppError> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .build()
            .map_err(|e| AppError::Internal(format!("exchange HTTP client: {}", chain(&e))))
    }
}

/// What one [`relay_once`] round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelayReport {
    /// False when another owner holds the lease (then nothing was sent).
    pub leased: bool,
    /// Rows the receiver acknowledged (2xx) this round.
    pub delivered: usize,
    /// Rows that failed transiently this round and wait for their next attempt (0 or 1).
    pub retried: usize,
    /// Rows the receiver refused this round and that are now `failed` (0 or 1).
    pub failed: usize,
    /// A `failed` row at the head of the queue: nothing behind it is sent.
    pub blocked: Option<i64>,
    /// The head row is not due before this time (epoch ms).
    pub waiting_until_ms: Option<i64>,
}

/// The header form of an idempotency key or topic: visible ASCII stays as it is,
/// every other byte (and `%`) becomes `%XX`, so a case id in Chinese still fits a
/// header. What is signed and what the receiver deduplicates by is this text.
pub fn header_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The bytes that are signed: `zhishen.exchange/1 \n topic \n idempotency key \n
/// hex(SHA-256(body))`, topic and key in their header form.
pub fn signing_input(topic: &str, idempotency_key: &str, body: &[u8]) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(body));
    format!("{SIGNING_DOMAIN}\n{topic}\n{idempotency_key}\n{digest}").into_bytes()
}

/// The headers of a delivery as the receiver got them.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryHeaders<'a> {
    pub topic: &'a str,
    pub idempotency_key: &'a str,
    pub key_id: &'a str,
    /// Base64.
    pub signature: &'a str,
}

/// The receiver's check: `key_id` is trusted and the signature over
/// [`signing_input`] of these headers and `body` verifies with it. Any malformed
/// part is simply `false`.
pub fn verify_delivery(keys: &TrustedKeys, headers: &DeliveryHeaders<'_>, body: &[u8]) -> bool {
    if headers.topic.contains('\n') || headers.idempotency_key.contains('\n') {
        return false;
    }
    let Some(key) = keys.get(headers.key_id) else {
        return false;
    };
    let Ok(sig) = B64.decode(headers.signature.trim()) else {
        return false;
    };
    let msg = signing_input(headers.topic, headers.idempotency_key, body);
    key.verify(&msg, &sig).is_ok()
}

/// The wait after a row's `attempts_before + 1`-th failure: `base · 2^attempts_before`,
/// at most `max`.
pub fn backoff(base: Duration, max: Duration, attempts_before: i64) -> Duration {
    let shift = u32::try_from(attempts_before.clamp(0, 31)).unwrap_or(31);
    base.checked_mul(1u32 << shift).unwrap_or(max).min(max)
}

/// How the relay reads an HTTP status (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    Delivered,
    /// Try again later.
    Transient,
    /// The message itself is refused: the row becomes `failed`.
    Refused,
}

pub fn classify(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Delivered,
        401 | 403 | 404 | 408 | 425 | 429 => StatusClass::Transient,
        400..=499 => StatusClass::Refused,
        _ => StatusClass::Transient,
    }
}

/// A process-unique relay owner name: pid and start time.
pub fn relay_owner() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "zhishen-{}-{:x}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff
    )
}

/// One relay round, for one lease holder.
struct Relay<'a> {
    store: &'a Store,
    cfg: &'a ExchangeConfig,
    client: &'a reqwest::Client,
    owner: &'a str,
    /// When the lease we hold ends (epoch ms on the store's clock).
    lease_until_ms: i64,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn lease_of(cfg: &ExchangeConfig) -> chrono::Duration {
    chrono::Duration::milliseconds(millis(cfg.lease))
}

/// An error and its causes on one line (reqwest's own text says little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let _ = write!(s, ": {c}");
        cause = c.source();
    }
    s
}

impl Relay<'_> {
    fn now_ms(&self) -> i64 {
        self.store.now().timestamp_millis()
    }

    /// Claims or renews the lease; true while we hold it.
    async fn claim(&mut self) -> Result<bool, AppError> {
        let now = self.now_ms();
        let held = self
            .store
            .claim_outbox_relay(self.owner, lease_of(self.cfg))
            .await?;
        self.lease_until_ms = if held {
            now.saturating_add(millis(self.cfg.lease))
        } else {
            0
        };
        Ok(held)
    }

    /// Before a send: renews the lease once half of it is used, so the send
    /// (at most `timeout`, less than half the lease) ends inside it.
    async fn keep_lease(&mut self) -> Result<bool, AppError> {
        let half = millis(self.cfg.lease) / 2;
        if self.lease_until_ms.saturating_sub(self.now_ms()) > half {
            return Ok(true);
        }
        self.claim().await
    }

    /// One POST of `row`; the outcome to record.
    async fn send(&self, row: &OutboxRow) -> OutboxOutcome {
        let topic = header_text(&row.topic);
        let key = header_text(&row.idempotency_key);
        let body = row.payload.as_bytes();
        let sig = B64.encode(self.cfg.key.sign(&signing_input(&topic, &key, body)));
        let sent = self
            .client
            .post(&self.cfg.url)
            .timeout(self.cfg.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_IDEMPOTENCY_KEY, &key)
            .header(HEADER_TOPIC, &topic)
            .header(HEADER_KEY_ID, self.cfg.key.key_id())
            .header(HEADER_SIGNATURE, sig)
            .body(body.to_vec())
            .send()
            .await;
        let (class, error) = match sent {
            Err(e) => (StatusClass::Transient, chain(&e)),
            Ok(resp) => {
                let status = resp.status();
                match classify(status.as_u16()) {
                    StatusClass::Delivered => return OutboxOutcome::Delivered,
                    class => {
                        let text = resp.text().await.unwrap_or_default();
                        let text: String = text.chars().take(300).collect();
                        (class, format!("HTTP {status}: {}", text.trim()))
                    }
                }
            }
        };
        match class {
            StatusClass::Refused => OutboxOutcome::Failed { error },
            _ => {
                let wait = backoff(self.cfg.base_backoff, self.cfg.max_backoff, row.attempts);
                OutboxOutcome::Retry {
                    error,
                    next_attempt_ms: self.now_ms().saturating_add(millis(wait)),
                }
            }
        }
    }
}

/// One round: claims (or renews) the lease for `owner`; if held, sends the due head
/// of the outbox in `id` order, up to `cfg.batch` rows, stopping at the first row that
/// fails, is not due yet, or is `failed`. Returns what it did; a round without the
/// lease sends nothing. `owner` must be unique per relay loop ([`relay_owner`]).
pub async fn relay_once(
    store: &Store,
    cfg: &ExchangeConfig,
    client: &reqwest::Client,
    owner: &str,
) -> Result<RelayReport, AppError> {
    cfg.validate()?;
    let mut relay = Relay {
        store,
        cfg,
        client,
        owner,
        lease_until_ms: 0,
    };
    let mut report = RelayReport::default();
    if !relay.claim().await? {
        tracing::debug!(owner, "outbox relay lease held by another process");
        return Ok(report);
    }
    report.leased = true;
    for row in store.outbox_undelivered(cfg.batch).await? {
        if row.state == OutboxState::Failed {
            tracing::debug!(outbox_id = row.id, "outbox blocked by a failed row");
            report.blocked = Some(row.id);
            break;
        }
        if row.next_attempt_ms > relay.now_ms() {
            report.waiting_until_ms = Some(row.next_attempt_ms);
            break;
        }
        if !relay.keep_lease().await? {
            tracing::warn!(owner, "outbox relay lease lost; stopping this round");
            report.leased = false;
            break;
        }
        let outcome = relay.send(&row).await;
        let after = store.record_outbox_attempt(row.id, &outcome).await?;
        match outcome {
            OutboxOutcome::Delivered => {
                tracing::debug!(outbox_id = row.id, key = row.idempotency_key, "delivered");
                report.delivered += 1;
            }
            OutboxOutcome::Retry { error, .. } => {
                tracing::warn!(
                    outbox_id = row.id,
                    key = row.idempotency_key,
                    attempts = after.attempts,
                    next_attempt_ms = after.next_attempt_ms,
                    "exchange delivery failed, will retry: {error}"
                );
                report.retried += 1;
                report.waiting_until_ms = Some(after.next_attempt_ms);
                break;
            }
            OutboxOutcome::Failed { error } => {
                tracing::error!(
                    outbox_id = row.id,
                    key = row.idempotency_key,
                    "交换平台拒收 the exchange refused this event; delivery stops here until the row is requeued: {error}"
                );
                report.failed += 1;
                report.blocked = Some(row.id);
                break;
            }
        }
    }
    Ok(report)
}

/// The relay loop `zhishen serve` spawns: rounds of [`relay_once`] (at once again
/// after a full batch, else after `cfg.poll`) until `shutdown` completes; then the
/// lease is released so another process takes over at once. A failed round (the
/// database unreachable, say) is logged and retried; only a bad configuration ends
/// the loop with an error. A send cut off by shutdown stays pending and is sent
/// again later under the same idempotency key.
pub async fn run_relay(
    store: Store,
    cfg: ExchangeConfig,
    owner: String,
    shutdown: impl Future<Output = ()>,
) -> Result<(), AppError> {
    cfg.validate()?;
    let client = cfg.client()?;
    tracing::info!(
        owner,
        url = cfg.url,
        key_id = cfg.key_id(),
        "outbox relay started"
    );
    tokio::pin!(shutdown);
    let mut blocked: Option<i64> = None;
    loop {
        let round = tokio::select! {
            _ = &mut shutdown => break,
            r = relay_once(&store, &cfg, &client, &owner) => r,
        };
        let pause = match round {
            Ok(rep) => {
                if rep.blocked != blocked {
                    if let Some(id) = rep.blocked {
                        tracing::error!(
                            outbox_id = id,
                            "告警 outbox delivery is blocked by failed row {id}; requeue it once the cause is fixed"
                        );
                    }
                    blocked = rep.blocked;
                }
                if rep.delivered > 0 {
                    tracing::info!(delivered = rep.delivered, "outbox rows delivered");
                }
                if rep.delivered >= cfg.batch {
                    Duration::ZERO
                } else {
                    cfg.poll
                }
            }
            Err(e) => {
                tracing::warn!(owner, "outbox relay round failed: {e}");
                cfg.poll
            }
        };
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    if let Err(e) = store.release_outbox_relay(&owner).await {
        tracing::warn!(
            owner,
            "outbox relay lease not released (it will lapse): {e}"
        );
    }
    tracing::info!(owner, "outbox relay stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = Duration::from_secs;
        let got: Vec<Duration> = (0..8).map(|a| backoff(s(1), s(20), a)).collect();
        assert_eq!(got, [s(1), s(2), s(4), s(8), s(16), s(20), s(20), s(20)]);
        assert_eq!(backoff(s(1), s(20), -3), s(1));
        assert_eq!(backoff(s(3600), s(7200), i64::MAX), s(7200));
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(200), StatusClass::Delivered);
        assert_eq!(classify(204), StatusClass::Delivered);
        for t in [301, 401, 403, 404, 408, 425, 429, 500, 502, 503] {
            assert_eq!(classify(t), StatusClass::Transient, "{t}");
        }
        for r in [400, 409, 413, 415, 422] {
            assert_eq!(classify(r), StatusClass::Refused, "{r}");
        }
    }

    #[test]
    fn header_text_escapes_only_what_a_header_cannot_hold() {
        assert_eq!(header_text("C2026-0001:12"), "C2026-0001:12");
        assert_eq!(header_text("案1:2"), "%E6%A1%881:2");
        assert_eq!(header_text("a%b c"), "a%25b%20c");
    }

    #[test]
    fn signature_verifies_and_tampering_does_not() {
        let k = Ed25519Signer::from_seed("exchange-test", &[3; 32]);
        let keys = TrustedKeys::from_signer(&k);
        let body = br#"{"type":"case_created"}"#;
        let sig = B64.encode(k.sign(&signing_input("case.event", "C1:1", body)));
        let h = DeliveryHeaders {
            topic: "case.event",
            idempotency_key: "C1:1",
            key_id: "exchange-test",
            signature: &sig,
        };
        assert!(verify_delivery(&keys, &h, body));
        assert!(!verify_delivery(&keys, &h, br#"{"type":"case_created "}"#));
        assert!(!verify_delivery(
            &keys,
            &DeliveryHeaders {
                idempotency_key: "C1:2",
                ..h
            },
            body
        ));
        assert!(!verify_delivery(
            &keys,
            &DeliveryHeaders {
                key_id: "other",
                ..h
            },
            body
        ));
        assert!(!verify_delivery(
            &keys,
            &DeliveryHeaders {
                signature: "not base64!",
                ..h
            },
            body
        ));
        // SM2 keys sign deliveries the same way.
        let s = Sm2Signer::from_seed("exchange-sm2", &[4; 32]);
        let sig = B64.encode(s.sign(&signing_input("case.event", "C1:1", body)));
        let keys = TrustedKeys::from_signer(&s);
        let h = DeliveryHeaders {
            key_id: "exchange-sm2",
            signature: &sig,
            ..h
        };
        assert!(verify_delivery(&keys, &h, body));
        assert!(!verify_delivery(&keys, &h, b"{}"));
    }

    #[test]
    fn config_is_checked() {
        let key: Arc<dyn Signer + Send + Sync> = Arc::new(Ed25519Signer::from_seed("k", &[1; 32]));
        let ok = ExchangeConfig::new("http://127.0.0.1:9/exchange", key.clone());
        ok.validate().unwrap();
        let bad = |c: ExchangeConfig| match c.validate() {
            Err(AppError::BadInput(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(bad(ExchangeConfig::new("ftp://x/", key.clone())).contains("scheme ftp"));
        assert!(bad(ExchangeConfig::new("not a url", key.clone())).contains("url"));
        assert!(bad(ExchangeConfig {
            batch: 0,
            ..ok.clone()
        })
        .contains("batch"));
        assert!(bad(ExchangeConfig {
            lease: Duration::from_secs(60),
            ..ok.clone()
        })
        .contains("lease"));
        assert!(bad(ExchangeConfig {
            max_backoff: Duration::from_millis(10),
            ..ok.clone()
        })
        .contains("backoff"));
        let spaced: Arc<dyn Signer + Send + Sync> =
            Arc::new(Ed25519Signer::from_seed("a b", &[1; 32]));
        assert!(bad(ExchangeConfig::new("http://x/", spaced)).contains("key id"));
        #[cfg(not(feature = "tls"))]
        assert!(bad(ExchangeConfig::new("https://x/", key)).contains("tls"));
    }
}
