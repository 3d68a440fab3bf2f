//! The scene under construction: meshes, nodes and the warnings of everything left out.

use crate::frame::Bounds;
use zhishen_render::format::{MeshData, NodeData, NodeInfo};

#[derive(Debug, Default)]
pub(crate) struct SceneBuilder {
    pub meshes: Vec<MeshData>,
    pub nodes: Vec<NodeData>,
    /// What was skipped or approximated, naming the element or feature.
    pub warnings: Vec<String>,
}

impl SceneBuilder {
    /// Adds a mesh and a node showing it at `translation`; returns the mesh's index.
    pub fn add(&mut self, mesh: MeshData, translation: [f32; 3], info: NodeInfo) -> usize {
        self.meshes.push(mesh);
        let m = self.meshes.len() - 1;
        self.instance(m, translation, info);
        m
    }

    /// Another node showing mesh `mesh`.
    pub fn instance(&mut self, mesh: usize, translation: [f32; 3], info: NodeInfo) {
        self.nodes.push(NodeData {
            mesh,
            translation,
            info,
        });
    }

    /// The local box of node `i` (its mesh's box moved by its translation).
    pub fn node_bounds(&self, i: usize) -> Option<Bounds> {
        let n = self.nodes.get(i)?;
        let (lo, hi) = self.meshes.get(n.mesh)?.bbox()?;
        let t = n.translation;
        Some(Bounds::of(
            [lo[0] + t[0], lo[1] + t[1], lo[2] + t[2]],
            [hi[0] + t[0], hi[1] + t[1], hi[2] + t[2]],
        ))
    }

    pub fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }
}
