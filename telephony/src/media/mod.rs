//! The media anchor of one call: two RTP sockets (leg A, leg B), the players that send prompts
//! and ringback, the whisper mixed into one leg (credit warning), and the bridge that forwards
//! RTP between the legs (latched to the address each peer's SDP names, SSRC/seq/timestamp
//! rewrite, PCMU<->PCMA transcode, telephone-event relay, DTMF decode) until it is cut.

mod whisper;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, trace};

use crate::control::{Leg, RtpStats};
use crate::dtmf::Rfc4733Decoder;
use crate::g711::{transcode, Codec};
use crate::rtp::{self, StreamRewriter, SAMPLES_PER_PACKET};
use crate::sdp::MediaAnswer;
use whisper::Whisper;

/// 20 ms: the packet interval of everything the agent plays.
pub const FRAME: Duration = Duration::from_millis(20);
/// Largest RTP datagram we accept; G.711 at 20 ms is 172 bytes, video never comes here.
const MAX_DATAGRAM: usize = 2048;

/// Something the media task tells the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaNote {
    Dtmf(Leg, char),
    /// No RTP from either leg for the media timeout while bridged.
    Timeout,
}

/// A request to play clips to one leg.
pub struct Play {
    pub leg: Leg,
    pub clips: Vec<&'static [u8]>,
    /// Repeat the last clip until stopped (ringback).
    pub loop_last: bool,
    /// Told when the clips have been sent (never, with `loop_last`).
    pub done: Option<oneshot::Sender<()>>,
}

enum Cmd {
    Remote(Leg, MediaAnswer),
    Play(Play),
    StopPlay(Leg),
    Bridge,
    Whisper(Leg, &'static [u8]),
    Cut,
}

/// Steers the media task; dropping it stops the task.
pub struct Media {
    tx: mpsc::UnboundedSender<Cmd>,
    stats: Arc<Mutex<RtpStats>>,
    local: [SocketAddr; 2],
    /// Held for the call so the RTCP ports stay ours; RTCP itself is not read.
    _rtcp: [std::net::UdpSocket; 2],
}

impl Media {
    /// Starts the media task on two bound sockets.
    pub fn start(
        [a, b]: [UdpSocket; 2],
        rtcp: [std::net::UdpSocket; 2],
        notes: mpsc::UnboundedSender<MediaNote>,
        media_timeout: Duration,
    ) -> std::io::Result<Self> {
        let local = [a.local_addr()?, b.local_addr()?];
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(Mutex::new(RtpStats::default()));
        let task = MediaTask {
            legs: [LegMedia::new(a), LegMedia::new(b)],
            players: [None, None],
            whispers: [None, None],
            last_forward: [Instant::now(); 2],
            bridged: false,
            cut: false,
            stats: stats.clone(),
            notes,
            media_timeout,
            last_rx: Instant::now(),
            timed_out: false,
        };
        tokio::spawn(task.run(rx));
        Ok(Self {
            tx,
            stats,
            local,
            _rtcp: rtcp,
        })
    }

    /// The local RTP address of `leg` (what goes in our SDP).
    pub fn local_addr(&self, leg: Leg) -> SocketAddr {
        self.local[idx(leg)]
    }
    pub fn set_remote(&self, leg: Leg, answer: MediaAnswer) {
        let _ = self.tx.send(Cmd::Remote(leg, answer));
    }
    /// A handle that updates `leg`'s codec and DTMF type later (a peer's re-offer).
    pub fn remote_setter(&self, leg: Leg) -> RemoteSetter {
        RemoteSetter {
            tx: self.tx.clone(),
            leg,
        }
    }
    pub fn play(&self, play: Play) {
        let _ = self.tx.send(Cmd::Play(play));
    }
    pub fn stop_play(&self, leg: Leg) {
        let _ = self.tx.send(Cmd::StopPlay(leg));
    }
    /// Stops A's ringback and forwards RTP both ways from now on.
    pub fn bridge(&self) {
        let _ = self.tx.send(Cmd::Bridge);
    }
    /// Mixes `clip` (µ-law) into what `leg` hears, over the other party's audio; the other
    /// leg hears nothing of it.
    pub fn whisper(&self, leg: Leg, clip: &'static [u8]) {
        let _ = self.tx.send(Cmd::Whisper(leg, clip));
    }
    /// Ends the media at once: nothing more is forwarded, and what was playing or whispering
    /// stops, either way (the call is hanging up, whether or not the peers answer our BYE). Only
    /// a prompt asked for after the cut (the payer's goodbye) is still played.
    pub fn cut(&self) {
        let _ = self.tx.send(Cmd::Cut);
    }
    pub fn stats(&self) -> RtpStats {
        *self.stats.lock().expect("stats lock")
    }
}

/// Updates one leg's negotiated media from outside the call task.
pub struct RemoteSetter {
    tx: mpsc::UnboundedSender<Cmd>,
    leg: Leg,
}

impl RemoteSetter {
    pub fn set(&self, answer: MediaAnswer) {
        let _ = self.tx.send(Cmd::Remote(self.leg, answer));
    }
}

fn idx(leg: Leg) -> usize {
    match leg {
        Leg::A => 0,
        Leg::B => 1,
    }
}

fn leg_of(i: usize) -> Leg {
    if i == 0 {
        Leg::A
    } else {
        Leg::B
    }
}

struct LegMedia {
    socket: UdpSocket,
    /// The address the peer's SDP names: we send there and accept RTP only from there
    /// (RTP bleed: a stranger's packets are never bridged).
    remote: Option<SocketAddr>,
    /// The peer's SDP direction lets it receive (false while it holds with `sendonly`).
    receives: bool,
    codec: Codec,
    telephone_event: Option<u8>,
    out: StreamRewriter,
    dtmf: Rfc4733Decoder,
}

impl LegMedia {
    fn new(socket: UdpSocket) -> Self {
        Self {
            socket,
            remote: None,
            receives: true,
            codec: Codec::Pcmu,
            telephone_event: None,
            out: StreamRewriter::random(),
            dtmf: Rfc4733Decoder::default(),
        }
    }
}

impl MediaTask {
    /// Sends a whisper on its own (mixed into silence) to a leg that got no bridged audio for
    /// two frames: a quiet or silence-suppressing peer must not swallow the warning.
    async fn whisper_in_gaps(&mut self) {
        if !self.bridged {
            return;
        }
        for i in 0..2 {
            if self.players[i].is_some() || self.last_forward[i].elapsed() < FRAME * 2 {
                continue;
            }
            let Some(w) = self.whispers[i].as_mut() else {
                continue;
            };
            let leg = &mut self.legs[i];
            let Some(remote) = leg.remote.filter(|_| leg.receives) else {
                continue;
            };
            let mut frame = [leg.codec.silence(); SAMPLES_PER_PACKET as usize];
            w.mix_into(&mut frame, leg.codec);
            if w.is_done() {
                self.whispers[i] = None;
            }
            let h = leg.out.local(SAMPLES_PER_PACKET);
            let mut out = Vec::with_capacity(rtp::HEADER_LEN + frame.len());
            let pt = leg.codec.payload_type();
            rtp::build(&mut out, h.marker, pt, h.seq, h.timestamp, h.ssrc, &frame);
            let _ = leg.socket.send_to(&out, remote).await;
        }
    }
}

struct Player {
    clips: VecDeque<&'static [u8]>,
    pos: usize,
    loop_last: bool,
    done: Option<oneshot::Sender<()>>,
}

impl Player {
    /// The next 20 ms of audio, or `None` when finished.
    fn next_frame(&mut self) -> Option<[u8; SAMPLES_PER_PACKET as usize]> {
        let mut frame = [Codec::Pcmu.silence(); SAMPLES_PER_PACKET as usize];
        let mut filled = 0;
        while filled < frame.len() {
            let clip = *self.clips.front()?;
            let take = (clip.len() - self.pos).min(frame.len() - filled);
            frame[filled..filled + take].copy_from_slice(&clip[self.pos..self.pos + take]);
            filled += take;
            self.pos += take;
            if self.pos >= clip.len() {
                self.pos = 0;
                if !(self.loop_last && self.clips.len() == 1) {
                    self.clips.pop_front();
                }
                if self.clips.is_empty() {
                    break;
                }
            }
        }
        (filled > 0).then_some(frame)
    }
}

struct MediaTask {
    legs: [LegMedia; 2],
    players: [Option<Player>; 2],
    whispers: [Option<Whisper>; 2],
    /// When bridged audio last went to each leg (a whisper plays alone in the gaps).
    last_forward: [Instant; 2],
    bridged: bool,
    /// Hung up: nothing is sent any more.
    cut: bool,
    stats: Arc<Mutex<RtpStats>>,
    notes: mpsc::UnboundedSender<MediaNote>,
    media_timeout: Duration,
    last_rx: Instant,
    timed_out: bool,
}

impl MediaTask {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut buf_a = vec![0u8; MAX_DATAGRAM];
        let mut buf_b = vec![0u8; MAX_DATAGRAM];
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
                r = self.legs[0].socket.recv_from(&mut buf_a) => {
                    if let Ok((n, from)) = r { self.received(0, &buf_a[..n], from).await; }
                }
                r = self.legs[1].socket.recv_from(&mut buf_b) => {
                    if let Ok((n, from)) = r { self.received(1, &buf_b[..n], from).await; }
                }
                _ = tick.tick() => self.tick().await,
            }
        }
        debug!("media task stopped");
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Remote(leg, answer) => {
                let l = &mut self.legs[idx(leg)];
                l.remote = Some(answer.rtp);
                l.receives = answer.direction.peer_receives();
                l.codec = answer.codec;
                l.telephone_event = answer.telephone_event;
            }
            Cmd::Play(p) => {
                self.players[idx(p.leg)] = Some(Player {
                    clips: p.clips.into_iter().filter(|c| !c.is_empty()).collect(),
                    pos: 0,
                    loop_last: p.loop_last,
                    done: p.done,
                });
            }
            Cmd::StopPlay(leg) => self.players[idx(leg)] = None,
            Cmd::Bridge => {
                self.players[0] = None;
                self.bridged = true;
                self.last_rx = Instant::now();
            }
            Cmd::Whisper(leg, clip) => self.whispers[idx(leg)] = Some(Whisper::new(clip)),
            Cmd::Cut => {
                self.cut = true;
                self.bridged = false;
                self.players = [None, None];
                self.whispers = [None, None];
            }
        }
    }

    async fn tick(&mut self) {
        if !self.cut {
            self.whisper_in_gaps().await;
        }
        for i in 0..2 {
            let Some(player) = self.players[i].as_mut() else {
                continue;
            };
            match player.next_frame() {
                Some(mut frame) => {
                    let leg = &mut self.legs[i];
                    let Some(remote) = leg.remote.filter(|_| leg.receives) else {
                        continue;
                    };
                    transcode(&mut frame, Codec::Pcmu, leg.codec);
                    let h = leg.out.local(SAMPLES_PER_PACKET);
                    let mut out = Vec::with_capacity(rtp::HEADER_LEN + frame.len());
                    let pt = leg.codec.payload_type();
                    rtp::build(&mut out, h.marker, pt, h.seq, h.timestamp, h.ssrc, &frame);
                    if leg.socket.send_to(&out, remote).await.is_ok() {
                        let mut s = self.stats.lock().expect("stats lock");
                        if i == 0 {
                            s.played_to_a += 1;
                        } else {
                            s.played_to_b += 1;
                        }
                    }
                }
                None => {
                    if let Some(done) = self.players[i].take().and_then(|p| p.done) {
                        let _ = done.send(());
                    }
                }
            }
        }
        if self.bridged && !self.timed_out && self.last_rx.elapsed() > self.media_timeout {
            self.timed_out = true;
            let _ = self.notes.send(MediaNote::Timeout);
        }
    }

    async fn received(&mut self, from_leg: usize, buf: &[u8], src: SocketAddr) {
        if self.cut {
            return;
        }
        let Some(pkt) = rtp::parse(buf) else { return };
        if self.legs[from_leg].remote != Some(src) {
            // Only the address the peer's SDP names is the peer: anything else is an injection
            // attempt (RTP bleed) or a stray stream, and is never bridged.
            trace!(leg = ?leg_of(from_leg), %src, "dropping RTP from a source not in the SDP");
            self.stats.lock().expect("stats lock").dropped_foreign += 1;
            return;
        }
        self.last_rx = Instant::now();
        let to_leg = 1 - from_leg;
        let (from_codec, from_te) = {
            let l = &self.legs[from_leg];
            (l.codec, l.telephone_event)
        };
        let is_event = from_te == Some(pkt.payload_type);
        if is_event {
            if let Some(d) = self.legs[from_leg].dtmf.push(pkt.timestamp, pkt.payload) {
                let _ = self.notes.send(MediaNote::Dtmf(leg_of(from_leg), d));
            }
        }
        if !self.bridged || self.players[to_leg].is_some() {
            return;
        }
        let to = &mut self.legs[to_leg];
        let Some(remote) = to.remote.filter(|_| to.receives) else {
            return;
        };
        let mut out = Vec::with_capacity(buf.len());
        if is_event {
            let Some(te) = to.telephone_event else { return };
            let h = to.out.forward(pkt.ssrc, pkt.seq, pkt.timestamp, 0);
            rtp::build(
                &mut out,
                pkt.marker || h.marker,
                te,
                h.seq,
                h.timestamp,
                h.ssrc,
                pkt.payload,
            );
        } else {
            let in_codec = Codec::from_payload_type(pkt.payload_type);
            let Some(in_codec) =
                in_codec.or((pkt.payload_type == from_codec.payload_type()).then_some(from_codec))
            else {
                trace!(
                    pt = pkt.payload_type,
                    "dropping RTP of a payload type we did not offer"
                );
                return;
            };
            let samples = pkt.payload.len() as u32;
            let h = to.out.forward(pkt.ssrc, pkt.seq, pkt.timestamp, samples);
            let mut payload = pkt.payload.to_vec();
            transcode(&mut payload, in_codec, to.codec);
            if let Some(w) = self.whispers[to_leg].as_mut() {
                w.mix_into(&mut payload, to.codec);
                if w.is_done() {
                    self.whispers[to_leg] = None;
                }
            }
            self.last_forward[to_leg] = Instant::now();
            rtp::build(
                &mut out,
                h.marker,
                to.codec.payload_type(),
                h.seq,
                h.timestamp,
                h.ssrc,
                &payload,
            );
        }
        if to.socket.send_to(&out, remote).await.is_ok() {
            let mut s = self.stats.lock().expect("stats lock");
            if from_leg == 0 {
                s.a_to_b += 1;
            } else {
                s.b_to_a += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
