//! The published JSON Schema of the protocol, generated from the types, so a third party can
//! write an Android or iOS agent. `protocol/schema/ringlink-v1.json` is the committed copy.

use schemars::{schema_for, Schema};
use serde_json::json;

use crate::envelope::Envelope;

/// The schema document: one definition per direction of each wire.
pub fn document() -> serde_json::Value {
    fn s<T: schemars::JsonSchema>() -> Schema {
        schema_for!(T)
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Ringlink protocol",
        "description": format!("WebSocket subprotocol {} and the agent REST bodies", crate::SUBPROTOCOL),
        "widget_to_relay": s::<Envelope<crate::widget::WidgetMsg>>(),
        "relay_to_widget": s::<Envelope<crate::widget::RelayToWidget>>(),
        "agent_to_relay": s::<Envelope<crate::agent::AgentMsg>>(),
        "relay_to_agent": s::<Envelope<crate::agent::RelayToAgent>>(),
        "console_to_relay": s::<Envelope<crate::console::ConsoleMsg>>(),
        "relay_to_console": s::<Envelope<crate::console::RelayToConsole>>(),
        "rest": {
            "agent_login": s::<crate::rest::AgentLogin>(),
            "device_grant": s::<crate::rest::DeviceGrant>(),
            "pair_start": s::<crate::rest::PairStart>(),
            "pair_started": s::<crate::rest::PairStarted>(),
            "pair_poll": s::<crate::rest::PairPoll>(),
            "pair_status": s::<crate::rest::PairStatus>(),
            "error": s::<crate::error::ErrorBody>(),
        }
    })
}

/// The committed file's text for the current types.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("schema serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    /// Fails when the committed schema differs from the types. Regenerate with
    /// `UPDATE_SCHEMA=1 cargo test -p ringlink-protocol schema`.
    #[test]
    fn committed_schema_matches_the_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/ringlink-v1.json");
        let fresh = super::render();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == fresh,
            "protocol/schema/ringlink-v1.json is out of date: run UPDATE_SCHEMA=1 cargo test -p ringlink-protocol schema and commit it"
        );
    }
}
