//! Secrets (passwords, tokens, the SIP trunk's and the SMSC's passwords): a `Debug` that prints
//! stars and no `Display`, so they never reach a log.

use serde::{Deserialize, Serialize};

/// A password or token. `Debug` prints `***`; use [`Secret::expose`] where the value is needed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "hunter2-hunter2");
    }
}
