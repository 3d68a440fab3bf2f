//! Designer pre-check (设计自检): a designer reviews a model against the site before
//! submitting, with no case. The model is an upload blob; the review runs now (the
//! same `check` as the CLI), the JSON report becomes a blob, and a row says whose it
//! is. An enterprise sees its own pre-checks only; another's id is "not found".

use crate::auth::{random_bytes, Principal, WebRole};
use crate::review::{check, CheckRequest};
use crate::{AppError, Sha256};
use std::path::PathBuf;
use zhishen_rules::Report;
use zhishen_store::{PrecheckRow, Store};

/// What a pre-check reviews.
pub struct PrecheckInput {
    pub model_sha256: Sha256,
    /// The server's site package directory.
    pub site: PathBuf,
    pub parcel: String,
    pub place: Option<String>,
    pub declared_use: Option<String>,
    /// 申报指标 to compare with the model's, as the application will declare them.
    pub declared: Option<zhishen_rules::report::Declared>,
}

fn enterprise_of(p: &Principal) -> Result<String, AppError> {
    match (&p.enterprise, p.role) {
        (Some(e), WebRole::Applicant | WebRole::Agent) => Ok(e.clone()),
        _ => Err(AppError::Forbidden(format!(
            "{} ({}) runs no pre-check",
            p.user_id,
            p.role.as_str()
        ))),
    }
}

/// Reviews the stored model now and files the report for `p`'s enterprise.
pub async fn run(
    store: &Store,
    p: &Principal,
    input: PrecheckInput,
) -> Result<PrecheckRow, AppError> {
    let enterprise = enterprise_of(p)?;
    if input.parcel.trim().is_empty() {
        return Err(AppError::BadInput(
            "parcel: choose the parcel (宗地) to check against".into(),
        ));
    }
    let bytes = store.get_blob(&input.model_sha256).await?;
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(format!("temp dir: {e}")))?;
    let model = dir.path().join("model.ifc");
    std::fs::write(&model, &bytes)
        .map_err(|e| AppError::Internal(format!("{}: {e}", model.display())))?;
    let req = CheckRequest {
        model,
        site: input.site.clone(),
        parcel: input.parcel.clone(),
        profiles: vec![],
        place: input.place.clone(),
        declared_use: input.declared_use.clone(),
        declared: input.declared.clone(),
        allow_outside_paths: false,
        site_crs: None,
    };
    let report = tokio::task::spawn_blocking(move || check(&req))
        .await
        .map_err(|e| AppError::Internal(format!("review task: {e}")))??;
    drop(dir);
    let mut json = serde_json::to_vec_pretty(&report)
        .map_err(|e| AppError::Internal(format!("report JSON: {e}")))?;
    json.push(b'\n');
    let report_sha = store.put_blob(&json, "application/json").await?;
    let row = PrecheckRow {
        id: format!("PC-{}", hex::encode(random_bytes(8)?)),
        user_id: p.user_id.clone(),
        enterprise,
        model_sha256: input.model_sha256.as_str().to_string(),
        report_sha256: report_sha.as_str().to_string(),
        parcel: input.parcel,
        verdict: verdict_of(&report).to_string(),
        created_at: String::new(),
    };
    store.insert_precheck(&row).await?;
    Ok(row)
}

/// `pass`, `fail` or `unverifiable`: pass only when nothing failed and nothing is
/// unverifiable.
pub fn verdict_of(r: &Report) -> &'static str {
    use zhishen_rules::Status;
    match r.summary.overall {
        Some(Status::Pass) => "pass",
        Some(Status::Fail) => "fail",
        _ if r.summary.fail > 0 => "fail",
        _ => "unverifiable",
    }
}

/// A pre-check of `p`'s enterprise with its report.
pub async fn get(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<(PrecheckRow, Report), AppError> {
    let enterprise = enterprise_of(p)?;
    let nf = || AppError::NotFound(format!("pre-check {id}"));
    let row = store
        .precheck(id)
        .await?
        .filter(|r| r.enterprise == enterprise)
        .ok_or_else(nf)?;
    let sha = Sha256::parse(&row.report_sha256).map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = store.get_blob(&sha).await?;
    let report: Report = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::Internal(format!("report {id}: {e}")))?;
    Ok((row, report))
}

/// `p`'s enterprise's pre-checks, newest first.
pub async fn list(store: &Store, p: &Principal) -> Result<Vec<PrecheckRow>, AppError> {
    Ok(store.prechecks_of(&enterprise_of(p)?).await?)
}

/// The parcels of a site package, for choosing one: their ids and a plan-view SVG in
/// which each parcel links to `?parcel=<id>` (every text escaped).
#[derive(Debug, Clone, Default)]
pub struct ParcelMap {
    pub ids: Vec<String>,
    pub svg: String,
}

/// A parcel's id and the outer rings of its polygons.
type ParcelRings = (String, Vec<Vec<(f64, f64)>>);

pub fn parcel_map(site: &std::path::Path) -> Result<ParcelMap, AppError> {
    use geo::BoundingRect;
    let model = zhishen_site::load_with(site, &crate::inputs::site_options(false))?;
    let parcels = parcel_rings(&model);
    let bbox = model
        .features
        .iter()
        .filter(|f| f.kind == zhishen_site::Kind::Parcel)
        .filter_map(|f| f.geometry.bounding_rect())
        .reduce(|a, b| {
            geo::Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        });
    let Some(b) = bbox else {
        return Ok(ParcelMap::default());
    };
    Ok(ParcelMap {
        svg: map_svg(&parcels, b),
        ids: parcels.into_iter().map(|(id, _)| id).collect(),
    })
}

fn parcel_rings(model: &zhishen_site::SiteModel) -> Vec<ParcelRings> {
    use geo::Geometry;
    model
        .features
        .iter()
        .filter(|f| f.kind == zhishen_site::Kind::Parcel)
        .filter_map(|f| {
            let rings = match &f.geometry {
                Geometry::Polygon(p) => vec![p.exterior().coords().map(|c| (c.x, c.y)).collect()],
                Geometry::MultiPolygon(m) => m
                    .iter()
                    .map(|p| p.exterior().coords().map(|c| (c.x, c.y)).collect())
                    .collect(),
                _ => return None,
            };
            Some((f.id()?.to_string(), rings))
        })
        .collect()
}

/// The parcels drawn in a 640 × 400 view of their bounding box, north up.
fn map_svg(parcels: &[ParcelRings], b: geo::Rect<f64>) -> String {
    let (w, h) = (640.0, 400.0);
    let s = (w / b.width().max(1e-9)).min(h / b.height().max(1e-9)) * 0.95;
    let tx = |x: f64| (x - b.min().x) * s + 0.025 * w;
    let ty = |y: f64| h - ((y - b.min().y) * s + 0.025 * h);
    let esc = zhishen_report::html::esc;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"宗地图 parcels\" id=\"parcel-map\">"
    );
    for (id, rings) in parcels {
        svg.push_str(&format!(
            "<a href=\"?parcel={}\"><title>{}</title>",
            esc(id),
            esc(id)
        ));
        let mut cx = (0.0, 0.0, 0.0);
        for ring in rings {
            let pts: Vec<String> = ring
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", tx(*x), ty(*y)))
                .collect();
            for (x, y) in ring {
                cx = (cx.0 + tx(*x), cx.1 + ty(*y), cx.2 + 1.0);
            }
            svg.push_str(&format!(
                "<polygon points=\"{}\" fill=\"#e8f0fb\" stroke=\"#0b5cad\" stroke-width=\"1.5\"/>",
                pts.join(" ")
            ));
        }
        if cx.2 > 0.0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
                cx.0 / cx.2,
                cx.1 / cx.2,
                esc(id)
            ));
        }
        svg.push_str("</a>");
    }
    svg.push_str("</svg>");
    svg
}
