//! The route table (路由权限表): every route with who may call it. The router is built
//! from this table (`crate::router` mounts exactly these rows), the authorisation
//! middleware checks each request against it, and the route × role test walks it, so
//! the three cannot disagree. A request whose route is not in the table is refused.

use axum::http::Method;
use zhishen_app::auth::WebRole;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users holding one of these roles.
    Roles(&'static [WebRole]),
}

impl Access {
    pub fn allows(self, role: Option<WebRole>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(rs), Some(r)) => rs.contains(&r),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// The action name written to the access audit.
    pub action: &'static str,
}

use WebRole::*;

/// Roles that read cases (within their scope).
pub const CASE_READERS: &[WebRole] = &[
    Applicant,
    Agent,
    Clerk,
    Coordinator,
    Reviewer,
    Approver,
    Supervisor,
    Auditor,
];
/// Roles that act on cases: the readers except the read-only auditor.
pub const CASE_ACTORS: &[WebRole] = &[
    Applicant,
    Agent,
    Clerk,
    Coordinator,
    Reviewer,
    Approver,
    Supervisor,
];
pub const FILERS: &[WebRole] = &[Applicant, Agent];
/// Hand in a material's file: the applicant, its agent, or the window clerk 窗口收件.
pub const MATERIAL_FILERS: &[WebRole] = &[Applicant, Agent, Clerk];
pub const SUPERVISION: &[WebRole] = &[Supervisor];
pub const AUDIT: &[WebRole] = &[Auditor, AuditAdmin];
pub const SYS_ADMIN: &[WebRole] = &[SysAdmin];
pub const SEC_ADMIN: &[WebRole] = &[SecAdmin];

const fn r(method: Method, path: &'static str, access: Access, action: &'static str) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        action,
    }
}

/// Every route the server answers.
pub const ROUTES: &[RouteSpec] = &[
    // public
    r(Method::GET, "/healthz", Access::Public, "health"),
    r(Method::GET, "/api/catalogue", Access::Public, "catalogue"),
    r(Method::GET, "/api/openapi.json", Access::Public, "openapi"),
    r(Method::GET, "/api/docs", Access::Public, "docs"),
    r(Method::GET, "/login", Access::Public, "login_page"),
    r(Method::POST, "/login", Access::Public, "login"),
    r(Method::POST, "/login/demo", Access::Public, "login_demo"),
    r(
        Method::GET,
        "/licence/verify",
        Access::Public,
        "licence_verify",
    ),
    r(Method::GET, "/static/{file}", Access::Public, "static"),
    // The twin viewer's files (shell and wasm renderer): code, no data.
    r(
        Method::GET,
        "/twin-assets/{file}",
        Access::Public,
        "twin_asset",
    ),
    // any signed-in user
    r(Method::GET, "/", Access::SignedIn, "home"),
    r(Method::POST, "/logout", Access::SignedIn, "logout"),
    r(Method::GET, "/api/me", Access::SignedIn, "me"),
    // cases
    r(
        Method::GET,
        "/cases/{id}",
        Access::Roles(CASE_READERS),
        "case_page",
    ),
    r(
        Method::GET,
        "/api/cases",
        Access::Roles(CASE_READERS),
        "case_list",
    ),
    r(
        Method::GET,
        "/api/cases/{id}",
        Access::Roles(CASE_READERS),
        "case_get",
    ),
    r(
        Method::GET,
        "/api/cases/{id}/events",
        Access::Roles(CASE_READERS),
        "case_events",
    ),
    r(
        Method::GET,
        "/cases/{id}/reports/{sha}",
        Access::Roles(CASE_READERS),
        "report_page",
    ),
    r(
        Method::GET,
        "/cases/{id}/reports/{sha}/bcf",
        Access::Roles(CASE_READERS),
        "report_bcf",
    ),
    r(
        Method::GET,
        "/api/jobs/{id}",
        Access::Roles(CASE_READERS),
        "job_get",
    ),
    r(
        Method::GET,
        "/api/jobs/{id}/events",
        Access::Roles(CASE_READERS),
        "job_events",
    ),
    // The digital twin of a finished review job, seen through its case.
    r(
        Method::GET,
        "/twin/{job}",
        Access::Roles(CASE_READERS),
        "twin_page",
    ),
    r(
        Method::GET,
        "/api/reviews/{job}/twin.glb",
        Access::Roles(CASE_READERS),
        "twin_glb",
    ),
    r(Method::POST, "/cases", Access::Roles(FILERS), "case_create"),
    r(
        Method::POST,
        "/api/cases",
        Access::Roles(FILERS),
        "case_create",
    ),
    r(
        Method::POST,
        "/cases/{id}/commands",
        Access::Roles(CASE_ACTORS),
        "case_command",
    ),
    r(
        Method::POST,
        "/api/cases/{id}/commands",
        Access::Roles(CASE_ACTORS),
        "case_command",
    ),
    r(
        Method::POST,
        "/api/cases/{id}/items/{item}/model",
        Access::Roles(FILERS),
        "model_upload",
    ),
    r(
        Method::GET,
        "/api/cases/{id}/items/{item}/materials",
        Access::Roles(CASE_READERS),
        "material_status",
    ),
    r(
        Method::POST,
        "/api/cases/{id}/items/{item}/materials/{code}",
        Access::Roles(MATERIAL_FILERS),
        "material_upload",
    ),
    r(
        Method::GET,
        "/api/credit",
        Access::Roles(&[Applicant, Agent, Supervisor, Auditor]),
        "credit_view",
    ),
    r(
        Method::POST,
        "/api/credit/objection",
        Access::Roles(&[Applicant]),
        "credit_objection",
    ),
    r(
        Method::POST,
        "/api/credit/{enterprise}/decision",
        Access::Roles(&[Supervisor]),
        "credit_decision",
    ),
    r(
        Method::GET,
        "/precheck",
        Access::Roles(FILERS),
        "precheck_page",
    ),
    r(
        Method::POST,
        "/api/precheck",
        Access::Roles(FILERS),
        "precheck_run",
    ),
    r(
        Method::GET,
        "/precheck/{id}",
        Access::Roles(FILERS),
        "precheck_report",
    ),
    r(
        Method::GET,
        "/precheck/{id}/{format}",
        Access::Roles(FILERS),
        "precheck_download",
    ),
    // supervision, audit, administration
    r(
        Method::GET,
        "/supervision",
        Access::Roles(SUPERVISION),
        "supervision_page",
    ),
    r(
        Method::GET,
        "/api/metrics",
        Access::Roles(SUPERVISION),
        "metrics",
    ),
    r(Method::GET, "/audit", Access::Roles(AUDIT), "audit_page"),
    r(
        Method::GET,
        "/api/audit/verify",
        Access::Roles(AUDIT),
        "audit_verify",
    ),
    r(
        Method::GET,
        "/api/audit/access",
        Access::Roles(AUDIT),
        "audit_search",
    ),
    r(
        Method::GET,
        "/admin/users",
        Access::Roles(SYS_ADMIN),
        "users_page",
    ),
    r(
        Method::POST,
        "/admin/users",
        Access::Roles(SYS_ADMIN),
        "user_create",
    ),
    r(
        Method::GET,
        "/admin/security",
        Access::Roles(SEC_ADMIN),
        "security_page",
    ),
    r(
        Method::POST,
        "/admin/users/{id}/unlock",
        Access::Roles(SEC_ADMIN),
        "user_unlock",
    ),
    r(
        Method::POST,
        "/api/site-packages",
        Access::Roles(SYS_ADMIN),
        "site_package_upload",
    ),
];

/// The row for a matched route.
pub fn find(method: &Method, path: &str) -> Option<&'static RouteSpec> {
    ROUTES
        .iter()
        .find(|s| s.method == *method && s.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_duplicates_and_auditors_only_read() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
            // Signing in and out changes no data; every other write is closed to auditors.
            let session_only = matches!(a.access, Access::Public) || a.path == "/logout";
            if a.method != Method::GET && !session_only {
                assert!(
                    !a.access.allows(Some(Auditor)),
                    "auditor may {} {}",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn public_routes_need_no_role_and_others_do() {
        assert!(Access::Public.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::SignedIn.allows(Some(SysAdmin)));
        assert!(!Access::Roles(FILERS).allows(Some(Clerk)));
        assert!(Access::Roles(FILERS).allows(Some(Agent)));
    }
}
