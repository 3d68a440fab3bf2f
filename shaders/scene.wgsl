// The twin's one shader, for the browser (WebGPU, and WebGL2 through naga's GLSL ES
// 3.00 output) and the native snapshots. Flat shading from screen-space derivatives
// (the scene stores no normals). Per-node state — colour, translucency, hidden — lives
// in a small RGBA8 texture indexed by node, read in the vertex shader, so selection,
// x-ray, storey filters and layer switches change texels, not geometry.

struct Frame {
    view_proj: mat4x4<f32>,
    // xyz: eye position (local coordinates); w: 1 for an orthographic camera.
    eye: vec4<f32>,
    // x: section height (local y), y: 1 when the section plane is on.
    section: vec4<f32>,
};

@group(0) @binding(0) var<uniform> frame: Frame;
@group(0) @binding(1) var state: texture_2d<f32>;

const STATE_WIDTH: u32 = 1024u;
const FROM_VERTEX: u32 = 0xffffffffu;

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) colour: vec4<f32>,
};

@vertex
fn vs_main(
    @location(0) position: vec3<f32>,
    @location(1) vertex_node: u32,
    @location(2) translation: vec3<f32>,
    @location(3) instance_node: u32,
) -> VsOut {
    var node = instance_node;
    if (instance_node == FROM_VERTEX) {
        node = vertex_node;
    }
    let s = textureLoad(state, vec2<i32>(i32(node % STATE_WIDTH), i32(node / STATE_WIDTH)), 0);
    var out: VsOut;
    let world = position + translation;
    out.world = world;
    out.colour = s;
    if (s.a == 0.0) {
        // Hidden: outside the clip volume, so the triangle is dropped.
        out.clip = vec4<f32>(0.0, 0.0, -2.0, 1.0);
    } else {
        out.clip = frame.view_proj * vec4<f32>(world, 1.0);
    }
    return out;
}

// Derivatives first: they need uniform control flow, so every discard comes after.
fn shade(in: VsOut) -> vec4<f32> {
    let n = normalize(cross(dpdx(in.world), dpdy(in.world)));
    var to_eye = normalize(frame.eye.xyz - in.world);
    if (frame.eye.w > 0.5) {
        to_eye = normalize(frame.eye.xyz);
    }
    // A headlight and a sky term, both two-sided.
    let head = abs(dot(n, to_eye));
    let sky = 0.5 + 0.5 * abs(n.y);
    let light = 0.35 + 0.45 * head + 0.2 * sky;
    return vec4<f32>(in.colour.rgb * min(light, 1.0), in.colour.a);
}

fn cut(world: vec3<f32>) -> bool {
    return frame.section.y > 0.5 && world.y > frame.section.x;
}

// Opaque pass: depth-tested and written; translucent fragments wait for the next pass.
@fragment
fn fs_opaque(in: VsOut) -> @location(0) vec4<f32> {
    let c = shade(in);
    if (in.colour.a < 0.999 || cut(in.world)) {
        discard;
    }
    return c;
}

// Translucent pass: blended over the opaque image, depth-tested but not written.
@fragment
fn fs_translucent(in: VsOut) -> @location(0) vec4<f32> {
    let c = shade(in);
    if (in.colour.a >= 0.999 || cut(in.world)) {
        discard;
    }
    return c;
}
