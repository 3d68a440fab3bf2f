//! Demo data for `make demo` (演示数据): one user per role with a known password and
//! TOTP secret, and a few cases in different states (just opened, waiting at the
//! window, an automatic review that failed, an approved permit with its e-licence).
//! Seeding is idempotent: a store that already has the demo applicant is left alone.
//!
//! The demo password and TOTP secret are public, so the demo must never face a
//! network: the server binds loopback in demo mode.

use crate::auth::{self, AuthConfig, NewUser, Principal, WebRole};
use crate::cases::{self, NewCase};
use crate::licences::{self, Issuer};
use crate::review::{enqueue_stored, run_jobs, StoredInputs};
use crate::{AppError, CaseId, ItemCode, RequestId, Sha256};
use zhishen_store::Store;
use zhishen_workflow::{Actor, Command, Outcome};

pub const DEMO_PASSWORD: &str = "Zhishen-demo-2026";
/// Base32 TOTP secret of every demo user (enrol it in an authenticator app, or use
/// `zhishen demo totp`).
pub const DEMO_TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
pub const DEMO_ENTERPRISE: &str = "示例置业有限公司";
pub const DEMO_REGION: &str = "440300";

/// (id, name, role, dept)
const USERS: &[(&str, &str, WebRole, Option<&str>)] = &[
    ("demo-applicant", "张申请", WebRole::Applicant, None),
    ("demo-agent", "李代办", WebRole::Agent, None),
    ("demo-clerk", "王窗口", WebRole::Clerk, None),
    ("demo-coordinator", "赵协调", WebRole::Coordinator, None),
    (
        "demo-reviewer",
        "陈审查（规划）",
        WebRole::Reviewer,
        Some("zrzy"),
    ),
    (
        "demo-reviewer-fgw",
        "周审查（发改）",
        WebRole::Reviewer,
        Some("fgw"),
    ),
    ("demo-approver", "刘审批", WebRole::Approver, Some("zrzy")),
    ("demo-supervisor", "孙监察", WebRole::Supervisor, None),
    ("demo-auditor", "吴审计", WebRole::Auditor, None),
    ("demo-sysadmin", "郑系统管理员", WebRole::SysAdmin, None),
    ("demo-secadmin", "冯安全管理员", WebRole::SecAdmin, None),
    ("demo-auditadmin", "蒋审计管理员", WebRole::AuditAdmin, None),
];

pub fn demo_users() -> Vec<NewUser> {
    USERS
        .iter()
        .map(|(id, name, role, dept)| NewUser {
            id: id.to_string(),
            display_name: name.to_string(),
            role: *role,
            enterprise: role.needs_enterprise().then(|| DEMO_ENTERPRISE.to_string()),
            dept: dept.map(str::to_string),
            region: DEMO_REGION.to_string(),
            password: DEMO_PASSWORD.to_string(),
            totp_secret: Some(DEMO_TOTP_SECRET.to_string()),
        })
        .collect()
}

/// The review inputs of the demo: the packed district and two models.
pub struct DemoSite<'a> {
    pub site_sha256: Sha256,
    /// (model bytes, parcel, placement, use) of a compliant building.
    pub compliant: (&'a [u8], &'a str, &'a str, &'a str),
    /// The same for a building that fails a check.
    pub failing: (&'a [u8], &'a str, &'a str, &'a str),
}

/// What was seeded.
#[derive(Debug, Default, serde::Serialize)]
pub struct Seeded {
    pub users: usize,
    pub cases: Vec<(String, String)>,
}

fn principal(id: &str) -> Principal {
    let u = demo_users()
        .into_iter()
        .find(|u| u.id == id)
        .expect("a demo user");
    Principal {
        user_id: u.id,
        display_name: u.display_name,
        role: u.role,
        enterprise: u.enterprise,
        dept: u.dept,
        region: u.region,
    }
}

struct Driver<'a> {
    store: &'a Store,
    issuer: &'a Issuer<'a>,
    case: CaseId,
    n: u32,
}

impl Driver<'_> {
    async fn run(&mut self, who: &str, cmd: Command) -> Result<(), AppError> {
        self.n += 1;
        let rid = RequestId::new(format!("demo-{}-{}", self.case, self.n))?;
        let act = cases::Act {
            case_id: self.case.as_str(),
            command: &cmd,
            request_id: &rid,
        };
        licences::act_and_issue(self.store, &principal(who), &act, self.issuer).await?;
        Ok(())
    }

    /// Hands in every required material of an item.
    async fn submit(&mut self, item: &str) -> Result<(), AppError> {
        let case = self
            .store
            .case(&self.case)
            .await?
            .ok_or_else(|| AppError::NotFound(self.case.to_string()))?;
        let defs = self.store.case_definitions(&case).await?;
        let materials = defs
            .catalogue
            .item(item)
            .map(|d| {
                d.materials
                    .iter()
                    .filter(|m| m.required)
                    .map(|m| m.code.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.run(
            "demo-applicant",
            Command::Submit {
                item: item.into(),
                materials,
                commitments: vec![],
            },
        )
        .await
    }

    async fn accept_and_process(&mut self, item: &str, reviewer: &str) -> Result<(), AppError> {
        self.run("demo-clerk", Command::Accept { item: item.into() })
            .await?;
        self.run(reviewer, Command::StartProcessing { item: item.into() })
            .await
    }

    async fn pass(&mut self, item: &str, reviewer: &str) -> Result<(), AppError> {
        self.submit(item).await?;
        self.accept_and_process(item, reviewer).await?;
        self.run(
            reviewer,
            Command::Conclude {
                item: item.into(),
                outcome: Outcome::Pass,
                opinion: "符合要求".into(),
            },
        )
        .await
    }

    /// Stage 1 and the design scheme review, so the planning permit is next.
    async fn up_to_planning_permit(&mut self) -> Result<(), AppError> {
        self.pass("XMBA", "demo-reviewer-fgw").await?;
        self.pass("JSYDGHXK", "demo-reviewer").await?;
        self.pass("SJFASC", "demo-reviewer").await
    }
}

async fn open(store: &Store, code: &str, name: &str) -> Result<CaseId, AppError> {
    let rid = RequestId::new(format!("demo-open-{code}"))?;
    let n = NewCase {
        project_code: code.into(),
        project_name: name.into(),
    };
    cases::create_case(store, &principal("demo-applicant"), &n, &rid).await
}

async fn review(
    store: &Store,
    case: &CaseId,
    site: &Sha256,
    m: (&[u8], &str, &str, &str),
) -> Result<(), AppError> {
    let sha = store.put_blob(m.0, "application/x-step").await?;
    enqueue_stored(
        store,
        StoredInputs {
            case_id: case.clone(),
            item: ItemCode::new("JSGCGHXK")?,
            model_sha256: sha,
            site_sha256: site.clone(),
            parcel: m.1.into(),
            place: Some(m.2.into()),
            declared_use: Some(m.3.into()),
            declared: None,
        },
    )
    .await?;
    run_jobs(store, &Actor::system()).await?;
    Ok(())
}

/// Seeds the demo users and cases (once).
pub async fn seed(
    store: &Store,
    site: Option<&DemoSite<'_>>,
    issuer: &Issuer<'_>,
) -> Result<Seeded, AppError> {
    let mut out = Seeded::default();
    if store.user("demo-applicant").await?.is_some() {
        return Ok(out);
    }
    let cfg = AuthConfig::default();
    for u in demo_users() {
        auth::create_user(store, &cfg, &u).await?;
        out.users += 1;
    }
    let a = open(
        store,
        "2612-440300-04-01-000001",
        "示例花园一期（新建申报）",
    )
    .await?;
    out.cases.push((a.to_string(), "opened".into()));
    let b = open(store, "2612-440300-04-01-000002", "示例大厦（待窗口受理）").await?;
    Driver {
        store,
        issuer,
        case: b.clone(),
        n: 0,
    }
    .submit("XMBA")
    .await?;
    out.cases
        .push((b.to_string(), "waiting for the window".into()));
    let Some(site) = site else { return Ok(out) };
    let c = open(
        store,
        "2612-440300-04-01-000003",
        "滨海住宅二期（自动审查未通过）",
    )
    .await?;
    let mut d = Driver {
        store,
        issuer,
        case: c.clone(),
        n: 0,
    };
    d.up_to_planning_permit().await?;
    d.submit("JSGCGHXK").await?;
    d.accept_and_process("JSGCGHXK", "demo-reviewer").await?;
    review(store, &c, &site.site_sha256, site.failing).await?;
    out.cases
        .push((c.to_string(), "automatic review failed".into()));
    let e = open(store, "2612-440300-04-01-000004", "科技园三期（已发证）").await?;
    let mut d = Driver {
        store,
        issuer,
        case: e.clone(),
        n: 0,
    };
    d.up_to_planning_permit().await?;
    d.submit("JSGCGHXK").await?;
    d.accept_and_process("JSGCGHXK", "demo-reviewer").await?;
    review(store, &e, &site.site_sha256, site.compliant).await?;
    d.run(
        "demo-approver",
        Command::Conclude {
            item: "JSGCGHXK".into(),
            outcome: Outcome::Pass,
            opinion: "同意核发".into(),
        },
    )
    .await?;
    out.cases
        .push((e.to_string(), "approved, licence issued".into()));
    Ok(out)
}
