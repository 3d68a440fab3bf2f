//! The `zhishen inspect --json` contract (documented in docs/inspect-json.md).

use crate::model::{Model, Rings};
use serde_json::{json, Value};

/// Version tag of the inspect JSON; bump on any breaking change.
pub const INSPECT_FORMAT: &str = "zhishen.inspect/1";

/// GeoJSON MultiPolygon geometry for footprint rings.
pub fn multipolygon(rings: &Rings) -> Value {
    json!({"type": "MultiPolygon", "coordinates": rings})
}

pub fn inspect_json(m: &Model) -> Value {
    let f = &m.facts;
    json!({
        "format": INSPECT_FORMAT,
        "file": m.file,
        "schema": m.schema,
        "schema_identifier": m.header.schema_identifiers.first(),
        "header": m.header,
        "length_unit_m": m.length_unit_m,
        "area_unit_m2": m.area_unit_m2,
        "project": m.project,
        "sites": m.sites,
        "buildings": m.buildings,
        "storeys": m.storeys.iter().map(|s| json!({
            "id": s.node.id,
            "global_id": s.node.global_id,
            "name": s.node.name,
            "long_name": s.node.long_name,
            "elevation_m": s.elevation_m,
            "building": s.building,
        })).collect::<Vec<_>>(),
        "spaces": m.spaces,
        "element_counts": m.element_counts,
        "georef": m.georef,
        "bbox_world_m": m.bbox_world_m,
        "facts": {
            "footprint": multipolygon(&f.footprint),
            "footprint_area_m2": f.footprint_area_m2,
            "footprint_below": multipolygon(&f.footprint_below),
            "footprint_below_area_m2": f.footprint_below_area_m2,
            "base": multipolygon(&f.base),
            "base_area_m2": f.base_area_m2,
            "footprint_notes": f.footprint_notes,
            "parts": f.parts.iter().map(|p| serde_json::json!({
                "building": p.building,
                "outline": multipolygon(&p.outline),
                "area_m2": p.area_m2,
                "height_m": p.height_m,
            })).collect::<Vec<_>>(),
            "ground_m": f.ground_m,
            "ground_source": f.ground_source,
            "height_m": f.height_m,
            "height_method": f.height_method,
            "height_notes": f.height_notes,
            "highest_point_m": f.highest_point_m,
            "storeys_above": f.storeys_above,
            "storeys_below": f.storeys_below,
            "gfa_m2": f.gfa_m2,
            "gfa_by_storey": f.gfa_by_storey,
            "gfa_by_use": f.gfa_by_use,
        },
        "diagnostics": m.diagnostics,
    })
}
