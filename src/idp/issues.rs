//! Validation problems in the shape of zod's issues, as Logto's error bodies carry them in
//! `data.issues` (logto-compat.md §9): one per bad field, each with its `path` (Logto's key names
//! and list indexes, e.g. `["templates", 0, "subject"]`), a human `message` and zod's `code`
//! (`invalid_type`, `invalid_string`, `custom`, …). Shared by the connector configs and the
//! sign-in experience; the Management API renders them.

use serde::Serialize;
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub path: Vec<Value>,
    pub message: String,
    pub code: &'static str,
}

/// zod's issue codes used here.
pub mod code {
    /// Wrong JSON type, or a required field missing.
    pub const INVALID_TYPE: &str = "invalid_type";
    /// A string of the wrong form (URL, colour, address, region).
    pub const INVALID_STRING: &str = "invalid_string";
    /// Any other rule (e.g. a required template).
    pub const CUSTOM: &str = "custom";
}

impl Issue {
    pub fn new(path: Vec<Value>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
            code,
        }
    }

    /// The issue of one top-level field.
    pub fn at(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(vec![Value::from(field)], code, message)
    }
}

/// Logto's `data`: `{"issues": [...]}`.
pub fn data(issues: &[Issue]) -> Value {
    json!({ "issues": issues })
}

/// The issues' messages in one line, for logs and error text.
pub fn summary(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|issue| issue.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_serialize_as_zod_does() {
        let issue = Issue::new(
            vec![json!("templates"), json!(0), json!("subject")],
            code::INVALID_TYPE,
            "Required",
        );
        assert_eq!(
            data(&[issue]),
            json!({"issues": [{"path": ["templates", 0, "subject"], "message": "Required", "code": "invalid_type"}]})
        );
    }
}
