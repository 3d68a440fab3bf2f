//! The one wgpu renderer of the twin, used by the browser viewer and the native
//! snapshots alike: the caller owns the device and the target texture (a canvas
//! surface or an offscreen texture); this module owns the pipelines, the geometry and
//! the per-node state texture.
//!
//! Geometry is uploaded once. Meshes used by one node are merged into batches by
//! (layer, storey, class), each vertex carrying its node; meshes shared by several
//! nodes are drawn instanced. Every draw has a box, tested against the view frustum
//! each frame. Two passes: opaque (depth written) and translucent (blended).

use crate::camera::Camera;
use crate::format::{Layer, TwinScene};
use crate::index::Aabb;
use crate::view::STATE_WIDTH;
use glam::{Mat4, Vec3, Vec4};
use std::collections::BTreeMap;
use wgpu::util::DeviceExt;

const SHADER: &str = include_str!("../../../shaders/scene.wgsl");
/// The shader's "take the node from the vertex" instance marker.
const FROM_VERTEX: u32 = u32::MAX;
/// Vertices per merged batch (16 bytes each): well under WebGL2's buffer limits.
const BATCH_VERTICES: usize = 2_000_000;
pub const DEPTH: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// The background: a pale sky, never a palette colour.
pub const CLEAR: [f64; 4] = [0.93, 0.95, 0.97, 1.0];

struct Draw {
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    index_count: u32,
    /// `None`: the shared one-instance buffer (node from the vertex).
    instances: Option<wgpu::Buffer>,
    instance_count: u32,
    bbox: Aabb,
}

/// What one frame drew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FrameStats {
    pub triangles: u64,
    pub draws: u32,
    pub culled: u32,
}

/// Section plane and the other per-frame inputs besides the camera.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameInput {
    /// Section height in local y (cuts everything above).
    pub section: Option<f32>,
}

pub struct Renderer {
    opaque: wgpu::RenderPipeline,
    translucent: wgpu::RenderPipeline,
    frame_buf: wgpu::Buffer,
    bind: wgpu::BindGroup,
    state_tex: wgpu::Texture,
    state_rows: u32,
    draws: Vec<Draw>,
    unit_instance: wgpu::Buffer,
    measure: Option<Draw>,
    depth: Option<(wgpu::TextureView, u32, u32)>,
    /// The node slot of the measuring segment (one past the scene's nodes).
    pub measure_slot: u32,
}

/// CPU-side batch under construction.
#[derive(Default)]
struct Batch {
    vertices: Vec<u32>,
    indices: Vec<u32>,
    bbox: Option<Aabb>,
}

fn push_vertex(out: &mut Vec<u32>, p: [f32; 3], node: u32) {
    out.extend_from_slice(&[p[0].to_bits(), p[1].to_bits(), p[2].to_bits(), node]);
}

fn bbox_of(points: impl Iterator<Item = Vec3>) -> Aabb {
    points.fold(Aabb::empty(), |b, p| b.union(&Aabb::new(p, p)))
}

impl Renderer {
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
        scene: &TwinScene,
    ) -> Renderer {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("twin scene"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = frame_layout(device);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("twin"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let opaque = pipeline(device, &module, &pipeline_layout, format, false);
        let translucent = pipeline(device, &module, &pipeline_layout, format, true);
        let frame_buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("twin frame"),
            size: 96,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let measure_slot = scene.nodes.len() as u32;
        let state_rows = (measure_slot + 1).div_ceil(STATE_WIDTH).max(1);
        let state_tex = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("twin node state"),
            size: wgpu::Extent3d {
                width: STATE_WIDTH,
                height: state_rows,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("twin frame"),
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: frame_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(
                        &state_tex.create_view(&Default::default()),
                    ),
                },
            ],
        });
        let unit_instance = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("twin unit instance"),
            contents: bytemuck::cast_slice(&[
                0f32.to_bits(),
                0f32.to_bits(),
                0f32.to_bits(),
                FROM_VERTEX,
            ]),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let draws = upload(device, scene);
        let _ = queue;
        Renderer {
            opaque,
            translucent,
            frame_buf,
            bind,
            state_tex,
            state_rows,
            draws,
            unit_instance,
            measure: None,
            depth: None,
            measure_slot,
        }
    }

    /// Uploads the per-node state texels (`ViewState::texels`).
    pub fn set_states(&self, queue: &wgpu::Queue, texels: &[u8], rows: u32) {
        let rows = rows.min(self.state_rows);
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &self.state_tex,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            &texels[..(rows * STATE_WIDTH * 4) as usize],
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(STATE_WIDTH * 4),
                rows_per_image: Some(rows),
            },
            wgpu::Extent3d {
                width: STATE_WIDTH,
                height: rows,
                depth_or_array_layers: 1,
            },
        );
    }

    /// The measuring segment between two local points, drawn as a thin cross-shaped
    /// beam so it reads from every side; `None` removes it.
    pub fn set_measure(&mut self, device: &wgpu::Device, seg: Option<(Vec3, Vec3)>) {
        self.measure = seg.map(|(a, b)| {
            let (verts, idx) = beam(a, b, 0.08, self.measure_slot);
            Draw {
                vertices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("twin measure"),
                    contents: bytemuck::cast_slice(&verts),
                    usage: wgpu::BufferUsages::VERTEX,
                }),
                indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("twin measure"),
                    contents: bytemuck::cast_slice(&idx),
                    usage: wgpu::BufferUsages::INDEX,
                }),
                index_count: idx.len() as u32,
                instances: None,
                instance_count: 1,
                bbox: Aabb::new(a.min(b), a.max(b)).grown(0.0, 0.1),
            }
        });
    }

    fn depth_view(&mut self, device: &wgpu::Device, w: u32, h: u32) -> &wgpu::TextureView {
        if !matches!(&self.depth, Some((_, dw, dh)) if *dw == w && *dh == h) {
            let tex = texture_2d(
                device,
                "twin depth",
                (w, h),
                DEPTH,
                wgpu::TextureUsages::RENDER_ATTACHMENT,
            );
            self.depth = Some((tex.create_view(&Default::default()), w, h));
        }
        &self.depth.as_ref().expect("depth set above").0
    }

    /// Draws one frame into `target` (`w`×`h` pixels).
    pub fn draw(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target: &wgpu::TextureView,
        size: (u32, u32),
        cam: &Camera,
        input: FrameInput,
    ) -> FrameStats {
        let (w, h) = (size.0.max(1), size.1.max(1));
        self.depth_view(device, w, h);
        let vp = cam.view_proj(w as f32 / h as f32);
        let eye = if cam.ortho {
            cam.eye() - cam.target
        } else {
            cam.eye()
        };
        let mut uniform = vp.to_cols_array().to_vec();
        uniform.extend_from_slice(&[eye.x, eye.y, eye.z, if cam.ortho { 1.0 } else { 0.0 }]);
        uniform.extend_from_slice(&[
            input.section.unwrap_or(0.0),
            if input.section.is_some() { 1.0 } else { 0.0 },
            0.0,
            0.0,
        ]);
        queue.write_buffer(&self.frame_buf, 0, bytemuck::cast_slice(&uniform));
        let planes = frustum(&vp);
        let visible: Vec<&Draw> = self
            .draws
            .iter()
            .chain(self.measure.as_ref())
            .filter(|d| inside(&planes, &d.bbox))
            .collect();
        let stats = FrameStats {
            triangles: visible
                .iter()
                .map(|d| u64::from(d.index_count / 3) * u64::from(d.instance_count))
                .sum(),
            draws: visible.len() as u32,
            culled: (self.draws.len() + usize::from(self.measure.is_some()) - visible.len()) as u32,
        };
        let depth = &self.depth.as_ref().expect("depth set above").0;
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("twin frame"),
        });
        {
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("twin"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color {
                            r: CLEAR[0],
                            g: CLEAR[1],
                            b: CLEAR[2],
                            a: CLEAR[3],
                        }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: depth,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(0.0),
                        store: wgpu::StoreOp::Store,
                    }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_bind_group(0, &self.bind, &[]);
            for pipe in [&self.opaque, &self.translucent] {
                pass.set_pipeline(pipe);
                for d in &visible {
                    pass.set_vertex_buffer(0, d.vertices.slice(..));
                    pass.set_vertex_buffer(
                        1,
                        d.instances
                            .as_ref()
                            .unwrap_or(&self.unit_instance)
                            .slice(..),
                    );
                    pass.set_index_buffer(d.indices.slice(..), wgpu::IndexFormat::Uint32);
                    pass.draw_indexed(0..d.index_count, 0, 0..d.instance_count);
                }
            }
        }
        queue.submit([enc.finish()]);
        stats
    }
}

/// A single-level 2-D texture.
pub(crate) fn texture_2d(
    device: &wgpu::Device,
    label: &str,
    (width, height): (u32, u32),
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// The frame's bindings: the uniforms (camera, section) and the node state texture,
/// read in the vertex shader.
fn frame_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("twin frame"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::VERTEX,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            },
        ],
    })
}

fn pipeline(
    device: &wgpu::Device,
    module: &wgpu::ShaderModule,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
    translucent: bool,
) -> wgpu::RenderPipeline {
    let attrs0 = wgpu::vertex_attr_array![0 => Float32x3, 1 => Uint32];
    let attrs1 = wgpu::vertex_attr_array![2 => Float32x3, 3 => Uint32];
    let buffers = [
        Some(wgpu::VertexBufferLayout {
            array_stride: 16,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &attrs0,
        }),
        Some(wgpu::VertexBufferLayout {
            array_stride: 16,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &attrs1,
        }),
    ];
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(if translucent {
            "twin translucent"
        } else {
            "twin opaque"
        }),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &buffers,
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleList,
            cull_mode: None,
            ..Default::default()
        },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH,
            depth_write_enabled: Some(!translucent),
            // Reversed depth (camera.rs): nearer is greater.
            depth_compare: Some(if translucent {
                wgpu::CompareFunction::GreaterEqual
            } else {
                wgpu::CompareFunction::Greater
            }),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(if translucent {
                "fs_translucent"
            } else {
                "fs_opaque"
            }),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: translucent.then_some(wgpu::BlendState::ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Merges single-use meshes into batches and uploads them; shared meshes become
/// instanced draws.
fn upload(device: &wgpu::Device, scene: &TwinScene) -> Vec<Draw> {
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); scene.meshes.len()];
    for (i, n) in scene.nodes.iter().enumerate() {
        if let Some(u) = users.get_mut(n.mesh) {
            u.push(i as u32);
        }
    }
    let mut batches: BTreeMap<(Layer, String, String), Vec<Batch>> = BTreeMap::new();
    let mut draws = Vec::new();
    for (m, nodes) in users.iter().enumerate() {
        let mesh = &scene.meshes[m];
        if mesh.indices.is_empty() {
            continue;
        }
        if nodes.len() == 1 {
            let n = &scene.nodes[nodes[0] as usize];
            let key = (
                n.info.layer.unwrap_or(Layer::Building),
                n.info.storey.clone().unwrap_or_default(),
                n.info.class.clone().unwrap_or_default(),
            );
            let list = batches.entry(key).or_default();
            if list
                .last()
                .is_none_or(|b| b.vertices.len() / 4 + mesh.positions.len() > BATCH_VERTICES)
            {
                list.push(Batch::default());
            }
            let b = list.last_mut().expect("pushed above");
            let base = (b.vertices.len() / 4) as u32;
            let t = Vec3::from(n.translation);
            for p in &mesh.positions {
                push_vertex(&mut b.vertices, (Vec3::from(*p) + t).into(), nodes[0]);
            }
            b.indices.extend(mesh.indices.iter().map(|k| k + base));
            let mb = bbox_of(mesh.positions.iter().map(|p| Vec3::from(*p) + t));
            b.bbox = Some(b.bbox.map_or(mb, |x| x.union(&mb)));
        } else {
            let mut verts = Vec::with_capacity(mesh.positions.len() * 4);
            for p in &mesh.positions {
                push_vertex(&mut verts, *p, 0);
            }
            let mut inst = Vec::with_capacity(nodes.len() * 4);
            let mb = bbox_of(mesh.positions.iter().map(|p| Vec3::from(*p)));
            let mut bbox = Aabb::empty();
            for &i in nodes {
                let t = scene.nodes[i as usize].translation;
                push_vertex(&mut inst, t, i);
                let t = Vec3::from(t);
                bbox = bbox.union(&Aabb::new(mb.min + t, mb.max + t));
            }
            draws.push(make_draw(device, &verts, &mesh.indices, Some(&inst), bbox));
        }
    }
    for b in batches.into_values().flatten() {
        let bbox = b.bbox.unwrap_or_else(Aabb::empty);
        draws.push(make_draw(device, &b.vertices, &b.indices, None, bbox));
    }
    draws
}

fn make_draw(
    device: &wgpu::Device,
    verts: &[u32],
    idx: &[u32],
    inst: Option<&[u32]>,
    bbox: Aabb,
) -> Draw {
    let buf = |data: &[u32], usage| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("twin geometry"),
            contents: bytemuck::cast_slice(data),
            usage,
        })
    };
    Draw {
        vertices: buf(verts, wgpu::BufferUsages::VERTEX),
        indices: buf(idx, wgpu::BufferUsages::INDEX),
        index_count: idx.len() as u32,
        instance_count: inst.map_or(1, |i| (i.len() / 4) as u32),
        instances: inst.map(|i| buf(i, wgpu::BufferUsages::VERTEX)),
        bbox,
    }
}

/// A beam from `a` to `b`: two crossed quads of width `w`.
fn beam(a: Vec3, b: Vec3, w: f32, node: u32) -> (Vec<u32>, Vec<u32>) {
    let d = (b - a).normalize_or_zero();
    let side = {
        let s = d.cross(Vec3::Y);
        if s.length_squared() < 1e-6 {
            Vec3::X
        } else {
            s.normalize()
        }
    };
    let up = side.cross(d).normalize_or_zero();
    let mut v = Vec::new();
    for off in [side * w, up * w] {
        for p in [a - off, a + off, b + off, b - off] {
            push_vertex(&mut v, p.into(), node);
        }
    }
    (v, vec![0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7])
}

/// The six clip planes of a view-projection (depth 0..1), as `ax + by + cz + d ≥ 0`.
fn frustum(m: &Mat4) -> [Vec4; 6] {
    let (r0, r1, r2, r3) = (m.row(0), m.row(1), m.row(2), m.row(3));
    [r3 + r0, r3 - r0, r3 + r1, r3 - r1, r2, r3 - r2]
}

/// Whether a box may be on screen (conservative: the positive-vertex test).
fn inside(planes: &[Vec4; 6], b: &Aabb) -> bool {
    if b.is_empty() {
        return false;
    }
    planes.iter().all(|p| {
        let v = Vec3::new(
            if p.x >= 0.0 { b.max.x } else { b.min.x },
            if p.y >= 0.0 { b.max.y } else { b.min.y },
            if p.z >= 0.0 { b.max.z } else { b.min.z },
        );
        p.x * v.x + p.y * v.y + p.z * v.z + p.w >= 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frustum_keeps_what_is_in_front_and_culls_behind() {
        let cam = Camera {
            target: Vec3::ZERO,
            distance: 50.0,
            yaw: 0.0,
            pitch: 0.5,
            ortho: false,
            radius: 30.0,
        };
        let planes = frustum(&cam.view_proj(1.5));
        let near_target = Aabb::new(Vec3::splat(-1.0), Vec3::splat(1.0));
        assert!(inside(&planes, &near_target));
        // Far behind the eye (the eye is at +z, looking towards −z).
        let behind = Aabb::new(Vec3::new(-1.0, 0.0, 300.0), Vec3::new(1.0, 1.0, 302.0));
        assert!(!inside(&planes, &behind));
        let far_side = Aabb::new(Vec3::new(500.0, 0.0, 0.0), Vec3::new(501.0, 1.0, 1.0));
        assert!(!inside(&planes, &far_side));
    }
}
