//! The demo merchant as the end-to-end tests run it: the relay binary (SQLite, an optional TOML
//! configuration), a merchant site and a member made with the admin CLI, and the demo shop
//! pasting the tag.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::binary;
use crate::procs::{free_port, wait_for_port, wait_until, Proc};

pub const NUMBER: &str = "13800138000";
pub const PASSWORD: &str = "demo-password-1";

/// The shop's "Sales" call button: the merchant pays, it rings +86 10 6552 9988.
pub const SALES_BUTTON: &[&str] = &[
    "button",
    "set",
    "--site",
    "demo",
    "--key",
    "sales",
    "--label",
    "Sales",
    "--number",
    "+86 10 6552 9988",
    "--payer",
    "merchant",
];

/// 1,000 fen of the merchant's credit.
pub const MERCHANT_CREDIT: &[&str] = &["account", "credit", "--site", "demo", "--amount", "1000"];

/// A CALL the tests can place: the Sales button, a per-second tariff of 60 fen a minute for
/// +86, and the merchant's credit.
pub const SALES_CALLS: &[&[&str]] = &[
    SALES_BUTTON,
    &[
        "tariff",
        "set",
        "--prefix",
        "+86",
        "--connect-fee",
        "0",
        "--per-minute",
        "60",
        "--increments",
        "1/1",
    ],
    MERCHANT_CREDIT,
];
const WAIT: Duration = Duration::from_secs(20);

pub struct Shop {
    pub relay_url: String,
    pub shop_url: String,
    pub dir: tempfile::TempDir,
    relay_port: u16,
    _relay: Proc,
    _shop: Proc,
}

fn relay_cmd(dir: &std::path::Path, port: u16) -> Command {
    let mut c = Command::new(binary("ringlink-relay"));
    c.env("RINGLINK_LISTEN", format!("127.0.0.1:{port}"))
        .env("RINGLINK_DATA_DIR", dir)
        .env("RUST_LOG", "warn");
    let config = dir.join("relay.toml");
    if config.exists() {
        c.env("RINGLINK_CONFIG", config);
    }
    c
}

impl Shop {
    /// Starts everything; `config` (TOML) goes to the relay's configuration file, and `seed`
    /// runs admin commands (each a list of arguments after `admin`) before the relay serves.
    pub fn start(config: &str, seed: &[&[&str]]) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("relay.toml"), config).unwrap();
        let (relay_port, shop_port) = (free_port(), free_port());
        let shop_origin = format!("http://127.0.0.1:{shop_port}");
        let admin = |args: &[&str]| admin(dir.path(), relay_port, args);
        admin(&[
            "site",
            "create",
            "--name",
            "Demo shop",
            "--key",
            "demo",
            "--origin",
            &shop_origin,
        ]);
        let mut member = relay_cmd(dir.path(), relay_port)
            .args(["admin", "member", "create", "--number", NUMBER])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(member.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(member.wait().unwrap().success());
        for args in seed {
            admin(args);
        }
        let relay = Proc::spawn("relay", relay_cmd(dir.path(), relay_port).arg("serve"));
        wait_until("the relay to be healthy", WAIT, || {
            let s = relay_cmd(dir.path(), relay_port)
                .arg("healthcheck")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            s.ok().filter(|s| s.success())
        });
        let relay_url = format!("http://127.0.0.1:{relay_port}");
        let shop = Proc::spawn(
            "site-demo",
            Command::new(binary("ringlink-site-demo")).args([
                "--listen",
                &format!("127.0.0.1:{shop_port}"),
                "--relay-url",
                &relay_url,
                "--site-key",
                "demo",
            ]),
        );
        wait_for_port(&format!("127.0.0.1:{shop_port}"), WAIT);
        Shop {
            relay_url,
            shop_url: format!("{shop_origin}/"),
            dir,
            relay_port,
            _relay: relay,
            _shop: shop,
        }
    }

    /// A second merchant on the same relay: site `key` made with the admin CLI for a second
    /// demo shop on its own port (another origin). Returns the shop and its URL.
    pub fn second_site(&self, key: &str) -> (Proc, String) {
        self.second_site_in(key, "")
    }

    /// [`Shop::second_site`] with its tag's `data-lang` set to `lang` (`zh`, `en`; empty: none).
    pub fn second_site_in(&self, key: &str, lang: &str) -> (Proc, String) {
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        self.admin(&[
            "site",
            "create",
            "--name",
            "Second shop",
            "--key",
            key,
            "--origin",
            &origin,
        ]);
        let shop = Proc::spawn(
            "site-demo-2",
            Command::new(binary("ringlink-site-demo")).args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--relay-url",
                &self.relay_url,
                "--site-key",
                key,
                "--lang",
                lang,
            ]),
        );
        wait_for_port(&format!("127.0.0.1:{port}"), WAIT);
        (shop, format!("{origin}/"))
    }

    /// The same merchant (site `demo`) on a second origin whose tag carries
    /// `data-ringlink-invite` (CHAT-9): its page views show to the site's agents. Returns the
    /// shop and its URL.
    pub fn inviting_shop(&self) -> (Proc, String) {
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        self.admin(&["site", "add-origin", "demo", &origin]);
        let shop = Proc::spawn(
            "site-demo-invite",
            Command::new(binary("ringlink-site-demo")).args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--relay-url",
                &self.relay_url,
                "--site-key",
                "demo",
                "--invite",
            ]),
        );
        wait_for_port(&format!("127.0.0.1:{port}"), WAIT);
        (shop, format!("{origin}/"))
    }

    /// Runs `ringlink-relay admin ARGS` against the shop's relay and returns its output.
    pub fn admin(&self, args: &[&str]) -> String {
        admin(self.dir.path(), self.relay_port, args)
    }

    /// Runs `ringlink-relay admin ARGS` with `input` on its stdin (a staff password).
    pub fn admin_with_input(&self, args: &[&str], input: &str) {
        let mut child = relay_cmd(self.dir.path(), self.relay_port)
            .arg("admin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{input}").unwrap();
        assert!(child.wait().unwrap().success(), "admin {args:?} failed");
    }
}

/// Runs `ringlink-relay admin ARGS` on the data in `dir`; fails the test when it fails.
fn admin(dir: &std::path::Path, port: u16, args: &[&str]) -> String {
    let out = relay_cmd(dir, port)
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
