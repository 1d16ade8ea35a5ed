//! The confirm prompt (DIAL-6): with `--confirm`, the agent asks its owner `Dial +86… now? [y/N]`
//! and dials only on "y" or "yes". Anything else, end of input, or no answer in time declines,
//! and nothing is dialled.

use std::io;
use std::time::Duration;

use ringlink_protocol::E164;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// Long enough to pick up the phone and read the number; short enough that a forgotten prompt
/// doesn't leave the caller's page waiting.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The detail sent with `declined`, whatever the reason; the widget tells the member that
/// nothing was dialled.
pub const DECLINED_DETAIL: &str = "declined on the phone";

/// What the owner answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    /// Anything but yes, including an empty line.
    No,
    /// Input ended (stdin closed): nobody is there to say yes.
    NoInput,
    TimedOut,
}

impl Answer {
    pub fn dials(self) -> bool {
        self == Answer::Yes
    }
}

/// True for "y" and "yes" in any case, with surrounding spaces.
pub fn is_yes(line: &str) -> bool {
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Prints the prompt on `output` (no newline, flushed) and reads one line from `input`.
pub async fn ask<R, W>(
    number: &E164,
    input: &mut R,
    output: &mut W,
    timeout: Duration,
) -> io::Result<Answer>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    output
        .write_all(format!("Dial {number} now? [y/N] ").as_bytes())
        .await?;
    output.flush().await?;
    let mut line = String::new();
    let answer = match tokio::time::timeout(timeout, input.read_line(&mut line)).await {
        Err(_) => Answer::TimedOut,
        Ok(Ok(0)) => Answer::NoInput,
        Ok(Ok(_)) if is_yes(&line) => Answer::Yes,
        Ok(Ok(_)) => Answer::No,
        Ok(Err(e)) => return Err(e),
    };
    let note = match answer {
        Answer::Yes => format!("Dialling {number}.\n"),
        Answer::No => "Not dialling.\n".to_owned(),
        Answer::NoInput => "\nNo input: not dialling.\n".to_owned(),
        Answer::TimedOut => format!(
            "\nNo answer within {} s: not dialling.\n",
            timeout.as_secs()
        ),
    };
    output.write_all(note.as_bytes()).await?;
    output.flush().await?;
    Ok(answer)
}
