//! TLS (`zhishen serve --tls-cert FILE --tls-key FILE`): rustls with the ring
//! provider; each accepted connection is handshaken and then served by hyper with
//! the same router as plain HTTP. Under TLS the session cookie is `Secure` and every
//! response carries HSTS (see `AppState::tls`, `headers`).

use crate::ServerError;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

fn bad(path: &Path, what: impl std::fmt::Display) -> ServerError {
    ServerError::Tls(format!("{}: {what}", path.display()))
}

/// The acceptor of a PEM certificate chain and private key.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ServerError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, e))?;
    if certs.is_empty() {
        return Err(bad(cert, "no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Tls(format!("certificate and key: {e}")))?;
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// Accepts TLS connections until the process stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    acceptor: TlsAcceptor,
) -> Result<(), ServerError> {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let app = app
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let svc = TowerToHyperService::new(app);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection");
            }
        });
    }
}
