//! The law of `SiteModel::within`: a feature is returned exactly when its
//! distance to the query is at most `d`. The query decides most candidates
//! on envelopes and vertex pairs before any exact distance, so check it
//! against a brute-force distance over random (also non-convex and rotated)
//! polygons, lines and distances.
//!
//! A query may also be a footprint of many polygons (a building with site
//! entourage), which is measured polygon by polygon near each feature: there the
//! distances `within_distance` and `nearest` report must be geo's, bit for bit.

use geo::{Coord, Distance, Euclidean, Geometry, LineString, Polygon};
use proptest::prelude::*;
use std::collections::BTreeMap;
use zhishen_site::{Feature, Kind, SiteModel};

/// A star-shaped polygon (non-convex when radii vary) around (cx, cy).
fn star(cx: f64, cy: f64, radii: &[f64], turn: f64) -> Polygon<f64> {
    let n = radii.len();
    let ring: Vec<Coord<f64>> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = turn + i as f64 * std::f64::consts::TAU / n as f64;
            Coord {
                x: cx + r * a.cos(),
                y: cy + r * a.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

fn feature(i: usize, g: Geometry<f64>) -> Feature {
    Feature {
        kind: Kind::Parcel,
        geometry: g,
        // Deliberately loose: the index must not trust a caller's box.
        bbox: Some([-1e9, -1e9, 1e9, 1e9]),
        attrs: BTreeMap::from([("id".to_string(), serde_json::json!(format!("P{i}")))]),
        extra: BTreeMap::new(),
        file: "law.geojson".into(),
        layer: "parcel".into(),
        fid: Some(i as u64),
        width_source: None,
    }
}

/// A site of `shapes` as parcels, each with its index as fid.
fn site_of(shapes: &[Geometry<f64>]) -> SiteModel {
    let features = shapes
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, g)| feature(i, g))
        .collect();
    SiteModel::new("EPSG:4547".into(), features, vec![], vec![])
}

fn shape() -> impl Strategy<Value = Geometry<f64>> {
    (
        -200.0..200.0f64,
        -200.0..200.0f64,
        prop::collection::vec(2.0..40.0f64, 3..9),
        0.0..std::f64::consts::TAU,
        any::<bool>(),
    )
        .prop_map(|(x, y, radii, turn, as_line)| {
            let p = star(x, y, &radii, turn);
            if as_line {
                Geometry::LineString(p.exterior().clone())
            } else {
                Geometry::Polygon(p)
            }
        })
}

/// A footprint of 9 to 15 star-shaped polygons of 8 corners: more edges than the
/// direct scan takes, so that the polygon-by-polygon path is the one tried.
fn footprint() -> impl Strategy<Value = Geometry<f64>> {
    prop::collection::vec(
        (
            -200.0..200.0f64,
            -200.0..200.0f64,
            prop::collection::vec(0.5..12.0f64, 8),
            0.0..std::f64::consts::TAU,
        ),
        9..16,
    )
    .prop_map(|stars| {
        Geometry::MultiPolygon(geo::MultiPolygon(
            stars
                .iter()
                .map(|(x, y, radii, turn)| star(*x, *y, radii, *turn))
                .collect(),
        ))
    })
}

fn query() -> impl Strategy<Value = Geometry<f64>> {
    prop_oneof![shape(), footprint()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn within_returns_exactly_the_features_within_d(
        shapes in prop::collection::vec(shape(), 1..40),
        query in query(),
        d in 0.0..120.0f64,
    ) {
        let m = site_of(&shapes);
        let mut got: Vec<u64> = m.within(Kind::Parcel, &query, d).iter().filter_map(|f| f.fid).collect();
        got.sort_unstable();
        for (i, g) in shapes.iter().enumerate() {
            let exact = Euclidean.distance(&query, g);
            // Away from the boundary the answer must match; within 1e-6 m of
            // it either answer is a rounding matter.
            if (exact - d).abs() > 1e-6 {
                prop_assert_eq!(
                    got.contains(&(i as u64)),
                    exact <= d,
                    "feature {} at exact distance {} with d = {}", i, exact, d
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    /// A footprint's distances are geo's, bit for bit: those `within_distance` lists
    /// and the one `nearest` gives; and `nearest` is a feature at the least of them.
    #[test]
    fn a_footprint_s_distances_are_geo_s(
        shapes in prop::collection::vec(shape(), 1..30),
        query in footprint(),
        d in 0.0..150.0f64,
    ) {
        let m = site_of(&shapes);
        let exact: Vec<f64> = shapes.iter().map(|g| Euclidean.distance(&query, g)).collect();
        for (f, dist) in m.within_distance(&query, d) {
            let i = f.fid.unwrap() as usize;
            prop_assert_eq!(dist.to_bits(), exact[i].to_bits(), "feature {}", i);
        }
        let listed = m.within_distance(&query, d).len();
        prop_assert_eq!(listed, exact.iter().filter(|&&e| e <= d).count());
        let (f, dist) = m.nearest(Kind::Parcel, &query).unwrap();
        let least = exact.iter().copied().fold(f64::INFINITY, f64::min);
        prop_assert_eq!(dist.to_bits(), least.to_bits());
        prop_assert_eq!(exact[f.fid.unwrap() as usize].to_bits(), least.to_bits());
    }
}
