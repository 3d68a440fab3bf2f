//! The browser side (wasm32): `Viewer`, the wasm-bindgen API that `viewer/twin.js`
//! drives. It owns the canvas surface and the same `Renderer` the snapshots use;
//! the panels, links and pointer handling are plain DOM in the JS shell. WebGPU when
//! the browser has an adapter, else WebGL2 through wgpu's GL backend.

use crate::camera::Camera;
use crate::format::{Layer, TwinScene};
use crate::gpu::{FrameInput, FrameStats, Renderer};
use crate::index::SceneIndex;
use crate::view::ViewState;
use glam::Vec3;
use wasm_bindgen::prelude::*;

/// Frames a fly-to takes.
const FLIGHT_FRAMES: u32 = 12;

#[wasm_bindgen]
pub struct Viewer {
    scene: TwinScene,
    index: SceneIndex,
    view: ViewState,
    cam: Camera,
    flight: Option<(Camera, Camera, u32)>,
    section: Option<f32>,
    measure: Option<(Vec3, Vec3)>,
    dirty_states: bool,
    redraw: bool,
    size: (u32, u32),
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    device: wgpu::Device,
    queue: wgpu::Queue,
    renderer: Renderer,
    backend: &'static str,
    stats: FrameStats,
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&e.to_string()).into()
}

#[wasm_bindgen]
impl Viewer {
    /// Opens a twin GLB on a canvas. `force_webgl` skips WebGPU.
    pub async fn create(
        canvas: web_sys::HtmlCanvasElement,
        glb: Vec<u8>,
        force_webgl: bool,
    ) -> Result<Viewer, JsValue> {
        let scene = TwinScene::from_glb(&glb).map_err(js_err)?;
        let (w, h) = (canvas.width().max(1), canvas.height().max(1));
        let backends = if force_webgl {
            wgpu::Backends::GL
        } else {
            wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL
        };
        let desc = wgpu::InstanceDescriptor {
            backends,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        };
        let instance = wgpu::util::new_instance_with_webgpu_detection(desc).await;
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
            .map_err(js_err)?;
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                compatible_surface: Some(&surface),
                ..Default::default()
            })
            .await
            .map_err(js_err)?;
        let info = adapter.get_info();
        let backend = if info.backend == wgpu::Backend::BrowserWebGpu {
            "webgpu"
        } else {
            "webgl2"
        };
        let limits = if backend == "webgpu" {
            wgpu::Limits::downlevel_defaults()
        } else {
            wgpu::Limits::downlevel_webgl2_defaults()
        }
        .using_resolution(adapter.limits());
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("zhishen twin"),
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(js_err)?;
        let caps = surface.get_capabilities(&adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| js_err("the canvas offers no surface format"))?;
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: Default::default(),
            width: w,
            height: h,
            present_mode: wgpu::PresentMode::Fifo,
            desired_maximum_frame_latency: 2,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: vec![],
        };
        surface.configure(&device, &config);
        let renderer = Renderer::new(&device, &queue, format, &scene);
        let index = SceneIndex::new(&scene);
        let mut cam = Camera::overview(&index);
        cam.fit(&index.focus, w as f32 / h as f32);
        Ok(Viewer {
            scene,
            index,
            view: ViewState::default(),
            cam,
            flight: None,
            section: None,
            measure: None,
            dirty_states: true,
            redraw: true,
            size: (w, h),
            surface,
            config,
            device,
            queue,
            renderer,
            backend,
            stats: FrameStats::default(),
        })
    }

    pub fn backend(&self) -> String {
        self.backend.to_string()
    }

    pub fn needs_redraw(&self) -> bool {
        self.redraw || self.flight.is_some()
    }

    /// Draws one frame (and advances a fly-to). `false` when the canvas had no frame
    /// to give (resized or lost): ask again on the next animation frame.
    pub fn render(&mut self) -> Result<bool, JsValue> {
        if let Some((from, to, step)) = self.flight.take() {
            let step = step + 1;
            self.cam = from.lerp(&to, step as f32 / FLIGHT_FRAMES as f32);
            if step < FLIGHT_FRAMES {
                self.flight = Some((from, to, step));
            }
        }
        if self.dirty_states {
            let measure = crate::format::palette::EVIDENCE.map(|v| (v * 255.0).round() as u8);
            let (texels, rows) = self.view.texels(&self.scene, &[measure]);
            self.renderer.set_states(&self.queue, &texels, rows);
            self.dirty_states = false;
        }
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                self.redraw = true;
                return Ok(false);
            }
            _ => {
                self.redraw = true;
                return Ok(false);
            }
        };
        let view = frame.texture.create_view(&Default::default());
        self.stats = self.renderer.draw(
            &self.device,
            &self.queue,
            &view,
            self.size,
            &self.cam,
            FrameInput {
                section: self.section,
            },
        );
        self.queue.present(frame);
        self.redraw = false;
        Ok(true)
    }

    pub fn resize(&mut self, width: u32, height: u32) {
        let (w, h) = (width.max(1), height.max(1));
        if (w, h) != self.size {
            self.size = (w, h);
            self.config.width = w;
            self.config.height = h;
            self.surface.configure(&self.device, &self.config);
            self.redraw = true;
        }
    }

    pub fn orbit(&mut self, dx: f32, dy: f32) {
        self.flight = None;
        self.cam.orbit(dx, dy);
        self.redraw = true;
    }

    pub fn pan(&mut self, dx: f32, dy: f32) {
        self.flight = None;
        self.cam.pan(dx, dy, self.size.1 as f32);
        self.redraw = true;
    }

    pub fn zoom(&mut self, wheel: f32, _x: f32, _y: f32) {
        self.flight = None;
        self.cam.zoom(wheel);
        self.redraw = true;
    }

    pub fn set_plan(&mut self, on: bool) {
        self.flight = None;
        self.cam.set_plan(on);
        self.cam.fit(&self.index.focus, self.aspect());
        self.redraw = true;
    }

    pub fn fit_all(&mut self) {
        let mut to = self.cam;
        to.fit(&self.index.focus, self.aspect());
        self.fly(to);
    }

    pub fn fit_selection(&mut self) {
        if let Some(b) = self
            .view
            .selected
            .and_then(|i| self.index.node_boxes.get(i))
            .copied()
        {
            let mut to = self.cam;
            to.fit(&b.grown(0.2, 1.0), self.aspect());
            self.fly(to);
        }
    }

    /// The node under a pixel, or −1.
    pub fn pick(&self, x: f32, y: f32) -> i32 {
        self.hit(x, y).map_or(-1, |(i, _)| i as i32)
    }

    /// Site (E, N, Z) of the surface under a pixel; empty when nothing is there.
    pub fn pick_point(&self, x: f32, y: f32) -> Vec<f64> {
        self.hit(x, y)
            .map(|(_, p)| crate::format::to_site(self.scene.meta.origin, p.into()).to_vec())
            .unwrap_or_default()
    }

    pub fn select(&mut self, node: i32) {
        self.view.selected = usize::try_from(node)
            .ok()
            .filter(|&i| i < self.scene.nodes.len());
        self.dirty_states = true;
        self.redraw = true;
    }

    pub fn selection(&self) -> i32 {
        self.view.selected.map_or(-1, |i| i as i32)
    }

    pub fn select_global_id(&mut self, gid: &str) -> i32 {
        let i = self
            .scene
            .nodes
            .iter()
            .position(|n| n.info.global_id.as_deref() == Some(gid));
        self.select(i.map_or(-1, |i| i as i32));
        self.selection()
    }

    /// The node's `NodeInfo` as JSON (`null` for no such node).
    pub fn node_info(&self, node: i32) -> String {
        usize::try_from(node)
            .ok()
            .and_then(|i| self.scene.nodes.get(i))
            .and_then(|n| serde_json::to_string(&n.info).ok())
            .unwrap_or_else(|| "null".into())
    }

    /// The site coordinates (E, N, Z) of the centre of a node's box, for labels and
    /// tests (feed them to `project`): `[e, n, z]` or empty.
    pub fn node_center(&self, node: i32) -> Vec<f64> {
        usize::try_from(node)
            .ok()
            .and_then(|i| self.index.node_boxes.get(i))
            .filter(|b| !b.is_empty())
            .map(|b| crate::format::to_site(self.scene.meta.origin, b.center().into()).to_vec())
            .unwrap_or_default()
    }

    pub fn meta(&self) -> String {
        serde_json::to_string(&self.scene.meta).unwrap_or_else(|_| "null".into())
    }

    /// `[{name, zh, en, count}]` for the layers the scene has.
    pub fn layers(&self) -> String {
        let rows: Vec<serde_json::Value> = Layer::ALL
            .iter()
            .filter_map(|&l| {
                let count = self
                    .scene
                    .nodes
                    .iter()
                    .filter(|n| n.info.layer.unwrap_or(Layer::Building) == l)
                    .count();
                let (zh, en) = l.label();
                (count > 0).then(
                    || serde_json::json!({"name": l.as_str(), "zh": zh, "en": en, "count": count}),
                )
            })
            .collect();
        serde_json::Value::Array(rows).to_string()
    }

    pub fn set_layer(&mut self, name: &str, visible: bool) -> bool {
        let Some(l) = Layer::parse(name) else {
            return false;
        };
        if visible {
            self.view.hidden_layers.remove(&l);
        } else {
            self.view.hidden_layers.insert(l);
        }
        self.dirty_states = true;
        self.redraw = true;
        true
    }

    pub fn set_storey(&mut self, global_id: &str, isolate: bool) {
        self.view.storey = (!global_id.is_empty()).then(|| global_id.to_string());
        self.view.isolate = isolate;
        self.dirty_states = true;
        self.redraw = true;
    }

    pub fn set_xray(&mut self, on: bool) {
        self.view.xray = on;
        self.dirty_states = true;
        self.redraw = true;
    }

    /// A horizontal section at site elevation `height_m` (cuts what is above).
    pub fn set_section(&mut self, enabled: bool, height_m: f64) {
        self.section = enabled.then(|| (height_m - self.scene.meta.origin[2]) as f32);
        self.redraw = true;
    }

    /// Flies to finding `n` (1-based); false when there is no such finding.
    pub fn fly_to_finding(&mut self, n: usize) -> bool {
        match Camera::for_view(
            &self.index,
            &self.scene,
            crate::camera::ViewSpec::Finding(n),
            self.aspect(),
        ) {
            Some(mut to) => {
                to.radius = self.cam.radius;
                self.fly(to);
                true
            }
            None => false,
        }
    }

    pub fn camera_state(&self) -> String {
        self.flight.map_or(self.cam, |(_, to, _)| to).to_state()
    }

    pub fn set_camera_state(&mut self, s: &str) -> bool {
        match Camera::from_state(s, self.cam.radius) {
            Some(c) => {
                self.flight = None;
                self.cam = c;
                self.redraw = true;
                true
            }
            None => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn set_measure(&mut self, e1: f64, n1: f64, z1: f64, e2: f64, n2: f64, z2: f64) {
        let o = self.scene.meta.origin;
        let a = Vec3::from(crate::format::to_local(o, e1, n1, z1));
        let b = Vec3::from(crate::format::to_local(o, e2, n2, z2));
        self.measure = Some((a, b));
        self.renderer.set_measure(&self.device, self.measure);
        self.redraw = true;
    }

    pub fn clear_measure(&mut self) {
        self.measure = None;
        self.renderer.set_measure(&self.device, None);
        self.redraw = true;
    }

    /// Pixel position of a site point: `[x, y, on_screen (0/1)]`.
    pub fn project(&self, e: f64, n: f64, z: f64) -> Vec<f64> {
        let p = Vec3::from(crate::format::to_local(self.scene.meta.origin, e, n, z));
        let (x, y, on) = self.cam.project(p, self.size.0 as f32, self.size.1 as f32);
        vec![f64::from(x), f64::from(y), if on { 1.0 } else { 0.0 }]
    }

    pub fn stats(&self) -> String {
        serde_json::to_string(&self.stats).unwrap_or_default()
    }
}

impl Viewer {
    fn aspect(&self) -> f32 {
        self.size.0 as f32 / self.size.1.max(1) as f32
    }

    fn fly(&mut self, to: Camera) {
        self.flight = Some((self.cam, to, 0));
        self.redraw = true;
    }

    fn hit(&self, x: f32, y: f32) -> Option<(usize, Vec3)> {
        let ray = self.cam.ray(x, y, self.size.0 as f32, self.size.1 as f32);
        let view = &self.view;
        let scene = &self.scene;
        self.index
            .pick(scene, ray, &|i| view.visible(scene, i), self.section)
    }
}
