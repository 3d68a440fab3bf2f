//! Validity and repair of areal geometries. GEOS decides validity (O(n log n)); geo's
//! own `is_valid` tests every pair of ring segments and took minutes at 200,000
//! vertices. MakeValid's cost grows with the number of self-intersections, not of
//! vertices: a 250-vertex star (every edge crossing every other) took 13 s and 500
//! vertices over two minutes. So crossings are counted first, with an R-tree of the
//! ring segments and a budget, and a polygon with more than [`MAX_REPAIR_CROSSINGS`] is
//! rejected instead of repaired.

use gdal::cpl::CslStringList;
use gdal::vector::ToGdal;
use geo::{Area, CoordsIter, MultiPolygon, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

/// Self-intersections a polygon may have and still be repaired automatically.
pub(crate) const MAX_REPAIR_CROSSINGS: usize = 1_000;

/// Envelope-overlapping segment pairs examined before giving up on counting.
const MAX_CANDIDATE_PAIRS: usize = 20_000_000;

/// Invalid polygons are repaired with GEOS MakeValid (through GDAL); the caller reports
/// the repair, or rejects the feature when it cannot be repaired.
pub(crate) enum Repair {
    Valid(MultiPolygon<f64>),
    Repaired(MultiPolygon<f64>, String),
    Rejected(String),
}

/// Up to this many vertices an invalid polygon's reason comes from geo's validation,
/// which tests every pair of segments; above it GEOS's verdict is reported as it is.
const EXPLAIN_MAX_VERTICES: usize = 2_000;

/// GEOS decides validity and repairs: both are O(n log n) (monotone chains and an
/// STRtree). geo's own `is_valid` tests every pair of ring segments, O(n²): a
/// 20,000-vertex parcel took seconds and 200,000 vertices minutes.
pub(crate) fn repair(mp: MultiPolygon<f64>, valid_as_read: Option<bool>) -> Repair {
    if valid_as_read == Some(true) {
        return Repair::Valid(mp);
    }
    let Ok(ogr) = mp.to_gdal() else {
        return Repair::Rejected("the polygon cannot be passed to GEOS; feature rejected".into());
    };
    if ogr.is_valid() {
        return Repair::Valid(mp);
    }
    let why = if mp.coords_count() <= EXPLAIN_MAX_VERTICES {
        mp.validation_errors()
            .first()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "invalid according to GEOS".into())
    } else {
        "invalid according to GEOS".into()
    };
    if let Err(why) = crossings_within(&mp, MAX_REPAIR_CROSSINGS) {
        return Repair::Rejected(format!(
            "invalid polygon ({why}); 自相交过多, 无法自动修复 too damaged to repair automatically; feature rejected"
        ));
    }
    let before = mp.unsigned_area();
    let fixed = ogr
        .make_valid(&CslStringList::new())
        .map_err(|e| e.to_string())
        .and_then(|g| geo::Geometry::try_from(&g).map_err(|e| e.to_string()))
        .map(polygons_only);
    match fixed {
        Ok(fixed) if !fixed.0.is_empty() => {
            let after = fixed.unsigned_area();
            Repair::Repaired(
                fixed,
                format!("invalid polygon ({why}); repaired with MakeValid, area {before:.2} -> {after:.2} m²"),
            )
        }
        Ok(_) => Repair::Rejected(format!(
            "invalid polygon ({why}) that MakeValid reduces to no area; feature rejected"
        )),
        Err(e) => Repair::Rejected(format!(
            "invalid polygon ({why}) that MakeValid cannot repair: {e}; feature rejected"
        )),
    }
}

/// Whether `mp` is one polygon without holes whose ring turns the same way, clearly,
/// at every vertex and once around: a strictly convex simple ring, which GEOS finds
/// valid. "Clearly": each turn's cross product exceeds 1e-9 of its edges' lengths
/// product (a turn of more than about 1e-9 rad and less than π − 1e-9), so rounding
/// cannot flip a sign, and repeated points or a fold back are left to GEOS. Winding
/// once is checked on the total turning (2π, where a pentagram turns 4π).
pub(crate) fn strictly_convex(mp: &MultiPolygon<f64>) -> bool {
    let [p] = mp.0.as_slice() else { return false };
    if !p.interiors().is_empty() {
        return false;
    }
    let ring = &p.exterior().0;
    // Closed (checked by the caller): the last point repeats the first.
    let n = ring.len().saturating_sub(1);
    if n < 3 || ring[0] != ring[n] {
        return false;
    }
    let (mut sign, mut turning) = (0.0f64, 0.0f64);
    for i in 0..n {
        let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
        let (ux, uy, vx, vy) = (b.x - a.x, b.y - a.y, c.x - b.x, c.y - b.y);
        let cross = ux * vy - uy * vx;
        let lens2 = (ux * ux + uy * uy) * (vx * vx + vy * vy);
        // Finite: coordinates are checked sane (below 10⁹ m) before this.
        if cross * cross <= 1e-18 * lens2 || (sign != 0.0 && cross.signum() != sign) {
            return false;
        }
        sign = cross.signum();
        turning += cross.atan2(ux * vx + uy * vy);
    }
    (turning.abs() - std::f64::consts::TAU).abs() < 1e-6
}

/// The polygonal parts of a geometry (MakeValid may also return collapsed lines and points).
fn polygons_only(g: geo::Geometry<f64>) -> MultiPolygon<f64> {
    use geo::Geometry as G;
    match g {
        G::Polygon(p) => MultiPolygon(vec![p]),
        G::MultiPolygon(m) => m,
        G::GeometryCollection(gc) => {
            MultiPolygon(gc.0.into_iter().flat_map(|x| polygons_only(x).0).collect())
        }
        _ => MultiPolygon(vec![]),
    }
}

/// A segment of ring `ring`, index `i` of that ring's `n` segments.
type Seg = GeomWithData<Rectangle<[f64; 2]>, (usize, usize, usize)>;

/// `Ok` when the rings of `mp` cross one another (or themselves) at most `max` times;
/// `Err` says that there are more, or that counting them would cost too much.
pub(crate) fn crossings_within(mp: &MultiPolygon<f64>, max: usize) -> Result<(), String> {
    let rings: Vec<&geo::LineString<f64>> =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
    let mut segs: Vec<Seg> = Vec::new();
    let mut lines: Vec<Vec<geo::Line<f64>>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let ls: Vec<geo::Line<f64>> = ring.lines().collect();
        let n = ls.len();
        for (i, l) in ls.iter().enumerate() {
            let (a, b) = (l.start, l.end);
            let rect = Rectangle::from_corners([a.x, a.y], [b.x, b.y]);
            segs.push(GeomWithData::new(rect, (r, i, n)));
        }
        lines.push(ls);
    }
    let tree = RTree::bulk_load(segs);
    let mut crossings = 0usize;
    for (candidates, (x, y)) in tree
        .intersection_candidates_with_other_tree(&tree)
        .enumerate()
    {
        if candidates >= MAX_CANDIDATE_PAIRS {
            return Err(format!(
                "more than {MAX_CANDIDATE_PAIRS} overlapping segment pairs"
            ));
        }
        let (a, b) = (x.data, y.data);
        // Each unordered pair once; a segment meets its neighbours at their shared vertex.
        if (a.0, a.1) >= (b.0, b.1) || (a.0 == b.0 && adjacent(a.1, b.1, a.2)) {
            continue;
        }
        if geo::line_intersection::line_intersection(lines[a.0][a.1], lines[b.0][b.1]).is_some() {
            crossings += 1;
            if crossings > max {
                return Err(format!("more than {max} self-intersections"));
            }
        }
    }
    Ok(())
}

/// Segments `i` and `j` of a closed ring of `n` segments share a vertex.
fn adjacent(i: usize, j: usize, n: usize) -> bool {
    i.abs_diff(j) == 1 || (n > 1 && i.abs_diff(j) == n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// A star polygon of `n` vertices (n odd): vertex i at angle i·k·2π/n, k = (n-1)/2.
    fn star(n: usize) -> MultiPolygon<f64> {
        let k = (n - 1) / 2;
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let a = std::f64::consts::TAU * ((i * k) % n) as f64 / n as f64;
                (100.0 * a.cos(), 100.0 * a.sin())
            })
            .collect();
        MultiPolygon(vec![Polygon::new(LineString::from(pts), vec![])])
    }

    #[test]
    fn strictly_convex_rings_are_recognised_and_nothing_else() {
        let poly = |pts: &[(f64, f64)], holes: Vec<LineString<f64>>| {
            MultiPolygon(vec![Polygon::new(LineString::from(pts.to_vec()), holes)])
        };
        let sq = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
        assert!(strictly_convex(&poly(&sq, vec![])));
        // Either orientation.
        let rev: Vec<_> = sq.iter().rev().copied().collect();
        assert!(strictly_convex(&poly(&rev, vec![])));
        // A bench parcel: a 30 m cell with its corners pulled in.
        let q = [
            (500_000.7, 3_300_001.2),
            (500_029.1, 3_300_000.3),
            (500_029.9, 3_300_028.6),
            (500_000.2, 3_300_029.0),
            (500_000.7, 3_300_001.2),
        ];
        assert!(strictly_convex(&poly(&q, vec![])));
        // Not convex (an L), a bow tie, a pentagram (turns 4π), a repeated point, a
        // collinear vertex, a fold back, a hole: all left to GEOS.
        let l = [
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 2.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ];
        assert!(!strictly_convex(&poly(&l, vec![])));
        let bow = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)];
        assert!(!strictly_convex(&poly(&bow, vec![])));
        let star5: Vec<(f64, f64)> = star(5).0[0]
            .exterior()
            .0
            .iter()
            .map(|c| (c.x, c.y))
            .collect();
        assert!(!strictly_convex(&poly(&star5, vec![])));
        let rep = [
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ];
        assert!(!strictly_convex(&poly(&rep, vec![])));
        let col = [
            (0.0, 0.0),
            (0.5, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ];
        assert!(!strictly_convex(&poly(&col, vec![])));
        let fold = [(0.0, 0.0), (2.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        assert!(!strictly_convex(&poly(&fold, vec![])));
        let hole = LineString::from(vec![(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.2)]);
        assert!(!strictly_convex(&poly(&sq, vec![hole])));
        // Whatever it accepts, GEOS finds valid.
        for p in [poly(&sq, vec![]), poly(&rev, vec![]), poly(&q, vec![])] {
            assert!(p.to_gdal().unwrap().is_valid());
        }
    }

    #[test]
    fn crossings_are_counted_against_the_budget() {
        // A square: none. A bow tie: one crossing.
        let ring = |pts: &[(f64, f64)]| {
            MultiPolygon(vec![Polygon::new(LineString::from(pts.to_vec()), vec![])])
        };
        let square = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]);
        assert!(crossings_within(&square, 0).is_ok());
        let bowtie = ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]);
        assert!(crossings_within(&bowtie, 1).is_ok());
        assert!(crossings_within(&bowtie, 0).is_err());
        // A pentagram {5/2}: each of its 5 edges crosses 2 others, 5 crossings in all.
        assert!(crossings_within(&star(5), 5).is_ok());
        assert!(crossings_within(&star(5), 4).is_err());
        // A 251-vertex star has 251·124 = 31,124 crossings: refused, not repaired.
        let e = crossings_within(&star(251), MAX_REPAIR_CROSSINGS).unwrap_err();
        assert!(e.contains("more than 1000"), "{e}");
        match repair(star(251), Some(false)) {
            Repair::Rejected(m) => assert!(m.contains("too damaged"), "{m}"),
            _ => panic!("a 251-vertex star was repaired"),
        }
    }
}
