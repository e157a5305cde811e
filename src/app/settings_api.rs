//! The server functions of the sign-in experience settings page, each one line over the request's
//! `Visit`, which checks on the server that the caller is signed in (401) and an administrator
//! (403). The form types are in `ui_types`; the SES secret is write-only.

use crate::ui_types::{AppError, BrandingSettings, Outcome, SesForm, SettingsData};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::fns::{answer, visit};

/// The current settings (admins only: 403 otherwise, 401 when signed out).
#[server(prefix = "/api", endpoint = "settings")]
pub async fn load_settings() -> Result<SettingsData, AppError> {
    answer(visit().await?.settings().await)
}

/// Saves the email connector (`intent=save`, or no intent from a confirming button; `confirm`
/// carries the confirmations given so far),
/// runs the SES check on the form (`intent=check`), or sends a test email through the unsaved
/// form (`intent=test`).
#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn save_email(
    intent: Option<String>,
    factory: String,
    test_address: Option<String>,
    confirm: Option<String>,
    ses: Option<SesForm>,
) -> Result<Outcome, AppError> {
    let form = ses.unwrap_or_default();
    answer(
        visit()
            .await?
            .submit_email(
                intent.as_deref().unwrap_or("save"),
                &factory,
                test_address.as_deref(),
                confirm.as_deref(),
                &form,
            )
            .await,
    )
}

/// Saves the sign-in pages' branding (logos and brand colours).
#[server(prefix = "/api", endpoint = "settings/branding")]
pub async fn save_branding(branding: BrandingSettings) -> Result<Outcome, AppError> {
    answer(visit().await?.save_branding(&branding).await)
}

/// Saves the sign-up and sign-in methods (checkboxes: present means on).
#[server(prefix = "/api", endpoint = "settings/sign-in")]
pub async fn save_sign_in(
    email_sign_up: Option<String>,
    verification_code: Option<String>,
    password: Option<String>,
) -> Result<Outcome, AppError> {
    let methods = crate::ui_types::SignInSettings {
        email_sign_up: email_sign_up.is_some(),
        verification_code: verification_code.is_some(),
        password: password.is_some(),
    };
    answer(visit().await?.save_sign_in(&methods).await)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{SaveEmail, SaveSignIn};
    use crate::ui_types::{AppError, TemplateForm};
    use leptos::server_fn::codec::{FromReq, PostUrl};

    // A test helper (clippy allows `unwrap` only in the tests themselves).
    #[allow(clippy::unwrap_used)]
    fn request(body: &'static str) -> http::Request<axum::body::Body> {
        http::Request::post("/api/settings/email")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    }

    /// The islands post the form's fields as the browser encodes them (`URLSearchParams`, as a
    /// form without WASM posts them: brackets percent-encoded, spaces as `+`), not re-encoded
    /// from the function's arguments; the server function reads them all.
    #[tokio::test]
    async fn the_email_form_reads_as_the_browser_encodes_it() {
        let body = "factory=aws-ses-mail&ses%5Baccess_key_id%5D=AKIA&ses%5Baccess_key_secret%5D=\
            &ses%5Bregion%5D=eu-west-1&ses%5Bemail_address%5D=Acme+%3Cno-reply%40acme.com%3E\
            &ses%5Btemplates%5D%5B0%5D%5Busage_type%5D=Register\
            &ses%5Btemplates%5D%5B0%5D%5Bsubject%5D=Your+code%3A+%7B%7Bcode%7D%7D\
            &ses%5Btemplates%5D%5B0%5D%5Bcontent%5D=%3Cp%3E%7B%7Bcode%7D%7D%3C%2Fp%3E\
            &test_address=&confirm=replace%2Cunchecked&intent=check";
        let args = <SaveEmail as FromReq<PostUrl, _, AppError>>::from_req(request(body))
            .await
            .unwrap();
        assert_eq!(args.intent.as_deref(), Some("check"));
        assert_eq!(args.factory, "aws-ses-mail");
        // An empty field reads as absent, as it did when the browser decoded it first.
        assert_eq!(args.test_address, None);
        assert_eq!(args.confirm.as_deref(), Some("replace,unchecked"));
        let ses = args.ses.unwrap();
        assert_eq!(ses.region, "eu-west-1");
        assert_eq!(ses.email_address, "Acme <no-reply@acme.com>");
        assert_eq!(
            ses.templates,
            [TemplateForm {
                usage_type: "Register".into(),
                subject: "Your code: {{code}}".into(),
                content: "<p>{{code}}</p>".into(),
            }]
        );
    }

    /// Unchecked boxes are absent; a sign-out or sign-in button without a name adds nothing.
    #[tokio::test]
    async fn checkboxes_read_as_present_or_absent() {
        let args =
            <SaveSignIn as FromReq<PostUrl, _, AppError>>::from_req(request("email_sign_up=on"))
                .await
                .unwrap();
        assert_eq!(args.email_sign_up.as_deref(), Some("on"));
        assert_eq!(args.verification_code, None);
        let args = <SaveSignIn as FromReq<PostUrl, _, AppError>>::from_req(request(""))
            .await
            .unwrap();
        assert_eq!(args.email_sign_up, None);
    }
}
