//! Operator tasks behind `ringlink-relay admin`: merchant sites and their origins, their call
//! buttons (CALL), members, and listing or revoking a member's phone devices.

use ringlink_protocol::secret::Secret;
use ringlink_protocol::E164;

use crate::accounts::{random_id, Accounts, AuthError};
use crate::names::check_name;
use crate::store::call_buttons::CallButton;
use crate::store::sites::Site;
use crate::store::tokens::DeviceRow;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("origin '{0}' is not an origin: use scheme://host[:port] with no path, e.g. https://shop.example")]
    BadOrigin(String),
    #[error("button key '{0}' is not usable: use 1 to 32 of a-z, 0-9, '-' and '_' (the page writes it in data-ringlink-call)")]
    BadButtonKey(String),
    #[error("a sponsor pays for this button: name it with --sponsor NAME (create it with: ringlink-relay admin sponsor create --name NAME)")]
    SponsorMissing,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `scheme://host[:port]` as browsers send it in the Origin header.
pub fn check_origin(origin: &str) -> Result<(), AdminError> {
    let bad = || AdminError::BadOrigin(origin.into());
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if rest.is_empty()
        || rest.contains('/')
        || rest.ends_with(':')
        || rest.chars().any(char::is_whitespace)
    {
        return Err(bad());
    }
    Ok(())
}

/// Creates a site with a fresh public key (or the given one) and its allowed origins.
pub async fn create_site(
    store: &Store,
    name: &str,
    key: Option<&str>,
    origins: &[String],
) -> Result<Site, AdminError> {
    check_name("site name", name).map_err(AuthError::from)?;
    for o in origins {
        check_origin(o)?;
    }
    let key = key
        .map(str::to_owned)
        .unwrap_or_else(|| format!("site_{}", random_id(16).to_lowercase()));
    Ok(store.create_site(&key, name, origins).await?)
}

pub async fn add_origin(store: &Store, key: &str, origin: &str) -> Result<(), AdminError> {
    check_origin(origin)?;
    Ok(store.add_site_origin(key, origin).await?)
}

/// A call button as the operator typed it.
pub struct ButtonSpec<'a> {
    pub site_key: &'a str,
    pub key: &'a str,
    pub label: &'a str,
    pub number: &'a str,
    pub payer: ringlink_protocol::call_me::PayerKind,
    pub sponsor: Option<&'a str>,
    /// Calls at once through the button; `None`: the relay's `[calls] button_capacity`.
    pub capacity: Option<u32>,
}

/// Binds a merchant call button to a number, server-side (CALL-3): pages name only the key.
/// The number must be one the deployment's call policy allows.
pub async fn set_call_button(
    accounts: &Accounts,
    guard: &crate::calls::guard::Guard,
    spec: ButtonSpec<'_>,
) -> Result<CallButton, AdminError> {
    use ringlink_protocol::call_me::PayerKind;
    let ButtonSpec {
        site_key,
        key: button,
        label,
        number,
        payer,
        sponsor,
        capacity,
    } = spec;
    if capacity == Some(0) {
        return Err(AdminError::Refused(
            "--capacity must be at least 1 (calls at once through this button)".into(),
        ));
    }
    let key_ok = (1..=ringlink_protocol::limits::MAX_BUTTON_KEY).contains(&button.len())
        && button
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !key_ok {
        return Err(AdminError::BadButtonKey(button.into()));
    }
    check_name("button label", label).map_err(AuthError::from)?;
    if payer == PayerKind::Sponsor && sponsor.is_none() {
        return Err(AdminError::SponsorMissing);
    }
    let number = accounts.parse_number(number).map_err(AuthError::from)?;
    guard
        .destination_allowed(&number, "the merchant's number")
        .map_err(|e| AdminError::Refused(e.message))?;
    let site = accounts
        .store()
        .site_by_key(site_key)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no site has the key '{site_key}'")))?;
    let b = CallButton {
        site_id: site.id,
        key: button.into(),
        label: label.into(),
        number,
        payer,
        sponsor: sponsor
            .filter(|_| payer == PayerKind::Sponsor)
            .map(str::to_owned),
        capacity,
    };
    accounts.store().set_call_button(&b).await?;
    Ok(b)
}

pub async fn create_member(
    accounts: &Accounts,
    number: &str,
    password: &Secret,
) -> Result<E164, AdminError> {
    Ok(accounts.create_member(number, password).await?.1)
}

/// A member's devices, by number.
pub async fn list_devices(accounts: &Accounts, number: &str) -> Result<Vec<DeviceRow>, AdminError> {
    let number = accounts.parse_number(number).map_err(AuthError::from)?;
    let member = accounts
        .store()
        .member_by_number(&number)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no member with number {number}")))?;
    Ok(accounts.store().list_devices(member.id).await?)
}

/// Revokes every session and device of a member; returns the number and how many were live.
pub async fn revoke_sessions(accounts: &Accounts, number: &str) -> Result<(E164, u64), AdminError> {
    let number = accounts.parse_number(number).map_err(AuthError::from)?;
    let revoked = accounts.store().revoke_member_tokens(&number).await?;
    Ok((number, revoked))
}

pub async fn revoke_device(store: &Store, device: &str) -> Result<(), AdminError> {
    Ok(store.revoke_token(device, None).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(check_origin("https://shop.example").is_ok());
        assert!(check_origin("http://127.0.0.1:8081").is_ok());
        assert!(check_origin("shop.example").is_err());
        assert!(check_origin("https://shop.example/").is_err());
        assert!(check_origin("https://").is_err());
    }
}
