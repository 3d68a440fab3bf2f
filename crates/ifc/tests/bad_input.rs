//! Bad input: every failure is an error or warning that names where; nothing panics.

use proptest::prelude::*;
use std::path::Path;
use zhishen_ifc::{load_bytes, IfcError};
use zhishen_testkit::{write_ifc4, BuildingSpec};

fn good() -> Vec<u8> {
    write_ifc4(&BuildingSpec::default()).into_bytes()
}

/// Every error message must carry a location: a byte offset, an entity id, or the file itself.
fn names_a_place(e: &IfcError) -> bool {
    let m = e.to_string();
    m.contains("byte") || m.contains('#') || m.contains("0 bytes") || m.contains("IfcProject")
}

#[test]
fn empty_not_step_and_binary() {
    assert!(matches!(
        load_bytes(b"", "a.ifc"),
        Err(IfcError::Empty { .. })
    ));
    let e = load_bytes(b"PK\x03\x04\x14\x00\x00\x00", "a.ifcZIP").unwrap_err();
    assert!(matches!(e, IfcError::Binary { offset: 5, .. }), "{e}");
    let e = load_bytes(b"<?xml version='1.0'?><ifcXML/>", "a.ifcxml").unwrap_err();
    assert!(matches!(e, IfcError::NotStep { .. }), "{e}");
    assert!(e.to_string().contains("a.ifcxml"));
}

fn garbage(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn two_hundred_megabytes_of_garbage() {
    let g = garbage(200 << 20, 0x9E37_79B9);
    let e = load_bytes(&g, "garbage.ifc").unwrap_err();
    assert!(
        matches!(e, IfcError::NotStep { .. } | IfcError::Binary { .. }),
        "{e}"
    );
    // Garbage after a valid header fails at the first garbage byte, not at the end.
    let mut h = b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n".to_vec();
    let at = h.len();
    h.extend(
        g.iter()
            .map(|b| if *b == 0 || *b == b'#' { b'x' } else { *b }),
    );
    match load_bytes(&h, "garbage.ifc").unwrap_err() {
        IfcError::Syntax { offset, .. } | IfcError::Truncated { offset, .. } => {
            assert!(offset >= at && offset < at + 1024, "offset {offset}")
        }
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn truncation_anywhere_in_the_data_section_is_an_error_naming_the_entity() {
    let b = good();
    let data = String::from_utf8_lossy(&b).find("DATA;").unwrap() + 6;
    let end = String::from_utf8_lossy(&b)
        .find("ENDSEC;\nEND-ISO")
        .unwrap();
    for cut in (data..end).step_by(97) {
        let e = load_bytes(&b[..cut], "cut.ifc").unwrap_err();
        assert!(
            matches!(e, IfcError::Truncated { .. } | IfcError::Syntax { .. }),
            "cut at {cut}: {e}"
        );
        assert!(names_a_place(&e), "{e}");
        if let IfcError::Truncated { offset, .. } = e {
            assert!(offset <= cut);
        }
    }
}

#[test]
fn duplicate_ids_are_refused() {
    let mut s = String::from_utf8(good()).unwrap();
    s = s.replacen("#2=IFCSIUNIT", "#1=IFCSIUNIT", 1);
    match load_bytes(s.as_bytes(), "dup.ifc").unwrap_err() {
        IfcError::DuplicateId { id, .. } => assert_eq!(id, 1),
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn dangling_reference_is_a_warning_naming_the_entity() {
    let s = String::from_utf8(good()).unwrap();
    // The unit assignment refers to #1..#4; point one of them nowhere.
    let s = s.replacen("IFCUNITASSIGNMENT((#1,", "IFCUNITASSIGNMENT((#777777,", 1);
    let m = load_bytes(s.as_bytes(), "dangling.ifc").unwrap();
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.code == "dangling_reference")
        .unwrap();
    assert!(d.message.contains("#777777"));
    assert_eq!(d.entity, Some(5));
    // Its length unit was the missing one: metres assumed, and said so.
    assert!(m.diagnostics.iter().any(|d| d.code == "no_length_unit"));
}

#[test]
fn latin1_text_is_read_and_flagged() {
    let s = String::from_utf8(good())
        .unwrap()
        .replacen("'Building'", "'Geb\u{e4}ude'", 1);
    let mut b = s.into_bytes();
    let p = b.windows(2).position(|w| w == [0xC3, 0xA4]).unwrap();
    b.splice(p..p + 2, [0xE4]);
    let m = load_bytes(&b, "latin1.ifc").unwrap();
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.code == "non_utf8_text")
        .unwrap();
    assert_eq!(d.entity, Some(u64::from(m.buildings[0].node.id)));
    assert_eq!(m.facts.storeys_above, 3, "the rest of the model is intact");
}

#[test]
fn ids_beyond_u32_are_renumbered_and_reported() {
    let s = String::from_utf8(good()).unwrap();
    // Rename the project (a referenced entity, found by its type) to a 64-bit id.
    let proj = s.lines().find(|l| l.contains("=IFCPROJECT(")).unwrap();
    let id = &proj[1..proj.find('=').unwrap()];
    let big = "92147483647";
    let s = s
        .replace(&format!("#{id}="), &format!("#{big}="))
        .replace(&format!("#{id},"), &format!("#{big},"));
    let m = load_bytes(s.as_bytes(), "big.ifc").unwrap();
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.code == "entity_id_renumbered")
        .unwrap();
    assert_eq!(d.entity, Some(92147483647));
    let reference = load_bytes(&good(), "good.ifc").unwrap();
    assert_eq!(m.facts.footprint_area_m2, reference.facts.footprint_area_m2);
    assert_eq!(m.facts.height_m, reference.facts.height_m);
    assert_eq!(
        m.sites.len(),
        1,
        "aggregation through the renumbered project still resolves"
    );
}

#[test]
fn shared_edge_files_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/ifc/edge");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not present", dir.display());
        return;
    };
    let mut n = 0;
    for e in rd.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        match load_bytes(&bytes, &name) {
            Ok(_) => {}
            Err(err) => assert!(names_a_place(&err), "{name}: {err}"),
        }
        if name.contains("Large_entity_label") {
            let err = load_bytes(&bytes, &name).unwrap_err().to_string();
            assert!(err.contains("92147483647"), "{err}");
        }
        if name.contains("SpecicalSolidusEscape") {
            assert!(
                load_bytes(&bytes, &name).is_ok(),
                "\\S\\' is an escape, not a string end"
            );
        }
        n += 1;
    }
    assert!(n >= 9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    // Law: for any mutation of a valid file the reader returns (never panics), and
    // every error names a place.
    #[test]
    fn mutated_files_never_panic(edits in proptest::collection::vec((0usize..20_000, any::<u8>()), 1..8), cut in 0usize..40_000) {
        let mut b = good();
        for (pos, byte) in edits {
            let p = pos % b.len();
            b[p] = byte;
        }
        b.truncate(cut.max(1).min(b.len()));
        if let Err(e) = load_bytes(&b, "mutated.ifc") {
            prop_assert!(names_a_place(&e), "{}", e);
        }
    }
}

#[test]
fn nonstandard_body_representation_type_is_still_meshed() {
    // An exporter wrote a free-text RepresentationType; the geometry must not vanish.
    let s = String::from_utf8(good())
        .unwrap()
        .replace("'Body','SweptSolid'", "'Body','Error in labeling process'");
    let m = load_bytes(s.as_bytes(), "labels.ifc").unwrap();
    let reference = load_bytes(&good(), "good.ifc").unwrap();
    assert!(m
        .diagnostics
        .iter()
        .any(|d| d.code == "nonstandard_representation_type"));
    assert_eq!(m.bbox_world_m, reference.bbox_world_m);
    assert_eq!(m.facts.footprint_area_m2, reference.facts.footprint_area_m2);
}

#[test]
fn records_the_decoder_reads_differently_are_reported() {
    // From the fuzzer: an unclosed quote in #23 swallows the next lines, records
    // #31 and #32 among them, into one string. Say so, naming #23.
    let text = "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [ReferenceView]'),IFCGEOMETRICSET(E(\nFILE_SCHEMA(('IFC4'));\nFILE_SCENDSEC;\nDATA;\n#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',);\n#13=IFCMAPCONVERSION(#10,#12,500000.,5400000.,100.,1.,0.,$);\n#20=IFCLOCALPLACEMENT($,#9);\n#21=IFCSITE('1YvctVUKr0kugbFTf53O9L',$,'Site',$,$,#20,$,$,.ELEMENT.,(49,0,0,0),(8,0,0,0),100.,$,$);\n#22=IFCLOCALPLACEMENT(#20,#9);\n#23=IFCBUILDING('2YvctVUK5.,0.3);\n#31=IFCEXTRUDEDAREASOLID(#30,#9,#7,3.);\n#32=IFCSHAPEREPRESENTATION(#11,'Body','SweptSolid',(#31));\n#33=IFCPRODUCTDEFINITIONSHAPE($,$,(#3ugbFTf53O9L',$,$,$,(#45),#48);\nENDSEC;\nEND-ISO-10303-21;\n";
    match load_bytes(text.as_bytes(), "quote.ifc") {
        Ok(m) => {
            let d = m
                .diagnostics
                .iter()
                .find(|d| d.code == "record_unreadable")
                .unwrap();
            assert_eq!(d.entity, Some(23));
        }
        Err(e) => panic!("the fuzzer's input loads with a warning: {e}"),
    }
}

#[test]
fn empty_direction_lists_do_not_panic() {
    // Found by the fuzzer: IFCDIRECTION(()) as the Axis/RefDirection of a placement.
    let s = String::from_utf8(good()).unwrap();
    let s = s
        .lines()
        .map(|l| {
            if l.contains("=IFCAXIS2PLACEMENT3D(") && l.ends_with(",$,$);") {
                l.replace(",$,$);", ",#999999,#999999);")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(
            "ENDSEC;\nEND-ISO",
            "#999999=IFCDIRECTION(());\nENDSEC;\nEND-ISO",
        );
    assert!(s.contains("#999999,#999999"));
    let m = load_bytes(s.as_bytes(), "dir.ifc").unwrap();
    // Malformed directions fall back to the axes' defaults: storeys keep their heights.
    assert_eq!(m.storeys[1].placement_z_m, Some(3.0));
}

#[test]
fn elements_that_cannot_be_decoded_are_named_in_file_order_and_left_out() {
    // Two of IfcOpenHouse's walls get an unreadable Description ('1.2.3'): the pre-scan
    // takes the records, the decoder refuses them. Each is named once, in file order,
    // and the other elements are read as before.
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc");
    let good = std::fs::read_to_string(p).unwrap();
    let mut bad = good.clone();
    for wall in ["#40=IFCWALLSTANDARDCASE(", "#221=IFCWALLSTANDARDCASE("] {
        let at = bad.find(wall).unwrap();
        // GlobalId, OwnerHistory, Name, then the Description `$`.
        let desc = at + bad[at..].find("',$,").unwrap() + 2;
        bad.replace_range(desc..desc + 1, "1.2.3");
    }
    let (want, got) = (
        load_bytes(good.as_bytes(), "good.ifc").unwrap(),
        load_bytes(bad.as_bytes(), "bad.ifc").unwrap(),
    );
    let named: Vec<&str> = (got.diagnostics.iter())
        .filter(|d| d.code == "decode_failed")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert!(
        named[0].starts_with("entity #40 could not be decoded"),
        "{named:?}"
    );
    assert!(
        named[1].starts_with("entity #221 could not be decoded"),
        "{named:?}"
    );
    let ids = |m: &zhishen_ifc::Model| m.elements.iter().map(|e| e.id).collect::<Vec<_>>();
    let left: Vec<u32> = ids(&want)
        .into_iter()
        .filter(|id| ![40, 221].contains(id))
        .collect();
    assert_eq!(ids(&got), left);
    assert_eq!(want.elements.len(), got.elements.len() + 2);
    // They are not in any fact, so the facts say that they lack them.
    assert!(want.facts.missing_geometry.is_empty());
    let missing: Vec<(u32, &str)> = (got.facts.missing_geometry.iter())
        .map(|g| (g.id, g.ifc_class.as_str()))
        .collect();
    assert_eq!(
        missing,
        [(40, "IfcWallStandardCase"), (221, "IfcWallStandardCase")]
    );
    assert!(got.facts.missing_geometry[0]
        .reason
        .starts_with("the entity could not be decoded"));
}

/// IfcOpenHouse with each `(from, to)` replaced once (each must be found).
fn open_house_with(edits: &[(&str, &str)]) -> zhishen_ifc::Model {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc/IfcOpenHouse_IfcOpenShell_IFC4.ifc");
    let mut text = std::fs::read_to_string(p).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    load_bytes(text.as_bytes(), "house.ifc").unwrap()
}

/// `(id, reason)` of each element the facts lack.
fn missing(m: &zhishen_ifc::Model) -> Vec<(u32, String)> {
    (m.facts.missing_geometry.iter())
        .map(|g| (g.id, g.reason.clone()))
        .collect()
}

/// The ids of [`missing`]'s elements.
fn ids(got: &[(u32, String)]) -> Vec<u32> {
    got.iter().map(|g| g.0).collect()
}

#[test]
fn building_elements_whose_body_does_not_mesh_are_missing_from_the_facts() {
    // The south wall (#40) extruded from a profile whose curve is a point: the kernel
    // refuses it with an error.
    let wall_point = (
        "#56=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#55);",
        "#56=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#53);",
    );
    let m = open_house_with(&[wall_point]);
    let got = missing(&m);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 40);
    assert!(got[0].1.contains("IfcCartesianPoint"), "{got:?}");
    assert_eq!(
        m.facts.missing_geometry[0].name.as_deref(),
        Some("South wall")
    );
    assert!(m.diagnostics.iter().any(|d| d.code == "geometry_failed"));

    // Both roof slabs (#189, #190) place one family whose extrusion is 0 deep: the
    // kernel gives them no triangles and no error. Without them the house had a flat
    // roof 1.1 m higher than its pitched one and 4 m² less footprint, and said nothing.
    let flat = (
        "#161=IFCEXTRUDEDAREASOLID(#160,#153,#149,4101.22);",
        "#161=IFCEXTRUDEDAREASOLID(#160,#153,#149,0.);",
    );
    let m = open_house_with(&[flat]);
    let got = missing(&m);
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        [189, 190],
        "{got:?}"
    );
    assert!(got
        .iter()
        .all(|g| g.1 == "its body representation gave no triangles"));
    let empty: Vec<_> = (m.diagnostics.iter())
        .filter(|d| d.code == "geometry_empty")
        .map(|d| d.entity)
        .collect();
    assert_eq!(empty, [Some(189), Some(190)]);

    // The roof family with a second extrusion whose profile curve is a point: ifc-lite
    // meshes the family from the first item and skips the second without a word. The
    // slabs keep their mesh, and are missing part of it.
    let two_items = (
        "#148=IFCSHAPEREPRESENTATION(#11,'Body','SweptSolid',(#161));",
        "#148=IFCSHAPEREPRESENTATION(#11,'Body','SweptSolid',(#161,#9001));",
    );
    let bad_item = "#9002=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#152);\n#9001=IFCEXTRUDEDAREASOLID(#9002,#153,#149,4101.22);\n";
    let before_162 = |records: &str| format!("{records}#162=IFCDIRECTION(");
    let added = before_162(bad_item);
    let m = open_house_with(&[two_items, ("#162=IFCDIRECTION(", &added)]);
    let got = missing(&m);
    assert_eq!(ids(&got), [189, 190], "{got:?}");
    assert!(
        got.iter().all(|g| g.1.starts_with(
            "item #9001 (IfcExtrudedAreaSolid) of its mapped family #166 could not be meshed"
        )),
        "{got:?}"
    );
    let slab = |m: &zhishen_ifc::Model| m.elements.iter().find(|e| e.id == 189).cloned().unwrap();
    assert!(slab(&m).mesh.is_some());
    assert!(m.diagnostics.iter().any(|d| d.code == "geometry_partial"));
    // The same with the south slab placing a family (#9010) that places the roof
    // family: the loss is carried up.
    let nested = before_162(&format!(
        "{bad_item}#9010=IFCREPRESENTATIONMAP(#165,#9011);\n#9011=IFCSHAPEREPRESENTATION(#11,'Body','MappedRepresentation',(#9012));\n#9012=IFCMAPPEDITEM(#166,#168);\n#9013=IFCMAPPEDITEM(#9010,#168);\n"
    ));
    let m = open_house_with(&[
        two_items,
        ("#162=IFCDIRECTION(", &nested),
        (
            "#170=IFCSHAPEREPRESENTATION(#11,'Body','MappedRepresentation',(#169));",
            "#170=IFCSHAPEREPRESENTATION(#11,'Body','MappedRepresentation',(#9013));",
        ),
    ]);
    let got = missing(&m);
    assert_eq!(ids(&got), [189, 190], "{got:?}");
    assert!(
        got[0].1.starts_with("its nested family #166: item #9001"),
        "{got:?}"
    );
    assert!(slab(&m).mesh.is_some());

    // Controls. The house as exported lacks nothing.
    let m = open_house_with(&[]);
    assert!(missing(&m).is_empty());
    assert!(m.elements.iter().all(|e| e.body_error.is_none()));
    // A wall with only its axis (no body) has no geometry to lack.
    let m = open_house_with(&[(
        "#42=IFCPRODUCTDEFINITIONSHAPE($,$,(#43,#44));",
        "#42=IFCPRODUCTDEFINITIONSHAPE($,$,(#43));",
    )]);
    assert!(missing(&m).is_empty(), "{:?}", missing(&m));
    let wall = m.elements.iter().find(|e| e.id == 40).unwrap();
    assert!(wall.mesh.is_none() && wall.body_error.is_none());
    // The same broken wall as furniture is no building fabric: named by its
    // diagnostic and its own `body_error`, not among what the facts lack.
    let m = open_house_with(&[
        wall_point,
        ("#40=IFCWALLSTANDARDCASE(", "#40=IFCFURNITURE("),
        (
            "'South wall',$,$,#65,#42,$,.STANDARD.)",
            "'South wall',$,$,#65,#42,$,$)",
        ),
    ]);
    assert!(missing(&m).is_empty(), "{:?}", missing(&m));
    let chair = m.elements.iter().find(|e| e.id == 40).unwrap();
    assert_eq!(chair.ifc_class, "IfcFurniture");
    assert!(chair.body_error.is_some());
}

#[test]
fn an_element_in_no_spatial_structure_is_missing_from_the_facts() {
    let house = open_house_with(&[]);
    let door = |m: &zhishen_ifc::Model| m.elements.iter().find(|e| e.id == 2441).cloned().unwrap();
    // The door without its own containment still fills an opening in the east wall
    // (#268), which is in the storey: it is there through its wall.
    let m = open_house_with(&[(
        "#2442=IFCRELCONTAINEDINSPATIALSTRUCTURE('29LApAqVf2EPy5IMpNkh87',#5,$,$,(#2441),#38);\n",
        "",
    )]);
    assert!(missing(&m).is_empty(), "{:?}", missing(&m));
    assert!(door(&m).contained);
    assert_eq!(door(&m).storey, door(&house).storey);
    assert_eq!(door(&m).building, door(&house).building);
    assert_eq!(m.facts.footprint_area_m2, house.facts.footprint_area_m2);
    // The south wall (#40) without its containment is in nothing: not in the
    // building's facts, so the facts say that they lack it.
    let m = open_house_with(&[(
        "#41=IFCRELCONTAINEDINSPATIALSTRUCTURE('3xqBbvJO14iQBO0t1Vhr9P',#5,$,$,(#40),#38);\n",
        "",
    )]);
    let got = missing(&m);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 40);
    assert!(
        got[0].1.starts_with("it is in no spatial structure"),
        "{got:?}"
    );
    let wall = m.elements.iter().find(|e| e.id == 40).unwrap();
    assert!(!wall.contained && wall.mesh.is_some() && wall.building.is_none());
    // A window (#2511) without containment has no geometry of its own, but the five
    // mullions and panes aggregated into it have, and are in nothing with it.
    let m = open_house_with(&[(
        "#2512=IFCRELCONTAINEDINSPATIALSTRUCTURE('2EIDUEhhn4pAZIg2kaiJJq',#5,$,$,(#2511),#38);\n",
        "",
    )]);
    let got: Vec<u32> = missing(&m).into_iter().map(|g| g.0).collect();
    assert_eq!(got, [2543, 2549, 2560, 2566, 2587]);
    assert!(!m.elements.iter().find(|e| e.id == 2511).unwrap().contained);
    assert!(house.elements.iter().all(|e| e.contained));
}
