//! Progress and cancellation of a load. A load of a large model takes seconds, so the
//! CLI shows a bar and the service's review jobs show a percentage, and a job's load
//! is stopped when its lease is lost (a CLI run simply ends on Ctrl-C). The load
//! reports through a caller's sink at a bounded rate (each stage's start and end, and
//! every whole per cent between) and checks a [`Cancel`] at the same points, including inside the
//! parallel meshing loop, so a cancelled load ends within one element's meshing.

use crate::error::IfcError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The process's resident memory, for the stage log and `bench-load`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryMib {
    /// VmRSS: resident now.
    pub resident: f64,
    /// VmHWM: the peak resident so far.
    pub peak: f64,
}

/// [`MemoryMib`] from one read of `/proc/self/status`; `None` where there is no procfs.
pub fn process_memory() -> Option<MemoryMib> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mib = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some(MemoryMib {
        resident: mib("VmRSS:")?,
        peak: mib("VmHWM:")?,
    })
}

/// The stages of a load, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// The byte-level pre-scan (counts bytes).
    Scan,
    /// The decoder's index, made from the pre-scan's records (counts records).
    Decode,
    /// Units, relationships, spatial structure, spaces, georeferencing (one step).
    Relationships,
    /// Meshing, with element properties read at the same time (counts products meshed).
    Mesh,
    /// Meshes sorted to elements, spaces' areas from geometry (one step).
    Elements,
    /// Building facts (one step).
    Facts,
}

/// What a stage's counters count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Records,
    Elements,
    Steps,
}

impl Stage {
    pub fn unit(self) -> Unit {
        match self {
            Stage::Scan => Unit::Bytes,
            Stage::Decode => Unit::Records,
            Stage::Mesh => Unit::Elements,
            Stage::Relationships | Stage::Elements | Stage::Facts => Unit::Steps,
        }
    }

    /// Bilingual label for a progress bar, e.g. "网格 meshing".
    pub fn label(self) -> &'static str {
        match self {
            Stage::Scan => "扫描 scan",
            Stage::Decode => "解码 decode",
            Stage::Relationships => "关系 relationships",
            Stage::Mesh => "网格 meshing",
            Stage::Elements => "构件 elements",
            Stage::Facts => "指标 facts",
        }
    }

    /// The stage's share of a whole load in per cent, from where a large model's time
    /// goes (a 30 MB corpus model: scan 12 %, decode 4 %, structure 2 %, meshing 68 %,
    /// elements 5 %, facts 9 %): (start, end) of the stage on a 0–100 scale.
    pub fn span(self) -> (u64, u64) {
        match self {
            Stage::Scan => (0, 12),
            Stage::Decode => (12, 16),
            Stage::Relationships => (16, 18),
            Stage::Mesh => (18, 86),
            Stage::Elements => (86, 91),
            Stage::Facts => (91, 100),
        }
    }

    /// Short English name for logs and job stage text.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Scan => "scan",
            Stage::Decode => "decode",
            Stage::Relationships => "relationships",
            Stage::Mesh => "mesh",
            Stage::Elements => "elements",
            Stage::Facts => "facts",
        }
    }
}

/// One report: `done` of `total` in the stage's [`Unit`]. Within a stage `done` never
/// decreases, and the stage's last report has `done == total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

impl Progress {
    /// Whole per cent of the stage done (100 for an empty stage).
    pub fn percent(&self) -> u64 {
        (self.done.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(100)
    }

    /// Approximate whole per cent of the whole load done ([`Stage::span`]); never
    /// decreases over one load's reports.
    pub fn overall_percent(&self) -> u64 {
        let (a, b) = self.stage.span();
        a + (b - a) * self.percent() / 100
    }
}

/// A cancellation token: cloned to whoever may cancel, checked by the load.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Where progress goes. Called from rayon workers, so `Sync`; calls never overlap.
pub type ProgressSink<'a> = &'a (dyn Fn(Progress) + Sync);

/// How to run a load: an optional progress sink and an optional cancellation token.
/// The default is a silent load that cannot be cancelled (`load_bytes`).
#[derive(Clone, Copy, Default)]
pub struct LoadOptions<'a> {
    pub progress: Option<ProgressSink<'a>>,
    pub cancel: Option<&'a Cancel>,
    /// Give every occurrence of a mapped family (IfcMappedItem) its own vertices, as
    /// ifc-lite bakes them, instead of sharing the family's mesh ([`crate::Mesh::placed`]).
    /// For comparing the two; the shared meshes are the default.
    pub bake_every_occurrence: bool,
    /// Mesh every body with ifc-lite, instead of our own readers of tessellated
    /// bodies (IfcTriangulatedFaceSet, IfcPolygonalFaceSet) and of extruded
    /// circles and rectangles. For comparing the two; ours is the default.
    pub ifc_lite_bodies: bool,
}

/// The load's side of [`LoadOptions`]: checks and reports, naming the file in errors.
pub(crate) struct Control<'a> {
    opts: LoadOptions<'a>,
    file: &'a str,
    /// Serialises reports so that counters from several workers arrive in order.
    report: Mutex<()>,
}

impl<'a> Control<'a> {
    pub fn new(file: &'a str, opts: &LoadOptions<'a>) -> Control<'a> {
        Control {
            opts: *opts,
            file,
            report: Mutex::new(()),
        }
    }

    pub fn options(&self) -> &LoadOptions<'a> {
        &self.opts
    }

    /// `Err(Cancelled)` once the caller has cancelled.
    pub fn check(&self) -> Result<(), IfcError> {
        match self.opts.cancel {
            Some(c) if c.is_cancelled() => Err(IfcError::Cancelled {
                file: self.file.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Starts a stage of `total` units: reports 0 of `total` (after a cancel check).
    pub fn stage(&self, stage: Stage, total: u64) -> Result<Meter<'_>, IfcError> {
        self.check()?;
        let m = Meter {
            ctl: self,
            stage,
            total,
            done: AtomicU64::new(0),
            reported: AtomicU64::new(0),
        };
        self.send(Progress {
            stage,
            done: 0,
            total,
        });
        Ok(m)
    }

    /// A one-step stage: reports 0 of 1 now; [`Meter::finish`] reports 1 of 1.
    pub fn step(&self, stage: Stage) -> Result<Meter<'_>, IfcError> {
        self.stage(stage, 1)
    }

    fn send(&self, p: Progress) {
        if let Some(sink) = self.opts.progress {
            sink(p);
        }
    }
}

/// One stage's counter, shared by the workers of that stage.
pub(crate) struct Meter<'c> {
    ctl: &'c Control<'c>,
    stage: Stage,
    total: u64,
    done: AtomicU64,
    /// The last whole per cent reported.
    reported: AtomicU64,
}

impl Meter<'_> {
    /// Counts `n` more units done; checks for cancellation.
    pub fn add(&self, n: u64) -> Result<(), IfcError> {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        self.maybe_report(done);
        self.ctl.check()
    }

    /// Sets the count to at least `done` (an offset reached); checks for cancellation.
    pub fn reach(&self, done: u64) -> Result<(), IfcError> {
        let prev = self.done.fetch_max(done, Ordering::Relaxed);
        self.maybe_report(prev.max(done));
        self.ctl.check()
    }

    fn percent(&self, done: u64) -> u64 {
        (done.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(100)
    }

    /// Reports when a new whole per cent is reached below 100 (the end is `finish`'s).
    fn maybe_report(&self, done: u64) {
        let pct = self.percent(done);
        if pct >= 100 || pct <= self.reported.load(Ordering::Relaxed) {
            return;
        }
        let _one_at_a_time = self.ctl.report.lock().unwrap_or_else(|e| e.into_inner());
        // Under the lock the counter is read again, so reports never go backwards.
        let now = self.done.load(Ordering::Relaxed).min(self.total);
        let pct = self.percent(now);
        if pct < 100 && pct > self.reported.load(Ordering::Relaxed) {
            self.reported.store(pct, Ordering::Relaxed);
            self.ctl.send(Progress {
                stage: self.stage,
                done: now,
                total: self.total,
            });
        }
    }

    /// Ends the stage: reports `total` of `total`.
    pub fn finish(self) -> Result<(), IfcError> {
        let _one_at_a_time = self.ctl.report.lock().unwrap_or_else(|e| e.into_inner());
        self.ctl.send(Progress {
            stage: self.stage,
            done: self.total,
            total: self.total,
        });
        drop(_one_at_a_time);
        self.ctl.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_peak_is_never_below_resident_and_grows_with_a_touched_allocation() {
        // The other tests of this binary allocate and free on their own threads, which
        // moves the resident size between two readings: measure in a process of our own.
        const CHILD: &str = "ZHISHEN_MEMORY_TEST_CHILD";
        if std::env::var_os(CHILD).is_none() {
            let name = "progress::tests::memory_peak_is_never_below_resident_and_grows_with_a_touched_allocation";
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([name, "--exact", "--test-threads=1", "--nocapture"])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}");
            // The child ran the test, not an empty filter.
            assert!(text.contains("1 passed"), "{text}");
            return;
        }
        let Some(before) = process_memory() else {
            return; // no procfs here
        };
        assert!(
            before.resident > 0.0 && before.peak >= before.resident,
            "{before:?}"
        );
        // 64 MiB written page by page must be resident, so the peak reaches it.
        let block = vec![1u8; 64 << 20];
        let after = process_memory().unwrap();
        assert!(
            after.peak >= before.resident + 60.0,
            "{before:?} then {after:?}"
        );
        drop(std::hint::black_box(block));
    }

    #[test]
    fn reports_are_bounded_ordered_and_end_at_the_total() {
        let seen = Mutex::new(Vec::new());
        let sink = |p: Progress| seen.lock().unwrap().push(p);
        let opts = LoadOptions {
            progress: Some(&sink),
            cancel: None,
            ..Default::default()
        };
        let ctl = Control::new("x.ifc", &opts);
        let m = ctl.stage(Stage::Mesh, 10_000).unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..2_500 {
                        m.add(1).unwrap();
                    }
                });
            }
        });
        m.finish().unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() <= 101, "{} reports", seen.len());
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
        assert_eq!(seen.last().unwrap().done, 10_000);
    }

    #[test]
    fn stage_spans_tile_0_to_100_so_the_overall_percent_only_rises() {
        let stages = [
            Stage::Scan,
            Stage::Decode,
            Stage::Relationships,
            Stage::Mesh,
            Stage::Elements,
            Stage::Facts,
        ];
        assert_eq!(stages[0].span().0, 0);
        assert_eq!(stages[5].span().1, 100);
        assert!(stages.windows(2).all(|w| w[0].span().1 == w[1].span().0));
        let mut last = 0;
        for stage in stages {
            for (done, total) in [(0, 7), (3, 7), (7, 7), (9, 7), (0, 0)] {
                let p = Progress { stage, done, total };
                let (a, b) = stage.span();
                let now = p.overall_percent();
                assert!((a..=b).contains(&now), "{p:?}: {now}");
                if done <= total && total > 0 {
                    assert!(now >= last, "{p:?}: {now} < {last}");
                    last = now;
                }
            }
        }
        assert_eq!(last, 100);
    }

    #[test]
    fn a_cancelled_control_stops_at_the_next_check() {
        let cancel = Cancel::new();
        let opts = LoadOptions {
            progress: None,
            cancel: Some(&cancel),
            ..Default::default()
        };
        let ctl = Control::new("x.ifc", &opts);
        let m = ctl.stage(Stage::Scan, 100).unwrap();
        m.reach(10).unwrap();
        cancel.cancel();
        assert!(m.reach(20).unwrap_err().is_cancelled());
        assert!(ctl.stage(Stage::Decode, 1).err().unwrap().is_cancelled());
    }
}
