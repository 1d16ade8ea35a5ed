//! Environment overrides of the relay's configuration, as containers set them: a top-level key
//! as `RINGLINK_LISTEN`, a key of a section as `RINGLINK_CALLS__PER_MEMBER_PER_HOUR` (two
//! underscores between section and key, as deep as the file nests). A value takes the type the
//! key has in the defaults (a whole number, true/false, a comma-separated list); a key without a
//! default (a trunk, a password) is read as a number or true/false when it looks like one and as
//! text otherwise, and as text again when the key turns out to want text.

/// Prefix of the relay's variables.
pub const ENV_PREFIX: &str = "RINGLINK_";
/// Between a section and its key: `RINGLINK_TELEPHONY__TRUNK`.
pub const NESTING: &str = "__";

/// Top-level keys that are unset by default (absent from the defaults' table) but the relay's.
const OPTIONAL_KEYS: &[&str] = &["public_url", "widget_dir", "trust_forwarded_for"];
/// Sections whose keys may be set from the environment.
const SECTIONS: &[&str] = &["http", "calls", "dial", "telephony", "sms", "live", "chat"];

/// One variable the relay took, with where it went.
#[derive(Debug, Clone)]
pub struct Override {
    pub var: String,
    pub raw: String,
    pub path: Vec<String>,
    /// Guessed (the defaults did not say the type): may be retried as text.
    pub guessed: bool,
}

/// Why a variable's value does not fit its key.
#[derive(Debug, Clone)]
pub struct BadValue {
    pub var: String,
    pub value: String,
    pub key: String,
    pub why: String,
}

/// The relay's variables among `env` (others, such as the phone agent's `RINGLINK_*`, are left
/// alone), applied to `table` (the defaults with the file merged in).
pub fn apply(
    table: &mut toml::Table,
    template: &toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Override>, BadValue> {
    let mut taken = Vec::new();
    for (var, raw) in env {
        let Some(name) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = name
            .to_ascii_lowercase()
            .split(NESTING)
            .map(str::to_owned)
            .collect();
        if path.iter().any(String::is_empty) {
            continue;
        }
        let ours = match path.as_slice() {
            [key] => template.contains_key(key) || OPTIONAL_KEYS.contains(&key.as_str()),
            [section, ..] => SECTIONS.contains(&section.as_str()),
            [] => false,
        };
        if !ours {
            continue;
        }
        let bad = |why: String| BadValue {
            var: var.clone(),
            value: raw.clone(),
            key: path.join("."),
            why,
        };
        let (value, guessed) = match lookup(template, &path) {
            Some(like) => (typed(like, &raw).map_err(bad)?, false),
            None => (guess(&raw), !matches!(guess(&raw), toml::Value::String(_))),
        };
        set(table, &path, value).map_err(bad)?;
        taken.push(Override {
            var,
            raw,
            path,
            guessed,
        });
    }
    Ok(taken)
}

/// Puts a guessed value back as text (the key wanted text after all: a numeric password).
pub fn as_text(table: &mut toml::Table, o: &Override) {
    let _ = set(table, &o.path, toml::Value::String(o.raw.clone()));
}

fn lookup<'a>(table: &'a toml::Table, path: &[String]) -> Option<&'a toml::Value> {
    let (last, sections) = path.split_last()?;
    let mut t = table;
    for s in sections {
        t = t.get(s)?.as_table()?;
    }
    t.get(last)
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, sections) = path.split_last().ok_or("empty key")?;
    let mut t = table;
    for s in sections {
        let entry = t
            .entry(s.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{s}` is a value, not a section"))?;
    }
    if t.get(last).is_some_and(toml::Value::is_table) {
        return Err(format!(
            "`{last}` is a section: set its keys ({ENV_PREFIX}…{NESTING}{}{NESTING}KEY)",
            last.to_ascii_uppercase()
        ));
    }
    t.insert(last.clone(), value);
    Ok(())
}

/// The value parsed as the default `like` is typed.
fn typed(like: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    use toml::Value as V;
    Ok(match like {
        V::Integer(_) => V::Integer(raw.trim().parse().map_err(|_| "expected a whole number")?),
        V::Float(_) => V::Float(raw.trim().parse().map_err(|_| "expected a number")?),
        V::Boolean(_) => V::Boolean(raw.trim().parse().map_err(|_| "expected true or false")?),
        V::Array(items) => {
            let item = items.first().cloned().unwrap_or(V::String(String::new()));
            let parts = raw.split(',').map(str::trim).filter(|p| !p.is_empty());
            V::Array(parts.map(|p| typed(&item, p)).collect::<Result<_, _>>()?)
        }
        V::Table(_) => return Err("this key is a section: set its keys instead".into()),
        V::String(_) | V::Datetime(_) => V::String(raw.into()),
    })
}

fn guess(raw: &str) -> toml::Value {
    if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else {
        toml::Value::String(raw.into())
    }
}
