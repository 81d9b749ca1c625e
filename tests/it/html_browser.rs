//! The HTML pages in a real browser: `trainbench report --all` writes every committed study's
//! report.html, index.html and claims.html (into a copy of the results' tables), then headless
//! Chromium, driven through WebDriver (chromedriver, over HTTP), opens each page and checks that
//! it renders without a console error, that clicking a table's header sorts it, that a chart's
//! points carry their cell, seed and value and link to an existing run row, that hovering a
//! point shows its tooltip, and that the runs table filters by cell. Screenshots at a laptop's
//! width (1366 px) go to `target/tmp/html_browser/` for a person to look at.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test says so and passes,
//! unless TRAINBENCH_REQUIRE_BROWSER is set (CI sets it), when their absence is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The WebDriver name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(chromedriver: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let start = Instant::now();
        loop {
            let ready = driver
                .agent
                .get(format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .is_some_and(|t| t.contains("\"ready\":true"));
            if ready {
                break driver;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not become ready in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends a WebDriver command and returns its `value`; a WebDriver error fails the test.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "{method} {path}: HTTP {status}: {text}"
        );
        value["value"].clone()
    }
}

/// A browser session of `driver`, closed when dropped.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self
            .driver
            .agent
            .delete(format!("{}{path}", self.driver.base))
            .call();
    }
}

impl<'a> Browser<'a> {
    fn open(driver: &'a Driver, chromium: &Path) -> Browser<'a> {
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium.to_string_lossy(),
                    // As root (CI, containers) Chromium refuses to start without --no-sandbox.
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--hide-scrollbars",
                             "--window-size=1366,900", "--force-device-scale-factor=1"]
                },
                "goog:loggingPrefs": {"browser": "ALL"}
            }}
        });
        let value = driver.send("POST", "/session", Some(caps));
        let session = value["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Browser { driver, session }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .send(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `path` and waits until it is the loaded page. A link clicked just before can still
    /// be navigating on a loaded machine and replace this navigation (seen in CI: the next
    /// page's rows not there yet, and a screenshot "aborted by navigation"), so the page is
    /// checked, and asked for again, until it is the one wanted.
    fn goto(&self, path: &Path) {
        let url = format!("file://{}", path.display());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.cmd("POST", "/url", Some(json!({ "url": url })));
            for _ in 0..20 {
                let here = self.js(
                    "return document.readyState === 'complete' ? location.href.split('#')[0] : '';",
                );
                if here.as_str() == Some(url.as_str()) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(Instant::now() < deadline, "{url} did not load in 30 s");
        }
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT].as_str().expect("an element").to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/click"), None);
    }

    fn hover(&self, css: &str) {
        let id = self.element(css);
        let move_to = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "duration": 0,
                         "origin": {ELEMENT: id}, "x": 0, "y": 0}]
        }]});
        self.cmd("POST", "/actions", Some(move_to));
    }

    /// The browser log's entries since the last call, as "LEVEL message".
    fn log(&self) -> Vec<String> {
        let v = self.cmd("POST", "/se/log", Some(json!({"type": "browser"})));
        v.as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|e| format!("{} {}", e["level"], e["message"]))
            .collect()
    }

    fn console_errors(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| l.contains("SEVERE"))
            .collect()
    }

    fn screenshot(&self, to: &Path) {
        let v = self.cmd("GET", "/screenshot", None);
        let png = base64_decode(v.as_str().expect("base64 PNG"));
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(to, png).unwrap();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// A copy of the committed results' tables (runs, epochs and a tuned study's tuning runs; no
/// reports, charts or pages) under `to`.
fn copy_tables(from: &Path, to: &Path) -> Vec<String> {
    let mut studies = Vec::new();
    for entry in std::fs::read_dir(from).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("runs.parquet").is_file() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::create_dir_all(to.join(&name)).unwrap();
        for table in [
            "runs.parquet",
            "epochs.parquet",
            "tuning.parquet",
            "tuning_epochs.parquet",
        ] {
            if dir.join(table).is_file() {
                std::fs::copy(dir.join(table), to.join(&name).join(table)).unwrap();
            }
        }
        studies.push(name);
    }
    studies.sort();
    studies
}

#[test]
fn real_browser_renders_sorts_and_links_the_html_reports() {
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = on_path(&["chromedriver"]);
    let (chromium, chromedriver) = match (chromium, chromedriver) {
        (Some(c), Some(d)) => (c, d),
        (c, d) => {
            let missing = format!(
                "{}{}",
                if c.is_none() { "chromium " } else { "" },
                if d.is_none() { "chromedriver" } else { "" }
            );
            assert!(
                std::env::var_os("TRAINBENCH_REQUIRE_BROWSER").is_none(),
                "TRAINBENCH_REQUIRE_BROWSER is set but {missing} is not on PATH \
                 (apt-get install chromium chromium-driver)"
            );
            println!(
                "SKIPPED: {missing} not on PATH (apt-get install chromium chromium-driver); \
                 set TRAINBENCH_REQUIRE_BROWSER to make this a failure"
            );
            return;
        }
    };

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let studies = copy_tables(&root.join("results"), &results);
    assert!(studies.len() >= 2, "committed studies: {studies:?}");
    let status = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .current_dir(root)
        .args(["report", "--all", "--results"])
        .arg(&results)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "trainbench report --all failed");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_browser");
    std::fs::create_dir_all(&shots).unwrap();

    let driver = Driver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium);

    // The console check can fail: an error logged on purpose is caught.
    browser.goto(&results.join("index.html"));
    browser.js("console.error('probe: the log is read');");
    let probe = browser.console_errors();
    assert!(
        probe.iter().any(|l| l.contains("probe: the log is read")),
        "the browser log does not show console errors: {probe:?}"
    );

    // Every page renders without a console error.
    let mut pages: Vec<PathBuf> = studies
        .iter()
        .map(|s| results.join(s).join("report.html"))
        .collect();
    pages.push(results.join("index.html"));
    pages.push(results.join("claims.html"));
    for page in &pages {
        browser.goto(page);
        let title = browser.js("return document.title;");
        let tables = browser.js("return document.querySelectorAll('table.sortable').length;");
        let errors = browser.console_errors();
        assert!(errors.is_empty(), "{}: {errors:?}", page.display());
        assert!(
            tables.as_u64().unwrap() >= 1,
            "{}: {title} has no table",
            page.display()
        );
    }

    // The index: a row per study, linking to its report.
    browser.goto(&results.join("index.html"));
    let rows = browser.js("return document.querySelectorAll('#studies tbody tr').length;");
    assert_eq!(rows.as_u64().unwrap() as usize, studies.len());
    browser.screenshot(&shots.join("index.png"));

    // A study report: sorting, the chart's points, the tooltip, the runs filter.
    let study = results.join("optimizers").join("report.html");
    browser.goto(&study);
    browser.screenshot(&shots.join("optimizers_top.png"));
    let first_column =
        "return Array.from(document.querySelector('table.sortable').tBodies[0].rows)\
                        .map(r => r.cells[0].textContent);";
    let mean_column = "return Array.from(document.querySelector('table.sortable').tBodies[0].rows)\
                       .map(r => parseFloat(r.cells[3].textContent));";
    let before = browser.js(first_column);
    browser.click("table.sortable thead th:nth-child(4)");
    let after = browser.js(first_column);
    assert_ne!(before, after, "sorting by the mean changed nothing");
    let means: Vec<f64> = serde_json::from_value(browser.js(mean_column)).unwrap();
    assert!(
        means.windows(2).all(|w| w[0] <= w[1]),
        "not ascending: {means:?}"
    );
    browser.click("table.sortable thead th:nth-child(4)");
    let means: Vec<f64> = serde_json::from_value(browser.js(mean_column)).unwrap();
    assert!(
        means.windows(2).all(|w| w[0] >= w[1]),
        "a second click sorts descending: {means:?}"
    );

    // 9 cells × 10 seeds: a point per seed in the test-accuracy chart, each with its seed and
    // value, linking to a run row that exists.
    let points = browser.js(
        "const chart = document.querySelectorAll('figure.chart')[0];\
         return Array.from(chart.querySelectorAll('a.hit')).map(a => ({\
           cell: a.dataset.cell, seed: a.dataset.seed, value: a.dataset.value,\
           title: a.querySelector('title').textContent,\
           row: !!document.getElementById(a.getAttribute('href').slice(1))}));",
    );
    let points = points.as_array().unwrap();
    assert_eq!(points.len(), 90, "a point per run");
    let mut seeds: Vec<u64> = points
        .iter()
        .map(|p| p["seed"].as_str().unwrap().parse().unwrap())
        .collect();
    seeds.sort();
    seeds.dedup();
    assert_eq!(seeds, (0..10).collect::<Vec<u64>>());
    for p in points {
        assert_eq!(p["row"], json!(true), "{p}");
        let title = p["title"].as_str().unwrap();
        assert!(
            title.contains(&format!("seed {}", p["seed"].as_str().unwrap()))
                && title.contains(p["value"].as_str().unwrap())
                && title.contains(p["cell"].as_str().unwrap()),
            "{p}"
        );
    }
    // Points may overlap: hover and click one that is on top at its centre.
    let chosen = browser.js(
        "const chart = document.querySelectorAll('figure.chart')[0];\
         chart.scrollIntoView({block: 'center'});\
         for (const a of chart.querySelectorAll('a.hit')) {\
           const b = a.getBoundingClientRect();\
           const top = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);\
           if (top && top.closest('a.hit') === a && a.dataset.seed === '3') {\
             a.id = 'chosen-point';\
             return [a.querySelector('title').textContent, a.getAttribute('href')];\
           }\
         }\
         return null;",
    );
    let (title, href) = (
        chosen[0]
            .as_str()
            .expect("a seed-3 point on top")
            .to_string(),
        chosen[1].as_str().unwrap().to_string(),
    );
    browser.hover("#chosen-point");
    let tip = browser
        .js("const t = document.getElementById('tip'); return t.hidden ? null : t.textContent;");
    let tip = tip.as_str().expect("hovering a point shows the tooltip");
    assert_eq!(tip, title);
    assert!(
        tip.contains("seed 3") && tip.contains("test accuracy"),
        "{tip}"
    );
    browser.screenshot(&shots.join("optimizers_chart_hover.png"));
    browser.js(
        "document.querySelectorAll('figure.chart')[1].scrollIntoView();\
         document.getElementById('tip').hidden = true;",
    );
    browser.screenshot(&shots.join("optimizers_curves.png"));
    let curve_seeds = browser.js(
        "return Array.from(document.querySelectorAll('figure.chart')[1].querySelectorAll('a.hit'))\
         .map(a => a.dataset.seed).length;",
    );
    assert_eq!(curve_seeds.as_u64(), Some(90), "a curve target per run");

    // Clicking the point goes to its run's row.
    browser.js("document.getElementById('chosen-point').scrollIntoView({block: 'center'});");
    browser.click("#chosen-point");
    let target = browser.js("return location.hash;");
    assert_eq!(
        target.as_str(),
        Some(href.as_str()),
        "clicking the point goes to its row"
    );
    assert!(href.ends_with("-s3"), "{href}");

    // The runs table filters by cell.
    let cell = browser.js("return document.querySelectorAll('#cell-filter option')[2].value;");
    browser.js(&format!(
        "const s = document.getElementById('cell-filter'); s.value = {cell};\
         s.dispatchEvent(new Event('change')); document.getElementById('runs').scrollIntoView();"
    ));
    let visible = browser.js(
        "return Array.from(document.querySelectorAll('#runs tbody tr')).filter(r => !r.hidden)\
         .map(r => r.dataset.cell);",
    );
    let visible = visible.as_array().unwrap();
    assert_eq!(visible.len(), 10, "one cell's 10 seeds");
    assert!(visible.iter().all(|c| *c == cell), "{visible:?}");
    browser.screenshot(&shots.join("optimizers_runs.png"));

    // Diverged runs are visible: the initializers study's eight ReLU + N(0, 1) runs.
    browser.goto(&results.join("initializers").join("report.html"));
    let diverged = browser.js("return document.querySelectorAll('#runs tr.diverged').length;");
    assert_eq!(diverged.as_u64(), Some(8));
    browser.js("document.querySelectorAll('figure.chart')[0].scrollIntoView();");
    browser.screenshot(&shots.join("initializers_chart.png"));

    // The claims page: every check's per-seed values as a table, studies linked to reports.
    browser.goto(&results.join("claims.html"));
    browser.screenshot(&shots.join("claims.png"));
    let per_seed =
        browser.js("return document.querySelectorAll('#every-seed ~ .table-wrap table').length;");
    assert!(
        per_seed.as_u64().unwrap() >= 20,
        "per-seed tables: {per_seed}"
    );
    let linked =
        browser.js("return document.querySelectorAll('a[href$=\"/report.html\"]').length;");
    assert!(linked.as_u64().unwrap() >= 10, "study links: {linked}");
    browser.js("document.getElementById('every-seed').scrollIntoView();");
    browser.screenshot(&shots.join("claims_per_seed.png"));
    assert!(browser.console_errors().is_empty());

    // A tuned study (the fair re-run's schedules, every arm's η tuned, its page written by the
    // `report --all` above): each tuning chart's points name their arm, seed, tuned value and
    // score and link to their row of the tuning runs' table, and every tuning run is in some
    // chart.
    assert!(studies.iter().any(|s| s == "schedules"), "{studies:?}");
    browser.goto(&results.join("schedules").join("report.html"));
    assert!(browser.console_errors().is_empty());
    let tuning_points = browser.js("return Array.from(document.querySelectorAll('a.hit'))\
           .filter(a => a.getAttribute('href').startsWith('#tune-'))\
           .map(a => ({seed: a.dataset.seed, href: a.getAttribute('href'),\
             title: a.querySelector('title').textContent,\
             row: !!document.getElementById(a.getAttribute('href').slice(1))}));");
    let tuning_points = tuning_points.as_array().unwrap();
    let rows = browser.js("return document.querySelectorAll('#tuning-runs tbody tr').length;");
    let mut linked: Vec<&str> = tuning_points
        .iter()
        .map(|p| p["href"].as_str().unwrap())
        .collect();
    linked.sort();
    linked.dedup();
    assert_eq!(
        Some(linked.len() as u64),
        rows.as_u64(),
        "every tuning run is a point of a chart"
    );
    for p in tuning_points {
        assert_eq!(p["row"], json!(true), "{p}");
        let title = p["title"].as_str().unwrap();
        assert!(
            title.contains(&format!("seed {}", p["seed"].as_str().unwrap()))
                && title.contains("optimizer.learning_rate = "),
            "{p}"
        );
    }
    let chosen = browser.js(
        "const chart = document.querySelectorAll('figure.chart')[2];\
         chart.scrollIntoView({block: 'center'});\
         for (const a of chart.querySelectorAll('a.hit')) {\
           const b = a.getBoundingClientRect();\
           const top = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);\
           if (top && top.closest('a.hit') === a && a.getAttribute('href').startsWith('#tune-')) {\
             a.id = 'chosen-tuning-point';\
             return [a.querySelector('title').textContent, a.getAttribute('href')];\
           }\
         }\
         return null;",
    );
    let title = chosen[0]
        .as_str()
        .expect("a tuning point on top")
        .to_string();
    let href = chosen[1].as_str().unwrap().to_string();
    browser.hover("#chosen-tuning-point");
    let tip = browser
        .js("const t = document.getElementById('tip'); return t.hidden ? null : t.textContent;");
    assert_eq!(
        tip.as_str(),
        Some(title.as_str()),
        "hovering a tuning point"
    );
    browser.screenshot(&shots.join("schedules_tuning_hover.png"));
    browser.click("#chosen-tuning-point");
    assert_eq!(
        browser.js("return location.hash;").as_str(),
        Some(href.as_str())
    );
    browser.screenshot(&shots.join("schedules_tuning_row.png"));
    assert!(browser.console_errors().is_empty());
    println!("screenshots in {}", shots.display());
}
