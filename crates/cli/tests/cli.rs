//! The `zhishen` binary: exit codes and the inspect JSON contract.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhishen"))
}

fn dataset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/ifc")
        .join(name)
}

#[test]
fn inspect_json_carries_the_contract_keys() {
    let out = bin()
        .args(["inspect", "--json"])
        .arg(dataset(
            "PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc",
        ))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "zhishen.inspect/1");
    assert_eq!(v["schema"], "IFC4");
    assert_eq!(v["length_unit_m"], 0.001);
    assert_eq!(v["storeys"][0]["global_id"], "1Ano2ZUxnEIvVQ_beukl8b");
    assert!(v["storeys"][0]["elevation_m"].as_f64().unwrap().abs() < 1e-9);
    assert_eq!(v["spaces"].as_array().unwrap().len(), 2);
    assert_eq!(v["element_counts"]["IfcWall"], 4);
    let mc = &v["georef"]["map_conversion"];
    assert_eq!(mc["eastings"], 729013348.8297004);
    assert_eq!(mc["crs"]["name"], "EPSG:32760");
    assert!(v["georef"]["site_ref"].is_null());
    assert!(v["georef"]["warnings"].is_array());
    assert_eq!(v["bbox_world_m"]["min"].as_array().unwrap().len(), 3);
    let f = &v["facts"];
    assert_eq!(f["footprint"]["type"], "MultiPolygon");
    for k in [
        "footprint_area_m2",
        "ground_m",
        "height_m",
        "highest_point_m",
        "storeys_above",
        "storeys_below",
        "gfa_m2",
    ] {
        assert!(f.get(k).is_some(), "facts.{k} missing");
    }
    assert_eq!(f["missing_geometry"], serde_json::json!([]));
}

#[test]
fn table_output_has_chinese_and_english_labels() {
    let out = bin()
        .arg("inspect")
        .arg(dataset("TallBuilding_Revit2021_IFC2x3.ifc"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("规划建筑高度 Planning height"), "{s}");
    assert!(
        s.contains("Revit default location"),
        "the Boston default is called out: {s}"
    );
    assert!(!s.contains("几何缺失"), "{s}");
}

#[test]
fn inspect_names_the_building_elements_the_facts_lack() {
    // IfcOpenHouse's two roof slabs place one family extruded 0 deep: no triangles.
    let house = std::fs::read_to_string(dataset("IfcOpenHouse_IfcOpenShell_IFC4.ifc")).unwrap();
    let from = "#161=IFCEXTRUDEDAREASOLID(#160,#153,#149,4101.22);";
    assert!(house.contains(from));
    let flat = house.replace(from, "#161=IFCEXTRUDEDAREASOLID(#160,#153,#149,0.);");
    let dir = std::env::temp_dir().join(format!("zhishen-cli-mg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("flat.ifc");
    std::fs::write(&file, flat).unwrap();
    let out = bin().arg("inspect").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("几何缺失的建筑构件 (以上指标不含它们, 审查结果无法核验) Building elements without geometry (missing from the facts above; a review cannot verify them): 2"), "{s}");
    assert!(
        s.contains("· IfcSlab #189 'South roof': its body representation gave no triangles"),
        "{s}"
    );
    let out = bin()
        .args(["inspect", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = (v["facts"]["missing_geometry"].as_array().unwrap().iter())
        .map(|g| g["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [189, 190]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_exits_2_and_names_the_file_and_place() {
    let dir = std::env::temp_dir().join(format!("zhishen-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.ifc");
    std::fs::write(&empty, b"").unwrap();
    let out = bin().arg("inspect").arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.ifc"));

    let full = std::fs::read(dataset("IfcOpenHouse_IfcOpenShell_IFC4.ifc")).unwrap();
    let cut = dir.join("cut.ifc");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let out = bin()
        .args(["inspect", "--json"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated") && err.contains("byte"), "{err}");
    assert!(out.stdout.is_empty(), "no partial JSON on failure");

    let missing = bin()
        .arg("inspect")
        .arg(dir.join("nope.ifc"))
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(1),
        "an unreadable path is not bad input"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn site_info_lists_layers_and_names_findings() {
    let dir = std::env::temp_dir().join(format!("zhishen-site-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let parcel = r#"{"type":"FeatureCollection",
      "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},
      "features":[
        {"type":"Feature","properties":{"地块编号":"A-01","用地性质":"0701","容积率":2.5},
         "geometry":{"type":"Polygon","coordinates":[[[528700,3386600],[528800,3386600],[528800,3386680],[528700,3386680],[528700,3386600]]]}},
        {"type":"Feature","properties":{"地块编号":"A-02"},
         "geometry":{"type":"Polygon","coordinates":[[[528800,3386600],[528860,3386600],[528860,3386680],[528800,3386680],[528800,3386600]]]}}]}"#;
    std::fs::write(dir.join("parcel.geojson"), parcel).unwrap();
    // A green area from CAD: an R12 DXF, no CRS, one closed polyline beside the parcels.
    let mut dxf = String::from("0\nSECTION\n2\nENTITIES\n0\nPOLYLINE\n8\nGREEN\n66\n1\n70\n1\n");
    for (x, y) in [
        (528900, 3386600),
        (528940, 3386600),
        (528940, 3386640),
        (528900, 3386640),
    ] {
        dxf += &format!("0\nVERTEX\n8\nGREEN\n10\n{x}.0\n20\n{y}.0\n30\n0.0\n");
    }
    dxf += "0\nSEQEND\n0\nENDSEC\n0\nEOF\n";
    std::fs::write(dir.join("green_area.dxf"), dxf).unwrap();
    let out = bin()
        .args(["site", "info", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an error finding is bad input");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["crs"], "EPSG:4547");
    assert_eq!(v["crs_choice"]["source"], "projected_layer");
    assert_eq!(v["counts"]["parcel"], 2);
    assert_eq!(v["counts"]["green_area"], 1);
    let green = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "green_area");
    assert_eq!(green.unwrap()["crs_assumed"], true);
    let assumed = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "assumed_crs");
    assert_eq!(assumed.unwrap()["severity"], "warning");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "missing_attribute");
    assert_eq!(f["field"], "land_use");
    assert!(f["message"].as_str().unwrap().contains("A-02"));
    let table = bin().args(["site", "info"]).arg(&dir).output().unwrap();
    let s = String::from_utf8(table.stdout).unwrap();
    assert!(
        s.contains("坐标系 CRS: EPSG:4547")
            && s.contains("chosen by: projected_layer")
            && s.contains("EPSG:4547 (assumed)")
            && s.contains("missing_attribute"),
        "{s}"
    );
    // --site-crs names it: over the package's own.
    let named = bin()
        .args(["site", "info", "--json", "--site-crs", "EPSG:4546"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&named.stdout).unwrap();
    assert_eq!(
        (&v["crs"], &v["crs_choice"]["source"]),
        (&"EPSG:4546".into(), &"cli".into())
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_describes_each_subcommand_with_its_own_text() {
    let out = bin().arg("--help").output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let line = |cmd: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("no line for {cmd} in:\n{s}"))
            .to_string()
    };
    assert!(line("inspect").contains("Read an IFC model"), "{s}");
    assert!(line("check").contains("Review a building"), "{s}");
    assert!(!line("check").contains("Read an IFC model"), "{s}");
}

#[test]
fn site_info_says_where_each_road_width_came_from_and_which_road_lacks_one() {
    let dir = tempfile::tempdir().unwrap();
    // Two open road polylines in one DXF: 东路 labelled "40m" 3 m beside it, 西路 with
    // no label within reach (the "24m" is 200 m away).
    let mut dxf = String::from("0\nSECTION\n2\nENTITIES\n");
    for (layer, y) in [("EAST", 3_386_600), ("WEST", 3_386_400)] {
        dxf += &format!("0\nPOLYLINE\n8\n{layer}\n66\n1\n70\n0\n");
        for x in [528_700, 528_900] {
            dxf += &format!("0\nVERTEX\n8\n{layer}\n10\n{x}.0\n20\n{y}.0\n30\n0.0\n");
        }
        dxf += "0\nSEQEND\n";
    }
    for (x, y, text) in [(528_750, 3_386_603, "40m"), (528_800, 3_386_200, "24m")] {
        dxf += &format!("0\nTEXT\n8\nEAST\n10\n{x}.0\n20\n{y}.0\n30\n0.0\n40\n2.5\n1\n{text}\n");
    }
    dxf += "0\nENDSEC\n0\nEOF\n";
    std::fs::write(dir.path().join("road.dxf"), dxf).unwrap();
    std::fs::write(
        dir.path().join("site.toml"),
        "crs = \"EPSG:4547\"\n[[layer]]\npath = \"road.dxf\"\nkind = \"road_red_line\"\ncrs = \"EPSG:4547\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["site", "info", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing width is an error finding"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["road_red_line"], 2, "labels are not roads");
    let roads = v["road_widths"].as_array().unwrap();
    let road = |name: &str| roads.iter().find(|r| r["road"] == name).unwrap().clone();
    assert_eq!(road("EAST")["width_m"], 40.0);
    assert_eq!(road("EAST")["source"], "dxf_label");
    assert!(road("WEST")["width_m"].is_null() && road("WEST")["source"].is_null());
    let table = bin()
        .args(["site", "info"])
        .arg(dir.path())
        .output()
        .unwrap();
    let s = String::from_utf8(table.stdout).unwrap();
    let line = |name: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{s}"))
            .to_string()
    };
    assert!(s.contains("道路宽度 Road widths"), "{s}");
    assert!(line("EAST").contains("40 m  ← DXF 标注 DXF label"), "{s}");
    assert!(line("WEST").contains("无宽度 no width"), "{s}");
}

/// `zhishen ids`: the demo IDS on the georeferenced SketchUp model. Hand-checked
/// against the file: its 2 spaces have no quantity set, its building's
/// Pset_BuildingCommon has no OccupancyType and its two roof slabs are contained in
/// the building, not a storey, so the model fails (exit 1); it has an IfcMapConversion
/// and the IFC2X3 specification does not apply. An IDS that breaks ids.xsd is refused
/// with its line (exit 2).
#[test]
fn ids_checks_a_model_and_refuses_an_invalid_ids() {
    let model = dataset("PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc");
    let demo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/ids/planning-permit.ids");
    let out = bin().arg("ids").arg(&model).arg(&demo).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "zhishen.ids-report/1");
    let specs = v["specifications"].as_array().unwrap();
    let status: Vec<&str> = specs
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["pass", "fail", "fail", "pass", "not_applicable", "fail"]
    );
    let space_failures = specs[1]["requirements"][1]["failures"].as_array().unwrap();
    assert_eq!(space_failures.len(), 2);
    assert_eq!(space_failures[0]["entity"]["class"], "IFCSPACE");

    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let out = bin()
        .arg("ids")
        .arg(&model)
        .arg(&demo)
        .args(["--format", "html", "--out"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::read_to_string(&html).unwrap().contains("IFCSPACE"));
    let bcf = dir.path().join("r.bcf");
    let out = bin()
        .arg("ids")
        .arg(&model)
        .arg(&demo)
        .args(["--format", "bcf", "--out"])
        .arg(&bcf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(&std::fs::read(&bcf).unwrap()[..2], b"PK");

    let bad = dir.path().join("bad.ids");
    let text = std::fs::read_to_string(&demo).unwrap().replace(
        "cardinality=\"required\" instructions=\"楼层名称",
        "cardinality=\"always\" instructions=\"楼层名称",
    );
    std::fs::write(&bad, text).unwrap();
    let out = bin().arg("ids").arg(&model).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.ids: line 23") && err.contains("cardinality"),
        "{err}"
    );
}

/// The shared libraries a binary names in its dynamic section, as the loader resolves them.
fn linked(bin: &str) -> String {
    let out = Command::new("ldd").arg(bin).output().unwrap();
    assert!(out.status.success(), "ldd {bin}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn front_binary_does_not_link_gdal() {
    // `zhishen` runs inspect without GDAL's ~30 ms start-up; `zhishen-all` has it.
    let front = linked(env!("CARGO_BIN_EXE_zhishen"));
    let all = linked(env!("CARGO_BIN_EXE_zhishen-all"));
    assert!(all.contains("libgdal"), "{all}");
    assert!(!front.contains("libgdal"), "{front}");
    assert!(front.lines().count() < 10, "{front}");
    // Both answer `inspect` with the same JSON.
    let f = dataset("IfcOpenHouse_IfcOpenShell_IFC4.ifc");
    let json = |b: &str| {
        let out = Command::new(b)
            .args(["inspect", "--json"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(
        json(env!("CARGO_BIN_EXE_zhishen")),
        json(env!("CARGO_BIN_EXE_zhishen-all"))
    );
}

#[test]
fn front_binary_hands_other_commands_over_and_says_when_it_cannot() {
    // Through the hand-over, `calendar` answers as zhishen-all does.
    let out = bin().args(["calendar", "--help"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: zhishen calendar"));
    // Alone, without zhishen-all beside it: a clear error, not a hang or a panic.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("zhishen");
    std::fs::copy(env!("CARGO_BIN_EXE_zhishen"), &lone).unwrap();
    let out = Command::new(&lone)
        .args(["calendar", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("zhishen-all"), "{err}");
    // The IFC-only commands still run alone.
    let out = Command::new(&lone)
        .args(["inspect", "--json"])
        .arg(dataset("IfcOpenHouse_IfcOpenShell_IFC4.ifc"))
        .output()
        .unwrap();
    assert!(out.status.success());
}
