//! The floor for the RTP bridge: a plain tokio UDP forwarder, one task per call with two
//! sockets that latch onto their first sender (symmetric RTP, like the relay) and forward each
//! datagram to the other side unchanged. No SIP, no rewrite. Run as `ringlink-bench
//! rtp-floor-server` on the server's core; it prints its port pairs on its first line.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::UdpSocket;

/// The forwarder server: `pairs` calls, blocks forever.
pub async fn serve(pairs: usize) -> Result<()> {
    let mut ports = Vec::with_capacity(pairs * 2);
    let mut tasks = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        ports.push(a.local_addr()?.port().to_string());
        ports.push(b.local_addr()?.port().to_string());
        tasks.push((a, b));
    }
    println!("{}", ports.join(","));
    let mut handles = Vec::new();
    for (a, b) in tasks {
        handles.push(tokio::spawn(forward(Arc::new(a), Arc::new(b))));
    }
    for h in handles {
        h.await?;
    }
    Ok(())
}

/// One call: whatever arrives on one socket goes out of the other to that side's peer.
async fn forward(a: Arc<UdpSocket>, b: Arc<UdpSocket>) {
    let mut peers: [Option<SocketAddr>; 2] = [None, None];
    let mut buf_a = [0u8; 2048];
    let mut buf_b = [0u8; 2048];
    loop {
        let (from, n, src) = tokio::select! {
            r = a.recv_from(&mut buf_a) => match r { Ok((n, src)) => (0, n, src), Err(_) => continue },
            r = b.recv_from(&mut buf_b) => match r { Ok((n, src)) => (1, n, src), Err(_) => continue },
        };
        peers[from].get_or_insert(src);
        if peers[from] != Some(src) {
            continue; // latched: a second source is not the peer
        }
        let Some(to) = peers[1 - from] else { continue };
        let (out, data) = if from == 0 {
            (&b, &buf_a[..n])
        } else {
            (&a, &buf_b[..n])
        };
        let _ = out.send_to(data, to).await;
    }
}

/// The forwarder process; killed when dropped.
pub struct RtpFloorProc {
    child: Child,
    /// Per call: the port the member side sends to, and the merchant side's.
    pub pairs: Vec<(SocketAddr, SocketAddr)>,
}

impl RtpFloorProc {
    pub fn start(core: usize, pairs: usize) -> Result<Self> {
        let mut child = crate::die_with_parent(&mut Command::new("taskset"))
            .args(["-c", &core.to_string()])
            .arg(crate::self_exe())
            .args(["rtp-floor-server", "--pairs", &pairs.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the RTP floor server")?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("floor stdout")?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let ports: Vec<u16> = line
            .trim()
            .split(',')
            .filter_map(|p| p.parse().ok())
            .collect();
        anyhow::ensure!(
            ports.len() == pairs * 2,
            "RTP floor printed {line:?}, not {pairs} port pairs"
        );
        let at = |p: u16| SocketAddr::from(([127, 0, 0, 1], p));
        let pairs = ports.chunks(2).map(|c| (at(c[0]), at(c[1]))).collect();
        Ok(Self { child, pairs })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RtpFloorProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
