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

/// The segments of a geometry's boundary or lines, split out once for the distances
/// of many points (a check measures every corner of a footprint against one
/// parcel or road, and split the same boundary out again for each corner).
pub struct Boundary(Vec<Line<f64>>);

impl Boundary {
    pub fn of(g: &Geometry<f64>) -> Boundary {
        Boundary(segments(g))
    }

    /// [`Boundary::of`] a multipolygon, without wrapping (cloning) it in a geometry.
    pub fn of_polygons(m: &MultiPolygon<f64>) -> Boundary {
        Boundary(m.lines_iter().collect())
    }

    /// The farthest of `points` from the boundary, 0 when there are none: how deep
    /// the corners on one side of a line reach past it.
    pub fn deepest(&self, points: impl Iterator<Item = Coord<f64>>) -> f64 {
        points.map(|c| self.distance(c)).fold(0.0, f64::max)
    }

    /// Distance from `p` to the nearest segment (infinite when there is none).
    pub fn distance(&self, p: Coord<f64>) -> f64 {
        self.0
            .iter()
            .map(|s| dist(p, closest_on_segment(p, s)))
            .fold(f64::INFINITY, f64::min)
    }
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// Closest points `(on_a, on_b, distance)` of two geometries. Zero (with a point of
/// contact) when they intersect, including when one lies inside the other.
///
/// Of the segment pairs at the least distance, the first in the order of `a`'s
/// segments, then `b`'s, is taken (the evidence drawn is the same from run to run).
/// The segments are measured in runs of [`RUN`] with their envelopes, nearest runs
/// first, and a pair of runs farther apart than the best distance so far is not
/// measured: a footprint with site entourage has tens of thousands of edges, and a
/// neighbour or a road is near a few of them.
pub fn closest_points(
    a: &Geometry<f64>,
    b: &Geometry<f64>,
) -> Option<(Coord<f64>, Coord<f64>, f64)> {
    let (sa, sb) = (segments(a), segments(b));
    if sa.is_empty() || sb.is_empty() {
        return None;
    }
    let finite = |s: &[Line<f64>]| {
        s.iter().all(|l| {
            [l.start.x, l.start.y, l.end.x, l.end.y]
                .iter()
                .all(|v| v.is_finite())
        })
    };
    let best = if finite(&sa) && finite(&sb) {
        closest_by_runs(&sa, &sb)
    } else {
        closest_every_pair(&sa, &sb)
    };
    if a.intersects(b) {
        let p = best.map(|(p, _, _)| p)?;
        return Some((p, p, 0.0));
    }
    best
}

/// Segments measured together by [`closest_points`].
const RUN: usize = 16;

/// The closest pair of endpoint and segment, every pair measured (non-finite
/// coordinates, whose distances do not order).
fn closest_every_pair(sa: &[Line<f64>], sb: &[Line<f64>]) -> Option<(Coord<f64>, Coord<f64>, f64)> {
    let mut best: Option<(Coord<f64>, Coord<f64>, f64)> = None;
    let mut consider = |p: Coord<f64>, q: Coord<f64>| {
        let d = dist(p, q);
        if best.is_none_or(|(_, _, bd)| d < bd) {
            best = Some((p, q, d));
        }
    };
    for x in sa {
        for y in sb {
            for (p, q) in endpoint_pairs(x, y) {
                consider(p, q);
            }
        }
    }
    best
}

/// The four candidate closest pairs `(on x, on y)` of two segments, in the order
/// ties are broken: disjoint segments have their closest pair at an endpoint of one
/// of them.
fn endpoint_pairs(x: &Line<f64>, y: &Line<f64>) -> [(Coord<f64>, Coord<f64>); 4] {
    [
        (x.start, closest_on_segment(x.start, y)),
        (x.end, closest_on_segment(x.end, y)),
        (closest_on_segment(y.start, x), y.start),
        (closest_on_segment(y.end, x), y.end),
    ]
}

/// [`closest_every_pair`]'s answer for finite coordinates, measuring only runs of
/// segments whose envelopes are no farther apart than the best distance so far.
/// Ties go to the pair [`closest_every_pair`] meets first (the least `(i, j, k)`:
/// segment of `a`, segment of `b`, which of the four endpoint tests), so the order
/// the runs are measured in does not change the answer.
fn closest_by_runs(sa: &[Line<f64>], sb: &[Line<f64>]) -> Option<(Coord<f64>, Coord<f64>, f64)> {
    let (ra, rb) = (runs(sa), runs(sb));
    let whole_b = rb.iter().skip(1).fold(rb[0].1, |acc, r| union(acc, r.1));
    let mut order: Vec<(f64, usize)> = ra
        .iter()
        .enumerate()
        .map(|(k, r)| (gap(r.1, whole_b), k))
        .collect();
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut best: Option<Nearest> = None;
    for (g, k) in order {
        if best.is_some_and(|b| g > b.0) {
            break; // sorted: every later run is farther still
        }
        let (start_a, env_a) = ra[k];
        for &(start_b, env_b) in &rb {
            if best.is_none_or(|b| gap(env_a, env_b) <= b.0) {
                measure_runs((sa, start_a), (sb, start_b), &mut best);
            }
        }
    }
    best.map(|(d, _, p, q)| (p, q, d))
}

/// The best pair so far: its distance, its place in [`closest_every_pair`]'s order
/// (segment of `a`, segment of `b`, endpoint test), and its points.
type Nearest = (f64, (usize, usize, u8), Coord<f64>, Coord<f64>);

/// Measures every segment of the run starting at `start_a` against every one of the
/// run starting at `start_b`, keeping in `best` the least distance, ties to the
/// pair first in order.
fn measure_runs(
    (sa, start_a): (&[Line<f64>], usize),
    (sb, start_b): (&[Line<f64>], usize),
    best: &mut Option<Nearest>,
) {
    let run = |s: &[Line<f64>], start: usize| start..(start + RUN).min(s.len());
    for i in run(sa, start_a) {
        for j in run(sb, start_b) {
            for (t, (p, q)) in endpoint_pairs(&sa[i], &sb[j]).into_iter().enumerate() {
                let d = dist(p, q);
                let k = (i, j, t as u8);
                if best.is_none_or(|b| d < b.0 || (d == b.0 && k < b.1)) {
                    *best = Some((d, k, p, q));
                }
            }
        }
    }
}

/// Envelope `[min x, min y, max x, max y]`.
type Env = [f64; 4];

/// The first segment of each run of [`RUN`] and the run's envelope.
fn runs(s: &[Line<f64>]) -> Vec<(usize, Env)> {
    s.chunks(RUN)
        .enumerate()
        .map(|(k, run)| {
            let env = run.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |e, l| {
                    [
                        e[0].min(l.start.x).min(l.end.x),
                        e[1].min(l.start.y).min(l.end.y),
                        e[2].max(l.start.x).max(l.end.x),
                        e[3].max(l.start.y).max(l.end.y),
                    ]
                },
            );
            (k * RUN, env)
        })
        .collect()
}

fn union(a: Env, b: Env) -> Env {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// A lower bound of the distance between points of two envelopes, lowered by a part
/// in 10^9 and a micrometre so that it never exceeds a distance `dist` computes from
/// rounded closest points.
fn gap(a: Env, b: Env) -> f64 {
    let dx = (a[0] - b[2]).max(b[0] - a[2]).max(0.0);
    let dy = (a[1] - b[3]).max(b[1] - a[3]).max(0.0);
    (dx.hypot(dy) * (1.0 - 1e-9) - 1e-6).max(0.0)
}

/// The polygons of `m` whose envelopes meet `other`'s: all of `m` that an
/// intersection with `other` can come from (the road overlap of a footprint with
/// thousands of entourage polygons overlaid only those beside the road).
pub fn near_polygons(m: &MultiPolygon<f64>, other: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let meets = envelope_meets(other);
    MultiPolygon(m.0.iter().filter(|p| meets(p)).cloned().collect())
}

/// The polygons of `m` whose envelopes meet `other`'s, and the others (which lie
/// wholly outside `other`), each in `m`'s order.
pub fn split_by_envelope(
    m: &MultiPolygon<f64>,
    other: &MultiPolygon<f64>,
) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
    let meets = envelope_meets(other);
    let (near, far) = m.0.iter().cloned().partition(|p| meets(p));
    (MultiPolygon(near), MultiPolygon(far))
}

/// Whether a polygon's envelope meets `other`'s (never, when `other` is empty).
fn envelope_meets(other: &MultiPolygon<f64>) -> impl Fn(&Polygon<f64>) -> bool {
    use geo::BoundingRect;
    let o = other.bounding_rect();
    move |p| {
        let (Some(o), Some(r)) = (o, p.bounding_rect()) else {
            return false;
        };
        r.min().x <= o.max().x
            && o.min().x <= r.max().x
            && r.min().y <= o.max().y
            && o.min().y <= r.max().y
    }
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

    /// A tie between runs measured out of order goes to the pair the full scan meets
    /// first. Run 1 (segments 16..32) has an envelope reaching `b` and is measured
    /// first; its nearest segment lies 5 m below `b`. Run 0's envelope is 5 m away and
    /// its first segment lies 5 m above `b`: the same distance, met first by the full
    /// scan, so it is the answer.
    #[test]
    fn a_tie_between_runs_goes_to_the_first_pair() {
        let seg = |x0: f64, y0: f64, x1: f64, y1: f64| Line::new((x0, y0), (x1, y1));
        let mut a = vec![seg(0.0, 5.0, 1.0, 5.0)];
        a.extend((1..RUN).map(|k| seg(50.0 * k as f64, 105.0, 50.0 * k as f64 + 1.0, 105.0)));
        a.push(seg(0.0, -5.0, 1.0, -5.0));
        // A vertical segment 10 m to the left widens run 1's envelope over `b`.
        a.push(seg(-10.0, -5.0, -10.0, 10.0));
        let b = vec![seg(0.0, 0.0, 1.0, 0.0)];
        let every = closest_every_pair(&a, &b).unwrap();
        assert_eq!(
            (every.0, every.1, every.2),
            ((0.0, 5.0).into(), (0.0, 0.0).into(), 5.0)
        );
        assert_eq!(closest_by_runs(&a, &b), Some(every));
    }

    /// Star-shaped rings of 5 to 12 corners around the given centres, on a 1 cm grid
    /// (shared corners and equal distances, so ties occur).
    fn stars(centres: &[(f64, f64, u8)]) -> Geometry<f64> {
        let poly = |&(x, y, n): &(f64, f64, u8)| {
            let n = 5 + usize::from(n % 8);
            let ring: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    let a = i as f64 * std::f64::consts::TAU / n as f64;
                    let r = if i % 2 == 0 { 3.0 } else { 1.5 };
                    Coord {
                        x: ((x + r * a.cos()) * 100.0).round() / 100.0,
                        y: ((y + r * a.sin()) * 100.0).round() / 100.0,
                    }
                })
                .collect();
            Polygon::new(geo::LineString::new(ring), vec![])
        };
        Geometry::MultiPolygon(MultiPolygon(centres.iter().map(poly).collect()))
    }

    proptest! {
        /// Law: measuring by runs gives what measuring every pair gives, the same
        /// points and distance bit for bit, ties included (whole-metre centres make
        /// mirror-image pairs at one distance).
        #[test]
        fn runs_give_every_pair_s_answer(
            a in proptest::collection::vec((-40i8..40, -40i8..40, 0u8..8), 1..30),
            b in proptest::collection::vec((-40i8..40, -40i8..40, 0u8..8), 1..6),
        ) {
            let grid = |v: &[(i8, i8, u8)]| -> Vec<(f64, f64, u8)> {
                v.iter().map(|&(x, y, n)| (f64::from(x), f64::from(y), n)).collect()
            };
            let (ga, gb) = (stars(&grid(&a)), stars(&grid(&b)));
            let (sa, sb) = (segments(&ga), segments(&gb));
            let slow = closest_every_pair(&sa, &sb).unwrap();
            let fast = closest_by_runs(&sa, &sb).unwrap();
            prop_assert_eq!(fast.2.to_bits(), slow.2.to_bits());
            prop_assert_eq!((fast.0, fast.1), (slow.0, slow.1));
        }

        /// Law: overlaying only the polygons beside a parcel, and adding those away
        /// from it whole, covers what overlaying them all covers.
        #[test]
        fn polygons_away_from_a_parcel_lie_outside_it(
            a in proptest::collection::vec((-40i8..40, -40i8..40, 0u8..8), 1..30),
            (x, y, w, h) in (-30.0f64..10.0, -30.0f64..10.0, 1.0f64..30.0, 1.0f64..30.0),
        ) {
            use geo::{Area, BooleanOps};
            let grid: Vec<(f64, f64, u8)> =
                a.iter().map(|&(x, y, n)| (f64::from(x), f64::from(y), n)).collect();
            let Geometry::MultiPolygon(fp) = stars(&grid) else { unreachable!() };
            // The stars may overlap one another: union them first, as a footprint is.
            let fp = fp.union(&MultiPolygon(Vec::new()));
            let parcel = MultiPolygon(vec![geo::Rect::new((x, y), (x + w, y + h)).to_polygon()]);
            let (beside, away) = split_by_envelope(&fp, &parcel);
            prop_assert_eq!(beside.0.len() + away.0.len(), fp.0.len());
            prop_assert!(away.intersection(&parcel).unsigned_area() == 0.0);
            prop_assert_eq!(near_polygons(&fp, &parcel), beside.clone());
            let mut split = beside.difference(&parcel);
            split.0.extend(away.0);
            let whole = fp.difference(&parcel);
            let (sa, wa) = (split.unsigned_area(), whole.unsigned_area());
            prop_assert!((sa - wa).abs() <= 1e-6 * wa.max(1.0), "{} vs {}", sa, wa);
        }

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
