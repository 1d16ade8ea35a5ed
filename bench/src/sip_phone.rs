//! The bench's phones: a minimal SIP UAS over plain UDP that answers every INVITE at once with
//! 200 OK and a PCMU SDP pointing at a fresh bench RTP socket, and answers ACK, BYE, CANCEL and
//! anything else in the dialog. Enough for the relay's B2BUA on loopback; not a general stack.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest SIP datagram we read; the relay's INVITE with its SDP is about 1 KB.
const MAX_SIP: usize = 8192;
/// Answered dialogs remembered for retransmitted INVITEs; far above any run's call count.
const MAX_REMEMBERED: usize = 100_000;

/// An INVITE this phone answered: when it arrived and the media to use for the leg.
pub struct Answered {
    /// The relay's call id (the SIP Call-ID without the leg suffix).
    pub call: String,
    /// The number in the Request-URI (`+86138…`).
    pub number: String,
    /// Arrival time, ns since the bench epoch.
    pub at_ns: u64,
    /// The bench RTP socket named in our SDP answer (shared with other legs).
    pub rtp: Arc<UdpSocket>,
    /// Where the relay wants this leg's RTP (its SDP offer).
    pub relay_rtp: SocketAddr,
}

/// A UAS bound on loopback; answered INVITEs come out of the channel `start` returns.
pub struct Phone {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Phone {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Phone {
    /// A phone whose answers point the legs, round robin, at the sockets of `rtp`.
    pub async fn start(
        epoch: Instant,
        rtp: Vec<Arc<UdpSocket>>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Answered>)> {
        anyhow::ensure!(!rtp.is_empty(), "a phone needs at least one RTP socket");
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(serve(socket, epoch, rtp, tx));
        Ok((Self { addr, task }, rx))
    }
}

async fn serve(
    socket: UdpSocket,
    epoch: Instant,
    pool: Vec<Arc<UdpSocket>>,
    out: mpsc::UnboundedSender<Answered>,
) {
    let mut next_rtp = 0;
    let me = socket.local_addr().expect("bound");
    let mut answered: HashMap<String, Vec<u8>> = HashMap::new();
    let mut buf = vec![0u8; MAX_SIP];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let at_ns = epoch.elapsed().as_nanos() as u64;
        let Some(req) = Request::parse(&buf[..n]) else {
            continue; // a response or garbage: nothing to answer
        };
        let reply = if req.method == "INVITE" {
            if let Some(earlier) = answered.get(req.call_id) {
                earlier.clone() // a retransmission: the same answer again
            } else {
                let Some(relay_rtp) = sdp_audio(req.body) else {
                    let _ = socket
                        .send_to(&req.response("488 Not Acceptable Here", None, me), from)
                        .await;
                    continue;
                };
                let rtp = pool[next_rtp % pool.len()].clone();
                next_rtp += 1;
                let port = rtp.local_addr().map(|a| a.port()).unwrap_or(0);
                let reply = req.response("200 OK", Some(&sdp_answer(port)), me);
                if answered.len() >= MAX_REMEMBERED {
                    answered.clear();
                }
                answered.insert(req.call_id.to_owned(), reply.clone());
                let _ = out.send(Answered {
                    call: relay_call_id(req.call_id),
                    number: req.number(),
                    at_ns,
                    rtp,
                    relay_rtp,
                });
                reply
            }
        } else if req.method == "ACK" {
            continue;
        } else {
            // BYE, CANCEL, INFO, OPTIONS: all acknowledged.
            req.response("200 OK", None, me)
        };
        let _ = socket.send_to(&reply, from).await;
    }
}

/// The relay names each leg's Call-ID `{call_id}-{a|b}-{8 hex}`.
pub fn relay_call_id(sip_call_id: &str) -> String {
    let id = sip_call_id.split('@').next().unwrap_or(sip_call_id);
    let mut parts = id.rsplitn(3, '-');
    let (_rand, _leg, call) = (parts.next(), parts.next(), parts.next());
    call.unwrap_or(id).to_owned()
}

/// The parts of a SIP request a UAS needs to answer it.
struct Request<'a> {
    method: &'a str,
    uri: &'a str,
    vias: Vec<&'a str>,
    from: &'a str,
    to: &'a str,
    call_id: &'a str,
    cseq: &'a str,
    body: &'a str,
}

impl<'a> Request<'a> {
    fn parse(buf: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(buf).ok()?;
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, uri) = (first.next()?, first.next()?);
        if method.starts_with("SIP/") {
            return None;
        }
        let mut r = Request {
            method,
            uri,
            vias: Vec::new(),
            from: "",
            to: "",
            call_id: "",
            cseq: "",
            body,
        };
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "via" | "v" => r.vias.push(value),
                "from" | "f" => r.from = value,
                "to" | "t" => r.to = value,
                "call-id" | "i" => r.call_id = value,
                "cseq" => r.cseq = value,
                _ => {}
            }
        }
        (!r.call_id.is_empty() && !r.vias.is_empty()).then_some(r)
    }

    /// The user part of the Request-URI: `sip:+86138…@host;user=phone` gives `+86138…`.
    fn number(&self) -> String {
        let user = self.uri.trim_start_matches("sip:");
        user.split('@').next().unwrap_or("").to_owned()
    }

    fn response(&self, status: &str, sdp: Option<&str>, me: SocketAddr) -> Vec<u8> {
        let mut s = format!("SIP/2.0 {status}\r\n");
        for v in &self.vias {
            s.push_str(&format!("Via: {v}\r\n"));
        }
        let to_tag = if self.to.contains(";tag=") {
            String::new()
        } else {
            // A stable tag per dialog, so a resent answer names the same dialog.
            format!(";tag=b{:x}", fnv(self.call_id))
        };
        s.push_str(&format!(
            "From: {}\r\nTo: {}{to_tag}\r\nCall-ID: {}\r\nCSeq: {}\r\n",
            self.from, self.to, self.call_id, self.cseq
        ));
        s.push_str(&format!("Contact: <sip:bench@{me}>\r\n"));
        match sdp {
            Some(body) => s.push_str(&format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )),
            None => s.push_str("Content-Length: 0\r\n\r\n"),
        }
        s.into_bytes()
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// The audio address of an SDP offer (`c=` and the first `m=audio` port).
fn sdp_audio(sdp: &str) -> Option<SocketAddr> {
    let mut ip = None;
    let mut port = None;
    for line in sdp.lines().map(str::trim) {
        if let Some(c) = line.strip_prefix("c=") {
            ip = c.split_whitespace().nth(2).and_then(|a| a.parse().ok());
        } else if let Some(m) = line.strip_prefix("m=audio ") {
            port = m.split_whitespace().next().and_then(|p| p.parse().ok());
        }
    }
    Some(SocketAddr::new(ip?, port?))
}

/// Our answer: PCMU only, 20 ms packets, on loopback.
fn sdp_answer(port: u16) -> String {
    format!(
        "v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=bench\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_invite_and_answers_it() {
        let invite = "INVITE sip:+8613800000007@127.0.0.1:5071;user=phone SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport\r\n\
            From: <sip:ringlink@127.0.0.1:5060>;tag=x1\r\nTo: <sip:+8613800000007@127.0.0.1>\r\n\
            Call-ID: cm_abc-a-0011aabb\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\r\n\
            v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20000 RTP/AVP 0 8 101\r\n";
        let r = Request::parse(invite.as_bytes()).unwrap();
        assert_eq!((r.method, r.number()), ("INVITE", "+8613800000007".into()));
        assert_eq!(relay_call_id(r.call_id), "cm_abc");
        assert_eq!(sdp_audio(r.body), Some("127.0.0.1:20000".parse().unwrap()));
        let resp = String::from_utf8(r.response(
            "200 OK",
            Some(&sdp_answer(4000)),
            "127.0.0.1:1".parse().unwrap(),
        ))
        .unwrap();
        assert!(resp.starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch"));
        assert!(resp.contains(";tag=b") && resp.contains("m=audio 4000 RTP/AVP 0\r\n"));
        assert!(Request::parse(b"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n").is_none());
    }
}
