//! AT-command modems on a serial port (USB modems, handsets that expose a modem tty): `AT`, then
//! `ATD<number>;`, then `AT+CLCC` every 500 ms, with result codes mapped to call states.
//!
//! | modem says                                | state                                  |
//! |-------------------------------------------|----------------------------------------|
//! | `OK` to `ATD…;`                           | dialing                                |
//! | `+CLCC` stat 2 / 3 / 0 (or 1, held)       | dialing / ringing / active             |
//! | call gone from `+CLCC` after active       | ended                                  |
//! | `NO CARRIER`                              | ended if active, else failed           |
//! | `BUSY`, `NO ANSWER`                       | failed with that text                  |
//! | `ERROR`, `+CME ERROR: …`, `NO DIALTONE`   | failed with that text                  |
//! | no reply in 10 s, no answer in 120 s      | failed, and the agent hangs up (`ATH`) |

use std::path::PathBuf;
use std::time::Duration;

use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_serial::SerialPortBuilderExt;

use super::at_codes::{classify, CallStat, ClccEntry, ModemLine, ModemPort};
use super::{BoxFuture, DialError, Dialer, Progress, Reporter};

pub const DEFAULT_DEVICE: &str = "/dev/ttyUSB0";
pub const DEFAULT_BAUD: u32 = 115_200;
/// A modem answers a command within a second or two; ten covers a busy USB modem.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// From `ATD` to an answer. Networks stop ringing after 60-90 s; past this the call is dead.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the call list is polled: prompt enough to show "ringing" as it happens, slow
/// enough for a 9600-baud line.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Hanging up after a failure is best effort; don't wait long for it.
const HANGUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Dials through a modem on `device` (`/dev/ttyUSB0`, a socat pty). The port is opened for each
/// call, so a modem that is unplugged and plugged back in works on the next call.
#[derive(Debug, Clone)]
pub struct AtDialer {
    device: PathBuf,
    baud: u32,
    setup_timeout: Duration,
}

impl AtDialer {
    pub fn new(device: impl Into<PathBuf>, baud: u32) -> Self {
        Self {
            device: device.into(),
            baud,
            setup_timeout: SETUP_TIMEOUT,
        }
    }

    /// How long a call may take to be answered (default [`SETUP_TIMEOUT`]).
    pub fn with_setup_timeout(mut self, limit: Duration) -> Self {
        self.setup_timeout = limit;
        self
    }
}

impl Dialer for AtDialer {
    fn backend(&self) -> &'static str {
        "at"
    }

    fn dial<'a>(
        &'a self,
        number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>> {
        Box::pin(async move {
            let device = self.device.to_string_lossy().into_owned();
            let port = tokio_serial::new(&device, self.baud)
                .open_native_async()
                .map_err(|source| DialError::OpenModem { device, source })?;
            run_call(ModemPort::new(port), number, reporter, self.setup_timeout).await
        })
    }
}

/// One call on any modem-like port (a serial port, or an in-memory pipe).
pub async fn run_call<P: AsyncRead + AsyncWrite + Unpin>(
    mut modem: ModemPort<P>,
    number: &E164,
    reporter: &mut Reporter,
    setup_timeout: Duration,
) -> Result<Progress, DialError> {
    match command(&mut modem, "AT").await?.end {
        Final::Ok => {}
        Final::Error(reply) | Final::CallResult(reply) => {
            return Err(DialError::Refused {
                command: "AT".into(),
                reply,
            })
        }
    }
    let result = dial_and_follow(&mut modem, number, reporter, setup_timeout).await;
    if result.is_err() {
        hang_up(&mut modem).await;
    }
    result
}

async fn dial_and_follow<P: AsyncRead + AsyncWrite + Unpin>(
    modem: &mut ModemPort<P>,
    number: &E164,
    reporter: &mut Reporter,
    setup_timeout: Duration,
) -> Result<Progress, DialError> {
    let setup_deadline = Instant::now() + setup_timeout;
    // The trailing `;` makes it a voice call rather than a data connection.
    match command(modem, &format!("ATD{number};")).await?.end {
        Final::Ok => reporter.report(CallState::Dialing, None).await,
        Final::Error(reply) | Final::CallResult(reply) => return Ok(Progress::failed(reply)),
    }
    let mut active = false;
    let mut listed = false;
    loop {
        if !active && Instant::now() >= setup_deadline {
            return Err(DialError::SetupTimeout(setup_timeout));
        }
        let reply = command(modem, "AT+CLCC").await?;
        match reply.end {
            Final::Ok => {}
            Final::CallResult(code) => return Ok(end_by_result(code, active)),
            Final::Error(reply) => {
                return Err(DialError::Refused {
                    command: "AT+CLCC".into(),
                    reply,
                })
            }
        }
        match our_call(&reply.calls, number) {
            Some(call) => {
                listed = true;
                let state = match call.stat {
                    CallStat::Dialing => Some(CallState::Dialing),
                    CallStat::Alerting => Some(CallState::Ringing),
                    CallStat::Active | CallStat::Held => Some(CallState::Active),
                    _ => None,
                };
                if let Some(state) = state {
                    active |= state == CallState::Active;
                    reporter.report(state, None).await;
                }
            }
            None if active => return Ok(Progress::ended(None)),
            None if listed => return Ok(Progress::failed("the call ended before it was answered")),
            // Some modems list the call a moment after `OK`.
            None => {}
        }
        if let Some(code) = listen_between_polls(modem).await? {
            return Ok(end_by_result(code, active));
        }
    }
}

/// Waits one poll interval, returning early with a result code the modem sends unasked.
async fn listen_between_polls<P: AsyncRead + AsyncWrite + Unpin>(
    modem: &mut ModemPort<P>,
) -> Result<Option<String>, DialError> {
    let pause = tokio::time::sleep(POLL_INTERVAL);
    tokio::pin!(pause);
    loop {
        tokio::select! {
            _ = &mut pause => return Ok(None),
            line = modem.next_line() => match classify(&line?) {
                ModemLine::CallResult(code) => return Ok(Some(code)),
                other => tracing::debug!(?other, "modem line between polls"),
            },
        }
    }
}

/// `NO CARRIER` after the call was up is a normal end; any result code before that is a failure.
fn end_by_result(code: String, active: bool) -> Progress {
    if active && code == "NO CARRIER" {
        Progress::ended(None)
    } else {
        Progress::failed(code)
    }
}

/// The outgoing call to `number` in the list, or else the first outgoing call (modems differ in
/// how they print numbers).
fn our_call<'a>(calls: &'a [ClccEntry], number: &E164) -> Option<&'a ClccEntry> {
    let digits = number.as_str().trim_start_matches('+');
    let outgoing = || calls.iter().filter(|c| c.outgoing);
    outgoing()
        .find(|c| c.number.as_deref().map(|n| n.trim_start_matches('+')) == Some(digits))
        .or_else(|| outgoing().next())
}

/// The final line of a command's reply, and any call-list entries before it.
struct Reply {
    end: Final,
    calls: Vec<ClccEntry>,
}

enum Final {
    Ok,
    Error(String),
    CallResult(String),
}

/// Sends `cmd` and reads lines until a final result code, within [`COMMAND_TIMEOUT`].
async fn command<P: AsyncRead + AsyncWrite + Unpin>(
    modem: &mut ModemPort<P>,
    cmd: &str,
) -> Result<Reply, DialError> {
    modem.send(cmd).await?;
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let mut calls = Vec::new();
    loop {
        let line = tokio::time::timeout_at(deadline, modem.next_line())
            .await
            .map_err(|_| DialError::NoReply {
                command: cmd.to_owned(),
                after: COMMAND_TIMEOUT,
            })??;
        let end = match classify(&line) {
            ModemLine::Ok => Final::Ok,
            ModemLine::Error(text) => Final::Error(text),
            ModemLine::CallResult(code) => Final::CallResult(code),
            ModemLine::Clcc(entry) => {
                calls.push(entry);
                continue;
            }
            ModemLine::Echo(_) | ModemLine::Other(_) => continue,
        };
        return Ok(Reply { end, calls });
    }
}

/// Best-effort `ATH` after the agent gave up on a call, so the handset is not left dialling.
async fn hang_up<P: AsyncRead + AsyncWrite + Unpin>(modem: &mut ModemPort<P>) {
    let attempt = async {
        modem.send("ATH").await?;
        loop {
            if matches!(
                classify(&modem.next_line().await?),
                ModemLine::Ok | ModemLine::Error(_)
            ) {
                return Ok::<_, std::io::Error>(());
            }
        }
    };
    match tokio::time::timeout(HANGUP_TIMEOUT, attempt).await {
        Ok(Ok(())) => tracing::info!("hung up"),
        Ok(Err(e)) => tracing::warn!("could not hang up: {e}"),
        Err(_) => tracing::warn!("the modem did not confirm the hang-up"),
    }
}
