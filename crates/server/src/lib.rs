//! zhishen-server: `zhishen serve`, the HTTP service over the application layer.
//!
//! A thin adapter, like the CLI: handlers parse requests, call `zhishen-app` or the
//! store, and render JSON (`api`) or problem+json errors (`problem`). Every response
//! carries the security headers (`headers`). The server keeps no state of its own
//! beyond the store handle, so any number of processes can serve one database.
//!
//! This is the service's first slice: public, read-only routes (health, the item
//! catalogue, the OpenAPI description and its docs page). Sign-in, roles and every
//! state-changing route come with the session layer; until then nothing here reads or
//! changes a case.

pub mod api;
mod docs;
mod headers;
pub mod problem;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use zhishen_store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
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
}

/// Request bodies above this are refused before a handler sees them (uploads will
/// set their own, streamed limit).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The router: every route, the security headers, the body limit.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(api::health))
        .route("/api/catalogue", get(api::catalogue))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
        .fallback(docs::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Serves on `addr` until the process is stopped; `ready` gets the bound address
/// (useful with port 0).
pub async fn serve(
    db: &str,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let store = Store::open(db).await.map_err(|source| ServerError::Store {
        url: db.to_string(),
        source,
    })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(ServerError::Serve)?;
    tracing::info!(%bound, "serving");
    ready(bound);
    let app = router(AppState {
        store: Arc::new(store),
    });
    axum::serve(listener, app).await.map_err(ServerError::Serve)
}
