//! Once per client id, across every relay of a deployment: the first request under a key is
//! decided and its answer kept with the claim in the shared database; a retry through any relay
//! gets that answer (waiting while the first is still being decided), and a refusal lets go of
//! the claim so a retry is decided afresh.

use std::future::Future;
use std::time::Duration;

use ringlink_protocol::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::dial::internal;
use crate::store::Store;

/// How often a retry looks for the first request's answer.
const POLL: Duration = Duration::from_millis(50);

/// How long a claim and its answer are kept, how long a retry waits for the first answer, and
/// what the retry reads when that wait runs out ("still being placed").
pub struct Once<'a> {
    pub key: String,
    pub keep: Duration,
    pub wait: Duration,
    pub busy: &'a str,
}

impl Once<'_> {
    /// Decides `decide` once under the key.
    pub async fn run<T, Fut>(
        self,
        store: &Store,
        decide: impl FnOnce() -> Fut,
    ) -> Result<T, ErrorBody>
    where
        T: Serialize + DeserializeOwned,
        Fut: Future<Output = Result<T, ErrorBody>>,
    {
        let keep = self.keep.as_secs() as i64;
        if !store.claim(&self.key, keep).await.map_err(internal)? {
            return self.first_answer(store).await;
        }
        let decided = decide().await;
        match &decided {
            Ok(answer) => {
                let json = serde_json::to_string(answer).expect("protocol types serialize");
                store
                    .keep_claim_answer(&self.key, &json)
                    .await
                    .map_err(internal)?;
            }
            Err(_) => {
                let _ = store.release_claim(&self.key).await;
            }
        }
        decided
    }

    async fn first_answer<T: DeserializeOwned>(&self, store: &Store) -> Result<T, ErrorBody> {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            if let Some(json) = store.claim_answer(&self.key).await.map_err(internal)? {
                return serde_json::from_str(&json).map_err(internal);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ErrorBody {
                    code: ErrorCode::RateLimited,
                    message: self.busy.into(),
                    retry_after: Some(2),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
