//! The call desk: takes dial orders one at a time, asks the owner first when `--confirm` is on
//! (DIAL-6) or the relay marks the order `confirm` (a number outside its usual destinations,
//! #8 §3), dials through the backend, and queues every state for the relay. A second order
//! while a call is in progress is refused at once with `failed`, since one handset places one
//! call at a time.

use std::sync::Arc;
use std::time::Duration;

use ringlink_protocol::agent::{CallUpdate, DialOrder};
use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;
use tokio::io::{AsyncBufRead, AsyncWrite, BufReader};
use tokio::sync::{mpsc, Mutex, OwnedMutexGuard};
use tokio::task::JoinHandle;

use crate::confirm::{self, Answer, DECLINED_DETAIL};
use crate::dialer::{place_call, Dialer, Progress, Reporter};

/// The detail of a `confirm` order that no prompt can ask about: nothing is dialled.
pub const NO_PROMPT_DETAIL: &str =
    "this number needs confirming on the phone, and the agent has no prompt to ask";

/// The detail of an order refused because another call is in progress.
pub const LINE_BUSY_DETAIL: &str = "the phone is already placing a call; try again when it ends";

pub type PromptInput = Box<dyn AsyncBufRead + Send + Unpin>;
pub type PromptOutput = Box<dyn AsyncWrite + Send + Unpin>;

/// Where the confirm prompt is shown and answered: the agent's stdin and stdout, or buffers in
/// tests.
pub struct Prompt {
    input: PromptInput,
    output: PromptOutput,
    timeout: Duration,
}

impl Prompt {
    pub fn new(input: PromptInput, output: PromptOutput, timeout: Duration) -> Self {
        Self {
            input,
            output,
            timeout,
        }
    }

    /// Stdin read line by line (a pipe works as well as a terminal), prompt on stdout.
    pub fn stdio(timeout: Duration) -> Self {
        Self::new(
            Box::new(BufReader::new(tokio::io::stdin())),
            Box::new(tokio::io::stdout()),
            timeout,
        )
    }

    /// Asks about `number`. A broken terminal counts as "no".
    pub async fn ask(&mut self, number: &E164) -> Answer {
        match confirm::ask(number, &mut self.input, &mut self.output, self.timeout).await {
            Ok(Answer::NoInput) => {
                tracing::warn!("stdin is closed: every dial that needs confirming is declined");
                Answer::NoInput
            }
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!("cannot ask for confirmation ({e}); not dialling");
                Answer::NoInput
            }
        }
    }
}

/// Takes dial orders from the session. Cheap to clone.
#[derive(Clone)]
pub struct CallDesk {
    dialer: Arc<dyn Dialer>,
    prompt: Option<Arc<Mutex<Prompt>>>,
    /// Ask before every dial (`--confirm`), not only when the relay says so.
    ask_every: bool,
    updates: mpsc::Sender<CallUpdate>,
    /// Held for the whole life of a call, prompt included.
    line: Arc<Mutex<()>>,
}

impl CallDesk {
    /// `prompt` is `Some` in confirm mode: every dial is asked about. With `None`, orders the
    /// relay marks `confirm` are declined, since nobody can be asked.
    pub fn new(
        dialer: Arc<dyn Dialer>,
        prompt: Option<Prompt>,
        updates: mpsc::Sender<CallUpdate>,
    ) -> Self {
        Self {
            dialer,
            ask_every: prompt.is_some(),
            prompt: prompt.map(|p| Arc::new(Mutex::new(p))),
            updates,
            line: Arc::new(Mutex::new(())),
        }
    }

    /// Dials at once, except orders the relay marks `confirm`, which are asked about on
    /// `prompt` first (the default without `--confirm`).
    pub fn asking_when_told(
        dialer: Arc<dyn Dialer>,
        prompt: Prompt,
        updates: mpsc::Sender<CallUpdate>,
    ) -> Self {
        Self {
            ask_every: false,
            ..Self::new(dialer, Some(prompt), updates)
        }
    }

    pub fn backend(&self) -> &'static str {
        self.dialer.backend()
    }

    /// True when every dial is asked about (what the agent tells the relay in its hello).
    pub fn confirms(&self) -> bool {
        self.ask_every
    }

    /// Takes an order and handles it in the background. The line is claimed here, before the
    /// task starts, so of two orders in a row the first one always wins.
    pub fn take(&self, order: DialOrder) -> JoinHandle<()> {
        let line = self.line.clone().try_lock_owned().ok();
        let desk = self.clone();
        tokio::spawn(async move { desk.handle(order, line).await })
    }

    async fn handle(&self, order: DialOrder, line: Option<OwnedMutexGuard<()>>) {
        let mut reporter = Reporter::new(order.call_id.clone(), self.updates.clone());
        let Some(_line) = line else {
            tracing::warn!(call = %order.call_id, "refusing a dial order: a call is in progress");
            reporter.progress(Progress::failed(LINE_BUSY_DETAIL)).await;
            return;
        };
        if self.ask_every || order.confirm {
            let Some(prompt) = &self.prompt else {
                tracing::warn!(call = %order.call_id, "the relay asks to confirm this number and there is no prompt; not dialling");
                reporter
                    .report(CallState::Declined, Some(NO_PROMPT_DETAIL.into()))
                    .await;
                return;
            };
            tracing::info!(call = %order.call_id, relay_asked = order.confirm, "asking the owner");
            reporter.report(CallState::Confirming, None).await;
            let answer = prompt.lock().await.ask(&order.number).await;
            if !answer.dials() {
                tracing::info!(call = %order.call_id, ?answer, "the owner did not confirm; nothing dialled");
                reporter
                    .report(CallState::Declined, Some(DECLINED_DETAIL.into()))
                    .await;
                return;
            }
        }
        tracing::info!(call = %order.call_id, number = %order.number, "dialling");
        place_call(self.dialer.as_ref(), &order.number, &mut reporter).await;
    }
}
