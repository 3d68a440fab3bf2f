//! The digital twin in a real browser: chromium renders the twin of a finished review on
//! WebGPU (SwiftShader's Vulkan, no GPU needed) and, with `?webgl=1`, on WebGL2 (ANGLE on
//! SwiftShader). A review of the demo district's P7 (the house as submitted, crossing the
//! east boundary of DK-05-4, `datasets/district/buildings.toml`; it meets the item's IDS)
//! is run through the API, so the twin has a building, its site and at least one finding.
//!
//! What must hold: the canvas shows the building where the renderer projects it (a pixel
//! read back differs from the clear colour there); a click on an element's projected
//! centre selects it and the property panel names its GlobalId; a click on a finding
//! flies the camera to it (its label point ends near the centre); a copied link restores
//! the view; the WebGL2 fallback draws too. Software rendering is slow: every wait polls
//! with a generous timeout, never a fixed sleep.
//!
//! Needs the built viewer (`make viewer`: `viewer/pkg/`).

use super::{one_browser_at_a_time, prepare, root, Browser, ChromeDriver, People, ITEM};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::Locator;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// WebGPU and WebGL on SwiftShader in headless chromium (each flag is needed).
const GPU_ARGS: &[&str] = &[
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-vulkan=swiftshader",
    "--use-angle=swiftshader",
];

/// Software rendering of the first frame (shader compilation included) takes a while.
const READY_SECS: u64 = 90;

/// The planning permit of a prepared case reviewed on the demo district's P7 placement
/// (the house as submitted, crossing the east boundary of DK-05-4).
/// Returns (case, job).
fn reviewed(a: SocketAddr, p: &People, case: &str) -> i64 {
    let ok = |r: crate::service::Resp| assert_eq!(r.status, 200, "{}", r.body);
    ok(p.applicant.command(
        a,
        case,
        json!({"type": "submit", "item": ITEM, "materials": ["SQB", "ZPT", "BIM", "DZBG"]}),
    ));
    ok(p.clerk
        .command(a, case, json!({"type": "accept", "item": ITEM})));
    ok(p.reviewer
        .command(a, case, json!({"type": "start_processing", "item": ITEM})));
    let ifc = std::fs::read(root().join("datasets/submission/AC20-FZK-Haus_georef-EPSG4547.ifc"))
        .unwrap();
    let r = p.applicant.post_raw(
        a,
        &format!(
            "/api/cases/{case}/items/{ITEM}/model?parcel=DK-05-4&place=528614.5,3386425,0&use=%E4%BD%8F%E5%AE%85"
        ),
        &ifc,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let job = r.json()["job_id"].as_i64().unwrap();
    // The server-sent events end when the job is done or failed.
    let sse = p.reviewer.get(a, &format!("/api/jobs/{job}/events"));
    assert!(sse.body.contains("\"status\":\"done\""), "{}", sse.body);
    job
}

/// One script's answer.
async fn js(b: &Browser, script: &str, args: Vec<Value>) -> Value {
    match b.c.execute(script, args).await {
        Ok(v) => v,
        Err(e) => {
            b.fail(&format!("script failed: {e}\n{script}")).await;
            unreachable!()
        }
    }
}

/// Waits for the first frame; returns the backend. A creation error ends the test.
async fn wait_ready(b: &Browser) -> String {
    let deadline = Instant::now() + Duration::from_secs(READY_SECS);
    let probe = "const d = document.body.dataset; \
                 return [d.twinReady || '', d.twinError || '', d.twinBackend || ''];";
    loop {
        let v = js(b, probe, vec![]).await;
        let s = |i: usize| v[i].as_str().unwrap_or_default().to_string();
        if !s(1).is_empty() {
            b.fail(&format!("the twin failed: {}", s(1))).await;
        }
        if s(0) == "1" {
            return s(2);
        }
        if Instant::now() > deadline {
            b.fail(&format!("no first frame within {READY_SECS} s"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until no fly-to runs and nothing waits to be drawn.
async fn wait_still(b: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while js(b, "return window.zhishenTwin.needs_redraw();", vec![]).await == json!(true) {
        if Instant::now() > deadline {
            b.fail("the view kept changing for 60 s").await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The canvas's backing size (device px) and its device pixel ratio.
async fn canvas_size(b: &Browser) -> (f64, f64, f64) {
    let v = js(
        b,
        "const c = document.getElementById('twin-canvas'); \
         return [c.width, c.height, c.width / c.getBoundingClientRect().width];",
        vec![],
    )
    .await;
    (
        v[0].as_f64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2].as_f64().unwrap(),
    )
}

/// A building element whose box centre is on screen and is what a click there (and a few
/// pixels around) hits:
/// (node, GlobalId, device x, device y).
/// Otherwise a string saying what the first elements' centres gave.
const BUILDING_NODE: &str = r#"
const v = window.zhishenTwin;
const seen = [];
for (let n = 0; ; n++) {
  const info = JSON.parse(v.node_info(n));
  if (info === null) return `none of ${n} nodes: ${JSON.stringify(seen)}`;
  if (info.layer !== 'building' || !info.global_id) continue;
  const c = v.node_center(n);
  if (c.length !== 3) continue;
  const [x, y, on] = v.project(c[0], c[1], c[2]);
  const hit = v.pick(x, y);
  // Hit there and around it, so a click a pixel or two off (rounding) hits it too.
  const around = [-3, 0, 3].every(dx => [-3, 0, 3].every(dy => v.pick(x + dx, y + dy) === n));
  if (on === 1 && hit === n && around) return [n, info.global_id, x, y];
  if (seen.length < 3) seen.push({n, c: Array.from(c), p: [x, y, on], hit, what: v.node_info(hit)});
}"#;

/// The RGBA of the canvas at device pixel (x, y) with only `visible` layers shown (those
/// the layer panel shows when null), drawn and read in one task so the frame is still
/// there to read; then the panel's layers are drawn again.
const PIXEL: &str = r#"
const [x, y, visible] = arguments;
const v = window.zhishenTwin;
const shown = (name) => document.querySelector(`input[data-layer="${name}"]`).checked;
for (const l of JSON.parse(v.layers())) v.set_layer(l.name, visible === null ? shown(l.name) : visible.includes(l.name));
v.render();
const k = document.createElement('canvas');
k.width = 1; k.height = 1;
const g = k.getContext('2d');
g.drawImage(document.getElementById('twin-canvas'), Math.round(x), Math.round(y), 1, 1, 0, 0, 1, 1);
const px = Array.from(g.getImageData(0, 0, 1, 1).data);
for (const l of JSON.parse(v.layers())) v.set_layer(l.name, shown(l.name));
v.render();
return px;"#;

async fn pixel(b: &Browser, x: f64, y: f64, visible: Value) -> Vec<u64> {
    let v = js(b, PIXEL, vec![json!(x), json!(y), visible]).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect()
}

/// (a) and (d): the building is drawn where the renderer projects it. Returns the node
/// found: (node, GlobalId, device x, device y).
async fn building_is_drawn(b: &Browser) -> (i64, String, f64, f64) {
    // The height-limit zone is a translucent volume over the building and takes the
    // clicks: switch it off in the layer panel, as a user would.
    let zone = "input[data-layer='height_zone']";
    if b.c.find(Locator::Css(zone)).await.is_ok() {
        b.click(zone).await;
    }
    let found = js(b, BUILDING_NODE, vec![]).await;
    if let Some(why) = found.as_str() {
        let size = canvas_size(b).await;
        b.fail(&format!(
            "no building element is on screen at the start: {why}; canvas {size:?}"
        ))
        .await;
    }
    let (n, gid) = (
        found[0].as_i64().unwrap(),
        found[1].as_str().unwrap().to_string(),
    );
    let (x, y) = (found[2].as_f64().unwrap(), found[3].as_f64().unwrap());
    let clear = pixel(b, x, y, json!([])).await;
    let all = pixel(b, x, y, Value::Null).await;
    let layers = js(
        b,
        "return Array.from(document.querySelectorAll('input[data-layer]:checked'), i => i.dataset.layer);",
        vec![],
    )
    .await;
    let others: Vec<Value> = layers
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| *l != "building")
        .cloned()
        .collect();
    let without = pixel(b, x, y, Value::Array(others)).await;
    assert_ne!(
        all, clear,
        "the building at ({x:.0}, {y:.0}) is drawn, not the clear colour"
    );
    assert_ne!(
        all, without,
        "what is drawn at ({x:.0}, {y:.0}) is the building"
    );
    (n, gid, x, y)
}

/// A left click at device pixel (x, y) of the canvas, as a user makes it.
async fn click_canvas(b: &Browser, x: f64, y: f64) {
    let (w, h, dpr) = canvas_size(b).await;
    let canvas = b.c.find(Locator::Id("twin-canvas")).await.unwrap();
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: canvas,
            duration: None,
            x: ((x - w / 2.0) / dpr).round(),
            y: ((y - h / 2.0) / dpr).round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    b.c.perform_actions(mouse).await.unwrap();
}

/// (b): clicking an element's projected centre selects it and names it in the panel.
async fn click_selects(b: &Browser, n: i64, gid: &str, x: f64, y: f64) {
    click_canvas(b, x, y).await;
    b.wait_text("#prop-gid", gid, 30).await;
    let sel = js(b, "return window.zhishenTwin.selection();", vec![]).await;
    assert_eq!(sel, json!(n), "the clicked element is selected");
    let hash = js(b, "return location.hash;", vec![]).await;
    assert!(
        hash.as_str()
            .unwrap()
            .contains(&format!("sel={}", urlencoded(gid))),
        "the selection is in the link: {hash}"
    );
}

/// Measure mode: two clicks on the model read out their distance in metres to 0.01.
async fn measure_reads_metres(b: &Browser, x: f64, y: f64) {
    let (w, h, _) = canvas_size(b).await;
    let (x2, y2) = (x + 0.15 * w, y + 0.05 * h);
    let expected = js(
        b,
        "const v = window.zhishenTwin;          const [a, c] = [v.pick_point(arguments[0], arguments[1]), v.pick_point(arguments[2], arguments[3])];          return a.length === 3 && c.length === 3 ? Math.hypot(a[0] - c[0], a[1] - c[1], a[2] - c[2]) : null;",
        vec![json!(x), json!(y), json!(x2), json!(y2)],
    )
    .await;
    let Some(expected) = expected.as_f64() else {
        b.fail("the second measure point hits nothing").await;
        return;
    };
    b.click("#twin-measure").await;
    click_canvas(b, x, y).await;
    click_canvas(b, x2, y2).await;
    let text = b.wait_text("#twin-distance", " m", 30).await;
    let shown: f64 = text.split(' ').next().unwrap().parse().unwrap();
    assert!(
        text.split(' ')
            .next()
            .unwrap()
            .split('.')
            .nth(1)
            .map(str::len)
            == Some(2),
        "metres to 0.01: {text}"
    );
    // A click lands within a pixel of the point asked for (on ground seen at a grazing
    // angle a pixel is tens of centimetres).
    assert!(
        (shown - expected).abs() < 0.05 + 0.02 * expected,
        "measured {shown} m, the two points are {expected:.2} m apart"
    );
    b.click("#twin-measure").await;
    assert_eq!(b.text_of("#twin-distance").await.unwrap_or_default(), "");
}

fn urlencoded(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_string()
}

/// The site point to pin finding `n` to: its label point, else its focus box's centre.
const FINDING_POINT: &str = r#"
const v = window.zhishenTwin;
const m = JSON.parse(v.meta());
const f = m.findings.find(f => f.number === arguments[0]);
const p = f.label_at || f.focus.min.map((a, i) => (a + f.focus.max[i]) / 2);
const site = [m.origin[0] + p[0], m.origin[1] - p[2], m.origin[2] + p[1]];
return [site, Array.from(v.project(site[0], site[1], site[2])), v.camera_state()];"#;

/// (c): a click on finding 1 flies the camera to it. Returns the camera after the flight.
async fn finding_flies(b: &Browser) -> String {
    let before = js(b, FINDING_POINT, vec![json!(1)]).await;
    b.click("#twin-findings button[data-n='1']").await;
    wait_still(b).await;
    let after = js(b, FINDING_POINT, vec![json!(1)]).await;
    let cam = after[2].as_str().unwrap().to_string();
    assert_ne!(before[2], after[2], "the camera moved");
    let (w, h, _) = canvas_size(b).await;
    let p = &after[1];
    let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert_eq!(p[2].as_f64(), Some(1.0), "the finding is on screen: {p}");
    assert!(
        (x - w / 2.0).abs() < 0.2 * w && (y - h / 2.0).abs() < 0.2 * h,
        "the finding's point at ({x:.0}, {y:.0}) is near the centre of {w}×{h}"
    );
    let current =
        b.c.find(Locator::Css("#twin-findings button[aria-current='true']"))
            .await
            .unwrap();
    assert_eq!(current.attr("data-n").await.unwrap().as_deref(), Some("1"));
    cam
}

/// A copied link opens the same view: camera, selection and finding.
async fn link_restores(b: &Browser, gid: &str) {
    b.click("#twin-copy").await;
    let input = b.c.find(Locator::Id("twin-link")).await.unwrap();
    let url = input.prop("value").await.unwrap().unwrap_or_default();
    assert!(url.contains("#cam=") && url.contains("&f=1"), "{url}");
    let before = js(b, FINDING_POINT, vec![json!(1)]).await;
    // Another page first, so the link is a fresh load and not a fragment change.
    b.goto("/").await;
    b.goto(&url).await;
    wait_ready(b).await;
    wait_still(b).await;
    b.wait_text("#prop-gid", gid, 30).await;
    let after = js(b, FINDING_POINT, vec![json!(1)]).await;
    for k in 0..2 {
        let (p, q) = (
            before[1][k].as_f64().unwrap(),
            after[1][k].as_f64().unwrap(),
        );
        assert!(
            (p - q).abs() < 2.0,
            "the view is restored: {before} vs {after}"
        );
    }
    let current =
        b.c.find(Locator::Css("#twin-findings button[aria-current='true']"))
            .await;
    assert!(current.is_ok(), "finding 1 is marked after the link");
}

/// Screenshots under `$ZHISHEN_ARTEFACTS/twin` (or the test target dir's), emptied first.
fn shots_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("ZHISHEN_ARTEFACTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots")
        })
        .join("twin");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    println!("twin screenshots: {}", dir.display());
    dir
}

#[test]
fn the_twin_in_chromium_draws_picks_flies_and_falls_back_to_webgl2() {
    let built = root().join("viewer/pkg/zhishen_render_bg.wasm");
    assert!(
        built.is_file(),
        "the twin viewer is not built: run `make viewer` ({} missing)",
        built.display()
    );
    let began = Instant::now();
    let svc = crate::service::start(64 << 20);
    let a = svc.addr;
    let (case, people) = prepare(a);
    let job = reviewed(a, &people, &case);
    let findings = people.reviewer.get(a, &format!("/cases/{case}"));
    assert!(
        findings.body.contains(&format!("href=\"/twin/{job}#f=1\"")),
        "the case page links finding 1 in the twin"
    );
    let _one = one_browser_at_a_time();
    let shots = shots_dir();
    let profile = tempfile::tempdir().unwrap();
    let driver = ChromeDriver::start(&shots.join("chromedriver.log"));
    let session = people.reviewer.cookie.clone();

    svc.rt.block_on(async {
        let base = format!("http://{a}");
        let mut b = Browser::open_with(&driver, profile.path(), base, shots, GPU_ARGS).await;
        // The reviewer's API session, as a browser cookie.
        b.goto("/login").await;
        // SameSite must be given: WebDriver reads a missing one as None, which needs Secure.
        let cookie = fantoccini::cookies::Cookie::parse(format!(
            "{session}; Path=/; Domain={}; SameSite=Strict; HttpOnly",
            a.ip()
        ))
        .unwrap();
        b.c.add_cookie(cookie).await.unwrap();

        // (a) WebGPU: the building is drawn where it is projected.
        b.goto(&format!("/twin/{job}")).await;
        let backend = wait_ready(&b).await;
        assert_eq!(backend, "webgpu", "WebGPU on SwiftShader");
        let (n, gid, x, y) = building_is_drawn(&b).await;
        b.shot("twin-webgpu").await;

        // (b) a click on the element's projected centre selects it.
        click_selects(&b, n, &gid, x, y).await;
        b.shot("twin-selected").await;
        measure_reads_metres(&b, x, y).await;
        b.shot("twin-measured").await;

        // (c) a finding flies the camera to itself; the copied link restores the view.
        finding_flies(&b).await;
        b.shot("twin-finding").await;
        link_restores(&b, &gid).await;

        // (d) the WebGL2 fallback draws the same building.
        b.goto(&format!("/twin/{job}?webgl=1")).await;
        let backend = wait_ready(&b).await;
        assert_eq!(backend, "webgl2", "?webgl=1 forces WebGL2");
        building_is_drawn(&b).await;
        b.shot("twin-webgl2").await;

        let stats = js(&b, "return window.zhishenTwin.stats();", vec![]).await;
        b.c.close().await.unwrap();
        println!(
            "twin in chromium: {stats}, {:.1} s in all",
            began.elapsed().as_secs_f64()
        );
    });
    drop(driver);
}
