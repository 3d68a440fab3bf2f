//! Process definitions 审批流程: which items run in which stage, the stage's lead
//! department 牵头部门, its join rule, prerequisites and milestones. Versioned TOML;
//! a case keeps the versions it was created with.

use crate::calendar::Calendar;
use crate::catalogue::{Catalogue, StageKind};
use crate::error::WorkflowError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// When a stage completes (joins) and the next one opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRule {
    /// Every required item is 办结 with 通过 or 容缺通过.
    AllRequired,
    /// Every milestone item (里程碑事项) is 办结 with 通过 or 容缺通过.
    Milestones,
}

fn yes() -> bool {
    true
}

/// An item's place in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageItem {
    pub code: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// 是否里程碑事项
    #[serde(default)]
    pub milestone: bool,
    /// 前置审批事项: item codes that must be 办结 (通过/容缺通过) before this one is received.
    #[serde(default)]
    pub prerequisites: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    pub kind: StageKind,
    /// 牵头部门 id.
    pub lead_department: String,
    /// 审批阶段时限 (SPJDSX), working days; informative (per-city setting).
    #[serde(default)]
    pub limit_wd: Option<u32>,
    pub join: JoinRule,
    pub items: Vec<StageItem>,
}

fn default_share() -> f64 {
    0.2
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessDef {
    pub id: String,
    pub version: String,
    pub name_zh: String,
    pub name_en: String,
    /// The catalogue this process was written against.
    pub catalogue_id: String,
    pub catalogue_version: String,
    /// Yellow warning when working days left ≤ max(2, ⌈share × limit⌉).
    #[serde(default = "default_share")]
    pub warning_share: f64,
    pub stages: Vec<StageDef>,
}

impl ProcessDef {
    pub fn from_toml(text: &str) -> Result<ProcessDef, WorkflowError> {
        let p: ProcessDef = toml::from_str(text).map_err(|e| WorkflowError::Toml {
            doc: "process".into(),
            message: e.to_string(),
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Index of the stage holding `code`, and the item's entry.
    pub fn find_item(&self, code: &str) -> Option<(usize, &StageItem)> {
        self.stages
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.items.iter().find(|it| it.code == code).map(|it| (i, it)))
    }

    fn validate(&self) -> Result<(), WorkflowError> {
        let doc = format!("process {} {}", self.id, self.version);
        if self.id.is_empty() || self.version.is_empty() {
            return Err(WorkflowError::field(
                &doc,
                "id/version",
                "must not be empty",
            ));
        }
        if !(self.warning_share > 0.0 && self.warning_share < 1.0) {
            return Err(WorkflowError::field(
                &doc,
                "warning_share",
                format!("{} is not in (0, 1)", self.warning_share),
            ));
        }
        if self.stages.is_empty() {
            return Err(WorkflowError::field(&doc, "stages", "no stage defined"));
        }
        // Stage kinds strictly in national order; a merged-stage variant may skip one.
        for w in self.stages.windows(2) {
            if w[0].kind.number() >= w[1].kind.number() {
                return Err(WorkflowError::field(
                    &doc,
                    "stages",
                    format!("{:?} must come before {:?}", w[1].kind, w[0].kind),
                ));
            }
        }
        // item code -> stage index
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (si, s) in self.stages.iter().enumerate() {
            let sf = format!("stages[{}]", s.kind.number());
            if s.items.is_empty() {
                return Err(WorkflowError::field(&doc, format!("{sf}.items"), "no item"));
            }
            for it in &s.items {
                if seen.insert(it.code.as_str(), si).is_some() {
                    return Err(WorkflowError::field(
                        &doc,
                        format!("{sf}.items[{}]", it.code),
                        "item appears twice in the process",
                    ));
                }
            }
            let joins_on = s
                .items
                .iter()
                .filter(|i| match s.join {
                    JoinRule::AllRequired => i.required,
                    JoinRule::Milestones => i.milestone,
                })
                .count();
            if joins_on == 0 {
                return Err(WorkflowError::field(
                    &doc,
                    format!("{sf}.join"),
                    format!("join rule {:?} has no item to wait for", s.join),
                ));
            }
        }
        for (si, s) in self.stages.iter().enumerate() {
            for it in &s.items {
                for p in &it.prerequisites {
                    match seen.get(p.as_str()) {
                        None => {
                            return Err(WorkflowError::field(
                                &doc,
                                format!("items[{}].prerequisites", it.code),
                                format!("unknown item '{p}'"),
                            ))
                        }
                        Some(&ps) if ps > si => {
                            return Err(WorkflowError::field(
                                &doc,
                                format!("items[{}].prerequisites", it.code),
                                format!("'{p}' belongs to a later stage"),
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
        // Prerequisites inside one stage must not form a cycle, or the stage never joins.
        let prereq: BTreeMap<&str, Vec<&str>> = self
            .stages
            .iter()
            .flat_map(|s| s.items.iter())
            .map(|i| {
                (
                    i.code.as_str(),
                    i.prerequisites.iter().map(|s| s.as_str()).collect(),
                )
            })
            .collect();
        for start in prereq.keys() {
            let mut stack = vec![*start];
            let mut visited = BTreeSet::new();
            while let Some(c) = stack.pop() {
                for &p in &prereq[c] {
                    if p == *start {
                        return Err(WorkflowError::field(
                            &doc,
                            format!("items[{start}].prerequisites"),
                            "prerequisite cycle",
                        ));
                    }
                    if visited.insert(p) {
                        stack.push(p);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Everything a case is pinned to: the catalogue, process and calendar versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definitions {
    pub catalogue: Catalogue,
    pub process: ProcessDef,
    pub calendar: Calendar,
}

impl Definitions {
    /// Check that the three fit: the process names this catalogue, and every
    /// process item exists in the catalogue under the same stage.
    pub fn new(
        catalogue: Catalogue,
        process: ProcessDef,
        calendar: Calendar,
    ) -> Result<Definitions, WorkflowError> {
        if process.catalogue_id != catalogue.id || process.catalogue_version != catalogue.version {
            return Err(WorkflowError::Mismatch(format!(
                "process {} {} expects catalogue {} {}, got {} {}",
                process.id,
                process.version,
                process.catalogue_id,
                process.catalogue_version,
                catalogue.id,
                catalogue.version
            )));
        }
        for s in &process.stages {
            for it in &s.items {
                let def = catalogue.item(&it.code).ok_or_else(|| {
                    WorkflowError::Mismatch(format!(
                        "process {} item '{}' is not in catalogue {} {}",
                        process.id, it.code, catalogue.id, catalogue.version
                    ))
                })?;
                if def.stage != s.kind {
                    return Err(WorkflowError::Mismatch(format!(
                        "item '{}' is a {:?} item in the catalogue but sits in stage {:?}",
                        it.code, def.stage, s.kind
                    )));
                }
            }
        }
        Ok(Definitions {
            catalogue,
            process,
            calendar,
        })
    }
}
