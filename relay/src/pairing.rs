//! Pairing a phone agent without typing a password on it: the agent gets a short code, the
//! signed-in member types it into the widget, and the agent collects its device token once.

use std::time::Duration;

use ringlink_protocol::limits::PAIRING_CODE_LEN;
use ringlink_protocol::rest::{DeviceGrant, PairPoll, PairStart, PairStarted, PairStatus};
use ringlink_protocol::widget::Paired;
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::accounts::{hash_token, random_id, random_token, Identity};
use crate::dial::internal;
use crate::names::check_name;
use crate::store::pairings::PairingState;
use crate::store::tokens::TokenKind;
use crate::store::{now, StoreError};
use crate::Relay;

/// A code lives ten minutes: time to walk from the phone to the computer, short enough that a
/// code seen over a shoulder is soon worthless.
pub const PAIRING_TTL_SECS: i64 = 10 * 60;
/// How often the agent may poll.
pub const POLL_INTERVAL_SECS: u64 = 2;
/// Wrong codes a member may type per hour: 31^8 codes make guessing hopeless at this rate.
pub const CONFIRMS_PER_HOUR: u32 = 10;
/// Pairings one address may start per hour.
pub const STARTS_PER_HOUR: u32 = 30;
pub const HOUR: Duration = Duration::from_secs(3600);
/// Polls one address may make per minute: an agent polls every `POLL_INTERVAL_SECS` (30 a
/// minute), so two agents pairing behind one address fit; a client hammering the database
/// with polls does not.
pub const POLLS_PER_MINUTE: u32 = 60;
pub const MINUTE: Duration = Duration::from_secs(60);

pub async fn start(relay: &Relay, address: &str, req: PairStart) -> Result<PairStarted, ErrorBody> {
    check_name("device name", &req.device_name)?;
    relay
        .pair_start_throttle
        .hit(address)
        .map_err(|s| rate_limited(s, "pairing requests"))?;
    let secret = random_token();
    let expires_at = now() + PAIRING_TTL_SECS;
    let device_id = format!("dev_{}", random_id(12));
    for _ in 0..3 {
        let code = random_id(PAIRING_CODE_LEN);
        match relay
            .store
            .insert_pairing(
                &code,
                &hash_token(secret.expose()),
                &device_id,
                &req.device_name,
                expires_at,
            )
            .await
        {
            Ok(()) => {
                return Ok(PairStarted {
                    code: format!("{}-{}", &code[..4], &code[4..]),
                    poll_secret: secret,
                    expires_at,
                    poll_interval_secs: POLL_INTERVAL_SECS,
                })
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(internal(e)),
        }
    }
    Err(internal("pairing code collisions"))
}

/// The member confirms a code shown by their agent (case and dashes do not matter).
pub async fn confirm(relay: &Relay, member: &Identity, code: &str) -> Result<Paired, ErrorBody> {
    let key = member.member_id.to_string();
    relay
        .pair_confirm_throttle
        .check(&key)
        .map_err(|s| rate_limited(s, "wrong pairing codes"))?;
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match relay
        .store
        .confirm_pairing(&code, member.member_id)
        .await
        .map_err(internal)?
    {
        Some((device, name)) => Ok(Paired { device, name }),
        None => {
            let _ = relay.pair_confirm_throttle.hit(&key);
            Err(ErrorBody::new(
                ErrorCode::PairingCodeInvalid,
                "that pairing code is unknown, used or expired: run `ringlink-agent pair` again and type the new code",
            ))
        }
    }
}

/// The agent polls with its secret; once confirmed it receives its device token, once.
pub async fn poll(relay: &Relay, address: &str, req: PairPoll) -> Result<PairStatus, ErrorBody> {
    relay
        .pair_poll_throttle
        .hit(address)
        .map_err(|s| rate_limited(s, "pairing polls"))?;
    match relay
        .store
        .take_pairing(&hash_token(req.poll_secret.expose()))
        .await
        .map_err(internal)?
    {
        PairingState::Pending => Ok(PairStatus::Pending),
        PairingState::Gone => Err(ErrorBody::new(
            ErrorCode::PairingCodeInvalid,
            "this pairing expired or was already used: run `ringlink-agent pair` again",
        )),
        PairingState::Confirmed {
            member_id,
            device_id,
            device_name,
        } => {
            let member = relay
                .store
                .member_by_id(member_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| internal("paired member vanished"))?;
            let (id, token) = relay
                .accounts
                .mint(
                    member_id,
                    &member.number,
                    TokenKind::Device,
                    &device_name,
                    Some(device_id),
                )
                .await
                .map_err(internal)?;
            tracing::info!(device = %id.public_id, "phone agent paired");
            Ok(PairStatus::Confirmed(DeviceGrant {
                device: id.public_id,
                device_token: token,
                member: member.number,
                expires_at: id.expires_at,
            }))
        }
    }
}

fn rate_limited(secs: u64, what: &str) -> ErrorBody {
    ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!("too many {what}; try again in {secs} s"),
        retry_after: Some(secs),
    }
}
