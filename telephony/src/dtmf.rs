//! DTMF digits: RFC 4733 telephone-event decoding (one digit per event, on its end packet,
//! with the redundant end packets deduplicated) and SIP INFO bodies (`application/dtmf-relay`,
//! `application/dtmf`).

/// The digit an RFC 4733 event code stands for (16, flash, and above have none).
pub fn event_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some((b'0' + event) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + event - 12) as char),
        _ => None,
    }
}

/// Normalises a digit given as text ("5", "*", "#", "a", or "10"/"11" for * and #).
pub fn parse_digit(text: &str) -> Option<char> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u8>() {
        return event_digit(n);
    }
    let mut chars = t.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

/// Decodes a stream of telephone-event payloads into digits.
///
/// A sender repeats the end packet (usually three times) and all packets of one event share
/// its RTP timestamp, so an event is reported once: on the first end packet for a timestamp.
/// If every end packet of an event is lost, the event is reported when the next one starts.
#[derive(Debug, Default)]
pub struct Rfc4733Decoder {
    /// Timestamp and code of the event in progress, and whether it was reported.
    current: Option<(u32, u8, bool)>,
}

impl Rfc4733Decoder {
    /// Feeds one telephone-event payload with its RTP timestamp; returns a digit at the end of
    /// a new event (or at the start of the next one when the end never came).
    pub fn push(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        if payload.len() < 4 {
            return None;
        }
        let (event, end) = (payload[0], payload[1] & 0x80 != 0);
        match self.current {
            Some((ts, _, reported)) if ts == timestamp => {
                if end && !reported {
                    self.current = Some((ts, event, true));
                    return event_digit(event);
                }
                None
            }
            previous => {
                self.current = Some((timestamp, event, end));
                let lost_end = match previous {
                    Some((_, code, false)) => event_digit(code),
                    _ => None,
                };
                // A new event that is already over (a lone end packet) wins over a lost end.
                if end {
                    event_digit(event)
                } else {
                    lost_end
                }
            }
        }
    }
}

/// Reads the digit out of a SIP INFO body by its content type; `None` when the body is not
/// DTMF or names no digit.
pub fn parse_info(content_type: &str, body: &str) -> Option<char> {
    let ct = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match ct.as_str() {
        "application/dtmf-relay" => body.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("signal")
                .then(|| parse_digit(value))?
        }),
        "application/dtmf" => parse_digit(body),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, if end { 0x80 | 10 } else { 10 }, d[0], d[1]]
    }

    #[test]
    fn one_digit_per_event_despite_redundant_ends() {
        let mut dec = Rfc4733Decoder::default();
        let mut out = Vec::new();
        for (ts, p) in [
            (1000, payload(1, false, 160)),
            (1000, payload(1, false, 320)),
            (1000, payload(1, true, 640)),
            (1000, payload(1, true, 640)),
            (1000, payload(1, true, 640)),
            (2000, payload(11, false, 160)),
            (2000, payload(11, true, 480)),
            (2000, payload(11, true, 480)),
            (3000, payload(1, true, 480)),
        ] {
            out.extend(dec.push(ts, &p));
        }
        assert_eq!(out, vec!['1', '#', '1']);
        assert_eq!(dec.push(4000, &[1, 0x80]), None, "short payload ignored");
    }

    #[test]
    fn an_event_whose_end_packets_were_lost_is_reported_when_the_next_starts() {
        let mut dec = Rfc4733Decoder::default();
        assert_eq!(dec.push(1000, &payload(4, false, 160)), None);
        assert_eq!(dec.push(1000, &payload(4, false, 320)), None);
        // The ends of "4" never arrive; "2" starts.
        assert_eq!(dec.push(2000, &payload(2, false, 160)), Some('4'));
        assert_eq!(dec.push(2000, &payload(2, true, 480)), Some('2'));
        assert_eq!(dec.push(2000, &payload(2, true, 480)), None);
    }

    #[test]
    fn event_codes_and_text_digits() {
        assert_eq!(event_digit(10), Some('*'));
        assert_eq!(event_digit(15), Some('D'));
        assert_eq!(event_digit(16), None);
        assert_eq!(parse_digit(" 11 "), Some('#'));
        assert_eq!(parse_digit("b"), Some('B'));
        assert_eq!(parse_digit("55"), None);
        assert_eq!(parse_digit("x"), None);
    }

    #[test]
    fn sip_info_bodies() {
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(
            parse_info("Application/DTMF-Relay", "signal= *\nDuration=100"),
            Some('*')
        );
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=11\r\n"),
            Some('#')
        );
        assert_eq!(parse_info("application/dtmf", "7"), Some('7'));
        assert_eq!(
            parse_info("application/dtmf; charset=x", "#\r\n"),
            Some('#')
        );
        assert_eq!(parse_info("text/plain", "Signal=5"), None);
        assert_eq!(parse_info("application/dtmf-relay", "Duration=160"), None);
    }
}
