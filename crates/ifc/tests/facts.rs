//! Building facts on generated models whose answers are computed by hand.

use zhishen_ifc::{load_bytes, HeightMethod, Model};
use zhishen_testkit::{
    id_of, next_id, with_records, write_ifc4, BuildingSpec, MapConv, Roof, Unit,
};

fn load(spec: &BuildingSpec) -> Model {
    let text = write_ifc4(spec);
    load_bytes(text.as_bytes(), "generated.ifc").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn flat_roof_box() {
    // 20 x 10 m, 3 storeys of 3 m, roof slab 9.0..9.2 m.
    let m = load(&BuildingSpec::default());
    let f = &m.facts;
    assert_eq!(m.storeys.len(), 3);
    assert!(
        close(f.footprint_area_m2, 200.0, 1e-6),
        "{}",
        f.footprint_area_m2
    );
    assert_eq!(f.ground_m, Some(0.0));
    assert_eq!(f.height_method, Some(HeightMethod::FlatRoof));
    assert!(close(f.height_m.unwrap(), 9.2, 1e-4), "{:?}", f.height_m);
    assert!(close(f.highest_point_m.unwrap(), 9.2, 1e-4));
    assert_eq!((f.storeys_above, f.storeys_below), (3, 0));
    assert!(close(f.gfa_m2.unwrap(), 600.0, 1e-6), "{:?}", f.gfa_m2);
    assert_eq!(f.footprint.len(), 1);
    // The ground slab (-0.2..0 m) reaches below ground, so it is the below-ground outline.
    assert!(close(f.footprint_below_area_m2, 200.0, 1e-6));
    let bb = m.bbox_world_m.unwrap();
    assert!(close(bb.min[2], -0.2, 1e-5) && close(bb.max[2], 9.2, 1e-5));
}

/// The default building with one more element of `class`, a 0.1 m square bar 15 m
/// tall standing 5 m outside the building's corner, in the ground floor (IFC4
/// attribute list `tail` after the representation).
fn with_a_bar_outside(class: &str, tail: &str) -> Model {
    with_a_bar_outside_in(class, tail, None)
}

/// [`with_a_bar_outside`], the bar with the text property `(set, name, value)`.
fn with_a_bar_outside_in(class: &str, tail: &str, property: Option<(&str, &str, &str)>) -> Model {
    let bar = |n: &dyn Fn(u32) -> u32| {
        vec![
            "IFCRECTANGLEPROFILEDEF(.AREA.,$,$,0.1,0.1)".to_string(),
            "IFCDIRECTION((0.,0.,1.))".to_string(),
            format!("IFCEXTRUDEDAREASOLID(#{},$,#{},15.)", n(3), n(4)),
        ]
    };
    with_a_solid_outside(class, tail, property, &bar)
}

/// The records of a body item, the item last, given the id of the added record `k`
/// (`n(k)`; the item's records start at `n(3)`, after the element's placement).
type Solid<'a> = &'a dyn Fn(&dyn Fn(u32) -> u32) -> Vec<String>;

/// The default building with one more element of `class` placed at (-5, -5, 0) in the
/// ground floor, whose body is the item `solid` gives as its last record, with an
/// optional text property.
fn with_a_solid_outside(
    class: &str,
    tail: &str,
    property: Option<(&str, &str, &str)>,
    solid: Solid,
) -> Model {
    let text = write_ifc4(&BuildingSpec::default());
    let next = next_id(&text);
    let (body, storey) = (
        id_of(&text, "IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body'"),
        id_of(&text, "IFCBUILDINGSTOREY("),
    );
    let n = |k: u32| next + k;
    let mut records = vec![
        "IFCCARTESIANPOINT((-5.,-5.,0.))".to_string(),
        format!("IFCAXIS2PLACEMENT3D(#{},$,$)", n(0)),
        format!("IFCLOCALPLACEMENT($,#{})", n(1)),
    ];
    records.extend(solid(&n));
    // The id the next record pushed gets.
    let id = |records: &Vec<String>| next + records.len() as u32;
    let item = id(&records) - 1;
    records.push(format!(
        "IFCSHAPEREPRESENTATION(#{body},'Body','SweptSolid',(#{item}))"
    ));
    records.push(format!(
        "IFCPRODUCTDEFINITIONSHAPE($,$,(#{}))",
        id(&records) - 1
    ));
    let element = id(&records);
    records.push(format!(
        "{class}('1bar0000000000000000aa',$,'bar',$,$,#{},#{},{tail})",
        n(2),
        element - 1
    ));
    records.push(format!(
        "IFCRELCONTAINEDINSPATIALSTRUCTURE('1bar0000000000000000ab',$,$,$,(#{element}),#{storey})"
    ));
    if let Some((set, name, value)) = property {
        let single = id(&records);
        records.push(format!(
            "IFCPROPERTYSINGLEVALUE('{name}',$,IFCLABEL('{value}'),$)"
        ));
        records.push(format!(
            "IFCPROPERTYSET('1bar0000000000000000ac',$,'{set}',$,(#{single}))"
        ));
        records.push(format!(
            "IFCRELDEFINESBYPROPERTIES('1bar0000000000000000ad',$,$,$,(#{element}),#{})",
            single + 1
        ));
    }
    let text = with_records(&text, &records);
    load_bytes(text.as_bytes(), "generated.ifc").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn reinforcement_and_fasteners_are_not_the_building_s_outline_or_height() {
    // The control: the same bar as a column raises the highest point to 15 m and adds
    // its 0.01 m2 to the footprint.
    let column = with_a_bar_outside("IFCCOLUMN", "$,.COLUMN.");
    assert!(close(column.facts.highest_point_m.unwrap(), 15.0, 1e-4));
    assert!(close(column.facts.footprint_area_m2, 200.01, 1e-6));
    for (class, tail) in [
        ("IFCREINFORCINGBAR", "$,$,$,$,$,.MAIN.,.TEXTURED."),
        ("IFCMECHANICALFASTENER", "$,$,$,.ANCHORBOLT."),
        ("IFCFASTENER", "$,.GLUE."),
    ] {
        let m = with_a_bar_outside(class, tail);
        assert!(
            m.bbox_world_m.unwrap().max[2] >= 15.0 - 1e-4,
            "{class} is meshed"
        );
        let f = &m.facts;
        assert!(
            close(f.highest_point_m.unwrap(), 9.2, 1e-4),
            "{class}: {:?}",
            f.highest_point_m
        );
        assert!(close(f.height_m.unwrap(), 9.2, 1e-4), "{class}");
        assert!(
            close(f.footprint_area_m2, 200.0, 1e-6),
            "{class}: {}",
            f.footprint_area_m2
        );
    }
}

#[test]
fn cylinders_cones_and_pyramids_are_meshed() {
    // ifc-lite reads none of the three; each stands on the ground at (-5, -5), 15 m
    // high, in its Position frame (the origin, axes as IFC defaults them), outside
    // the 20 x 10 m building.
    let with = |item: String| {
        with_a_solid_outside("IFCCOLUMN", "$,.COLUMN.", None, &|n| {
            vec![
                "IFCCARTESIANPOINT((0.,0.,0.))".to_string(),
                format!("IFCAXIS2PLACEMENT3D(#{},$,$)", n(3)),
                item.replace("POS", &format!("#{}", n(4))),
            ]
        })
    };
    // A circle of 36 corners of radius 0.5 m: 36 * 0.5² * sin(10°) / 2 m².
    let disc = 36.0 * 0.25 * 10f64.to_radians().sin() / 2.0;
    for (item, area, apex_xy) in [
        ("IFCRIGHTCIRCULARCYLINDER(POS,15.,0.5)", disc, None),
        (
            "IFCRIGHTCIRCULARCONE(POS,15.,0.5)",
            disc,
            Some([-5.0, -5.0]),
        ),
        (
            "IFCRECTANGULARPYRAMID(POS,2.,1.,15.)",
            2.0,
            Some([-4.0, -4.5]),
        ),
    ] {
        let m = with(item.to_string());
        let f = &m.facts;
        assert!(
            f.missing_geometry.is_empty(),
            "{item}: {:?}",
            f.missing_geometry
        );
        assert!(
            close(f.highest_point_m.unwrap(), 15.0, 1e-4),
            "{item}: {:?}",
            f.highest_point_m
        );
        // Corners snap to the 1 cm grid: at most half a cell across the disc's
        // 3.14 m perimeter, 0.016 m².
        assert!(
            close(f.footprint_area_m2, 200.0 + area, 0.016),
            "{item}: {}",
            f.footprint_area_m2
        );
        let bar = m
            .elements
            .iter()
            .find(|e| e.name.as_deref() == Some("bar"))
            .unwrap();
        let b = bar.bbox.unwrap();
        let (lo, hi) = match item.starts_with("IFCRECT") {
            true => ([-5.0, -5.0], [-3.0, -4.0]),
            false => ([-5.5, -5.5], [-4.5, -4.5]),
        };
        for k in 0..2 {
            assert!(
                close(b.min[k], lo[k], 1e-5) && close(b.max[k], hi[k], 1e-5),
                "{item}: {b:?}"
            );
        }
        assert!(
            close(b.min[2], 0.0, 1e-5) && close(b.max[2], 15.0, 1e-5),
            "{item}: {b:?}"
        );
        // The apex is one vertex at the top: the highest vertex's plan position.
        if let Some([x, y]) = apex_xy {
            let mesh = bar.mesh.as_ref().unwrap();
            let top = (0..mesh.vertex_count())
                .map(|i| mesh.vertex(i))
                .max_by(|a, b| a[2].total_cmp(&b[2]))
                .unwrap();
            assert!(
                close(top[0], x, 1e-5) && close(top[1], y, 1e-5),
                "{item}: {top:?}"
            );
        }
    }
}

#[test]
fn a_cylinder_lying_along_x_takes_the_default_axes() {
    // Axis (1, 0, 0) without a RefDirection: ISO 10303-42 takes (0, 0, 1) as X (a
    // frame ifc-lite's readers leave undecided). The cylinder, 15 m long and 0.5 m in
    // radius, lies along +X from the element's (-5, -5, 0) moved by its Position at
    // (-5, -5, 0) again: from (-10, -10, 0).
    let m = with_a_solid_outside("IFCCOLUMN", "$,.COLUMN.", None, &|n| {
        vec![
            "IFCDIRECTION((1.,0.,0.))".to_string(),
            format!("IFCAXIS2PLACEMENT3D(#{},#{},$)", n(0), n(3)),
            format!("IFCRIGHTCIRCULARCYLINDER(#{},15.,0.5)", n(4)),
        ]
    });
    let bar = m.elements.iter().find(|e| e.name.as_deref() == Some("bar"));
    let b = bar.and_then(|e| e.bbox).expect("a meshed cylinder");
    let want = ([-10.0, -10.5, -0.5], [5.0, -9.5, 0.5]);
    for k in 0..3 {
        assert!(
            close(b.min[k], want.0[k], 1e-5) && close(b.max[k], want.1[k], 1e-5),
            "{b:?}"
        );
    }
}

#[test]
fn a_railing_swept_along_a_filleted_polyline_is_meshed() {
    // ifc-lite refuses IfcSweptDiskSolidPolygonal. A handrail of radius 0.05 m runs 1 m
    // above the ground from the element's (-5, -5) 4 m along +X, then 3 m along +Y,
    // its corner rounded by a 0.5 m fillet.
    let m = with_a_solid_outside("IFCRAILING", "$,.HANDRAIL.", None, &|n| {
        vec![
            "IFCCARTESIANPOINTLIST3D(((0.,0.,1.),(4.,0.,1.),(4.,3.,1.)),$)".to_string(),
            format!("IFCINDEXEDPOLYCURVE(#{},$,.F.)", n(3)),
            format!("IFCSWEPTDISKSOLIDPOLYGONAL(#{},0.05,$,$,$,0.5)", n(4)),
        ]
    });
    assert!(
        m.facts.missing_geometry.is_empty(),
        "{:?}",
        m.facts.missing_geometry
    );
    let rail = m.elements.iter().find(|e| e.name.as_deref() == Some("bar"));
    let b = rail.and_then(|e| e.bbox).expect("a meshed railing");
    // The start disc is square to X at x = -5, the end disc square to Y at y = -2;
    // the rings' corners point along ±Y and ±Z on the first leg, ±X and ±Z on the
    // second, so the box is exact.
    let want = ([-5.0, -5.05, 0.95], [-0.95, -2.0, 1.05]);
    for k in 0..3 {
        assert!(
            close(b.min[k], want.0[k], 1e-5) && close(b.max[k], want.1[k], 1e-5),
            "{b:?}"
        );
    }
}

#[test]
fn a_union_that_loses_an_operand_is_missing_geometry() {
    // A boolean union in the element's frame: a 1 x 1 x 3 m block at the origin and a
    // second solid 4 m up. ifc-lite reads a sphere there, and does not read a
    // cylinder as an operand: it keeps the block alone and only logs the loss.
    // Each case twice: the union as the body item, and as the tree of an IfcCsgSolid.
    let with = |second: &str, csg: bool| {
        let second = second.to_string();
        with_a_solid_outside("IFCCOLUMN", "$,.COLUMN.", None, &move |n| {
            let mut records = vec![
                "IFCCARTESIANPOINT((0.,0.,0.))".to_string(),
                format!("IFCAXIS2PLACEMENT3D(#{},$,$)", n(3)),
                "IFCCARTESIANPOINT((0.5,0.5,4.))".to_string(),
                format!("IFCAXIS2PLACEMENT3D(#{},$,$)", n(5)),
                format!("IFCBLOCK(#{},1.,1.,3.)", n(4)),
                second.replace("POS", &format!("#{}", n(6))),
                format!("IFCBOOLEANRESULT(.UNION.,#{},#{})", n(7), n(8)),
            ];
            if csg {
                records.push(format!("IFCCSGSOLID(#{})", n(9)));
            }
            records
        })
    };
    for csg in [false, true] {
        union_case(&with, csg);
    }
}

/// [`a_union_that_loses_an_operand_is_missing_geometry`] with the union as the body
/// item or (`csg`) as the tree of an IfcCsgSolid.
fn union_case(with: &dyn Fn(&str, bool) -> Model, csg: bool) {
    // The control: block and sphere, both meshed: the block from (-5, -5, 0), the
    // sphere around (-4.5, -4.5, 4) up to 5 m.
    let m = with("IFCSPHERE(POS,1.)", csg);
    assert!(
        m.facts.missing_geometry.is_empty(),
        "{:?}",
        m.facts.missing_geometry
    );
    let bar = |m: &Model| {
        m.elements
            .iter()
            .find(|e| e.name.as_deref() == Some("bar"))
            .cloned()
            .unwrap()
    };
    let b = bar(&m).bbox.unwrap();
    let want = ([-5.5, -5.5, 0.0], [-3.5, -3.5, 5.0]);
    for k in 0..3 {
        assert!(
            close(b.min[k], want.0[k], 1e-3) && close(b.max[k], want.1[k], 1e-3),
            "{b:?}"
        );
    }
    // The cylinder is lost: the element is missing geometry, named with the reason,
    // rather than a block standing for the whole.
    let m = with("IFCRIGHTCIRCULARCYLINDER(POS,1.,1.)", csg);
    let got = &m.facts.missing_geometry;
    assert_eq!(got.len(), 1, "{csg}: {got:?}");
    assert!(
        got[0].reason.contains("a boolean union lost an operand"),
        "{got:?}"
    );
    assert!(bar(&m).mesh.is_none());
}

#[test]
fn revit_planting_and_entourage_are_not_the_building() {
    let proxy = |category: &str| {
        with_a_bar_outside_in(
            "IFCBUILDINGELEMENTPROXY",
            "$,.NOTDEFINED.",
            Some(("Other", "Category", category)),
        )
    };
    // The control: a proxy of another category is building fabric.
    let generic = proxy("Generic Models");
    assert!(close(generic.facts.highest_point_m.unwrap(), 15.0, 1e-4));
    assert!(close(generic.facts.footprint_area_m2, 200.01, 1e-6));
    for category in ["Planting", "Entourage"] {
        let f = proxy(category).facts;
        assert!(close(f.highest_point_m.unwrap(), 9.2, 1e-4), "{category}");
        assert!(close(f.footprint_area_m2, 200.0, 1e-6), "{category}");
        assert!(close(f.base_area_m2, 200.0, 1e-6), "{category}");
    }
    // The category decides only for proxies: a column stays a column.
    let column = with_a_bar_outside_in(
        "IFCCOLUMN",
        "$,.COLUMN.",
        Some(("Other", "Category", "Planting")),
    );
    assert!(close(column.facts.highest_point_m.unwrap(), 15.0, 1e-4));
}

#[test]
fn parapet_counts_for_flat_roofs() {
    let m = load(&BuildingSpec {
        roof: Roof::Flat { parapet_m: 1.2 },
        ..BuildingSpec::default()
    });
    assert!(
        close(m.facts.height_m.unwrap(), 10.4, 1e-4),
        "{:?}",
        m.facts.height_m
    );
}

#[test]
fn gable_roof_uses_mean_of_eave_and_ridge() {
    // Eave at 9.0 m, ridge at 13.0 m: planning height 11.0 m, highest point 13.0 m.
    let m = load(&BuildingSpec {
        roof: Roof::Gable { rise_m: 4.0 },
        ..BuildingSpec::default()
    });
    let f = &m.facts;
    assert_eq!(
        f.height_method,
        Some(HeightMethod::PitchedRoof),
        "{:?}",
        f.height_notes
    );
    assert!(close(f.height_m.unwrap(), 11.0, 1e-4), "{:?}", f.height_m);
    assert!(close(f.highest_point_m.unwrap(), 13.0, 1e-4));
}

#[test]
fn no_roof_reports_highest_point_and_says_so() {
    let m = load(&BuildingSpec {
        roof: Roof::None,
        ..BuildingSpec::default()
    });
    assert_eq!(m.facts.height_method, Some(HeightMethod::HighestPoint));
    assert!(close(m.facts.height_m.unwrap(), 9.0, 1e-4));
    assert!(m
        .facts
        .height_notes
        .iter()
        .any(|n| n.contains("highest point")));
}

#[test]
fn basements_are_below_ground() {
    let m = load(&BuildingSpec {
        basements: 2,
        ..BuildingSpec::default()
    });
    let f = &m.facts;
    assert_eq!((f.storeys_above, f.storeys_below), (3, 2));
    assert_eq!(f.ground_m, Some(0.0));
    assert!(close(f.footprint_below_area_m2, 200.0, 1e-6));
    assert!(close(f.gfa_m2.unwrap(), 1000.0, 1e-6));
    assert!(close(f.height_m.unwrap(), 9.2, 1e-4));
    let elev: Vec<f64> = m.storeys.iter().map(|s| s.elevation_m.unwrap()).collect();
    assert_eq!(elev, vec![-6.0, -3.0, 0.0, 3.0, 6.0]);
}

#[test]
fn millimetre_model_gives_the_same_facts() {
    let m = load(&BuildingSpec {
        unit: Unit::Millimetre,
        footprint: vec![
            [0.0, 0.0],
            [20.0, 0.0],
            [20.0, 10.0],
            [10.0, 10.0],
            [10.0, 20.0],
            [0.0, 20.0],
        ],
        ..BuildingSpec::default()
    });
    assert_eq!(m.length_unit_m, 0.001);
    // L-shape: 20x10 + 10x10 = 300 m2.
    assert!(
        close(m.facts.footprint_area_m2, 300.0, 1e-6),
        "{}",
        m.facts.footprint_area_m2
    );
    assert!(close(m.facts.height_m.unwrap(), 9.2, 1e-3));
    assert!(close(m.storeys[1].elevation_m.unwrap(), 3.0, 1e-9));
}

#[test]
fn terrain_sets_the_ground() {
    let m = load(&BuildingSpec {
        terrain_m: Some(-0.45),
        ..BuildingSpec::default()
    });
    assert_eq!(
        m.facts.ground_source.as_deref(),
        Some("IfcBuilding.ElevationOfTerrain")
    );
    assert!(close(m.facts.height_m.unwrap(), 9.65, 1e-4));
}

#[test]
fn rotated_millimetre_map_conversion() {
    let m = load(&BuildingSpec {
        unit: Unit::Millimetre,
        map_conversion: Some(MapConv {
            eastings: 500_123_456.0,
            northings: 3_400_654_321.0,
            height: 12_500.0,
            rotation_deg: 30.0,
            epsg: 4547,
            map_unit: Some(Unit::Millimetre),
        }),
        ..BuildingSpec::default()
    });
    let mc = m.georef.map_conversion.as_ref().unwrap();
    assert_eq!(mc.eastings, 500_123_456.0);
    assert!(close(mc.rotation_deg, 30.0, 1e-9));
    assert!(close(mc.eastings_m, 500_123.456, 1e-9));
    assert!(m.georef.warnings.is_empty(), "{:?}", m.georef.warnings);
    // Corner (20, 0) m: E + 20 cos30, N + 20 sin30.
    let p = mc.to_map([20.0, 0.0, 0.0]);
    assert!(close(p[0], 500_123.456 + 17.320_508_075_688_77, 1e-6));
    assert!(close(p[1], 3_400_654.321 + 10.0, 1e-6));
    assert!(close(p[2], 12.5, 1e-9));
}

#[test]
fn occupancy_is_read_from_pset_building_common() {
    let m = load(&BuildingSpec {
        occupancy: Some("住宅".into()),
        ..BuildingSpec::default()
    });
    assert_eq!(m.buildings[0].occupancy_type.as_deref(), Some("住宅"));
}

#[test]
fn spaces_without_quantities_get_their_area_from_geometry() {
    // Room inside 0.2 m walls of a 20 x 10 m box: 19.6 x 9.6 = 188.16 m2 per storey.
    let m = load(&BuildingSpec {
        spaces: true,
        ..BuildingSpec::default()
    });
    assert_eq!(m.spaces.len(), 3);
    for s in &m.spaces {
        let a = s.net_floor_area.as_ref().unwrap();
        assert_eq!(a.source, zhishen_ifc::AreaSource::Geometry);
        assert!(close(a.value_m2, 188.16, 1e-6), "{}", a.value_m2);
        assert!(s.storey.is_some());
    }
    assert!(close(m.facts.gfa_by_use["Room"], 3.0 * 188.16, 1e-6));
    // Spaces never count toward the building's outline or bbox.
    assert!(close(m.facts.footprint_area_m2, 200.0, 1e-6));
}

#[test]
fn storeys_without_slabs_are_measured_to_the_outer_wall_face() {
    // Walls only: each storey's outline is the 20 x 10 m wall ring, filled = 200 m2.
    let m = load(&BuildingSpec {
        floor_slabs: false,
        basements: 1,
        ..BuildingSpec::default()
    });
    let f = &m.facts;
    // Above ground walls make a storey; the walls-only basement is taken as a foundation level.
    assert_eq!((f.storeys_above, f.storeys_below), (3, 0));
    assert!(close(f.gfa_m2.unwrap(), 600.0, 1e-6), "{:?}", f.gfa_m2);
    // The roof slab covers the wall ring, so the footprint has no hole.
    assert!(
        close(f.footprint_area_m2, 200.0, 1e-6),
        "{}",
        f.footprint_area_m2
    );
    assert_eq!(f.footprint[0].len(), 1);
}

#[test]
fn geometry_placed_at_map_coordinates_keeps_millimetres() {
    // Every placement at Gauss-Kruger coordinates, as some exporters do.
    let (e, n) = (458_656.8, 5_438_231.75);
    let m = load(&BuildingSpec {
        origin: [e, n],
        ..BuildingSpec::default()
    });
    let bb = m.bbox_world_m.unwrap();
    assert!(
        close(bb.min[0], e, 1e-3) && close(bb.min[1], n, 1e-3),
        "{bb:?}"
    );
    assert!(
        close(bb.max[0], e + 20.0, 1e-3) && close(bb.max[1], n + 10.0, 1e-3),
        "{bb:?}"
    );
    assert!(
        close(m.facts.footprint_area_m2, 200.0, 1e-6),
        "{}",
        m.facts.footprint_area_m2
    );
    assert!(!m.diagnostics.iter().any(|d| d.code == "large_coordinates"));
}

#[test]
fn profiles_drawn_at_map_coordinates_are_flagged() {
    // The kernel reads profile points as f32: geometry itself at 5,000 km loses
    // decimetres, so the reader says so instead of reporting it silently.
    let (e, n) = (458_656.8, 5_438_231.75);
    let fp: Vec<[f64; 2]> = BuildingSpec::default()
        .footprint
        .iter()
        .map(|p| [p[0] + e, p[1] + n])
        .collect();
    let m = load(&BuildingSpec {
        footprint: fp,
        ..BuildingSpec::default()
    });
    assert!(
        m.diagnostics.iter().any(|d| d.code == "large_coordinates"),
        "{:?}",
        m.diagnostics
    );
}

#[test]
fn sloping_terrain_sets_the_ground_at_its_lowest_point_along_the_building() {
    // Terrain falling from 0.0 at x = 0 to −2.0 at x = 20 under a 20 × 10 m box of
    // 3 storeys (roof top 9.2 m): the lowest ground along the outline is −2.0, so the
    // planning height is 9.2 + 2.0 = 11.2 m, in metres and in millimetres.
    for unit in [Unit::Metre, Unit::Millimetre] {
        let m = load(&BuildingSpec {
            terrain_slope: Some([0.0, -2.0]),
            unit,
            ..BuildingSpec::default()
        });
        let f = &m.facts;
        assert!(close(f.ground_m.unwrap(), -2.0, 1e-4), "{:?}", f.ground_m);
        assert!(f.ground_source.as_deref().unwrap().starts_with("terrain"));
        assert!(close(f.height_m.unwrap(), 11.2, 1e-4), "{:?}", f.height_m);
        // The ground slab (−0.2..0) now stands above the ground, so it is in the
        // footprint and the base, and nothing lies more than 1 cm below −2.0.
        assert!(close(f.base_area_m2, 200.0, 1e-6), "{}", f.base_area_m2);
        assert_eq!(f.footprint_below_area_m2, 0.0);
    }
    // ElevationOfTerrain wins over terrain geometry.
    let m = load(&BuildingSpec {
        terrain_slope: Some([0.0, -2.0]),
        terrain_m: Some(-0.45),
        ..BuildingSpec::default()
    });
    assert!(
        close(m.facts.height_m.unwrap(), 9.65, 1e-4),
        "{:?}",
        m.facts.height_m
    );
}

#[test]
fn large_model_corpus_facts_are_the_constructed_ones() {
    // A 2 MB corpus model (issue 14): 6 storeys of 4 m over a 48 x 32 m outline, every
    // tile of breps, mapped items, openings, curves and clippings inside it; with the
    // tiles repeating the same items, with every tile's own, and with a heavy family
    // as the mapped chair.
    for (unique, heavy_maps) in [(false, false), (true, false), (false, true)] {
        corpus_facts(unique, heavy_maps);
    }
}

fn corpus_facts(unique: bool, heavy_maps: bool) {
    use zhishen_testkit::corpus::{write_corpus, CorpusSpec};
    let mut buf = Vec::new();
    let mut spec = CorpusSpec::of_mb(2.0);
    spec.unique = unique;
    spec.heavy_maps = heavy_maps;
    let built = write_corpus(&spec, &mut buf).unwrap();
    assert!(built.tiles >= 60, "{}", built.tiles);
    let (m, t) = zhishen_ifc::load_bytes_timed(&buf, "corpus.ifc").unwrap();
    // The serial stages add up to the total; each side of the mesh/psets join is within it.
    let serial = t.scan_s + t.decode_s + t.relationships_s + t.join_s + t.elements_s + t.facts_s;
    assert!(
        serial <= t.total_s + 1e-6 && serial >= t.total_s * 0.99,
        "{t:?}"
    );
    assert!(
        t.mesh_s <= t.join_s + 1e-6 && t.psets_s <= t.join_s + 1e-6,
        "{t:?}"
    );
    let f = &m.facts;
    assert_eq!(m.storeys.len(), 6);
    let elevations: Vec<f64> = m.storeys.iter().filter_map(|s| s.elevation_m).collect();
    assert_eq!(elevations, vec![0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
    assert_eq!((f.storeys_above, f.storeys_below), (6, 0));
    // Roof slab 24.0..24.2 m over ground ±0.00; footprint 48 x 32 = 1536 m²; GFA 6 x 1536.
    assert_eq!(f.height_method, Some(HeightMethod::FlatRoof));
    assert!(close(f.height_m.unwrap(), 24.2, 1e-4), "{:?}", f.height_m);
    assert!(
        close(f.footprint_area_m2, 1536.0, 1e-6),
        "{}",
        f.footprint_area_m2
    );
    assert!(close(f.gfa_m2.unwrap(), 9216.0, 1e-6), "{:?}", f.gfa_m2);
    assert_eq!(m.spaces.len(), 6);
    assert!(m.georef.map_conversion.is_some());
    // Every element kind meshed: nothing failed, and each tile's 12 elements have meshes.
    assert!(m.diagnostics.iter().all(|d| d.code != "geometry_failed"));
    let meshed = m.elements.iter().filter(|e| e.mesh.is_some()).count();
    assert_eq!(meshed, built.elements);
    assert_eq!(
        m.element_counts.get("IfcOpeningElement"),
        Some(&built.tiles)
    );
    assert_eq!(m.element_counts.get("IfcBeam"), Some(&built.tiles));
    // A chair is six boxes of 12 triangles, and with the heavy family 80 rods of 24
    // sides (48 triangles) and two 24-gon caps each besides.
    let chair = m
        .elements
        .iter()
        .find(|e| e.name.as_deref() == Some("Chair"))
        .unwrap();
    let tris = chair.mesh.as_ref().unwrap().triangle_count();
    if heavy_maps {
        assert!(tris >= 72 + 80 * 48, "{tris}");
    } else {
        assert_eq!(tris, 72);
    }
}

// Progress and cancellation (`load_bytes_with`) on a small corpus model.

mod progress {
    use std::sync::Mutex;
    use zhishen_ifc::{
        load_bytes, load_bytes_with, Cancel, IfcError, LoadOptions, Progress, Stage,
    };
    use zhishen_testkit::corpus::{write_corpus, CorpusSpec};

    fn corpus() -> Vec<u8> {
        let mut buf = Vec::new();
        write_corpus(&CorpusSpec::of_mb(1.0), &mut buf).unwrap();
        buf
    }

    fn with(
        bytes: &[u8],
        cancel: Option<&Cancel>,
        on: &(dyn Fn(Progress) + Sync),
    ) -> (Result<zhishen_ifc::Model, IfcError>, Vec<Progress>) {
        let seen = Mutex::new(Vec::new());
        let sink = |p: Progress| {
            seen.lock().unwrap().push(p);
            on(p);
        };
        let opts = LoadOptions {
            progress: Some(&sink),
            cancel,
            ..Default::default()
        };
        let r = load_bytes_with(bytes, "corpus.ifc", &opts).map(|(m, _)| m);
        (r, seen.into_inner().unwrap())
    }

    #[test]
    fn reports_arrive_in_stage_order_and_end_at_the_totals() {
        let bytes = corpus();
        let (m, seen) = with(&bytes, None, &|_| {});
        let m = m.unwrap();
        let stages = [
            Stage::Scan,
            Stage::Decode,
            Stage::Relationships,
            Stage::Mesh,
            Stage::Elements,
            Stage::Facts,
        ];
        let mut order: Vec<Stage> = seen.iter().map(|p| p.stage).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
        order.dedup();
        assert_eq!(order, stages);
        for s in stages {
            let of: Vec<&Progress> = seen.iter().filter(|p| p.stage == s).collect();
            assert_eq!(of[0].done, 0, "{s:?} starts at 0");
            assert!(
                of.windows(2).all(|w| w[0].done <= w[1].done),
                "{s:?}: {of:?}"
            );
            let last = of.last().unwrap();
            assert_eq!(last.done, last.total, "{s:?} ends at its total");
            assert!(of.len() <= 102, "{s:?}: {} reports", of.len());
        }
        let total = |s: Stage| seen.iter().find(|p| p.stage == s).unwrap().total;
        assert_eq!(total(Stage::Scan), bytes.len() as u64);
        let meshed = m.elements.iter().filter(|e| e.mesh.is_some()).count() as u64;
        assert!(meshed > 100, "{meshed}");
        // Products meshed: the elements, plus the site's terrain and spaces without areas.
        let products: usize = m.element_counts.values().sum();
        assert!(total(Stage::Mesh) >= meshed && total(Stage::Mesh) <= products as u64);
        assert!(seen.iter().filter(|p| p.stage == Stage::Mesh).count() > 10);
    }

    #[test]
    fn the_model_is_the_same_with_or_without_a_sink() {
        let bytes = corpus();
        let plain = load_bytes(&bytes, "corpus.ifc").unwrap();
        let (m, _) = with(&bytes, Some(&Cancel::new()), &|_| {});
        let m = m.unwrap();
        assert_eq!(
            serde_json::to_value(&m.facts).unwrap(),
            serde_json::to_value(&plain.facts).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::to_value(&plain).unwrap()
        );
    }

    #[test]
    fn a_load_cancelled_before_it_starts_reports_nothing() {
        let cancel = Cancel::new();
        cancel.cancel();
        let (r, seen) = with(&corpus(), Some(&cancel), &|_| {});
        assert!(matches!(r, Err(IfcError::Cancelled { .. })), "{r:?}");
        assert!(seen.is_empty(), "{seen:?}");
        assert!(!r.unwrap_err().is_bad_input());
    }

    #[test]
    fn a_load_cancelled_while_meshing_stops_early() {
        let bytes = corpus();
        let cancel = Cancel::new();
        let on = |p: Progress| {
            if p.stage == Stage::Mesh && p.done > 0 {
                cancel.cancel();
            }
        };
        let (r, seen) = with(&bytes, Some(&cancel), &on);
        assert!(matches!(r, Err(IfcError::Cancelled { .. })), "{r:?}");
        let mesh: Vec<&Progress> = seen.iter().filter(|p| p.stage == Stage::Mesh).collect();
        let last = mesh.last().unwrap();
        assert!(last.done < last.total, "{mesh:?}");
        assert!(seen.iter().all(|p| p.stage <= Stage::Mesh), "{seen:?}");
    }
}

#[test]
fn a_tiled_sample_has_the_sample_s_facts_repeated() {
    // Three copies of the Duplex's elements (`zhishen_testkit::tile`), 40 m apart: the
    // same storeys and height, the box longer by two steps, three times the footprint
    // and the floor area (to the 1 cm grid the outlines are snapped to), three times
    // the elements; the spaces and the storeys are written once.
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc/Duplex_Revit2011_IFC2x3.ifc");
    let bytes = std::fs::read(p).unwrap();
    let one = zhishen_ifc::load_bytes(&bytes, "duplex.ifc").unwrap();
    let (tiled, t) = zhishen_testkit::tile::tile(&bytes, 3, 40.0).unwrap();
    let three = zhishen_ifc::load_bytes(&tiled, "duplex-x3.ifc").unwrap();
    // The copied products are the elements and their openings.
    assert_eq!(
        t.elements,
        one.elements.len() + one.element_counts["IfcOpeningElement"]
    );
    assert_eq!(three.elements.len(), 3 * one.elements.len());
    assert_eq!(three.spaces.len(), one.spaces.len());
    let levels = |m: &Model| -> Vec<(String, Option<f64>)> {
        (m.storeys.iter())
            .map(|s| (s.node.global_id.clone(), s.elevation_m))
            .collect()
    };
    assert_eq!(levels(&three), levels(&one));
    let (a, b) = (one.bbox_world_m.unwrap(), three.bbox_world_m.unwrap());
    assert_eq!(b.min, a.min);
    assert!(close(b.max[0], a.max[0] + 80.0, 1e-4), "{b:?}");
    assert_eq!(b.max[1..], a.max[1..]);
    let (f1, f3) = (&one.facts, &three.facts);
    assert_eq!(f3.height_m, f1.height_m);
    assert_eq!(f3.storeys_above, f1.storeys_above);
    assert!(
        close(f3.footprint_area_m2, 3.0 * f1.footprint_area_m2, 1.0),
        "{f3:?}"
    );
    assert!(
        close(f3.gfa_m2.unwrap(), 3.0 * f1.gfa_m2.unwrap(), 2.0),
        "{f3:?}"
    );
    // Every copy's elements have GlobalIds of their own.
    let gids: std::collections::BTreeSet<&str> = three
        .elements
        .iter()
        .map(|e| e.global_id.as_str())
        .collect();
    assert_eq!(gids.len(), three.elements.len());
}

/// The same JSON, numbers to 1e-9 (absolute, or relative to large ones).
fn near(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| near(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| near(v, w)))
        }
        _ => a == b,
    }
}

/// How an exporter numbers its records changes nothing but the ids (and boxes within
/// 0.1 mm, below): gaps far beyond
/// the record count (which once hid `#65600` from the id table: it was reported as
/// undefined and its references unset), ids falling through the file, and large ids.
#[test]
fn renumbering_a_model_changes_nothing_but_its_ids() {
    use serde_json::Value;
    use zhishen_testkit::tile::renumbered;
    /// A name and the new id of the record at a position.
    type Numbering = (&'static str, fn(usize, u32) -> u32);
    let numberings: [Numbering; 3] = [
        ("a gap past the dense table", |i, _| match i {
            0 => 1,
            1 => 44_334,
            2 => 44_335,
            _ => 65_597 + i as u32,
        }),
        ("falling", |i, _| 2_000_000 - i as u32),
        ("large and spread", |i, _| 3_000_000_000 + 97 * i as u32),
    ];
    /// The model without its ids.
    struct Seen {
        facts: Value,
        storeys: Vec<Value>,
        spaces: Vec<Value>,
        /// By GlobalId.
        elements: Vec<(String, Value)>,
    }
    fn seen(m: &Model) -> Seen {
        fn strip(mut v: Value) -> Value {
            if let Value::Object(o) = &mut v {
                o.remove("id");
                o.remove("node").map(|n| o.insert("node".into(), strip(n)));
            }
            v
        }
        let all = |xs: Value| -> Vec<Value> {
            xs.as_array().unwrap().iter().cloned().map(strip).collect()
        };
        let mut elements: Vec<(String, Value)> = (m.elements.iter())
            .map(|e| {
                let v = strip(serde_json::to_value(e).unwrap());
                (e.global_id.clone(), v)
            })
            .collect();
        elements.sort_by(|a, b| a.0.cmp(&b.0));
        let mut facts = serde_json::to_value(&m.facts).unwrap();
        // Notes list elements in file order, which the numbering sets.
        if let Some(Value::Array(notes)) = facts.get_mut("footprint_notes") {
            for n in notes.iter_mut() {
                let text = n.as_str().unwrap_or_default();
                let (head, list) = text.split_once("): ").unwrap_or((text, ""));
                let mut items: Vec<&str> = list.split(", ").collect();
                items.sort_unstable();
                *n = Value::String(format!("{head}): {}", items.join(", ")));
            }
        }
        Seen {
            facts,
            storeys: all(serde_json::to_value(&m.storeys).unwrap()),
            spaces: all(serde_json::to_value(&m.spaces).unwrap()),
            elements,
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/ifc");
    for sample in [
        "AC20-FZK-Haus_ArchiCAD20_IFC4.ifc",
        "Duplex_Revit2011_IFC2x3.ifc",
        "IfcOpenHouse_IfcOpenShell_IFC4.ifc",
        "LargeBuilding_Revit2021_IFC2x3.ifc",
        "TallBuilding_Revit2021_IFC2x3.ifc",
        "PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc",
    ] {
        let bytes = std::fs::read(dir.join(sample)).unwrap();
        // The sample as the renumbering writes it (one record a line), numbered as is.
        let same = renumbered(&bytes, |_, id| id).unwrap();
        let want = seen(&load_bytes(&same, sample).unwrap());
        assert!(
            want.elements.len() >= 10,
            "{sample}: {} elements",
            want.elements.len()
        );
        for (how, f) in numberings {
            let m = load_bytes(&renumbered(&bytes, f).unwrap(), sample).unwrap();
            let undefined = (m.diagnostics.iter())
                .filter(|d| format!("{d:?}").contains("dangling_reference"))
                .count();
            assert_eq!(undefined, 0, "{sample}, {how}: {:?}", m.diagnostics);
            let got = seen(&m);
            // Outlines are snapped to a 1 cm grid whose origin is the first point
            // unioned, so their corners may differ in the last bit with the order.
            assert!(
                near(&got.facts, &want.facts),
                "{sample}, {how}: facts\n{}\n{}",
                got.facts,
                want.facts
            );
            assert_eq!(got.storeys, want.storeys, "{sample}, {how}: storeys");
            assert_eq!(got.spaces, want.spaces, "{sample}, {how}: spaces");
            assert_eq!(got.elements.len(), want.elements.len(), "{sample}, {how}");
            for (g, w) in got.elements.iter().zip(&want.elements) {
                // Boxes to 0.1 mm: which occurrence of a family keeps ifc-lite's baked
                // mesh (the first by id) changes with the numbering, and a placed
                // occurrence agrees with a baked one to that (the conformance test).
                let boxes = |v: &Value| -> Vec<f64> {
                    let b = &v["bbox"];
                    [&b["min"], &b["max"]]
                        .iter()
                        .flat_map(|c| c.as_array().into_iter().flatten())
                        .filter_map(Value::as_f64)
                        .collect()
                };
                let (gb, wb) = (boxes(&g.1), boxes(&w.1));
                assert!(
                    gb.len() == wb.len() && gb.iter().zip(&wb).all(|(a, b)| (a - b).abs() <= 1e-4),
                    "{sample}, {how}, {}: box {gb:?} against {wb:?}",
                    g.0
                );
                let without_box = |v: &Value| {
                    let mut v = v.clone();
                    v.as_object_mut().map(|o| o.remove("bbox"));
                    v
                };
                assert_eq!(g.0, w.0, "{sample}, {how}");
                assert_eq!(without_box(&g.1), without_box(&w.1), "{sample}, {how}");
            }
        }
    }
}
