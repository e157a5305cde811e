//! The sign-in pages' HTML: the email form (sign in or create an account), the code form with
//! its resend countdown, and the "email sign-in is not enabled" page. Built with `maud` inside the
//! shared layout (`html`): every value is escaped by construction; the only trusted text is
//! static markup and the countdown script, which the per-response CSP nonce allows. The ids,
//! classes and labels are what the Playwright specs select on.

use crate::idp::html::{self, Text};
use crate::idp::sign_in_experience::EmailAccess;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

/// Which email form: `/sign-in` or `/register`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Register,
}

/// What the email form shows.
#[derive(Clone, Debug)]
pub struct EmailForm {
    pub screen: Screen,
    /// The address to prefill, as typed (or the interaction's address or `login_hint`).
    pub email: String,
    pub access: EmailAccess,
}

/// What the code form shows.
#[derive(Clone, Debug)]
pub struct CodeForm {
    /// Where the code went.
    pub email: String,
    /// Seconds until the resend button is enabled again (the countdown).
    pub wait: u64,
}

/// Counts the resend button down from its `data-wait`, then enables it.
const COUNTDOWN: &str = "(function(){var b=document.getElementById('resend');if(!b)return;var s=+b.dataset.wait;var l=b.textContent;\
    function t(){if(s>0){b.disabled=true;b.textContent=l+' ('+s+' s)';s--;setTimeout(t,1000);}else{b.disabled=false;b.textContent=l;}}t();})();";

/// The alert shown above a form.
fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = message {
            p class="alert alert--error" role="alert" { (Text(text)) }
        }
    }
}

fn cancel_link() -> Markup {
    html! {
        p class="switch" { a href="/sign-in/cancel" { "Cancel and go back" } }
    }
}

/// The email form; `error` is shown above it and marks the field invalid.
pub fn email_form(status: StatusCode, form: &EmailForm, error: Option<&str>) -> Response {
    let (title, intro) = match form.screen {
        Screen::SignIn => (
            "Sign in",
            "Enter your email address and we'll send you a one-time code.",
        ),
        Screen::Register => (
            "Create your account",
            "Enter your email address; we'll send a code to confirm it.",
        ),
    };
    let body = html! {
        h1 { (title) }
        p { (intro) }
        @if form.access.password_configured {
            p class="hint" id="password-note" {
                "Password sign-in isn't available here: we'll email you a one-time code instead."
            }
        }
        (alert(error))
        form method="post" action="/sign-in/email" novalidate {
            div class="field" {
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="email" required autofocus
                    value=(Text(&form.email)) aria-describedby="email-hint"
                    aria-invalid=[error.map(|_| "true")];
                p class="hint" id="email-hint" { "We only use it to send you sign-in codes." }
            }
            button type="submit" { "Continue" }
        }
        p class="switch" {
            @match form.screen {
                Screen::SignIn => {
                    @if form.access.sign_up {
                        "No account yet? " a href="/register" { "Create one" }
                    }
                }
                Screen::Register => {
                    "Already have an account? " a href="/sign-in" { "Sign in" }
                }
            }
        }
        (cancel_link())
    };
    html::page(status, title, body)
}

/// The code form, with the resend button counting down `form.wait` seconds.
pub fn code_form(status: StatusCode, form: &CodeForm, error: Option<&str>) -> Response {
    let body = html! {
        h1 { "Enter your code" }
        p {
            "We sent a 6-digit code to " strong { (Text(&form.email)) } ". It expires in 10 minutes."
        }
        (alert(error))
        form method="post" action="/sign-in/verify" novalidate {
            div class="field" {
                label for="code" { "Verification code" }
                input id="code" name="code" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required autofocus
                    aria-invalid=[error.map(|_| "true")];
            }
            button type="submit" { "Verify and continue" }
        }
        form method="post" action="/sign-in/resend" class="switch" {
            "Didn't get it? "
            button type="submit" id="resend" class="link-button" data-wait=(form.wait) {
                "Send a new code"
            }
        }
        p class="switch" {
            a href="/sign-in" { "Use another email address" }
            " · "
            a href="/sign-in/cancel" { "Cancel and go back" }
        }
    };
    html::page_with_script(status, "Enter your code", body, Some(COUNTDOWN))
}

/// Shown instead of the email form when email-code sign-in is off.
pub fn sign_in_disabled(status: StatusCode, access: EmailAccess) -> Response {
    let body = html! {
        h1 { "Email sign-in is not enabled" }
        p {
            "Signing in with a code sent by email has been turned off by the administrator, so \
             you can't sign in here right now."
        }
        @if access.password_configured {
            p {
                "The sign-in settings ask for a password, but this identity provider signs people \
                 in with one-time email codes only: password sign-in isn't available here."
            }
        }
        (cancel_link())
    };
    html::page(status, "Email sign-in is not enabled", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn access(sign_up: bool, password_configured: bool) -> EmailAccess {
        EmailAccess {
            code_sign_in: true,
            sign_up,
            password_configured,
        }
    }

    #[tokio::test]
    async fn the_typed_address_is_escaped_in_the_email_form() {
        let form = EmailForm {
            screen: Screen::SignIn,
            email: "\"><script>alert('x')</script>".to_owned(),
            access: access(true, false),
        };
        let page = body(email_form(
            StatusCode::BAD_REQUEST,
            &form,
            Some("Bad <address>"),
        ))
        .await;
        assert!(
            page.contains("value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\"")
        );
        assert!(page.contains("role=\"alert\">Bad &lt;address&gt;</p>"));
        assert!(page.contains("aria-invalid=\"true\""));
        assert!(page.contains("<a href=\"/register\">Create one</a>"));
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("password-note"));
    }

    #[tokio::test]
    async fn the_email_form_without_an_error_is_not_marked_invalid() {
        let form = EmailForm {
            screen: Screen::Register,
            email: String::new(),
            access: access(false, true),
        };
        let page = body(email_form(StatusCode::OK, &form, None)).await;
        assert!(!page.contains("aria-invalid"));
        assert!(!page.contains("role=\"alert\""));
        assert!(page.contains("<h1>Create your account</h1>"));
        assert!(page.contains("id=\"password-note\""));
        assert!(page.contains("<a href=\"/sign-in\">Sign in</a>"));
    }

    #[tokio::test]
    async fn the_code_form_counts_down_with_its_script() {
        let form = CodeForm {
            email: "a&b@example.com".to_owned(),
            wait: 42,
        };
        let page = code_form(StatusCode::OK, &form, None);
        assert!(page
            .headers()
            .get(axum::http::header::CONTENT_SECURITY_POLICY)
            .is_some_and(|csp| csp.to_str().unwrap().contains("script-src 'nonce-")));
        let page = body(page).await;
        assert!(page.contains("<strong>a&amp;b@example.com</strong>"));
        assert!(page.contains("id=\"resend\" class=\"link-button\" data-wait=\"42\""));
        assert!(page.contains("if(s>0)"), "the script is not escaped");
    }
}
