//! Site model for zhishen 智审: planning layers read through GDAL (GeoPackage,
//! Shapefile with GBK fallback, GeoJSON, OpenFileGDB, FlatGeobuf, DXF), fields mapped
//! to canonical names, everything transformed to the site CRS and indexed in an
//! R-tree; buildings placed on the site from their georeferencing or an explicit placement.
//! Site packages come from applicants and uploads, so the loader trusts none of it:
//! nothing read is dropped silently (counts against what files declare, GDAL's messages
//! as findings), values outside their range are refused, paths stay inside the package,
//! and `Limits` bound what one load may read (docs/site-package.md).

mod arrow;
mod columnar;
mod cpl;
pub mod crs;
pub mod encoding;
pub mod fields;
pub mod load;
pub mod local_crs;
pub mod model;
pub mod options;
mod package;
pub mod place;
pub mod ranges;
mod repair;
pub mod widths;
mod wkb;

pub use crs::{model_crs, CrsChoice, CrsSource, PreferredCrs};
pub use fields::Kind;
pub use load::{load, load_with};
pub use model::{Feature, Finding, LayerInfo, RoadWidth, Severity, SiteModel};
pub use options::{Limit, Limits, LoadOptions, ReadMode};
pub use place::{place, PlacedBuilding, PlacedPart, Placement, PlacementSource};
pub use widths::WidthSource;

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot open: {message}")]
    Open { path: String, message: String },
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("{path}: no planning layers found (name files <kind>.<ext>, e.g. parcel.gpkg, or list them in site.toml)")]
    Empty { path: String },
    #[error("{path}: unknown CRS: no layer declares one and site.toml sets none (set crs in site.toml or give --site-crs)")]
    UnknownCrs { path: String },
    #[error("site CRS {crs} is geographic; planning checks need a projected CRS in metres (name a projected crs, or leave it out to have one chosen)")]
    GeographicSiteCrs { crs: String },
    #[error("{path}: no projected site CRS can be chosen: {why}; set crs in site.toml")]
    NoProjectedCrs { path: String, why: String },
    #[error("cannot place {model} on the site: {why}; give --place E,N,rotation_deg")]
    NoPlacement { model: String, why: String },
    #[error("{path}: 超出限制 limit exceeded: {limit} = {max}, the package has {value}")]
    LimitExceeded {
        path: String,
        limit: Limit,
        value: u64,
        max: u64,
    },
    #[error("placement: {0}")]
    Placement(String),
}
