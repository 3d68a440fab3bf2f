//! zhishen's digital twin renderer 数字孪生: the scene format (`format`, GLB), the camera
//! and picking (pure), and one wgpu renderer (`gpu`) for two targets — the browser
//! viewer (wasm32: WebGPU, WebGL2 fallback; `web`) and headless snapshots (native:
//! Vulkan on lavapipe or GL on llvmpipe; `snapshot`). The same shaders
//! (`shaders/scene.wgsl`) and draw code serve both.

pub mod camera;
pub mod format;
pub mod index;
pub mod view;

#[cfg(feature = "gpu")]
pub mod gpu;
#[cfg(all(feature = "gpu", not(target_arch = "wasm32")))]
pub mod snapshot;
#[cfg(all(feature = "gpu", target_arch = "wasm32"))]
pub mod web;

pub use camera::{Camera, ViewSpec};
pub use format::TwinScene;
