//! Snapshots 快照 of a twin: the plan view and each finding rendered headless by the
//! same renderer the browser viewer runs (`zhishen-render`), as PNG. The CLI's
//! `zhishen render`, the HTML report and the BCF viewpoints take their pictures here.
//!
//! One headless device per process, created on first use (0.1–0.3 s on a software
//! adapter) and shared behind a mutex: snapshots are rare, a device is not cheap.

use crate::AppError;
use std::sync::{Mutex, OnceLock};
use zhishen_render::snapshot::{Headless, RenderError};
use zhishen_render::{TwinScene, ViewSpec};
use zhishen_report::Pictures;

/// Default snapshot size: large enough to read a setback, small enough to embed.
pub const SIZE: (u32, u32) = (960, 640);

static DEVICE: OnceLock<Mutex<Result<Headless, String>>> = OnceLock::new();

fn render_err(e: RenderError) -> AppError {
    match e {
        RenderError::NoFinding(_) | RenderError::Size(..) => AppError::BadInput(e.to_string()),
        other => AppError::Internal(format!("快照 snapshot: {other}")),
    }
}

/// Runs `f` with the process's headless device.
fn with_device<T>(f: impl FnOnce(&Headless) -> Result<T, AppError>) -> Result<T, AppError> {
    let cell = DEVICE.get_or_init(|| Mutex::new(Headless::new().map_err(|e| e.to_string())));
    let guard = cell
        .lock()
        .map_err(|_| AppError::Internal("snapshot device lock poisoned".into()))?;
    match &*guard {
        Ok(dev) => f(dev),
        Err(e) => Err(AppError::Internal(format!("快照 snapshot: {e}"))),
    }
}

/// Parses a twin GLB (a stored one is trusted less than nothing: every offset checked).
pub fn scene(glb: &[u8]) -> Result<TwinScene, AppError> {
    TwinScene::from_glb(glb).map_err(|e| AppError::BadInput(e.to_string()))
}

/// One view of a scene as PNG.
pub fn render_png(
    scene: &TwinScene,
    view: ViewSpec,
    size: (u32, u32),
) -> Result<Vec<u8>, AppError> {
    with_device(|d| {
        d.render(scene, view, size)
            .and_then(|img| img.to_png())
            .map_err(render_err)
    })
}

/// Renders the plan and every finding of a twin for a report. A view that fails is
/// left out with a warning; the report is still written, without that picture.
pub fn report_pictures(scene: &TwinScene, size: (u32, u32)) -> Pictures {
    let one = |v| match render_png(scene, v, size) {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!(view = ?v, error = %e, "snapshot left out of the report");
            None
        }
    };
    Pictures {
        plan: one(ViewSpec::Plan),
        findings: scene
            .meta
            .findings
            .iter()
            .filter_map(|f| one(ViewSpec::Finding(f.number)).map(|p| (f.number, p)))
            .collect(),
    }
}

/// Recently rendered report pictures by the SHA-256 of the twin they show: rendering
/// them costs a second or more on a software adapter. Keyed by content, not by job id,
/// since a process may serve more than one store (the tests do) and a rebuilt twin
/// must not show old pictures.
type Recent = Mutex<std::collections::VecDeque<([u8; 32], std::sync::Arc<Pictures>)>>;
static RECENT: OnceLock<Recent> = OnceLock::new();
const RECENT_TWINS: usize = 8;

/// The report pictures of a finished review job's twin (rendered once per process for
/// the last few twins).
pub async fn pictures_of_job(
    store: &zhishen_store::Store,
    job_id: i64,
) -> Result<std::sync::Arc<Pictures>, AppError> {
    use sha2::Digest as _;
    let glb = crate::twin::twin_of_job(store, job_id).await?;
    let key: [u8; 32] = sha2::Sha256::digest(&glb).into();
    let recent = RECENT.get_or_init(Default::default);
    let hit = recent
        .lock()
        .ok()
        .and_then(|q| q.iter().find(|(k, _)| *k == key).map(|(_, p)| p.clone()));
    if let Some(p) = hit {
        return Ok(p);
    }
    let pictures = tokio::task::spawn_blocking(move || -> Result<Pictures, AppError> {
        Ok(report_pictures(&scene(&glb)?, SIZE))
    })
    .await
    .map_err(|e| AppError::Internal(format!("snapshot task: {e}")))??;
    let pictures = std::sync::Arc::new(pictures);
    if let Ok(mut q) = recent.lock() {
        q.retain(|(k, _)| *k != key);
        q.push_back((key, pictures.clone()));
        while q.len() > RECENT_TWINS {
            q.pop_front();
        }
    }
    Ok(pictures)
}
