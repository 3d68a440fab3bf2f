//! Headless snapshots 快照 (native only): the same `Renderer` into an offscreen
//! texture on whatever adapter the machine has — Vulkan (lavapipe on a machine
//! without a GPU) or GL (llvmpipe through EGL) — read back and written as PNG. The
//! CLI's `zhishen render`, the HTML report and the BCF viewpoints use it.

use crate::camera::{Camera, ViewSpec};
use crate::format::TwinScene;
use crate::gpu::{FrameInput, Renderer};
use crate::index::SceneIndex;
use crate::view::ViewState;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no graphics adapter (Vulkan or GL); install mesa-vulkan-drivers or Mesa's EGL: {0}")]
    NoAdapter(String),
    #[error("graphics device: {0}")]
    Device(String),
    #[error("the scene has no finding {0}")]
    NoFinding(usize),
    #[error("snapshot size {0}×{1} is outside 16…4096")]
    Size(u32, u32),
    #[error("read-back: {0}")]
    Readback(String),
    #[error("PNG: {0}")]
    Png(String),
}

/// An RGBA8 image, rows top to bottom.
#[derive(Debug, Clone)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = 4 * (y as usize * self.width as usize + x as usize);
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    pub fn to_png(&self) -> Result<Vec<u8>, RenderError> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| RenderError::Png(e.to_string()))?;
        w.write_image_data(&self.rgba)
            .map_err(|e| RenderError::Png(e.to_string()))?;
        w.finish().map_err(|e| RenderError::Png(e.to_string()))?;
        Ok(out)
    }
}

/// What `Headless::frame_times` measured.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct FrameTimes {
    pub upload_ms: f64,
    pub first_ms: f64,
    pub mean_ms: f64,
    pub triangles: u64,
    pub draws: u32,
}

/// A headless device. Creating one costs ~0.1–0.3 s on a software adapter: reuse it.
pub struct Headless {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pub adapter: String,
}

impl Headless {
    /// Vulkan or GL (`WGPU_BACKEND` overrides), no surface.
    pub fn new() -> Result<Headless, RenderError> {
        let desc = wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN | wgpu::Backends::GL,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        }
        .with_env();
        let instance = wgpu::Instance::new(desc);
        let adapter =
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
                .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("zhishen snapshots"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(e.to_string()))?;
        tracing::debug!(adapter = %info.name, backend = ?info.backend, "snapshot device");
        Ok(Headless {
            device,
            queue,
            adapter: format!("{} ({:?})", info.name, info.backend),
        })
    }

    /// Renders a named view of a scene.
    pub fn render(
        &self,
        scene: &TwinScene,
        spec: ViewSpec,
        size: (u32, u32),
    ) -> Result<Image, RenderError> {
        let index = SceneIndex::new(scene);
        let cam = Camera::for_view(&index, scene, spec, size.0 as f32 / size.1.max(1) as f32)
            .ok_or(match spec {
                ViewSpec::Finding(n) => RenderError::NoFinding(n),
                _ => RenderError::NoFinding(0),
            })?;
        self.render_camera(scene, &cam, &ViewState::default(), size)
    }

    /// Renders a scene from a camera with a view state.
    pub fn render_camera(
        &self,
        scene: &TwinScene,
        cam: &Camera,
        view: &ViewState,
        size: (u32, u32),
    ) -> Result<Image, RenderError> {
        let (w, h) = size;
        if !(16..=4096).contains(&w) || !(16..=4096).contains(&h) {
            return Err(RenderError::Size(w, h));
        }
        let format = wgpu::TextureFormat::Rgba8Unorm;
        let mut r = Renderer::new(&self.device, &self.queue, format, scene);
        let (texels, rows) = view.texels(scene, &[[0; 4]]);
        r.set_states(&self.queue, &texels, rows);
        let target = crate::gpu::texture_2d(
            &self.device,
            "snapshot",
            (w, h),
            format,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        );
        let view_tex = target.create_view(&Default::default());
        let section = None;
        r.draw(
            &self.device,
            &self.queue,
            &view_tex,
            (w, h),
            cam,
            FrameInput { section },
        );
        self.read_back(&target, w, h)
    }

    /// Frame times for the benchmark: upload, first frame and the mean of `frames`
    /// more, each waited for on the device (what a user waits for, not the submit).
    pub fn frame_times(
        &self,
        scene: &TwinScene,
        cam: &Camera,
        size: (u32, u32),
        frames: u32,
    ) -> FrameTimes {
        let format = wgpu::TextureFormat::Rgba8Unorm;
        let wait = || {
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        };
        let t0 = std::time::Instant::now();
        let mut r = Renderer::new(&self.device, &self.queue, format, scene);
        let (texels, rows) = ViewState::default().texels(scene, &[[0; 4]]);
        r.set_states(&self.queue, &texels, rows);
        wait();
        let upload = t0.elapsed();
        let target = crate::gpu::texture_2d(
            &self.device,
            "bench",
            size,
            format,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        let view = target.create_view(&Default::default());
        let mut frame = || {
            let stats = r.draw(
                &self.device,
                &self.queue,
                &view,
                size,
                cam,
                FrameInput::default(),
            );
            wait();
            stats
        };
        let t1 = std::time::Instant::now();
        let stats = frame();
        let first = t1.elapsed();
        let t2 = std::time::Instant::now();
        for _ in 0..frames {
            frame();
        }
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        FrameTimes {
            upload_ms: ms(upload),
            first_ms: ms(first),
            mean_ms: ms(t2.elapsed()) / f64::from(frames.max(1)),
            triangles: stats.triangles,
            draws: stats.draws,
        }
    }

    fn read_back(&self, target: &wgpu::Texture, w: u32, h: u32) -> Result<Image, RenderError> {
        let row = (w * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("snapshot read-back"),
            size: u64::from(row) * u64::from(h),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: target,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &buf,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row),
                    rows_per_image: Some(h),
                },
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        buf.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        rx.recv()
            .map_err(|e| RenderError::Readback(e.to_string()))?
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let data = buf
            .get_mapped_range(..)
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h as usize {
            let start = y * row as usize;
            rgba.extend_from_slice(&data[start..start + (w * 4) as usize]);
        }
        drop(data);
        buf.unmap();
        Ok(Image {
            width: w,
            height: h,
            rgba,
        })
    }
}
