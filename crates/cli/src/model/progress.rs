//! The model load's progress bar on stderr (`zhishen_ifc::LoadOptions::progress`):
//! shown only when stderr is a terminal and the file is over [`BAR_MIN_BYTES`], so
//! pipes, logs and the tests never see it. The decision and the bar's text are pure
//! ([`wants_bar`], [`bar_state`]); only [`LoadBar::for_file`] looks at the world.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use zhishen_ifc::{LoadOptions, Progress, Stage, Unit};

/// Files up to this size load in a few seconds at most: no bar (10 MB).
pub const BAR_MIN_BYTES: u64 = 10_000_000;

/// A bar is drawn for a file of `size` bytes only when stderr is a terminal and the
/// file is over [`BAR_MIN_BYTES`].
pub fn wants_bar(size: u64, stderr_is_terminal: bool) -> bool {
    stderr_is_terminal && size > BAR_MIN_BYTES
}

/// Where the bar stands for one report: the whole load's per cent (0–100, rising
/// over a load) and the text beside it, e.g. "网格 meshing 1200/4800".
pub fn bar_state(p: Progress) -> (u64, String) {
    let count = match p.stage.unit() {
        Unit::Bytes => format!("{:.1}/{:.1} MB", mb(p.done), mb(p.total)),
        Unit::Records | Unit::Elements => format!("{}/{}", p.done, p.total),
        Unit::Steps => String::new(),
    };
    let text = format!("{} {count}", p.stage.label());
    (p.overall_percent(), text.trim_end().to_string())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// A load's bar, or nothing when [`wants_bar`] says no. Cleared when the load's last
/// stage ends, and when dropped (an error or a cancelled load).
pub struct LoadBar(Option<ProgressBar>);

impl LoadBar {
    /// The bar for loading `path` (none when its size cannot be read).
    pub fn for_file(path: &Path) -> LoadBar {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if !wants_bar(size, std::io::stderr().is_terminal()) {
            return LoadBar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos:>3}% {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(format!("读取 loading {}", file_name(path)));
        LoadBar(Some(bar))
    }

    /// Hears one report of the load.
    pub fn report(&self, p: Progress) {
        let Some(bar) = &self.0 else { return };
        let (pos, text) = bar_state(p);
        bar.set_position(pos);
        bar.set_message(text);
        if p.stage == Stage::Facts && p.done == p.total {
            bar.finish_and_clear();
        }
    }

    /// Load options that report to this bar (none when there is no bar).
    pub fn options<'a>(&self, sink: &'a (dyn Fn(Progress) + Sync)) -> LoadOptions<'a> {
        LoadOptions {
            progress: self.0.as_ref().map(|_| sink),
            cancel: None,
            ..Default::default()
        }
    }
}

impl Drop for LoadBar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_only_on_a_terminal_and_only_over_10_mb() {
        assert!(wants_bar(BAR_MIN_BYTES + 1, true));
        assert!(wants_bar(300_000_000, true));
        assert!(!wants_bar(BAR_MIN_BYTES, true));
        assert!(!wants_bar(2_000_000, true));
        assert!(!wants_bar(0, true));
        assert!(!wants_bar(300_000_000, false));
        assert!(!wants_bar(BAR_MIN_BYTES + 1, false));
    }

    #[test]
    fn the_bar_rises_through_the_stages_and_ends_full() {
        let stages = [
            (Stage::Scan, 25_000_000),
            (Stage::Decode, 400_000),
            (Stage::Relationships, 1),
            (Stage::Mesh, 4_800),
            (Stage::Elements, 1),
            (Stage::Facts, 1),
        ];
        let mut last = 0;
        for (stage, total) in stages {
            for done in [0, total / 3, total / 2, total] {
                let (pos, _) = bar_state(Progress { stage, done, total });
                assert!(
                    pos >= last && pos <= 100,
                    "{stage:?} {done}: {pos} < {last}"
                );
                last = pos;
            }
        }
        assert_eq!(last, 100);
    }

    #[test]
    fn the_bar_names_the_stage_and_its_count() {
        let at = |stage, done, total| bar_state(Progress { stage, done, total }).1;
        assert_eq!(
            at(Stage::Scan, 12_500_000, 25_000_000),
            "扫描 scan 12.5/25.0 MB"
        );
        assert_eq!(at(Stage::Mesh, 1_200, 4_800), "网格 meshing 1200/4800");
        assert_eq!(at(Stage::Facts, 0, 1), "指标 facts");
    }
}
