//! zhishen-server: `zhishen serve`, the HTTP service over the application layer.
//!
//! A thin adapter, like the CLI: handlers parse requests, call `zhishen-app`, and
//! render JSON (`api`, `api_cases`), pages (`pages`, `login`, `admin`) or
//! problem+json errors (`problem`). The route table (`routes`) is the one place that
//! says which role may call what: the router is built from it and the guard
//! (`guard`) checks every request against it, with CSRF and the access audit. Every
//! response carries the security headers (`headers`).
//!
//! The server keeps no state of its own beyond the store handle: sessions, jobs, the
//! outbox relay lease and the access audit are all in the store, so any number of
//! processes can serve one PostgreSQL database with S3 blobs.

pub mod admin;
pub mod api;
pub mod api_cases;
pub mod api_credit;
mod docs;
pub mod guard;
mod headers;
pub mod login;
pub mod pages;
pub mod precheck;
pub mod problem;
pub mod routes;
mod tls;
pub mod twin;
mod worker;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use zhishen_app::auth::AuthConfig;
use zhishen_app::upload::UploadLimits;
use zhishen_app::Sha256;
use zhishen_store::Store;

/// The site package reviews run against: packed once at start-up as a blob.
#[derive(Debug, Clone)]
pub struct SiteRef {
    pub sha256: Sha256,
    pub default_parcel: String,
    /// The package directory (pre-checks read it directly).
    pub dir: PathBuf,
    /// Its parcels and their plan-view map.
    pub map: zhishen_app::precheck::ParcelMap,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub auth: AuthConfig,
    pub site: Option<SiteRef>,
    pub upload_limits: UploadLimits,
    pub signer: Arc<zhishen_audit::Ed25519Signer>,
    pub issuer_name: String,
    /// The base URL printed into licence QR codes.
    pub public_url: String,
    /// Demo mode: "sign in as <role>" for loopback callers.
    pub demo: bool,
    pub tls: bool,
    /// The twin viewer's files (`viewer/`: the shell, and `pkg/` from `make viewer`).
    pub viewer_dir: PathBuf,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store: Arc::new(store),
            auth: AuthConfig::default(),
            site: None,
            upload_limits: UploadLimits::default(),
            signer: Arc::new(zhishen_audit::licence::demo_signer()),
            issuer_name: "演示市规划和自然资源局 Demo City Planning Bureau".into(),
            public_url: "http://127.0.0.1:8080".into(),
            demo: false,
            tls: false,
            viewer_dir: PathBuf::from(DEFAULT_VIEWER_DIR),
        }
    }

    /// `; Secure` on cookies under TLS.
    pub fn secure_attr(&self) -> &'static str {
        if self.tls {
            "; Secure"
        } else {
            ""
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("store {url}: {source}")]
    Store {
        url: String,
        source: zhishen_store::StoreError,
    },
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    App(#[from] zhishen_app::AppError),
    #[error("TLS: {0}")]
    Tls(String),
}

/// The twin viewer's directory when neither `ServeConfig::viewer_dir` nor
/// `ZHISHEN_VIEWER_DIR` names one: `viewer` under the working directory (the clone's root
/// for `make demo`).
pub const DEFAULT_VIEWER_DIR: &str = "viewer";

/// Request bodies above this are refused before a handler sees them; model uploads
/// are streamed under their own limit (`UploadLimits`).
pub const MAX_BODY_BYTES: usize = 1 << 20;

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const HTMX_JS: &str = include_str!("../static/htmx.min.js");

async fn static_file(
    uri: axum::http::Uri,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "htmx.min.js" => (HTMX_JS, "text/javascript; charset=utf-8"),
        _ => return docs::not_found(uri).await.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The handler of one route of the table.
fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    let get_ = *method == Method::GET;
    Some(match (get_, path) {
        (true, "/healthz") => get(api::health),
        (true, "/api/catalogue") => get(api::catalogue),
        (true, "/api/openapi.json") => get(docs::openapi_json),
        (true, "/api/docs") => get(docs::docs_page),
        (true, "/login") => get(login::login_page),
        (false, "/login") => post(login::login),
        (false, "/login/demo") => post(login::login_demo),
        (true, "/licence/verify") => get(admin::licence_verify),
        (true, "/static/{file}") => get(static_file),
        (true, "/twin-assets/{file}") => get(twin::asset),
        (true, "/twin/{job}") => get(twin::page),
        (true, "/api/reviews/{job}/twin.glb") => get(twin::glb),
        (true, "/") => get(pages::home),
        (false, "/logout") => post(login::logout),
        (true, "/api/me") => get(api::me),
        (true, "/cases/{id}") => get(pages::case_page),
        (true, "/api/cases") => get(api_cases::list),
        (true, "/api/cases/{id}") => get(api_cases::get),
        (true, "/api/cases/{id}/events") => get(api_cases::events),
        (true, "/cases/{id}/reports/{sha}") => get(pages::report_page),
        (true, "/cases/{id}/reports/{sha}/bcf") => get(pages::report_bcf),
        (true, "/api/jobs/{id}") => get(api_cases::job),
        (true, "/api/jobs/{id}/events") => get(api_cases::job_events),
        (false, "/cases") => post(pages::create_case),
        (false, "/api/cases") => post(api_cases::create),
        (false, "/cases/{id}/commands") => post(pages::case_command),
        (false, "/api/cases/{id}/commands") => post(api_cases::command),
        (false, "/api/cases/{id}/items/{item}/model") => {
            post(api_cases::upload_model).layer(DefaultBodyLimit::disable())
        }
        (true, "/api/cases/{id}/items/{item}/materials") => get(api_cases::material_status),
        (true, "/api/credit") => get(api_credit::show),
        (false, "/api/credit/objection") => post(api_credit::object),
        (false, "/api/credit/{enterprise}/decision") => post(api_credit::decide),
        (false, "/api/cases/{id}/items/{item}/materials/{code}") => {
            post(api_cases::upload_material).layer(DefaultBodyLimit::disable())
        }
        (true, "/supervision") => get(admin::supervision_page),
        (true, "/api/metrics") => get(admin::metrics_api),
        (true, "/audit") => get(admin::audit_page),
        (true, "/api/audit/verify") => get(admin::audit_verify_api),
        (true, "/api/audit/access") => get(admin::audit_search_api),
        (true, "/admin/users") => get(admin::users_page),
        (false, "/admin/users") => post(admin::create_user),
        (true, "/admin/security") => get(admin::security_page),
        (false, "/admin/users/{id}/unlock") => post(admin::unlock_user),
        (true, "/precheck") => get(precheck::page),
        (false, "/api/precheck") => post(precheck::run).layer(DefaultBodyLimit::disable()),
        (true, "/precheck/{id}") => get(precheck::report),
        (true, "/precheck/{id}/{format}") => get(precheck::download),
        (false, "/api/site-packages") => {
            post(api_cases::upload_site_package).layer(DefaultBodyLimit::disable())
        }
        _ => return None,
    })
}

/// The router: exactly the rows of the route table, each behind the guard, with the
/// security headers and the body limit.
pub fn router(state: AppState) -> Router {
    let mut r = Router::new();
    for spec in routes::ROUTES {
        match handler(&spec.method, spec.path) {
            Some(h) => r = r.route(spec.path, h),
            None => {
                tracing::error!(method = %spec.method, path = spec.path, "route without handler")
            }
        }
    }
    r.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        guard::guard,
    ))
    .fallback(docs::not_found)
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        headers::security_headers,
    ))
    .with_state(state)
}

/// How to serve.
pub struct ServeConfig {
    pub db: String,
    pub addr: SocketAddr,
    /// A site package directory reviews run against.
    pub site: Option<PathBuf>,
    pub default_parcel: Option<String>,
    pub demo: bool,
    pub public_url: Option<String>,
    /// Run the review and timer workers in this process.
    pub workers: bool,
    pub exchange: Option<zhishen_app::exchange::ExchangeConfig>,
    pub upload_limits: UploadLimits,
    pub auth: AuthConfig,
    /// PEM certificate chain and key: serve HTTPS (Secure cookies, HSTS).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The key that signs e-licences and exchange deliveries; `None`: the public demo
    /// key (a warning is logged: such signatures prove nothing).
    pub signer: Option<zhishen_audit::Ed25519Signer>,
    /// 发证机关 printed on licences.
    pub issuer_name: Option<String>,
    /// How long a claimed review job stays with its worker without a renewal
    /// (the store's default when `None`); a job of a killed process is taken over
    /// by another when it runs out.
    pub review_lease: Option<chrono::Duration>,
    /// The twin viewer's directory; `None`: `ZHISHEN_VIEWER_DIR`, else [`DEFAULT_VIEWER_DIR`].
    pub viewer_dir: Option<PathBuf>,
}

impl ServeConfig {
    pub fn new(db: impl Into<String>, addr: SocketAddr) -> ServeConfig {
        ServeConfig {
            db: db.into(),
            addr,
            site: None,
            default_parcel: None,
            demo: false,
            public_url: None,
            workers: true,
            exchange: None,
            upload_limits: UploadLimits::default(),
            auth: AuthConfig::default(),
            tls: None,
            signer: None,
            issuer_name: None,
            review_lease: None,
            viewer_dir: None,
        }
    }
}

/// Opens the store, packs the site package, starts the workers and serves until the
/// process is stopped; `ready` gets the bound address (useful with port 0).
pub async fn serve(cfg: ServeConfig, ready: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    let store = Store::open(&cfg.db)
        .await
        .map_err(|source| ServerError::Store {
            url: cfg.db.clone(),
            source,
        })?;
    let store = match cfg.review_lease {
        Some(lease) => store.with_review_lease(lease),
        None => store,
    };
    let mut state = AppState::new(store);
    state.demo = cfg.demo;
    state.viewer_dir = cfg
        .viewer_dir
        .clone()
        .or_else(|| std::env::var_os("ZHISHEN_VIEWER_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_VIEWER_DIR));
    if !twin::viewer_built(&state.viewer_dir) {
        tracing::warn!(dir = %state.viewer_dir.display(), "twin viewer not built: run make viewer");
    }
    state.upload_limits = cfg.upload_limits;
    state.auth = cfg.auth.clone();
    match &cfg.signer {
        Some(k) => state.signer = Arc::new(k.clone()),
        None => tracing::warn!(
            "no --signing-key: licences and exchange deliveries are signed with the PUBLIC demo key"
        ),
    }
    if let Some(n) = &cfg.issuer_name {
        state.issuer_name = n.clone();
    }
    if let Some(dir) = &cfg.site {
        let packed = zhishen_app::site_package::pack_dir(dir)?;
        let sha = state
            .store
            .put_blob(&packed, "application/zip")
            .await
            .map_err(zhishen_app::AppError::from)?;
        let d = dir.clone();
        let map = tokio::task::spawn_blocking(move || zhishen_app::precheck::parcel_map(&d))
            .await
            .map_err(|e| zhishen_app::AppError::Internal(e.to_string()))??;
        state.site = Some(SiteRef {
            sha256: sha,
            default_parcel: cfg
                .default_parcel
                .clone()
                .or_else(|| map.ids.first().cloned())
                .unwrap_or_default(),
            dir: dir.clone(),
            map,
        });
    }
    let acceptor = match &cfg.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    state.tls = acceptor.is_some();
    let _ = zhishen_app::upload::remove_stale_uploads(
        &state.store,
        std::time::Duration::from_secs(24 * 3600),
    );
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: cfg.addr,
            source,
        })?;
    let bound = listener.local_addr().map_err(ServerError::Serve)?;
    let scheme = if state.tls { "https" } else { "http" };
    state.public_url = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{bound}"));
    tracing::info!(%bound, "serving");
    if cfg.workers {
        worker::spawn(state.store.clone(), cfg.exchange.clone());
    }
    ready(bound);
    let app = router(state);
    if let Some(acceptor) = acceptor {
        return tls::serve(listener, app, acceptor).await;
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(ServerError::Serve)
}
