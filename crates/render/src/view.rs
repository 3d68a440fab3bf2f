//! What the user has switched on and off — layers, storey filter, x-ray, selection —
//! turned into one RGBA8 texel per node (the shader's state texture). Pure, so the
//! colour of every node in every mode is tested without a GPU.

use crate::format::{colour, palette, Layer, Mark, TwinScene};
use std::collections::BTreeSet;

/// Texels per row of the state texture (the shader's `STATE_WIDTH`).
pub const STATE_WIDTH: u32 = 1024;
/// Alpha of dimmed and x-rayed nodes.
const GHOST: u8 = 38;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewState {
    pub hidden_layers: BTreeSet<Layer>,
    /// Storey GlobalId; `None` = all storeys.
    pub storey: Option<String>,
    /// With a storey: hide the others (else they are dimmed).
    pub isolate: bool,
    pub xray: bool,
    pub selected: Option<usize>,
}

fn rgba(c: [f32; 4]) -> [u8; 4] {
    c.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
}

impl ViewState {
    /// Whether a node can be seen.
    pub fn visible(&self, scene: &TwinScene, i: usize) -> bool {
        self.state_of(scene, i)[3] > 0
    }

    /// Whether a click can select a node: drawn opaque. A see-through height zone or an
    /// x-rayed wall lets the click through to what is behind it.
    pub fn pickable(&self, scene: &TwinScene, i: usize) -> bool {
        self.state_of(scene, i)[3] == 255
    }

    pub fn state_of(&self, scene: &TwinScene, i: usize) -> [u8; 4] {
        let Some(n) = scene.nodes.get(i) else {
            return [0; 4];
        };
        let layer = n.info.layer.unwrap_or(Layer::Building);
        if self.hidden_layers.contains(&layer) {
            return [0; 4];
        }
        if self.selected == Some(i) {
            return rgba(palette::SELECTED);
        }
        let mut c = rgba(colour(layer, n.info.mark));
        let marked = n.info.mark != Mark::None || layer == Layer::Evidence;
        if let (Some(s), Layer::Building) = (&self.storey, layer) {
            if n.info.storey.as_ref() != Some(s) {
                if self.isolate {
                    return [0; 4];
                }
                c[3] = c[3].min(GHOST);
            }
        }
        if self.xray && !marked && c[3] == 255 {
            c[3] = GHOST;
        }
        c
    }

    /// The state texture's texels: `STATE_WIDTH` per row, rows enough for `extra`
    /// slots after the nodes (the measuring segment).
    pub fn texels(&self, scene: &TwinScene, extra: &[[u8; 4]]) -> (Vec<u8>, u32) {
        let count = scene.nodes.len() + extra.len();
        let rows = (count as u32).div_ceil(STATE_WIDTH).max(1);
        let mut out = vec![0u8; (rows * STATE_WIDTH * 4) as usize];
        for i in 0..scene.nodes.len() {
            out[4 * i..4 * i + 4].copy_from_slice(&self.state_of(scene, i));
        }
        for (k, e) in extra.iter().enumerate() {
            let i = scene.nodes.len() + k;
            out[4 * i..4 * i + 4].copy_from_slice(e);
        }
        (out, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::*;

    fn scene() -> TwinScene {
        let mesh = MeshData {
            positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            indices: vec![0, 1, 2],
        };
        let node = |layer, mark, storey: &str| NodeData {
            mesh: 0,
            translation: [0.0; 3],
            info: NodeInfo {
                layer: Some(layer),
                mark,
                storey: Some(storey.into()),
                ..Default::default()
            },
        };
        TwinScene {
            meta: TwinMeta::bare([0.0; 3]),
            meshes: vec![mesh],
            nodes: vec![
                node(Layer::Building, Mark::None, "S1"),
                node(Layer::Building, Mark::Fail, "S2"),
                node(Layer::RoadRedLine, Mark::None, ""),
                node(Layer::HeightZone, Mark::None, ""),
            ],
        }
    }

    #[test]
    fn colours_follow_marks_layers_and_modes() {
        let s = scene();
        let mut v = ViewState::default();
        assert_eq!(v.state_of(&s, 0), [204, 204, 199, 255]);
        assert_eq!(v.state_of(&s, 1), [230, 13, 191, 255]);
        assert_eq!(v.state_of(&s, 2), [255, 0, 0, 255]);
        assert_eq!(v.state_of(&s, 3)[3], 41, "height zones are translucent");
        v.xray = true;
        assert_eq!(v.state_of(&s, 0)[3], GHOST, "x-ray dims the unmarked");
        assert_eq!(
            v.state_of(&s, 1)[3],
            255,
            "x-ray keeps the violation opaque"
        );
        v.xray = false;
        v.storey = Some("S2".into());
        assert_eq!(v.state_of(&s, 0)[3], GHOST);
        assert!(
            v.visible(&s, 0) && !v.pickable(&s, 0),
            "dimmed: seen, not picked"
        );
        assert!(
            v.visible(&s, 3) && !v.pickable(&s, 3),
            "a height zone is clicked through"
        );
        v.isolate = true;
        assert!(!v.visible(&s, 0) && v.visible(&s, 1) && v.visible(&s, 2));
        v.hidden_layers.insert(Layer::RoadRedLine);
        assert!(!v.visible(&s, 2));
        v.selected = Some(1);
        assert_eq!(v.state_of(&s, 1), [26, 140, 255, 255]);
    }

    #[test]
    fn texels_hold_every_node_and_the_extras() {
        let s = scene();
        let (t, rows) = ViewState::default().texels(&s, &[[1, 2, 3, 4]]);
        assert_eq!(rows, 1);
        assert_eq!(t.len(), 4 * STATE_WIDTH as usize);
        assert_eq!(&t[16..20], &[1, 2, 3, 4]);
    }
}
