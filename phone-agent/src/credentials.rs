//! The credentials file: the relay address, the device id and the device token, kept in
//! `$XDG_CONFIG_HOME/ringlink/agent.json` and created owner-only (0600, directory 0700) from the
//! first byte, so the token is never readable by other users even for a moment.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ringlink_protocol::rest::DeviceGrant;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::E164;
use serde::{Deserialize, Serialize};

/// The file holds a bearer token: owner read/write only.
pub const FILE_MODE: u32 = 0o600;
/// The directory we create for it: owner only, so nobody can even list it.
pub const DIR_MODE: u32 = 0o700;
/// Environment variable that overrides the default path (also `--credentials`).
pub const PATH_ENV: &str = "RINGLINK_AGENT_CREDENTIALS";

/// What `login` and `pair` store and `run` reads. `Debug` prints the token as stars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The relay's base URL, `http(s)://host[:port]`.
    pub relay: String,
    /// The device id the relay gave this handset.
    pub device: String,
    pub device_token: Secret,
    /// The member this handset dials for.
    pub member: E164,
    /// The device name given at sign-in; `run` shows it to the member unless told another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Credentials {
    pub fn from_grant(relay: &str, name: &str, grant: DeviceGrant) -> Self {
        Self {
            relay: relay.to_owned(),
            device: grant.device,
            device_token: grant.device_token,
            member: grant.member,
            name: Some(name.to_owned()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("no credentials at {}: sign this phone in first with `ringlink-agent login --relay URL --number N` or `ringlink-agent pair --relay URL`", .path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} is not a valid credentials file ({source}); sign in again with `ringlink-agent login`", .path.display())]
    Invalid {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot tell where to keep the credentials: neither XDG_CONFIG_HOME nor HOME is set; pass --credentials PATH")]
    NoHome,
}

/// `$XDG_CONFIG_HOME/ringlink/agent.json`, else `$HOME/.config/ringlink/agent.json`.
pub fn default_path() -> Result<PathBuf, CredentialsError> {
    default_path_from(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
    .ok_or(CredentialsError::NoHome)
}

/// [`default_path`] with the environment passed in. The XDG spec says a relative
/// `XDG_CONFIG_HOME` is invalid and must be ignored.
pub fn default_path_from(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let xdg = xdg.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = match xdg {
        Some(dir) => dir,
        None => PathBuf::from(home.filter(|h| !h.is_empty())?).join(".config"),
    };
    Some(base.join("ringlink").join("agent.json"))
}

/// Writes the file atomically: a new 0600 file beside it, then a rename over the old one. A
/// missing parent directory is created 0700.
pub fn save(path: &Path, creds: &Credentials) -> Result<(), CredentialsError> {
    let err = |source| CredentialsError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(err)?;
        }
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let mut json = serde_json::to_vec_pretty(creds).expect("credentials always serialize");
    json.push(b'\n');
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(&json)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// Reads the file, warning when other users can read it.
pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CredentialsError::Missing {
                path: path.to_owned(),
            })
        }
        Err(source) => {
            return Err(CredentialsError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the credentials file is readable by other users (mode {mode:o}); run `chmod 600` on it"
            );
        }
    }
    serde_json::from_str(&text).map_err(|source| CredentialsError::Invalid {
        path: path.to_owned(),
        source,
    })
}
