//! Native headless render tests: properties of the rendered image, tolerant of
//! driver differences (hue and position, not exact bytes). They run on whatever
//! adapter the machine has: lavapipe (Vulkan) or llvmpipe (GL), no GPU needed.

use glam::Vec3;
use zhishen_render::camera::{Camera, ViewSpec};
use zhishen_render::format::*;
use zhishen_render::index::SceneIndex;
use zhishen_render::snapshot::{Headless, Image};
use zhishen_render::view::ViewState;

fn box_mesh(min: [f32; 3], max: [f32; 3]) -> MeshData {
    let [a, b, c] = min;
    let [x, y, z] = max;
    let positions = vec![
        [a, b, c],
        [x, b, c],
        [x, b, z],
        [a, b, z],
        [a, y, c],
        [x, y, c],
        [x, y, z],
        [a, y, z],
    ];
    let indices = vec![
        0, 1, 2, 0, 2, 3, 4, 6, 5, 4, 7, 6, 0, 4, 5, 0, 5, 1, 1, 5, 6, 1, 6, 2, 2, 6, 7, 2, 7, 3,
        3, 7, 4, 3, 4, 0,
    ];
    MeshData { positions, indices }
}

fn node(mesh: usize, layer: Layer, mark: Mark, gid: &str) -> NodeData {
    NodeData {
        mesh,
        translation: [0.0; 3],
        info: NodeInfo {
            layer: Some(layer),
            global_id: Some(gid.into()),
            mark,
            findings: if mark == Mark::Fail { vec![1] } else { vec![] },
            ..Default::default()
        },
    }
}

/// A 20 × 10 m, 9 m high building 3 m from a road red line along z = 8 (south of
/// it), one wall failing the setback, the measured segment from the wall to the line.
fn setback_scene() -> TwinScene {
    let meshes = vec![
        box_mesh([-10.0, 0.0, -5.0], [10.0, 9.0, 0.0]), // main block
        box_mesh([-10.0, 0.0, 0.0], [10.0, 9.0, 5.0]),  // failing south wing
        box_mesh([-40.0, 0.02, 7.8], [40.0, 0.06, 8.2]), // red line ribbon
        box_mesh([2.0, 0.1, 5.0], [2.6, 0.14, 8.0]),    // measured segment
        box_mesh([-60.0, -0.1, -60.0], [60.0, 0.0, 60.0]), // ground
    ];
    let nodes = vec![
        node(0, Layer::Building, Mark::None, "MAIN"),
        node(1, Layer::Building, Mark::Fail, "WING"),
        node(2, Layer::RoadRedLine, Mark::None, "R1"),
        NodeData {
            info: NodeInfo {
                findings: vec![1],
                ..node(3, Layer::Evidence, Mark::Fail, "E1").info
            },
            ..node(3, Layer::Evidence, Mark::None, "")
        },
        node(4, Layer::Ground, Mark::None, "G"),
    ];
    let mut nodes = nodes;
    nodes[3].info.mark = Mark::None;
    TwinScene {
        meta: TwinMeta {
            schema: SCHEMA.into(),
            review: Some("1".into()),
            crs: "EPSG:4547".into(),
            origin: [500_000.0, 3_000_000.0, 0.0],
            parcel: None,
            storeys: vec![],
            findings: vec![FindingInfo {
                number: 1,
                check: "setback_road".into(),
                mark: Mark::Fail,
                title_zh: "道路退线".into(),
                title_en: "Road setback".into(),
                measured: Some(3.0),
                limit: Some(5.0),
                unit: "m".into(),
                explanation_zh: String::new(),
                explanation_en: String::new(),
                elements: vec!["WING".into()],
                focus: Some(Focus {
                    min: [-10.0, 0.0, 0.0],
                    max: [10.0, 9.0, 8.2],
                }),
                label_at: Some([2.3, 0.1, 6.5]),
            }],
        },
        meshes,
        nodes,
    }
}

fn close(px: [u8; 4], want: [f32; 4], tol: f32) -> bool {
    // Same hue within lighting: compare the colour directions and a minimum brightness.
    let p = Vec3::new(px[0] as f32, px[1] as f32, px[2] as f32) / 255.0;
    let w = Vec3::new(want[0], want[1], want[2]);
    p.length() > 0.2 && p.normalize().dot(w.normalize()) > 1.0 - tol
}

fn at(img: &Image, cam: &Camera, p: [f32; 3]) -> [u8; 4] {
    let (x, y, on) = cam.project(Vec3::from(p), img.width as f32, img.height as f32);
    assert!(on, "{p:?} is off screen");
    img.pixel(x.round() as u32, y.round() as u32)
}

#[test]
fn setback_snapshot_shows_violation_red_line_and_segment() {
    let gpu = Headless::new().expect("a Vulkan (lavapipe) or GL (llvmpipe) adapter");
    eprintln!("adapter: {}", gpu.adapter);
    let scene = setback_scene();
    let size = (640, 480);
    let img = gpu.render(&scene, ViewSpec::Finding(1), size).unwrap();
    std::fs::create_dir_all(env!("CARGO_TARGET_TMPDIR")).ok();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("setback-finding-1.png");
    std::fs::write(&out, img.to_png().unwrap()).unwrap();
    eprintln!("snapshot: {}", out.display());
    // The same scene as GLB, for trying the browser viewer by hand.
    let glb = out.with_file_name("setback.glb");
    std::fs::write(&glb, scene.to_glb().unwrap()).unwrap();
    let cam = Camera::for_view(
        &SceneIndex::new(&scene),
        &scene,
        ViewSpec::Finding(1),
        640.0 / 480.0,
    )
    .unwrap();
    assert!(cam.ortho, "a distance finding is shown from above");
    // The failing wing's roof, in the violation colour.
    assert!(
        close(at(&img, &cam, [-5.0, 9.0, 2.5]), palette::FAIL, 0.02),
        "wing {:?}",
        at(&img, &cam, [-5.0, 9.0, 2.5])
    );
    // The rest of the building is not.
    assert!(!close(
        at(&img, &cam, [-5.0, 9.0, -3.0]),
        palette::FAIL,
        0.05
    ));
    // The red line where the geometry says, away from the segment.
    assert!(
        close(at(&img, &cam, [-8.0, 0.06, 8.0]), palette::RED_LINE, 0.02),
        "red line {:?}",
        at(&img, &cam, [-8.0, 0.06, 8.0])
    );
    // The measured segment between the wing and the line.
    assert!(
        close(at(&img, &cam, [2.3, 0.14, 6.5]), palette::EVIDENCE, 0.02),
        "segment {:?}",
        at(&img, &cam, [2.3, 0.14, 6.5])
    );
    // Off the segment, between wing and line: ground, not evidence.
    assert!(!close(
        at(&img, &cam, [-4.0, 0.0, 6.5]),
        palette::EVIDENCE,
        0.05
    ));
}

#[test]
fn view_state_changes_what_is_drawn() {
    let gpu = Headless::new().unwrap();
    let scene = setback_scene();
    let index = SceneIndex::new(&scene);
    let cam = Camera::for_view(&index, &scene, ViewSpec::Plan, 1.0).unwrap();
    let roof = [-5.0, 9.0, 2.5];
    // Hiding the building layer shows the ground under the wing.
    let mut v = ViewState::default();
    v.hidden_layers.insert(Layer::Building);
    let img = gpu.render_camera(&scene, &cam, &v, (256, 256)).unwrap();
    assert!(
        close(at(&img, &cam, roof), palette::GROUND, 0.02),
        "{:?}",
        at(&img, &cam, roof)
    );
    // Selecting the wing draws it in the selection colour.
    let v = ViewState {
        selected: Some(1),
        ..Default::default()
    };
    let img = gpu.render_camera(&scene, &cam, &v, (256, 256)).unwrap();
    assert!(
        close(at(&img, &cam, roof), palette::SELECTED, 0.02),
        "{:?}",
        at(&img, &cam, roof)
    );
    // An axonometric view of the same scene differs from the plan.
    let axo = gpu.render(&scene, ViewSpec::Axo, (256, 256)).unwrap();
    assert_ne!(axo.rgba, img.rgba);
    assert!(
        gpu.render(&scene, ViewSpec::Finding(2), (256, 256))
            .is_err(),
        "no finding 2"
    );
}
