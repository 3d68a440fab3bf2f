//! The authorisation middleware (访问控制): for every matched route it finds the row in
//! the route table, resolves who is calling (session cookie or bearer token), refuses
//! what the row does not allow, checks the CSRF token of state-changing requests made
//! with a cookie, and writes every state-changing request and every refusal to the
//! access audit with user, role, action, target and result.
//!
//! Pages get a redirect to the sign-in page when nobody is signed in; the API gets a
//! 401 problem. A route missing from the table is refused (fail closed).

use crate::problem::ApiError;
use crate::routes::{self, Access, RouteSpec};
use crate::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use zhishen_app::auth::{self, Principal};
use zhishen_app::AppError;
use zhishen_store::AccessEntry;

pub const SESSION_COOKIE: &str = "zs_session";
pub const LANG_COOKIE: &str = "zs_lang";

/// Page language: Chinese first, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// What a handler knows about the request after the guard.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub principal: Option<Principal>,
    /// The session's CSRF token (for forms); none for bearer tokens.
    pub csrf: String,
    pub lang: Lang,
    pub spec: &'static RouteSpec,
}

impl Ctx {
    /// The signed-in user (the guard has already refused anonymous callers on
    /// routes that need one).
    pub fn user(&self) -> Result<&Principal, AppError> {
        self.principal
            .as_ref()
            .ok_or_else(|| AppError::Unauthenticated("sign in first".into()))
    }
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language the query asks for (`?lang=en`, `?lang=zh`).
fn lang_asked(req: &Request) -> Option<Lang> {
    let q = req.uri().query().unwrap_or("");
    q.split('&').find_map(|kv| match kv {
        "lang=en" => Some(Lang::En),
        "lang=zh" => Some(Lang::Zh),
        _ => None,
    })
}

fn lang_of(req: &Request) -> Lang {
    lang_asked(req).unwrap_or(match cookie(req.headers(), LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    })
}

/// Remembers a language asked for in the query, so the pages after it (links,
/// redirects after a form) keep it.
fn remember_lang(s: &AppState, resp: &mut Response, lang: Lang) {
    let v = match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    let c = format!(
        "{LANG_COOKIE}={v}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{}",
        s.secure_attr()
    );
    if let Ok(h) = axum::http::HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, h);
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Who is calling, and the session's CSRF token; `via_token` for bearer callers.
async fn identify(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Principal, String, bool)>, AppError> {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let token = h
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| AppError::Unauthenticated("Authorization: Bearer <token>".into()))?;
        return Ok(auth::token_principal(&s.store, token.trim())
            .await?
            .map(|p| (p, String::new(), true)));
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(c) => Ok(auth::session(&s.store, &s.auth, c)
            .await?
            .map(|(p, csrf)| (p, csrf, false))),
        None => Ok(None),
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The CSRF token a state-changing request carries: the `X-CSRF-Token` header, or
/// the `csrf` field of a urlencoded form (the body is read and put back).
async fn carried_csrf(req: Request) -> Result<(Option<String>, Request), AppError> {
    if let Some(h) = req.headers().get("x-csrf-token") {
        let t = h.to_str().ok().map(str::to_string);
        return Ok((t, req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map_err(|_| AppError::TooLarge(format!("form over {} bytes", crate::MAX_BODY_BYTES)))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| AppError::BadInput(format!("form: {e}")))?;
    let t = fields
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v);
    Ok((t, Request::from_parts(parts, Body::from(bytes))))
}

fn refuse(path: &str, e: AppError) -> Response {
    if is_api(path) {
        return ApiError(e).into_response();
    }
    match e {
        AppError::Unauthenticated(_) => Redirect::to("/login").into_response(),
        e => crate::pages::error_page(e, Lang::Zh),
    }
}

/// Writes one access-audit entry; a failure to audit is logged loudly (the request
/// itself has already been decided).
pub async fn audit(
    s: &AppState,
    who: Option<&Principal>,
    action: &str,
    target: &str,
    result: &str,
    detail: String,
) {
    let e = AccessEntry {
        user_id: who.map_or("anonymous".into(), |p| p.user_id.clone()),
        role: who.map_or("-".into(), |p| p.role.as_str().to_string()),
        action: action.to_string(),
        target: target.to_string(),
        result: result.to_string(),
        detail,
    };
    if let Err(err) = s.store.append_access(&e).await {
        tracing::error!(error = %err, action, target, "access audit write failed");
    }
}

fn result_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=399 => "ok",
        401 | 403 => "denied",
        400..=499 => "refused",
        _ => "error",
    }
}

/// The middleware itself (mounted with `route_layer`, so only matched routes come here).
/// Who is calling, as the guard resolved it.
struct Caller {
    principal: Option<Principal>,
    csrf: String,
    /// A session cookie (not a bearer token): state changes need the CSRF token.
    cookie_session: bool,
}

/// Refuses a caller the route's row does not allow (401 for anonymous, 403 for a
/// role), with the refusal audited.
async fn authorise(s: &AppState, spec: &RouteSpec, c: &Caller, path: &str) -> Result<(), Response> {
    if spec.access.allows(c.principal.as_ref().map(|p| p.role)) {
        return Ok(());
    }
    let (e, result) = match &c.principal {
        None => (
            AppError::Unauthenticated("sign in first / 请先登录".into()),
            "unauthenticated",
        ),
        Some(p) => (
            AppError::Forbidden(format!("role {} may not {}", p.role.as_str(), spec.action)),
            "denied",
        ),
    };
    audit(
        s,
        c.principal.as_ref(),
        spec.action,
        path,
        result,
        String::new(),
    )
    .await;
    Err(refuse(path, e))
}

/// Checks the CSRF token of a state-changing cookie request; gives the request back
/// (a form body read for its token is put back).
async fn check_csrf(
    s: &AppState,
    spec: &RouteSpec,
    c: &Caller,
    req: Request,
) -> Result<Request, Response> {
    let path = req.uri().path().to_string();
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    if !(changes && c.cookie_session && spec.access != Access::Public) {
        return Ok(req);
    }
    let (carried, req) = carried_csrf(req).await.map_err(|e| refuse(&path, e))?;
    if carried.is_some_and(|t| same_token(&t, &c.csrf)) {
        return Ok(req);
    }
    audit(
        s,
        c.principal.as_ref(),
        spec.action,
        &path,
        "denied",
        "csrf".into(),
    )
    .await;
    Err(refuse(
        &path,
        AppError::Forbidden("CSRF token missing or wrong / 表单令牌无效".into()),
    ))
}

/// The middleware itself (mounted with `route_layer`, so only matched routes come here).
pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    let Some(spec) = routes::find(&method, &matched) else {
        // The router holds only the table's rows, so this is a method the path does
        // not take.
        return crate::problem::problem(
            405,
            "urn:zhishen:method_not_allowed",
            "方法不允许 Method not allowed",
            format!("{method} {path}"),
        );
    };
    let caller = match identify(&s, req.headers()).await {
        Ok(w) => Caller {
            cookie_session: w.as_ref().is_some_and(|(_, _, token)| !token),
            csrf: w.as_ref().map(|(_, c, _)| c.clone()).unwrap_or_default(),
            principal: w.map(|(p, _, _)| p),
        },
        Err(e) => return refuse(&path, e),
    };
    if let Err(r) = authorise(&s, spec, &caller, &path).await {
        return r;
    }
    let mut req = match check_csrf(&s, spec, &caller, req).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let lang = lang_of(&req);
    let asked = lang_asked(&req);
    req.extensions_mut().insert(Ctx {
        principal: caller.principal.clone(),
        csrf: caller.csrf.clone(),
        lang,
        spec,
    });
    let mut resp = next.run(req).await;
    if let Some(l) = asked {
        remember_lang(&s, &mut resp, l);
    }
    // Sign-in audits itself (it knows the user name tried).
    let changes = !matches!(method, Method::GET | Method::HEAD);
    if changes && !matches!(spec.action, "login" | "login_demo") {
        let status = resp.status();
        let who = caller.principal.as_ref();
        audit(
            &s,
            who,
            spec.action,
            &path,
            result_of(status),
            status.as_str().to_string(),
        )
        .await;
    }
    resp
}
