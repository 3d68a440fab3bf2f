//! A deterministic case-history generator 模拟案件 for tests and benchmarks.
//!
//! Why: the supervision report must be tested and timed on a large history that the
//! real engine produced, not on hand-made report inputs. Every case here is driven
//! through [`decide`] and [`apply`] with the demo-like roles, so what the report
//! reads is what a store would hold. Same seed, same history (a SplitMix64 stream,
//! no dependency).
//!
//! Each case starts on a working day in `[start, start + span_days)`. Stage by
//! stage, every waiting item whose prerequisites passed is submitted with its
//! required materials, accepted, sometimes sent to 补正 (30 %), processed, given a
//! BIM review when its catalogue asks for one, and concluded after up to 1.3 × its
//! promised limit (3 % 不通过); the actions of a stage's items interleave by time.
//! A case ends when its stages are done, when a stage fails, or when its next date
//! lies past `until` (it stays open: the running items the lights are for).
//! 70 % of ended cases are rated.

use crate::command::{Actor, Command, Event, Refusal, Role};
use crate::engine::{apply, decide};
use crate::model::{Case, CaseStatus, ItemState, Outcome};
use crate::process::Definitions;
use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone};

/// SplitMix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `pct` %.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub cases: usize,
    pub start: NaiveDate,
    pub span_days: u32,
    /// No action after this day (cases still running then stay open).
    pub until: NaiveDate,
    /// Regions (行政区划代码) assigned round the list by the generator.
    pub regions: Vec<String>,
    pub enterprises: u32,
}

/// One generated case: its events in order with who caused them, the final
/// projection, and the scope a store would file it under.
#[derive(Debug, Clone)]
pub struct SimCase {
    pub case: Case,
    pub log: Vec<(Event, Actor)>,
    pub enterprise: String,
    pub region: String,
}

/// An action planned for one item.
struct Step {
    at: DateTime<FixedOffset>,
    cmd: Command,
    actor: Actor,
}

fn cst(d: NaiveDate, h: u32, m: u32) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("+08:00");
    let naive = d.and_hms_opt(h, m.min(59), 0).expect("valid time");
    tz.from_local_datetime(&naive)
        .single()
        .expect("fixed offset")
}

struct Sim<'a> {
    defs: &'a Definitions,
    rng: Rng,
    until: NaiveDate,
}

/// Why a generated case could not be driven: the refusal and where.
#[derive(Debug, Clone, thiserror::Error)]
#[error("simulated case {case}: {command} refused: {refusal}")]
pub struct SimError {
    pub case: String,
    pub command: String,
    pub refusal: Refusal,
}

impl Sim<'_> {
    /// `d` + n working days, or None past the calendar.
    fn add(&self, d: NaiveDate, n: u64) -> Option<NaiveDate> {
        self.defs.calendar.add_working_days(d, n as u32).ok()
    }

    /// `d` + `min` + a random 0..spread working days.
    fn later(&mut self, d: NaiveDate, min: u64, spread: u64) -> Option<NaiveDate> {
        let n = min + self.rng.below(spread);
        self.add(d, n)
    }

    fn item_steps(&mut self, case: &Case, code: &str, d0: NaiveDate, k: u32) -> Option<Vec<Step>> {
        let def = self.defs.catalogue.item(code)?;
        let reviewer = Actor::new(
            &format!("rev-{}", def.department),
            Role::Reviewer,
            Some(&def.department),
        );
        let applicant = Actor::new(&case.applicant, Role::Applicant, None);
        let clerk = Actor::new("clerk-1", Role::Clerk, None);
        let item = code.to_string();
        let mats: Vec<String> = def
            .materials
            .iter()
            .filter(|m| m.required)
            .map(|m| m.code.clone())
            .collect();
        let mut out = Vec::new();
        let sub = self.later(d0, 0, 3)?;
        out.push(Step {
            at: cst(sub, 9, k),
            cmd: Command::Submit {
                item: item.clone(),
                materials: mats.clone(),
                commitments: vec![],
            },
            actor: applicant.clone(),
        });
        out.push(Step {
            at: cst(sub, 10, k),
            cmd: Command::Accept { item: item.clone() },
            actor: clerk,
        });
        let mut day = sub;
        if self.rng.chance(30) {
            let req = self.later(day, 1, 3)?;
            let done = self.later(req, 1, 14)?;
            let first = mats.first().cloned().into_iter().collect::<Vec<_>>();
            out.push(Step {
                at: cst(req, 11, k),
                cmd: Command::RequestSupplement {
                    item: item.clone(),
                    materials: first.clone(),
                    note: "补正材料 please supply".into(),
                },
                actor: reviewer.clone(),
            });
            out.push(Step {
                at: cst(done, 9, 30 + k % 29),
                cmd: Command::SupplementDone {
                    item: item.clone(),
                    materials: first,
                },
                actor: applicant,
            });
            day = done;
        }
        let proc = self.later(day, 0, 2)?;
        out.push(Step {
            at: cst(proc, 14, k),
            cmd: Command::StartProcessing { item: item.clone() },
            actor: reviewer.clone(),
        });
        let span = u64::from(def.promised_limit_wd) * 13 / 10 + 1;
        let end = self.later(proc, 0, span)?;
        if def.bim_review {
            let sha = crate::ids::Sha256::of(format!("{}:{code}", case.id).as_bytes()).to_string();
            out.push(Step {
                at: cst(end, 15, k),
                cmd: Command::RecordReview {
                    item: item.clone(),
                    report_sha256: sha,
                    findings: vec![],
                },
                actor: reviewer.clone(),
            });
        }
        let outcome = if self.rng.chance(3) {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        out.push(Step {
            at: cst(end, 16, k),
            cmd: Command::Conclude {
                item,
                outcome,
                opinion: "审查意见 opinion".into(),
            },
            actor: reviewer,
        });
        Some(out)
    }

    /// Items of the open stage that can be submitted now.
    fn ready(&self, case: &Case, si: usize) -> Vec<String> {
        let stage = &self.defs.process.stages[si];
        stage
            .items
            .iter()
            .filter(|s| {
                case.item(&s.code)
                    .is_some_and(|i| i.state == ItemState::Waiting)
            })
            .filter(|s| {
                s.prerequisites
                    .iter()
                    .all(|p| case.item(p).is_some_and(|i| i.state.is_passed()))
            })
            .map(|s| s.code.clone())
            .collect()
    }

    fn run(&self, case: &mut Case, log: &mut Vec<(Event, Actor)>, s: Step) -> Result<(), SimError> {
        let evs = decide(Some(case), &s.cmd, &s.actor, s.at, self.defs).map_err(|r| SimError {
            case: case.id.clone(),
            command: s.cmd.kind().to_string(),
            refusal: r,
        })?;
        for e in evs {
            *case = apply(Some(case.clone()), &e, self.defs);
            log.push((e, s.actor.clone()));
        }
        Ok(())
    }

    fn one(
        &mut self,
        id: &str,
        applicant: &str,
        start: NaiveDate,
    ) -> Result<(Case, Vec<(Event, Actor)>), SimError> {
        let actor = Actor::new(applicant, Role::Applicant, None);
        let create = Command::CreateCase {
            case_id: id.to_string(),
            project_code: format!("2026-440300-47-01-{:06}", self.rng.below(1_000_000)),
            project_name: format!("模拟项目 simulated project {id}"),
            applicant: applicant.to_string(),
        };
        let evs =
            decide(None, &create, &actor, cst(start, 9, 0), self.defs).map_err(|r| SimError {
                case: id.to_string(),
                command: "create_case".into(),
                refusal: r,
            })?;
        let mut case = apply(None, &evs[0], self.defs);
        let mut log = vec![(evs[0].clone(), actor.clone())];
        for e in &evs[1..] {
            case = apply(Some(case), e, self.defs);
            log.push((e.clone(), actor.clone()));
        }
        let mut cursor = start;
        'stages: while let Some(si) = case.open_stage() {
            let ready = self.ready(&case, si);
            if ready.is_empty() {
                break;
            }
            let mut steps = Vec::new();
            for (k, code) in ready.iter().enumerate() {
                match self.item_steps(&case, code, cursor, k as u32) {
                    Some(s) => steps.extend(s),
                    None => break 'stages,
                }
            }
            steps.sort_by_key(|s| s.at);
            let planned = steps.len();
            steps.retain(|s| s.at.date_naive() <= self.until);
            let last = steps.last().map(|s| s.at);
            let cut = steps.len() < planned;
            for s in steps {
                // After a failed stage ends the case, the other items still run to
                // their end where the engine allows it; what it refuses is skipped.
                let ended = case.status != CaseStatus::Open;
                match self.run(&mut case, &mut log, s) {
                    Err(_) if ended => {}
                    r => r?,
                }
            }
            match last.and_then(|t| self.add(t.date_naive(), 1)) {
                Some(d) if !cut => cursor = d,
                _ => break,
            }
        }
        if case.status != CaseStatus::Open && self.rng.chance(70) {
            let last = case.updated_at.date_naive();
            let day = self.later(last, 1, 5);
            if let Some(d) = day.filter(|d| *d <= self.until) {
                let score = [5, 5, 5, 4, 4, 4, 3, 2, 1][self.rng.below(9) as usize];
                let rate = Step {
                    at: cst(d, 12, 0),
                    cmd: Command::Rate {
                        score,
                        comment: String::new(),
                    },
                    actor,
                };
                self.run(&mut case, &mut log, rate)?;
            }
        }
        Ok((case, log))
    }
}

/// Generates `cfg.cases` cases through the real engine.
pub fn simulate(defs: &Definitions, cfg: &SimConfig) -> Result<Vec<SimCase>, SimError> {
    let mut sim = Sim {
        defs,
        rng: Rng::new(cfg.seed),
        until: cfg.until,
    };
    let mut out = Vec::with_capacity(cfg.cases);
    for n in 0..cfg.cases {
        let offset = sim.rng.below(u64::from(cfg.span_days.max(1)));
        let day = cfg.start + Days::new(offset);
        let start = match defs.calendar.is_working_day(day) {
            Ok(true) => day,
            _ => match sim.add(day, 1) {
                Some(d) => d,
                None => continue,
            },
        };
        let ent = format!("E{:04}", sim.rng.below(u64::from(cfg.enterprises.max(1))));
        let region = cfg
            .regions
            .get(n % cfg.regions.len().max(1))
            .cloned()
            .unwrap_or_default();
        let id = format!("SIM-{:06}", n + 1);
        let applicant = format!("app-{ent}");
        let (case, log) = sim.one(&id, &applicant, start)?;
        out.push(SimCase {
            case,
            log,
            enterprise: ent,
            region,
        });
    }
    Ok(out)
}
