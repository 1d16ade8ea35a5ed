//! Size limits on frames and fields. Every limit is checked on decode, on both sides.

/// Largest WebSocket text frame either side accepts. The biggest legitimate frame (a presence
/// list of a member's devices) is well under 4 KiB; 16 KiB leaves room without letting a client
/// make the relay buffer megabytes.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest phone number input accepted before parsing ("+86 (010) 1234-5678 ext 99" fits).
pub const MAX_NUMBER_INPUT: usize = 32;

/// Passwords: at least 8 characters (members choose them), at most 256 so argon2 input is bounded.
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;

/// Device names as shown to the member ("Pixel 8", "pinephone").
pub const MAX_DEVICE_NAME: usize = 64;

/// Opaque tokens are 43 base64url characters; anything much longer is not ours.
pub const MAX_TOKEN: usize = 128;

/// Free-text details on call states ("NO CARRIER", "declined on the phone").
pub const MAX_DETAIL: usize = 200;

/// Pairing codes are short enough to read off a terminal and type into the widget.
pub const PAIRING_CODE_LEN: usize = 8;

/// Identifiers (call ids, device ids) the relay hands out.
pub const MAX_ID: usize = 64;

/// Backend names of the phone agent ("at", "modemmanager", "command", "dry-run").
pub const MAX_BACKEND_NAME: usize = 32;

/// Merchant button keys as pages name them (`data-ringlink-call="sales"`).
pub const MAX_BUTTON_KEY: usize = 32;

/// SMS verification codes are 6 digits; a little room for spaces typed around them.
pub const MAX_VERIFY_CODE: usize = 12;

/// Display names a member gives at sign-up ("Li Wei"): enough for a full name, short enough for
/// one line of the panel.
pub const MAX_DISPLAY_NAME: usize = 64;

/// A chat line: 2,000 characters is a long message and, even in three-byte Chinese, keeps the
/// frame under `MAX_FRAME_BYTES`.
pub const MAX_CHAT_TEXT: usize = 2000;

/// Page URLs and referrers a visitor's widget reports (CHAT-8): long enough for real URLs with
/// query strings, short enough that a visitor cannot make an agent's list megabytes.
pub const MAX_URL: usize = 1000;
