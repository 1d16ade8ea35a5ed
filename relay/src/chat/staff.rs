//! Staff accounts a merchant admin issues (CHAT-6): account, password (argon2id), display name,
//! optional number, role. Sign-in mints a console session (an opaque token stored hashed, with
//! expiry and revocation) and puts the agent in the normal state.

use std::time::Duration;

use ringlink_protocol::console::{AgentState, StaffRole, StaffSignedIn};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::store::staff::{NewStaff, StaffRow};
use crate::accounts::{hash_password, hash_token, random_token, verify_password, AuthError};
use crate::names::check_name;
use crate::store::StoreError;
use crate::throttle::Throttle;
use crate::Relay;

/// Failed sign-ins per account and address in [`SIGN_IN_WINDOW`]: a person mistypes a few
/// times; a guesser is stopped for a quarter of an hour.
pub const SIGN_IN_TRIES: u32 = 5;
pub const SIGN_IN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The staff sign-in throttle of one relay.
pub fn sign_in_throttle() -> Throttle {
    Throttle::new(SIGN_IN_TRIES, SIGN_IN_WINDOW)
}

/// A signed-in staff member, as a console socket or REST call holds them.
#[derive(Clone, Debug)]
pub struct StaffIdentity {
    pub session_id: i64,
    pub staff_id: i64,
    pub site_id: i64,
    pub role: StaffRole,
    pub name: String,
    pub expires_at: i64,
}

impl StaffIdentity {
    pub fn is_admin(&self) -> bool {
        self.role == StaffRole::Admin
    }
}

fn bad_credentials() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::BadCredentials,
        "wrong account or password: check both, or ask your admin to reset the password",
    )
}

/// Checks account and password, mints a session, and makes the agent normal (CHAT-6).
pub async fn sign_in(
    relay: &Relay,
    site_key: &str,
    account: &str,
    password: &Secret,
    address: &str,
) -> Result<(StaffIdentity, StaffSignedIn), ErrorBody> {
    let site = relay
        .store
        .site_by_key(site_key)
        .await
        .map_err(super::internal)?
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::UnknownSite,
                format!("no site has the key '{site_key}': check the console's address"),
            )
        })?;
    let key = format!("{}:{account}@{address}", site.id);
    relay.staff_throttle.hit(&key).map_err(|wait| ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!("too many failed sign-ins; try again in {wait} s"),
        retry_after: Some(wait),
    })?;
    let staff = relay
        .store
        .staff_by_account(site.id, account)
        .await
        .map_err(super::internal)?
        .filter(|s| !s.disabled);
    let ok = verify_password(
        staff.as_ref().map(|s| s.password_hash.clone()),
        password.clone(),
    )
    .await
    .map_err(|e| ErrorBody::from(&AuthError::Busy(e)))?;
    let Some(staff) = staff.filter(|_| ok) else {
        return Err(bad_credentials());
    };
    relay.staff_throttle.refund(&key);
    let token = random_token();
    let expires_at = crate::store::now() + relay.chat.config.staff_session_hours * 3600;
    let session_id = relay
        .store
        .insert_staff_session(staff.id, &hash_token(token.expose()), expires_at)
        .await
        .map_err(super::internal)?;
    let now = relay.chat.clock.now_ms();
    relay
        .store
        .set_agent_state(staff.id, AgentState::Normal, now)
        .await
        .map_err(super::internal)?;
    let me = relay
        .store
        .staff_by_id(staff.id)
        .await
        .map_err(super::internal)?
        .unwrap_or(staff);
    let id = identity(&me, session_id, expires_at);
    Ok((
        id,
        StaffSignedIn {
            token,
            me: me.view(),
            site_name: site.name,
            expires_at,
        },
    ))
}

fn identity(s: &StaffRow, session_id: i64, expires_at: i64) -> StaffIdentity {
    StaffIdentity {
        session_id,
        staff_id: s.id,
        site_id: s.site_id,
        role: s.role,
        name: s.name.clone(),
        expires_at,
    }
}

/// Who holds this console token, if it is live.
pub async fn authenticate(
    relay: &Relay,
    token: &str,
) -> Result<(StaffIdentity, StaffRow), ErrorBody> {
    let revoked = || {
        ErrorBody::new(
            ErrorCode::TokenRevoked,
            "this console session ended: sign in again",
        )
    };
    let (session_id, staff_id, expires_at, gone) = relay
        .store
        .staff_session(&hash_token(token))
        .await
        .map_err(super::internal)?
        .ok_or_else(revoked)?;
    if gone {
        return Err(revoked());
    }
    if expires_at <= crate::store::now() {
        return Err(ErrorBody::new(
            ErrorCode::TokenExpired,
            "this console session expired: sign in again",
        ));
    }
    let staff = relay
        .store
        .staff_by_id(staff_id)
        .await
        .map_err(super::internal)?
        .ok_or_else(revoked)?;
    Ok((identity(&staff, session_id, expires_at), staff))
}

/// A staff account as an admin fills it in.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffForm {
    pub account: String,
    /// Required for a new account; an edit without one keeps the old password.
    #[serde(default)]
    pub password: Option<Secret>,
    pub name: String,
    #[serde(default)]
    pub number: Option<String>,
    pub role: StaffRole,
    /// Colleagues' lines reach this person by SMS while they are offline (CHAT-7).
    #[serde(default)]
    pub sms_offline: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<&StaffError> for ErrorBody {
    fn from(e: &StaffError) -> Self {
        match e {
            StaffError::Invalid(m) => ErrorBody::new(ErrorCode::BadField, m.clone()),
            StaffError::Auth(a) => a.into(),
            StaffError::Store(StoreError::Conflict(m)) => {
                ErrorBody::new(ErrorCode::BadField, m.clone())
            }
            StaffError::Store(s) => super::internal(s),
        }
    }
}

/// Checks a form's fields and normalises the number; returns it as E.164.
fn check_form(relay: &Relay, f: &StaffForm) -> Result<Option<String>, StaffError> {
    let account_ok = !f.account.is_empty()
        && f.account.len() <= 64
        && f.account
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c));
    if !account_ok {
        return Err(StaffError::Invalid(
            "account must be 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
        ));
    }
    check_name("name", &f.name).map_err(|e| StaffError::Invalid(e.to_string()))?;
    if f.name.trim().is_empty() {
        return Err(StaffError::Invalid(
            "name must not be blank: colleagues and visitors see it".into(),
        ));
    }
    let number = match f.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(
            relay
                .accounts
                .parse_number(n)
                .map_err(AuthError::from)?
                .to_string(),
        ),
        None => None,
    };
    if f.sms_offline && number.is_none() {
        return Err(StaffError::Invalid(
            "an SMS needs a number: add one, or untick SMS".into(),
        ));
    }
    Ok(number)
}

/// Issues a staff account (an admin's action, or the operator's CLI).
pub async fn create(relay: &Relay, site_id: i64, f: &StaffForm) -> Result<i64, StaffError> {
    let number = check_form(relay, f)?;
    let password = f
        .password
        .as_ref()
        .ok_or_else(|| StaffError::Invalid("a new account needs a password".into()))?;
    let hash = hash_password(password).await?;
    Ok(relay
        .store
        .create_staff(&NewStaff {
            site_id,
            account: &f.account,
            password_hash: &hash,
            name: &f.name,
            number: number.as_deref(),
            role: f.role,
            sms_offline: f.sms_offline,
        })
        .await?)
}

/// Changes an account of the admin's own site; false when the site has no such account.
pub async fn update(
    relay: &Relay,
    site_id: i64,
    id: i64,
    f: &StaffForm,
) -> Result<bool, StaffError> {
    let number = check_form(relay, f)?;
    let hash = match &f.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    Ok(relay
        .store
        .update_staff(
            site_id,
            id,
            &NewStaff {
                site_id,
                account: &f.account,
                password_hash: "",
                name: &f.name,
                number: number.as_deref(),
                role: f.role,
                sms_offline: f.sms_offline,
            },
            hash.as_deref(),
        )
        .await?)
}
