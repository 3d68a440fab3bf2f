//! Convex polyhedra cut by planes: the geometry under our own boolean clipping
//! (see `clip.rs` for why it exists).
//!
//! A solid is kept as a list of disjoint convex pieces. Subtracting a convex cutter
//! (an intersection of half-spaces) from a convex piece leaves at most one convex
//! piece per cutter plane: the part outside plane 1, the part inside plane 1 and
//! outside plane 2, and so on. Every step is a plane clip of a convex polygon
//! soup, which is exact up to one length tolerance and never fails.

use ifc_lite_geometry::Point2;

pub(crate) type V3 = [f64; 3];

pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
pub(crate) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
pub(crate) fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
pub(crate) fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}
/// `a` scaled to unit length; `None` for a zero or non-finite vector.
pub(crate) fn unit(a: V3) -> Option<V3> {
    let n = norm(a);
    (n.is_finite() && n > 1e-12).then(|| scale(a, 1.0 / n))
}

/// The half-space `n·p <= d`: its inside is what a clip keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Plane {
    pub n: V3,
    pub d: f64,
}

impl Plane {
    /// The half-space whose boundary passes through `at` with outward normal `n`.
    pub(crate) fn through(at: V3, n: V3) -> Option<Plane> {
        let n = unit(n)?;
        Some(Plane { n, d: dot(n, at) })
    }
    pub(crate) fn flipped(self) -> Plane {
        Plane {
            n: scale(self.n, -1.0),
            d: -self.d,
        }
    }
    fn dist(&self, p: V3) -> f64 {
        dot(self.n, p) - self.d
    }
}

/// A convex polyhedron as its faces, each a convex polygon wound counter-clockwise
/// seen from outside.
#[derive(Clone, Debug)]
pub(crate) struct Convex {
    pub faces: Vec<Vec<V3>>,
}

impl Convex {
    /// The prism swept by the convex polygon `ring` (any winding, no repeated end
    /// point) along `sweep`. `None` when the polygon or the sweep is flat.
    pub(crate) fn prism(ring: &[V3], sweep: V3) -> Option<Convex> {
        if ring.len() < 3 {
            return None;
        }
        let mut ring = ring.to_vec();
        let normal = newell(&ring);
        let along = dot(normal, sweep);
        if along.abs() <= 1e-12 * norm(normal).max(1e-300) * norm(sweep) || !along.is_finite() {
            return None;
        }
        if along < 0.0 {
            // The top face must wind counter-clockwise about the sweep.
            ring.reverse();
        }
        let top: Vec<V3> = ring.iter().map(|&p| add(p, sweep)).collect();
        let mut bottom = ring.clone();
        bottom.reverse();
        let mut faces = vec![bottom, top];
        for i in 0..ring.len() {
            let a = ring[i];
            let b = ring[(i + 1) % ring.len()];
            faces.push(vec![a, b, add(b, sweep), add(a, sweep)]);
        }
        Some(Convex { faces })
    }

    fn vertices(&self) -> impl Iterator<Item = V3> + '_ {
        self.faces.iter().flatten().copied()
    }

    /// The part of this piece inside `plane`. `Some(self)` unchanged when it lies
    /// wholly inside, `None` when nothing of positive thickness (over `eps`) is.
    pub(crate) fn clip(&self, plane: Plane, eps: f64) -> Option<Convex> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in self.vertices() {
            let d = plane.dist(p);
            lo = lo.min(d);
            hi = hi.max(d);
        }
        if hi <= eps {
            return Some(self.clone());
        }
        if lo >= -eps {
            return None;
        }
        let mut faces = Vec::with_capacity(self.faces.len() + 1);
        let mut section = Vec::new();
        for face in &self.faces {
            let kept = clip_polygon(face, plane, eps, &mut section);
            if kept.len() >= 3 {
                faces.push(kept);
            }
        }
        if let Some(cap) = cap(section, plane.n, eps) {
            faces.push(cap);
        }
        (faces.len() >= 4).then_some(Convex { faces })
    }

    /// Signed volume by the divergence theorem (positive for outward winding).
    #[cfg(test)]
    pub(crate) fn volume(&self) -> f64 {
        let mut v = 0.0;
        for f in &self.faces {
            for i in 1..f.len().saturating_sub(1) {
                v += dot(f[0], cross(f[i], f[i + 1]));
            }
        }
        v / 6.0
    }
}

/// `pieces` minus the convex cutter `cutter` (the intersection of its half-spaces).
pub(crate) fn subtract(pieces: Vec<Convex>, cutter: &[Plane], eps: f64) -> Vec<Convex> {
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let mut rest = piece;
        for &plane in cutter {
            if let Some(outside) = rest.clip(plane.flipped(), eps) {
                out.push(outside);
            }
            match rest.clip(plane, eps) {
                Some(inside) => rest = inside,
                // Nothing of this piece is left inside the cutter: all of it was kept.
                None => break,
            }
        }
    }
    out
}

/// One Sutherland–Hodgman pass: the part of `face` inside `plane`. Points made on the
/// plane are collected in `section`, from which the cap is built.
fn clip_polygon(face: &[V3], plane: Plane, eps: f64, section: &mut Vec<V3>) -> Vec<V3> {
    let mut kept = Vec::with_capacity(face.len() + 1);
    for i in 0..face.len() {
        let a = face[i];
        let b = face[(i + 1) % face.len()];
        let (da, db) = (plane.dist(a), plane.dist(b));
        if da <= eps {
            kept.push(a);
            if da >= -eps {
                section.push(a);
            }
        }
        if (da < -eps && db > eps) || (da > eps && db < -eps) {
            let t = da / (da - db);
            let p = add(a, scale(sub(b, a), t));
            kept.push(p);
            section.push(p);
        }
    }
    kept
}

/// The convex polygon closing a clip, wound counter-clockwise about `n` (the
/// outward normal of the kept side).
fn cap(mut pts: Vec<V3>, n: V3, eps: f64) -> Option<Vec<V3>> {
    let mut uniq: Vec<V3> = Vec::with_capacity(pts.len());
    for p in pts.drain(..) {
        if uniq.iter().all(|q| norm(sub(p, *q)) > eps) {
            uniq.push(p);
        }
    }
    if uniq.len() < 3 {
        return None;
    }
    let c = scale(
        uniq.iter().fold([0.0; 3], |s, &p| add(s, p)),
        1.0 / uniq.len() as f64,
    );
    let u = unit(sub(uniq[0], c))?;
    let v = cross(n, u);
    let mut angled: Vec<(f64, V3)> = uniq
        .into_iter()
        .map(|p| {
            let r = sub(p, c);
            (dot(r, v).atan2(dot(r, u)), p)
        })
        .collect();
    angled.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(angled.into_iter().map(|(_, p)| p).collect())
}

/// Newell's normal of a polygon: its area vector, pointing where it winds
/// counter-clockwise.
pub(crate) fn newell(ring: &[V3]) -> V3 {
    let mut n = [0.0; 3];
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        n[0] += (a[1] - b[1]) * (a[2] + b[2]);
        n[1] += (a[2] - b[2]) * (a[0] + b[0]);
        n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    scale(n, 0.5)
}

/// Whether the planar 2-D ring (no repeated end point) is convex, without
/// collinear-only or self-overlapping turns.
pub(crate) fn is_convex_2d(ring: &[[f64; 2]]) -> bool {
    let mut ring = ring.to_vec();
    ring.dedup();
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut sign = 0.0f64;
    let mut turn = 0.0;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        let c = ring[(i + 2) % n];
        let z = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
        if z == 0.0 {
            continue;
        }
        if sign == 0.0 {
            sign = z.signum();
        } else if z.signum() != sign {
            return false;
        }
        let h1 = (b[1] - a[1]).atan2(b[0] - a[0]);
        let h2 = (c[1] - b[1]).atan2(c[0] - b[0]);
        let mut d = h2 - h1;
        while d > std::f64::consts::PI {
            d -= 2.0 * std::f64::consts::PI;
        }
        while d < -std::f64::consts::PI {
            d += 2.0 * std::f64::consts::PI;
        }
        turn += d;
    }
    // A convex ring turns once; a star polygon with same-sign turns winds more.
    sign != 0.0 && (turn.abs() - 2.0 * std::f64::consts::PI).abs() < 1e-6
}

/// Signed area of a 2-D ring (positive counter-clockwise).
pub(crate) fn area_2d(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

/// A simple 2-D ring as counter-clockwise triangles, by ifc-lite's triangulation
/// (earcut); `None` when the triangles do not tile the ring exactly (a
/// self-intersecting or degenerate ring), so it is never cut as something else.
pub(crate) fn triangulate_2d(ring: &[[f64; 2]]) -> Option<Vec<[[f64; 2]; 3]>> {
    let pts: Vec<Point2<f64>> = ring.iter().map(|p| Point2::new(p[0], p[1])).collect();
    let idx = ifc_lite_geometry::triangulate_polygon(&pts).ok()?;
    let tris: Vec<[[f64; 2]; 3]> = idx
        .chunks_exact(3)
        .map(|t| {
            let mut tri = [*ring.get(t[0])?, *ring.get(t[1])?, *ring.get(t[2])?];
            if area_2d(&tri) < 0.0 {
                tri.swap(1, 2);
            }
            Some(tri)
        })
        .collect::<Option<_>>()?;
    let sum: f64 = tris.iter().map(|t| area_2d(t)).sum();
    let whole = area_2d(ring).abs();
    (whole > 0.0 && (sum - whole).abs() <= 1e-9 * whole).then_some(tris)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit_cube() -> Convex {
        let ring = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
        ];
        Convex::prism(&ring, [0.0, 0.0, 1.0]).unwrap()
    }

    #[test]
    fn a_prism_winds_outward_whatever_the_ring_winding() {
        let mut ring = vec![
            [0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [2.0, 3.0, 0.0],
            [0.0, 3.0, 0.0],
        ];
        let a = Convex::prism(&ring, [0.0, 0.0, 4.0]).unwrap();
        ring.reverse();
        let b = Convex::prism(&ring, [0.0, 0.0, 4.0]).unwrap();
        let c = Convex::prism(&ring, [0.0, 0.0, -4.0]).unwrap();
        for p in [a, b, c] {
            assert!((p.volume() - 24.0).abs() < 1e-12, "{}", p.volume());
        }
        assert!(
            Convex::prism(&ring, [1.0, 0.0, 0.0]).is_none(),
            "a sweep in the ring's plane is flat"
        );
    }

    #[test]
    fn a_diagonal_clip_halves_the_cube() {
        // x + y <= 1 keeps the half of the unit cube below the diagonal.
        let plane = Plane::through([1.0, 0.0, 0.0], [1.0, 1.0, 0.0]).unwrap();
        let half = unit_cube().clip(plane, 1e-9).unwrap();
        assert!((half.volume() - 0.5).abs() < 1e-12);
        // A plane missing the cube keeps it whole or removes it.
        let away = Plane::through([2.0, 0.0, 0.0], [1.0, 0.0, 0.0]).unwrap();
        assert!((unit_cube().clip(away, 1e-9).unwrap().volume() - 1.0).abs() < 1e-12);
        assert!(unit_cube().clip(away.flipped(), 1e-9).is_none());
        // A plane on a face: nothing of positive thickness is outside it.
        let top = Plane::through([0.0, 0.0, 1.0], [0.0, 0.0, 1.0]).unwrap();
        assert!(unit_cube().clip(top.flipped(), 1e-9).is_none());
    }

    #[test]
    fn subtracting_a_corner_block_leaves_seven_eighths() {
        // The cutter is the block [0.5, inf)^3, as three half-spaces.
        let cutter = [
            Plane::through([0.5, 0.0, 0.0], [-1.0, 0.0, 0.0]).unwrap(),
            Plane::through([0.0, 0.5, 0.0], [0.0, -1.0, 0.0]).unwrap(),
            Plane::through([0.0, 0.0, 0.5], [0.0, 0.0, -1.0]).unwrap(),
        ];
        let rest = subtract(vec![unit_cube()], &cutter, 1e-9);
        assert_eq!(rest.len(), 3);
        let v: f64 = rest.iter().map(Convex::volume).sum();
        assert!((v - 0.875).abs() < 1e-12, "{v}");
    }

    #[test]
    fn triangulation_tiles_an_l_and_refuses_a_bow_tie() {
        let l = [
            [0.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [0.0, 2.0],
        ];
        let tris = triangulate_2d(&l).unwrap();
        assert_eq!(tris.len(), 4);
        let sum: f64 = tris.iter().map(|t| area_2d(t)).sum();
        assert!((sum - 3.0).abs() < 1e-12);
        assert!(!is_convex_2d(&l));
        let bow = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
        assert!(triangulate_2d(&bow).is_none());
        assert!(!is_convex_2d(&bow));
        assert!(is_convex_2d(&[
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0]
        ]));
    }

    proptest! {
        /// The law of subtraction: what is removed and what is kept add up to the
        /// piece, for any cutter plane set through the cube.
        #[test]
        fn kept_plus_removed_is_the_whole(
            planes in proptest::collection::vec(
                ((-1.0f64..1.0, -1.0f64..1.0, -1.0f64..1.0), (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0)),
                1..5,
            )
        ) {
            let cutter: Vec<Plane> = planes
                .iter()
                .filter_map(|&((nx, ny, nz), (x, y, z))| Plane::through([x, y, z], [nx, ny, nz]))
                .collect();
            prop_assume!(!cutter.is_empty());
            let kept: f64 = subtract(vec![unit_cube()], &cutter, 1e-9).iter().map(Convex::volume).sum();
            let mut removed = Some(unit_cube());
            for &p in &cutter {
                removed = removed.and_then(|r| r.clip(p, 1e-9));
            }
            let removed = removed.map_or(0.0, |r| r.volume());
            prop_assert!((kept + removed - 1.0).abs() < 1e-6, "kept {kept} removed {removed}");
        }
    }
}
