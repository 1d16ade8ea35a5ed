//! The credentials file: owner-only from the start, round-trips, and never shows the token.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use ringlink_agent::credentials::{self, Credentials, CredentialsError};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::E164;

fn sample() -> Credentials {
    Credentials {
        relay: "http://127.0.0.1:8080".into(),
        device: "dev_123".into(),
        device_token: Secret::new("tok-very-secret-value"),
        member: E164::new("+8613800138000").unwrap(),
        name: Some("test handset".into()),
    }
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// covers DIAL-1: the device token is stored with 0600 permissions, in a 0700 directory.
#[test]
fn file_is_owner_only_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ringlink").join("agent.json");
    credentials::save(&path, &sample()).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(credentials::load(&path).unwrap(), sample());

    // Overwriting an existing, too-open file leaves it 0600 too.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    credentials::save(&path, &sample()).unwrap();
    assert_eq!(mode(&path), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["agent.json"]);
}

// covers DIAL-1
#[test]
fn token_never_shows_in_debug_output() {
    let shown = format!("{:?}", sample());
    assert!(!shown.contains("tok-very-secret-value"), "{shown}");
}

#[test]
fn files_without_a_name_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.json");
    let json = r#"{"relay":"http://r","device":"d","device_token":"t","member":"+8613800138000"}"#;
    std::fs::write(&path, json).unwrap();
    assert_eq!(credentials::load(&path).unwrap().name, None);
}

#[test]
fn missing_file_says_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let err = credentials::load(&dir.path().join("none.json")).unwrap_err();
    assert!(matches!(err, CredentialsError::Missing { .. }));
    assert!(err.to_string().contains("ringlink-agent login"), "{err}");
}

#[test]
fn default_path_follows_xdg() {
    let p = credentials::default_path_from(Some("/x/config".into()), Some("/home/u".into()));
    assert_eq!(p, Some(PathBuf::from("/x/config/ringlink/agent.json")));
    // A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
    let p = credentials::default_path_from(Some("rel".into()), Some("/home/u".into()));
    assert_eq!(
        p,
        Some(PathBuf::from("/home/u/.config/ringlink/agent.json"))
    );
    assert_eq!(credentials::default_path_from(None, None), None);
}
