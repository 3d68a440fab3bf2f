//! `make bench`: native frame time of the twin renderer at 100k, 1M and 5M triangles,
//! instanced (one box mesh, many placements) and not (every box its own mesh, merged
//! into batches). Prints one JSON line per case; `bench/twin_bench.py` tabulates them.
//!
//! cargo run --release -p zhishen-render --example bench_frames -- [--frames 5] [--max 5000000]

use zhishen_render::camera::Camera;
use zhishen_render::format::*;
use zhishen_render::index::SceneIndex;
use zhishen_render::snapshot::Headless;

/// A district of `n` boxes of 12 triangles on a square grid, 4 m apart.
fn district(n: usize, instanced: bool) -> TwinScene {
    let side = (n as f64).sqrt().ceil() as usize;
    let unit = |dx: f32, dz: f32| {
        let (a, b) = ([dx, 0.0, dz], [dx + 3.0, 6.0, dz + 3.0]);
        let p = vec![
            [a[0], a[1], a[2]],
            [b[0], a[1], a[2]],
            [b[0], a[1], b[2]],
            [a[0], a[1], b[2]],
            [a[0], b[1], a[2]],
            [b[0], b[1], a[2]],
            [b[0], b[1], b[2]],
            [a[0], b[1], b[2]],
        ];
        let i = vec![
            0, 1, 2, 0, 2, 3, 4, 6, 5, 4, 7, 6, 0, 4, 5, 0, 5, 1, 1, 5, 6, 1, 6, 2, 2, 6, 7, 2, 7,
            3, 3, 7, 4, 3, 4, 0,
        ];
        MeshData {
            positions: p,
            indices: i,
        }
    };
    let mut meshes = Vec::new();
    let mut nodes = Vec::with_capacity(n);
    if instanced {
        meshes.push(unit(0.0, 0.0));
    }
    for k in 0..n {
        let (x, z) = ((k % side) as f32 * 4.0, (k / side) as f32 * 4.0);
        let (mesh, translation) = if instanced {
            (0, [x, 0.0, -z])
        } else {
            meshes.push(unit(x, -z));
            (meshes.len() - 1, [0.0; 3])
        };
        nodes.push(NodeData {
            mesh,
            translation,
            info: NodeInfo {
                layer: Some(Layer::Building),
                storey: Some(format!("S{}", k % 8)),
                mark: if k % 97 == 0 { Mark::Fail } else { Mark::None },
                ..Default::default()
            },
        });
    }
    TwinScene {
        meta: TwinMeta::bare([0.0; 3]),
        meshes,
        nodes,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let frames = arg("--frames", 5) as u32;
    let max = arg("--max", 5_000_000);
    let gpu = match Headless::new() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("bench_frames: {e}");
            std::process::exit(2);
        }
    };
    for tris in [100_000u64, 1_000_000, 5_000_000]
        .into_iter()
        .filter(|t| *t <= max)
    {
        for instanced in [true, false] {
            let scene = district((tris / 12) as usize, instanced);
            let index = SceneIndex::new(&scene);
            let mut cam = Camera::overview(&index);
            cam.fit(&index.all, 16.0 / 9.0);
            let t = gpu.frame_times(&scene, &cam, (1280, 720), frames);
            println!(
                "{}",
                serde_json::json!({
                    "adapter": gpu.adapter, "triangles": scene.triangle_count(), "instanced": instanced,
                    "size": "1280x720", "upload_ms": t.upload_ms, "first_frame_ms": t.first_ms,
                    "mean_frame_ms": t.mean_ms, "drawn_triangles": t.triangles, "draws": t.draws,
                })
            );
        }
    }
}
