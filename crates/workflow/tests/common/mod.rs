//! Shared test support: definitions, times, actors and a case harness.
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use zhishen_workflow::*;

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// `YYYY-MM-DD` at `h`:00 China time.
pub fn at(s: &str, h: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&date(s).and_hms_opt(h, 0, 0).unwrap())
        .unwrap()
}

pub fn demo() -> Definitions {
    zhishen_workflow::demo::definitions().unwrap()
}

/// A one-stage test catalogue whose items each show one clock feature.
pub const MINI_CATALOGUE: &str = r#"
id = "mini"
version = "1"
region = "000000"

[[items]]
code = "P"
name_zh = "暂停计时事项"
name_en = "pause item"
stage = "engineering_permit"
department = "zrzy"
department_name = "自然资源和规划局"
legal_basis = ["行政许可法 第四十二条"]
statutory_limit_wd = 20
promised_limit_wd = 10
supplement_clock = "pause"
[[items.materials]]
code = "A"
name_zh = "申请表"
name_en = "form"

[[items]]
code = "R"
name_zh = "重新计时事项"
name_en = "restart item"
stage = "engineering_permit"
department = "zjj"
department_name = "住房和城乡建设局"
legal_basis = ["建筑法 第八条"]
statutory_limit_wd = 20
promised_limit_wd = 10
supplement_clock = "restart"
[[items.materials]]
code = "A"
name_zh = "申请表"
name_en = "form"

[[items]]
code = "K"
name_zh = "容缺（阻断）事项"
name_en = "rongque block item"
stage = "engineering_permit"
department = "zrzy"
department_name = "自然资源和规划局"
legal_basis = ["行政许可法 第三十二条"]
statutory_limit_wd = 20
promised_limit_wd = 10
supplement_clock = "pause"
rongque_supplement_wd = 5
rongque_overdue = "block"
licence = "测试许可证"
[[items.materials]]
code = "A"
name_zh = "申请表"
name_en = "form"
[[items.materials]]
code = "B"
name_zh = "次要材料"
name_en = "secondary material"
rongque = true

[[items]]
code = "V"
name_zh = "容缺（撤销）事项"
name_en = "rongque revoke item"
stage = "engineering_permit"
department = "zrzy"
department_name = "自然资源和规划局"
legal_basis = ["行政许可法 第三十二条"]
statutory_limit_wd = 20
promised_limit_wd = 10
supplement_clock = "pause"
rongque_supplement_wd = 5
rongque_overdue = "revoke"
licence = "测试许可证"
[[items.materials]]
code = "A"
name_zh = "申请表"
name_en = "form"
[[items.materials]]
code = "B"
name_zh = "次要材料"
name_en = "secondary material"
rongque = true

[[items]]
code = "C"
name_zh = "告知承诺事项"
name_en = "commitment item"
stage = "engineering_permit"
department = "zjj"
department_name = "住房和城乡建设局"
legal_basis = ["国办发〔2019〕11号"]
statutory_limit_wd = 20
promised_limit_wd = 10
supplement_clock = "pause"
commitment_check_wd = 20
[[items.materials]]
code = "A"
name_zh = "申请表"
name_en = "form"
[[items.materials]]
code = "F"
name_zh = "资金落实证明"
name_en = "funding proof"
commitment = true
"#;

pub const MINI_PROCESS: &str = r#"
id = "mini-process"
version = "1"
name_zh = "测试流程"
name_en = "test process"
catalogue_id = "mini"
catalogue_version = "1"

[[stages]]
kind = "engineering_permit"
lead_department = "zrzy"
join = "milestones"
items = [
  { code = "P", milestone = true },
  { code = "R", required = false },
  { code = "K", required = false },
  { code = "V", required = false },
  { code = "C", required = false },
]
"#;

pub fn mini() -> Definitions {
    Definitions::new(
        Catalogue::from_toml(MINI_CATALOGUE).unwrap(),
        ProcessDef::from_toml(MINI_PROCESS).unwrap(),
        zhishen_workflow::demo::calendar().unwrap(),
    )
    .unwrap()
}

pub fn applicant() -> Actor {
    Actor::new("app-1", Role::Applicant, None)
}
pub fn clerk() -> Actor {
    Actor::new("clerk-1", Role::Clerk, None)
}
pub fn reviewer(dept: &str) -> Actor {
    Actor::new(&format!("rev-{dept}"), Role::Reviewer, Some(dept))
}
pub fn head(dept: &str) -> Actor {
    Actor::new(&format!("head-{dept}"), Role::DeptHead, Some(dept))
}
pub fn supervisor() -> Actor {
    Actor::new("sup-1", Role::Supervisor, None)
}

/// Runs commands through decide + apply and keeps the log.
pub struct Harness {
    pub defs: Definitions,
    pub case: Option<Case>,
    pub log: Vec<Event>,
}

impl Harness {
    pub fn new(defs: Definitions, created: &str) -> Harness {
        let mut h = Harness {
            defs,
            case: None,
            log: Vec::new(),
        };
        h.ok(
            Command::CreateCase {
                case_id: "C-1".into(),
                project_code: "2603-440300-04-01-123456".into(),
                project_name: "示例项目".into(),
                applicant: "app-1".into(),
            },
            &applicant(),
            at(created, 9),
        );
        h
    }

    pub fn try_run(
        &mut self,
        cmd: Command,
        actor: &Actor,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<Event>, Refusal> {
        let evs = decide(self.case.as_ref(), &cmd, actor, now, &self.defs)?;
        for e in &evs {
            self.case = Some(apply(self.case.take(), e, &self.defs));
        }
        self.log.extend(evs.iter().cloned());
        Ok(evs)
    }

    pub fn ok(&mut self, cmd: Command, actor: &Actor, now: DateTime<FixedOffset>) -> Vec<Event> {
        let k = cmd.kind();
        self.try_run(cmd, actor, now)
            .unwrap_or_else(|r| panic!("{k} refused: {r}"))
    }

    /// Expect a refusal with `code`; the case must not change.
    pub fn refused(
        &mut self,
        cmd: Command,
        actor: &Actor,
        now: DateTime<FixedOffset>,
        code: &str,
    ) -> Refusal {
        let before = self.case.clone();
        let r = self
            .try_run(cmd, actor, now)
            .expect_err("command should be refused");
        assert_eq!(r.code, code, "{r}");
        assert!(!r.message_zh.is_empty() && !r.message_en.is_empty());
        assert_eq!(self.case, before);
        r
    }

    pub fn case(&self) -> &Case {
        self.case.as_ref().unwrap()
    }

    pub fn item(&self, code: &str) -> &ItemCase {
        self.case().item(code).unwrap()
    }

    pub fn kinds(evs: &[Event]) -> Vec<&'static str> {
        evs.iter().map(|e| e.kind().as_str()).collect()
    }

    /// `day` at `h`:00, or one minute after the last event if that is later
    /// (short-hands may run several steps on one day).
    pub fn when(&self, day: &str, h: u32) -> DateTime<FixedOffset> {
        let t = at(day, h);
        match &self.case {
            Some(c) if c.updated_at >= t => c.updated_at + chrono::Duration::minutes(1),
            _ => t,
        }
    }

    // Short-hands for the common commands.
    pub fn submit(&mut self, item: &str, mats: &[&str], day: &str) -> Vec<Event> {
        self.submit_c(item, mats, &[], day)
    }
    pub fn submit_c(&mut self, item: &str, mats: &[&str], com: &[&str], day: &str) -> Vec<Event> {
        self.ok(
            Command::Submit {
                item: item.into(),
                materials: mats.iter().map(|s| s.to_string()).collect(),
                commitments: com.iter().map(|s| s.to_string()).collect(),
            },
            &applicant(),
            self.when(day, 9),
        )
    }
    pub fn accept(&mut self, item: &str, day: &str) -> Vec<Event> {
        self.ok(
            Command::Accept { item: item.into() },
            &clerk(),
            self.when(day, 10),
        )
    }
    pub fn process(&mut self, item: &str, dept: &str, day: &str) -> Vec<Event> {
        self.ok(
            Command::StartProcessing { item: item.into() },
            &reviewer(dept),
            self.when(day, 11),
        )
    }
    pub fn conclude(&mut self, item: &str, dept: &str, outcome: Outcome, day: &str) -> Vec<Event> {
        self.ok(
            Command::Conclude {
                item: item.into(),
                outcome,
                opinion: "同意 approved".into(),
            },
            &reviewer(dept),
            self.when(day, 16),
        )
    }
    pub fn fire(&mut self, id: &str, now: DateTime<FixedOffset>) -> Result<Vec<Event>, Refusal> {
        self.try_run(
            Command::FireTimer {
                timer_id: id.into(),
            },
            &Actor::system(),
            now,
        )
    }
}
