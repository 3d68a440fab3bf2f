//! zhishen-twin: the digital twin 数字孪生 scene of one review. It puts the submitted
//! building, the planning layers around its parcel and the review's findings into one
//! `zhishen.twin/1` scene (`zhishen_render::format`, written as GLB by
//! `TwinScene::to_glb`; `docs/twin-glb.md`), in site coordinates relative to a local
//! origin, so the browser viewer and the snapshot renderer show what the report says
//! where it is.
//!
//! Pure apart from what its inputs already hold (no IO, no GDAL call): the model is
//! loaded, the site read and the building placed by the caller (`zhishen-app`). Nothing
//! is dropped silently: an element or feature that cannot be drawn is left out with a
//! warning in [`Built::warnings`] naming it; nothing here panics on input.

mod building;
mod evidence;
mod findings;
mod frame;
mod geojson;
mod layers;
mod mesh;
mod scene;
#[cfg(test)]
mod tests;

pub use building::OMITTED_KEY;
/// The scene types, for callers that read a built scene back.
pub use zhishen_render::format::{FindingInfo, Layer, Mark, NodeInfo, TwinScene};

use frame::{Bounds, Frame, FrameCtx};
use geo::Rect;
use zhishen_render::format::{StoreyInfo, TwinMeta, SCHEMA};
use zhishen_report::Report;
use zhishen_site::{PlacedBuilding, SiteModel};

/// One review's inputs and result.
#[derive(Clone, Copy)]
pub struct TwinInput<'a> {
    pub model: &'a zhishen_ifc::Model,
    /// The building's placement on the site; `None` when it could not be placed (the
    /// building is then drawn centred on the parcel, with a warning).
    pub placed: Option<&'a PlacedBuilding>,
    pub site: &'a SiteModel,
    /// The reviewed parcel's id.
    pub parcel: &'a str,
    pub report: &'a Report,
    /// The review job the scene belongs to (`TwinMeta::review`).
    pub review: Option<&'a str>,
}

/// Bounds on what one scene holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Site layers are drawn this far around the parcel and the building (m).
    pub window_margin_m: f64,
    /// Features drawn per site layer (the nearest to the window's centre).
    pub features_per_layer: usize,
    /// A site feature with more vertices is left out (with a warning).
    pub vertices_per_feature: usize,
    /// Property entries kept per element.
    pub props: usize,
    /// Characters kept per property name and value.
    pub prop_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window_margin_m: 150.0,
            features_per_layer: 2_000,
            vertices_per_feature: 50_000,
            props: 200,
            prop_chars: 200,
        }
    }
}

/// A built scene and what was left out of it.
#[derive(Debug, Clone)]
pub struct Built {
    pub scene: TwinScene,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    /// Neither the parcel nor the building has a finite position to build around.
    #[error("孪生场景无法定位 twin scene has no extent: parcel {parcel} has no usable geometry and the building none")]
    NoExtent { parcel: String },
}

/// Builds the scene with the default [`Limits`].
pub fn build(input: &TwinInput) -> Result<Built, TwinError> {
    build_with(input, &Limits::default())
}

/// Builds the scene of one review.
pub fn build_with(input: &TwinInput, limits: &Limits) -> Result<Built, TwinError> {
    let mut sb = scene::SceneBuilder::default();
    let placed = placement(input, &mut sb.warnings);
    let parcel = parcel_geometry(input, &mut sb.warnings);
    let no_extent = || TwinError::NoExtent {
        parcel: input.parcel.to_string(),
    };
    let frame = Frame::new(&FrameCtx {
        model: input.model,
        placed,
        parcel: parcel.as_ref(),
    })
    .ok_or_else(no_extent)?;
    let numbered = findings::numbered(input.report);
    let marks = findings::Marks::of(&numbered);
    let building = building::add(
        &mut sb,
        &building::ElementsCtx {
            frame: &frame,
            model: input.model,
            marks: &marks,
            limits,
        },
    );
    let mut boxes: Vec<Rect<f64>> = parcel
        .as_ref()
        .and_then(geo::BoundingRect::bounding_rect)
        .into_iter()
        .collect();
    boxes.extend(building.map(|b| site_rect(&frame, b)));
    let window = layers::Window::around(&boxes, limits.window_margin_m).ok_or_else(no_extent)?;
    layers::add_ground(&mut sb, &frame, &window);
    layers::add_site(
        &mut sb,
        &layers::LayerCtx {
            frame: &frame,
            window: &window,
            site: input.site,
            parcel_id: input.parcel,
            parcel: parcel.as_ref(),
            limits,
        },
    );
    let labels = evidence::add(&mut sb, &frame, &numbered);
    let infos = findings::infos(
        &numbered,
        &findings::InfoCtx {
            frame: &frame,
            scene: &sb,
            building,
            labels: &labels,
        },
    );
    let meta = TwinMeta {
        schema: SCHEMA.into(),
        review: input.review.map(str::to_string),
        crs: input.site.crs.clone(),
        origin: frame.origin,
        parcel: Some(input.parcel.to_string()),
        storeys: storeys(input.model),
        findings: infos,
    };
    Ok(Built {
        scene: TwinScene {
            meta,
            meshes: sb.meshes,
            nodes: sb.nodes,
        },
        warnings: sb.warnings,
    })
}

/// The placement the review used: none when the caller has none or the review
/// refused it (a placement kilometres from the parcel counts as none).
fn placement<'a>(input: &TwinInput<'a>, warnings: &mut Vec<String>) -> Option<&'a PlacedBuilding> {
    let placed = input
        .placed
        .filter(|_| input.report.building.placement != "none");
    if placed.is_none() {
        warnings.push(
            "建筑未定位 the building is not placed on the site: it is drawn with its plan centre on the parcel's centre, not at a surveyed position".into(),
        );
    }
    placed
}

/// The reviewed parcel from the site, else from the report.
fn parcel_geometry(input: &TwinInput, warnings: &mut Vec<String>) -> Option<geo::Geometry<f64>> {
    if let Some(f) = input.site.parcel(input.parcel) {
        return Some(f.geometry.clone());
    }
    let g = geojson::geometry(&input.report.parcel.geometry);
    warnings.push(match g {
        Some(_) => format!(
            "parcel {} is not in the site package: drawn from the report's geometry",
            input.parcel
        ),
        None => format!(
            "parcel {} is neither in the site package nor readable in the report: not drawn",
            input.parcel
        ),
    });
    g
}

/// The site rectangle of a local box.
fn site_rect(frame: &Frame, b: Bounds) -> Rect<f64> {
    let (e0, n0) = frame.site_en(b.min);
    let (e1, n1) = frame.site_en(b.max);
    Rect::new(geo::Coord { x: e0, y: n0 }, geo::Coord { x: e1, y: n1 })
}

fn storeys(model: &zhishen_ifc::Model) -> Vec<StoreyInfo> {
    model
        .storeys
        .iter()
        .map(|s| StoreyInfo {
            global_id: s.node.global_id.clone(),
            name: s.node.name.clone(),
            elevation_m: s.level_m(),
        })
        .collect()
}
