//! Everything a sign-in step can answer other than "go on", as one enum that renders itself: the
//! status and page a person sees (the form again with an alert, or an error page), with the
//! internal detail (store, connector) only logged. Variants that re-show a form carry what the
//! form needs; a problem with the field is shown under it, a problem with the step above the
//! form (`pages::Problem`). Error pages offer "Try again" where another go can help and always
//! "Back to the app" (`html::way_back`).

use super::pages::{self, CodeForm, EmailForm, Problem};
use crate::idp::endpoints::authorize::see_other;
use crate::idp::html;
use crate::idp::sign_in_experience::EmailAccess;
use crate::runtime::origin::Refusal;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

const TOO_MANY_CODES: &str =
    "Too many codes were sent to this address. Wait a few minutes and try again.";
const NO_ACCOUNT: &str =
    "There is no account with this email address, and new accounts can't be created here.";

/// Where a rate-limited send was asked for, so the answer re-shows that form.
#[derive(Debug)]
pub enum SendForm {
    Email(EmailForm),
    Code(CodeForm),
}

#[derive(Debug, thiserror::Error)]
pub enum ExperienceError {
    /// No live interaction for this browser (none, expired, or another browser's).
    #[error("no live interaction for this browser")]
    Expired,
    /// A post from a tab whose interaction was replaced by a newer one in another tab of the
    /// same browser; `continue_to`: the newer interaction's current page.
    #[error("form posted from a tab of a replaced interaction")]
    Restarted { continue_to: &'static str },
    /// A form post that fails the origin policy (`crate::runtime::origin`).
    #[error("form post refused: {0}")]
    CrossSite(Refusal),
    /// Email-code sign-in is turned off in the sign-in experience.
    #[error("email-code sign-in is off")]
    SignInDisabled(EmailAccess),
    /// A code step before any address was entered: back to the email form.
    #[error("no address entered yet")]
    NoEmailYet,
    #[error("not a plausible email address")]
    InvalidEmail(EmailForm),
    /// The recipient had the maximum number of codes in the send window.
    #[error("send limit reached for this address")]
    RateLimited(SendForm),
    /// The resend button before the earlier code's wait is over; `wait`: seconds left.
    #[error("new code asked for {wait} s too soon")]
    ResendTooSoon { wait: u64, form: CodeForm },
    /// Not six digits (after removing spaces and dashes); costs no attempt.
    #[error("malformed code")]
    MalformedCode(CodeForm),
    #[error("wrong code, {attempts_left} attempts left")]
    WrongCode { attempts_left: u32, form: CodeForm },
    /// A correct code for an unknown address while sign-up is off (it was turned off after the
    /// code was sent).
    #[error("verified address has no account and sign-up is off")]
    NoAccount(CodeForm),
    /// No code for this interaction, it expired, or it was used.
    #[error("code expired or used")]
    CodeExpired(CodeForm),
    #[error("too many wrong attempts")]
    TooManyAttempts(CodeForm),
    #[error("no email connector is configured")]
    EmailNotConfigured,
    #[error("the email connector cannot be used: {0}")]
    EmailNotWorking(String),
    #[error("verification email not delivered by {connector}: {detail}")]
    DeliveryFailed {
        connector: &'static str,
        detail: String,
    },
    /// A store or encoding failure; the detail is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl ExperienceError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Expired
            | Self::InvalidEmail(_)
            | Self::MalformedCode(_)
            | Self::WrongCode { .. }
            | Self::NoAccount(_)
            | Self::CodeExpired(_)
            | Self::TooManyAttempts(_) => StatusCode::BAD_REQUEST,
            Self::Restarted { .. } => StatusCode::CONFLICT,
            Self::CrossSite(_) | Self::SignInDisabled(_) => StatusCode::FORBIDDEN,
            Self::NoEmailYet => StatusCode::SEE_OTHER,
            Self::RateLimited(_) | Self::ResendTooSoon { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::EmailNotConfigured | Self::EmailNotWorking(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::DeliveryFailed { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        match self {
            Self::CrossSite(_) => tracing::warn!(error = %self, "sign-in form post refused"),
            Self::EmailNotConfigured => {
                tracing::error!(
                    "no email connector is configured: cannot send a verification code"
                );
            }
            Self::EmailNotWorking(_) | Self::DeliveryFailed { .. } | Self::Internal(_) => {
                tracing::error!(error = %self, "sign-in experience failure");
            }
            _ => {}
        }
    }
}

impl IntoResponse for ExperienceError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        match self {
            Self::Expired => html::error_page(
                status,
                "This sign-in has expired",
                "Start again from the app.",
            ),
            Self::Restarted { continue_to } => pages::restarted(status, continue_to),
            Self::CrossSite(_) => html::error_page_with(
                status,
                "Request refused",
                "This form was submitted from another site.",
                Some("/sign-in"),
            ),
            Self::SignInDisabled(access) => pages::sign_in_disabled(status, access),
            Self::NoEmailYet => see_other("/sign-in"),
            Self::InvalidEmail(form) => pages::email_form(
                status,
                &form,
                Some(Problem::Field(
                    "Enter a valid email address, like name@example.com.",
                )),
            ),
            Self::RateLimited(SendForm::Email(form)) => {
                pages::email_form(status, &form, Some(Problem::Step(TOO_MANY_CODES)))
            }
            Self::RateLimited(SendForm::Code(form)) => {
                pages::code_form(status, &form, Some(Problem::Step(TOO_MANY_CODES)))
            }
            Self::ResendTooSoon { wait, form } => pages::code_form(
                status,
                &form,
                Some(Problem::Step(&format!(
                    "Please wait {} before asking for a new code.",
                    pages::seconds(wait)
                ))),
            ),
            Self::MalformedCode(form) => pages::code_form(
                status,
                &form,
                Some(Problem::Field("Enter the 6-digit code from the email.")),
            ),
            Self::WrongCode {
                attempts_left: left,
                form,
            } => pages::code_form(
                status,
                &form,
                Some(Problem::Field(&format!(
                    "That code isn't right. {}.",
                    pages::attempts_left(left)
                ))),
            ),
            Self::NoAccount(form) => {
                pages::code_form(status, &form, Some(Problem::Field(NO_ACCOUNT)))
            }
            Self::CodeExpired(form) => pages::code_form(
                status,
                &form,
                Some(Problem::Field(
                    "This code has expired or was already used. Send a new code.",
                )),
            ),
            Self::TooManyAttempts(form) => pages::code_form(
                status,
                &form,
                Some(Problem::Field(
                    "Too many wrong attempts. Send a new code to try again.",
                )),
            ),
            Self::EmailNotConfigured => html::error_page(
                status,
                "Email isn't set up",
                "This identity provider has no email service configured, so it can't send you a \
                 sign-in code. Ask the administrator to set up an email connector.",
            ),
            Self::EmailNotWorking(_) => html::error_page(
                status,
                "Email isn't working",
                "The email service of this identity provider is misconfigured, so it can't send \
                 you a sign-in code. Ask the administrator to check the email connector.",
            ),
            Self::DeliveryFailed { .. } => html::error_page_with(
                status,
                "We couldn't send the email",
                "The email service did not accept the message. Try again in a moment.",
                Some("/sign-in"),
            ),
            Self::Internal(_) => html::error_page_with(
                status,
                "Something went wrong",
                "The identity provider could not complete this step. Please try again.",
                Some("/sign-in"),
            ),
        }
    }
}

impl From<crate::idp::store::StoreError> for ExperienceError {
    fn from(error: crate::idp::store::StoreError) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn form() -> CodeForm {
        CodeForm {
            email: "ada@example.com".to_owned(),
            wait: 0,
            attempts_left: None,
            tab: String::new(),
            sign_up_closed: false,
        }
    }

    #[tokio::test]
    async fn each_error_has_its_status_and_text() {
        let cases: Vec<(ExperienceError, StatusCode, &str)> = vec![
            (
                ExperienceError::Expired,
                StatusCode::BAD_REQUEST,
                "This sign-in has expired",
            ),
            (
                ExperienceError::Expired,
                StatusCode::BAD_REQUEST,
                "Start again from the app.",
            ),
            (
                ExperienceError::Restarted {
                    continue_to: "/sign-in/verify",
                },
                StatusCode::CONFLICT,
                "This sign-in was restarted in another tab",
            ),
            (
                ExperienceError::CrossSite(Refusal::Unproven),
                StatusCode::FORBIDDEN,
                "Request refused",
            ),
            (
                ExperienceError::Internal("secret detail".to_owned()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "href=\"/sign-in\">Try again</a>",
            ),
            (
                ExperienceError::WrongCode {
                    attempts_left: 1,
                    form: form(),
                },
                StatusCode::BAD_REQUEST,
                "That code isn&#39;t right. 1 attempt left.",
            ),
            (
                ExperienceError::ResendTooSoon {
                    wait: 17,
                    form: form(),
                },
                StatusCode::TOO_MANY_REQUESTS,
                "Please wait 17 seconds before asking for a new code.",
            ),
            (
                ExperienceError::MalformedCode(form()),
                StatusCode::BAD_REQUEST,
                "Enter the 6-digit code from the email.",
            ),
            (
                ExperienceError::RateLimited(SendForm::Code(form())),
                StatusCode::TOO_MANY_REQUESTS,
                "Too many codes were sent",
            ),
            (
                ExperienceError::DeliveryFailed {
                    connector: "test",
                    detail: "secret detail".to_owned(),
                },
                StatusCode::BAD_GATEWAY,
                "We couldn&#39;t send the email",
            ),
            (
                ExperienceError::Internal("secret detail".to_owned()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
            ),
        ];
        for (error, status, text) in cases {
            let name = format!("{error:?}");
            let response = error.into_response();
            assert_eq!(response.status(), status, "{name}");
            let page = body(response).await;
            assert!(page.contains(text), "{name}: {page}");
            assert!(!page.contains("secret detail"), "{name} shows its detail");
            assert!(!page.contains("only in the browser"), "{name}");
            assert!(
                page.matches("role=\"alert\"").count() <= 1,
                "{name}: {page}"
            );
        }
    }

    #[test]
    fn no_email_yet_goes_back_to_the_email_form() {
        let response = ExperienceError::NoEmailYet.into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/sign-in");
    }
}
