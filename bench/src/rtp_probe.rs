//! G.711 test streams for bridged calls: each call streams 20 ms PCMU packets both ways, every
//! payload carrying a magic, stream id, sequence and wall-clock send time. Receivers take the
//! kernel's arrival stamp (`SO_TIMESTAMPNS`) and measure one-way latency (HDR), loss and
//! RFC 3550 interarrival jitter; an optional impairment drops and delays packets at the sender
//! to see what the bridge passes through.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::net::UdpSocket;

use crate::stats::{new_histogram, summarize, Latency};

/// 20 ms of G.711 at 8 kHz: 160 one-byte samples, 50 packets a second.
pub const PAYLOAD: usize = 160;
const FRAME_MS: u64 = 20;
/// The sender wakes every millisecond and spreads the streams over the 20 slots of a frame, so
/// the relay sees an even 1 ms drizzle rather than one burst per frame.
const SLOT: Duration = Duration::from_millis(1);
const MAGIC: &[u8; 8] = b"RLBENCH\x01";
/// After the streams stop, wait this long for packets still in flight.
const DRAIN: Duration = Duration::from_millis(500);
/// PCMU silence fills the rest of the payload.
const PCMU_SILENCE: u8 = 0xFF;

/// One bridged call's media as the bench sees it: the member side and the merchant side, each a
/// bench socket and where it sends (the relay's or the floor's port for that leg).
#[derive(Clone)]
pub struct CallMedia {
    pub a: (Arc<UdpSocket>, SocketAddr),
    pub b: (Arc<UdpSocket>, SocketAddr),
}

/// Sender-side impairment: drop this share of packets and delay each by up to `jitter`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Impair {
    pub loss: f64,
    pub jitter_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RtpResult {
    pub calls: usize,
    pub streams: usize,
    pub secs: f64,
    /// Packets sent in the measured window (after any impairment dropped some).
    pub sent: u64,
    pub received: u64,
    pub dropped_by_sender: u64,
    pub loss_pct: f64,
    /// One-way latency through the bridge, send to receipt (same clock).
    pub latency: Latency,
    /// RFC 3550 interarrival jitter at the end of the run, ms: mean and worst stream.
    pub jitter_mean_ms: f64,
    pub jitter_max_ms: f64,
    /// The same estimator on actual send times: the jitter the path itself adds, without the
    /// sender's own timing error or injected delay (mean over streams, ms).
    pub path_jitter_mean_ms: f64,
    /// The bench's own CPU while streaming, % of its one core: near 100 the load generator,
    /// not the path under test, is the limit.
    pub load_cpu_pct: f64,
}

#[derive(Default)]
struct StreamRx {
    received: u64,
    jitter: f64,
    path_jitter: f64,
    /// Previous packet's (arrival ns, nominal send ns, actual send ns) for the differences.
    last: Option<(u64, u64, u64)>,
}

/// Streams `warmup` (not counted: lets both sides latch) then `secs` of packets on every call,
/// both ways, and returns the receivers' figures.
pub async fn run(
    calls: &[CallMedia],
    warmup: Duration,
    secs: Duration,
    impair: Option<Impair>,
) -> Result<RtpResult> {
    let streams = calls.len() * 2;
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let end = start + warmup + secs + DRAIN;
    // One receiver per distinct bench socket (legs share a few sockets).
    let mut ports = std::collections::BTreeMap::new();
    for c in calls {
        for sock in [&c.a.0, &c.b.0] {
            ports
                .entry(sock.local_addr()?.port())
                .or_insert_with(|| sock.clone());
        }
    }
    let receivers: Vec<_> = ports
        .into_values()
        .map(|sock| tokio::spawn(receive(sock, streams, end)))
        .collect();
    let me = std::process::id();
    let cpu0 = crate::stats::cpu_seconds(me);
    let (sent, dropped) = send(calls, start, warmup, secs, impair).await;
    let load_cpu = crate::stats::cpu_seconds(me) - cpu0;
    let mut h = new_histogram();
    let (mut received, mut jitters, mut path) = (0, Vec::new(), Vec::new());
    for r in receivers {
        let (hist, rx) = r.await?;
        h.add(&hist)?;
        for s in rx.into_iter().filter(|s| s.received > 0) {
            received += s.received;
            // RTP timestamp units are samples at 8 kHz; the jitter here is kept in ns.
            jitters.push(s.jitter / 1e6);
            path.push(s.path_jitter / 1e6);
        }
    }
    let mean_of = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Ok(RtpResult {
        calls: calls.len(),
        streams,
        secs: secs.as_secs_f64(),
        sent,
        received,
        dropped_by_sender: dropped,
        loss_pct: 100.0 * (sent.saturating_sub(received)) as f64 / sent.max(1) as f64,
        latency: summarize(&h),
        jitter_mean_ms: mean_of(&jitters),
        jitter_max_ms: jitters.iter().copied().fold(0.0, f64::max),
        path_jitter_mean_ms: mean_of(&path),
        load_cpu_pct: 100.0 * load_cpu / (warmup + secs).as_secs_f64(),
    })
}

/// Stream `s` of `calls`: even streams go member to merchant, odd ones back.
fn endpoint(calls: &[CallMedia], s: usize) -> &(Arc<UdpSocket>, SocketAddr) {
    let c = &calls[s / 2];
    if s.is_multiple_of(2) {
        &c.a
    } else {
        &c.b
    }
}

/// The sender: a heap of (due slot, stream, seq); returns (measured packets sent, dropped).
async fn send(
    calls: &[CallMedia],
    start: tokio::time::Instant,
    warmup: Duration,
    secs: Duration,
    impair: Option<Impair>,
) -> (u64, u64) {
    let streams = calls.len() * 2;
    let frame_slots = FRAME_MS; // one slot per millisecond
    let warm_pkts = warmup.as_millis() as u64 / FRAME_MS;
    let total_pkts = warm_pkts + secs.as_millis() as u64 / FRAME_MS;
    let mut rng = SplitMix(0x5EED_0FBE);
    let delay = |rng: &mut SplitMix| match impair {
        Some(i) if i.jitter_ms > 0 => rng.next() % (i.jitter_ms + 1),
        _ => 0,
    };
    let mut heap = BinaryHeap::with_capacity(streams);
    for s in 0..streams {
        heap.push(Reverse((s as u64 % frame_slots + delay(&mut rng), s, 0u64)));
    }
    let (mut sent, mut dropped) = (0, 0);
    let mut pkt = vec![0u8; 12 + PAYLOAD];
    // Bounded: one slot per millisecond for the run's length plus the largest delay.
    let last_slot = total_pkts * FRAME_MS + frame_slots + impair.map_or(0, |i| i.jitter_ms);
    for slot in 0..=last_slot {
        tokio::time::sleep_until(start + SLOT * slot as u32).await;
        while let Some(Reverse((due, s, seq))) = heap.peek().copied() {
            if due > slot {
                break;
            }
            heap.pop();
            if seq + 1 < total_pkts {
                let next_due = (seq + 1) * FRAME_MS + s as u64 % frame_slots + delay(&mut rng);
                heap.push(Reverse((next_due, s, seq + 1)));
            }
            let measured = seq >= warm_pkts;
            if let Some(i) = impair {
                if measured && (rng.next() % 1_000_000) as f64 / 1e6 < i.loss {
                    dropped += 1;
                    continue;
                }
            }
            let (sock, to) = endpoint(calls, s);
            build(&mut pkt, s as u32, seq, measured, realtime_ns());
            if sock.send_to(&pkt, to).await.is_ok() && measured {
                sent += 1;
            }
        }
        if heap.is_empty() {
            break;
        }
    }
    (sent, dropped)
}

fn build(pkt: &mut [u8], stream: u32, seq: u64, measured: bool, now_ns: u64) {
    pkt[0] = 0x80; // RTP version 2
    pkt[1] = 0; // PCMU
    pkt[2..4].copy_from_slice(&(seq as u16).to_be_bytes());
    pkt[4..8].copy_from_slice(&((seq as u32).wrapping_mul(PAYLOAD as u32)).to_be_bytes());
    pkt[8..12].copy_from_slice(&stream.to_be_bytes());
    let p = &mut pkt[12..];
    p.fill(PCMU_SILENCE);
    p[..8].copy_from_slice(MAGIC);
    p[8..12].copy_from_slice(&stream.to_be_bytes());
    p[12..20].copy_from_slice(&seq.to_be_bytes());
    p[20..28].copy_from_slice(&now_ns.to_be_bytes());
    p[28] = u8::from(measured);
}

/// (stream, seq, send ns, measured) from a packet's payload, if it is one of ours.
fn parse(buf: &[u8]) -> Option<(usize, u64, u64, bool)> {
    // Our packets carry a plain 12-byte header; the relay rewrites the header only.
    let p = buf.get(12..12 + PAYLOAD)?;
    if &p[..8] != MAGIC {
        return None; // a prompt or ringback from the relay
    }
    let u64_at = |i: usize| u64::from_be_bytes(p[i..i + 8].try_into().expect("8 bytes"));
    let stream = u32::from_be_bytes(p[8..12].try_into().expect("4 bytes")) as usize;
    Some((stream, u64_at(12), u64_at(20), p[28] == 1))
}

async fn receive(
    sock: Arc<UdpSocket>,
    streams: usize,
    end: tokio::time::Instant,
) -> (Histogram<u64>, Vec<StreamRx>) {
    use std::os::fd::AsRawFd;
    let mut h = new_histogram();
    let mut rx: Vec<StreamRx> = (0..streams).map(|_| StreamRx::default()).collect();
    let mut buf = [0u8; 2048];
    let stop = tokio::time::sleep_until(end);
    tokio::pin!(stop);
    // Bounded by `end`: the loop stops when the run's drain time is over.
    loop {
        let r = tokio::select! {
            biased;
            r = sock.readable() => r,
            _ = &mut stop => break,
        };
        if r.is_err() {
            continue;
        }
        let got = sock.try_io(tokio::io::Interest::READABLE, || {
            recv_stamped(sock.as_raw_fd(), &mut buf)
        });
        let Ok((n, kernel_at)) = got else { continue };
        // The kernel's arrival stamp: a busy load generator reading late is not counted as
        // latency of the path under test.
        let at = kernel_at.unwrap_or_else(realtime_ns);
        let Some((s, seq, sent_ns, measured)) = parse(&buf[..n]) else {
            continue;
        };
        let Some(st) = rx.get_mut(s).filter(|_| measured) else {
            continue;
        };
        let _ = h.record(at.saturating_sub(sent_ns).max(1));
        st.received += 1;
        // RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si) on the nominal 20 ms clock; J += (|D| - J)/16.
        let nominal = seq * FRAME_MS * 1_000_000;
        if let Some((r0, n0, s0)) = st.last {
            let arrived = at as f64 - r0 as f64;
            let d = arrived - (nominal as f64 - n0 as f64);
            st.jitter += (d.abs() - st.jitter) / 16.0;
            let d = arrived - (sent_ns as f64 - s0 as f64);
            st.path_jitter += (d.abs() - st.path_jitter) / 16.0;
        }
        st.last = Some((at, nominal, sent_ns));
    }
    (h, rx)
}

/// Socket buffers for the bench's shared RTP sockets: a few thousand packets, so a scheduling
/// hiccup of the load generator is not counted as loss in the path under test.
const SOCKET_BUFFER: libc::c_int = 8 << 20;
/// Bench RTP sockets shared by many legs: one receive loop per socket instead of one per leg
/// keeps the load generator's own cost per packet low (the relay latches each leg to it all
/// the same).
pub const SHARED_SOCKETS: usize = 4;

/// A loopback UDP socket with large buffers (forced past `rmem_max` when running as root).
pub async fn bench_socket() -> Result<Arc<UdpSocket>> {
    use std::os::fd::AsRawFd;
    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    let fd = sock.as_raw_fd();
    let size = SOCKET_BUFFER;
    for (force, plain) in [
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
    ] {
        let set = |opt| {
            // SAFETY: a valid fd and a c_int option value of the right size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    opt,
                    (&size as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            }
        };
        if set(force) != 0 {
            set(plain);
        }
    }
    let on: libc::c_int = 1;
    // SAFETY: as above; a failure leaves arrival times to the receive loop's clock.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    Ok(Arc::new(sock))
}

/// `SO_TIMESTAMPNS` (`<asm-generic/socket.h>`, x86_64 and aarch64); the libc crate does not
/// export it for Linux. The control message type has the same value.
const SO_TIMESTAMPNS: libc::c_int = 35;

/// Wall-clock nanoseconds: the clock the kernel's receive stamps use, so send and arrival
/// times compare directly.
fn realtime_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// One datagram with the kernel's arrival stamp (when `SO_TIMESTAMPNS` is on).
fn recv_stamped(fd: std::os::fd::RawFd, buf: &mut [u8]) -> std::io::Result<(usize, Option<u64>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 8];
    // SAFETY: msghdr is plain data; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: fd is an open socket; msg points at live buffers of the stated sizes.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: the CMSG macros walk the control buffer the kernel filled, within its length.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == SO_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                stamp = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, stamp))
}

/// `count` shared bench sockets.
pub async fn socket_pool(count: usize) -> Result<Vec<Arc<UdpSocket>>> {
    let mut pool = Vec::with_capacity(count);
    for _ in 0..count {
        pool.push(bench_socket().await?);
    }
    Ok(pool)
}

/// A small deterministic generator (SplitMix64): impairments repeat run to run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_round_trip() {
        let mut pkt = vec![0u8; 12 + PAYLOAD];
        build(&mut pkt, 7, 300, true, 123_456);
        assert_eq!(parse(&pkt), Some((7, 300, 123_456, true)));
        pkt[12] = 0xFF;
        assert_eq!(parse(&pkt), None);
    }

    #[tokio::test]
    async fn the_kernel_stamps_arrivals() {
        use std::os::fd::AsRawFd;
        let a = bench_socket().await.unwrap();
        let before = realtime_ns();
        a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
        a.readable().await.unwrap();
        let (n, at) = recv_stamped(a.as_raw_fd(), &mut [0u8; 16]).unwrap();
        let at = at.expect("SO_TIMESTAMPNS stamp");
        assert_eq!(n, 1);
        assert!(at >= before && at - before < 1_000_000_000, "{before} {at}");
    }

    #[tokio::test]
    async fn loopback_streams_arrive() {
        // Each side sends straight to the other's socket: no relay in between.
        let a = bench_socket().await.unwrap();
        let b = bench_socket().await.unwrap();
        let call = CallMedia {
            a: (a.clone(), b.local_addr().unwrap()),
            b: (b.clone(), a.local_addr().unwrap()),
        };
        let r = run(
            &[call],
            Duration::from_millis(100),
            Duration::from_millis(400),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.sent, 40);
        assert_eq!(r.received, 40, "{r:?}");
        // Kernel arrival stamps and send stamps share one clock: loopback takes microseconds.
        assert!(
            r.latency.p50_us > 0.0 && r.latency.p50_us < 50_000.0,
            "{r:?}"
        );
    }
}
