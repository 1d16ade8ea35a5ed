//! The frame envelope: `{"id": 7, "msg": {"type": "dial", "data": {...}}}`. Requests carry an
//! `id` the client chooses; replies carry `re`, the id they answer; pushes carry neither.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{ErrorBody, ErrorCode};
use crate::limits::MAX_FRAME_BYTES;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Envelope<M> {
    /// Chosen by the sender of a request; echoed as `re` in the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The `id` of the request this frame answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re: Option<u64>,
    pub msg: M,
}

impl<M> Envelope<M> {
    /// A frame nobody asked for (presence, call state).
    pub fn push(msg: M) -> Self {
        Self {
            id: None,
            re: None,
            msg,
        }
    }
    /// A request with the sender's id.
    pub fn request(id: u64, msg: M) -> Self {
        Self {
            id: Some(id),
            re: None,
            msg,
        }
    }
    /// A reply to request `re` (`None` when the request had no id).
    pub fn reply(re: Option<u64>, msg: M) -> Self {
        Self { id: None, re, msg }
    }
}

/// Messages that check their own fields after decoding.
pub trait Validate {
    fn validate(&self) -> Result<(), ErrorBody>;
}

/// Decodes one text frame: size, JSON, known type and fields, then the message's own checks.
/// On failure the error names the problem, and the frame's `id` if it could be read, so the
/// reply can still be paired with the request.
pub fn decode<M: DeserializeOwned + Validate>(
    text: &str,
) -> Result<Envelope<M>, (Option<u64>, ErrorBody)> {
    if text.len() > MAX_FRAME_BYTES {
        let msg = format!(
            "frame of {} bytes exceeds the {MAX_FRAME_BYTES}-byte limit; send smaller messages",
            text.len()
        );
        return Err((None, ErrorBody::new(ErrorCode::FrameTooLarge, msg)));
    }
    match serde_json::from_str::<Envelope<M>>(text) {
        Ok(env) => match env.msg.validate() {
            Ok(()) => Ok(env),
            Err(e) => Err((env.id, e)),
        },
        Err(e) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_u64()));
            let msg = format!("could not read the frame: {e}");
            Err((id, ErrorBody::new(ErrorCode::BadFrame, msg)))
        }
    }
}

/// Encodes a frame. Our own types always serialize.
pub fn encode<M: Serialize>(env: &Envelope<M>) -> String {
    serde_json::to_string(env).expect("protocol types always serialize")
}
