//! Where a setting's raw text comes from: the environment over `Leptos.toml` over the built-in
//! default, and the problem list that validation fills.

use super::keys::Key;
use std::fmt;

/// Raw settings text from the file and the environment, before any parsing.
pub struct Source<'a> {
    file: toml::Table,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Source<'a> {
    pub fn new(file: toml::Table, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { file, env }
    }

    /// The effective raw value of `key`, or `None` when it is unset everywhere. An empty environment
    /// variable counts as set-to-empty, so `LOGTO_ENDPOINT=` can clear a value from the file.
    pub fn raw(&self, key: &Key) -> Option<String> {
        if let Some(value) = (self.env)(key.env) {
            return Some(value.trim().to_owned());
        }
        if let Some(value) = self.file_value(key) {
            return Some(value);
        }
        key.default.map(str::to_owned)
    }

    fn file_value(&self, key: &Key) -> Option<String> {
        let (section, name) = key.toml.split_once('.')?;
        let value = self.file.get(section)?.as_table()?.get(name)?;
        Some(match value {
            toml::Value::String(text) => text.trim().to_owned(),
            other => other.to_string(),
        })
    }

    /// Sections or keys in the file that no setting reads: almost always a typo.
    pub fn unknown_file_keys(&self, known: &[Key]) -> Vec<String> {
        let mut unknown = Vec::new();
        for (section, value) in &self.file {
            let Some(table) = value.as_table() else {
                unknown.push(section.clone());
                continue;
            };
            for name in table.keys() {
                let path = format!("{section}.{name}");
                if !known.iter().any(|key| key.toml == path) {
                    unknown.push(path);
                }
            }
        }
        unknown
    }
}

/// One thing wrong with the configuration, naming the key both ways a person may have set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub env: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.env.is_empty() {
            write!(f, "{}: {}", self.key, self.message)
        } else {
            write!(f, "{} (env {}): {}", self.key, self.env, self.message)
        }
    }
}

/// Every problem found while loading, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problem(s)):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Collects problems while each key is parsed, so that all of them are reported at once.
#[derive(Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn add(&mut self, key: &Key, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.toml.to_owned(),
            env: key.env.to_owned(),
            message: message.into(),
        });
    }

    pub fn add_file(&mut self, what: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: what.into(),
            env: String::new(),
            message: message.into(),
        });
    }

    pub fn into_error(self) -> ConfigError {
        ConfigError { problems: self.0 }
    }

    pub fn into_result<T>(self, value: T) -> Result<T, ConfigError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError { problems: self.0 })
        }
    }
}
