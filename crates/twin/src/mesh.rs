//! Mesh primitives for what the site and the review draw: flat ribbons along lines,
//! flat fills and extruded volumes of polygons, posts. Positions are local (glTF) and
//! triangles face up or outwards (counter-clockwise seen from outside). Polygons are
//! triangulated by geo's earcut (`TriangulateEarcut`), inside `catch_unwind` because it
//! is third-party code fed with applicants' data: a polygon it cannot take is an error
//! for the caller to name, never a panic.

use crate::frame::Frame;
use geo::algorithm::triangulate_earcut::RawTriangulation;
use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, Polygon, TriangulateEarcut};
use zhishen_render::format::MeshData;

/// A mesh under construction.
#[derive(Debug, Default)]
pub(crate) struct MeshBuilder {
    positions: Vec<[f32; 3]>,
    indices: Vec<u32>,
}

impl MeshBuilder {
    /// Adds a vertex given in local f64 coordinates.
    fn vertex(&mut self, p: [f64; 3]) -> u32 {
        self.positions.push(p.map(|v| v as f32));
        (self.positions.len() - 1) as u32
    }

    fn tri(&mut self, a: u32, b: u32, c: u32) {
        self.indices.extend_from_slice(&[a, b, c]);
    }

    /// A quad a-b-c-d, counter-clockwise seen from its front.
    fn quad(&mut self, q: [[f64; 3]; 4]) {
        let v = q.map(|p| self.vertex(p));
        self.tri(v[0], v[1], v[2]);
        self.tri(v[0], v[2], v[3]);
    }

    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    /// The mesh, or `None` when nothing was drawn or a position is not finite.
    pub fn finish(self) -> Option<MeshData> {
        let finite = self.positions.iter().flatten().all(|v| v.is_finite());
        let ok = !self.indices.is_empty() && finite && self.positions.len() < u32::MAX as usize;
        ok.then_some(MeshData {
            positions: self.positions,
            indices: self.indices,
        })
    }
}

/// Draws on one mesh in one frame.
pub(crate) struct Pen<'a> {
    pub frame: &'a Frame,
    pub mesh: MeshBuilder,
}

impl<'a> Pen<'a> {
    pub fn new(frame: &'a Frame) -> Pen<'a> {
        Pen {
            frame,
            mesh: MeshBuilder::default(),
        }
    }

    fn at(&self, c: Coord<f64>, z: f64) -> [f64; 3] {
        self.frame.local(c.x, c.y, z)
    }

    /// A flat ribbon `width` wide centred on a polyline at site height `z`; each segment
    /// is a quad lengthened by half the width at both ends, so corners close.
    pub fn ribbon(&mut self, line: &LineString<f64>, width: f64, z: f64) {
        let h = width / 2.0;
        for w in line.0.windows(2) {
            let (p, q) = (w[0], w[1]);
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            let len = dx.hypot(dy);
            // Also skips NaN lengths.
            if len.is_nan() || len <= 1e-9 {
                continue;
            }
            let (ux, uy) = (dx / len * h, dy / len * h);
            let (p, q) = (
                Coord {
                    x: p.x - ux,
                    y: p.y - uy,
                },
                Coord {
                    x: q.x + ux,
                    y: q.y + uy,
                },
            );
            // Left of the direction of travel is (−uy, ux).
            let side = |c: Coord<f64>, s: f64| Coord {
                x: c.x - s * uy,
                y: c.y + s * ux,
            };
            let q = [
                self.at(side(p, -1.0), z),
                self.at(side(q, -1.0), z),
                self.at(side(q, 1.0), z),
                self.at(side(p, 1.0), z),
            ];
            self.mesh.quad(q);
        }
    }

    /// A square post `side` wide at `c` from `z0` up to `z1`: four walls and a cap.
    pub fn post(&mut self, c: Coord<f64>, side: f64, z0: f64, z1: f64) {
        let s = side / 2.0;
        let ring = LineString(vec![
            Coord {
                x: c.x - s,
                y: c.y - s,
            },
            Coord {
                x: c.x + s,
                y: c.y - s,
            },
            Coord {
                x: c.x + s,
                y: c.y + s,
            },
            Coord {
                x: c.x - s,
                y: c.y + s,
            },
            Coord {
                x: c.x - s,
                y: c.y - s,
            },
        ]);
        self.walls(&ring, z0, z1);
        let v: Vec<[f64; 3]> = ring.0[..4].iter().map(|p| self.at(*p, z1)).collect();
        self.mesh.quad([v[0], v[1], v[2], v[3]]);
    }

    /// Vertical quads along a ring from `z0` to `z1`, facing right of the ring's
    /// direction (outwards for a counter-clockwise outer ring).
    fn walls(&mut self, ring: &LineString<f64>, z0: f64, z1: f64) {
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a == b {
                continue;
            }
            let q = [
                self.at(a, z0),
                self.at(b, z0),
                self.at(b, z1),
                self.at(a, z1),
            ];
            self.mesh.quad(q);
        }
    }

    /// A flat, upward-facing fill of `poly` (holes kept) at site height `z`.
    pub fn fill(&mut self, poly: &Polygon<f64>, z: f64) -> Result<(), String> {
        let tri = triangulate(poly)?;
        let base = self.mesh.vertex_count() as u32;
        for v in &tri.vertices {
            let p = self.at(Coord { x: v[0], y: v[1] }, z);
            self.mesh.vertex(p);
        }
        for t in tri.triangle_indices.chunks_exact(3) {
            let (a, b, c) = (t[0], t[1], t[2]);
            let (pa, pb, pc) = (tri.vertices[a], tri.vertices[b], tri.vertices[c]);
            let cross = (pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]);
            let (a, b, c) = (base + a as u32, base + b as u32, base + c as u32);
            if cross >= 0.0 {
                self.mesh.tri(a, b, c);
            } else {
                self.mesh.tri(a, c, b);
            }
        }
        Ok(())
    }

    /// A prism over `poly` from `z0` to `z1`: its top and its walls (the bottom stands on
    /// the ground and is not drawn).
    pub fn extrude(&mut self, poly: &Polygon<f64>, z0: f64, z1: f64) -> Result<(), String> {
        let poly = poly.orient(Direction::Default);
        self.fill(&poly, z1)?;
        self.walls(poly.exterior(), z0, z1);
        for r in poly.interiors() {
            self.walls(r, z0, z1);
        }
        Ok(())
    }
}

/// Earcut triangulation of a polygon with its holes, refusing what it cannot take.
fn triangulate(poly: &Polygon<f64>) -> Result<RawTriangulation<f64>, String> {
    let finite = |r: &LineString<f64>| r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite());
    if !finite(poly.exterior()) || !poly.interiors().iter().all(finite) {
        return Err("non-finite coordinates".into());
    }
    if poly.exterior().0.len() < 4 {
        return Err("outer ring has fewer than 3 corners".into());
    }
    // Degenerate holes (fewer than 3 corners) enclose nothing; earcut expects real rings.
    let clean = Polygon::new(
        poly.exterior().clone(),
        poly.interiors()
            .iter()
            .filter(|r| r.0.len() >= 4)
            .cloned()
            .collect(),
    );
    let out = std::panic::catch_unwind(|| clean.earcut_triangles_raw())
        .map_err(|_| "triangulation failed".to_string())?;
    if out.triangle_indices.is_empty() {
        return Err("no triangles (zero area or self-touching ring)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn frame() -> Frame {
        Frame::at_origin([100.0, 200.0, 5.0])
    }

    #[test]
    fn fill_faces_up_and_keeps_holes() {
        let f = frame();
        let mut pen = Pen::new(&f);
        let p = polygon!(
            exterior: [(x: 100.0, y: 200.0), (x: 110.0, y: 200.0), (x: 110.0, y: 210.0), (x: 100.0, y: 210.0)],
            interiors: [[(x: 102.0, y: 202.0), (x: 108.0, y: 202.0), (x: 108.0, y: 208.0), (x: 102.0, y: 208.0)]],
        );
        pen.fill(&p, 5.0).unwrap();
        let m = pen.mesh.finish().unwrap();
        // Area of the triangles = 100 − 36.
        let mut area = 0.0;
        for t in m.indices.chunks_exact(3) {
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| m.positions[i as usize]);
            // Normal's y component (up) = cross of (b − a) and (c − a) in x/z.
            let ny = (b[2] - a[2]) * (c[0] - a[0]) - (b[0] - a[0]) * (c[2] - a[2]);
            assert!(ny > 0.0, "triangle faces up");
            area += f64::from(ny) / 2.0;
        }
        assert!((area - 64.0).abs() < 1e-3, "{area}");
        assert!(m.positions.iter().all(|p| p[1] == 0.0));
    }

    #[test]
    fn degenerate_polygons_are_errors_not_panics() {
        let f = frame();
        let mut pen = Pen::new(&f);
        let line = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0)];
        assert!(pen.fill(&line, 0.0).is_err());
        let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 0.0), (x: 2.0, y: 1.0)];
        assert!(pen.fill(&nan, 0.0).is_err());
        let empty = Polygon::new(LineString(vec![]), vec![]);
        assert!(pen.fill(&empty, 0.0).is_err());
    }

    #[test]
    fn ribbon_is_as_wide_as_asked() {
        let f = frame();
        let mut pen = Pen::new(&f);
        let l = LineString::from(vec![(100.0, 200.0), (110.0, 200.0)]);
        pen.ribbon(&l, 0.4, 5.0);
        let m = pen.mesh.finish().unwrap();
        let (lo, hi) = m.bbox().unwrap();
        assert!((lo[0] + 0.2).abs() < 1e-6 && (hi[0] - 10.2).abs() < 1e-5);
        assert!((lo[2] + 0.2).abs() < 1e-6 && (hi[2] - 0.2).abs() < 1e-6);
    }
}
