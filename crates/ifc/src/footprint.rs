//! 2-D outlines: the union of projected triangles on a 1 cm integer grid.
//!
//! Snapping to centimetres is the stated tolerance of footprints and makes the
//! union exact (i_overlay works on integers), so touching walls merge cleanly.

mod cull;

pub use cull::{drop_contained, Holders};

use crate::model::Rings;
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::i_float::int::point::IntPoint;

/// Grid cells per metre.
const GRID: f64 = 100.0;
/// Keep integer coordinates well inside i_overlay's safe range.
const LIMIT: f64 = (1i64 << 29) as f64;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outline {
    pub rings: Rings,
    pub area_m2: f64,
    /// Polygons that could not be placed on the grid (coordinates out of range).
    pub dropped: usize,
}

impl Outline {
    /// Ring edges, the size of this outline as overlay input.
    pub fn edge_count(&self) -> usize {
        self.rings.iter().flatten().map(Vec::len).sum()
    }
}

/// Accumulates planar polygons and unions them.
pub struct Union {
    origin: Option<[f64; 2]>,
    overlay: Overlay<i32>,
    count: usize,
    dropped: usize,
    /// Reused for each polygon's grid points (the overlay copies them).
    scratch: Vec<IntPoint<i32>>,
}

impl Default for Union {
    fn default() -> Self {
        Self::new()
    }
}

impl Union {
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// A union expecting about `edges` polygon edges (one per element is unioned
    /// per element, hundreds of thousands of times on a large model: a fixed large
    /// reservation each time cost more than the overlay).
    pub fn with_capacity(edges: usize) -> Self {
        Union {
            origin: None,
            overlay: Overlay::new(edges),
            count: 0,
            dropped: 0,
            scratch: Vec::new(),
        }
    }

    /// Adds one simple polygon (any orientation). Degenerate ones are ignored.
    pub fn add(&mut self, poly: &[[f64; 2]]) {
        if poly.len() < 3 {
            return;
        }
        let o = self.origin_at(poly[0]);
        let mut pts = std::mem::take(&mut self.scratch);
        pts.clear();
        for p in poly {
            let Some(q) = to_grid(*p, o) else {
                self.dropped += 1;
                self.scratch = pts;
                return;
            };
            if pts.last() != Some(&q) {
                pts.push(q);
            }
        }
        while pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        if pts.len() >= 3 {
            self.add_counter_clockwise(&mut pts);
        }
        self.scratch = pts;
    }

    /// The grid's origin: set by the first point added, a whole metre below it.
    fn origin_at(&mut self, first: [f64; 2]) -> [f64; 2] {
        *self
            .origin
            .get_or_insert([first[0].floor(), first[1].floor()])
    }

    /// A polygon of grid points with its winding turned counter-clockwise, as the
    /// subject; none when it has no area (a vertical face, or one collapsed by
    /// snapping).
    fn add_counter_clockwise(&mut self, pts: &mut [IntPoint<i32>]) {
        let a2 = signed_area2(pts);
        if a2 == 0 {
            return;
        }
        if a2 < 0 {
            pts.reverse();
        }
        self.overlay.add_contour(pts, ShapeType::Subject);
        self.count += 1;
    }

    /// The grid points of `points` for [`Union::add_snapped_triangle`], for many
    /// triangles sharing their corners (a mesh's vertices): each point is snapped
    /// once, as [`Union::add`] would snap it. The origin, when not yet set, is taken
    /// from `first`, as `add` takes it from the first polygon's first point. `None`
    /// is a point off the grid.
    pub fn snap_points(
        &mut self,
        first: [f64; 2],
        points: impl Iterator<Item = [f64; 2]>,
    ) -> Vec<Option<IntPoint<i32>>> {
        let o = self.origin_at(first);
        points.map(|p| to_grid(p, o)).collect()
    }

    /// Adds a triangle of points from [`Union::snap_points`]: the same as
    /// [`Union::add`] of its corners (a point off the grid drops it).
    /// (Two corners on one grid point leave no area, as `add` finds after dropping
    /// the repeat.)
    pub fn add_snapped_triangle(&mut self, t: [Option<IntPoint<i32>>; 3]) {
        match t {
            [Some(a), Some(b), Some(c)] => self.add_counter_clockwise(&mut [a, b, c]),
            _ => self.dropped += 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Polygons skipped so far because they lie off the grid.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Adds a finished outline as subject, with the polygons it had dropped.
    pub fn add_outline(&mut self, o: &Outline) {
        self.add_rings(&o.rings, false);
        self.dropped += o.dropped;
    }

    /// A union of finished outlines, sized for their edges.
    pub fn of_outlines(outlines: &[Outline]) -> Union {
        let mut u = Union::with_capacity(outlines.iter().map(Outline::edge_count).sum());
        for o in outlines {
            u.add_outline(o);
        }
        u
    }

    /// Adds finished outlines (exterior counter-clockwise, holes clockwise, as
    /// [`Union::finish`] writes them) with their orientation kept, as the subject or
    /// as the clip of a later [`Union::finish_with`].
    pub fn add_rings(&mut self, rings: &Rings, clip: bool) {
        let shape = if clip {
            ShapeType::Clip
        } else {
            ShapeType::Subject
        };
        for poly in rings {
            for ring in poly {
                let Some(first) = ring.first() else { continue };
                let o = self.origin_at(*first);
                let mut pts: Vec<IntPoint<i32>> = Vec::with_capacity(ring.len());
                for p in ring {
                    let Some(q) = to_grid(*p, o) else {
                        self.dropped += 1;
                        pts.clear();
                        break;
                    };
                    if pts.last() != Some(&q) {
                        pts.push(q);
                    }
                }
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() >= 3 && signed_area2(&pts) != 0 {
                    self.overlay.add_contour(&pts, shape);
                    self.count += 1;
                }
            }
        }
    }

    pub fn finish(self) -> Outline {
        self.finish_with(OverlayRule::Subject)
    }

    /// The subject polygons less the clip polygons.
    pub fn finish_difference(self) -> Outline {
        self.finish_with(OverlayRule::Difference)
    }

    /// Where the subject and the clip polygons overlap.
    pub fn finish_intersection(self) -> Outline {
        self.finish_with(OverlayRule::Intersect)
    }

    fn finish_with(mut self, rule: OverlayRule) -> Outline {
        let Some(o) = self.origin else {
            return Outline::default();
        };
        if self.count == 0 {
            return Outline {
                dropped: self.dropped,
                ..Outline::default()
            };
        }
        let shapes = self.overlay.overlay(rule, FillRule::NonZero);
        let mut rings: Rings = Vec::with_capacity(shapes.len());
        let mut area2: i128 = 0;
        for shape in shapes {
            let mut poly = Vec::with_capacity(shape.len());
            for (k, contour) in shape.into_iter().enumerate() {
                let mut c = contour;
                let a = signed_area2(&c);
                // GeoJSON right-hand rule: exterior counter-clockwise, holes clockwise.
                if (k == 0 && a < 0) || (k > 0 && a > 0) {
                    c.reverse();
                }
                area2 += if k == 0 { a.abs() } else { -a.abs() };
                let mut ring: Vec<[f64; 2]> = c
                    .iter()
                    .map(|p| [o[0] + f64::from(p.x) / GRID, o[1] + f64::from(p.y) / GRID])
                    .collect();
                if let Some(&first) = ring.first() {
                    ring.push(first);
                }
                poly.push(ring);
            }
            if !poly.is_empty() {
                rings.push(poly);
            }
        }
        Outline {
            rings,
            area_m2: area2 as f64 / 2.0 / (GRID * GRID),
            dropped: self.dropped,
        }
    }
}

/// `p` on the grid of origin `o`, or `None` off its range.
fn to_grid(p: [f64; 2], o: [f64; 2]) -> Option<IntPoint<i32>> {
    let x = round((p[0] - o[0]) * GRID);
    let y = round((p[1] - o[1]) * GRID);
    (x.abs() < LIMIT && y.abs() < LIMIT).then(|| IntPoint::new(x as i32, y as i32))
}

/// `f64::round` (halves away from zero), bit for bit, without the libm call that
/// `round` is on baseline x86-64: snapping every triangle corner spent a twentieth of a
/// rebar model's load there. Exact: below 2^52 the integer part converts exactly and
/// `v - t` is exact, so comparing the fraction with one half decides as `round` does.
fn round(v: f64) -> f64 {
    const EXACT: f64 = 4_503_599_627_370_496.0; // 2^52
    if v.is_nan() || v.abs() >= EXACT {
        return v.round(); // large, infinite or NaN
    }
    let t = v as i64;
    let f = v - t as f64;
    let r = t + i64::from(f >= 0.5) - i64::from(f <= -0.5);
    if r == 0 && v.is_sign_negative() {
        -0.0
    } else {
        r as f64
    }
}

fn signed_area2(pts: &[IntPoint<i32>]) -> i128 {
    let (Some(&first), Some(&last)) = (pts.first(), pts.last()) else {
        return 0;
    };
    let cross = |a: &IntPoint<i32>, b: &IntPoint<i32>| {
        // Each product is below 2^62 in size (coordinates are i32), so their
        // difference fits an i64.
        i128::from(i64::from(a.x) * i64::from(b.y) - i64::from(b.x) * i64::from(a.y))
    };
    pts.windows(2).map(|w| cross(&w[0], &w[1])).sum::<i128>() + cross(&last, &first)
}

/// Area of GeoJSON-style rings (outer minus holes), metres squared.
pub fn rings_area(rings: &Rings) -> f64 {
    let ring = |r: &Vec<[f64; 2]>| {
        let mut s = 0.0;
        for w in r.windows(2) {
            s += w[0][0] * w[1][1] - w[1][0] * w[0][1];
        }
        s / 2.0
    };
    rings
        .iter()
        .map(|poly| {
            poly.iter()
                .enumerate()
                .map(|(k, r)| {
                    if k == 0 {
                        ring(r).abs()
                    } else {
                        -ring(r).abs()
                    }
                })
                .sum::<f64>()
        })
        .sum()
}

/// `a` less `b`, both finished outlines on the 1 cm grid (so the result is exact).
pub fn difference(a: &Rings, b: &Rings) -> Outline {
    let mut u = Union::new();
    u.add_rings(a, false);
    u.add_rings(b, true);
    u.finish_difference()
}

/// `a` where it overlaps `b`, both finished outlines on the 1 cm grid.
pub fn intersection(a: &Rings, b: &Rings) -> Outline {
    let mut u = Union::new();
    u.add_rings(a, false);
    u.add_rings(b, true);
    u.finish_intersection()
}

/// The union of finished outlines.
pub fn union_all<'a>(parts: impl IntoIterator<Item = &'a Rings>) -> Outline {
    let mut u = Union::new();
    for r in parts {
        u.add_rings(r, false);
    }
    u.finish()
}

/// Distance (m) from `p` to the nearest edge of any ring of `rings`.
pub fn distance_to_rings(p: [f64; 2], rings: &Rings) -> Option<f64> {
    let mut best: Option<f64> = None;
    for ring in rings.iter().flatten() {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = dx * dx + dy * dy;
            let t = if l2 == 0.0 {
                0.0
            } else {
                (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
            };
            let d = (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy);
            best = Some(best.map_or(d, |x: f64| x.min(d)));
        }
    }
    best
}

/// A triangle's part on one side of a level, in plan: at most four corners (one
/// plane cuts a triangle's three edges at most twice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClippedTriangle {
    pts: [[f64; 2]; 4],
    len: usize,
}

impl ClippedTriangle {
    /// The whole triangle in plan.
    pub fn whole(t: &[[f64; 3]; 3]) -> ClippedTriangle {
        let [a, b, c] = t.map(|v| [v[0], v[1]]);
        ClippedTriangle {
            pts: [a, b, c, [0.0; 2]],
            len: 3,
        }
    }

    pub fn corners(&self) -> &[[f64; 2]] {
        &self.pts[..self.len]
    }

    fn push(&mut self, p: [f64; 2]) {
        // Never more than four (see the type); a fifth would be a bug, not input.
        if let Some(slot) = self.pts.get_mut(self.len) {
            *slot = p;
            self.len += 1;
        }
    }
}

/// The part of a triangle with z >= `z0` (keep_above) or z <= `z0`, projected to
/// plan, without allocating (it runs for every triangle crossing a cut).
pub fn clip_z(tri: &[[f64; 3]; 3], z0: f64, keep_above: bool) -> ClippedTriangle {
    let inside = |p: &[f64; 3]| if keep_above { p[2] >= z0 } else { p[2] <= z0 };
    let mut out = ClippedTriangle {
        pts: [[0.0; 2]; 4],
        len: 0,
    };
    for i in 0..3 {
        let a = tri[i];
        let b = tri[(i + 1) % 3];
        let (ia, ib) = (inside(&a), inside(&b));
        if ia {
            out.push([a[0], a[1]]);
        }
        if ia != ib {
            let t = (z0 - a[2]) / (b[2] - a[2]);
            out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x: f64, y: f64, s: f64) -> Vec<[f64; 2]> {
        vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s]]
    }

    #[test]
    fn two_overlapping_squares() {
        let mut u = Union::new();
        u.add(&square(0.0, 0.0, 10.0));
        u.add(&square(5.0, 5.0, 10.0));
        let o = u.finish();
        assert_eq!(o.rings.len(), 1);
        assert!((o.area_m2 - 175.0).abs() < 1e-9, "{}", o.area_m2);
        assert!((rings_area(&o.rings) - 175.0).abs() < 1e-9);
    }

    #[test]
    fn ring_of_walls_keeps_its_hole_and_opposite_windings_do_not_cancel() {
        let mut u = Union::new();
        // Four 1 m thick walls around a 10 x 10 outline, the last one clockwise.
        u.add(
            &square(0.0, 0.0, 1.0)
                .iter()
                .map(|p| [p[0] * 10.0, p[1]])
                .collect::<Vec<_>>(),
        );
        u.add(&[[0.0, 9.0], [10.0, 9.0], [10.0, 10.0], [0.0, 10.0]]);
        u.add(&[[0.0, 0.0], [1.0, 0.0], [1.0, 10.0], [0.0, 10.0]]);
        u.add(&[[9.0, 0.0], [9.0, 10.0], [10.0, 10.0], [10.0, 0.0]]);
        let o = u.finish();
        assert_eq!(o.rings.len(), 1);
        assert_eq!(o.rings[0].len(), 2, "outer ring plus courtyard hole");
        assert!((o.area_m2 - 36.0).abs() < 1e-9, "{}", o.area_m2);
    }

    #[test]
    fn vertical_faces_vanish() {
        let mut u = Union::new();
        u.add(&[[0.0, 0.0], [5.0, 0.0], [5.0, 0.0]]);
        assert!(u.is_empty());
        assert_eq!(u.finish().area_m2, 0.0);
    }

    fn rings_of(polys: &[Vec<[f64; 2]>]) -> Rings {
        let mut u = Union::new();
        for p in polys {
            u.add(p);
        }
        u.finish().rings
    }

    #[test]
    fn difference_of_a_tower_from_its_podium() {
        // Podium 60 x 40, tower 20 x 20 inside it: 2400 - 400 = 2000 m², with a hole.
        let podium = rings_of(&[square(0.0, 0.0, 60.0)
            .iter()
            .map(|p| [p[0], p[1] * 40.0 / 60.0])
            .collect()]);
        let tower = rings_of(&[square(10.0, 10.0, 20.0)]);
        let d = difference(&podium, &tower);
        assert!((d.area_m2 - 2000.0).abs() < 1e-9, "{}", d.area_m2);
        assert_eq!(d.rings[0].len(), 2, "the tower leaves a hole");
        // Difference the other way is empty; union gives the podium back.
        assert_eq!(difference(&tower, &podium).area_m2, 0.0);
        assert!((union_all([&podium, &tower]).area_m2 - 2400.0).abs() < 1e-9);
        // A hole's orientation survives a round trip: podium less (podium less tower) = tower.
        let back = difference(&podium, &d.rings);
        assert!((back.area_m2 - 400.0).abs() < 1e-9, "{}", back.area_m2);
        // A 20 × 20 square half over the podium's east edge overlaps it by 10 × 20.
        let edge = rings_of(&[square(50.0, 10.0, 20.0)]);
        let both = intersection(&podium, &edge);
        assert!((both.area_m2 - 200.0).abs() < 1e-9, "{}", both.area_m2);
        assert_eq!(intersection(&podium, &tower).area_m2, 400.0);
    }

    #[test]
    fn distance_to_ring_edges() {
        let r = rings_of(&[square(0.0, 0.0, 10.0)]);
        assert!((distance_to_rings([12.5, 5.0], &r).unwrap() - 2.5).abs() < 1e-12);
        assert!((distance_to_rings([5.0, 4.0], &r).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(distance_to_rings([0.0, 0.0], &Vec::new()), None);
    }

    #[test]
    fn clip_z_splits_triangle() {
        let t = [[0.0, 0.0, -1.0], [2.0, 0.0, 1.0], [0.0, 2.0, 1.0]];
        // Above z = 0: the edges from the low corner are cut half way.
        let above = clip_z(&t, 0.0, true);
        assert_eq!(
            above.corners(),
            [[1.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 1.0]]
        );
        let below = clip_z(&t, 0.0, false);
        assert_eq!(below.corners(), [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
        // Wholly on the kept side: the triangle itself; wholly off it: nothing.
        assert_eq!(
            clip_z(&t, -1.0, true).corners(),
            [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]
        );
        assert!(clip_z(&t, 1.5, true).corners().is_empty());
    }

    #[test]
    fn round_is_f64_round_at_the_edges() {
        let halves = [
            0.5,
            1.5,
            2.5,
            -0.5,
            -1.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
        ];
        let specials = [
            0.0,
            -0.0,
            -0.3,
            4503599627370495.5,
            4503599627370497.0,
            -4503599627370495.5,
        ];
        let odd = [
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ];
        for v in halves.into_iter().chain(specials).chain(odd) {
            assert_eq!(round(v).to_bits(), v.round().to_bits(), "{v:e}");
        }
        assert!(round(f64::NAN).is_nan());
    }

    proptest! {
        #[test]
        fn round_is_f64_round(v in proptest::num::f64::ANY, k in -1.0e9f64..1.0e9) {
            let half = k.trunc() + 0.5;
            for x in [v, k, half, -half, k * 1e-9] {
                if x.is_nan() {
                    prop_assert!(round(x).is_nan());
                } else {
                    prop_assert_eq!(round(x).to_bits(), x.round().to_bits(), "{:e}", x);
                }
            }
        }

        /// A triangle added by its snapped points is the same contour `add` keeps.
        #[test]
        fn triangles_add_as_polygons(
            pts in proptest::collection::vec(proptest::array::uniform2(-30.0..30.0f64), 3..30),
            far in proptest::bool::ANY,
        ) {
            let mut pts = pts;
            if far {
                pts[1][0] = 9.0e6; // off the grid's range from the first point
            }
            let tris: Vec<[[f64; 2]; 3]> = pts.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
            let mut by_poly = Union::new();
            let mut by_snap = Union::new();
            let grid = by_snap.snap_points(pts[0], pts.iter().copied());
            for (i, t) in tris.iter().enumerate() {
                by_poly.add(t);
                by_snap.add_snapped_triangle([grid[i], grid[i + 1], grid[i + 2]]);
            }
            prop_assert_eq!(by_poly.dropped(), by_snap.dropped());
            let expect = by_poly.finish();
            prop_assert_eq!(&by_snap.finish(), &expect);
        }

        // Union area is at most the sum and at least the largest part; a square
        // unioned with itself has its own area.
        #[test]
        fn union_area_bounds(x in -50.0..50.0f64, y in -50.0..50.0f64, s in 0.5..20.0f64, t in 0.5..20.0f64) {
            let a = (s * 100.0).round().powi(2) / 1e4;
            let mut u = Union::new();
            u.add(&square(0.0, 0.0, s));
            u.add(&square(0.0, 0.0, s));
            prop_assert!((u.finish().area_m2 - a).abs() < 1e-6);
            let mut u = Union::new();
            u.add(&square(0.0, 0.0, s));
            u.add(&square(x, y, t));
            let o = u.finish();
            let b = t * t;
            prop_assert!(o.area_m2 <= s * s + b + 0.05 * (s + t) * 4.0);
            prop_assert!(o.area_m2 + 0.05 * (s + t) * 4.0 >= (s * s).max(b));
        }
    }
}
