//! IDS checking, facet by facet: small IFC models and IDS documents written inline, each
//! with the verdict worked out by hand. One test binary (CI counts them).

use zhishen_ids::{check_bytes, IdsError, IdsReport, Status};

/// A complete IFC file of `schema` with `data` records and a project whose length
/// unit is `length` (`.MILLI.` or `$` for metres).
fn ifc(schema: &str, length_prefix: &str, data: &str) -> Vec<u8> {
    format!(
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');\n\
FILE_NAME('t.ifc','2026-12-05T00:00:00',(''),(''),'','','');\nFILE_SCHEMA(('{schema}'));\nENDSEC;\nDATA;\n\
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,$,#2);\n#2=IFCUNITASSIGNMENT((#3,#4));\n\
#3=IFCSIUNIT(*,.LENGTHUNIT.,{length_prefix},.METRE.);\n#4=IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.);\n{data}ENDSEC;\nEND-ISO-10303-21;\n"
    )
    .into_bytes()
}

fn ids(versions: &str, applicability: &str, requirements: &str) -> String {
    spec_ids(versions, "", applicability, requirements)
}

fn spec_ids(versions: &str, app_attrs: &str, applicability: &str, requirements: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ids xmlns="http://standards.buildingsmart.org/IDS" xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <info><title>t</title></info>
  <specifications>
    <specification name="s" ifcVersion="{versions}">
      <applicability{app_attrs}>{applicability}</applicability>
      <requirements>{requirements}</requirements>
    </specification>
  </specifications>
</ids>"#
    )
}

fn entity(name: &str) -> String {
    format!("<entity><name><simpleValue>{name}</simpleValue></name></entity>")
}

fn run(model: Vec<u8>, ids: &str) -> Result<IdsReport, IdsError> {
    check_bytes(model, "m.ifc", ids.as_bytes(), "t.ids")
}

fn status(model: Vec<u8>, ids: &str) -> Status {
    let r = run(model, ids).unwrap_or_else(|e| panic!("{e}"));
    r.specifications[0].status
}

fn failing_ids(model: Vec<u8>, ids: &str) -> Vec<String> {
    let r = run(model, ids).unwrap();
    r.specifications[0]
        .requirements
        .iter()
        .flat_map(|q| {
            q.failures
                .iter()
                .map(|f| f.entity.global_id.clone().unwrap_or_default())
        })
        .collect()
}

const WALL_A: &str = "#10=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOH',$,'Wall A',$,$,$,$,$,.SHEAR.);\n";
const WALL_B: &str = "#11=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOI',$,$,$,'Foo',$,$,$,.USERDEFINED.);\n";

mod entity_facet {
    use super::*;

    #[test]
    fn matches_the_exact_class_not_subtypes() {
        // The standard-case wall has no Name; it is a subtype and not applicable.
        let m = ifc(
            "IFC4",
            "$",
            &format!(
                "{WALL_A}#12=IFCWALLSTANDARDCASE('2O2Fr$t4X7Zf8NOew3FLOJ',$,$,$,$,$,$,$,$);\n"
            ),
        );
        let i = ids(
            "IFC4",
            &entity("IFCWALL"),
            "<attribute><name><simpleValue>Name</simpleValue></name></attribute>",
        );
        let r = run(m, &i).unwrap();
        assert_eq!(r.specifications[0].applicable, 1);
        assert_eq!(r.specifications[0].status, Status::Pass);
    }

    #[test]
    fn predefined_type_and_userdefined_object_type() {
        let app = |pt: &str| {
            format!("<entity><name><simpleValue>IFCWALL</simpleValue></name><predefinedType><simpleValue>{pt}</simpleValue></predefinedType></entity>")
        };
        let req = "<attribute><name><simpleValue>GlobalId</simpleValue></name></attribute>";
        let count = |pt: &str| {
            run(
                ifc("IFC4", "$", &format!("{WALL_A}{WALL_B}")),
                &ids("IFC4", &app(pt), req),
            )
            .unwrap()
            .specifications[0]
                .applicable
        };
        assert_eq!(count("SHEAR"), 1);
        assert_eq!(count("PARAPET"), 0);
        assert_eq!(count("Foo"), 1, "USERDEFINED resolves to ObjectType");
        assert_eq!(count("USERDEFINED"), 1);
    }

    #[test]
    fn a_type_objects_predefined_type_wins() {
        let m = ifc(
            "IFC4",
            "$",
            &format!("{WALL_A}#20=IFCWALLTYPE('1kTvXnbbzCWw8lcMd1dR4o',$,'T',$,$,$,$,$,$,.PARAPET.);\n#21=IFCRELDEFINESBYTYPE('1kTvXnbbzCWw8lcMd1dR4p',$,$,$,(#10),#20);\n"),
        );
        let i = ids("IFC4", &entity("IFCWALL"), "<entity><name><simpleValue>IFCWALL</simpleValue></name><predefinedType><simpleValue>PARAPET</simpleValue></predefinedType></entity>");
        assert_eq!(status(m, &i), Status::Pass);
    }

    #[test]
    fn ifc2x3_occurrence_named_by_its_type() {
        // IFC2X3: IfcFurnishingElement typed by IfcFurnitureType is an IFCFURNITURE.
        let m = ifc(
            "IFC2X3",
            "$",
            "#10=IFCFURNISHINGELEMENT('2O2Fr$t4X7Zf8NOew3FLOH',$,'Desk',$,$,$,$,$);\n#20=IFCFURNITURETYPE('1kTvXnbbzCWw8lcMd1dR4o',$,'T',$,$,$,$,$,$,.CHAIR.);\n#21=IFCRELDEFINESBYTYPE('1kTvXnbbzCWw8lcMd1dR4p',$,$,$,(#10),#20);\n",
        );
        let i = ids("IFC2X3", &entity("IFCFURNITURE"), "<attribute><name><simpleValue>Name</simpleValue></name><value><simpleValue>Desk</simpleValue></value></attribute>");
        let r = run(m, &i).unwrap();
        assert_eq!(
            (r.specifications[0].applicable, r.specifications[0].status),
            (1, Status::Pass)
        );
    }
}

mod attribute_facet {
    use super::*;

    fn name_req(card: &str, value: &str) -> String {
        format!("<attribute cardinality=\"{card}\"><name><simpleValue>Name</simpleValue></name>{value}</attribute>")
    }

    #[test]
    fn required_prohibited_optional() {
        let m = || ifc("IFC4", "$", &format!("{WALL_A}{WALL_B}"));
        // WALL_B has no Name.
        assert_eq!(
            failing_ids(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &name_req("required", ""))
            ),
            vec!["2O2Fr$t4X7Zf8NOew3FLOI"]
        );
        assert_eq!(
            failing_ids(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &name_req("prohibited", ""))
            ),
            vec!["2O2Fr$t4X7Zf8NOew3FLOH"]
        );
        let v = "<value><simpleValue>Wall A</simpleValue></value>";
        assert!(
            failing_ids(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &name_req("optional", v))
            )
            .is_empty(),
            "null passes an optional facet"
        );
        let v = "<value><simpleValue>Wall B</simpleValue></value>";
        assert_eq!(
            failing_ids(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &name_req("optional", v))
            ),
            vec!["2O2Fr$t4X7Zf8NOew3FLOH"]
        );
    }

    #[test]
    fn empty_strings_fail_and_strings_are_case_sensitive() {
        let m = ifc(
            "IFC4",
            "$",
            "#10=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOH',$,'',$,$,$,$,$,$);\n",
        );
        assert_eq!(
            status(
                m,
                &ids("IFC4", &entity("IFCWALL"), &name_req("required", ""))
            ),
            Status::Fail
        );
        let v = "<value><simpleValue>wall a</simpleValue></value>";
        assert_eq!(
            status(
                ifc("IFC4", "$", WALL_A),
                &ids("IFC4", &entity("IFCWALL"), &name_req("required", v))
            ),
            Status::Fail
        );
    }

    #[test]
    fn patterns_are_anchored() {
        let p = |pat: &str| {
            format!("<value><xs:restriction base=\"xs:string\"><xs:pattern value=\"{pat}\"/></xs:restriction></value>")
        };
        let m = || ifc("IFC4", "$", WALL_A);
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &p("Wall ."))
                )
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &p("Wall"))
                )
            ),
            Status::Fail,
            "no partial match"
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &p("all A"))
                )
            ),
            Status::Fail,
            "anchored at the start"
        );
    }

    #[test]
    fn enumeration_and_lengths() {
        let m = || ifc("IFC4", "$", WALL_A);
        let r = |inner: &str| {
            format!("<value><xs:restriction base=\"xs:string\">{inner}</xs:restriction></value>")
        };
        let e = r("<xs:enumeration value=\"Wall B\"/><xs:enumeration value=\"Wall A\"/>");
        assert_eq!(
            status(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &name_req("required", &e))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &r("<xs:length value=\"6\"/>"))
                )
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &r("<xs:maxLength value=\"5\"/>"))
                )
            ),
            Status::Fail
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &name_req("required", &r("<xs:minLength value=\"7\"/>"))
                )
            ),
            Status::Fail
        );
    }

    #[test]
    fn elevation_in_millimetres_against_metre_bounds() {
        // Storey elevation 3000 mm = 3.0 m: within [2.9, 3.1] m.
        let storey =
            "#10=IFCBUILDINGSTOREY('2O2Fr$t4X7Zf8NOew3FLOH',$,'2F',$,$,$,$,$,.ELEMENT.,3000.);\n";
        let req = "<attribute><name><simpleValue>Elevation</simpleValue></name><value><xs:restriction base=\"xs:double\"><xs:minInclusive value=\"2.9\"/><xs:maxInclusive value=\"3.1\"/></xs:restriction></value></attribute>";
        let i = ids("IFC4", &entity("IFCBUILDINGSTOREY"), req);
        assert_eq!(status(ifc("IFC4", ".MILLI.", storey), &i), Status::Pass);
        assert_eq!(
            status(ifc("IFC4", "$", storey), &i),
            Status::Fail,
            "3000 m is out of range"
        );
    }

    #[test]
    fn attribute_names_differ_per_schema() {
        // IFC4 walls have PredefinedType; IFC2X3 walls do not.
        let req = "<attribute><name><simpleValue>PredefinedType</simpleValue></name></attribute>";
        assert_eq!(
            status(
                ifc("IFC4", "$", WALL_A),
                &ids("IFC2X3 IFC4", &entity("IFCWALL"), req)
            ),
            Status::Pass
        );
        let w2 = "#10=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOH',$,'Wall A',$,$,$,$,$);\n";
        assert_eq!(
            status(
                ifc("IFC2X3", "$", w2),
                &ids("IFC2X3 IFC4", &entity("IFCWALL"), req)
            ),
            Status::Fail
        );
    }
}

mod property_facet {
    use super::*;

    fn model(value: &str, with_type: &str) -> Vec<u8> {
        ifc(
            "IFC4",
            ".MILLI.",
            &format!(
                "{WALL_A}#30=IFCPROPERTYSINGLEVALUE('Width',$,{value},$);\n#31=IFCPROPERTYSET('3nCgVbUiv1pxP0KT2tH7V1',$,'Pset_Test',$,(#30));\n\
#32=IFCRELDEFINESBYPROPERTIES('3nCgVbUiv1pxP0KT2tH7V2',$,$,$,(#10),#31);\n{with_type}"
            ),
        )
    }

    fn req(dt: &str, value: &str) -> String {
        format!("<property{dt}><propertySet><simpleValue>Pset_Test</simpleValue></propertySet><baseName><simpleValue>Width</simpleValue></baseName>{value}</property>")
    }

    fn val(v: &str) -> String {
        format!("<value><simpleValue>{v}</simpleValue></value>")
    }

    #[test]
    fn length_in_millimetres_with_the_tolerance_at_the_edge() {
        let dt = " dataType=\"IFCLENGTHMEASURE\"";
        // 2500 mm = 2.5 m; tolerance 2.5e-6 + 1e-6 = 3.5e-6 m.
        assert_eq!(
            status(
                model("IFCLENGTHMEASURE(2500.)", ""),
                &ids("IFC4", &entity("IFCWALL"), &req(dt, &val("2.5")))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                model("IFCLENGTHMEASURE(2500.0034)", ""),
                &ids("IFC4", &entity("IFCWALL"), &req(dt, &val("2.5")))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                model("IFCLENGTHMEASURE(2500.0036)", ""),
                &ids("IFC4", &entity("IFCWALL"), &req(dt, &val("2.5")))
            ),
            Status::Fail
        );
        assert_eq!(
            status(
                model("IFCLENGTHMEASURE(2500.)", ""),
                &ids("IFC4", &entity("IFCWALL"), &req(dt, &val("2500")))
            ),
            Status::Fail
        );
    }

    #[test]
    fn data_type_must_match() {
        let m = || model("IFCLABEL('EI60')", "");
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &req(" dataType=\"IFCLABEL\"", &val("EI60"))
                )
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &req(" dataType=\"IFCTEXT\"", "")
                )
            ),
            Status::Fail
        );
    }

    #[test]
    fn booleans_are_lower_case() {
        let m = || model("IFCBOOLEAN(.T.)", "");
        assert_eq!(
            status(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &req("", &val("true")))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &req("", &val("TRUE")))
            ),
            Status::Fail
        );
    }

    #[test]
    fn inherited_from_the_type_and_overridden_by_the_occurrence() {
        // The type says 'EI30' for Pset_Test.Width and 'X' for Pset_Type.Code; the
        // occurrence says 'EI60' for Width.
        let ty = "#40=IFCPROPERTYSINGLEVALUE('Width',$,IFCLABEL('EI30'),$);\n#41=IFCPROPERTYSINGLEVALUE('Code',$,IFCLABEL('X'),$);\n\
#42=IFCPROPERTYSET('3nCgVbUiv1pxP0KT2tH7V3',$,'Pset_Test',$,(#40));\n#43=IFCPROPERTYSET('3nCgVbUiv1pxP0KT2tH7V4',$,'Pset_Type',$,(#41));\n\
#44=IFCWALLTYPE('1kTvXnbbzCWw8lcMd1dR4o',$,'T',$,$,(#42,#43),$,$,$,.STANDARD.);\n#45=IFCRELDEFINESBYTYPE('1kTvXnbbzCWw8lcMd1dR4p',$,$,$,(#10),#44);\n";
        let m = || model("IFCLABEL('EI60')", ty);
        assert_eq!(
            status(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &req("", &val("EI60")))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &req("", &val("EI30")))
            ),
            Status::Fail
        );
        let code = "<property><propertySet><simpleValue>Pset_Type</simpleValue></propertySet><baseName><simpleValue>Code</simpleValue></baseName><value><simpleValue>X</simpleValue></value></property>";
        assert_eq!(
            status(m(), &ids("IFC4", &entity("IFCWALL"), code)),
            Status::Pass
        );
    }

    #[test]
    fn quantities_and_prohibited_and_optional() {
        let q = ifc(
            "IFC4",
            ".MILLI.",
            &format!("{WALL_A}#30=IFCQUANTITYAREA('NetSideArea',$,$,12.5,$);\n#31=IFCELEMENTQUANTITY('3nCgVbUiv1pxP0KT2tH7V1',$,'Qto_WallBaseQuantities',$,$,(#30));\n#32=IFCRELDEFINESBYPROPERTIES('3nCgVbUiv1pxP0KT2tH7V2',$,$,$,(#10),#31);\n"),
        );
        let r = |card: &str, v: &str| {
            format!("<property dataType=\"IFCAREAMEASURE\" cardinality=\"{card}\"><propertySet><simpleValue>Qto_WallBaseQuantities</simpleValue></propertySet><baseName><simpleValue>NetSideArea</simpleValue></baseName>{v}</property>")
        };
        // An area unit of square metres: 12.5 m² stays 12.5.
        let gt = "<value><xs:restriction base=\"xs:double\"><xs:minExclusive value=\"12\"/></xs:restriction></value>";
        assert_eq!(
            status(
                q.clone(),
                &ids("IFC4", &entity("IFCWALL"), &r("required", gt))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                q.clone(),
                &ids("IFC4", &entity("IFCWALL"), &r("prohibited", ""))
            ),
            Status::Fail
        );
        let opt = "<property dataType=\"IFCAREAMEASURE\" cardinality=\"optional\"><propertySet><simpleValue>Pset_None</simpleValue></propertySet><baseName><simpleValue>X</simpleValue></baseName></property>";
        assert_eq!(
            status(q, &ids("IFC4", &entity("IFCWALL"), opt)),
            Status::Pass
        );
    }
}

mod classification_material_facets {
    use super::*;

    const CLASSIFIED: &str = "#50=IFCCLASSIFICATION('GB',$,$,'GB/T 51269',$,$,$);\n#51=IFCCLASSIFICATIONREFERENCE($,'30-01.10',$,#50,$,$);\n\
#52=IFCRELASSOCIATESCLASSIFICATION('0Fz2yUbm19S8ey5PQWQdGZ',$,$,$,(#10),#51);\n";

    fn class_req(card: &str, value: &str) -> String {
        format!("<classification cardinality=\"{card}\">{value}<system><simpleValue>GB/T 51269</simpleValue></system></classification>")
    }

    #[test]
    fn classification_system_and_value() {
        let m = || ifc("IFC4", "$", &format!("{WALL_A}{WALL_B}{CLASSIFIED}"));
        let v = |x: &str| format!("<value><simpleValue>{x}</simpleValue></value>");
        assert_eq!(
            failing_ids(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &class_req("required", &v("30-01.10"))
                )
            ),
            vec!["2O2Fr$t4X7Zf8NOew3FLOI"]
        );
        assert_eq!(
            failing_ids(
                m(),
                &ids(
                    "IFC4",
                    &entity("IFCWALL"),
                    &class_req("required", &v("30-01.20"))
                )
            )
            .len(),
            2
        );
        assert_eq!(
            failing_ids(
                m(),
                &ids("IFC4", &entity("IFCWALL"), &class_req("prohibited", ""))
            ),
            vec!["2O2Fr$t4X7Zf8NOew3FLOH"]
        );
    }

    #[test]
    fn materials_of_layer_sets_and_types() {
        // The wall's type carries a layer set of concrete and insulation.
        let m = ifc(
            "IFC4",
            "$",
            &format!("{WALL_A}#60=IFCMATERIAL('C30 混凝土',$,'Concrete');\n#61=IFCMATERIAL('EPS',$,$);\n#62=IFCMATERIALLAYER(#60,200.,$,$,$,$,$);\n#63=IFCMATERIALLAYER(#61,80.,$,$,$,$,$);\n\
#64=IFCMATERIALLAYERSET((#62,#63),'外墙 280',$);\n#65=IFCWALLTYPE('1kTvXnbbzCWw8lcMd1dR4o',$,'T',$,$,$,$,$,$,.STANDARD.);\n\
#66=IFCRELDEFINESBYTYPE('1kTvXnbbzCWw8lcMd1dR4p',$,$,$,(#10),#65);\n#67=IFCRELASSOCIATESMATERIAL('1kTvXnbbzCWw8lcMd1dR4q',$,$,$,(#65),#64);\n"),
        );
        let mat = |card: &str, v: &str| {
            format!("<material cardinality=\"{card}\"><value><simpleValue>{v}</simpleValue></value></material>")
        };
        assert_eq!(
            status(
                m.clone(),
                &ids("IFC4", &entity("IFCWALL"), &mat("required", "EPS"))
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                m.clone(),
                &ids("IFC4", &entity("IFCWALL"), &mat("required", "Concrete"))
            ),
            Status::Pass,
            "category counts"
        );
        assert_eq!(
            status(
                m.clone(),
                &ids("IFC4", &entity("IFCWALL"), &mat("prohibited", "EPS"))
            ),
            Status::Fail
        );
        assert_eq!(
            status(
                m,
                &ids("IFC4", &entity("IFCWALL"), &mat("required", "Steel"))
            ),
            Status::Fail
        );
        let none = ifc("IFC4", "$", WALL_A);
        assert_eq!(
            status(none, &ids("IFC4", &entity("IFCWALL"), "<material/>")),
            Status::Fail
        );
    }
}

mod part_of_facet {
    use super::*;

    /// Building ← storey ← space; wall A in the space, wall B in nothing; door fills an
    /// opening in wall A; wall A in a group.
    fn model() -> Vec<u8> {
        ifc(
            "IFC4",
            "$",
            &format!(
                "{WALL_A}{WALL_B}#70=IFCBUILDING('3KvHT4d5T6s8tx8QJjVZAa',$,'B',$,$,$,$,$,$,$,$,$);\n\
#71=IFCBUILDINGSTOREY('3KvHT4d5T6s8tx8QJjVZAb',$,'1F',$,$,$,$,$,$,0.);\n#72=IFCSPACE('3KvHT4d5T6s8tx8QJjVZAc',$,'101',$,$,$,$,'客厅',$,$,$);\n\
#73=IFCRELAGGREGATES('3KvHT4d5T6s8tx8QJjVZAd',$,$,$,#70,(#71));\n#74=IFCRELAGGREGATES('3KvHT4d5T6s8tx8QJjVZAe',$,$,$,#71,(#72));\n\
#75=IFCRELCONTAINEDINSPATIALSTRUCTURE('3KvHT4d5T6s8tx8QJjVZAf',$,$,$,(#10),#72);\n\
#76=IFCOPENINGELEMENT('3KvHT4d5T6s8tx8QJjVZAg',$,$,$,$,$,$,$,$);\n#77=IFCDOOR('3KvHT4d5T6s8tx8QJjVZAh',$,'D1',$,$,$,$,$,$,$,$,$,$);\n\
#78=IFCRELVOIDSELEMENT('3KvHT4d5T6s8tx8QJjVZAi',$,$,$,#10,#76);\n#79=IFCRELFILLSELEMENT('3KvHT4d5T6s8tx8QJjVZAj',$,$,$,#76,#77);\n\
#80=IFCZONE('3KvHT4d5T6s8tx8QJjVZAk',$,'Z',$,$,$);\n#81=IFCRELASSIGNSTOGROUP('3KvHT4d5T6s8tx8QJjVZAl',$,$,$,(#10),$,#80);\n"
            ),
        )
    }

    fn part(rel: &str, card: &str, ent: &str) -> String {
        format!("<partOf{rel} cardinality=\"{card}\"><entity><name><simpleValue>{ent}</simpleValue></name></entity></partOf>")
    }

    const CONTAINED: &str = " relation=\"IFCRELCONTAINEDINSPATIALSTRUCTURE\"";

    #[test]
    fn containment_is_recursive_through_the_spatial_structure() {
        let i = ids(
            "IFC4",
            &entity("IFCWALL"),
            &part(CONTAINED, "required", "IFCBUILDINGSTOREY"),
        );
        assert_eq!(failing_ids(model(), &i), vec!["2O2Fr$t4X7Zf8NOew3FLOI"]);
        let i = ids(
            "IFC4",
            &entity("IFCWALL"),
            &part(CONTAINED, "required", "IFCBUILDING"),
        );
        assert_eq!(failing_ids(model(), &i), vec!["2O2Fr$t4X7Zf8NOew3FLOI"]);
        let i = ids(
            "IFC4",
            &entity("IFCWALL"),
            &part(CONTAINED, "prohibited", "IFCSPACE"),
        );
        assert_eq!(failing_ids(model(), &i), vec!["2O2Fr$t4X7Zf8NOew3FLOH"]);
    }

    #[test]
    fn aggregation_groups_voids_and_any_relation() {
        let storey = ids(
            "IFC4",
            &entity("IFCSPACE"),
            &part(" relation=\"IFCRELAGGREGATES\"", "required", "IFCBUILDING"),
        );
        assert_eq!(
            status(model(), &storey),
            Status::Pass,
            "aggregation is recursive"
        );
        let group = ids(
            "IFC4",
            &entity("IFCWALL"),
            &part(" relation=\"IFCRELASSIGNSTOGROUP\"", "required", "IFCZONE"),
        );
        assert_eq!(failing_ids(model(), &group), vec!["2O2Fr$t4X7Zf8NOew3FLOI"]);
        let door = ids(
            "IFC4",
            &entity("IFCDOOR"),
            &part(
                " relation=\"IFCRELVOIDSELEMENT IFCRELFILLSELEMENT\"",
                "required",
                "IFCWALL",
            ),
        );
        assert_eq!(status(model(), &door), Status::Pass);
        let any = ids(
            "IFC4",
            &entity("IFCDOOR"),
            &part("", "required", "IFCBUILDING"),
        );
        assert_eq!(
            status(model(), &any),
            Status::Pass,
            "door → opening → wall → space → storey → building"
        );
    }
}

mod specification_cardinality {
    use super::*;

    const REQ: &str = "<attribute><name><simpleValue>Name</simpleValue></name></attribute>";

    #[test]
    fn required_optional_prohibited_and_versions() {
        let m = || ifc("IFC4", "$", WALL_A);
        let doors = |attrs: &str| spec_ids("IFC4", attrs, &entity("IFCDOOR"), REQ);
        assert_eq!(
            status(m(), &doors(" minOccurs=\"1\" maxOccurs=\"unbounded\"")),
            Status::Fail,
            "required, none found"
        );
        assert_eq!(
            status(m(), &doors(" minOccurs=\"0\" maxOccurs=\"unbounded\"")),
            Status::Pass,
            "optional, none found"
        );
        let walls = spec_ids(
            "IFC4",
            " minOccurs=\"0\" maxOccurs=\"0\"",
            &entity("IFCWALL"),
            REQ,
        );
        let r = run(m(), &walls).unwrap();
        assert_eq!(
            (
                r.specifications[0].status,
                r.specifications[0].prohibited.len()
            ),
            (Status::Fail, 1)
        );
        let r = run(
            m(),
            &spec_ids("IFC2X3", " minOccurs=\"1\"", &entity("IFCDOOR"), REQ),
        )
        .unwrap();
        assert_eq!(
            (r.specifications[0].status, r.exit_code()),
            (Status::NotApplicable, 0)
        );
    }

    #[test]
    fn reports_name_failing_entities_in_both_languages() {
        let r = run(
            ifc("IFC4", "$", &format!("{WALL_A}{WALL_B}")),
            &ids("IFC4", &entity("IFCWALL"), REQ),
        )
        .unwrap();
        assert_eq!(r.exit_code(), 1);
        let json: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
        let f = &json["specifications"][0]["requirements"][0]["failures"][0];
        assert_eq!(f["entity"]["global_id"], "2O2Fr$t4X7Zf8NOew3FLOI");
        assert_eq!(f["entity"]["class"], "IFCWALL");
        assert_eq!(
            (
                f["entity"]["step_id"].as_u64(),
                f["entity"]["line"].as_u64()
            ),
            (Some(11), Some(13))
        );
        assert!(f["reason"]["zh"].as_str().unwrap().starts_with("缺失"));
        let html = zhishen_ids::report::to_html(&r);
        assert!(html.contains("2O2Fr$t4X7Zf8NOew3FLOI") && html.contains("不通过"));
        let bcf = zhishen_ids::bcf::to_bcf(&r, "2026-12-05T09:00:00Z").unwrap();
        assert_eq!(&bcf[..2], b"PK");
    }

    #[test]
    fn html_is_escaped() {
        let m = ifc(
            "IFC4",
            "$",
            "#10=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOH',$,'<script>x</script>',$,$,$,$,$,$);\n",
        );
        let req = "<attribute><name><simpleValue>Name</simpleValue></name><value><simpleValue>ok</simpleValue></value></attribute>";
        let html =
            zhishen_ids::report::to_html(&run(m, &ids("IFC4", &entity("IFCWALL"), req)).unwrap());
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }
}

mod bad_input {
    use super::*;

    fn invalid(ids_text: &str) -> (u32, String) {
        match run(ifc("IFC4", "$", WALL_A), ids_text) {
            Err(IdsError::InvalidIds { line, rule, .. }) => (line, rule),
            other => panic!("expected an invalid IDS, got {other:?}"),
        }
    }

    #[test]
    fn invalid_ids_is_refused_with_the_line_and_rule() {
        let no_title = ids("IFC4", &entity("IFCWALL"), "").replace("<title>t</title>", "");
        let (line, rule) = invalid(&no_title);
        assert_eq!(line, 3);
        assert!(rule.contains("title"), "{rule}");
        let bad_card = ids("IFC4", &entity("IFCWALL"), "<attribute cardinality=\"sometimes\"><name><simpleValue>Name</simpleValue></name></attribute>");
        let (line, rule) = invalid(&bad_card);
        assert_eq!(line, 7);
        assert!(rule.contains("cardinality"), "{rule}");
        let bad_version = ids("IFC5", &entity("IFCWALL"), "");
        assert!(invalid(&bad_version).1.contains("IFC5"));
        let wrong_order = ids(
            "IFC4",
            &format!(
                "<attribute><name><simpleValue>Name</simpleValue></name></attribute>{}",
                entity("IFCWALL")
            ),
            "",
        );
        assert!(invalid(&wrong_order).1.contains("order"));
        let bad_pattern = ids("IFC4", &entity("IFCWALL"), "<attribute><name><simpleValue>Name</simpleValue></name><value><xs:restriction><xs:pattern value=\"[a-\"/></xs:restriction></value></attribute>");
        assert!(invalid(&bad_pattern).1.contains("pattern"));
        let card_in_applicability = ids("IFC4", "<attribute cardinality=\"required\"><name><simpleValue>Name</simpleValue></name></attribute>", "");
        assert!(invalid(&card_in_applicability).1.contains("cardinality"));
    }

    #[test]
    fn not_xml_and_bad_models_name_the_place() {
        match run(ifc("IFC4", "$", WALL_A), "<ids><info>") {
            Err(IdsError::Xml { .. }) => {}
            other => panic!("{other:?}"),
        }
        let broken = ifc("IFC4", "$", "#10=IFCWALL('a',$,,$);\n");
        match run(broken, &ids("IFC4", &entity("IFCWALL"), "")) {
            Err(
                e @ IdsError::ModelSyntax {
                    line: 12,
                    entity: 10,
                    ..
                },
            ) => assert!(e.is_bad_input()),
            other => panic!("{other:?}"),
        }
        let ifc5 = String::from_utf8(ifc("IFC4", "$", WALL_A))
            .unwrap()
            .replace("'IFC4'", "'IFC5'");
        assert!(matches!(
            run(ifc5.into_bytes(), &ids("IFC4", &entity("IFCWALL"), "")),
            Err(IdsError::UnsupportedSchema { .. })
        ));
    }

    #[test]
    fn the_demo_ids_is_valid() {
        let demo = include_str!("../../../assets/ids/planning-permit.ids");
        let parsed = zhishen_ids::parse_ids(demo.as_bytes(), "planning-permit.ids").unwrap();
        assert_eq!(parsed.specifications.len(), 6);
    }
}

mod never_panics {
    use super::*;

    /// Every truncation and every one-byte deletion of a small model and of the demo IDS
    /// is either checked or refused with an error: never a panic.
    #[test]
    fn mutated_inputs_are_errors_or_results() {
        let demo = include_str!("../../../assets/ids/planning-permit.ids");
        let model = ifc("IFC4", ".MILLI.", &format!("{WALL_A}#30=IFCPROPERTYSINGLEVALUE('W',$,IFCLENGTHMEASURE(2.),$);\n#31=IFCPROPERTYSET('3nCgVbUiv1pxP0KT2tH7V1',$,'P',$,(#30));\n#32=IFCRELDEFINESBYPROPERTIES('3nCgVbUiv1pxP0KT2tH7V2',$,$,$,(#10),#31);\n"));
        for cut in (0..model.len()).step_by(3) {
            let mut m = model.clone();
            m.remove(cut);
            let _ = run(m, demo);
            let _ = run(model[..cut].to_vec(), demo);
        }
        let bytes = demo.as_bytes();
        for cut in (0..bytes.len()).step_by(5) {
            let mut d = bytes.to_vec();
            d.remove(cut);
            let _ = check_bytes(model.clone(), "m.ifc", &d, "t.ids");
        }
        for p in [r"\p", r"\p{", r"\pL}", r"\p{L", "[", "a{2", r"\p{Lu}é"] {
            let _ = zhishen_ids::value::compile_pattern(p);
        }
    }
}
