//! zhishen's digital twin renderer 数字孪生: the scene format (`format`, GLB), the camera
//! and picking (pure), and one wgpu renderer (`gpu`) for two targets — the browser
//! viewer (wasm32: WebGPU, WebGL2 fallback; `web`) and headless snapshots (native:
//! Vulkan on lavapipe or GL on llvmpipe; `snapshot`). The same shaders
//! (`shaders/scene.wgsl`) and draw code serve both.

pub mod format;
