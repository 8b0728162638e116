//! A minimal W3C WebDriver client over reqwest, driving Debian's headless Chromium through
//! chromedriver (started per test on a free port). No extra crates: the gateway already
//! depends on reqwest, base64 and serde_json, so the browser tests add no build time.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

/// Whether the browser tests can run here; panics when they must (`CI` or `REQUIRE_BROWSER`).
pub fn available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("REQUIRE_BROWSER").is_some();
        assert!(
            !required,
            "Chromium and chromedriver are required (CI/REQUIRE_BROWSER set): run .ci/setup"
        );
        eprintln!(
            "SKIPPED: browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
    }
    present
}

impl Browser {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .unwrap();
        let id = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        Self {
            http,
            session: format!("{base}/session/{id}"),
            _driver: driver,
            _profile: profile,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = response["value"]["error"].as_str() {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                response["value"]["message"]
            );
        }
        response["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    /// Opens `base` + `path` (a console page), signs in on the login page it leads to, and
    /// checks that the sign-in brings the browser back to `path`.
    pub async fn sign_in_at(&self, base: &str, path: &str, login: &str, secret: &str) {
        self.goto(&format!("{base}{path}")).await;
        let url = self.url().await;
        assert!(
            url.contains("/console/login")
                && (path == "/console" || url.contains(&format!("next={path}"))),
            "{url}"
        );
        self.type_into("#login", login).await;
        self.type_into("#secret", secret).await;
        self.nav("#sign-in").await;
        let url = self.url().await;
        assert!(url.ends_with(path), "{url}");
    }

    pub async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap().to_owned()
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    async fn find_by(&self, using: &str, value: &str) -> String {
        let found = self
            .post("/element", json!({"using": using, "value": value}))
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn find(&self, css: &str) -> String {
        self.find_by("css selector", css).await
    }

    pub async fn count(&self, css: &str) -> usize {
        self.post("/elements", json!({"using": "css selector", "value": css}))
            .await
            .as_array()
            .map_or(0, Vec::len)
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }

    /// Clicks something that loads a new page, and waits until the new page has loaded.
    pub async fn nav(&self, css: &str) {
        let el = self.find(css).await;
        self.click_and_wait(&el).await;
    }

    async fn click_and_wait(&self, el: &str) {
        self.run("window.__omgStale = true").await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
        assert!(
            self.wait_for("window.__omgStale === undefined && document.readyState === 'complete'")
                .await,
            "no new page loaded"
        );
    }

    /// Clicks the link whose whole text is `text` inside the element matching `within`, and
    /// waits for the page it loads.
    pub async fn click_link(&self, within: &str, text: &str) {
        let xpath = format!("//*[@class='{within}']//a[normalize-space(.)='{text}']");
        let el = self.find_by("xpath", &xpath).await;
        self.click_and_wait(&el).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/attribute/{name}"))
            .await
            .as_str()
            .map(str::to_owned)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/value"), json!({"text": text}))
            .await;
    }

    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/clear"), json!({})).await;
    }

    pub async fn run(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    pub async fn run_async(&self, script: &str) -> Value {
        self.post("/execute/async", json!({"script": script, "args": []}))
            .await
    }

    /// Polls a JavaScript expression until it is true (10 s at most); returns whether it became so.
    pub async fn wait_for(&self, expression: &str) -> bool {
        for _ in 0..200 {
            if self.run(&format!("return !!({expression})")).await == Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Grants a browser permission (WebDriver "Set Permission"); false if not supported.
    pub async fn grant(&self, name: &str) -> bool {
        let r: Value = self
            .http
            .post(format!("{}/permissions", self.session))
            .json(&json!({"descriptor": {"name": name}, "state": "granted"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["value"]["error"].is_null()
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let data = self.get("/screenshot").await;
        save_png(&data, path);
    }

    /// Saves a PNG of the element matching `css` alone (scrolled into view first).
    pub async fn screenshot_of(&self, css: &str, path: &Path) {
        let el = self.find(css).await;
        let data = self.get(&format!("/element/{el}/screenshot")).await;
        save_png(&data, path);
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

/// Writes WebDriver's base64 PNG to `path`, making its folder.
fn save_png(data: &Value, path: &Path) {
    let png = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().expect("a screenshot is a base64 string"))
        .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, png).unwrap();
}
