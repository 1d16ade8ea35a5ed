//! Debian's Chromium driven over WebDriver (chromedriver + fantoccini), with helpers that reach
//! into the widget the way a person's clicks and keystrokes would: the bubble in the loader's
//! Shadow DOM on the merchant page, everything else in the relay's frame (WebDriver switches
//! into it; a script of the page cannot).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::procs::{free_port, wait_for_port, Proc};

/// W3C WebDriver's key for element references in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    pub client: Client,
    _driver: Proc,
    _profile: tempfile::TempDir,
}

/// Finds a selector inside the loader's shadow root on the merchant page.
const IN_SHADOW: &str = "const h = document.getElementById('ringlink-host'); \
    return h && h.shadowRoot ? h.shadowRoot.querySelector(arguments[0]) : null;";
/// Finds a selector in the frame's document (run after switching into the frame).
const IN_FRAME: &str = "return document.querySelector(arguments[0]);";
/// Selectors that live on the merchant page (the loader's shadow root), not in the frame.
const ON_PAGE: &[&str] = &["[data-rl=bubble]", "[data-rl=frame]"];

/// chromedriver is killed when the test ends (passed or panicked), and a killed chromedriver
/// leaves its Chromium running: end every process that uses this test's profile too.
impl Drop for Browser {
    fn drop(&mut self) {
        let profile = format!("--user-data-dir={}", self._profile.path().display());
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", "--", &profile])
            .status();
    }
}

impl Browser {
    /// `None` (skipped, with the reason printed) when Chromium or chromedriver is missing.
    pub async fn start() -> Option<Self> {
        let have = crate::on_path("chromium") && crate::on_path("chromedriver");
        if !crate::require(
            "Chromium and chromedriver",
            have,
            "apt-get install -y chromium chromium-driver",
        ) {
            return None;
        }
        let port = free_port();
        let driver = Proc::spawn(
            "chromedriver",
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(std::process::Stdio::null()),
        );
        wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": crate::which("chromium").unwrap(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1200,900", "--lang=en-US",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver session");
        Some(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Back to the merchant page's own document.
    pub async fn to_page(&self) {
        let _ = self.client.enter_parent_frame().await;
    }

    /// Into the relay's frame that the loader made; false while there is none.
    pub async fn to_frame(&self) -> bool {
        self.to_page().await;
        match self.in_context(IN_SHADOW, "[data-rl=frame]").await {
            Some(frame) => frame.enter_frame().await.is_ok(),
            None => false,
        }
    }

    async fn in_context(&self, script: &str, selector: &str) -> Option<Element> {
        let v = self
            .client
            .execute(script, vec![json!(selector)])
            .await
            .ok()?;
        let id = v.get(ELEMENT_KEY)?.as_str()?.to_owned();
        Some(Element::from_element_id(
            self.client.clone(),
            ElementRef::from(id),
        ))
    }

    /// The widget element matching `selector`, if it is there now: the bubble on the page, the
    /// panel's parts in the frame (the browser is left in that context, to act on it).
    pub async fn find(&self, selector: &str) -> Option<Element> {
        if ON_PAGE.contains(&selector) {
            self.to_page().await;
            return self.in_context(IN_SHADOW, selector).await;
        }
        if !self.to_frame().await {
            return None;
        }
        self.in_context(IN_FRAME, selector).await
    }

    /// Waits for the widget element matching `selector`.
    pub async fn wait_for(&self, selector: &str, limit: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(selector).await {
                return e;
            }
            if start.elapsed() > limit {
                self.dump("timeout").await;
                panic!("'{selector}' did not appear in the widget within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element's attribute `attr` equals `want`; returns its text.
    pub async fn wait_attr(
        &self,
        selector: &str,
        attr: &str,
        want: &str,
        limit: Duration,
    ) -> String {
        let start = Instant::now();
        let mut last = None;
        loop {
            if let Some(e) = self.find(selector).await {
                last = e.attr(attr).await.ok().flatten();
                if last.as_deref() == Some(want) {
                    return e.text().await.unwrap_or_default();
                }
            }
            if start.elapsed() > limit {
                self.dump("timeout").await;
                panic!("'{selector}' {attr} is {last:?}, not '{want}', after {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text of the widget element `selector` contains `want`; returns it.
    pub async fn wait_text(&self, selector: &str, want: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(selector).await {
                let t = e.text().await.unwrap_or_default();
                if t.contains(want) {
                    return t;
                }
            }
            if start.elapsed() > limit {
                self.dump("timeout").await;
                panic!("'{selector}' never said '{want}' within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` in the frame until `ok` accepts its result; returns that result.
    pub async fn frame_until(
        &self,
        script: &str,
        what: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        self.until(true, script, what, limit, ok).await
    }

    /// Runs `script` in the merchant page until `ok` accepts its result; returns that result.
    pub async fn page_until(
        &self,
        script: &str,
        what: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        self.until(false, script, what, limit, ok).await
    }

    async fn until(
        &self,
        in_frame: bool,
        script: &str,
        what: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let v = if in_frame {
                self.eval_in_frame(script).await
            } else {
                self.eval(script).await
            };
            if ok(&v) {
                return v;
            }
            if start.elapsed() > limit {
                self.dump(what).await;
                panic!("{what}: {v}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks a widget element, as a person would.
    pub async fn click(&self, selector: &str) {
        self.wait_for(selector, Duration::from_secs(10))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Types into a widget input, keystroke by keystroke.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let e = self.wait_for(selector, Duration::from_secs(10)).await;
        e.click().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Runs `script` as the merchant page's own scripts run: in its document, not the frame.
    pub async fn eval(&self, script: &str) -> Value {
        self.to_page().await;
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Runs `script` in the relay's frame (as only the browser itself, not the page, can).
    pub async fn eval_in_frame(&self, script: &str) -> Value {
        assert!(self.to_frame().await, "the widget frame is not on the page");
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn screenshot(&self, path: &Path) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(path.parent().unwrap());
            let _ = std::fs::write(path, png);
        }
    }

    /// Prints the widget's markup (the loader's, then the frame's), to see why a wait failed.
    pub async fn dump(&self, why: &str) {
        self.to_page().await;
        let page = self
            .client
            .execute("const h = document.getElementById('ringlink-host'); return h && h.shadowRoot ? h.shadowRoot.innerHTML : 'no widget host';", vec![])
            .await;
        eprintln!("loader markup ({why}): {page:?}");
        if self.to_frame().await {
            let frame = self
                .client
                .execute("return document.body.innerHTML;", vec![])
                .await;
            eprintln!("frame markup ({why}): {frame:?}");
        }
    }
}
