//! Sign-in and sign-out pages. The sign-in form is protected against login CSRF by a
//! double-submit token (a `zs_pre` cookie equal to the form's hidden field). A new
//! session id is issued at every sign-in and any id the browser brought is dropped
//! (no session fixation). Every attempt, good or bad, enters the access audit.
//!
//! Demo mode (`zhishen serve --demo`, loopback only) may offer "sign in as <role>";
//! the real password + TOTP path stays what tests use.

use crate::guard::{self, cookie, Ctx, SESSION_COOKIE};
use crate::pages::{render, Page, PageError};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use std::net::SocketAddr;
use zhishen_app::auth::{self, Credentials, WebRole};
use zhishen_app::AppError;

const PRE_COOKIE: &str = "zs_pre";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    page: Page,
    pre_csrf: String,
    error: Option<String>,
    demo_roles: Vec<(&'static str, &'static str, &'static str)>,
}

fn demo_offered(s: &AppState, peer: &SocketAddr) -> bool {
    s.demo && peer.ip().is_loopback()
}

fn login_form(
    s: &AppState,
    ctx: &Ctx,
    peer: &SocketAddr,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let pre = auth::random_token()?;
    let demo_roles = if demo_offered(s, peer) {
        WebRole::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh(), r.label_en()))
            .collect()
    } else {
        vec![]
    };
    let status = error
        .as_ref()
        .and_then(|e| axum::http::StatusCode::from_u16(e.http_status()).ok())
        .unwrap_or(axum::http::StatusCode::OK);
    let mut resp = render(&LoginTpl {
        page: Page::new(ctx, "登录", "Sign in"),
        pre_csrf: pre.clone(),
        error: error.map(|e| e.to_string()),
        demo_roles,
    });
    *resp.status_mut() = status;
    set_cookie(
        &mut resp,
        &format!(
            "{PRE_COOKIE}={pre}; Path=/login; HttpOnly; SameSite=Strict{}",
            s.secure_attr()
        ),
    );
    Ok(resp)
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, PageError> {
    login_form(&s, &ctx, &peer, None).map_err(|e| PageError(e, ctx.lang))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub totp: String,
    #[serde(default)]
    pub role: String,
}

fn pre_ok(headers: &HeaderMap, f: &LoginForm) -> bool {
    cookie(headers, PRE_COOKIE).is_some_and(|c| !c.is_empty() && guard::same_token(c, &f.csrf))
}

/// Ends whatever session the browser brought, then starts the new one.
async fn start_session(s: &AppState, headers: &HeaderMap, new: auth::NewSession) -> Response {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        let _ = auth::logout(&s.store, old).await;
    }
    let mut resp = Redirect::to("/").into_response();
    set_cookie(
        &mut resp,
        &format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{}",
            new.cookie,
            s.secure_attr()
        ),
    );
    set_cookie(&mut resp, &format!("{PRE_COOKIE}=; Path=/login; Max-Age=0"));
    resp
}

pub async fn login(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let pe = |e| PageError(e, ctx.lang);
    if !pre_ok(&headers, &f) {
        guard::audit(&s, None, "login", &f.user, "denied", "csrf".into()).await;
        return Err(pe(AppError::Forbidden(
            "表单已过期，请刷新后重试 the sign-in form expired (CSRF); reload it".into(),
        )));
    }
    let c = Credentials {
        user: f.user.trim(),
        password: &f.password,
        totp: &f.totp,
    };
    match auth::login(&s.store, &s.auth, &c).await {
        Ok(new) => {
            let p = new.principal.clone();
            guard::audit(&s, Some(&p), "login", &p.user_id, "ok", String::new()).await;
            Ok(start_session(&s, &headers, new).await)
        }
        Err(e @ (AppError::Unauthenticated(_) | AppError::Forbidden(_))) => {
            guard::audit(&s, None, "login", c.user, "denied", e.to_string()).await;
            login_form(&s, &ctx, &peer, Some(e)).map_err(pe)
        }
        Err(e) => Err(pe(e)),
    }
}

/// Demo mode only, loopback only: sign in as the first demo user of a role.
pub async fn login_demo(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let pe = |e| PageError(e, ctx.lang);
    if !demo_offered(&s, &peer) {
        guard::audit(&s, None, "login_demo", &f.role, "denied", peer.to_string()).await;
        return Err(pe(AppError::NotFound("/login/demo".into())));
    }
    if !pre_ok(&headers, &f) {
        return Err(pe(AppError::Forbidden("CSRF".into())));
    }
    let role = WebRole::parse(&f.role).map_err(pe)?;
    let user = s
        .store
        .users()
        .await
        .map_err(|e| pe(e.into()))?
        .into_iter()
        .find(|u| u.role == role.as_str() && u.id.starts_with("demo-"))
        .ok_or_else(|| {
            pe(AppError::NotFound(format!(
                "demo user of role {}",
                role.as_str()
            )))
        })?;
    let new = auth::demo_session(&s.store, &user.id).await.map_err(pe)?;
    guard::audit(
        &s,
        Some(&new.principal),
        "login_demo",
        &user.id,
        "ok",
        String::new(),
    )
    .await;
    Ok(start_session(&s, &headers, new).await)
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        let _ = auth::logout(&s.store, c).await;
    }
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(&mut resp, &format!("{SESSION_COOKIE}=; Path=/; Max-Age=0"));
    resp
}
