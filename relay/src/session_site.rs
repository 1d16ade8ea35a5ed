//! Widget sessions are bound to the merchant site they were signed in on (#8 §1). A token that
//! leaked from one site (or was carried over by a script) does not resume on another one, so it
//! cannot confirm a pairing or dial from there.

use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::accounts::Identity;
use crate::store::Store;

/// Stamps a new widget session with its site.
pub async fn bind(store: &Store, session: &Identity, site_id: i64) -> Result<(), ErrorBody> {
    store
        .bind_token_to_site(session.token_id, site_id)
        .await
        .map_err(crate::dial::internal)
}

/// Refuses a session minted on another site (or before sessions had a site).
pub async fn check(store: &Store, session: &Identity, site_id: i64) -> Result<(), ErrorBody> {
    match store
        .token_site(session.token_id)
        .await
        .map_err(crate::dial::internal)?
    {
        Some(site) if site == site_id => Ok(()),
        _ => {
            tracing::info!(
                session = %session.public_id,
                site_id,
                "widget resume refused: the session belongs to another site"
            );
            Err(ErrorBody::new(
                ErrorCode::TokenRevoked,
                "this session was signed in on another site: sign in again here",
            ))
        }
    }
}
