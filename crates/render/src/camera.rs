//! The orbit camera 视角, pure so the browser, the snapshots and the tests agree on
//! every view: orbit/pan/zoom, the plan (top) view, fitting a box, the named snapshot
//! views (`plan`, `axo`, `finding:N`), a compact text form for links, and the
//! projection both ways (screen point → picking ray, site point → screen point).

use crate::format::TwinScene;
use crate::index::{Aabb, SceneIndex};
use glam::{Mat4, Vec3, Vec4Swizzles};

const FOV_Y: f32 = std::f32::consts::FRAC_PI_4;

/// Orbit parameters. Local glTF frame: y up, −z north; `yaw` 0 looks north,
/// `pitch` π/2 looks straight down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub target: Vec3,
    pub distance: f32,
    pub yaw: f32,
    pub pitch: f32,
    /// Orthographic (the plan view and plan snapshots).
    pub ortho: bool,
    /// Scene radius, for the near and far planes.
    pub radius: f32,
}

/// A named view for snapshots and links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewSpec {
    Plan,
    Axo,
    /// A finding by its 1-based number.
    Finding(usize),
}

impl std::str::FromStr for ViewSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "plan" => Ok(ViewSpec::Plan),
            "axo" => Ok(ViewSpec::Axo),
            _ => s
                .strip_prefix("finding:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n >= 1)
                .map(ViewSpec::Finding)
                .ok_or_else(|| format!("view {s:?}: expected plan, axo or finding:N (N ≥ 1)")),
        }
    }
}

impl Camera {
    pub fn eye(&self) -> Vec3 {
        let (sp, cp) = self.pitch.sin_cos();
        let (sy, cy) = self.yaw.sin_cos();
        self.target + self.distance * Vec3::new(-cp * sy, sp, cp * cy)
    }

    /// Up on screen: the direction the view turns towards as pitch grows, so a
    /// straight-down view has a defined up (north for yaw 0).
    fn up(&self) -> Vec3 {
        let (sp, cp) = self.pitch.sin_cos();
        let (sy, cy) = self.yaw.sin_cos();
        Vec3::new(sp * sy, cp, -sp * cy)
    }

    fn half_height(&self) -> f32 {
        self.distance * (FOV_Y / 2.0).tan()
    }

    /// Reversed depth (near → 1, far → 0; an infinite far plane in perspective): with a
    /// 32-bit float depth buffer it keeps centimetres apart at district distances, so
    /// flat layers a few centimetres above each other do not fight.
    pub fn view_proj(&self, aspect: f32) -> Mat4 {
        let aspect = aspect.max(1e-3);
        let view = Mat4::look_at_rh(self.eye(), self.target, self.up());
        let r = self.radius.max(1.0);
        let proj = if self.ortho {
            let h = self.half_height();
            // Near and far swapped: the reversed mapping.
            Mat4::orthographic_rh(
                -h * aspect,
                h * aspect,
                -h,
                h,
                self.distance + 4.0 * r,
                self.distance - 4.0 * r,
            )
        } else {
            let near = (self.distance * 0.01).clamp(0.05, 10.0);
            Mat4::perspective_infinite_reverse_rh(FOV_Y, aspect, near)
        };
        proj * view
    }

    /// The ray under a pixel, for picking: origin and unit direction.
    pub fn ray(&self, x: f32, y: f32, width: f32, height: f32) -> (Vec3, Vec3) {
        let inv = self.view_proj(width / height).inverse();
        let nx = 2.0 * x / width - 1.0;
        let ny = 1.0 - 2.0 * y / height;
        // Depth 1 is the near plane, 0.5 lies beyond it (0 is at infinity).
        let a = inv * glam::Vec4::new(nx, ny, 1.0, 1.0);
        let b = inv * glam::Vec4::new(nx, ny, 0.5, 1.0);
        let (a, b) = (a.xyz() / a.w, b.xyz() / b.w);
        (a, (b - a).normalize_or_zero())
    }

    /// Screen position (pixels) of a local point, and whether it is in front and on screen.
    pub fn project(&self, p: Vec3, width: f32, height: f32) -> (f32, f32, bool) {
        let c = self.view_proj(width / height) * p.extend(1.0);
        if c.w <= 0.0 {
            return (0.0, 0.0, false);
        }
        let n = c.xyz() / c.w;
        let on = n.x.abs() <= 1.0 && n.y.abs() <= 1.0 && (0.0..=1.0).contains(&n.z);
        ((n.x + 1.0) / 2.0 * width, (1.0 - n.y) / 2.0 * height, on)
    }

    pub fn orbit(&mut self, dx: f32, dy: f32) {
        self.yaw -= dx * 0.008;
        let lo = if self.ortho { 0.05 } else { -0.2 };
        self.pitch = (self.pitch + dy * 0.008).clamp(lo, std::f32::consts::FRAC_PI_2);
    }

    /// Moves the target with the screen, `height` pixels spanning the view.
    pub fn pan(&mut self, dx: f32, dy: f32, height: f32) {
        let per_px = 2.0 * self.half_height() / height.max(1.0);
        let fwd = (self.target - self.eye()).normalize_or_zero();
        let up = self.up();
        let right = fwd.cross(up).normalize_or_zero();
        self.target += (-dx * right + dy * up) * per_px;
    }

    pub fn zoom(&mut self, wheel: f32) {
        let f = (wheel * 0.0015).clamp(-0.5, 0.5).exp();
        self.distance = (self.distance * f).clamp(0.5, self.radius.max(1.0) * 20.0);
    }

    /// Frames a box from the current direction.
    pub fn fit(&mut self, b: &Aabb, aspect: f32) {
        let r = (b.radius()).max(1.0);
        let fov = if aspect < 1.0 {
            2.0 * ((FOV_Y / 2.0).tan() * aspect).atan()
        } else {
            FOV_Y
        };
        self.target = b.center();
        self.distance = if self.ortho {
            r * 1.05 / (fov / 2.0).tan()
        } else {
            r * 1.05 / (fov / 2.0).sin()
        };
    }

    /// The camera for a named view; `None` for a finding the scene does not have.
    pub fn for_view(
        index: &SceneIndex,
        scene: &TwinScene,
        spec: ViewSpec,
        aspect: f32,
    ) -> Option<Camera> {
        let mut cam = Camera::overview(index);
        match spec {
            ViewSpec::Axo => {}
            ViewSpec::Plan => {
                cam.set_plan(true);
                cam.fit(&index.focus, aspect);
            }
            ViewSpec::Finding(n) => {
                let f = scene.meta.findings.iter().find(|f| f.number == n)?;
                let b = f
                    .focus
                    .map(|f| Aabb::new(Vec3::from(f.min), Vec3::from(f.max)))
                    .unwrap_or(index.focus);
                // Distances are read best from above; a height is read from the side.
                let plan = !f.check.contains("height");
                cam.set_plan(plan);
                cam.fit(&b.grown(0.25, 10.0), aspect);
            }
        }
        Some(cam)
    }

    /// The opening view: from the south-east, looking down at 35°, the building and
    /// its parcel framed.
    pub fn overview(index: &SceneIndex) -> Camera {
        let mut cam = Camera {
            target: Vec3::ZERO,
            distance: 100.0,
            yaw: -std::f32::consts::FRAC_PI_4,
            pitch: 35f32.to_radians(),
            ortho: false,
            radius: index.all.radius().max(1.0),
        };
        cam.fit(&index.focus, 16.0 / 9.0);
        cam
    }

    pub fn set_plan(&mut self, on: bool) {
        self.ortho = on;
        if on {
            self.pitch = std::f32::consts::FRAC_PI_2;
            self.yaw = 0.0;
        } else if self.pitch > 1.3 {
            self.pitch = 35f32.to_radians();
            self.yaw = -std::f32::consts::FRAC_PI_4;
        }
    }

    /// `t=x,y,z;d=..;y=..;p=..;o=0|1` — short, and safe in a URL fragment once encoded.
    pub fn to_state(&self) -> String {
        format!(
            "t={:.2},{:.2},{:.2};d={:.2};y={:.4};p={:.4};o={}",
            self.target.x,
            self.target.y,
            self.target.z,
            self.distance,
            self.yaw,
            self.pitch,
            u8::from(self.ortho)
        )
    }

    /// Reads `to_state`'s text; anything malformed or out of range is refused whole.
    pub fn from_state(s: &str, radius: f32) -> Option<Camera> {
        let mut cam = Camera {
            target: Vec3::ZERO,
            distance: 0.0,
            yaw: 0.0,
            pitch: 0.0,
            ortho: false,
            radius,
        };
        let mut seen = 0u8;
        for part in s.split(';') {
            let (k, v) = part.split_once('=')?;
            let num = |t: &str| t.parse::<f32>().ok().filter(|x| x.is_finite());
            match k {
                "t" => {
                    let c: Vec<f32> = v.split(',').map(num).collect::<Option<_>>()?;
                    if c.len() != 3 {
                        return None;
                    }
                    cam.target = Vec3::new(c[0], c[1], c[2]);
                }
                "d" => cam.distance = num(v).filter(|d| *d > 0.0)?,
                "y" => cam.yaw = num(v)?,
                "p" => {
                    cam.pitch = num(v).filter(|p| p.abs() <= std::f32::consts::FRAC_PI_2 + 1e-3)?
                }
                "o" => cam.ortho = v == "1",
                _ => return None,
            }
            seen += 1;
        }
        (seen == 5).then_some(cam)
    }

    /// A step of a flight from `self` to `to`, `t` in 0..=1, eased.
    pub fn lerp(&self, to: &Camera, t: f32) -> Camera {
        let t = t.clamp(0.0, 1.0);
        let e = t * t * (3.0 - 2.0 * t);
        let mut dyaw = (to.yaw - self.yaw) % std::f32::consts::TAU;
        if dyaw > std::f32::consts::PI {
            dyaw -= std::f32::consts::TAU;
        } else if dyaw < -std::f32::consts::PI {
            dyaw += std::f32::consts::TAU;
        }
        Camera {
            target: self.target.lerp(to.target, e),
            distance: (self.distance.ln() + (to.distance.ln() - self.distance.ln()) * e).exp(),
            yaw: self.yaw + dyaw * e,
            pitch: self.pitch + (to.pitch - self.pitch) * e,
            ortho: if t >= 1.0 {
                to.ortho
            } else {
                self.ortho && to.ortho
            },
            radius: to.radius,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cam() -> Camera {
        Camera {
            target: Vec3::new(10.0, 0.0, -5.0),
            distance: 50.0,
            yaw: 0.3,
            pitch: 0.6,
            ortho: false,
            radius: 40.0,
        }
    }

    #[test]
    fn the_target_projects_to_the_centre() {
        for ortho in [false, true] {
            let c = Camera { ortho, ..cam() };
            let (x, y, on) = c.project(c.target, 800.0, 600.0);
            assert!(
                on && (x - 400.0).abs() < 0.01 && (y - 300.0).abs() < 0.01,
                "{x} {y}"
            );
        }
    }

    #[test]
    fn a_ray_through_a_projected_point_passes_through_it() {
        let p = Vec3::new(14.0, 3.0, -9.0);
        for ortho in [false, true] {
            let c = Camera { ortho, ..cam() };
            let (x, y, on) = c.project(p, 800.0, 600.0);
            assert!(on);
            let (o, d) = c.ray(x, y, 800.0, 600.0);
            let closest = o + d * (p - o).dot(d);
            assert!(
                (closest - p).length() < 0.01,
                "ortho {ortho}: miss by {}",
                (closest - p).length()
            );
        }
    }

    #[test]
    fn plan_view_has_north_up_and_east_right() {
        let mut c = cam();
        c.set_plan(true);
        // North is −z: above the centre on screen; east (+x) right of it.
        let (_, yn, _) = c.project(c.target + Vec3::new(0.0, 0.0, -5.0), 800.0, 600.0);
        let (xe, _, _) = c.project(c.target + Vec3::new(5.0, 0.0, 0.0), 800.0, 600.0);
        assert!(yn < 300.0 && xe > 400.0, "{yn} {xe}");
    }

    #[test]
    fn state_round_trips_and_refuses_junk() {
        let c = cam();
        let back = Camera::from_state(&c.to_state(), 40.0).unwrap();
        assert!((back.target - c.target).length() < 0.01 && (back.distance - 50.0).abs() < 0.01);
        assert!((back.yaw - 0.3).abs() < 1e-3 && (back.pitch - 0.6).abs() < 1e-3 && !back.ortho);
        for bad in [
            "",
            "t=1,2;d=3;y=0;p=0;o=0",
            "t=1,2,3;d=-1;y=0;p=0;o=0",
            "t=1,2,3;d=5;y=0;p=9;o=0",
            "t=a,2,3;d=5;y=0;p=0;o=0",
            "x=1",
        ] {
            assert!(Camera::from_state(bad, 40.0).is_none(), "{bad}");
        }
    }

    #[test]
    fn view_spec_parses() {
        assert_eq!("plan".parse::<ViewSpec>(), Ok(ViewSpec::Plan));
        assert_eq!("finding:3".parse::<ViewSpec>(), Ok(ViewSpec::Finding(3)));
        assert!("finding:0".parse::<ViewSpec>().is_err());
        assert!("side".parse::<ViewSpec>().is_err());
    }

    #[test]
    fn fit_puts_the_whole_box_on_screen() {
        let b = Aabb::new(Vec3::new(-30.0, 0.0, -10.0), Vec3::new(50.0, 40.0, 25.0));
        for ortho in [false, true] {
            let mut c = Camera { ortho, ..cam() };
            c.fit(&b, 4.0 / 3.0);
            for corner in b.corners() {
                let (_, _, on) = c.project(corner, 800.0, 600.0);
                assert!(on, "ortho {ortho}: corner {corner} off screen");
            }
        }
    }
}
