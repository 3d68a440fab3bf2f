//! The permit flow in a real browser: Debian's chromium, driven over WebDriver by
//! chromedriver (`fantoccini`), through the real pages and the real sign-in form
//! (password and TOTP, not the demo "sign in as a role" buttons).
//!
//! The earlier stages go through the JSON API (as the flow test over HTTP does); the
//! planning permit (建设工程规划许可, JSGCGHXK) then goes through the pages: the
//! applicant hands in the application, the clerk accepts it, the applicant uploads
//! the IFC model and follows the review job until its findings show, the reviewer
//! (自然资源) starts processing and reads the findings and the report, a second
//! department (发改) sees the same findings, the approver decides, and the
//! e-licence verifies anonymously on the public page its QR code opens. Along the
//! way: the English switch, and the sign-in page at a phone's width.
//!
//! A screenshot is saved after each step under `$ZHISHEN_ARTEFACTS` or
//! `$CARGO_TARGET_TMPDIR/e2e-screenshots` (printed at the start); chromedriver's log
//! goes beside them. chromedriver and the chromium it starts run in a process
//! group of their own that a guard ends, on success and on panic alike.

mod twin;

use super::service::{create_case, login, pass_items_before_the_permit, start, Session, Stage1};
use fantoccini::{Client, ClientBuilder, Locator};
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zhishen_app::auth;
use zhishen_app::demo::{DEMO_PASSWORD, DEMO_TOTP_SECRET};

/// chromedriver on a free loopback port, in its own process group; dropping it ends
/// the group (chromedriver does not take the browser down when it is killed).
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start(log: &Path) -> ChromeDriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect(
                "chromedriver must be installed (scripts/deps.sh installs Debian's chromium-driver)",
            );
        let driver = ChromeDriver { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port} within 30 s (log: {})",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn signal_group(&self, sig: &str) -> bool {
        Command::new("kill")
            .args([sig, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let _ = self.child.wait();
        // The browser's processes leave on TERM; whatever is left after 5 s is killed.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.signal_group("-0") {
            if Instant::now() > deadline {
                self.signal_group("-KILL");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where screenshots go: `$ZHISHEN_ARTEFACTS`, else under the test target dir.
fn artefacts() -> PathBuf {
    let dir = std::env::var_os("ZHISHEN_ARTEFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    // Screenshots of an earlier run would mix with this one's.
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let ours = name.ends_with(".png")
            && name.len() > 3
            && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[2] == b'-';
        if ours || name.starts_with("fail-") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    dir
}

const DESKTOP: (u32, u32) = (1280, 1400);

/// The browser tests run one after the other: two chromiums rendering in software on
/// two cores would starve each other's timeouts. A failed test does not block the next.
fn one_browser_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The browser and what the steps share.
struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
    n: u32,
    /// The last TOTP step spent per user (codes are accepted once, in increasing steps).
    steps: HashMap<String, i64>,
}

impl Browser {
    async fn open(driver: &ChromeDriver, profile: &Path, base: String, shots: PathBuf) -> Self {
        Self::open_with(driver, profile, base, shots, &["--disable-gpu"]).await
    }

    /// A browser with `extra` flags beside the common ones (the twin test swaps
    /// `--disable-gpu` for software WebGPU and WebGL).
    async fn open_with(
        driver: &ChromeDriver,
        profile: &Path,
        base: String,
        shots: PathBuf,
        extra: &[&str],
    ) -> Self {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
        ]
        .iter()
        .chain(extra)
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "args": args }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url())
            .await
            .expect("a WebDriver session in chromium");
        c.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
        Browser {
            c,
            base,
            shots,
            n: 0,
            steps: HashMap::new(),
        }
    }

    /// Saves `NN-name.png`.
    async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.c.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.n));
        std::fs::write(&path, png).unwrap();
    }

    async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.c.goto(&url).await.unwrap();
    }

    async fn text_of(&self, css: &str) -> Option<String> {
        let e = self.c.find(Locator::Css(css)).await.ok()?;
        e.text().await.ok()
    }

    /// Fails the test with a screenshot and what the page said.
    async fn fail(&self, what: &str) {
        let url = self.c.current_url().await.map(|u| u.to_string());
        if let Ok(png) = self.c.screenshot().await {
            let _ = std::fs::write(self.shots.join(format!("fail-{:02}.png", self.n + 1)), png);
        }
        let body = self.text_of("main").await.unwrap_or_default();
        panic!("{what}\nat {url:?}\npage: {body}");
    }

    /// Polls until `css` shows text containing `want`; an error page ends it early.
    async fn wait_text(&self, css: &str, want: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = None;
        loop {
            if let Some(t) = self.text_of(css).await {
                if t.contains(want) {
                    return t;
                }
                last = Some(t);
            }
            if let Some(err) = self.text_of("#error").await {
                self.fail(&format!("waiting for {css} ∋ {want:?}: error page: {err}"))
                    .await;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "{css} did not show {want:?} within {secs} s (last: {last:?})"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, id: &str, value: &str) {
        let e = self.c.find(Locator::Id(id)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        match self.c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await.unwrap(),
            Err(e) => self.fail(&format!("no {css} to click: {e}")).await,
        }
    }

    async fn choose(&self, id: &str, value: &str) {
        let e = self.c.find(Locator::Id(id)).await.unwrap();
        e.select_by_value(value).await.unwrap();
    }

    /// A fresh TOTP code for `user`: a step after the last one spent, within the
    /// server's window (one step either side of now), waiting for time to move on
    /// when the window has no unspent step left.
    async fn next_code(&mut self, user: &str) -> String {
        let last = self.steps.get(user).copied().unwrap_or(0);
        loop {
            let now = auth::totp_step(chrono::Utc::now().timestamp());
            let step = (last + 1).max(now);
            if step <= now + 1 {
                self.steps.insert(user.to_string(), step);
                return auth::totp_now(DEMO_TOTP_SECRET, step * 30).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The real sign-in form: user name, password, one-time code.
    async fn sign_in(&mut self, user: &str) {
        let totp = self.next_code(user).await;
        self.goto("/login").await;
        self.fill("user", user).await;
        self.fill("password", DEMO_PASSWORD).await;
        self.fill("totp", &totp).await;
        self.click("#signin").await;
        let who = self.wait_text("#whoami", "·", 30).await;
        assert!(!who.is_empty(), "{user} signed in");
    }

    /// The header's sign-out button; the sign-in page follows.
    async fn sign_out(&mut self) {
        self.click("#signout").await;
        self.wait_text("h1", "登录", 30).await;
        assert!(self.c.find(Locator::Id("whoami")).await.is_err());
    }

    /// From the home page, the link to the case.
    async fn open_case(&self, case: &str) {
        self.goto("/").await;
        self.click(&format!("a[href='/cases/{case}']")).await;
        self.wait_text("#case-id", case, 30).await;
    }

    fn state_css(item: &str) -> String {
        format!("tr[data-item='{item}'] td.state")
    }

    /// The case page's command form.
    async fn act(&self, kind: &str, item: &str, materials: &str, outcome: &str, text: &str) {
        self.choose("kind", kind).await;
        self.choose("item", item).await;
        self.fill("materials", materials).await;
        if !outcome.is_empty() {
            self.choose("outcome", outcome).await;
        }
        self.fill("text", text).await;
        self.click("#do").await;
        self.wait_text("#message", kind, 30).await;
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The signed-in API sessions `prepare` used (a user signs in once per TOTP step).
struct People {
    applicant: Session,
    clerk: Session,
    reviewer: Session,
}

/// Stage 1 and the design review through the JSON API, as the flow test does, so
/// that the planning permit (JSGCGHXK) is next. Returns the case id.
fn prepare(a: std::net::SocketAddr) -> (String, People) {
    let app = login(a, "demo-applicant");
    let clerk = login(a, "demo-clerk");
    let fgw = login(a, "demo-reviewer-fgw");
    let zrzy = login(a, "demo-reviewer");
    let case = create_case(&app, a, "浏览器端到端测试项目");
    let stage1 = Stage1 {
        applicant: &app,
        clerk: &clerk,
        fgw: &fgw,
        zrzy: &zrzy,
    };
    pass_items_before_the_permit(a, &case, &stage1);
    let people = People {
        applicant: app,
        clerk,
        reviewer: zrzy,
    };
    (case, people)
}

const ITEM: &str = "JSGCGHXK";

#[test]
fn the_permit_flow_in_chromium_from_application_to_public_licence() {
    let _one = one_browser_at_a_time();
    let began = Instant::now();
    let svc = start(64 << 20);
    let a = svc.addr;
    let (case, _) = prepare(a);
    // The API sign-ins above spent this step's code of those four users.
    let spent = auth::totp_step(chrono::Utc::now().timestamp());
    let shots = artefacts();
    println!("screenshots: {}", shots.display());
    let profile = tempfile::tempdir().unwrap();
    let driver = ChromeDriver::start(&shots.join("chromedriver.log"));
    let ifc = root()
        .join("datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc")
        .canonicalize()
        .unwrap();

    svc.rt.block_on(async {
        let mut b = Browser::open(&driver, profile.path(), format!("http://{a}"), shots).await;
        for u in [
            "demo-applicant",
            "demo-clerk",
            "demo-reviewer-fgw",
            "demo-reviewer",
        ] {
            b.steps.insert(u.to_string(), spent);
        }

        // The sign-in page at a phone's width: every field shown, nothing wider
        // than the screen.
        b.c.set_window_size(390, 844).await.unwrap();
        b.goto("/login").await;
        for id in ["user", "password", "totp", "signin"] {
            let e = b.c.find(Locator::Id(id)).await.unwrap();
            assert!(e.is_displayed().await.unwrap(), "#{id} shown on a phone");
            let (x, _, w, _) = e.rectangle().await.unwrap();
            assert!(x >= 0.0 && x + w <= 390.0, "#{id} inside 390 px: x {x} w {w}");
        }
        let widths = b
            .c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
        assert!(inner <= 390.0, "the viewport is a phone's: {inner}");
        assert!(scroll <= inner, "no sideways scrolling: {scroll} > {inner}");
        b.shot("login-phone").await;
        b.c.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();

        // 1. The applicant signs in and opens the case from the home page.
        b.sign_in("demo-applicant").await;
        b.shot("applicant-home").await;
        b.open_case(&case).await;
        b.shot("applicant-case").await;

        // The English switch shows English labels, and is remembered.
        b.goto(&format!("/cases/{case}?lang=en")).await;
        b.wait_text("#items thead", "Department", 10).await;
        let main = b.text_of("main").await.unwrap();
        for label in ["Items", "Timeline", "Act", "Submit a BIM model for review"] {
            assert!(main.contains(label), "English label {label:?}: {main}");
        }
        assert_eq!(b.text_of("#signout").await.unwrap(), "Sign out");
        assert_eq!(b.text_of("#do").await.unwrap(), "Submit");
        let lang = b.c.find(Locator::Css("html")).await.unwrap();
        assert_eq!(lang.attr("lang").await.unwrap().as_deref(), Some("en"));
        b.shot("case-english").await;
        b.goto("/").await;
        b.wait_text("h1", "Home", 10).await;
        b.click("#lang-switch").await;
        b.wait_text("h1", "工作台", 10).await;

        // The application form as a file (材料核验): the page uploads it and reloads
        // with the material on record, its pages counted.
        b.open_case(&case).await;
        let form = std::env::temp_dir().join(format!("zhishen-sqb-{}.pdf", std::process::id()));
        std::fs::write(&form, zhishen_testkit::pdf::pdf(2)).unwrap();
        b.choose("material", &format!("{ITEM}/SQB")).await;
        let file = b.c.find(Locator::Id("material-file")).await.unwrap();
        file.send_keys(&form.display().to_string()).await.unwrap();
        b.click("#material-upload").await;
        let sqb = format!("tr[data-material='{ITEM}/SQB'] td:last-child");
        b.wait_text(&sqb, "已上传 pdf 2p", 20).await;
        let _ = std::fs::remove_file(&form);
        b.shot("material-uploaded").await;

        // The planning-permit application: handed in, 已收件; the land-use permit of
        // stage 1 stands in for its copy (电子证照复用).
        b.act("submit", ITEM, "SQB,ZPT,BIM,DZBG", "", "").await;
        b.wait_text(&Browser::state_css(ITEM), "已收件", 10).await;
        let ydxk = format!("tr[data-material='{ITEM}/YDXK'] td:last-child");
        b.wait_text(&ydxk, "电子证照复用", 10).await;
        b.shot("applicant-submitted").await;
        b.sign_out().await;

        // 2. The clerk accepts it: 已受理.
        b.sign_in("demo-clerk").await;
        b.open_case(&case).await;
        b.act("accept", ITEM, "", "", "").await;
        b.wait_text(&Browser::state_css(ITEM), "已受理", 10).await;
        b.shot("clerk-accepted").await;
        b.sign_out().await;

        // 3. The applicant uploads the model; the page follows the review job (SSE)
        //    and reloads with the findings when it is done. (A review is recorded
        //    only while the item's clock runs: accepted or processing.)
        b.sign_in("demo-applicant").await;
        b.open_case(&case).await;
        b.choose("upload-item", ITEM).await;
        b.fill("parcel", "DK-05-1").await;
        b.fill("place", "528496,3386425,0").await;
        b.fill("use", "住宅").await;
        let model = b.c.find(Locator::Id("model")).await.unwrap();
        model.send_keys(&ifc.display().to_string()).await.unwrap();
        b.click("#upload").await;
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut queued_shot = false;
        loop {
            if b.c.find(Locator::Id("reviews")).await.is_ok() {
                break;
            }
            let st = b.text_of("#upload-status").await.unwrap_or_default();
            if st.contains("failed") || st.starts_with('4') || st.starts_with('5') {
                b.fail(&format!("the upload or review failed: {st}")).await;
            }
            if !queued_shot && !st.is_empty() {
                b.shot("upload-queued").await;
                queued_shot = true;
            }
            if Instant::now() > deadline {
                b.fail(&format!("no review findings within 120 s; status {st:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        b.wait_text("#jobs", "done", 10).await;
        b.wait_text("#reviews", "自动审查结果", 10).await;
        b.shot("applicant-review-done").await;
        b.sign_out().await;

        // 4. The reviewer (自然资源) starts processing and reads the automatic findings
        //    and the report.
        b.sign_in("demo-reviewer").await;
        b.open_case(&case).await;
        b.act("start_processing", ITEM, "", "", "").await;
        b.wait_text(&Browser::state_css(ITEM), "办理中", 10).await;
        let findings = b.wait_text("#reviews", ITEM, 10).await;
        // This placement of the model is the demo district's compliant house P1
        // (datasets/district/buildings.toml: expect_fail = []): no fail and no
        // unverifiable finding, so the list says all checks pass.
        assert!(
            b.c.find(Locator::Css("#reviews ul.findings li")).await.is_err(),
            "no findings expected for P1: {findings}"
        );
        b.wait_text("#reviews p.pass", "全部通过", 10).await;
        b.shot("reviewer-findings").await;
        let report = b.c.find(Locator::Css("#reviews a.report-link")).await.unwrap();
        let report_url = report.prop("href").await.unwrap().unwrap();
        report.click().await.unwrap();
        b.wait_text("h1", "规划审查报告", 30).await;
        assert!(b.c.title().await.unwrap().contains("规划审查报告"));
        assert_eq!(b.c.current_url().await.unwrap().as_str(), report_url);
        // The upload form's parameters reached the review.
        let body = b.text_of("body").await.unwrap();
        for part in ["DK-05-1", "528496,3386425,0", "住宅"] {
            assert!(body.contains(part), "the report shows {part:?}");
        }
        b.shot("report").await;
        // The report page is the stored report alone (no header): back to the case.
        b.goto(&format!("/cases/{case}")).await;
        b.sign_out().await;

        // Another department (发改) reviews in parallel and sees the same findings.
        b.sign_in("demo-reviewer-fgw").await;
        b.open_case(&case).await;
        let seen = b.wait_text("#reviews", ITEM, 10).await;
        assert_eq!(seen, findings, "both departments see the same findings");
        b.shot("fgw-findings").await;
        b.sign_out().await;

        // 5. The approver decides: 办结·通过, and the e-licence is linked.
        b.sign_in("demo-approver").await;
        b.open_case(&case).await;
        b.act("conclude", ITEM, "", "pass", "同意核发。").await;
        b.wait_text(&Browser::state_css(ITEM), "办结·通过", 10).await;
        let li = b.wait_text("#licences", &format!("{ITEM}:"), 10).await;
        let link = b
            .c
            .find(Locator::XPath(&format!(
                "//ul[@id='licences']/li[starts-with(normalize-space(.), '{ITEM}:')]/a[contains(@class, 'licence-link')]"
            )))
            .await
            .unwrap_or_else(|e| panic!("licence link of {ITEM} in {li:?}: {e}"));
        let href = link.prop("href").await.unwrap().unwrap();
        assert!(href.contains("&d="), "the QR code's URL, with its digest: {href}");
        b.shot("approver-concluded").await;
        b.sign_out().await;

        // 6. Anyone opens the licence's QR URL: valid, the permit's kind.
        b.goto(&href).await;
        let verdict = b.wait_text("#verdict", "有效", 10).await;
        assert!(verdict.contains("valid"), "{verdict}");
        b.wait_text("#licence", "建设工程规划许可证", 10).await;
        assert!(b.c.find(Locator::Id("whoami")).await.is_err(), "anonymous");
        b.shot("licence-public").await;

        let n = b.n;
        b.c.close().await.unwrap();
        println!(
            "browser flow: {n} screenshots in {}, {:.1} s in all",
            b.shots.display(),
            began.elapsed().as_secs_f64()
        );
    });
    drop(driver);
}
