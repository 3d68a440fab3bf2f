//! GeoJSON geometry objects (the report's `evidence` and parcel geometry) back into geo
//! types. Only what `zhishen.report/1` writes: Point, MultiPoint, LineString,
//! MultiLineString, Polygon, MultiPolygon, GeometryCollection. Anything malformed is
//! `None`, for the caller to name in a warning.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value;

/// Deepest GeometryCollection nesting read (the report writes none nested).
const MAX_DEPTH: usize = 8;

pub(crate) fn geometry(v: &Value) -> Option<Geometry<f64>> {
    read(v, 0)
}

fn read(v: &Value, depth: usize) -> Option<Geometry<f64>> {
    let c = v.get("coordinates");
    Some(match v.get("type")?.as_str()? {
        "Point" => Geometry::Point(Point(coord(c?)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            list(c?, coord)?.into_iter().map(Point).collect(),
        )),
        "LineString" => Geometry::LineString(line(c?)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(list(c?, line)?)),
        "Polygon" => Geometry::Polygon(polygon(c?)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(list(c?, polygon)?)),
        "GeometryCollection" if depth < MAX_DEPTH => {
            Geometry::GeometryCollection(geo::GeometryCollection(
                v.get("geometries")?
                    .as_array()?
                    .iter()
                    .map(|g| read(g, depth + 1))
                    .collect::<Option<Vec<_>>>()?,
            ))
        }
        _ => return None,
    })
}

fn list<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(f).collect()
}

fn coord(v: &Value) -> Option<Coord<f64>> {
    let a = v.as_array()?;
    let (x, y) = (a.first()?.as_f64()?, a.get(1)?.as_f64()?);
    (x.is_finite() && y.is_finite()).then_some(Coord { x, y })
}

fn line(v: &Value) -> Option<LineString<f64>> {
    list(v, coord).map(LineString)
}

fn polygon(v: &Value) -> Option<Polygon<f64>> {
    let mut rings = list(v, line)?.into_iter();
    let outer = rings.next()?;
    Some(Polygon::new(outer, rings.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_the_report_writes() {
        let l = geometry(&json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.5]]}));
        assert_eq!(
            l,
            Some(Geometry::LineString(LineString::from(vec![
                (1.0, 2.0),
                (3.0, 4.5)
            ])))
        );
        let m = geometry(
            &json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}),
        );
        assert!(matches!(m, Some(Geometry::MultiPolygon(p)) if p.0.len() == 1));
    }

    #[test]
    fn malformed_is_none() {
        for v in [
            json!(null),
            json!({"type": "LineString"}),
            json!({"type": "LineString", "coordinates": [[1.0], [2.0, 3.0]]}),
            json!({"type": "Polygon", "coordinates": []}),
            json!({"type": "Circle", "coordinates": [0, 0]}),
            json!({"type": "Point", "coordinates": ["a", 1]}),
        ] {
            assert_eq!(geometry(&v), None, "{v}");
        }
    }
}
