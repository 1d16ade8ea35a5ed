//! Debian's Chromium driven over WebDriver (chromedriver + fantoccini), with helpers that reach
//! into the widget's open Shadow DOM the way a person's clicks and keystrokes would.

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

/// Finds a selector inside the widget's shadow root.
const IN_SHADOW: &str = "const h = document.getElementById('ringlink-host'); \
    return h && h.shadowRoot ? h.shadowRoot.querySelector(arguments[0]) : null;";

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

    /// The widget element matching `selector`, if it is there now.
    pub async fn shadow(&self, selector: &str) -> Option<Element> {
        let v = self
            .client
            .execute(IN_SHADOW, vec![json!(selector)])
            .await
            .ok()?;
        let id = v.get(ELEMENT_KEY)?.as_str()?.to_owned();
        Some(Element::from_element_id(
            self.client.clone(),
            ElementRef::from(id),
        ))
    }

    /// Waits for the widget element matching `selector`.
    pub async fn wait_shadow(&self, selector: &str, limit: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(e) = self.shadow(selector).await {
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
            if let Some(e) = self.shadow(selector).await {
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

    /// Clicks a widget element, as a person would.
    pub async fn click(&self, selector: &str) {
        self.wait_shadow(selector, Duration::from_secs(10))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Types into a widget input, keystroke by keystroke.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let e = self.wait_shadow(selector, Duration::from_secs(10)).await;
        e.click().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn screenshot(&self, path: &Path) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(path.parent().unwrap());
            let _ = std::fs::write(path, png);
        }
    }

    /// Prints the widget's markup, to see why a wait failed.
    pub async fn dump(&self, why: &str) {
        let html = self
            .client
            .execute("const h = document.getElementById('ringlink-host'); return h && h.shadowRoot ? h.shadowRoot.innerHTML : 'no widget host';", vec![])
            .await;
        eprintln!("widget markup ({why}): {html:?}");
    }
}
