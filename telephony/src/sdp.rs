//! SDP for this narrow use (RFC 4566 / 3264): the offer the agent sends on each leg (PCMU,
//! PCMA, telephone-event) and reading the answer back: address, port, chosen codec, DTMF type
//! and direction (hold), and the answer to a peer's re-offer (RFC 3264 §6.1 directions).

use std::net::{IpAddr, SocketAddr};

use crate::g711::Codec;

/// The dynamic payload type we offer for RFC 4733 telephone-event.
pub const OFFER_TELEPHONE_EVENT_PT: u8 = 101;

/// Builds our offer: one audio stream on `rtp` with PCMU 0, PCMA 8 and telephone-event 101.
/// `version` is the `o=` version: the session id at first, bumped on each new SDP.
pub fn offer(rtp: SocketAddr, session_id: u64, version: u64) -> String {
    let ip = rtp.ip();
    let family = if ip.is_ipv6() { "IP6" } else { "IP4" };
    let pt = OFFER_TELEPHONE_EVENT_PT;
    format!(
        "v=0\r\n\
         o=ringlink {session_id} {version} IN {family} {ip}\r\n\
         s=ringlink\r\n\
         c=IN {family} {ip}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP 0 8 {pt}\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:{pt} telephone-event/8000\r\n\
         a=fmtp:{pt} 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n",
        port = rtp.port(),
    )
}

/// Our answer to a peer's new offer (re-INVITE, session refresh): the one codec we keep using,
/// plus telephone-event when the peer offered it, on our same RTP address.
pub fn answer(rtp: SocketAddr, session_id: u64, version: u64, media: &MediaAnswer) -> String {
    let ip = rtp.ip();
    let family = if ip.is_ipv6() { "IP6" } else { "IP4" };
    let codec = media.codec.payload_type();
    let (name, mut fmts, mut attrs) = match media.codec {
        Codec::Pcmu => ("PCMU", codec.to_string(), String::new()),
        Codec::Pcma => ("PCMA", codec.to_string(), String::new()),
    };
    attrs.push_str(&format!("a=rtpmap:{codec} {name}/8000\r\n"));
    let direction = media.direction.answer().attribute();
    if let Some(te) = media.telephone_event {
        fmts.push_str(&format!(" {te}"));
        attrs.push_str(&format!(
            "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-16\r\n"
        ));
    }
    format!(
        "v=0\r\n\
         o=ringlink {session_id} {version} IN {family} {ip}\r\n\
         s=ringlink\r\n\
         c=IN {family} {ip}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP {fmts}\r\n\
         {attrs}\
         a=ptime:20\r\n\
         a={direction}\r\n",
        port = rtp.port(),
    )
}

/// What the peer answered (or offered anew) for its audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaAnswer {
    /// Where to send RTP until packets from the peer arrive (symmetric RTP).
    pub rtp: SocketAddr,
    pub codec: Codec,
    /// The peer's telephone-event payload type, when it accepted one.
    pub telephone_event: Option<u8>,
    /// The stream's direction as the peer wrote it (`sendonly` is a hold).
    pub direction: Direction,
}

/// The direction attribute of an audio stream, from the writer's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn parse(attr: &str) -> Option<Self> {
        Some(match attr {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    pub fn attribute(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction we answer an offer of `self` with (RFC 3264 §6.1): a hold (`sendonly`)
    /// is answered `recvonly`, `recvonly` with `sendonly`, `inactive` with `inactive`.
    pub fn answer(self) -> Self {
        match self {
            Self::SendRecv => Self::SendRecv,
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            Self::Inactive => Self::Inactive,
        }
    }

    /// Whether the writer of this direction wants RTP from us.
    pub fn peer_receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }
}

/// Why an answer is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the answer has no audio stream")]
    NoAudio,
    #[error("the answer rejected the audio stream (port 0)")]
    Rejected,
    #[error("the answer has no connection address")]
    NoAddress,
    #[error("the answer chose no codec we offered (PCMU or PCMA)")]
    NoCommonCodec,
    #[error("malformed SDP line: {0}")]
    Malformed(String),
}

/// Reads the first audio stream of an SDP answer.
pub fn parse_answer(sdp: &str) -> Result<MediaAnswer, SdpError> {
    let mut session_addr: Option<IpAddr> = None;
    let mut media_addr: Option<IpAddr> = None;
    let mut port: Option<u16> = None;
    let mut formats: Vec<u8> = Vec::new();
    let mut rtpmaps: Vec<(u8, String)> = Vec::new();
    let mut in_audio = false;
    let mut seen_audio = false;
    let mut session_direction: Option<Direction> = None;
    let mut media_direction: Option<Direction> = None;
    for line in sdp.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (kind, value) = line
            .split_once('=')
            .ok_or_else(|| SdpError::Malformed(line.chars().take(80).collect()))?;
        match kind {
            "m" => {
                in_audio = false;
                if seen_audio {
                    continue;
                }
                let mut parts = value.split_whitespace();
                if parts.next() == Some("audio") {
                    in_audio = true;
                    seen_audio = true;
                    let p = parts.next().and_then(|p| p.split('/').next()?.parse().ok());
                    port = Some(p.ok_or_else(|| SdpError::Malformed(line.into()))?);
                    let _proto = parts.next();
                    formats = parts.filter_map(|f| f.parse().ok()).collect();
                }
            }
            "c" => {
                let addr = value
                    .split_whitespace()
                    .nth(2)
                    .and_then(|a| a.split('/').next());
                let ip = addr.and_then(|a| a.parse().ok());
                if seen_audio {
                    if in_audio {
                        media_addr = ip;
                    }
                } else {
                    session_addr = ip;
                }
            }
            "a" if !seen_audio => session_direction = Direction::parse(value).or(session_direction),
            "a" if in_audio => {
                if let Some(d) = Direction::parse(value) {
                    media_direction = Some(d);
                }
                if let Some(rest) = value.strip_prefix("rtpmap:") {
                    if let Some((pt, enc)) = rest.split_once(' ') {
                        if let Ok(pt) = pt.trim().parse() {
                            rtpmaps.push((pt, enc.trim().to_ascii_lowercase()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !seen_audio {
        return Err(SdpError::NoAudio);
    }
    let port = port.unwrap_or(0);
    if port == 0 {
        return Err(SdpError::Rejected);
    }
    let ip = media_addr.or(session_addr).ok_or(SdpError::NoAddress)?;
    let encoding = |pt: u8| {
        rtpmaps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, e)| e.as_str())
    };
    let codec = formats
        .iter()
        .find_map(|&pt| match (pt, encoding(pt)) {
            (_, Some(e)) if e.starts_with("pcmu/8000") => Some(Codec::Pcmu),
            (_, Some(e)) if e.starts_with("pcma/8000") => Some(Codec::Pcma),
            (_, Some(_)) => None,
            (pt, None) => Codec::from_payload_type(pt),
        })
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event = formats
        .iter()
        .copied()
        .find(|&pt| encoding(pt).is_some_and(|e| e.starts_with("telephone-event/8000")));
    Ok(MediaAnswer {
        rtp: SocketAddr::new(ip, port),
        codec,
        telephone_event,
        direction: media_direction.or(session_direction).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_lists_both_codecs_and_dtmf() {
        let o = offer("127.0.0.1:16384".parse().unwrap(), 7, 7);
        assert!(o.contains("m=audio 16384 RTP/AVP 0 8 101\r\n"));
        assert!(o.contains("c=IN IP4 127.0.0.1\r\n"));
        assert!(o.contains("a=rtpmap:101 telephone-event/8000\r\n"));
        // Our own offer reads back as PCMU with DTMF.
        let a = parse_answer(&o).unwrap();
        assert_eq!((a.codec, a.telephone_event), (Codec::Pcmu, Some(101)));
    }

    #[test]
    fn answer_with_pcma_media_level_address_and_other_dtmf_type() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 8 96\r\nc=IN IP4 10.0.0.2\r\n\
                   a=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\n";
        let a = parse_answer(sdp).unwrap();
        assert_eq!(a.rtp, "10.0.0.2:40000".parse().unwrap());
        assert_eq!((a.codec, a.telephone_event), (Codec::Pcma, Some(96)));
    }

    #[test]
    fn static_types_without_rtpmap_and_no_dtmf() {
        let sdp = "v=0\nc=IN IP4 192.0.2.1\nm=audio 5004 RTP/AVP 18 0\n";
        let a = parse_answer(sdp).unwrap();
        assert_eq!((a.codec, a.telephone_event), (Codec::Pcmu, None));
        assert_eq!(a.rtp.port(), 5004);
    }

    #[test]
    fn answer_to_a_reoffer_keeps_one_codec_and_their_dtmf_type() {
        let offer = "v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 7078 RTP/AVP 8 0 96\r\n\
                     a=rtpmap:96 telephone-event/8000\r\n";
        let theirs = parse_answer(offer).unwrap();
        let ours = answer("127.0.0.1:16384".parse().unwrap(), 5, 6, &theirs);
        assert!(ours.contains("m=audio 16384 RTP/AVP 8 96\r\n"), "{ours}");
        assert!(ours.contains("o=ringlink 5 6 IN IP4 127.0.0.1\r\n"));
        let back = parse_answer(&ours).unwrap();
        assert_eq!((back.codec, back.telephone_event), (Codec::Pcma, Some(96)));
    }

    #[test]
    fn hold_offers_are_answered_with_the_matching_direction() {
        // covers #8 §5 hold: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive
        for (offered, answered) in [
            ("sendonly", "recvonly"),
            ("recvonly", "sendonly"),
            ("inactive", "inactive"),
            ("sendrecv", "sendrecv"),
        ] {
            let offer = format!(
                "v=0\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\na={offered}\r\n"
            );
            let theirs = parse_answer(&offer).unwrap();
            let ours = answer("127.0.0.1:16384".parse().unwrap(), 5, 6, &theirs);
            assert!(
                ours.contains(&format!("a={answered}\r\n")),
                "{offered}: {ours}"
            );
            assert_eq!(
                ours.matches("a=sendrecv").count()
                    + ours.matches("a=recvonly").count()
                    + ours.matches("a=sendonly").count()
                    + ours.matches("a=inactive").count(),
                1
            );
        }
        // A session-level direction applies when the stream has none.
        let held =
            parse_answer("v=0\nc=IN IP4 1.2.3.4\na=sendonly\nm=audio 5 RTP/AVP 0\n").unwrap();
        assert_eq!(held.direction, Direction::SendOnly);
        assert!(!held.direction.peer_receives());
        assert_eq!(
            parse_answer("v=0\nc=IN IP4 1.2.3.4\nm=audio 5 RTP/AVP 0\n")
                .unwrap()
                .direction,
            Direction::SendRecv
        );
    }

    #[test]
    fn unusable_answers_say_why() {
        assert_eq!(
            parse_answer("v=0\nc=IN IP4 1.2.3.4\n"),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            parse_answer("v=0\nc=IN IP4 1.2.3.4\nm=audio 0 RTP/AVP 0\n"),
            Err(SdpError::Rejected)
        );
        assert_eq!(
            parse_answer("v=0\nm=audio 5 RTP/AVP 0\n"),
            Err(SdpError::NoAddress)
        );
        assert_eq!(
            parse_answer("v=0\nc=IN IP4 1.2.3.4\nm=audio 5 RTP/AVP 18 9\na=rtpmap:18 G729/8000\n"),
            Err(SdpError::NoCommonCodec)
        );
        assert!(matches!(
            parse_answer("garbage"),
            Err(SdpError::Malformed(_))
        ));
    }
}
