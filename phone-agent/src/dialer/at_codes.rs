//! Reading an AT modem: lines framed by `\r`/`\n` however the bytes arrive, and each line
//! classified as a final result code, a call-list entry (`+CLCC`), an echo, or noise.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A modem line is short; a "line" longer than this is garbage on the wire, not a reply.
const MAX_LINE: usize = 1024;

/// One line from the modem, by meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemLine {
    Ok,
    /// The call ended or could not be placed: `NO CARRIER`, `BUSY`, `NO ANSWER`.
    CallResult(String),
    /// The command failed: `ERROR`, `+CME ERROR: …`, `NO DIALTONE`.
    Error(String),
    /// One entry of the current call list.
    Clcc(ClccEntry),
    /// Our own command echoed back (`ATE1`).
    Echo(String),
    /// Anything else (`RING`, `+CREG: …`, vendor chatter).
    Other(String),
}

/// `+CLCC: <idx>,<dir>,<stat>,<mode>,<mpty>[,<number>,<type>…]` (3GPP TS 27.007 7.18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClccEntry {
    pub index: u32,
    /// `dir` 0: a call this handset placed.
    pub outgoing: bool,
    pub stat: CallStat,
    pub number: Option<String>,
}

/// `<stat>` of a `+CLCC` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStat {
    Active,
    Held,
    Dialing,
    Alerting,
    Incoming,
    Waiting,
    Unknown(u8),
}

impl CallStat {
    fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Active,
            1 => Self::Held,
            2 => Self::Dialing,
            3 => Self::Alerting,
            4 => Self::Incoming,
            5 => Self::Waiting,
            n => Self::Unknown(n),
        }
    }
}

/// Classifies one trimmed, non-empty line.
pub fn classify(line: &str) -> ModemLine {
    let upper = line.trim().to_ascii_uppercase();
    match upper.as_str() {
        "OK" => ModemLine::Ok,
        "NO CARRIER" | "BUSY" | "NO ANSWER" => ModemLine::CallResult(upper),
        "ERROR" | "NO DIALTONE" | "NO DIAL TONE" => ModemLine::Error(line.trim().to_owned()),
        _ if upper.starts_with("+CME ERROR") || upper.starts_with("+CMS ERROR") => {
            ModemLine::Error(line.trim().to_owned())
        }
        _ if upper.starts_with("AT") => ModemLine::Echo(line.trim().to_owned()),
        _ if upper.starts_with("+CLCC:") => match parse_clcc(&line.trim()[6..]) {
            Some(e) => ModemLine::Clcc(e),
            None => ModemLine::Other(line.trim().to_owned()),
        },
        _ => ModemLine::Other(line.trim().to_owned()),
    }
}

fn parse_clcc(fields: &str) -> Option<ClccEntry> {
    let parts: Vec<&str> = fields.split(',').map(str::trim).collect();
    if parts.len() < 5 {
        return None;
    }
    let index = parts[0].parse().ok()?;
    let dir: u8 = parts[1].parse().ok()?;
    let stat = CallStat::from_code(parts[2].parse().ok()?);
    let number = parts
        .get(5)
        .map(|n| n.trim_matches('"').to_owned())
        .filter(|n| !n.is_empty());
    Some(ClccEntry {
        index,
        outgoing: dir == 0,
        stat,
        number,
    })
}

/// A modem port: writes commands, reads lines. Reading is cancel-safe (bytes already read stay
/// buffered), so it can sit in a `select!` or under a timeout.
pub struct ModemPort<P> {
    port: P,
    buf: Vec<u8>,
}

impl<P: AsyncRead + AsyncWrite + Unpin> ModemPort<P> {
    pub fn new(port: P) -> Self {
        Self {
            port,
            buf: Vec::new(),
        }
    }

    /// Sends `command` terminated by `\r` (the modem's S3 character).
    pub async fn send(&mut self, command: &str) -> io::Result<()> {
        tracing::debug!(command, "to modem");
        self.port
            .write_all(format!("{command}\r").as_bytes())
            .await?;
        self.port.flush().await
    }

    /// The next non-empty line, without its framing.
    pub async fn next_line(&mut self) -> io::Result<String> {
        let mut chunk = [0u8; 256];
        loop {
            if let Some(line) = self.take_line() {
                tracing::debug!(line, "from modem");
                return Ok(line);
            }
            let n = self.port.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the modem closed the line",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if self.buf.len() > MAX_LINE && !self.buf.iter().any(|b| matches!(b, b'\r' | b'\n')) {
                self.buf.clear();
            }
        }
    }

    fn take_line(&mut self) -> Option<String> {
        loop {
            let end = self.buf.iter().position(|b| matches!(b, b'\r' | b'\n'))?;
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]).trim().to_owned();
            if !text.is_empty() {
                return Some(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_result_codes_and_call_lists() {
        assert_eq!(classify("OK"), ModemLine::Ok);
        assert_eq!(classify("busy"), ModemLine::CallResult("BUSY".into()));
        assert_eq!(
            classify("+CME ERROR: 30"),
            ModemLine::Error("+CME ERROR: 30".into())
        );
        assert_eq!(
            classify("ATD+8613800138000;"),
            ModemLine::Echo("ATD+8613800138000;".into())
        );
        assert_eq!(
            classify(r#"+CLCC: 1,0,3,0,0,"+8613800138000",145"#),
            ModemLine::Clcc(ClccEntry {
                index: 1,
                outgoing: true,
                stat: CallStat::Alerting,
                number: Some("+8613800138000".into()),
            })
        );
        assert!(matches!(classify("+CLCC: x"), ModemLine::Other(_)));
    }

    #[tokio::test]
    async fn lines_split_across_reads_are_joined() {
        let (mut far, near) = tokio::io::duplex(64);
        let mut port = ModemPort::new(near);
        far.write_all(b"\r\n+CLCC: 1,0,").await.unwrap();
        let reader = tokio::spawn(async move {
            let a = port.next_line().await.unwrap();
            let b = port.next_line().await.unwrap();
            (a, b)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        far.write_all(b"2,0,0\r\n\r\nOK\r\n").await.unwrap();
        let (a, b) = reader.await.unwrap();
        assert_eq!(a, "+CLCC: 1,0,2,0,0");
        assert_eq!(b, "OK");
    }
}
