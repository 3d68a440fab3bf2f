//! Small geometry helpers the checks share: closest points between geometries (the evidence
//! segment of a distance), GeoJSON output, and polygon extraction.

use geo::{Coord, Geometry, Intersects, Line, LinesIter, MultiPolygon, Polygon};
use serde_json::{json, Value};

/// Segments of a geometry's boundary (polygons) or of its lines.
pub fn segments(g: &Geometry<f64>) -> Vec<Line<f64>> {
    match g {
        Geometry::Point(p) => vec![Line::new(p.0, p.0)],
        Geometry::MultiPoint(m) => m.0.iter().map(|p| Line::new(p.0, p.0)).collect(),
        Geometry::Line(l) => vec![*l],
        Geometry::LineString(l) => l.lines().collect(),
        Geometry::MultiLineString(m) => m.lines_iter().collect(),
        Geometry::Polygon(p) => p.lines_iter().collect(),
        Geometry::MultiPolygon(m) => m.lines_iter().collect(),
        Geometry::Rect(r) => r.to_polygon().lines_iter().collect(),
        Geometry::Triangle(t) => t.to_polygon().lines_iter().collect(),
        Geometry::GeometryCollection(c) => c.0.iter().flat_map(segments).collect(),
    }
}

fn closest_on_segment(p: Coord<f64>, s: &Line<f64>) -> Coord<f64> {
    let d = s.end - s.start;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return s.start;
    }
    let t = (((p.x - s.start.x) * d.x + (p.y - s.start.y) * d.y) / len2).clamp(0.0, 1.0);
    Coord {
        x: s.start.x + t * d.x,
        y: s.start.y + t * d.y,
    }
}

/// Distance from a point to the nearest segment of `g`'s boundary or lines.
pub fn to_boundary(p: Coord<f64>, g: &Geometry<f64>) -> f64 {
    segments(g)
        .iter()
        .map(|s| dist(p, closest_on_segment(p, s)))
        .fold(f64::INFINITY, f64::min)
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// Closest points `(on_a, on_b, distance)` of two geometries. Zero (with a point of
/// contact) when they intersect, including when one lies inside the other.
pub fn closest_points(
    a: &Geometry<f64>,
    b: &Geometry<f64>,
) -> Option<(Coord<f64>, Coord<f64>, f64)> {
    let (sa, sb) = (segments(a), segments(b));
    if sa.is_empty() || sb.is_empty() {
        return None;
    }
    let mut best: Option<(Coord<f64>, Coord<f64>, f64)> = None;
    let mut consider = |p: Coord<f64>, q: Coord<f64>| {
        let d = dist(p, q);
        if best.is_none_or(|(_, _, bd)| d < bd) {
            best = Some((p, q, d));
        }
    };
    // Disjoint segments: the closest pair has an endpoint on one of them.
    for x in &sa {
        for y in &sb {
            consider(x.start, closest_on_segment(x.start, y));
            consider(x.end, closest_on_segment(x.end, y));
            consider(closest_on_segment(y.start, x), y.start);
            consider(closest_on_segment(y.end, x), y.end);
        }
    }
    if a.intersects(b) {
        let p = best.map(|(p, _, _)| p)?;
        return Some((p, p, 0.0));
    }
    best
}

/// The polygons of a geometry (lines and points give none).
pub fn polygons(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        Geometry::Rect(r) => MultiPolygon(vec![r.to_polygon()]),
        Geometry::Triangle(t) => MultiPolygon(vec![t.to_polygon()]),
        Geometry::GeometryCollection(c) => {
            MultiPolygon(c.0.iter().flat_map(|g| polygons(g).0).collect())
        }
        _ => MultiPolygon(vec![]),
    }
}

fn ring(c: &geo::LineString<f64>) -> Value {
    Value::Array(
        c.0.iter()
            .map(|p| json!([round(p.x), round(p.y)]))
            .collect(),
    )
}

fn poly(p: &Polygon<f64>) -> Value {
    let mut r = vec![ring(p.exterior())];
    r.extend(p.interiors().iter().map(ring));
    Value::Array(r)
}

/// Millimetre rounding keeps the JSON readable and stable.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// GeoJSON geometry object.
pub fn geojson(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": [round(p.x()), round(p.y())]}),
        Geometry::Line(l) => {
            json!({"type": "LineString", "coordinates": [[round(l.start.x), round(l.start.y)], [round(l.end.x), round(l.end.y)]]})
        }
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": ring(l)}),
        Geometry::MultiLineString(m) => {
            json!({"type": "MultiLineString", "coordinates": m.0.iter().map(ring).collect::<Vec<_>>()})
        }
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": poly(p)}),
        Geometry::MultiPolygon(m) => {
            json!({"type": "MultiPolygon", "coordinates": m.0.iter().map(poly).collect::<Vec<_>>()})
        }
        Geometry::MultiPoint(m) => {
            json!({"type": "MultiPoint", "coordinates": m.0.iter().map(|p| json!([round(p.x()), round(p.y())])).collect::<Vec<_>>()})
        }
        Geometry::Rect(r) => geojson(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geojson(&Geometry::Polygon(t.to_polygon())),
        Geometry::GeometryCollection(c) => {
            json!({"type": "GeometryCollection", "geometries": c.0.iter().map(geojson).collect::<Vec<_>>()})
        }
    }
}

/// The evidence of a distance: the closest-point segment.
pub fn segment_geojson(a: Coord<f64>, b: Coord<f64>) -> Value {
    geojson(&Geometry::Line(Line::new(a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon, Distance, Euclidean};
    use proptest::prelude::*;

    #[test]
    fn square_to_line() {
        let a = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
        );
        let b = Geometry::LineString(line_string![(x: 13.0, y: -5.0), (x: 13.0, y: 20.0)]);
        let (p, q, d) = closest_points(&a, &b).unwrap();
        assert_eq!(d, 3.0);
        assert_eq!(p.x, 10.0);
        assert_eq!(q.x, 13.0);
        assert!((0.0..=10.0).contains(&p.y) && p.y == q.y);
    }

    #[test]
    fn inside_is_zero() {
        let outer = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
        );
        let inner = Geometry::Polygon(
            polygon![(x: 40.0, y: 40.0), (x: 60.0, y: 40.0), (x: 60.0, y: 60.0), (x: 40.0, y: 60.0)],
        );
        assert_eq!(closest_points(&inner, &outer).unwrap().2, 0.0);
    }

    proptest! {
        // Law: the closest-point distance equals geo's Euclidean distance.
        #[test]
        fn agrees_with_geo(x in -50.0f64..50.0, y in -50.0f64..50.0, w in 0.5f64..20.0, h in 0.5f64..20.0,
                           lx in -60.0f64..60.0, ly in -60.0f64..60.0, dx in -30.0f64..30.0, dy in -30.0f64..30.0) {
            let a = Geometry::Polygon(polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h)]);
            let b = Geometry::LineString(line_string![(x: lx, y: ly), (x: lx + dx, y: ly + dy)]);
            let (p, q, d) = closest_points(&a, &b).unwrap();
            let g = Euclidean.distance(&a, &b);
            prop_assert!((d - g).abs() < 1e-9, "{d} vs {g}");
            prop_assert!((dist(p, q) - d).abs() < 1e-9);
        }
    }
}
