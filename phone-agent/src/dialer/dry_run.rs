//! The dry run: dials nothing. It logs the number and walks through dialing, ringing, active and
//! ended about a second apart, so the whole path can be shown without a phone line.

use std::time::Duration;

use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;

use super::{BoxFuture, DialError, Dialer, Progress, Reporter};

/// Slow enough for a person watching the page to see every state.
pub const STEP: Duration = Duration::from_secs(1);
/// The detail on the final `ended`.
pub const DRY_RUN_DETAIL: &str = "dry run: nothing was dialled";

#[derive(Debug, Clone)]
pub struct DryRun {
    step: Duration,
}

impl Default for DryRun {
    fn default() -> Self {
        Self::new()
    }
}

impl DryRun {
    pub fn new() -> Self {
        Self { step: STEP }
    }

    /// Time between states (default [`STEP`]).
    pub fn with_step(step: Duration) -> Self {
        Self { step }
    }
}

impl Dialer for DryRun {
    fn backend(&self) -> &'static str {
        "dry-run"
    }

    fn dial<'a>(
        &'a self,
        number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>> {
        Box::pin(async move {
            tracing::info!("dry run: would dial {number}");
            for state in [CallState::Dialing, CallState::Ringing, CallState::Active] {
                reporter.report(state, None).await;
                tokio::time::sleep(self.step).await;
            }
            Ok(Progress::ended(Some(DRY_RUN_DETAIL.into())))
        })
    }
}
