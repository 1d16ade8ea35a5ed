//! Accounts and credentials: argon2id passwords, sign-in with throttling, and opaque session and
//! device tokens (random, stored hashed, expiring, revocable).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngCore};
use ringlink_protocol::limits::{MAX_PASSWORD, MIN_PASSWORD};
use ringlink_protocol::number::{parse_number, NumberError};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use sha2::{Digest, Sha256};

use crate::names::{check_name, NameError};
use crate::password_gate::{Busy, PasswordGate, BUSY_RETRY_SECS};
use crate::signin_guard::SignInGuard;
use crate::store::tokens::TokenKind;
use crate::store::{now, Store, StoreError};

/// Web sessions a member may hold at once; signing in once more evicts the oldest. Enough for
/// every browser a person uses, few enough that a leaked password cannot mint sessions without
/// bound.
pub const MAX_SESSIONS_PER_MEMBER: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong number or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {0} s")]
    RateLimited(u64),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error("password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")]
    WeakPassword,
    #[error("this session has expired: sign in again")]
    Expired,
    #[error("this session was signed out or revoked: sign in again")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<&AuthError> for ErrorBody {
    fn from(e: &AuthError) -> Self {
        let code = match e {
            AuthError::BadCredentials => ErrorCode::BadCredentials,
            AuthError::RateLimited(_) | AuthError::Busy(_) => ErrorCode::RateLimited,
            AuthError::Name(_) => ErrorCode::BadField,
            AuthError::Number(_) => ErrorCode::InvalidNumber,
            AuthError::WeakPassword => ErrorCode::WeakPassword,
            AuthError::Expired => ErrorCode::TokenExpired,
            AuthError::Revoked => ErrorCode::TokenRevoked,
            AuthError::Store(_) => ErrorCode::Internal,
        };
        let message = match e {
            AuthError::Store(_) => "the relay could not reach its database; try again".into(),
            other => other.to_string(),
        };
        let mut body = ErrorBody::new(code, message);
        match e {
            AuthError::RateLimited(secs) => body.retry_after = Some(*secs),
            AuthError::Busy(_) => body.retry_after = Some(BUSY_RETRY_SECS),
            _ => {}
        }
        body
    }
}

/// Who a token belongs to.
#[derive(Clone, Debug)]
pub struct Identity {
    pub token_id: i64,
    /// The device or session id shown to people (`dev_…`, `ses_…`).
    pub public_id: String,
    pub member_id: i64,
    pub number: E164,
    pub label: String,
    pub expires_at: i64,
}

pub struct Accounts {
    store: Store,
    region: String,
    session_ttl_secs: i64,
    device_ttl_secs: i64,
    guard: SignInGuard,
}

impl Accounts {
    pub fn new(store: Store, region: &str, session_ttl_secs: i64, device_ttl_secs: i64) -> Self {
        Self {
            store,
            region: region.into(),
            session_ttl_secs,
            device_ttl_secs,
            guard: SignInGuard::default(),
        }
    }

    /// Reads a typed number in the relay's default region.
    pub fn parse_number(&self, input: &str) -> Result<E164, NumberError> {
        parse_number(input, &self.region)
    }

    pub async fn create_member(
        &self,
        number: &str,
        password: &Secret,
    ) -> Result<(i64, E164), AuthError> {
        let number = self.parse_number(number)?;
        let hash = hash_password(password).await?;
        let id = self.store.create_member(&number, &hash).await?;
        Ok((id, number))
    }

    /// Changes a member's password and revokes every session and device they hold: whoever
    /// knew the old password is signed out everywhere. Returns the number and how many tokens
    /// were revoked.
    pub async fn set_password(
        &self,
        number: &str,
        password: &Secret,
    ) -> Result<(E164, u64), AuthError> {
        let number = self.parse_number(number)?;
        let hash = hash_password(password).await?;
        let revoked = self
            .store
            .set_member_password_and_revoke(&number, &hash)
            .await?;
        tracing::info!(%number, revoked, "password changed; sessions and devices revoked");
        Ok((number, revoked))
    }

    /// The sign-in limits (for tests and metrics).
    pub fn guard(&self) -> &SignInGuard {
        &self.guard
    }

    /// Checks number and password and mints a token of `kind`. The throttle slots are taken
    /// before the password is checked (see [`crate::signin_guard`]), and the check waits its
    /// turn at the [`PasswordGate`]. Unknown numbers cost the same time as wrong passwords.
    pub async fn sign_in(
        &self,
        number: &str,
        password: &Secret,
        address: &str,
        kind: TokenKind,
        label: &str,
    ) -> Result<(Identity, Secret), AuthError> {
        let number = self.parse_number(number)?;
        check_name("device name", label)?;
        let slot = self
            .guard
            .reserve(&number, address)
            .map_err(AuthError::RateLimited)?;
        let member = match self.store.member_by_number(&number).await {
            Ok(m) => m,
            Err(e) => {
                self.guard.abandoned(slot);
                return Err(e.into());
            }
        };
        let hash = member.as_ref().map(|m| m.password_hash.clone());
        let ok = match verify_password(hash, password.clone()).await {
            Ok(ok) => ok,
            Err(busy) => {
                self.guard.abandoned(slot);
                return Err(busy.into());
            }
        };
        let Some(member) = member.filter(|_| ok) else {
            self.guard.failed(slot);
            return Err(AuthError::BadCredentials);
        };
        self.guard.succeeded(slot);
        Ok(self
            .mint(member.id, &member.number, kind, label, None)
            .await?)
    }

    /// Issues a new token for a member (sign-in, pairing), with a fresh public id unless one was
    /// promised already (a pairing shows the device id before the token exists).
    pub async fn mint(
        &self,
        member_id: i64,
        number: &E164,
        kind: TokenKind,
        label: &str,
        public_id: Option<String>,
    ) -> Result<(Identity, Secret), StoreError> {
        let token = random_token();
        let (prefix, ttl) = match kind {
            TokenKind::Web => ("ses_", self.session_ttl_secs),
            TokenKind::Device => ("dev_", self.device_ttl_secs),
        };
        let public_id = public_id.unwrap_or_else(|| format!("{prefix}{}", random_id(12)));
        let expires_at = now() + ttl;
        let hash = hash_token(token.expose());
        let token_id = self
            .store
            .insert_token(member_id, kind, &public_id, label, &hash, expires_at)
            .await?;
        if kind == TokenKind::Web {
            self.store
                .evict_old_sessions(member_id, MAX_SESSIONS_PER_MEMBER)
                .await?;
        }
        let identity = Identity {
            token_id,
            public_id,
            member_id,
            number: number.clone(),
            label: label.into(),
            expires_at,
        };
        Ok((identity, token))
    }

    /// Who holds this token, if it is live and of the expected kind.
    pub async fn authenticate(&self, token: &str, kind: TokenKind) -> Result<Identity, AuthError> {
        let row = self.store.token_by_hash(&hash_token(token)).await?;
        let row = row.filter(|r| r.kind == kind).ok_or(AuthError::Revoked)?;
        if row.revoked_at.is_some() {
            return Err(AuthError::Revoked);
        }
        if row.expires_at <= now() {
            return Err(AuthError::Expired);
        }
        Ok(Identity {
            token_id: row.id,
            public_id: row.public_id,
            member_id: row.member_id,
            number: row.number,
            label: row.label,
            expires_at: row.expires_at,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// 32 random bytes, base64url: 256 bits, so a plain SHA-256 is enough to store it.
pub fn random_token() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::new(format!("rl_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Readable random ids (no 0/O, 1/I/L), from the thread's CSPRNG (ChaCha, seeded and reseeded
/// from the OS): one `getrandom` call per character showed up in the dial profile.
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn hash_password(password: &Secret) -> Result<String, AuthError> {
    let n = password.len();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(AuthError::WeakPassword);
    }
    let password = password.clone();
    let hash = PasswordGate::global()
        .run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await?;
    hash.map_err(|_| AuthError::WeakPassword)
}

/// Verifies off the async threads, behind the [`PasswordGate`]. With no stored hash, a dummy one
/// is checked so an unknown number takes as long as a wrong password.
pub(crate) async fn verify_password(
    stored: Option<String>,
    password: Secret,
) -> Result<bool, Busy> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    PasswordGate::global()
        .run(move || {
            let (hash, real) = match stored {
                Some(h) => (h, true),
                None => {
                    let dummy = DUMMY.get_or_init(|| {
                        let salt = SaltString::generate(&mut rand::rngs::OsRng);
                        Argon2::default()
                            .hash_password(b"not a password", &salt)
                            .unwrap()
                            .to_string()
                    });
                    (dummy.clone(), false)
                }
            };
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok()
                && real
        })
        .await
}
