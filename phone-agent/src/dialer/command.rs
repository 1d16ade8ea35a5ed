//! A command template that hands the number to the phone's own dialer:
//! `termux-telephony-call {number}` on Termux, or
//! `adb shell am start -a android.intent.action.CALL -d tel:{number}` from a computer.
//! The template is split into argv with shell-words and run without a shell; `{number}` is
//! replaced by the E.164 number, which is only `+` and digits. The command cannot follow the
//! call, so the states are `dialing`, then `ended` ("handed to the phone's dialer") or `failed`.

use std::process::Stdio;
use std::time::Duration;

use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;

use super::{BoxFuture, DialError, Dialer, Progress, Reporter};

/// What `{number}` in the template is replaced with.
pub const PLACEHOLDER: &str = "{number}";
/// Termux's dialer command, the usual choice on an Android handset.
pub const DEFAULT_TEMPLATE: &str = "termux-telephony-call {number}";
/// A dial command starts the call and returns; one still running after this has hung.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// The detail sent when the command succeeded.
pub const HANDED_OVER: &str = "handed to the phone's dialer";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the dial command cannot be split into words: {0}")]
    Split(#[from] shell_words::ParseError),
    #[error(
        "the dial command is empty; for example: --command \"termux-telephony-call {{number}}\""
    )]
    Empty,
    #[error("the dial command has no {{number}}; for example: --command \"termux-telephony-call {{number}}\"")]
    NoPlaceholder,
}

#[derive(Debug, Clone)]
pub struct CommandDialer {
    argv: Vec<String>,
    timeout: Duration,
}

impl CommandDialer {
    pub fn new(template: &str) -> Result<Self, TemplateError> {
        let argv = shell_words::split(template)?;
        if argv.is_empty() {
            return Err(TemplateError::Empty);
        }
        if !argv.iter().any(|a| a.contains(PLACEHOLDER)) {
            return Err(TemplateError::NoPlaceholder);
        }
        Ok(Self {
            argv,
            timeout: COMMAND_TIMEOUT,
        })
    }

    /// How long the command may run (default [`COMMAND_TIMEOUT`]).
    pub fn with_timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// The argv that dials `number`.
    pub fn argv_for(&self, number: &E164) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| a.replace(PLACEHOLDER, number.as_str()))
            .collect()
    }

    async fn run(&self, number: &E164, reporter: &mut Reporter) -> Result<Progress, DialError> {
        let argv = self.argv_for(number);
        let program = argv[0].clone();
        let child = tokio::process::Command::new(&program)
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| DialError::Spawn {
                program: program.clone(),
                source,
            })?;
        reporter.report(CallState::Dialing, None).await;
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(out) => out?,
            // Dropping the child kills it (`kill_on_drop`).
            Err(_) => {
                return Err(DialError::CommandTimeout {
                    program,
                    after: self.timeout,
                })
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !stdout.trim().is_empty() {
            tracing::debug!(%program, stdout = %stdout.trim(), "dial command output");
        }
        if output.status.success() {
            return Ok(Progress::ended(Some(HANDED_OVER.into())));
        }
        let how = match output.status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().map(str::trim).find(|l| !l.is_empty());
        Ok(Progress::failed(match first {
            Some(line) => format!("the dial command {how}: {line}"),
            None => format!("the dial command {how}"),
        }))
    }
}

impl Dialer for CommandDialer {
    fn backend(&self) -> &'static str {
        "command"
    }

    fn dial<'a>(
        &'a self,
        number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>> {
        Box::pin(self.run(number, reporter))
    }
}
