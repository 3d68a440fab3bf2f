//! What the rules tests that build sites in code share.

use geo::Geometry;
use serde_json::Value;
use std::collections::BTreeMap;
use zhishen_site::{Feature, Kind};

/// A site feature of `kind` with `attrs` (a JSON object), as if read from
/// `<kind>.geojson` at `fid`.
pub fn feature(kind: Kind, geometry: Geometry<f64>, attrs: Value, fid: u64) -> Feature {
    use geo::BoundingRect;
    let bbox = geometry
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let attrs: BTreeMap<String, Value> = attrs
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Feature {
        kind,
        geometry,
        bbox,
        attrs,
        extra: BTreeMap::new(),
        file: format!("{}.geojson", kind.as_str()),
        layer: kind.as_str().into(),
        fid: Some(fid),
        width_source: None,
    }
}
