//! Debian's nginx in front of the test relays, running the sample site file
//! `deploy/nginx/ringlink.conf` with its upstream lines and `listen` rewritten for loopback ports,
//! in a main configuration that keeps every file (pid, logs, temp) in the test's folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::procs::{free_port, wait_for_port, Proc};

/// Where the sample site file lives in the workspace.
pub const SAMPLE: &str = "deploy/nginx/ringlink.conf";
const RELAYS_BEGIN: &str = "# relays begin";
const RELAYS_END: &str = "# relays end";

/// nginx is in /usr/sbin, which a developer's PATH may lack.
pub fn binary() -> Option<PathBuf> {
    crate::which("nginx").or_else(|| {
        let p = PathBuf::from("/usr/sbin/nginx");
        p.exists().then_some(p)
    })
}

/// The sample site file with `relays` as its upstream servers and `listen` on `port`.
pub fn render_site(sample: &str, relays: &[u16], port: u16) -> String {
    let mut out = String::new();
    let mut in_relays = false;
    for line in sample.lines() {
        let trimmed = line.trim();
        if trimmed == RELAYS_BEGIN {
            in_relays = true;
            out.push_str(line);
            out.push('\n');
            for p in relays {
                out.push_str(&format!(
                    "    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"
                ));
            }
            continue;
        }
        if trimmed == RELAYS_END {
            in_relays = false;
        }
        if in_relays {
            continue;
        }
        if trimmed.starts_with("listen ") {
            out.push_str(&format!("    listen 127.0.0.1:{port};\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(
        out.contains(&format!("127.0.0.1:{port}")) && !in_relays,
        "{SAMPLE} lost its `listen` line or its \"{RELAYS_BEGIN}\"/\"{RELAYS_END}\" markers"
    );
    out
}

/// A main configuration that includes `site` and keeps nginx's files in `dir`. One process
/// (`master_process off`), in the foreground, so killing the child stops all of nginx.
pub fn main_config(dir: &Path, site: &Path) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log info;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log {d}/nginx-access.log;\n  client_body_temp_path {d}/nginx-body;\n  proxy_temp_path {d}/nginx-proxy;\n\
         \x20 fastcgi_temp_path {d}/nginx-fastcgi;\n  uwsgi_temp_path {d}/nginx-uwsgi;\n  scgi_temp_path {d}/nginx-scgi;\n\
         \x20 include {};\n}}\n",
        site.display()
    )
}

/// Writes the rendered site and main file into `dir`; returns the main file.
pub fn write_config(dir: &Path, relays: &[u16], port: u16) -> PathBuf {
    let sample = std::fs::read_to_string(crate::workspace().join(SAMPLE))
        .unwrap_or_else(|e| panic!("cannot read {SAMPLE}: {e}"));
    let site = dir.join("ringlink.conf");
    std::fs::write(&site, render_site(&sample, relays, port)).unwrap();
    let main = dir.join("nginx.conf");
    std::fs::write(&main, main_config(dir, &site)).unwrap();
    main
}

/// `nginx -t` on a main file: Ok, or nginx's own words.
pub fn check(main: &Path, dir: &Path) -> Result<(), String> {
    let bin = binary().ok_or("nginx is not installed")?;
    let out = Command::new(bin)
        .arg("-t")
        .arg("-c")
        .arg(main)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// nginx on a free loopback port in front of `relays`.
pub struct Nginx {
    _proc: Proc,
    pub port: u16,
}

impl Nginx {
    pub fn start(dir: &Path, relays: &[u16]) -> Self {
        Self::start_on(dir, relays, free_port())
    }

    /// nginx on `port` (chosen before the relays start, whose public URL names it).
    pub fn start_on(dir: &Path, relays: &[u16], port: u16) -> Self {
        let main = write_config(dir, relays, port);
        if let Err(e) = check(&main, dir) {
            panic!("nginx -t refused the rendered {SAMPLE}:\n{e}");
        }
        let mut cmd = Command::new(binary().expect("nginx"));
        cmd.arg("-c")
            .arg(&main)
            .arg("-e")
            .arg(dir.join("nginx-error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let proc = Proc::spawn("nginx", &mut cmd);
        wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
        Self { _proc: proc, port }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_replaces_the_upstreams_and_the_listen_line() {
        let sample = std::fs::read_to_string(crate::workspace().join(SAMPLE)).unwrap();
        let site = render_site(&sample, &[4001, 4002], 4000);
        assert!(site.contains("server 127.0.0.1:4001 max_fails=1"));
        assert!(site.contains("server 127.0.0.1:4002 max_fails=1"));
        assert!(!site.contains("server 127.0.0.1:8081"), "{site}");
        assert!(site.contains("listen 127.0.0.1:4000;"));
        assert!(!site.contains("listen 80;"));
    }
}
