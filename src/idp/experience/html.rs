//! HTML for the provider's pages: one layout styled like the app (same stylesheet), escaping for
//! everything interpolated, and the shared error and message pages. Pages are never cached.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A full page. `body` must already be escaped where needed.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_with_script(status, title, body, None)
}

/// A page with one inline script allowed by a per-response CSP nonce.
pub fn page_with_script(
    status: StatusCode,
    title: &str,
    body: &str,
    script: Option<&str>,
) -> Response {
    let nonce = super::super::random::token();
    let script_tag = script
        .map(|code| format!("<script nonce=\"{nonce}\">{code}</script>"))
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} · Identity provider</title>\
         <link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/static/provider.css\"></head><body>\
         <header class=\"site-header\"><div class=\"site-header__inner\">\
         <span class=\"brand\"><span class=\"brand__mark\" aria-hidden=\"true\">◆</span>\
         <span class=\"brand__name\">Identity provider</span></span></div></header>\
         <main id=\"main\" class=\"page\"><div class=\"auth-card\">{body}</div></main>\
         <footer class=\"site-footer\"><p>Logto-compatible provider embedded in Leptos × Logto.</p></footer>\
         {script_tag}</body></html>",
        title = escape(title),
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
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

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<p class=\"error-page__status\">{}</p><h1>{}</h1><p class=\"error-page__message\">{}</p>\
         <p>Go back to the application and start signing in again.</p>",
        status.as_u16(),
        escape(title),
        escape(message)
    );
    page(status, title, &body)
}

pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)),
    )
}

/// The alert shown above a form.
pub fn alert(message: Option<&str>) -> String {
    message
        .map(|text| {
            format!(
                "<p class=\"alert alert--error\" role=\"alert\">{}</p>",
                escape(text)
            )
        })
        .unwrap_or_default()
}

/// The stylesheet: the app's own, plus the sign-in card.
pub const STYLESHEET: &str = concat!(
    include_str!("../../../style/main.css"),
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
