#![no_main]
//! The site loader on fuzzed files: no panic may escape `zhishen_site::load`, whatever
//! the package holds. The first byte picks what the rest becomes inside a fresh temp
//! package (the loader reads paths, not bytes):
//!
//! - 0: `parcel.geojson` (GDAL's GeoJSON reader, attributes, ranges, geometry repair);
//! - 1: a road Shapefile: bytes 1-4 are the .shp and .shx lengths (u16 LE each), then
//!   .shp, .shx and .dbf; a fixed site.toml gives the CRS (the header checks, the
//!   declared-count comparison, GDAL's Shapefile reader);
//! - 2: `site.toml` beside a valid parcel layer (TOML, the path rule, field mapping);
//! - 3: `purple_line.dxf` with a fixed site.toml (GDAL's DXF reader, closed polylines).

use libfuzzer_sys::fuzz_target;
use std::path::Path;

const PARCEL: &str = r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}, "features": [{"type": "Feature", "properties": {"id": "A", "land_use": "R2", "coverage_max": 30}, "geometry": {"type": "Polygon", "coordinates": [[[528000, 3386000], [528100, 3386000], [528100, 3386100], [528000, 3386100], [528000, 3386000]]]}}]}"#;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write to the temp package");
}

fn toml_for(path: &str, kind: &str) -> String {
    format!("crs = \"EPSG:4547\"\n[[layer]]\npath = \"{path}\"\nkind = \"{kind}\"\n")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path();
    match mode % 4 {
        0 => write(p, "parcel.geojson", rest),
        1 => {
            if rest.len() < 4 {
                return;
            }
            let shp = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
            let shx = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
            let body = &rest[4..];
            let a = shp.min(body.len());
            let b = (a + shx).min(body.len());
            write(p, "road_red_line.shp", &body[..a]);
            write(p, "road_red_line.shx", &body[a..b]);
            write(p, "road_red_line.dbf", &body[b..]);
            write(p, "site.toml", toml_for("road_red_line.shp", "road_red_line").as_bytes());
        }
        2 => {
            write(p, "parcel.geojson", PARCEL.as_bytes());
            write(p, "site.toml", rest);
        }
        _ => {
            write(p, "purple_line.dxf", rest);
            write(p, "parcel.geojson", PARCEL.as_bytes());
            let mut t = toml_for("parcel.geojson", "parcel");
            t.push_str("[[layer]]\npath = \"purple_line.dxf\"\nkind = \"purple_line\"\ncrs = \"EPSG:4547\"\n");
            write(p, "site.toml", t.as_bytes());
        }
    }
    let _ = zhishen_site::load(p);
});
