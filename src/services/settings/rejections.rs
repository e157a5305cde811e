//! What a Management API rejection means for the person at the settings page: the cause in
//! words (Logto's `data.message`, not its generic `message`), each of Logto's field issues
//! (`data.issues[].path`) on the form field it names, and Logto's code and text kept as folded
//! technical detail. Works the same for a real Logto and the embedded provider, which answers in
//! Logto's shape.

use super::forms::{field, BRANDING_FIELDS, SES_FIELDS};
use crate::management::{ApiError, Issue};
use crate::ui_types::{FieldError, Outcome};

/// Logto's generic text for `connector.invalid_response`, which says nothing of the cause.
const LOGTO_INVALID_RESPONSE: &str = "The connector's response is invalid.";

/// A rejection as the page shows it; transport failures stay errors.
pub fn api_outcome(error: ApiError) -> Result<Outcome, ApiError> {
    let reason = error.reason();
    let ApiError::Rejected { code, message, .. } = &error else {
        return Err(error);
    };
    tracing::warn!(%code, %message, cause = ?reason.message, "the Management API refused a change");
    let mut field_errors: Vec<FieldError> = reason.issues.iter().filter_map(issue_field).collect();
    let unplaced: Vec<String> = reason
        .issues
        .iter()
        .filter(|issue| issue_field(issue).is_none())
        .map(|issue| format!("{}: {}", issue.path.join("."), issue.message))
        .collect();
    let summary = match code.as_str() {
        "connector.invalid_response" => match (&reason.message, message.as_str()) {
            (Some(cause), _) => format!("AWS SES refused the test email: {}", sentence(cause)),
            (None, "" | LOGTO_INVALID_RESPONSE) => {
                "The email service refused the test email.".to_owned()
            }
            (None, cause) => format!("AWS SES refused the test email: {}", sentence(cause)),
        },
        "connector.invalid_config" | "guard.invalid_input" if !field_errors.is_empty() => {
            "The provider could not accept some fields: see the messages below them.".to_owned()
        }
        "connector.not_found_with_connector_id" => {
            "This provider does not offer that email service: choose one of those listed."
                .to_owned()
        }
        _ => match (&reason.message, message.is_empty()) {
            (Some(cause), _) => sentence(cause),
            (None, false) => sentence(message),
            (None, true) => "The provider refused the change.".to_owned(),
        },
    };
    if field_errors.is_empty() {
        field_errors = sign_in_field(code, &summary);
    }
    let mut detail = format!("{code}: {message}");
    if !unplaced.is_empty() {
        detail.push_str(&format!(" ({})", unplaced.join("; ")));
    }
    Ok(Outcome {
        ok: false,
        message: summary,
        field_errors,
        detail: Some(detail),
        ..Outcome::default()
    })
}

/// Ends `text` as a sentence.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The form field a zod issue is about: an SES config key, a template, or a branding key.
fn issue_field(issue: &Issue) -> Option<FieldError> {
    let first = issue.path.first()?.as_str();
    if first == "templates" {
        let which = issue
            .path
            .get(1)
            .and_then(|index| index.parse::<usize>().ok())
            .map(|index| format!("Template {}", index + 1))
            .unwrap_or_else(|| "The templates".to_owned());
        let part = issue.path.get(2).map(String::as_str).unwrap_or("template");
        return Some(field(
            "templates",
            &format!("{which}, {part}: {}", sentence(&issue.message)),
        ));
    }
    if let Some((_, name)) = SES_FIELDS.iter().find(|(key, _)| *key == first) {
        return Some(field(&format!("ses[{name}]"), &sentence(&issue.message)));
    }
    let second = issue.path.get(1).map(String::as_str).unwrap_or_default();
    BRANDING_FIELDS
        .iter()
        .find(|(section, key, _)| *section == first && *key == second)
        .map(|(_, _, name)| field(&format!("branding[{name}]"), &sentence(&issue.message)))
}

/// The sign-in method a sign-in experience rule is about.
fn sign_in_field(code: &str, shown: &str) -> Vec<FieldError> {
    let name = match code {
        "sign_in_experiences.enabled_connector_not_found"
        | "sign_in_experiences.passwordless_requires_verify"
        | "sign_in_experiences.missing_sign_up_identifiers"
        | "sign_in_experiences.duplicated_sign_up_identifiers" => "email_sign_up",
        "sign_in_experiences.code_sign_in_must_be_enabled"
        | "sign_in_experiences.at_least_one_authentication_factor" => "verification_code",
        _ => return Vec::new(),
    };
    vec![field(name, shown)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A recorded Logto error body (tests/fixtures/logto) as the client reads it.
    fn recorded(status: u16, body: &str) -> ApiError {
        let body: Value = serde_json::from_str(body).unwrap();
        crate::management::rejection_from(status, &body)
    }

    #[test]
    fn a_refused_test_email_says_why_once_and_on_no_field() {
        let error = recorded(
            400,
            include_str!("../../../tests/fixtures/logto/400-connector.invalid_response.json"),
        );
        let outcome = api_outcome(error).unwrap();
        assert_eq!(
            outcome.message,
            "AWS SES refused the test email: Email address is not verified. The following \
             identities failed the check in region US-EAST-1: no-reply@example.com."
        );
        assert!(outcome.field_errors.is_empty());
        assert_eq!(
            outcome.detail.as_deref(),
            Some("connector.invalid_response: The connector's response is invalid.")
        );
    }

    #[test]
    fn config_issues_land_on_their_fields() {
        let error = recorded(
            400,
            include_str!("../../../tests/fixtures/logto/400-connector.invalid_config.json"),
        );
        let outcome = api_outcome(error).unwrap();
        assert_eq!(
            outcome.error_for("ses[region]").as_deref(),
            Some("Expected string, received number.")
        );
        assert_eq!(
            outcome.error_for("templates").as_deref(),
            Some("Template 2, subject: Required.")
        );
        assert!(!outcome.message.contains("config is invalid"));
    }

    #[test]
    fn guard_issues_land_on_branding_fields() {
        let error = recorded(
            400,
            include_str!("../../../tests/fixtures/logto/400-guard.invalid_input.json"),
        );
        let outcome = api_outcome(error).unwrap();
        assert_eq!(
            outcome.error_for("branding[primary_color]").as_deref(),
            Some("Invalid.")
        );
    }

    #[test]
    fn an_unknown_factory_is_explained() {
        let error = recorded(
            422,
            include_str!(
                "../../../tests/fixtures/logto/422-connector.not_found_with_connector_id.json"
            ),
        );
        let outcome = api_outcome(error).unwrap();
        assert!(outcome.message.starts_with("This provider does not offer"));
        assert!(!outcome.message.contains("Try again"));
    }

    #[test]
    fn sign_in_rules_land_on_their_checkbox() {
        let error = ApiError::Rejected {
            status: 400,
            code: "sign_in_experiences.code_sign_in_must_be_enabled".to_owned(),
            message: "Verification code sign-in must be enabled".to_owned(),
            data: None,
        };
        let outcome = api_outcome(error).unwrap();
        assert_eq!(
            outcome.error_for("verification_code").as_deref(),
            Some("Verification code sign-in must be enabled.")
        );
        assert!(api_outcome(ApiError::Unreachable("down".to_owned())).is_err());
    }
}
