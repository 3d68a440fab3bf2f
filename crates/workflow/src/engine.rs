//! `decide` (command → events or refusal) and `apply` (event → case).

use crate::calendar::Calendar;
use crate::catalogue::{ClockRule, ItemDef, RongqueOverdueAction};
use crate::clock::{self, local_date};
use crate::command::{Actor, Command, Event, Refusal, Role};
use crate::credit;
use crate::model::*;
use crate::process::{Definitions, JoinRule};
use crate::timers::{timers, TimerKind};
use chrono::{DateTime, FixedOffset, NaiveDate};
use std::collections::BTreeSet;

type R<T> = Result<T, Refusal>;

fn refuse<T>(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> R<T> {
    Err(Refusal::new(code, zh, en))
}

fn state_label(s: ItemState) -> String {
    match s.code() {
        Some(c) => format!("{}({})", c.name_zh(), c.code()),
        None => "未收件(waiting)".to_string(),
    }
}

fn invalid(item: &ItemCase, cmd: &Command) -> Refusal {
    if matches!(item.state, ItemState::Concluded { .. }) {
        return Refusal::new(
            "item_concluded",
            format!(
                "事项 {} 已{}，除撤销外不能再办理「{}」",
                item.code,
                state_label(item.state),
                cmd.kind()
            ),
            format!(
                "item {} is already concluded ({:?}); only a revocation is possible, not {}",
                item.code,
                item.state,
                cmd.kind()
            ),
        );
    }
    Refusal::new(
        "invalid_transition",
        format!(
            "事项 {} 当前状态为{}，不能办理「{}」",
            item.code,
            state_label(item.state),
            cmd.kind()
        ),
        format!(
            "item {} is in state {:?}; {} is not allowed there",
            item.code,
            item.state,
            cmd.kind()
        ),
    )
}

fn need_role(actor: &Actor, roles: &[Role], cmd: &Command) -> R<()> {
    if roles.contains(&actor.role) {
        return Ok(());
    }
    let allowed = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("/");
    refuse(
        "role_not_allowed",
        format!(
            "角色 {} 无权办理「{}」(允许: {allowed})",
            actor.role.as_str(),
            cmd.kind()
        ),
        format!(
            "role {} may not {} (allowed: {allowed})",
            actor.role.as_str(),
            cmd.kind()
        ),
    )
}

/// Reviewers and department heads act only on their own department's items.
fn need_dept(actor: &Actor, item: &ItemCase) -> R<()> {
    if !matches!(actor.role, Role::Reviewer | Role::DeptHead) {
        return Ok(());
    }
    if actor.dept.as_deref() == Some(item.department.as_str()) {
        return Ok(());
    }
    refuse(
        "wrong_department",
        format!(
            "{} 不属于承办部门 {}，不能办理事项 {}",
            actor.id, item.department, item.code
        ),
        format!(
            "{} is not in department {} which handles item {}",
            actor.id, item.department, item.code
        ),
    )
}

fn need_text(s: &str, field: &str) -> R<()> {
    if s.trim().is_empty() {
        return refuse(
            "missing_reason",
            format!("必须填写{field}"),
            format!("`{field}` must not be empty"),
        );
    }
    Ok(())
}

fn check_materials(def: &ItemDef, codes: &[String]) -> R<()> {
    for c in codes {
        if def.material(c).is_none() {
            return refuse(
                "unknown_material",
                format!("事项 {} 没有材料 {c}", def.code),
                format!("item {} has no material '{c}'", def.code),
            );
        }
    }
    Ok(())
}

/// Required materials neither handed in nor covered by a commitment.
fn missing_materials(def: &ItemDef, item: &ItemCase) -> Vec<String> {
    def.materials
        .iter()
        .filter(|m| {
            m.required && !item.materials.contains(&m.code) && !item.commitments.contains(&m.code)
        })
        .map(|m| m.code.clone())
        .collect()
}

fn pinned(case: &Case, defs: &Definitions) -> R<()> {
    let want = (
        &case.process_id,
        &case.process_version,
        &case.catalogue_id,
        &case.catalogue_version,
        case.calendar_version.as_str(),
    );
    let got = (
        &defs.process.id,
        &defs.process.version,
        &defs.catalogue.id,
        &defs.catalogue.version,
        defs.calendar.version(),
    );
    if want == got {
        return Ok(());
    }
    refuse(
        "definitions_mismatch",
        format!(
            "案件 {} 固定使用流程 {} {}、事项清单 {} {}、工作日历 {}，与所给定义不一致",
            case.id, want.0, want.1, want.2, want.3, want.4
        ),
        format!(
            "case {} is pinned to process {} {}, catalogue {} {}, calendar {}; got {} {}, {} {}, {}",
            case.id, want.0, want.1, want.2, want.3, want.4, got.0, got.1, got.2, got.3, got.4
        ),
    )
}

fn cal_refusal(e: crate::WorkflowError) -> Refusal {
    Refusal::new(
        "calendar_uncovered",
        format!("工作日历无法计算: {e}"),
        format!("the working-day calendar cannot compute this: {e}"),
    )
}

/// Turn a command into events, or refuse it. Never reads the clock: `now` is given.
/// `case` is `None` only for `CreateCase`.
pub fn decide(
    case: Option<&Case>,
    cmd: &Command,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    defs: &Definitions,
) -> Result<Vec<Event>, Refusal> {
    let today = local_date(now);
    defs.calendar.is_working_day(today).map_err(cal_refusal)?;
    if actor.role == Role::Auditor {
        return refuse(
            "role_not_allowed",
            "审计员只读，不能办理业务",
            "auditors are read-only",
        );
    }
    let Some(case) = case else {
        let Command::CreateCase {
            case_id,
            project_code,
            project_name,
            applicant,
        } = cmd
        else {
            return refuse(
                "no_case",
                format!("案件不存在，不能办理「{}」", cmd.kind()),
                format!("no such case for {}", cmd.kind()),
            );
        };
        need_role(actor, &[Role::Applicant, Role::Clerk], cmd)?;
        need_text(case_id, "case_id")?;
        need_text(project_code, "project_code")?;
        need_text(applicant, "applicant")?;
        let created = Event::CaseCreated {
            case_id: case_id.clone(),
            project_code: project_code.clone(),
            project_name: project_name.clone(),
            applicant: applicant.clone(),
            process_id: defs.process.id.clone(),
            process_version: defs.process.version.clone(),
            catalogue_id: defs.catalogue.id.clone(),
            catalogue_version: defs.catalogue.version.clone(),
            calendar_version: defs.calendar.version().to_string(),
            at: now,
        };
        let c = apply(None, &created, defs);
        let mut out = vec![created];
        out.extend(follow_ups(c, defs, now));
        return Ok(out);
    };
    if let Command::CreateCase { case_id, .. } = cmd {
        return refuse(
            "case_exists",
            format!("案件 {case_id} 已存在"),
            format!("case {case_id} already exists"),
        );
    }
    pinned(case, defs)?;
    if now < case.updated_at {
        return refuse(
            "time_reversed",
            format!("办理时间 {now} 早于上一事件时间 {}", case.updated_at),
            format!(
                "command time {now} is before the last event {}",
                case.updated_at
            ),
        );
    }
    let primary = decide_primary(case, cmd, actor, now, today, defs)?;
    let mut c = case.clone();
    for e in &primary {
        c = apply(Some(c), e, defs);
    }
    let mut out = primary;
    out.extend(follow_ups(c, defs, now));
    Ok(out)
}

/// Stage joins, next-stage openings and case completion that follow from the
/// primary events; emitted explicitly so the log tells the whole story.
fn follow_ups(mut c: Case, defs: &Definitions, now: DateTime<FixedOffset>) -> Vec<Event> {
    let mut out = Vec::new();
    loop {
        if c.status != CaseStatus::Open {
            break;
        }
        let next = match c.open_stage() {
            None => match c
                .stages
                .iter()
                .position(|s| s.status == StageStatus::Pending)
            {
                // Only right after creation: open the first stage.
                Some(0) => vec![Event::StageOpened {
                    stage: 0,
                    kind: c.stages[0].kind,
                    at: now,
                }],
                _ => break,
            },
            Some(si) => {
                let Some(sdef) = defs.process.stages.get(si) else {
                    break;
                };
                let waited: Vec<&ItemCase> = sdef
                    .items
                    .iter()
                    .filter(|i| match sdef.join {
                        JoinRule::AllRequired => i.required,
                        JoinRule::Milestones => i.milestone,
                    })
                    .filter_map(|i| c.item(&i.code))
                    .collect();
                if let Some(dead) = waited
                    .iter()
                    .find(|i| i.state.is_terminal() && !i.state.is_passed())
                {
                    let item = dead.code.clone();
                    vec![
                        Event::StageFailed {
                            stage: si,
                            kind: sdef.kind,
                            item: item.clone(),
                            at: now,
                        },
                        Event::CaseTerminated {
                            reason: format!(
                                "必办事项 {item} 未通过，{}阶段无法完成 / required item {item} ended without approval",
                                sdef.kind.name_zh()
                            ),
                            at: now,
                        },
                    ]
                } else if waited.iter().all(|i| i.state.is_passed()) {
                    let mut v = vec![Event::StageJoined {
                        stage: si,
                        kind: sdef.kind,
                        at: now,
                    }];
                    match defs.process.stages.get(si + 1) {
                        Some(n) => v.push(Event::StageOpened {
                            stage: si + 1,
                            kind: n.kind,
                            at: now,
                        }),
                        None => v.push(Event::CaseCompleted { at: now }),
                    }
                    v
                } else {
                    break;
                }
            }
        };
        for e in next {
            c = apply(Some(c), &e, defs);
            out.push(e);
        }
    }
    out
}

fn decide_primary(
    case: &Case,
    cmd: &Command,
    actor: &Actor,
    now: DateTime<FixedOffset>,
    today: NaiveDate,
    defs: &Definitions,
) -> R<Vec<Event>> {
    match cmd {
        Command::CreateCase { .. } => unreachable_create(),
        Command::Rate { score, comment } => {
            need_role(actor, &[Role::Applicant], cmd)?;
            need_applicant(case, actor)?;
            if case.status == CaseStatus::Open {
                return refuse(
                    "case_not_ended",
                    "案件尚未办结，不能评价",
                    "the case has not ended yet; rating comes after",
                );
            }
            if case.rating.is_some() {
                return refuse(
                    "already_rated",
                    "本案件已评价（一事一评）",
                    "the case is already rated (one rating per case)",
                );
            }
            if RatingLevel::from_score(*score).is_none() {
                return refuse(
                    "invalid_score",
                    format!("评分 {score} 无效，应为 1..=5"),
                    format!("score {score} is not in 1..=5"),
                );
            }
            Ok(vec![Event::Rated {
                score: *score,
                comment: comment.clone(),
                at: now,
            }])
        }
        Command::FireTimer { timer_id } => fire_timer(case, timer_id, actor, cmd, now, defs),
        Command::ApplyCredit { credit } => {
            need_role(actor, &[Role::Supervisor, Role::System], cmd)?;
            Ok(vec![Event::CreditApplied {
                credit: credit.clone(),
                at: now,
            }])
        }
        Command::RecordRisk { assessment } => {
            need_role(actor, &[Role::System], cmd)?;
            let previous = case.risk.as_ref();
            let none = assessment.level == crate::risk::RiskLevel::None;
            if previous.map_or(none, |p| p.same_as(assessment)) {
                return refuse(
                    "risk_unchanged",
                    "风险评估未变化",
                    "the risk assessment has not changed",
                );
            }
            Ok(vec![Event::RiskChanged {
                previous: previous.map_or(crate::risk::RiskLevel::None, |p| p.level),
                assessment: assessment.clone(),
                at: now,
            }])
        }
        _ => {
            let code = cmd.item().unwrap_or_default();
            let (Some(item), Some(def)) = (case.item(code), defs.catalogue.item(code)) else {
                return refuse(
                    "unknown_item",
                    format!("案件 {} 中没有事项 {code}", case.id),
                    format!("case {} has no item '{code}'", case.id),
                );
            };
            item_or_material(case, (item, def), cmd, actor, (now, today), defs)
        }
    }
}

/// Material commands and the material rules around the item commands: 电子证照复用 on
/// 收件, and no 补正 for a material a licence already satisfies.
fn item_or_material(
    case: &Case,
    (item, def): (&ItemCase, &ItemDef),
    cmd: &Command,
    actor: &Actor,
    (now, today): (DateTime<FixedOffset>, NaiveDate),
    defs: &Definitions,
) -> R<Vec<Event>> {
    match cmd {
        Command::AttachMaterial {
            material,
            attachment,
            ..
        } => attach_material(case, (item, def), (material, attachment), actor, now),
        Command::RequestSupplement { materials, .. } => {
            crate::materials::check_not_reused(item, materials)?;
            item_command(&ItemCtx {
                case,
                item,
                def,
                cmd,
                actor,
                now,
                today,
                defs,
            })
        }
        Command::Submit { materials, .. } => {
            let mut events = item_command(&ItemCtx {
                case,
                item,
                def,
                cmd,
                actor,
                now,
                today,
                defs,
            })?;
            events.extend(crate::materials::reused_on_receipt(
                case, def, materials, now,
            ));
            Ok(events)
        }
        _ => item_command(&ItemCtx {
            case,
            item,
            def,
            cmd,
            actor,
            now,
            today,
            defs,
        }),
    }
}

/// 材料核验 at the door: the applicant's (or a clerk's) file of a catalogue material, of
/// the kind the catalogue asks for, or a licence of the case that satisfies it.
fn attach_material(
    case: &Case,
    (item, def): (&ItemCase, &ItemDef),
    (material, attachment): (&str, &crate::materials::Attachment),
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> R<Vec<Event>> {
    use crate::materials::Attachment;
    need_role(
        actor,
        &[Role::Applicant, Role::Clerk],
        &Command::AttachMaterial {
            item: item.code.clone(),
            material: material.to_string(),
            attachment: attachment.clone(),
        },
    )?;
    need_applicant(case, actor)?;
    let open = !matches!(
        item.state,
        ItemState::Concluded { .. }
            | ItemState::Cancelled
            | ItemState::NotAccepted
            | ItemState::Withdrawn
            | ItemState::Revoked
    );
    if !open {
        return refuse(
            "item_closed",
            format!("事项 {} 已结束，不能再提交材料", item.code),
            format!("item {} has ended; no material can be attached", item.code),
        );
    }
    match attachment {
        Attachment::File { kind, sha256, .. } => {
            crate::materials::check_file(def, material, *kind)?;
            let hex = sha256.len() == 64
                && sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex {
                return refuse(
                    "invalid_digest",
                    format!("材料摘要 '{sha256}' 不是 64 位小写十六进制 SHA-256"),
                    format!("sha256 '{sha256}' is not 64 lowercase hex digits"),
                );
            }
        }
        Attachment::Licence { kind, number, .. } => {
            let wanted = def.material(material).and_then(|m| m.licence.as_deref());
            let found = crate::materials::reused_on_receipt(case, def, &[], now)
                .into_iter()
                .any(|e| matches!(&e, Event::MaterialAttached { material: m, attachment: Attachment::Licence { kind: k, number: n, .. }, .. } if m == material && k == kind && n == number));
            if wanted != Some(kind.as_str()) || !found {
                return refuse(
                    "licence_not_found",
                    format!("本案件没有可复用于材料 {material} 的已发证照 {kind} {number}"),
                    format!("no issued licence {kind} {number} of this case satisfies material {material}"),
                );
            }
        }
    }
    Ok(vec![Event::MaterialAttached {
        item: item.code.clone(),
        material: material.to_string(),
        attachment: attachment.clone(),
        at: now,
    }])
}

/// `item_command` hands each command to its own handler, which destructures it again;
/// kept total instead of panicking, like `unreachable_create`.
fn wrong_handler() -> R<Vec<Event>> {
    refuse(
        "internal",
        "内部错误：命令交给了错误的处理函数",
        "internal error: a command reached another command's handler",
    )
}

fn unreachable_create() -> R<Vec<Event>> {
    // decide() handles CreateCase before dispatching; kept total instead of panicking.
    refuse("case_exists", "案件已存在", "case already exists")
}

fn need_applicant(case: &Case, actor: &Actor) -> R<()> {
    let acts_for_applicant =
        actor.id == case.applicant || actor.on_behalf_of.as_deref() == Some(&case.applicant);
    if actor.role == Role::Applicant && !acts_for_applicant {
        return refuse(
            "not_applicant",
            format!("{} 不是本案件申请人", actor.id),
            format!("{} is not this case's applicant", actor.id),
        );
    }
    Ok(())
}

/// What one item command is decided against (the case, the item and its definition,
/// the command, who gives it and when).
#[derive(Clone, Copy)]
struct ItemCtx<'a> {
    case: &'a Case,
    item: &'a ItemCase,
    def: &'a ItemDef,
    cmd: &'a Command,
    actor: &'a Actor,
    now: DateTime<FixedOffset>,
    today: NaiveDate,
    defs: &'a Definitions,
}

fn item_command(x: &ItemCtx) -> R<Vec<Event>> {
    match x.cmd {
        Command::Submit { .. } => item_submit(x),
        Command::Accept { .. } => item_accept(x),
        Command::Reject { .. } => item_reject(x),
        Command::RequestSupplement { .. } => item_request_supplement(x),
        Command::SupplementDone { .. } => item_supplement_done(x),
        Command::SupplyMaterials { .. } => item_supply_materials(x),
        Command::StartProcessing { .. } => item_start_processing(x),
        Command::StartSpecial { .. } => item_start_special(x),
        Command::EndSpecial { .. } => item_end_special(x),
        Command::RequestExtension { .. } => item_request_extension(x),
        Command::ApproveExtension { .. } => item_approve_extension(x),
        Command::RecordReview { .. } => item_record_review(x),
        Command::Conclude { .. } => item_conclude(x),
        Command::Withdraw { .. } => item_withdraw(x),
        Command::Revoke { .. } => item_revoke(x),
        Command::RecordCheck { .. } => item_record_check(x),
        Command::CreateCase { .. }
        | Command::Rate { .. }
        | Command::FireTimer { .. }
        | Command::ApplyCredit { .. }
        | Command::RecordRisk { .. }
        | Command::AttachMaterial { .. } => unreachable_create(),
    }
}

/// `Command::Submit` on one item.
fn item_submit(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::Submit {
        materials,
        commitments,
        ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        case,
        item,
        def,
        cmd,
        actor,
        now,
        defs,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Applicant, Role::Clerk], cmd)?;
    need_applicant(case, actor)?;
    if st != ItemState::Waiting {
        return Err(invalid(item, cmd));
    }
    if case.stages.get(item.stage).map(|s| s.status) != Some(StageStatus::Open) {
        let kind = case.stages.get(item.stage).map(|s| s.kind);
        return refuse(
            "stage_not_open",
            format!(
                "事项 {code} 所在阶段{}未开启",
                kind.map_or("", |k| k.name_zh())
            ),
            format!("the stage of item {code} ({kind:?}) is not open"),
        );
    }
    if let Some((_, sitem)) = defs.process.find_item(&code) {
        let pending: Vec<&str> = sitem
            .prerequisites
            .iter()
            .filter(|p| !case.item(p).is_some_and(|i| i.state.is_passed()))
            .map(|s| s.as_str())
            .collect();
        if !pending.is_empty() {
            let list = pending.join(", ");
            return refuse(
                "prerequisite_pending",
                format!("事项 {code} 的前置事项未办结通过: {list}"),
                format!("prerequisites of item {code} not yet approved: {list}"),
            );
        }
    }
    check_materials(def, materials)?;
    check_materials(def, commitments)?;
    credit::gate_commitment(case.credit.as_ref(), commitments)?;
    if let Some(c) = commitments
        .iter()
        .find(|c| !def.material(c).is_some_and(|m| m.commitment))
    {
        return refuse(
            "commitment_not_allowed",
            format!("材料 {c} 不适用告知承诺"),
            format!("material '{c}' may not be replaced by a commitment"),
        );
    }
    Ok(vec![Event::ItemReceived {
        item: code,
        materials: materials.clone(),
        commitments: commitments.clone(),
        at: now,
    }])
}

/// `Command::Accept` on one item.
fn item_accept(x: &ItemCtx) -> R<Vec<Event>> {
    let ItemCtx {
        case,
        item,
        def,
        cmd,
        actor,
        now,
        today,
        ..
    } = *x;
    let cal = &x.defs.calendar;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Clerk, Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    if st != ItemState::Received {
        return Err(invalid(item, cmd));
    }
    let missing = missing_materials(def, item);
    let hard: Vec<&str> = missing
        .iter()
        .filter(|m| !def.material(m).is_some_and(|d| d.rongque))
        .map(|s| s.as_str())
        .collect();
    if !hard.is_empty() {
        let list = hard.join(", ");
        return refuse(
            "materials_incomplete",
            format!("事项 {code} 缺少不可容缺的材料: {list}（应一次告知补正）"),
            format!(
                "item {code} lacks materials that cannot be 容缺: {list}; request a supplement"
            ),
        );
    }
    credit::gate_rongque(case.credit.as_ref(), &missing)?;
    let due = if missing.is_empty() {
        None
    } else {
        Some(
            cal.add_working_days(today, def.rongque_supplement_wd)
                .map_err(cal_refusal)?,
        )
    };
    Ok(vec![Event::ItemAccepted {
        item: code,
        accepted_on: today,
        deemed: false,
        rongque_missing: missing,
        rongque_due: due,
        at: now,
    }])
}

/// `Command::Reject` on one item.
fn item_reject(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::Reject { reason, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Clerk, Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    let ok = matches!(
        st,
        ItemState::Received
            | ItemState::Supplementing {
                resume: Phase::Received
            }
    );
    if !ok {
        return Err(invalid(item, cmd));
    }
    need_text(reason, "reason")?;
    Ok(vec![Event::ItemNotAccepted {
        item: code,
        reason: reason.clone(),
        at: now,
    }])
}

/// `Command::RequestSupplement` on one item.
fn item_request_supplement(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::RequestSupplement {
        materials, note, ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        item,
        def,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    let before = match st {
        ItemState::Received => true,
        ItemState::Accepted | ItemState::Processing => false,
        _ => return Err(invalid(item, cmd)),
    };
    // System: the IDS gate 提交要求 sends a model that fails its item's IDS back
    // before any planning check runs.
    if before {
        need_role(actor, &[Role::Clerk, Role::Reviewer, Role::System], cmd)?;
    } else {
        need_role(actor, &[Role::Reviewer, Role::System], cmd)?;
    }
    need_dept(actor, item)?;
    if before && item.notice_issued {
        return refuse(
            "one_notice_only",
            format!("事项 {code} 已一次性告知补正，不得再次要求补正"),
            format!("item {code} already had its single 一次告知 notice before acceptance"),
        );
    }
    if materials.is_empty() {
        return refuse(
            "missing_reason",
            "补正通知必须列明所需材料",
            "a supplement request must list the materials",
        );
    }
    check_materials(def, materials)?;
    Ok(vec![Event::SupplementRequested {
        item: code,
        materials: materials.clone(),
        note: note.clone(),
        before_acceptance: before,
        at: now,
    }])
}

/// `Command::SupplementDone` on one item.
fn item_supplement_done(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::SupplementDone { materials, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        case,
        item,
        def,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Applicant, Role::Clerk], cmd)?;
    need_applicant(case, actor)?;
    let ItemState::Supplementing { resume } = st else {
        return Err(invalid(item, cmd));
    };
    check_materials(def, materials)?;
    let lacking: Vec<&str> = item
        .requested
        .iter()
        .filter(|m| !materials.contains(m))
        .map(|s| s.as_str())
        .collect();
    if !lacking.is_empty() {
        let list = lacking.join(", ");
        return refuse(
            "supplement_incomplete",
            format!("补正材料不全，仍缺: {list}"),
            format!("the supplement still lacks: {list}"),
        );
    }
    Ok(vec![Event::SupplementCompleted {
        item: code,
        materials: materials.clone(),
        rule: (resume != Phase::Received).then_some(def.supplement_clock),
        at: now,
    }])
}

/// `Command::SupplyMaterials` on one item.
fn item_supply_materials(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::SupplyMaterials { materials, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        case,
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Applicant, Role::Clerk], cmd)?;
    need_applicant(case, actor)?;
    let outstanding = item
        .rongque
        .as_ref()
        .map(|r| r.missing.clone())
        .unwrap_or_default();
    let usable = !outstanding.is_empty()
        && !matches!(
            st,
            ItemState::Waiting
                | ItemState::Cancelled
                | ItemState::NotAccepted
                | ItemState::Withdrawn
                | ItemState::Revoked
                | ItemState::Concluded {
                    outcome: Outcome::Fail
                }
        );
    if !usable {
        return refuse(
            "nothing_outstanding",
            format!("事项 {code} 没有待补的容缺材料"),
            format!("item {code} has no outstanding 容缺 material"),
        );
    }
    if materials.is_empty() {
        return refuse("missing_reason", "未提交材料", "no material given");
    }
    if let Some(m) = materials.iter().find(|m| !outstanding.contains(*m)) {
        return refuse(
            "not_outstanding",
            format!("材料 {m} 不是待补的容缺材料"),
            format!("material '{m}' is not an outstanding 容缺 material"),
        );
    }
    let complete = outstanding.iter().all(|m| materials.contains(m));
    Ok(vec![Event::MaterialsSupplied {
        item: code,
        materials: materials.clone(),
        rongque_complete: complete,
        at: now,
    }])
}

/// `Command::StartProcessing` on one item.
fn item_start_processing(x: &ItemCtx) -> R<Vec<Event>> {
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    if st != ItemState::Accepted {
        return Err(invalid(item, cmd));
    }
    Ok(vec![Event::ProcessingStarted {
        item: code,
        at: now,
    }])
}

/// `Command::StartSpecial` on one item.
fn item_start_special(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::StartSpecial {
        kind,
        reason,
        limit_wd,
        ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    if !st.clock_running() {
        return Err(invalid(item, cmd));
    }
    need_text(reason, "reason")?;
    Ok(vec![Event::SpecialStarted {
        item: code,
        kind: *kind,
        reason: reason.clone(),
        limit_wd: *limit_wd,
        at: now,
    }])
}

/// `Command::EndSpecial` on one item.
fn item_end_special(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::EndSpecial { result, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    if !matches!(st, ItemState::Special { .. }) {
        return Err(invalid(item, cmd));
    }
    Ok(vec![Event::SpecialEnded {
        item: code,
        result: result.clone(),
        at: now,
    }])
}

/// `Command::RequestExtension` on one item.
fn item_request_extension(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::RequestExtension { days, reason, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        item,
        def,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    if !(st.clock_running() || matches!(st, ItemState::Special { .. })) {
        return Err(invalid(item, cmd));
    }
    need_text(reason, "reason")?;
    if item.pending_extension.is_some() {
        return refuse(
            "extension_pending",
            format!("事项 {code} 已有待批准的延期申请"),
            format!("item {code} already has an extension awaiting approval"),
        );
    }
    let used = item.clock.extension_wd;
    if *days == 0 || used + days > def.max_extension_wd {
        return refuse(
            "extension_too_long",
            format!(
                "延期 {days} 个工作日无效：已延期 {used} 日，上限 {} 日",
                def.max_extension_wd
            ),
            format!(
                "extension of {days} working days not allowed: {used} already used, at most {}",
                def.max_extension_wd
            ),
        );
    }
    Ok(vec![Event::ExtensionRequested {
        item: code,
        days: *days,
        reason: reason.clone(),
        at: now,
    }])
}

/// `Command::ApproveExtension` on one item.
fn item_approve_extension(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::ApproveExtension { approved, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::DeptHead], cmd)?;
    need_dept(actor, item)?;
    let Some(req) = &item.pending_extension else {
        return refuse(
            "no_extension_request",
            format!("事项 {code} 没有待批准的延期申请"),
            format!("item {code} has no pending extension request"),
        );
    };
    if st.is_terminal() {
        return Err(invalid(item, cmd));
    }
    Ok(vec![if *approved {
        Event::ExtensionApproved {
            item: code,
            days: req.days,
            at: now,
        }
    } else {
        Event::ExtensionDenied {
            item: code,
            at: now,
        }
    }])
}

/// `Command::RecordReview` on one item.
fn item_record_review(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::RecordReview {
        report_sha256,
        findings,
        ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        item,
        def,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer, Role::System], cmd)?;
    need_dept(actor, item)?;
    // The catalogue decides which items take a BIM/GIS machine review; the gate
    // lives here so that every caller of the store meets it, not only the CLI.
    if !def.bim_review {
        return refuse(
                "no_bim_review",
                format!("事项 {code} 不要求模型审查 (bim_review)，不能登记审查报告"),
                format!("item {code} does not take a BIM review (bim_review); no review report can be recorded"),
            );
    }
    if !(st.clock_running() || matches!(st, ItemState::Special { .. })) {
        return Err(invalid(item, cmd));
    }
    let hex = report_sha256.len() == 64
        && report_sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return refuse(
            "invalid_digest",
            format!("报告摘要 '{report_sha256}' 不是 64 位小写十六进制 SHA-256"),
            format!("report_sha256 '{report_sha256}' is not 64 lowercase hex digits"),
        );
    }
    let diff = item
        .reviews
        .last()
        .map(|prev| FindingsDiff::between(prev, findings));
    Ok(vec![Event::ReviewRecorded {
        item: code,
        report_sha256: report_sha256.clone(),
        findings: findings.clone(),
        diff,
        at: now,
    }])
}

/// `Command::Conclude` on one item.
fn item_conclude(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::Conclude {
        outcome, opinion, ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        case,
        item,
        def,
        cmd,
        actor,
        now,
        today,
        ..
    } = *x;
    let cal = &x.defs.calendar;
    let st = x.item.state;
    let code = x.item.code.clone();
    // The reviewer concludes, or the department head signs the decision
    // (审批人 签发) for the department.
    need_role(actor, &[Role::Reviewer, Role::DeptHead], cmd)?;
    need_dept(actor, item)?;
    if !st.clock_running() {
        return Err(invalid(item, cmd));
    }
    let outstanding = item.rongque.as_ref().filter(|r| !r.missing.is_empty());
    match outcome {
        Outcome::Fail => need_text(opinion, "opinion")?,
        Outcome::Pass if outstanding.is_some() => {
            return refuse(
                "rongque_outstanding",
                format!("事项 {code} 仍有容缺材料未补齐，只能容缺通过"),
                format!(
                    "item {code} still has outstanding 容缺 materials; conclude with pass_rongque"
                ),
            )
        }
        Outcome::PassRongque if outstanding.is_none() => {
            return refuse(
                "not_rongque",
                format!("事项 {code} 没有容缺材料，应按通过办结"),
                format!("item {code} has no outstanding 容缺 material; conclude with pass"),
            )
        }
        _ => {}
    }
    if outcome.is_pass() {
        credit::gate_extra_review(case.credit.as_ref(), actor.role)?;
        if outstanding.is_some_and(|r| r.overdue) {
            return refuse(
                    "rongque_overdue",
                    format!("事项 {code} 容缺材料已逾期未补正，暂停办结"),
                    format!("item {code}: 容缺 materials are overdue; conclusion is blocked until they arrive"),
                );
        }
        if def.bim_review && item.reviews.is_empty() {
            return refuse(
                "bim_review_missing",
                format!("事项 {code} 须先完成 BIM 审查并登记报告"),
                format!("item {code} requires a recorded BIM review before approval"),
            );
        }
    }
    let licence = match (&def.licence, outcome.is_pass()) {
        (Some(kind), true) => Some(Licence {
            kind: kind.clone(),
            number: format!("{}-{}", case.id, code),
            status: if *outcome == Outcome::PassRongque {
                LicenceStatus::Withheld
            } else {
                LicenceStatus::Issued
            },
        }),
        _ => None,
    };
    let check = if outcome.is_pass() && !item.commitments.is_empty() {
        Some(
            cal.add_working_days(today, def.commitment_check_wd)
                .map_err(cal_refusal)?,
        )
    } else {
        None
    };
    Ok(vec![Event::ItemConcluded {
        item: code,
        outcome: *outcome,
        opinion: opinion.clone(),
        licence,
        commitment_check_due: check,
        at: now,
    }])
}

/// `Command::Withdraw` on one item.
fn item_withdraw(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::Withdraw { reason, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        case,
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Applicant], cmd)?;
    need_applicant(case, actor)?;
    need_text(reason, "reason")?;
    match st {
        ItemState::Received
        | ItemState::Supplementing {
            resume: Phase::Received,
        } => Ok(vec![Event::ItemCancelled {
            item: code,
            reason: reason.clone(),
            at: now,
        }]),
        ItemState::Accepted
        | ItemState::Processing
        | ItemState::Special { .. }
        | ItemState::Supplementing { .. } => Ok(vec![Event::ItemWithdrawn {
            item: code,
            reason: reason.clone(),
            at: now,
        }]),
        _ => Err(invalid(item, cmd)),
    }
}

/// `Command::Revoke` on one item.
fn item_revoke(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::Revoke { reason, .. } = x.cmd else {
        return unreachable_create();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Supervisor, Role::DeptHead], cmd)?;
    need_dept(actor, item)?;
    if !st.is_passed() {
        return refuse(
            "invalid_transition",
            format!(
                "事项 {code} 当前状态为{}，只有已通过的决定可以撤销",
                state_label(st)
            ),
            format!("item {code} is {st:?}; only an approval can be revoked"),
        );
    }
    need_text(reason, "reason")?;
    Ok(vec![Event::ItemRevoked {
        item: code,
        reason: reason.clone(),
        at: now,
    }])
}

/// `Command::RecordCheck` on one item.
fn item_record_check(x: &ItemCtx) -> R<Vec<Event>> {
    let Command::RecordCheck {
        compliant, note, ..
    } = x.cmd
    else {
        return wrong_handler();
    };
    let ItemCtx {
        item,
        cmd,
        actor,
        now,
        ..
    } = *x;
    let st = x.item.state;
    let code = x.item.code.clone();
    need_role(actor, &[Role::Reviewer], cmd)?;
    need_dept(actor, item)?;
    let open = item
        .commitment_check
        .as_ref()
        .is_some_and(|c| matches!(c.status, CheckStatus::Armed | CheckStatus::Due));
    if !open || !st.is_passed() {
        return refuse(
            "no_commitment_check",
            format!("事项 {code} 没有待核查的告知承诺"),
            format!("item {code} has no open 告知承诺 check"),
        );
    }
    need_text(note, "note")?;
    let mut v = vec![Event::CommitmentChecked {
        item: code.clone(),
        compliant: *compliant,
        note: note.clone(),
        at: now,
    }];
    if !compliant {
        v.push(Event::ItemRevoked {
            item: code,
            reason: format!("告知承诺核查不符，撤销审批决定 / commitment breached: {note}"),
            at: now,
        });
    }
    Ok(v)
}

fn fire_timer(
    case: &Case,
    timer_id: &str,
    actor: &Actor,
    cmd: &Command,
    now: DateTime<FixedOffset>,
    defs: &Definitions,
) -> R<Vec<Event>> {
    need_role(actor, &[Role::System], cmd)?;
    let Some(t) = timers(case).into_iter().find(|t| t.id == timer_id) else {
        return refuse(
            "timer_not_armed",
            format!("计时器 {timer_id} 未设置或已失效"),
            format!("timer {timer_id} is not armed"),
        );
    };
    if now < t.due {
        return refuse(
            "timer_not_due",
            format!("计时器 {timer_id} 到期时间为 {}，尚未到期", t.due),
            format!("timer {timer_id} is due at {}, not yet", t.due),
        );
    }
    if t.kind == TimerKind::StageOverdue {
        let si = t.stage.unwrap_or(usize::MAX);
        let Some(s) = case.stages.get(si) else {
            return refuse(
                "unknown_stage",
                format!("没有阶段 {si}"),
                format!("no stage {si}"),
            );
        };
        return Ok(vec![Event::StageOverdue {
            stage: si,
            kind: s.kind,
            deadline: s.deadline.unwrap_or_else(|| local_date(now)),
            at: now,
        }]);
    }
    let code = t.item.clone().unwrap_or_default();
    let (Some(item), Some(def)) = (case.item(&code), defs.catalogue.item(&code)) else {
        return refuse(
            "unknown_item",
            format!("没有事项 {code}"),
            format!("no item '{code}'"),
        );
    };
    match t.kind {
        TimerKind::AutoAccept => {
            // Art. 32: no notice in time → accepted as of the day the materials arrived.
            let on = item
                .acceptance_window_from
                .or(item.received_on)
                .unwrap_or_else(|| local_date(now));
            let missing = missing_materials(def, item);
            let due = if missing.is_empty() {
                None
            } else {
                Some(
                    defs.calendar
                        .add_working_days(on, def.rongque_supplement_wd)
                        .map_err(cal_refusal)?,
                )
            };
            Ok(vec![Event::ItemAccepted {
                item: code,
                accepted_on: on,
                deemed: true,
                rongque_missing: missing,
                rongque_due: due,
                at: now,
            }])
        }
        TimerKind::RongqueDue => {
            let missing: Vec<String> = item
                .rongque
                .as_ref()
                .map(|r| r.missing.iter().cloned().collect())
                .unwrap_or_default();
            let mut v = vec![Event::RongqueOverdue {
                item: code.clone(),
                missing,
                action: def.rongque_overdue,
                at: now,
            }];
            if def.rongque_overdue == RongqueOverdueAction::Revoke
                && item.state
                    == (ItemState::Concluded {
                        outcome: Outcome::PassRongque,
                    })
            {
                v.push(Event::ItemRevoked {
                    item: code,
                    reason: "容缺材料逾期未补正，撤销容缺通过决定 / 容缺 materials overdue".into(),
                    at: now,
                });
            }
            Ok(v)
        }
        TimerKind::CommitmentCheck => Ok(vec![Event::CommitmentCheckDue {
            item: code,
            at: now,
        }]),
        // Handled above, before the item lookup; kept total.
        TimerKind::StageOverdue => refuse(
            "timer_not_armed",
            format!("计时器 {timer_id} 未设置或已失效"),
            format!("timer {timer_id} is not armed"),
        ),
        TimerKind::Overdue => Ok(vec![Event::ItemOverdue {
            item: code,
            deadline: item.deadline.unwrap_or_else(|| local_date(now)),
            at: now,
        }]),
    }
}

fn new_item(code: &str, stage: usize, def: Option<&ItemDef>) -> ItemCase {
    ItemCase {
        code: code.to_string(),
        stage,
        department: def.map(|d| d.department.clone()).unwrap_or_default(),
        state: ItemState::Waiting,
        last_code: None,
        received_on: None,
        acceptance_window_from: None,
        acceptance_due: None,
        notice_issued: false,
        accepted_on: None,
        deemed_accepted: false,
        materials: BTreeSet::new(),
        commitments: BTreeSet::new(),
        requested: Vec::new(),
        supplements: 0,
        clock: ItemClock {
            baseline: None,
            limit_wd: def.map_or(0, |d| d.promised_limit_wd),
            extension_wd: 0,
            excluded: Vec::new(),
            history: Vec::new(),
            restarts: Vec::new(),
            stopped_on: None,
        },
        deadline: None,
        deadline_error: None,
        pending_extension: None,
        extensions: Vec::new(),
        rongque: None,
        commitment_check: None,
        specials: Vec::new(),
        reviews: Vec::new(),
        opinion: None,
        concluded_on: None,
        licence: None,
        attachments: Default::default(),
        flags: BTreeSet::new(),
    }
}

fn refresh_deadline(it: &mut ItemCase, defs: &Definitions) {
    match clock::deadline(&it.clock, &defs.calendar) {
        Ok(d) => {
            it.deadline = d;
            it.deadline_error = None;
        }
        Err(e) => {
            it.deadline = None;
            it.deadline_error = Some(e.to_string());
        }
    }
}

fn acceptance_window(it: &mut ItemCase, from: NaiveDate, defs: &Definitions) {
    it.acceptance_window_from = Some(from);
    match defs.calendar.add_working_days(from, 5) {
        Ok(d) => it.acceptance_due = Some(d),
        Err(e) => {
            it.acceptance_due = None;
            it.deadline_error = Some(e.to_string());
        }
    }
}

fn close_open(clock: &mut ItemClock, cause: PauseCause, on: NaiveDate) {
    if let Some(i) = clock
        .excluded
        .iter_mut()
        .rev()
        .find(|i| i.to.is_none() && i.cause == cause)
    {
        i.to = Some(on.max(i.from));
    }
}

/// Fold one event into the case. Total and deterministic: an event that does
/// not fit (unknown item, no case) changes nothing but the sequence number.
pub fn apply(case: Option<Case>, ev: &Event, defs: &Definitions) -> Case {
    let at = ev.at();
    let day = local_date(at);
    let mut c = match (case, ev) {
        (
            None,
            Event::CaseCreated {
                case_id,
                project_code,
                project_name,
                applicant,
                process_id,
                process_version,
                catalogue_id,
                catalogue_version,
                calendar_version,
                ..
            },
        ) => Case {
            id: case_id.clone(),
            seq: 0,
            process_id: process_id.clone(),
            process_version: process_version.clone(),
            catalogue_id: catalogue_id.clone(),
            catalogue_version: catalogue_version.clone(),
            calendar_version: calendar_version.clone(),
            project_code: project_code.clone(),
            project_name: project_name.clone(),
            applicant: applicant.clone(),
            created_at: at,
            updated_at: at,
            status: CaseStatus::Open,
            ended_on: None,
            stages: defs
                .process
                .stages
                .iter()
                .map(|s| StageCase {
                    kind: s.kind,
                    lead_department: s.lead_department.clone(),
                    status: StageStatus::Pending,
                    opened_on: None,
                    joined_on: None,
                    limit_wd: s.limit_wd,
                    deadline: None,
                    overdue: false,
                })
                .collect(),
            items: defs
                .process
                .stages
                .iter()
                .enumerate()
                .flat_map(|(si, s)| {
                    s.items
                        .iter()
                        .map(move |i| new_item(&i.code, si, defs.catalogue.item(&i.code)))
                })
                .collect(),
            rating: None,
            notices: Vec::new(),
            credit: None,
            risk: None,
        },
        (Some(c), _) => c,
        (None, _) => Case {
            id: String::new(),
            seq: 0,
            process_id: String::new(),
            process_version: String::new(),
            catalogue_id: String::new(),
            catalogue_version: String::new(),
            calendar_version: String::new(),
            project_code: String::new(),
            project_name: String::new(),
            applicant: String::new(),
            created_at: at,
            updated_at: at,
            status: CaseStatus::Open,
            ended_on: None,
            stages: Vec::new(),
            items: Vec::new(),
            rating: None,
            notices: Vec::new(),
            credit: None,
            risk: None,
        },
    };
    c.seq += 1;
    c.updated_at = c.updated_at.max(at);
    match ev {
        Event::CaseCreated { .. } => {}
        Event::StageOpened { stage, .. } => {
            if let Some(s) = c.stages.get_mut(*stage) {
                s.status = StageStatus::Open;
                s.opened_on = Some(day);
            }
        }
        Event::StageJoined { stage, .. } => {
            if let Some(s) = c.stages.get_mut(*stage) {
                s.status = StageStatus::Joined;
                s.joined_on = Some(day);
            }
        }
        Event::StageFailed { stage, .. } => {
            if let Some(s) = c.stages.get_mut(*stage) {
                s.status = StageStatus::Failed;
                s.joined_on = Some(day);
            }
        }
        Event::StageOverdue { stage, .. } => {
            if let Some(s) = c.stages.get_mut(*stage) {
                s.overdue = true;
            }
        }
        Event::CaseCompleted { .. } => {
            c.status = CaseStatus::Completed;
            c.ended_on = Some(day);
        }
        Event::CaseTerminated { .. } => {
            c.status = CaseStatus::Terminated;
            c.ended_on = Some(day);
        }
        Event::CreditApplied { credit, .. } => c.credit = Some(credit.clone()),
        Event::RiskChanged { assessment, .. } => c.risk = Some(assessment.clone()),
        Event::Rated { score, comment, .. } => {
            if let Some(level) = RatingLevel::from_score(*score) {
                c.rating = Some(Rating {
                    level,
                    comment: comment.clone(),
                    at,
                });
            }
        }
        _ => {
            let case_id = c.id.clone();
            let code = ev.item().unwrap_or_default().to_string();
            let mut notice = None;
            if let Some(it) = c.item_mut(&code) {
                apply_item(it, ev, day, defs, &case_id, &mut notice);
                if let Some(sc) = ev.state_code() {
                    it.last_code = Some(sc);
                }
            }
            if let Some(kind) = notice {
                c.notices.push(Notice {
                    item: code,
                    kind,
                    at,
                });
            }
        }
    }
    for si in 0..c.stages.len() {
        let d = stage_deadline(&c, si, &defs.calendar);
        c.stages[si].deadline = d;
    }
    c
}

/// The last working day of stage `si`'s limit: `limit_wd` working days after
/// it opened, not counting days on which any of its items was in 特别程序
/// (the same days the stage-duration metric leaves out). `None` when the
/// stage is not open or has no limit, while one of its items is still in
/// 特别程序 (the end is not known yet), or past the calendar's years.
pub fn stage_deadline(c: &Case, si: usize, cal: &Calendar) -> Option<NaiveDate> {
    let s = c.stages.get(si)?;
    let (StageStatus::Open, Some(from), Some(limit)) = (s.status, s.opened_on, s.limit_wd) else {
        return None;
    };
    let specials: Vec<&SpecialRecord> = c
        .items
        .iter()
        .filter(|i| i.stage == si)
        .flat_map(|i| i.specials.iter())
        .collect();
    if specials.iter().any(|sp| sp.to.is_none()) {
        return None;
    }
    let mut n = 0;
    let mut d = from;
    // A limit is weeks; the bound only stops a broken calendar looping.
    for _ in 0..(limit as usize * 7 + 3660) {
        if n >= limit {
            return Some(d);
        }
        d = d.succ_opt()?;
        let in_special = specials
            .iter()
            .any(|sp| d > sp.from && sp.to.is_some_and(|t| d <= t));
        if cal.is_working_day(d).ok()? && !in_special {
            n += 1;
        }
    }
    None
}

fn apply_item(
    it: &mut ItemCase,
    ev: &Event,
    day: NaiveDate,
    defs: &Definitions,
    _case_id: &str,
    notice: &mut Option<NoticeKind>,
) {
    match ev {
        Event::ItemReceived {
            materials,
            commitments,
            ..
        } => {
            it.state = ItemState::Received;
            it.received_on = Some(day);
            it.materials.extend(materials.iter().cloned());
            it.commitments.extend(commitments.iter().cloned());
            acceptance_window(it, day, defs);
        }
        Event::ItemCancelled { .. } => it.state = ItemState::Cancelled,
        Event::ItemNotAccepted { .. } => it.state = ItemState::NotAccepted,
        Event::ItemAccepted {
            accepted_on,
            deemed,
            rongque_missing,
            rongque_due,
            ..
        } => {
            it.state = ItemState::Accepted;
            it.accepted_on = Some(*accepted_on);
            it.deemed_accepted = *deemed;
            it.clock.baseline = Some(*accepted_on);
            if let (false, Some(due)) = (rongque_missing.is_empty(), rongque_due) {
                it.rongque = Some(RongqueFollowUp {
                    missing: rongque_missing.iter().cloned().collect(),
                    due: *due,
                    overdue: false,
                });
            }
            refresh_deadline(it, defs);
        }
        Event::SupplementRequested {
            materials,
            before_acceptance,
            ..
        } => {
            let resume = match it.state {
                ItemState::Accepted => Phase::Accepted,
                ItemState::Processing => Phase::Processing,
                _ => Phase::Received,
            };
            it.state = ItemState::Supplementing { resume };
            it.requested = materials.clone();
            it.supplements += 1;
            if *before_acceptance {
                it.notice_issued = true;
            } else {
                // Under both rules the clock stands still while the applicant supplements.
                it.clock.excluded.push(Interval {
                    from: day,
                    to: None,
                    cause: PauseCause::Supplement,
                });
            }
            refresh_deadline(it, defs);
        }
        Event::SupplementCompleted {
            materials, rule, ..
        } => {
            if let ItemState::Supplementing { resume } = it.state {
                it.state = resume.state();
            }
            it.materials.extend(materials.iter().cloned());
            if let Some(r) = &mut it.rongque {
                for m in materials {
                    r.missing.remove(m);
                }
            }
            it.requested.clear();
            match rule {
                None => acceptance_window(it, day, defs),
                Some(ClockRule::Pause) => close_open(&mut it.clock, PauseCause::Supplement, day),
                Some(ClockRule::Restart) => {
                    close_open(&mut it.clock, PauseCause::Supplement, day);
                    let before = clock::counted_days(&it.clock, &defs.calendar, day).unwrap_or(0);
                    it.clock.restarts.push(Restart {
                        on: day,
                        counted_before: before,
                    });
                    let old = std::mem::take(&mut it.clock.excluded);
                    it.clock.history.extend(old);
                    it.clock.baseline = Some(day);
                }
            }
            refresh_deadline(it, defs);
        }
        Event::MaterialsSupplied {
            materials,
            rongque_complete,
            ..
        } => {
            it.materials.extend(materials.iter().cloned());
            if let Some(r) = &mut it.rongque {
                for m in materials {
                    r.missing.remove(m);
                }
            }
            if *rongque_complete {
                if let Some(l) = &mut it.licence {
                    if l.status == LicenceStatus::Withheld {
                        l.status = LicenceStatus::Issued;
                    }
                }
            }
        }
        Event::MaterialAttached {
            material,
            attachment,
            ..
        } => {
            it.materials.insert(material.clone());
            it.attachments.insert(material.clone(), attachment.clone());
        }
        Event::ProcessingStarted { .. } => it.state = ItemState::Processing,
        Event::SpecialStarted {
            kind,
            reason,
            limit_wd,
            ..
        } => {
            let resume = if it.state == ItemState::Processing {
                Phase::Processing
            } else {
                Phase::Accepted
            };
            it.state = ItemState::Special { resume };
            it.clock.excluded.push(Interval {
                from: day,
                to: None,
                cause: PauseCause::Special,
            });
            it.specials.push(SpecialRecord {
                kind: *kind,
                reason: reason.clone(),
                limit_wd: *limit_wd,
                from: day,
                to: None,
                result: None,
            });
            refresh_deadline(it, defs);
        }
        Event::SpecialEnded { result, .. } => {
            if let ItemState::Special { resume } = it.state {
                it.state = resume.state();
            }
            close_open(&mut it.clock, PauseCause::Special, day);
            if let Some(s) = it.specials.iter_mut().rev().find(|s| s.to.is_none()) {
                s.to = Some(day);
                s.result = Some(result.clone());
            }
            refresh_deadline(it, defs);
        }
        Event::ExtensionRequested { days, reason, .. } => {
            it.pending_extension = Some(ExtensionRequest {
                days: *days,
                reason: reason.clone(),
                requested_on: day,
            });
        }
        Event::ExtensionApproved { days, .. } => {
            let reason = it
                .pending_extension
                .take()
                .map(|r| r.reason)
                .unwrap_or_default();
            it.extensions.push(Extension {
                days: *days,
                reason,
                approved_on: day,
            });
            it.clock.extension_wd += days;
            refresh_deadline(it, defs);
        }
        Event::ExtensionDenied { .. } => it.pending_extension = None,
        Event::ReviewRecorded {
            report_sha256,
            findings,
            diff,
            at,
            ..
        } => it.reviews.push(Review {
            report_sha256: report_sha256.clone(),
            findings: findings.clone(),
            at: *at,
            diff: diff.clone(),
        }),
        Event::ItemConcluded {
            outcome,
            opinion,
            licence,
            commitment_check_due,
            ..
        } => {
            it.state = ItemState::Concluded { outcome: *outcome };
            it.opinion = Some(opinion.clone());
            it.concluded_on = Some(day);
            it.clock.stopped_on = Some(day);
            it.licence = licence.clone();
            it.pending_extension = None;
            if let Some(due) = commitment_check_due {
                it.commitment_check = Some(CommitmentCheck {
                    materials: it.commitments.clone(),
                    due: *due,
                    status: CheckStatus::Armed,
                });
            }
        }
        Event::ItemWithdrawn { .. } => {
            it.state = ItemState::Withdrawn;
            it.clock.stopped_on = Some(day);
        }
        Event::ItemRevoked { .. } => {
            it.state = ItemState::Revoked;
            if let Some(l) = &mut it.licence {
                l.status = LicenceStatus::Revoked;
            }
        }
        Event::RongqueOverdue { .. } => {
            if let Some(r) = &mut it.rongque {
                r.overdue = true;
            }
            it.flags.insert(ItemFlag::RongqueOverdue);
            *notice = Some(NoticeKind::RongqueOverdue);
        }
        Event::ItemOverdue { .. } => {
            it.flags.insert(ItemFlag::Overdue);
            *notice = Some(NoticeKind::Overdue);
        }
        Event::CommitmentCheckDue { .. } => {
            if let Some(ch) = &mut it.commitment_check {
                ch.status = CheckStatus::Due;
            }
            *notice = Some(NoticeKind::CommitmentCheckDue);
        }
        Event::CommitmentChecked { compliant, .. } => {
            if let Some(ch) = &mut it.commitment_check {
                ch.status = if *compliant {
                    CheckStatus::Compliant
                } else {
                    CheckStatus::Breached
                };
            }
            if !compliant {
                it.flags.insert(ItemFlag::CommitmentBreached);
                *notice = Some(NoticeKind::CommitmentBreached);
            }
        }
        Event::CaseCreated { .. }
        | Event::StageOpened { .. }
        | Event::StageJoined { .. }
        | Event::StageFailed { .. }
        | Event::StageOverdue { .. }
        | Event::CaseCompleted { .. }
        | Event::CaseTerminated { .. }
        | Event::Rated { .. }
        | Event::CreditApplied { .. }
        | Event::RiskChanged { .. } => {}
    }
}
