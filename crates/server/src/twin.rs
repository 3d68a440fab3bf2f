//! The digital twin 数字孪生 of a review job: the viewer page, the scene as GLB and the
//! viewer's own files.
//!
//! The scene is built by `zhishen_app::twin` (the model on its site, every finding marked);
//! the browser draws it with the wasm renderer (`crates/render`, built by `make viewer`
//! into `viewer/pkg/`) inside a plain-DOM shell (`viewer/twin.js`, `viewer/twin.css`).
//! Those files are read from the viewer directory at request time, by a fixed list of
//! names ([`Asset`]), never by a path taken from the request, so a rebuilt viewer needs
//! no server rebuild and nothing else on disk can be reached.
//!
//! A job is seen by whoever may see its case (`app::cases::visible_case`); an unseen
//! case is "not found", never "forbidden". The page runs under its own policy
//! ([`TWIN_CSP`]): the site-wide one plus `'wasm-unsafe-eval'`, which compiling the
//! renderer's WebAssembly needs; still no inline script and nothing from elsewhere.

use crate::guard::Ctx;
use crate::pages::{render, Page, PageError};
use crate::problem::{ApiError, Problem};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use zhishen_app::auth::Principal;
use zhishen_app::cases::{self, ScopedCase};
use zhishen_app::AppError;
use zhishen_store::{ReviewJob, ReviewStatus};

/// The twin page's policy: the site-wide policy (`headers.rs`) with WebAssembly
/// compilation allowed for this page's scripts, and `blob:` images (canvas snapshots).
pub const TWIN_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The files of the viewer, the only ones `/twin-assets/{file}` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// The shell: toolbar, panels, pointer handling, links.
    ShellJs,
    ShellCss,
    /// wasm-bindgen's module of the renderer.
    RenderJs,
    /// The renderer itself.
    RenderWasm,
}

impl Asset {
    pub const ALL: [Asset; 4] = [
        Asset::ShellJs,
        Asset::ShellCss,
        Asset::RenderJs,
        Asset::RenderWasm,
    ];

    /// The name in the URL.
    pub fn name(self) -> &'static str {
        match self {
            Asset::ShellJs => "twin.js",
            Asset::ShellCss => "twin.css",
            Asset::RenderJs => "zhishen_render.js",
            Asset::RenderWasm => "zhishen_render_bg.wasm",
        }
    }

    pub fn parse(name: &str) -> Option<Asset> {
        Asset::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Where it lies under the viewer directory.
    pub fn rel_path(self) -> &'static str {
        match self {
            Asset::ShellJs => "twin.js",
            Asset::ShellCss => "twin.css",
            Asset::RenderJs => "pkg/zhishen_render.js",
            Asset::RenderWasm => "pkg/zhishen_render_bg.wasm",
        }
    }

    /// `application/wasm` lets the browser compile while it downloads.
    pub fn content_type(self) -> &'static str {
        match self {
            Asset::ShellJs | Asset::RenderJs => "text/javascript; charset=utf-8",
            Asset::ShellCss => "text/css; charset=utf-8",
            Asset::RenderWasm => "application/wasm",
        }
    }
}

/// Whether `make viewer` has built the renderer into `dir`.
pub fn viewer_built(dir: &std::path::Path) -> bool {
    [Asset::RenderJs, Asset::RenderWasm]
        .iter()
        .all(|a| dir.join(a.rel_path()).is_file())
}

/// A review job the caller may see, with its case; a job of an unseen case is not found,
/// like a job that does not exist.
async fn visible_job(
    s: &AppState,
    p: &Principal,
    id: i64,
) -> Result<(ReviewJob, ScopedCase), AppError> {
    let nf = || AppError::NotFound(format!("审查任务 review job {id}"));
    let job = s.store.review_job(id).await?.ok_or_else(nf)?;
    let sc = cases::visible_case(&s.store, p, job.case_id.as_str())
        .await
        .map_err(|_| nf())?;
    Ok((job, sc))
}

/// Only a finished review has a twin (its report and findings).
fn require_done(job: &ReviewJob) -> Result<(), AppError> {
    if job.status == ReviewStatus::Done {
        return Ok(());
    }
    Err(AppError::Conflict(format!(
        "审查任务 {} 尚未完成，暂无三维孪生 review job {} is not done: no twin yet",
        job.id, job.id
    )))
}

#[derive(Template)]
#[template(path = "twin.html")]
struct TwinTpl {
    page: Page,
    job: i64,
    case_id: String,
    case_title: String,
    item: String,
    /// The renderer is built (`make viewer`); otherwise the page says so.
    built: bool,
}

impl TwinTpl {
    /// The label in the language the page is not in (a tooltip beside the shown one).
    fn alt<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.page.t(en, zh)
    }
}

/// `GET /twin/{job}`: the viewer page.
pub async fn page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(job): Path<i64>,
) -> Result<Response, PageError> {
    let e = |x| PageError(x, ctx.lang);
    let p = ctx.user().map_err(e)?;
    let (job, sc) = visible_job(&s, p, job).await.map_err(e)?;
    require_done(&job).map_err(e)?;
    let tpl = TwinTpl {
        page: Page::new(&ctx, "三维孪生", "Digital twin"),
        job: job.id,
        case_id: sc.case.id.clone(),
        case_title: sc.scope.title.clone(),
        item: job.item.as_str().to_string(),
        built: viewer_built(&s.viewer_dir),
    };
    let mut resp = render(&tpl);
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(TWIN_CSP),
    );
    Ok(resp)
}

/// `GET /api/reviews/{job}/twin.glb`: the twin scene (`zhishen.twin/1`, `docs/twin-glb.md`).
#[utoipa::path(get, path = "/api/reviews/{job}/twin.glb", tag = "reviews", params(("job" = i64, Path, description = "审查任务 review job id")), responses((status = 200, description = "三维孪生场景 the twin scene, glTF 2.0 binary (zhishen.twin/1)", content_type = "model/gltf-binary"), (status = 404, description = "无此任务 no such job in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 409, description = "审查未完成 the review is not done", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not", body = Problem, content_type = "application/problem+json")))]
pub async fn glb(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(job): Path<i64>,
    req_headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let (job, _) = visible_job(&s, ctx.user()?, job).await?;
    require_done(&job)?;
    let bytes = zhishen_app::twin::twin_of_job(&s.store, job.id).await?;
    // A finished job's inputs never change, but the scene is the caller's to see.
    Ok(body(
        &req_headers,
        "model/gltf-binary",
        "private, max-age=300",
        bytes,
    )
    .await)
}

fn takes_gzip(req_headers: &axum::http::HeaderMap) -> bool {
    req_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        })
}

/// The `.gz` beside a viewer file, written by `make viewer`, when it is as new as the
/// file itself: the wasm is compressed once at build time, not on every page load.
async fn pregzipped(path: &std::path::Path) -> Option<Vec<u8>> {
    let gz = path.with_extension(format!(
        "{}.gz",
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
    ));
    let newer = |m: std::fs::Metadata| m.modified().ok();
    let (plain, packed) = (
        tokio::fs::metadata(path).await.ok()?,
        tokio::fs::metadata(&gz).await.ok()?,
    );
    if newer(packed)? < newer(plain)? {
        return None;
    }
    tokio::fs::read(gz).await.ok()
}

/// A response body, gzipped when the client takes gzip: a twin's GLB shrinks to about a
/// third (its property sets are text), the renderer's wasm too.
async fn body(
    req_headers: &axum::http::HeaderMap,
    content_type: &'static str,
    cache: &'static str,
    bytes: Vec<u8>,
) -> Response {
    let gzip = req_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        });
    let plain = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, cache),
        (header::VARY, "accept-encoding"),
    ];
    if !gzip {
        return (plain, bytes).into_response();
    }
    let packed = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&bytes)
            .and_then(|()| enc.finish())
            .map_err(|_| bytes)
    })
    .await;
    match packed {
        Ok(Ok(gz)) => (plain, [(header::CONTENT_ENCODING, "gzip")], gz).into_response(),
        Ok(Err(bytes)) => (plain, bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /twin-assets/{file}`: one of the viewer's files ([`Asset`]), read from the viewer
/// directory; anything else, or a file not built, is 404.
pub async fn asset(
    State(s): State<AppState>,
    uri: axum::http::Uri,
    Path(file): Path<String>,
    req_headers: axum::http::HeaderMap,
) -> Response {
    let Some(a) = Asset::parse(&file) else {
        return crate::docs::not_found(uri).await.into_response();
    };
    let path = s.viewer_dir.join(a.rel_path());
    // Rebuilt in place by `make viewer`: revalidate every time.
    let headers = [
        (header::CONTENT_TYPE, a.content_type()),
        (header::CACHE_CONTROL, "no-cache"),
        (header::VARY, "accept-encoding"),
    ];
    if takes_gzip(&req_headers) {
        if let Some(gz) = pregzipped(&path).await {
            return (headers, [(header::CONTENT_ENCODING, "gzip")], gz).into_response();
        }
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => body(&req_headers, a.content_type(), "no-cache", bytes).await,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "三维查看器未构建，请运行 make viewer / viewer not built — run make viewer ({})",
                a.name()
            ),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, file = a.name(), dir = %s.viewer_dir.display(), "viewer file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_files_are_served_and_wasm_is_wasm() {
        for a in Asset::ALL {
            assert_eq!(Asset::parse(a.name()), Some(a));
            assert!(!a.rel_path().contains(".."));
        }
        for bad in [
            "",
            "../Cargo.toml",
            "pkg/zhishen_render.js",
            "twin.js/",
            "TWIN.JS",
            "%2e%2e/x",
        ] {
            assert_eq!(Asset::parse(bad), None, "{bad}");
        }
        assert_eq!(Asset::RenderWasm.content_type(), "application/wasm");
    }

    #[test]
    fn the_twin_policy_allows_wasm_and_nothing_inline() {
        assert!(TWIN_CSP.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(!TWIN_CSP.contains("unsafe-inline"));
        assert!(!TWIN_CSP.contains("'unsafe-eval'"));
        assert!(TWIN_CSP.contains("frame-ancestors 'none'"));
    }

    fn tpl(lang: crate::guard::Lang, built: bool) -> String {
        TwinTpl {
            page: Page {
                lang,
                user: None,
                csrf: String::new(),
                title: "t".into(),
            },
            job: 7,
            case_id: "c-1".into(),
            case_title: "<b>项目</b>".into(),
            item: "JSGCGHXK".into(),
            built,
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_page_says_when_the_viewer_is_not_built_and_escapes_what_it_shows() {
        use crate::guard::Lang;
        let missing = tpl(Lang::Zh, false);
        assert!(missing.contains("viewer not built — run make viewer"));
        assert!(missing.contains("三维查看器未构建"));
        assert!(
            !missing.contains("/twin-assets/twin.js"),
            "no viewer to load"
        );
        assert!(!missing.contains("twin-canvas"));
        let zh = tpl(Lang::Zh, true);
        assert!(zh.contains(r#"<script type="module" src="/twin-assets/twin.js"></script>"#));
        assert!(zh.contains(r#"data-glb="/api/reviews/7/twin.glb""#));
        assert!(zh.contains("项目") && !zh.contains("<b>项目"), "escaped");
        // Chinese first with the English beside it, and the other way round.
        assert!(
            zh.contains("三维孪生 <span class=\"alt\">Digital twin</span>"),
            "{zh}"
        );
        let en = tpl(Lang::En, true);
        assert!(en.contains("Digital twin <span class=\"alt\">三维孪生</span>"));
        assert!(en.contains(r#"title="平面视图">Plan<"#));
        // app.js follows every [data-job] as a running review: the page must have none.
        assert!(!zh.contains("data-job="));
    }

    #[test]
    fn the_viewer_counts_as_built_only_with_both_renderer_files() {
        let d = tempfile::tempdir().unwrap();
        assert!(!viewer_built(d.path()));
        std::fs::create_dir(d.path().join("pkg")).unwrap();
        std::fs::write(d.path().join("pkg/zhishen_render.js"), "").unwrap();
        assert!(!viewer_built(d.path()));
        std::fs::write(d.path().join("pkg/zhishen_render_bg.wasm"), "").unwrap();
        assert!(viewer_built(d.path()));
    }
}
