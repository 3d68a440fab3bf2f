//! Sign-in (登录认证) at 等保 2.0 level 3: an argon2id password and a TOTP second
//! factor (RFC 6238), lockout after repeated failures, server-side sessions that
//! expire when idle, and hashed API tokens for machine clients.
//!
//! The web roles (角色) live here, with the one mapping to the workflow's actors, so
//! the CLI (which creates users) and the server (which signs them in) agree. A user
//! holds one role: the three administrators (系统/安全/审计管理员, 三员分立) are
//! different people by construction.

use crate::AppError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zhishen_store::{SessionRow, Store, UserRow};
use zhishen_workflow::{Actor, Role};

/// The roles a user can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebRole {
    /// 申请人 (企业用户)
    Applicant,
    /// 代办员: files for the enterprises it is mandated by
    Agent,
    /// 综合窗口 window clerk
    Clerk,
    /// 牵头部门协调人 lead coordinator
    Coordinator,
    /// 部门审查人员 department reviewer
    Reviewer,
    /// 审批人 approver: signs the decision (办结) and the licence
    Approver,
    /// 效能监察 supervisor
    Supervisor,
    /// 审计人员: read-only
    Auditor,
    /// 系统管理员: users and definitions
    SysAdmin,
    /// 安全管理员: lockouts and security settings
    SecAdmin,
    /// 审计管理员: the access audit
    AuditAdmin,
}

impl WebRole {
    pub const ALL: [WebRole; 11] = [
        WebRole::Applicant,
        WebRole::Agent,
        WebRole::Clerk,
        WebRole::Coordinator,
        WebRole::Reviewer,
        WebRole::Approver,
        WebRole::Supervisor,
        WebRole::Auditor,
        WebRole::SysAdmin,
        WebRole::SecAdmin,
        WebRole::AuditAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebRole::Applicant => "applicant",
            WebRole::Agent => "agent",
            WebRole::Clerk => "clerk",
            WebRole::Coordinator => "coordinator",
            WebRole::Reviewer => "reviewer",
            WebRole::Approver => "approver",
            WebRole::Supervisor => "supervisor",
            WebRole::Auditor => "auditor",
            WebRole::SysAdmin => "sys_admin",
            WebRole::SecAdmin => "sec_admin",
            WebRole::AuditAdmin => "audit_admin",
        }
    }

    pub fn parse(s: &str) -> Result<WebRole, AppError> {
        WebRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = WebRole::ALL.iter().map(|r| r.as_str()).collect();
                AppError::BadInput(format!("role {s:?}: expected one of {}", all.join(", ")))
            })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            WebRole::Applicant => "申请人",
            WebRole::Agent => "代办员",
            WebRole::Clerk => "综合窗口",
            WebRole::Coordinator => "牵头协调人",
            WebRole::Reviewer => "部门审查人员",
            WebRole::Approver => "审批人",
            WebRole::Supervisor => "效能监察",
            WebRole::Auditor => "审计人员",
            WebRole::SysAdmin => "系统管理员",
            WebRole::SecAdmin => "安全管理员",
            WebRole::AuditAdmin => "审计管理员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            WebRole::Applicant => "Applicant",
            WebRole::Agent => "Agent",
            WebRole::Clerk => "Window clerk",
            WebRole::Coordinator => "Lead coordinator",
            WebRole::Reviewer => "Department reviewer",
            WebRole::Approver => "Approver",
            WebRole::Supervisor => "Supervisor",
            WebRole::Auditor => "Auditor",
            WebRole::SysAdmin => "System administrator",
            WebRole::SecAdmin => "Security administrator",
            WebRole::AuditAdmin => "Audit administrator",
        }
    }

    /// The workflow role this web role acts as; administrators act on no case.
    pub fn domain_role(self) -> Option<Role> {
        Some(match self {
            WebRole::Applicant | WebRole::Agent => Role::Applicant,
            WebRole::Clerk | WebRole::Coordinator => Role::Clerk,
            WebRole::Reviewer => Role::Reviewer,
            WebRole::Approver => Role::DeptHead,
            WebRole::Supervisor => Role::Supervisor,
            WebRole::Auditor => Role::Auditor,
            WebRole::SysAdmin | WebRole::SecAdmin | WebRole::AuditAdmin => return None,
        })
    }

    /// Roles that need a department, and roles that need an enterprise.
    pub fn needs_dept(self) -> bool {
        matches!(self, WebRole::Reviewer | WebRole::Approver)
    }
    pub fn needs_enterprise(self) -> bool {
        matches!(self, WebRole::Applicant | WebRole::Agent)
    }
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub display_name: String,
    pub role: WebRole,
    pub enterprise: Option<String>,
    pub dept: Option<String>,
    pub region: String,
}

impl Principal {
    fn of(u: &UserRow) -> Result<Principal, AppError> {
        Ok(Principal {
            user_id: u.id.clone(),
            display_name: u.display_name.clone(),
            role: WebRole::parse(&u.role)
                .map_err(|e| AppError::Internal(format!("user {}: {e}", u.id)))?,
            enterprise: u.enterprise.clone(),
            dept: u.dept.clone(),
            region: u.region.clone(),
        })
    }

    /// The workflow actor this user acts as (administrators act on no case).
    pub fn actor(&self) -> Result<Actor, AppError> {
        let role = self.role.domain_role().ok_or_else(|| {
            AppError::Forbidden(format!(
                "{} ({}) acts on no case",
                self.user_id,
                self.role.as_str()
            ))
        })?;
        Ok(Actor::new(&self.user_id, role, self.dept.as_deref()))
    }
}

/// Password rules and the sign-in limits, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub min_password_len: usize,
    /// How many of lower case, upper case, digits and other characters a password
    /// must mix.
    pub min_char_classes: usize,
    /// Failed sign-ins in a row that lock the account…
    pub lock_after: i64,
    /// …for this many minutes.
    pub lock_minutes: i64,
    /// A session unused this long is over.
    pub idle_minutes: i64,
    /// A session is over this long after sign-in, used or not.
    pub max_session_hours: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            min_password_len: 12,
            min_char_classes: 3,
            lock_after: 5,
            lock_minutes: 15,
            idle_minutes: 30,
            max_session_hours: 12,
        }
    }
}

impl AuthConfig {
    /// Refuses a password the rules do not allow, saying which rule.
    pub fn check_password(&self, pw: &str) -> Result<(), AppError> {
        let n = pw.chars().count();
        if n < self.min_password_len {
            return Err(AppError::BadInput(format!(
                "password: {n} characters, at least {} required / 密码至少 {} 位",
                self.min_password_len, self.min_password_len
            )));
        }
        let classes = [
            pw.chars().any(|c| c.is_lowercase()),
            pw.chars().any(|c| c.is_uppercase()),
            pw.chars().any(|c| c.is_ascii_digit()),
            pw.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < self.min_char_classes {
            return Err(AppError::BadInput(format!(
                "password: mixes {classes} of lower/upper/digit/other, {} required / 密码需包含 {} 类字符",
                self.min_char_classes, self.min_char_classes
            )));
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ primitives

/// `n` bytes from the operating system's generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, AppError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("OS randomness: {e}")))?;
    Ok(b)
}

/// A random token for cookies, CSRF and API tokens: 32 bytes, base64url.
pub fn random_token() -> Result<String, AppError> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(32)?))
}

/// How a secret token is stored: its SHA-256, hex.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id PHC string (default parameters: 19 MiB, 2 passes).
pub fn hash_password(pw: &str) -> Result<String, AppError> {
    let salt = random_bytes(16)?;
    Argon2::default()
        .hash_password_with_salt(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

pub fn verify_password(pw: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(pw.as_bytes(), phc)
        .is_ok()
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (the form authenticator apps take).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(B32[((v >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut n = 0u32;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = B32.iter().position(|b| *b == c.to_ascii_uppercase())? as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            out.push((bits >> (n - 8)) as u8);
            n -= 8;
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// HOTP (RFC 4226) with HMAC-SHA1, 6 digits: the code of one counter value.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let d = mac.finalize().into_bytes();
    let off = usize::from(d[19] & 0x0f);
    let bin = u32::from_be_bytes([d[off] & 0x7f, d[off + 1], d[off + 2], d[off + 3]]);
    bin % 1_000_000
}

/// The TOTP step (RFC 6238, 30 s) of a Unix time.
pub fn totp_step(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(30)
}

/// The step whose code `code` is, within one step either side of `now`.
pub fn totp_match(secret_b32: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let secret = base32_decode(secret_b32)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let want: u32 = code.parse().ok()?;
    let now = totp_step(unix_secs);
    (now - 1..=now + 1).find(|s| *s >= 0 && hotp(&secret, *s as u64) == want)
}

/// The current code of a secret (for the demo and for tests that sign in).
pub fn totp_now(secret_b32: &str, unix_secs: i64) -> Option<String> {
    let secret = base32_decode(secret_b32)?;
    Some(format!("{:06}", hotp(&secret, totp_step(unix_secs) as u64)))
}

// ------------------------------------------------------------------ operations

/// A user to create.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    pub id: String,
    pub display_name: String,
    pub role: WebRole,
    pub enterprise: Option<String>,
    pub dept: Option<String>,
    pub region: String,
    pub password: String,
    /// A given TOTP secret (base32); a new random one when absent.
    #[serde(default)]
    pub totp_secret: Option<String>,
}

/// Creates a user and returns the TOTP secret to enrol in an authenticator app.
pub async fn create_user(store: &Store, cfg: &AuthConfig, u: &NewUser) -> Result<String, AppError> {
    let id_ok = !u.id.is_empty()
        && u.id.len() <= 64
        && u.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !id_ok {
        return Err(AppError::BadInput(format!(
            "user id {:?}: 1–64 of A–Z a–z 0–9 - _ .",
            u.id
        )));
    }
    if u.role.needs_dept() && u.dept.is_none() {
        return Err(AppError::BadInput(format!(
            "user {}: role {} needs a dept",
            u.id,
            u.role.as_str()
        )));
    }
    if u.role.needs_enterprise() && u.enterprise.is_none() {
        return Err(AppError::BadInput(format!(
            "user {}: role {} needs an enterprise",
            u.id,
            u.role.as_str()
        )));
    }
    cfg.check_password(&u.password)?;
    let secret = match &u.totp_secret {
        Some(s) if base32_decode(s).is_some_and(|b| b.len() >= 10) => s.to_ascii_uppercase(),
        Some(_) => {
            return Err(AppError::BadInput(
                "totp_secret: base32 of at least 10 bytes".into(),
            ))
        }
        None => base32_encode(&random_bytes(20)?),
    };
    let row = UserRow {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        role: u.role.as_str().to_string(),
        enterprise: u.enterprise.clone(),
        dept: u.dept.clone(),
        region: u.region.clone(),
        password_hash: hash_password(&u.password)?,
        totp_secret: secret.clone(),
        totp_last_step: 0,
        failed_logins: 0,
        locked_until_ms: 0,
        disabled: false,
    };
    store.insert_user(&row).await?;
    Ok(secret)
}

/// A new session: the cookie value (never stored), its CSRF token, and who it is.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
    pub principal: Principal,
}

/// What a sign-in attempt gives.
pub struct Credentials<'a> {
    pub user: &'a str,
    pub password: &'a str,
    pub totp: &'a str,
}

/// The one answer for a wrong user, password or code: it does not say which.
fn bad_credentials() -> AppError {
    AppError::Unauthenticated("用户名、密码或动态口令错误 wrong user, password or code".into())
}

/// Signs in: password and TOTP code both right, the account neither locked nor
/// disabled. Every failure counts towards the lockout. The session id is new at
/// every sign-in (no fixation: an id the client brought is never reused).
pub async fn login(
    store: &Store,
    cfg: &AuthConfig,
    c: &Credentials<'_>,
) -> Result<NewSession, AppError> {
    let now = store.now();
    let now_ms = now.timestamp_millis();
    let Some(u) = store.user(c.user).await? else {
        // The same work as for a real user, so timing does not tell names apart.
        let _ = verify_password(c.password, dummy_hash());
        return Err(bad_credentials());
    };
    if u.disabled {
        return Err(bad_credentials());
    }
    if u.locked_until_ms > now_ms {
        return Err(AppError::Forbidden(format!(
            "账户已锁定，请 {} 分钟后再试或联系安全管理员 account locked after {} failed sign-ins",
            (u.locked_until_ms - now_ms + 59_999) / 60_000,
            cfg.lock_after
        )));
    }
    let pw_ok = verify_password(c.password, &u.password_hash);
    let step = totp_match(&u.totp_secret, c.totp, now.timestamp());
    let fresh = step.filter(|s| *s > u.totp_last_step);
    let Some(step) = fresh.filter(|_| pw_ok) else {
        let until = now_ms + cfg.lock_minutes * 60_000;
        store
            .note_failed_login(&u.id, cfg.lock_after, until)
            .await?;
        return Err(bad_credentials());
    };
    if !store.note_login(&u.id, step).await? {
        // Another sign-in spent this code first.
        return Err(bad_credentials());
    }
    new_session(store, &u).await
}

/// A session for a user without credentials: only for the demo's "sign in as
/// <role>", which the server offers in demo mode to loopback callers alone.
pub async fn demo_session(store: &Store, user: &str) -> Result<NewSession, AppError> {
    let Some(u) = store.user(user).await? else {
        return Err(AppError::NotFound(format!("user {user}")));
    };
    new_session(store, &u).await
}

async fn new_session(store: &Store, u: &UserRow) -> Result<NewSession, AppError> {
    let now_ms = store.now().timestamp_millis();
    let cookie = random_token()?;
    let csrf = random_token()?;
    store
        .insert_session(
            &token_digest(&cookie),
            &SessionRow {
                user_id: u.id.clone(),
                csrf: csrf.clone(),
                created_ms: now_ms,
                last_seen_ms: now_ms,
            },
        )
        .await?;
    Ok(NewSession {
        cookie,
        csrf,
        principal: Principal::of(u)?,
    })
}

/// A real argon2id hash of a random password, verified against when the user is
/// unknown (made once per process).
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let pw = random_token().unwrap_or_default();
        hash_password(&pw).unwrap_or_default()
    })
}

/// The session behind a cookie value, if it is live; an idle one is ended here.
pub async fn session(
    store: &Store,
    cfg: &AuthConfig,
    cookie: &str,
) -> Result<Option<(Principal, String)>, AppError> {
    let key = token_digest(cookie);
    // The session and its user in one read (a session whose user is gone is none).
    let Some((s, u)) = store.session_user(&key).await? else {
        return Ok(None);
    };
    let now_ms = store.now().timestamp_millis();
    let idle = now_ms - s.last_seen_ms > cfg.idle_minutes * 60_000;
    let old = now_ms - s.created_ms > cfg.max_session_hours * 3_600_000;
    if idle || old {
        store.delete_session(&key).await?;
        return Ok(None);
    }
    if u.disabled {
        return Ok(None);
    }
    // Touch at most once a minute: reads stay reads.
    if now_ms - s.last_seen_ms > 60_000 {
        store.touch_session(&key, now_ms).await?;
    }
    Ok(Some((Principal::of(&u)?, s.csrf)))
}

pub async fn logout(store: &Store, cookie: &str) -> Result<(), AppError> {
    store.delete_session(&token_digest(cookie)).await?;
    Ok(())
}

/// Issues an API token for a user; the token is shown once and stored hashed.
pub async fn create_api_token(store: &Store, user: &str, name: &str) -> Result<String, AppError> {
    if store.user(user).await?.is_none() {
        return Err(AppError::NotFound(format!("user {user}")));
    }
    let token = format!("zs_{}", random_token()?);
    store
        .insert_api_token(&token_digest(&token), user, name)
        .await?;
    Ok(token)
}

/// The user behind a bearer token.
pub async fn token_principal(store: &Store, token: &str) -> Result<Option<Principal>, AppError> {
    match store.api_token_owner(&token_digest(token)).await? {
        Some(u) if !u.disabled => Ok(Some(Principal::of(&u)?)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use zhishen_store::FixedClock;

    /// A store on a settable clock with one applicant whose TOTP secret is known.
    async fn env(clock: Arc<FixedClock>) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.db").display());
        let store = Store::open(&url).await.unwrap().with_clock(clock);
        let u = NewUser {
            id: "u1".into(),
            display_name: "U".into(),
            role: WebRole::Applicant,
            enterprise: Some("E".into()),
            dept: None,
            region: "440300".into(),
            password: "Zhishen-test-2026".into(),
            totp_secret: Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        };
        create_user(&store, &AuthConfig::default(), &u)
            .await
            .unwrap();
        (store, dir)
    }

    fn t0() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap()
    }

    fn creds(code: &str) -> Credentials<'_> {
        Credentials {
            user: "u1",
            password: "Zhishen-test-2026",
            totp: code,
        }
    }

    #[tokio::test]
    async fn sessions_end_when_idle_or_old_and_codes_are_spent_once() {
        let clock = Arc::new(FixedClock::new(t0()));
        let (store, _d) = env(clock.clone()).await;
        let cfg = AuthConfig::default();
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let code = totp_now(secret, t0().timestamp()).unwrap();
        let s = login(&store, &cfg, &creds(&code)).await.unwrap();
        assert_eq!(s.principal.user_id, "u1");
        // The same code again: refused (replay), and it counts as a failure.
        assert!(matches!(
            login(&store, &cfg, &creds(&code)).await,
            Err(AppError::Unauthenticated(_))
        ));
        // Used every 29 minutes, the session lives…
        for m in [29, 58, 87] {
            clock.set(t0() + chrono::Duration::minutes(m));
            assert!(
                session(&store, &cfg, &s.cookie).await.unwrap().is_some(),
                "{m} min"
            );
        }
        // …until 31 idle minutes pass.
        clock.set(t0() + chrono::Duration::minutes(87 + 31));
        assert!(session(&store, &cfg, &s.cookie).await.unwrap().is_none());
        // A session used steadily still ends 12 hours after sign-in.
        let t1 = t0() + chrono::Duration::hours(1);
        clock.set(t1);
        let s2 = login(
            &store,
            &cfg,
            &creds(&totp_now(secret, t1.timestamp()).unwrap()),
        )
        .await
        .unwrap();
        let mut m = 0;
        while m < 12 * 60 {
            m += 20;
            clock.set(t1 + chrono::Duration::minutes(m));
            let live = session(&store, &cfg, &s2.cookie).await.unwrap().is_some();
            assert_eq!(live, m <= 12 * 60, "{m} min after sign-in");
        }
        // An unknown cookie is no session.
        assert!(session(&store, &cfg, "forged").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn five_failures_lock_and_the_lock_ends() {
        let clock = Arc::new(FixedClock::new(t0()));
        let (store, _d) = env(clock.clone()).await;
        let cfg = AuthConfig::default();
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for _ in 0..5 {
            let bad = Credentials {
                password: "Wrong-password-1",
                ..creds("000000")
            };
            assert!(login(&store, &cfg, &bad).await.is_err());
        }
        let code = totp_now(secret, t0().timestamp()).unwrap();
        let e = login(&store, &cfg, &creds(&code)).await.unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{e}");
        assert!(e.to_string().contains("15"), "minutes left named: {e}");
        // 15 minutes later the right password and a fresh code get in.
        let t = t0() + chrono::Duration::minutes(15) + chrono::Duration::seconds(1);
        clock.set(t);
        let code = totp_now(secret, t.timestamp()).unwrap();
        login(&store, &cfg, &creds(&code)).await.unwrap();
    }

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 are ours).
    #[test]
    fn totp_matches_the_rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59_i64, 94287082_u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(
                hotp(secret, totp_step(t) as u64),
                eight % 1_000_000,
                "t={t}"
            );
        }
        let b32 = base32_encode(secret);
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(totp_match(&b32, "287082", 59), Some(1));
        // One step late is accepted, two are not.
        assert_eq!(totp_match(&b32, "287082", 89), Some(1));
        assert_eq!(totp_match(&b32, "287082", 119), None);
        assert_eq!(totp_match(&b32, "28708", 59), None);
        assert_eq!(totp_match(&b32, "28708x", 59), None);
    }

    #[test]
    fn base32_round_trips_every_length() {
        for n in 0..12 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base32_decode(&base32_encode(&b)).unwrap(), b, "n={n}");
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("1NVALID"), None);
    }

    #[test]
    fn argon2id_hashes_verify_only_their_password() {
        let h = hash_password("Correct-horse-9").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("Correct-horse-9", &h));
        assert!(!verify_password("correct-horse-9", &h));
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify_password("anything", dummy_hash()));
        assert_ne!(h, hash_password("Correct-horse-9").unwrap(), "salted");
    }

    #[test]
    fn password_rules_name_the_rule() {
        let cfg = AuthConfig::default();
        assert!(cfg
            .check_password("Short-1")
            .unwrap_err()
            .to_string()
            .contains("at least 12"));
        assert!(cfg
            .check_password("alllowercaseletters")
            .unwrap_err()
            .to_string()
            .contains("mixes 1"));
        cfg.check_password("Zhishen-demo-2026").unwrap();
    }

    #[test]
    fn every_role_round_trips_and_admins_act_on_no_case() {
        for r in WebRole::ALL {
            assert_eq!(WebRole::parse(r.as_str()).unwrap(), r);
        }
        assert!(WebRole::parse("root").is_err());
        for r in [WebRole::SysAdmin, WebRole::SecAdmin, WebRole::AuditAdmin] {
            assert_eq!(r.domain_role(), None);
        }
        assert_eq!(WebRole::Approver.domain_role(), Some(Role::DeptHead));
    }
}
