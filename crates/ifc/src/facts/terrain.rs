//! The ground of a sloping site from terrain geometry: the IfcSite's own body, or an
//! IfcGeographicElement of type TERRAIN (or named 地形/terrain). The planning height is
//! measured from the outdoor ground 室外设计地面 (GB 50352-2019 4.5.2); where the ground
//! slopes along the building, the lowest point of the terrain under the building's
//! outline is taken, so the height is never understated.

use super::{project_tris, Cut};
use crate::model::{Element, Mesh, Site};

fn is_terrain(e: &Element) -> bool {
    e.ifc_class == "IfcGeographicElement"
        && (e.predefined_type.as_deref() == Some("TERRAIN")
            || [e.name.as_deref(), e.object_type.as_deref()]
                .into_iter()
                .flatten()
                .any(|t| {
                    let l = t.to_lowercase();
                    l.contains("terrain") || l.contains("地形") || l.contains("场地地面")
                }))
}

/// Terrain meshes of the model.
pub fn meshes<'a>(sites: &'a [Site], elements: &'a [Element]) -> Vec<&'a Mesh> {
    sites
        .iter()
        .filter_map(|s| s.terrain.as_ref())
        .chain(
            elements
                .iter()
                .filter(|e| is_terrain(e))
                .filter_map(|e| e.mesh.as_ref()),
        )
        .collect()
}

/// The highest terrain surface above plan point `p`, if any triangle covers it.
#[cfg(test)]
fn z_at(p: [f64; 2], terrain: &[&Mesh]) -> Option<f64> {
    let tris: Vec<[[f64; 3]; 3]> = terrain.iter().flat_map(|m| m.triangles()).collect();
    z_on(p, &tris)
}

/// The highest of `tris` above plan point `p`, if any covers it.
fn z_on(p: [f64; 2], tris: &[[[f64; 3]; 3]]) -> Option<f64> {
    let mut best: Option<f64> = None;
    for t in tris {
        let (a, b, c) = (t[0], t[1], t[2]);
        let det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1]);
        if det.abs() < 1e-12 {
            continue; // vertical face
        }
        let l1 = ((b[1] - c[1]) * (p[0] - c[0]) + (c[0] - b[0]) * (p[1] - c[1])) / det;
        let l2 = ((c[1] - a[1]) * (p[0] - c[0]) + (a[0] - c[0]) * (p[1] - c[1])) / det;
        let l3 = 1.0 - l1 - l2;
        let eps = -1e-9;
        if l1 >= eps && l2 >= eps && l3 >= eps {
            let z = l1 * a[2] + l2 * b[2] + l3 * c[2];
            best = Some(best.map_or(z, |x: f64| x.max(z)));
        }
    }
    best
}

/// The lowest terrain height along the outline of `fabric`, when terrain covers it.
pub fn ground_under(fabric: &[&Element], terrain: &[&Mesh]) -> Option<f64> {
    if terrain.is_empty() {
        return None;
    }
    let outline = project_tris(fabric, Cut::All).finish();
    let pts: Vec<[f64; 2]> = outline
        .rings
        .iter()
        .flat_map(|poly| poly.first())
        .flatten()
        .copied()
        .collect();
    // Only the terrain triangles under the building's extent: a site's terrain can be a
    // large mesh, the building a small part of it.
    let lo = pts
        .iter()
        .fold([f64::MAX; 2], |a, p| [a[0].min(p[0]), a[1].min(p[1])]);
    let hi = pts
        .iter()
        .fold([f64::MIN; 2], |a, p| [a[0].max(p[0]), a[1].max(p[1])]);
    let under: Vec<[[f64; 3]; 3]> = terrain
        .iter()
        .flat_map(|m| m.triangles())
        .filter(|t| {
            let (x0, x1) = (
                t.iter().map(|v| v[0]).fold(f64::MAX, f64::min),
                t.iter().map(|v| v[0]).fold(f64::MIN, f64::max),
            );
            let (y0, y1) = (
                t.iter().map(|v| v[1]).fold(f64::MAX, f64::min),
                t.iter().map(|v| v[1]).fold(f64::MIN, f64::max),
            );
            x1 >= lo[0] && x0 <= hi[0] && y1 >= lo[1] && y0 <= hi[1]
        })
        .collect();
    pts.iter().filter_map(|p| z_on(*p, &under)).reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_on_a_sloping_plane() {
        // Plane z = 0.1·x over the square 0..10: two triangles.
        let m = Mesh::new(
            [0.0; 3],
            vec![0., 0., 0., 10., 0., 1., 10., 10., 1., 0., 10., 0.],
            vec![0, 1, 2, 0, 2, 3],
        );
        let z = z_at([4.0, 7.0], &[&m]).unwrap();
        assert!((z - 0.4).abs() < 1e-6, "{z}");
        assert_eq!(z_at([11.0, 5.0], &[&m]), None);
    }
}
