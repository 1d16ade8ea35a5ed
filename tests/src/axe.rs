//! axe-core in the relay's frame: where `scripts/setup.sh test` put it, and a run on the frame's
//! document that reports the violations (#9 §5).

use std::path::PathBuf;

use serde_json::Value;

use crate::browser::Browser;

/// Where `scripts/setup.sh test` installs axe-core (a local npm install in a cache dir).
pub fn axe_source() -> Option<String> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    std::fs::read_to_string(cache.join("ringlink-npm/node_modules/axe-core/axe.min.js")).ok()
}

/// Runs axe-core on the frame's document; returns the violations (`[]` when clean), after
/// checking it really checked the panel (rules passed on it).
pub async fn axe(b: &Browser, axe: &str) -> Value {
    let loaded = b.eval_in_frame("return typeof window.axe;").await;
    if loaded != "object" {
        b.eval_in_frame(&format!("{axe}\n;return typeof window.axe;"))
            .await;
    }
    assert!(b.to_frame().await);
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }) \
               .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => ({ \
                 id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary) })) })) \
               .catch(e => done({ passes: 0, violations: 'axe failed: ' + e }));",
            vec![],
        )
        .await
        .unwrap();
    let passes = found["passes"].as_u64().unwrap_or(0);
    eprintln!(
        "axe: {passes} rules passed, violations {}",
        found["violations"]
    );
    assert!(passes >= 10, "axe did not run on the panel: {found}");
    found["violations"].clone()
}
