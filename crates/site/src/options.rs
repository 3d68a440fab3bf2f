//! What one load may consume and where it may read. A site package comes from an
//! applicant or an upload, so its size is bounded before GDAL parses it (a hostile
//! 10 GB GeoJSON must be refused, not parsed) and its paths stay inside the package.

use crate::crs::PreferredCrs;
use serde::Serialize;

/// Resource limits of one load. Exceeding one is an error naming the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Features one layer may hold (declared or read).
    pub max_features_per_layer: u64,
    /// Vertices one feature may have, over all its rings and parts.
    pub max_vertices_per_feature: u64,
    /// Bytes of all files the package reads (Shapefile sidecars and FileGDB directories included).
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// Generous for city planning data (a city's parcels are a few 100k features; a
    /// surveyed boundary a few 10k vertices), small enough to bound memory and time.
    fn default() -> Self {
        Limits {
            max_features_per_layer: 5_000_000,
            max_vertices_per_feature: 5_000_000,
            max_total_bytes: 2 << 30,
        }
    }
}

/// Which limit a `limit_exceeded` finding or error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    FeaturesPerLayer,
    VerticesPerFeature,
    TotalBytes,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::FeaturesPerLayer => "max_features_per_layer",
            Limit::VerticesPerFeature => "max_vertices_per_feature",
            Limit::TotalBytes => "max_total_bytes",
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How features come out of GDAL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Through the layer's Arrow stream (batches, rows built on every core) where it
    /// gives the same result as the feature API, else feature by feature.
    #[default]
    Auto,
    /// Feature by feature only (the reference the Arrow path is tested against).
    Features,
}

/// How [`crate::load_with`] reads a package.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Accept `site.toml` paths that are absolute or leave the package directory (after
    /// `..` and symlinks are resolved). Off by default; only the CLI can turn it on, with
    /// `--allow-outside-paths`. A server never does.
    pub allow_outside_paths: bool,
    /// The site CRS the caller names (`--site-crs`); over `site.toml` and every choice.
    pub site_crs: Option<String>,
    /// The reviewed model's projected CRS ([`crate::model_crs`]): the site CRS when
    /// neither `site_crs` nor `site.toml` names one (`crs` module for the order).
    pub preferred_crs: Option<PreferredCrs>,
    pub read: ReadMode,
}
