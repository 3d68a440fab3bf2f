//! `zhishen render`: a snapshot 快照 of a twin as PNG, by the same renderer the
//! browser viewer runs, headless (Vulkan on lavapipe or GL on llvmpipe when there is
//! no GPU). The scene comes from a stored review (`--review ID --db URL`), a twin GLB
//! (`--glb`), or a review made now from files (`--model --site --parcel`).

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use zhishen_app::review::CheckRequest;
use zhishen_app::AppError;
use zhishen_render::ViewSpec;

#[derive(clap::Args)]
pub struct RenderArgs {
    /// A review job id; its twin is read from (or rebuilt into) the store.
    #[arg(long, requires = "db", conflicts_with_all = ["glb", "model"])]
    pub review: Option<i64>,
    /// Database of the review: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long)]
    pub db: Option<String>,
    /// A twin scene (zhishen.twin/1 GLB).
    #[arg(long, conflicts_with = "model")]
    pub glb: Option<PathBuf>,
    /// An IFC model to review now (with --site and --parcel).
    #[arg(long, requires_all = ["site", "parcel"])]
    pub model: Option<PathBuf>,
    #[arg(long)]
    pub site: Option<PathBuf>,
    #[arg(long)]
    pub parcel: Option<String>,
    /// Explicit placement E,N,rotation_deg[,elevation] in the site CRS.
    #[arg(long)]
    pub place: Option<String>,
    /// Declared building use(s), e.g. 住宅 or 住宅:0.9,商业:0.1.
    #[arg(long = "use")]
    pub declared_use: Option<String>,
    /// plan, axo or finding:N (N = the finding's number in the report's order).
    #[arg(long, default_value = "plan")]
    pub view: String,
    /// Output PNG.
    #[arg(long)]
    pub out: PathBuf,
    /// Image size WIDTHxHEIGHT.
    #[arg(long, default_value = "960x640")]
    pub size: String,
    /// Also write the scene as GLB (with --model).
    #[arg(long)]
    pub glb_out: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), AppError> {
    s.split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .ok_or_else(|| {
            AppError::BadInput(format!("--size {s:?}: expected WIDTHxHEIGHT, e.g. 960x640"))
        })
}

fn scene_bytes(a: &RenderArgs) -> Result<Vec<u8>> {
    if let Some(id) = a.review {
        let db = a.db.clone().unwrap_or_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(async {
            let store = zhishen_store::Store::open(&db).await?;
            Ok(zhishen_app::twin::twin_of_job(&store, id).await?)
        });
    }
    if let Some(p) = &a.glb {
        return std::fs::read(p).with_context(|| format!("reading --glb {}", p.display()));
    }
    let (Some(model), Some(site), Some(parcel)) = (&a.model, &a.site, &a.parcel) else {
        return Err(AppError::BadInput(
            "give --review ID --db URL, --glb FILE, or --model --site --parcel".into(),
        )
        .into());
    };
    let bar = crate::model::progress::LoadBar::for_file(model);
    let sink = |p| bar.report(p);
    let t = zhishen_app::twin::twin_for_check_with(
        &CheckRequest {
            model: model.clone(),
            site: site.clone(),
            parcel: parcel.clone(),
            profiles: vec![],
            place: a.place.clone(),
            declared_use: a.declared_use.clone(),
            declared: None,
            allow_outside_paths: false,
            site_crs: None,
        },
        &bar.options(&sink),
    )?;
    for w in &t.warnings {
        eprintln!("注意 warning: {w}");
    }
    if let Some(p) = &a.glb_out {
        std::fs::write(p, &t.glb).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(t.glb)
}

pub fn run(a: RenderArgs) -> Result<ExitCode> {
    let view: ViewSpec = a.view.parse().map_err(AppError::BadInput)?;
    let size = parse_size(&a.size)?;
    let glb = scene_bytes(&a)?;
    let scene = zhishen_app::snapshot::scene(&glb)?;
    let png = zhishen_app::snapshot::render_png(&scene, view, size)?;
    std::fs::write(&a.out, &png).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "已写出 wrote {} ({} bytes, view {}, {} findings in the scene)",
        a.out.display(),
        png.len(),
        a.view,
        scene.meta.findings.len()
    );
    Ok(ExitCode::SUCCESS)
}
