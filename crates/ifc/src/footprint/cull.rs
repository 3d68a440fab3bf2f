//! Dropping outlines that lie inside another before a union.
//!
//! A union's result does not change when a polygon wholly inside another polygon of
//! the input is left out, but the overlay still has to sort and split its edges. On a
//! large model the furniture-free fabric of each storey (walls, columns, counters,
//! beams) sits on the storey's slab, and every storey's elements cross those of the
//! storeys above and below in plan: unioning them all made the facts grow faster than
//! the model. The test is exact: outlines are on the 1 cm grid, so it runs on
//! integers, and anything that touches a container's edge is kept.

use super::{Outline, GRID};
use rustc_hash::FxHashMap as HashMap;

type P = [i64; 2];

/// A candidate container: one polygon (outer ring, then holes), on the grid.
struct Container {
    outer: Vec<P>,
    holes: Vec<Vec<P>>,
    bbox: [i64; 4],
    /// Index of the outline it came from (an outline is never tested against itself).
    from: usize,
}

/// Containers tried per outline: the largest polygons by box area.
const CONTAINERS: usize = 16;

/// `outlines` less those wholly inside a polygon of another outline, in the same
/// order. The union of what is returned equals the union of `outlines`.
pub fn drop_contained(outlines: Vec<Outline>) -> Vec<Outline> {
    use rayon::prelude::*;
    if outlines.len() < 2 {
        return outlines;
    }
    // Each polygon's outer ring on the grid, once: for picking containers and for
    // testing every outline against them.
    let outers: Vec<Vec<Vec<P>>> = outlines
        .par_iter()
        .map(|o| {
            o.rings
                .iter()
                .map(|poly| poly.first().map(|r| grid(r)).unwrap_or_default())
                .collect()
        })
        .collect();
    let containers = containers(&outlines, &outers);
    if containers.is_empty() {
        return outlines;
    }
    let keep: Vec<bool> = outlines
        .par_iter()
        .zip(&outers)
        .enumerate()
        .map(|(k, (o, rings))| !inside_any(k, o, rings, &containers))
        .collect();
    outlines
        .into_iter()
        .zip(keep)
        .filter_map(|(o, keep)| keep.then_some(o))
        .collect()
}

/// Every polygon of some finished outlines, indexed by box, for asking whether a box
/// lies inside one of them before anything inside that box is unioned at all.
///
/// Why: dropping a contained outline after it was made ([`drop_contained`]) still
/// unions each element's own triangles first; on a building most of the fabric
/// (interior walls, doors, stairs, columns) stands on a storey's slab.
pub struct Holders {
    list: Vec<Container>,
    /// Containers by the [`CELL`]-sized cells their boxes cover.
    cells: HashMap<[i64; 2], Vec<u32>>,
    /// Containers covering more than [`MAX_CELLS`] cells, tried for every box.
    wide: Vec<u32>,
}

/// The index's cell side in grid units (10 m).
const CELL: i64 = 1_000;
/// A container covering more cells than this is tried for every box instead.
const MAX_CELLS: i64 = 4_096;

impl Holders {
    /// The polygons of `outlines` (outer ring and holes each).
    pub fn new<'a>(outlines: impl IntoIterator<Item = &'a Outline>) -> Holders {
        let mut h = Holders {
            list: Vec::new(),
            cells: HashMap::default(),
            wide: Vec::new(),
        };
        for poly in outlines
            .into_iter()
            .filter(|o| o.dropped == 0)
            .flat_map(|o| &o.rings)
        {
            let Some(outer) = poly.first().map(|r| grid(r)) else {
                continue;
            };
            if outer.len() < 3 {
                continue;
            }
            let bbox = bbox(&outer);
            let k = h.list.len() as u32;
            let [x0, y0, x1, y1] = [bbox[0], bbox[1], bbox[2], bbox[3]].map(|v| v.div_euclid(CELL));
            if (x1 - x0 + 1).saturating_mul(y1 - y0 + 1) > MAX_CELLS {
                h.wide.push(k);
            } else {
                for x in x0..=x1 {
                    for y in y0..=y1 {
                        h.cells.entry([x, y]).or_default().push(k);
                    }
                }
            }
            h.list.push(Container {
                outer,
                holes: poly[1..].iter().map(|r| grid(r)).collect(),
                bbox,
                from: usize::MAX,
            });
        }
        h
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether the plan box `min`..`max` (metres), widened by a grid cell each way,
    /// lies in the interior of one polygon. Then every triangle inside the box, its
    /// corners snapped to the grid (half a cell at most; the union rounds relative to
    /// its whole-metre origin, which the widening covers too), lies inside that
    /// polygon and adds nothing to a union holding it. A box not finite is never held.
    pub fn hold(&self, min: [f64; 2], max: [f64; 2]) -> bool {
        let lo = min.map(|v| (v * GRID).floor() - 1.0);
        let hi = max.map(|v| (v * GRID).ceil() + 1.0);
        const FAR: f64 = (1i64 << 50) as f64;
        if !lo.iter().chain(&hi).all(|v| v.abs() < FAR) {
            return false;
        }
        let b = [lo[0] as i64, lo[1] as i64, hi[0] as i64, hi[1] as i64];
        let ring = [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]];
        let cell = [b[0].div_euclid(CELL), b[1].div_euclid(CELL)];
        self.cells
            .get(&cell)
            .into_iter()
            .flatten()
            .chain(&self.wide)
            .any(|&k| ring_inside(&ring, b, &self.list[k as usize]))
    }
}

fn grid(ring: &[[f64; 2]]) -> Vec<P> {
    let mut out: Vec<P> = ring
        .iter()
        .map(|p| [(p[0] * GRID).round() as i64, (p[1] * GRID).round() as i64])
        .collect();
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

fn bbox(ring: &[P]) -> [i64; 4] {
    let mut b = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
    for p in ring {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// The [`CONTAINERS`] polygons with the largest boxes; `outers` are each outline's
/// outer rings on the grid.
fn containers(outlines: &[Outline], outers: &[Vec<Vec<P>>]) -> Vec<Container> {
    let mut all: Vec<(i128, usize, usize, [i64; 4])> = Vec::new();
    for (k, rings) in outers.iter().enumerate() {
        for (j, outer) in rings.iter().enumerate() {
            if outer.len() < 3 {
                continue;
            }
            let b = bbox(outer);
            let area = i128::from(b[2] - b[0]) * i128::from(b[3] - b[1]);
            all.push((area, k, j, b));
        }
    }
    all.sort_by_key(|c| std::cmp::Reverse(c.0));
    all.into_iter()
        .take(CONTAINERS)
        .map(|(_, k, j, bbox)| Container {
            bbox,
            holes: outlines[k].rings[j][1..].iter().map(|h| grid(h)).collect(),
            outer: outers[k][j].clone(),
            from: k,
        })
        .collect()
}

/// Whether every polygon of outline `k` (`outers`: its outer rings on the grid) lies
/// inside a container of another outline.
fn inside_any(k: usize, o: &Outline, outers: &[Vec<P>], containers: &[Container]) -> bool {
    if o.rings.is_empty() || o.dropped > 0 {
        return false;
    }
    o.rings.iter().zip(outers).all(|(poly, ring)| {
        if poly.is_empty() {
            return true;
        }
        if ring.len() < 3 {
            return false;
        }
        let b = bbox(ring);
        containers
            .iter()
            .filter(|c| c.from != k)
            .any(|c| ring_inside(ring, b, c))
    })
}

/// Whether the region bounded by `ring` lies in the interior of container `c`: no
/// edge of it meets an edge of `c` (not even touching), one corner is strictly inside
/// `c`'s outer ring and outside its holes, and no hole of `c` lies inside `ring`.
fn ring_inside(ring: &[P], b: [i64; 4], c: &Container) -> bool {
    let cb = c.bbox;
    if b[0] <= cb[0] || b[1] <= cb[1] || b[2] >= cb[2] || b[3] >= cb[3] {
        return false;
    }
    if !point_in_ring(ring[0], &c.outer) || c.holes.iter().any(|h| point_in_ring(ring[0], h)) {
        return false;
    }
    if c.holes
        .iter()
        .any(|h| h.first().is_some_and(|&q| point_in_ring(q, ring)))
    {
        return false;
    }
    let edges =
        |r: &[P]| -> Vec<(P, P)> { (0..r.len()).map(|i| (r[i], r[(i + 1) % r.len()])).collect() };
    let mine = edges(ring);
    std::iter::once(&c.outer)
        .chain(c.holes.iter())
        .flat_map(|r| edges(r))
        .filter(|&(p, q)| {
            // Only container edges that reach the ring's box can meet it.
            p[0].max(q[0]) >= b[0]
                && p[0].min(q[0]) <= b[2]
                && p[1].max(q[1]) >= b[1]
                && p[1].min(q[1]) <= b[3]
        })
        .all(|(p, q)| mine.iter().all(|&(a, d)| !segments_meet(a, d, p, q)))
}

fn orient(a: P, b: P, c: P) -> i128 {
    let (ax, ay) = (i128::from(b[0] - a[0]), i128::from(b[1] - a[1]));
    let (bx, by) = (i128::from(c[0] - a[0]), i128::from(c[1] - a[1]));
    (ax * by - ay * bx).signum()
}

fn on_segment(a: P, b: P, p: P) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether closed segments `ab` and `cd` share any point (crossing, touching, overlapping).
fn segments_meet(a: P, b: P, c: P, d: P) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Crossing-number test; a point on the ring counts as inside (callers have ruled it out
/// or want the conservative answer).
fn point_in_ring(p: P, ring: &[P]) -> bool {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if orient(a, b, p) == 0 && on_segment(a, b, p) {
            return true;
        }
        if (a[1] > p[1]) != (b[1] > p[1]) {
            // x of the edge at p's y, compared without division.
            let lhs = i128::from(p[0] - a[0]) * i128::from(b[1] - a[1]);
            let rhs = i128::from(b[0] - a[0]) * i128::from(p[1] - a[1]);
            let left = if b[1] > a[1] { lhs < rhs } else { lhs > rhs };
            if left {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::footprint::Union;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Outline {
        let mut u = Union::new();
        u.add(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
        u.finish()
    }

    /// A slab 0..10 x 0..10 m with an atrium 4..6 x 4..6 m.
    fn slab_with_atrium() -> Outline {
        let slab = rect(0.0, 0.0, 10.0, 10.0);
        crate::footprint::difference(&slab.rings, &rect(4.0, 4.0, 6.0, 6.0).rings)
    }

    /// Rectangles `(x, y, w, h)` in decimetres: on a 10 cm lattice, so that touching
    /// and nesting are common.
    fn on_lattice(rects: &[(i32, i32, i32, i32)]) -> Vec<Outline> {
        rects
            .iter()
            .map(|&(x, y, w, h)| {
                let (x, y) = (f64::from(x) / 10.0, f64::from(y) / 10.0);
                rect(x, y, x + f64::from(w) / 10.0, y + f64::from(h) / 10.0)
            })
            .collect()
    }

    fn union(os: &[Outline]) -> Outline {
        Union::of_outlines(os).finish()
    }

    /// Inside is dropped; touching the edge, crossing it, lying in a hole, or holding
    /// a hole of the container is kept; and the union never changes.
    #[test]
    fn drops_only_what_lies_strictly_inside() {
        let slab = slab_with_atrium();
        assert!((slab.area_m2 - 96.0).abs() < 1e-9);
        let cases = vec![
            (rect(1.0, 1.0, 2.0, 2.0), false),  // strictly inside: dropped
            (rect(0.0, 1.0, 1.0, 2.0), true),   // touches the outer edge
            (rect(9.0, 9.0, 11.0, 11.0), true), // crosses it
            (rect(4.5, 4.5, 5.5, 5.5), true),   // in the atrium
            (rect(3.0, 3.0, 7.0, 3.5), false),  // inside, beside the atrium
            (rect(3.0, 6.5, 7.0, 8.0), false),  // inside, on its other side
            (rect(3.0, 4.5, 4.2, 5.0), true),   // reaches into the atrium
            (rect(7.0, 7.0, 8.0, 9.99), false), // inside, 1 cm from the edge
        ];
        let mut all = vec![slab.clone()];
        all.extend(cases.iter().map(|c| c.0.clone()));
        let kept = drop_contained(all.clone());
        for (o, keep) in &cases {
            assert_eq!(kept.contains(o), *keep, "{:?}", o.rings);
        }
        assert_eq!(kept.len(), 1 + cases.iter().filter(|c| c.1).count());
        let (a, b) = (union(&all), union(&kept));
        assert_eq!(a.area_m2, b.area_m2);
        assert_eq!(a.rings, b.rings);
    }

    /// An outline that covers the container's hole is kept, and it is itself a
    /// container: what lies inside it (here, in the atrium) goes.
    #[test]
    fn a_cover_over_a_hole_is_kept_and_contains() {
        let slab = slab_with_atrium();
        let cover = rect(3.0, 3.0, 7.0, 7.0);
        let in_atrium = rect(4.5, 4.5, 5.5, 5.5);
        let all = vec![slab.clone(), cover.clone(), in_atrium];
        let kept = drop_contained(all.clone());
        assert_eq!(kept, vec![slab, cover]);
        assert_eq!(union(&all).rings, union(&kept).rings);
        assert!((union(&kept).area_m2 - 100.0).abs() < 1e-9);
    }

    proptest::proptest! {
        /// The law: leaving out what `drop_contained` drops never changes the union.
        /// Rectangles on a 10 cm lattice so that touching and nesting are common.
        #[test]
        fn union_is_unchanged(rects in proptest::collection::vec(
            (0i32..40, 0i32..40, 1i32..25, 1i32..25), 1..30)
        ) {
            let all = on_lattice(&rects);
            let kept = drop_contained(all.clone());
            // On the grid: the union's origin (its first polygon) may differ.
            let on_grid = |o: Outline| -> Vec<Vec<Vec<P>>> {
                o.rings.iter().map(|p| p.iter().map(|r| grid(r)).collect()).collect()
            };
            proptest::prop_assert_eq!(on_grid(union(&all)), on_grid(union(&kept)));
        }
    }

    /// A box is held only when, widened by a grid cell, it lies strictly inside a
    /// polygon: not within a centimetre of its edge, not in or over a hole.
    #[test]
    fn holds_only_boxes_a_cell_clear_of_every_edge() {
        let slab = slab_with_atrium();
        let far = rect(100.0, 100.0, 120.0, 130.0);
        let h = Holders::new([&slab, &far]);
        let cases = [
            ([1.0, 1.0], [2.0, 2.0], true),
            ([7.0, 7.0], [8.0, 9.97], true), // widened, clear of the edge
            ([7.0, 7.0], [8.0, 9.99], false), // widened onto the edge
            ([0.005, 1.0], [1.0, 2.0], false), // widened past it
            ([4.5, 4.5], [5.5, 5.5], false), // in the atrium
            ([3.0, 3.0], [7.0, 7.0], false), // over it
            ([3.0, 4.5], [3.99, 5.0], false), // widened onto its edge
            ([3.0, 4.5], [3.98, 5.0], true), // a cell clear of it
            ([101.0, 101.0], [119.0, 129.0], true),
            ([11.0, 1.0], [12.0, 2.0], false), // outside both
            ([f64::NAN, 1.0], [2.0, 2.0], false),
            ([1.0, 1.0], [f64::INFINITY, 2.0], false),
        ];
        for (lo, hi, held) in cases {
            assert_eq!(h.hold(lo, hi), held, "{lo:?}..{hi:?}");
        }
        assert!(Holders::new(&[]).is_empty());
        assert!(!Holders::new(&[]).hold([1.0, 1.0], [2.0, 2.0]));
    }

    /// A container wider than the index's cells is still found, from any cell.
    #[test]
    fn holds_in_a_container_wider_than_the_index() {
        let site = rect(-1000.0, -1000.0, 1000.0, 1000.0);
        let h = Holders::new([&site]);
        assert!(h.hold([-999.0, 998.0], [-998.0, 999.0]));
        assert!(h.hold([500.0, -3.0], [501.0, -2.0]));
        assert!(!h.hold([999.0, 0.0], [1000.5, 1.0]));
    }

    proptest::proptest! {
        /// The law: a box `hold` says is held adds nothing to the union of the
        /// containers, whatever triangles inside it are snapped to the grid.
        #[test]
        fn a_held_box_adds_nothing(
            rects in proptest::collection::vec((0i32..40, 0i32..40, 1i32..25, 1i32..25), 1..8),
            b in (0.0f64..4.0, 0.0f64..4.0, 0.0f64..1.0, 0.0f64..1.0),
        ) {
            let all = on_lattice(&rects);
            let (lo, hi) = ([b.0, b.1], [b.0 + b.2, b.1 + b.3]);
            if Holders::new(&all).hold(lo, hi) {
                let mut with = all.clone();
                // The box's two triangles, the widest any triangle inside it reaches.
                let mut u = Union::new();
                u.add(&[lo, [hi[0], lo[1]], hi]);
                u.add(&[lo, hi, [lo[0], hi[1]]]);
                with.push(u.finish());
                let on_grid = |o: Outline| -> Vec<Vec<Vec<P>>> {
                    o.rings.iter().map(|p| p.iter().map(|r| grid(r)).collect()).collect()
                };
                proptest::prop_assert_eq!(on_grid(union(&all)), on_grid(union(&with)));
            }
        }
    }

    /// Two identical outlines are each other's only container: both are kept.
    #[test]
    fn keeps_duplicates() {
        let a = rect(0.0, 0.0, 5.0, 5.0);
        assert_eq!(drop_contained(vec![a.clone(), a.clone()]).len(), 2);
    }
}
