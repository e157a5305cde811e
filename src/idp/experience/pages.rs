//! The sign-in pages' HTML: the email form ("Sign in to {app}" or "Create your account for
//! {app}"), the code form with its attempts left and resend countdown, the "email sign-in is not
//! enabled" page and the "restarted in another tab" page. Built with `maud` inside the shared
//! layout (`html`): every value is escaped by construction; the only trusted text is static
//! markup and the code page's script, which the per-response CSP nonce allows.
//!
//! Accessibility: a problem with the field is shown under it (`id="email-error"` or
//! `id="code-error"`, `role="alert"`), linked from the input by `aria-describedby`, the input
//! marked `aria-invalid="true"` and focused (`autofocus`); a problem with the step (too many
//! codes, resend too soon) is one alert above the form. A page has at most one `role="alert"`.
//!
//! Every form carries the interaction's tab tag (hidden `interaction`), so a post from a tab
//! whose sign-in was replaced by a newer one in another tab is recognised (`flow::check_tab`).
//! The email form also carries its `screen`, so a refusal re-shows the screen it came from.
//!
//! The code field works without JavaScript (the server ignores spaces and dashes); the script
//! keeps only digits on input and paste and submits the form once six are there — after a paste,
//! a typed digit, a drop or an autofill replacement, but not after a script's multi-character
//! insertion or a bare `input` event (so that "fill, then click", as tests do, posts once).
//! The ids, names, classes and labels are what the Playwright specs select on: `#email`,
//! `input[name="email"]`, button "Continue"; `#code`, `input[name="code"]`, `#code-attempts`,
//! button "Verify and continue", `#resend`; `#sign-up-closed`.

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

impl Screen {
    /// The form's hidden `screen` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Screen::SignIn => "sign_in",
            Screen::Register => "register",
        }
    }

    /// The posted `screen`; anything else is the sign-in screen.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("register") => Screen::Register,
            _ => Screen::SignIn,
        }
    }

    /// The page that shows this screen.
    pub fn path(self) -> &'static str {
        match self {
            Screen::SignIn => "/sign-in",
            Screen::Register => "/register",
        }
    }
}

/// What the email form shows.
#[derive(Clone, Debug)]
pub struct EmailForm {
    pub screen: Screen,
    /// The address to prefill, as typed (or the interaction's address or `login_hint`).
    pub email: String,
    pub access: EmailAccess,
    /// The interaction's tab tag (the hidden `interaction` field).
    pub tab: String,
}

/// What the code form shows.
#[derive(Clone, Debug)]
pub struct CodeForm {
    /// Where the code went.
    pub email: String,
    /// Seconds until the resend button is enabled again (the countdown).
    pub wait: u64,
    /// Checks left for the current code, once one was wrong.
    pub attempts_left: Option<u32>,
    /// The interaction's tab tag (the hidden `interaction` field).
    pub tab: String,
    /// Sign-up is off: the page cannot promise a code (only an existing account gets one), and
    /// says so in the same words for every address.
    pub sign_up_closed: bool,
}

/// What went wrong, and where it is shown.
#[derive(Clone, Copy, Debug)]
pub enum Problem<'a> {
    /// Under the field, which is marked invalid and focused.
    Field(&'a str),
    /// Above the form: the step failed, not the field.
    Step(&'a str),
}

impl<'a> Problem<'a> {
    fn field(problem: Option<Self>) -> Option<&'a str> {
        match problem {
            Some(Problem::Field(text)) => Some(text),
            _ => None,
        }
    }

    fn step(problem: Option<Self>) -> Option<&'a str> {
        match problem {
            Some(Problem::Step(text)) => Some(text),
            _ => None,
        }
    }
}

/// "1 attempt left", "3 attempts left".
pub fn attempts_left(count: u32) -> String {
    match count {
        1 => "1 attempt left".to_owned(),
        n => format!("{n} attempts left"),
    }
}

/// "1 second", "42 seconds".
pub fn seconds(count: u64) -> String {
    match count {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

/// Counts the resend button down from its `data-wait`, then enables it; keeps only digits in
/// the code field and submits its form once six are there.
const CODE_SCRIPT: &str = "(function(){var b=document.getElementById('resend');if(b){var s=+b.dataset.wait;var l=b.textContent;\
    var t=function(){if(s>0){b.disabled=true;b.textContent=l+' ('+s+' s)';s--;setTimeout(t,1000);}else{b.disabled=false;b.textContent=l;}};t();}\
    var c=document.getElementById('code');if(!c||!c.form)return;var f=c.form;\
    var go=function(){if(c.value.length===6&&!f.dataset.sent){f.dataset.sent='1';if(f.requestSubmit){f.requestSubmit();}else{f.submit();}}};\
    var only=function(v){return v.replace(/[^0-9]/g,'').slice(0,6);};\
    c.addEventListener('paste',function(e){var d=e.clipboardData||window.clipboardData;if(!d)return;e.preventDefault();c.value=only(d.getData('text'));go();});\
    var typed=function(e){return (e.inputType==='insertText'&&e.data&&e.data.length===1)||e.inputType==='insertFromPaste'||e.inputType==='insertReplacementText'||e.inputType==='insertFromDrop';};\
    c.addEventListener('input',function(e){var v=only(c.value);if(v!==c.value){c.value=v;}if(typed(e))go();});})();";

/// The alert above a form (a problem with the step).
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

fn tab_field(tab: &str) -> Markup {
    html! { input type="hidden" name="interaction" value=(Text(tab)); }
}

/// `aria-describedby`: the error (when there is one) before the hints.
fn described_by(error: Option<&str>, error_id: &str, hints: &[&str]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    if error.is_some() {
        ids.push(error_id);
    }
    ids.extend_from_slice(hints);
    ids.join(" ")
}

/// The email form's heading: "Sign in to {app}" / "Create your account for {app}".
fn email_title(screen: Screen) -> String {
    match (screen, html::app_name()) {
        (Screen::SignIn, Some(app)) => format!("Sign in to {app}"),
        (Screen::SignIn, None) => "Sign in".to_owned(),
        (Screen::Register, Some(app)) => format!("Create your account for {app}"),
        (Screen::Register, None) => "Create your account".to_owned(),
    }
}

/// The email form with an optional problem (see [`Problem`]).
pub fn email_form(status: StatusCode, form: &EmailForm, problem: Option<Problem>) -> Response {
    let title = email_title(form.screen);
    let intro = match form.screen {
        Screen::SignIn => "Enter your email address and we'll send you a one-time code.",
        Screen::Register => "Enter your email address; we'll send a code to confirm it.",
    };
    let field_error = Problem::field(problem);
    let sign_up_closed = form.screen == Screen::SignIn && !form.access.sign_up;
    let body = html! {
        h1 { (Text(&title)) }
        p { (intro) }
        @if sign_up_closed {
            p class="notice" id="sign-up-closed" {
                "New accounts can't be created here: sign in with the address of an existing account."
            }
        }
        @if form.access.password_configured {
            p class="hint" id="password-note" {
                "Password sign-in isn't available here: we'll email you a one-time code instead."
            }
        }
        (alert(Problem::step(problem)))
        form method="post" action="/sign-in/email" novalidate {
            (tab_field(&form.tab))
            input type="hidden" name="screen" value=(form.screen.as_str());
            div class="field" {
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="email" required autofocus
                    value=(Text(&form.email))
                    aria-describedby=(described_by(field_error, "email-error", &["email-hint"]))
                    aria-invalid=[field_error.map(|_| "true")];
                @if let Some(text) = field_error {
                    p class="field__error" id="email-error" role="alert" { (Text(text)) }
                }
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
    html::page(status, &title, body)
}

/// The code form, with the resend button counting down `form.wait` seconds and an optional
/// problem (see [`Problem`]).
pub fn code_form(status: StatusCode, form: &CodeForm, problem: Option<Problem>) -> Response {
    let field_error = Problem::field(problem);
    let mut hints = vec!["code-hint"];
    if form.attempts_left.is_some() {
        hints.push("code-attempts");
    }
    let body = html! {
        h1 { "Enter your code" }
        @if form.sign_up_closed {
            p {
                "If " strong { (Text(&form.email)) } " has an account here, we sent it a 6-digit code. "
                "It expires in 10 minutes."
            }
            p class="hint" id="no-new-accounts" {
                "New accounts can't be created here right now. No code? Check the address, or ask an administrator for access."
            }
        } @else {
            p {
                "We sent a 6-digit code to " strong { (Text(&form.email)) } ". It expires in 10 minutes."
            }
        }
        (alert(Problem::step(problem)))
        form method="post" action="/sign-in/verify" novalidate {
            (tab_field(&form.tab))
            div class="field" {
                label for="code" { "Verification code" }
                input id="code" name="code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" required autofocus
                    aria-describedby=(described_by(field_error, "code-error", &hints))
                    aria-invalid=[field_error.map(|_| "true")];
                @if let Some(text) = field_error {
                    p class="field__error" id="code-error" role="alert" { (Text(text)) }
                }
                p class="hint" id="code-hint" { "6 digits; spaces and dashes don't matter." }
                @if let Some(left) = form.attempts_left {
                    p class="hint" id="code-attempts" { (attempts_left(left)) }
                }
            }
            button type="submit" { "Verify and continue" }
        }
        form method="post" action="/sign-in/resend" class="switch" {
            (tab_field(&form.tab))
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
    html::page_with_script(status, "Enter your code", body, Some(CODE_SCRIPT))
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
        (html::way_back(None))
    };
    html::page(status, "Email sign-in is not enabled", body)
}

/// A post from a tab whose sign-in was replaced by a newer one (started in another tab of the
/// same browser): the way to that sign-in's current page, and back to the app.
pub fn restarted(status: StatusCode, continue_to: &str) -> Response {
    let title = "This sign-in was restarted in another tab";
    let body = html! {
        h1 { (title) }
        p {
            "You started signing in again in another tab or window, so this page no longer \
             works. Nothing was checked or sent from it. Continue with the newer sign-in, or go \
             back to the app."
        }
        (html::way_back(Some(("Continue signing in", continue_to))))
    };
    html::page(status, title, body)
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

    fn alerts(page: &str) -> usize {
        page.matches("role=\"alert\"").count()
    }

    #[test]
    fn counts_are_in_plain_english() {
        assert_eq!(attempts_left(0), "0 attempts left");
        assert_eq!(attempts_left(1), "1 attempt left");
        assert_eq!(attempts_left(9), "9 attempts left");
        assert_eq!(seconds(1), "1 second");
        assert_eq!(seconds(17), "17 seconds");
    }

    #[tokio::test]
    async fn a_field_error_is_linked_marked_and_the_only_alert() {
        let form = EmailForm {
            screen: Screen::SignIn,
            email: "\"><script>alert('x')</script>".to_owned(),
            access: access(true, false),
            tab: "tab-1".to_owned(),
        };
        let page = body(email_form(
            StatusCode::BAD_REQUEST,
            &form,
            Some(Problem::Field("Bad <address>")),
        ))
        .await;
        assert!(
            page.contains("value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\"")
        );
        assert!(page.contains(
            "<p class=\"field__error\" id=\"email-error\" role=\"alert\">Bad &lt;address&gt;</p>"
        ));
        assert!(page.contains("aria-describedby=\"email-error email-hint\""));
        assert!(page.contains("aria-invalid=\"true\""));
        assert!(page.contains("autofocus"));
        assert_eq!(alerts(&page), 1);
        assert!(page.contains("<input type=\"hidden\" name=\"interaction\" value=\"tab-1\">"));
        assert!(page.contains("name=\"screen\" value=\"sign_in\""));
        assert!(page.contains("<a href=\"/register\">Create one</a>"));
        assert!(!page.contains("sign-up-closed"));
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("password-note"));
    }

    #[tokio::test]
    async fn a_step_problem_is_one_alert_above_the_form_and_the_field_stays_valid() {
        let form = EmailForm {
            screen: Screen::Register,
            email: String::new(),
            access: access(true, true),
            tab: String::new(),
        };
        let page = body(email_form(
            StatusCode::TOO_MANY_REQUESTS,
            &form,
            Some(Problem::Step("Too many")),
        ))
        .await;
        assert!(page.contains("<p class=\"alert alert--error\" role=\"alert\">Too many</p>"));
        assert!(!page.contains("aria-invalid"));
        assert!(page.contains("aria-describedby=\"email-hint\""));
        assert_eq!(alerts(&page), 1);
        assert!(page.contains("<h1>Create your account</h1>"));
        assert!(page.contains("name=\"screen\" value=\"register\""));
        assert!(page.contains("id=\"password-note\""));
        assert!(page.contains("<a href=\"/sign-in\">Sign in</a>"));
    }

    #[tokio::test]
    async fn with_sign_up_off_the_sign_in_screen_says_so_and_offers_no_account_creation() {
        let form = EmailForm {
            screen: Screen::SignIn,
            email: String::new(),
            access: access(false, false),
            tab: String::new(),
        };
        let page = body(email_form(StatusCode::OK, &form, None)).await;
        assert!(page.contains("id=\"sign-up-closed\""));
        assert!(!page.contains("/register"));
        assert!(!page.contains("Create one"));
        assert_eq!(alerts(&page), 0);
    }

    #[tokio::test]
    async fn the_code_field_takes_pasted_codes_and_its_script_has_a_nonce() {
        let form = CodeForm {
            email: "a&b@example.com".to_owned(),
            wait: 42,
            attempts_left: Some(1),
            tab: "t".to_owned(),
            sign_up_closed: false,
        };
        let page = code_form(StatusCode::OK, &form, None);
        assert!(page
            .headers()
            .get(axum::http::header::CONTENT_SECURITY_POLICY)
            .is_some_and(|csp| csp.to_str().unwrap().contains("script-src 'nonce-")));
        let page = body(page).await;
        assert!(page.contains("<strong>a&amp;b@example.com</strong>"));
        assert!(page.contains("id=\"resend\" class=\"link-button\" data-wait=\"42\""));
        assert!(page.contains("inputmode=\"numeric\" autocomplete=\"one-time-code\""));
        assert!(!page.contains("maxlength"), "a pasted `513 768` must fit");
        assert!(!page.contains("pattern="));
        assert!(page.contains("<p class=\"hint\" id=\"code-attempts\">1 attempt left</p>"));
        assert!(page.contains("aria-describedby=\"code-hint code-attempts\""));
        assert!(page.contains("if(s>0)"), "the script is not escaped");
        assert!(page.contains("requestSubmit"));
        assert_eq!(page.matches("name=\"interaction\" value=\"t\"").count(), 2);
    }

    #[tokio::test]
    async fn the_code_fields_error_is_linked_from_it() {
        let form = CodeForm {
            email: "a@example.com".to_owned(),
            wait: 0,
            attempts_left: None,
            tab: "t".to_owned(),
            sign_up_closed: false,
        };
        let page = body(code_form(
            StatusCode::BAD_REQUEST,
            &form,
            Some(Problem::Field("Enter the 6-digit code from the email.")),
        ))
        .await;
        assert!(page.contains("aria-describedby=\"code-error code-hint\""));
        assert!(page.contains("aria-invalid=\"true\""));
        assert!(page.contains("id=\"code-error\" role=\"alert\""));
        assert!(!page.contains("code-attempts"));
        assert_eq!(alerts(&page), 1);
    }

    #[tokio::test]
    async fn the_restarted_page_links_to_the_newer_sign_in() {
        let page = body(restarted(StatusCode::CONFLICT, "/sign-in/verify")).await;
        assert!(page.contains("This sign-in was restarted in another tab"));
        assert!(page.contains("href=\"/sign-in/verify\">Continue signing in</a>"));
    }
}
