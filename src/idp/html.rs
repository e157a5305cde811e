//! The provider's page layout: one shell styled like the app (same stylesheet), with an optional
//! inline script allowed by a per-response CSP nonce, and the shared error and message pages.
//! Everything is built with `maud`, so text is escaped unless it is explicitly marked trusted
//! (`PreEscaped`); the only trusted text here is compile-time script code. Pages are never cached.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};

/// Text for element content and attribute values. Plain `&str` in a template is already escaped
/// by `maud` (`& < > "`); `Text` also escapes `'` (as `&#39;`), as these pages always have, so the
/// output stays byte-for-byte what clients and tests have seen.
pub struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        for c in self.0.chars() {
            match c {
                '&' => buffer.push_str("&amp;"),
                '<' => buffer.push_str("&lt;"),
                '>' => buffer.push_str("&gt;"),
                '"' => buffer.push_str("&quot;"),
                '\'' => buffer.push_str("&#39;"),
                _ => buffer.push(c),
            }
        }
    }
}

/// A full page around `body`.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    page_with_script(status, title, body, None)
}

/// A page with one inline script, allowed by a per-response CSP nonce. The script is
/// compile-time code (`&'static str`), never built from request data.
pub fn page_with_script(
    status: StatusCode,
    title: &str,
    body: Markup,
    script: Option<&'static str>,
) -> Response {
    let nonce = super::random::token();
    // `Markup` is already-escaped HTML (maud's `PreEscaped<String>`): placed as it is.
    let body = PreEscaped(body.into_string());
    let document = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (Text(title)) " · Identity provider" }
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/static/provider.css";
            }
            body {
                header class="site-header" {
                    div class="site-header__inner" {
                        span class="brand" {
                            span class="brand__mark" aria-hidden="true" { "◆" }
                            span class="brand__name" { "Identity provider" }
                        }
                    }
                }
                main id="main" class="page" {
                    div class="auth-card" { (body) }
                }
                footer class="site-footer" {
                    p { "Logto-compatible provider embedded in Leptos × Logto." }
                }
                @if let Some(code) = script {
                    script nonce=(nonce) { (PreEscaped(code)) }
                }
            }
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document.into_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if script.is_some() {
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'nonce-{nonce}'; frame-ancestors 'none'; base-uri 'none'"
        );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// A page explaining that a step failed: the status, a title and a message (all escaped).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        p class="error-page__status" { (status.as_u16()) }
        h1 { (Text(title)) }
        p class="error-page__message" { (Text(message)) }
        p { "Go back to the application and start signing in again." }
    };
    page(status, title, body)
}

/// A page with a title and one paragraph (both escaped).
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        html! {
            h1 { (Text(title)) }
            p { (Text(message)) }
        },
    )
}

/// The stylesheet: the app's own, plus the sign-in card.
pub const STYLESHEET: &str = concat!(
    include_str!("../../style/main.css"),
    r#"
.auth-card { max-width: 26rem; margin: 0 auto; background: var(--color-surface); border: 1px solid var(--color-border);
  border-radius: var(--radius); padding: var(--space-6); box-shadow: var(--shadow); }
.auth-card h1 { font-size: var(--text-xl); }
.field { display: flex; flex-direction: column; gap: var(--space-2); margin-bottom: var(--space-4); }
.field label { font-weight: 600; }
.field input { font: inherit; padding: var(--space-2) var(--space-3); border-radius: var(--radius);
  border: 1px solid var(--color-border); background: var(--color-bg); color: var(--color-text); min-height: 2.75rem; }
.field input[name="code"] { font-family: var(--font-mono); font-size: var(--text-xl); letter-spacing: 0.4em; }
.field .hint { color: var(--color-text-muted); font-size: var(--text-sm); margin: 0; }
.auth-card button[type="submit"] { width: 100%; }
.link-button { background: none; border: none; color: var(--color-accent); padding: 0; min-height: 0; font-weight: 500;
  text-decoration: underline; width: auto !important; }
.link-button:hover { background: none; color: var(--color-accent-strong); }
.switch { margin-top: var(--space-5); color: var(--color-text-muted); font-size: var(--text-sm); }
.alert { padding: var(--space-3) var(--space-4); border-radius: var(--radius); }
.alert--error { background: var(--color-danger-bg); color: var(--color-danger); }
.mail { border-top: 1px solid var(--color-border); padding-block: var(--space-4); }
.mail__meta { color: var(--color-text-muted); font-size: var(--text-sm); }
"#
);

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn text_is_escaped_in_titles_and_messages() {
        let page = error_page(
            StatusCode::BAD_REQUEST,
            "<b>Tom's</b>",
            "a \"quoted\" & <script>alert(1)</script>",
        );
        let html = body(page).await;
        assert!(html.contains("<title>&lt;b&gt;Tom&#39;s&lt;/b&gt; · Identity provider</title>"));
        assert!(html.contains("a &quot;quoted&quot; &amp; &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script"), "{html}");
    }

    #[tokio::test]
    async fn a_script_comes_with_its_nonce_in_the_csp() {
        let page = page_with_script(StatusCode::OK, "T", html! { p { "x" } }, Some("var a=1>0;"));
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let html = body(page).await;
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert!(
            html.contains(&format!("<script nonce=\"{nonce}\">var a=1>0;</script>")),
            "{html}"
        );
        let plain = body(page_with_script(StatusCode::OK, "T", html! {}, None)).await;
        assert!(!plain.contains("<script"));
    }
}
