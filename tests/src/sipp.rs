//! SIPp phones for CALL tests: a UAS on a free loopback port that answers every INVITE and
//! echoes RTP (`-sn uas -rtp_echo`), or runs one of the telephony crate's scenarios, and counts
//! as passed when its calls ended cleanly (it got and answered BYE). Missing `sipp` skips with a
//! reason, except under `CI=true`.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Phone {
    child: Child,
    pub port: u16,
    pub name: &'static str,
}

/// A UDP port on loopback that was free a moment ago (and the next one, for RTP's pair).
pub fn free_udp_port() -> u16 {
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        if port < 60000 && UdpSocket::bind(("127.0.0.1", port + 2)).is_ok() {
            return port;
        }
    }
}

/// Whether SIPp is installed; prints the skip reason, panics under `CI=true`.
pub fn have_sipp() -> bool {
    let ok = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true and sipp is missing: apt-get install sip-tester (scripts/setup.sh does)"
            );
        }
        eprintln!("skipped: sipp is missing (apt-get install sip-tester)");
    }
    ok
}

impl Phone {
    /// A phone that answers `calls` calls after ringing, echoes their audio and waits for BYE.
    pub fn answering(name: &'static str, calls: u32) -> Self {
        Self::start(name, calls, &["-sn", "uas"])
    }

    /// A phone running one of the telephony crate's SIPp scenarios (`telephony/tests/sipp/`).
    pub fn scenario(name: &'static str, calls: u32, file: &str) -> Self {
        let path = crate::workspace().join("telephony/tests/sipp").join(file);
        Self::start(name, calls, &["-sf", path.to_str().expect("UTF-8 path")])
    }

    fn start(name: &'static str, calls: u32, scenario: &[&str]) -> Self {
        let port = free_udp_port();
        let media = free_udp_port();
        let child = Command::new("sipp")
            .args(scenario)
            .args(["-rtp_echo", "-i", "127.0.0.1"])
            .args(["-p", &port.to_string(), "-mp", &media.to_string()])
            .args(["-m", &calls.to_string(), "-timeout", "40s", "-nostdin"])
            .args([
                "-trace_err",
                "-error_file",
                &format!("/tmp/sipp-{name}-{port}.err"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sipp");
        std::thread::sleep(Duration::from_millis(300));
        Self { child, port, name }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits for SIPp to finish its calls; true when every call ended cleanly (exit 0).
    pub async fn passed(mut self, limit: Duration) -> bool {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if start.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The member's and the merchant's SIPp phones, and the relay's trunk routes to them: mobile
/// numbers (+86138…) ring the member, Beijing numbers (+8610…) the merchant.
pub fn member_and_merchant() -> (Phone, Phone, String) {
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let config = format!(
        "[telephony]\nsip_listen = \"127.0.0.1:0\"\nroutes = [\n  {{ prefix = \"+86138\", target = \"{}\" }},\n  {{ prefix = \"+8610\", target = \"{}\" }},\n]\n",
        member.addr(),
        merchant.addr()
    );
    (member, merchant, config)
}
