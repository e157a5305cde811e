//! The provider's page layout: one shell styled like the app (same stylesheet, then the
//! provider's own rules and the brand colours of `/static/brand.css`), with an optional inline
//! script allowed by a per-response CSP nonce, and the shared error and message pages.
//! Everything is built with `maud`, so text is escaped unless it is explicitly marked trusted
//! (`PreEscaped`); the only trusted text here is compile-time script code. Pages are never cached.
//!
//! What every page shows around its content — the application it signs in to (its name, and
//! "Back to the app"), the app's `ui_theme` (`<html data-theme>`), the sign-in experience's logo
//! and favicon — is a [`PageContext`], gathered once per request by
//! `experience::context` and read here from a task-local, so that every page (error pages and
//! the 404 included) renders it without each caller passing it along. Outside a request (unit
//! tests) it is empty: no theme, no app, no logo. Each page sends its own CSP, whose `img-src`
//! adds exactly the origins of the configured logos and favicons.

use crate::idp::clients::AppHome;
use crate::idp::protocol::records::UiTheme;
use crate::idp::sign_in_experience::{BrandColor, Branding};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
use std::future::Future;

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

/// What every page shows around its content (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageContext {
    /// The app's `ui_theme`; `None`: follow the system.
    pub theme: Option<UiTheme>,
    /// The application being signed in to (or the first registered one).
    pub app: Option<AppHome>,
    pub branding: Branding,
}

tokio::task_local! {
    static CONTEXT: PageContext;
}

/// Runs `future` (a request's handling) with `context` for every page it renders.
pub async fn with_context<F: Future>(context: PageContext, future: F) -> F::Output {
    CONTEXT.scope(context, future).await
}

/// The current request's context; empty outside one.
pub fn context() -> PageContext {
    CONTEXT.try_with(Clone::clone).unwrap_or_default()
}

/// The application's name, for headings ("Sign in to …"), when a request names one.
pub fn app_name() -> Option<String> {
    context().app.map(|app| app.name)
}

/// A full page around `body`.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    page_with_script(status, title, body, None)
}

/// The header: the logo (light, and dark when the dark theme applies) and the app's name, as a
/// link back to the app.
fn site_header(context: &PageContext) -> Markup {
    let branding = &context.branding;
    let name = context
        .app
        .as_ref()
        .map_or("Identity provider", |app| app.name.as_str());
    let inner = html! {
        @if let Some(logo) = &branding.logo_url {
            img class="brand__logo brand__logo--light" src=(Text(logo)) alt="";
        }
        @if let Some(logo) = &branding.dark_logo_url {
            img class="brand__logo brand__logo--dark" src=(Text(logo)) alt="";
        }
        @if branding.logo_url.is_none() && branding.dark_logo_url.is_none() {
            span class="brand__mark" aria-hidden="true" { "◆" }
        }
        span class="brand__name" { (Text(name)) }
    };
    let class = match (&branding.logo_url, &branding.dark_logo_url) {
        (Some(_), Some(_)) => "brand brand--themed-logo",
        (None, Some(_)) => "brand brand--dark-logo-only",
        _ => "brand",
    };
    html! {
        header class="site-header" {
            div class="site-header__inner" {
                @if let Some(app) = &context.app {
                    a class=(class) href=(Text(&app.url)) { (inner) }
                } @else {
                    span class=(class) { (inner) }
                }
            }
        }
    }
}

/// The CSP of a page: images from here and from the configured logos' and favicons' origins.
fn content_security_policy(branding: &Branding, nonce: Option<&str>) -> String {
    let mut img = vec!["'self'".to_owned(), "data:".to_owned()];
    for origin in branding.image_origins() {
        if !img.contains(&origin) {
            img.push(origin);
        }
    }
    let script = nonce.map_or_else(String::new, |nonce| format!(" script-src 'nonce-{nonce}';"));
    format!(
        "default-src 'none'; style-src 'self'; img-src {};{script} frame-ancestors 'none'; base-uri 'none'",
        img.join(" ")
    )
}

/// A page with one inline script, allowed by a per-response CSP nonce. The script is
/// compile-time code (`&'static str`), never built from request data.
pub fn page_with_script(
    status: StatusCode,
    title: &str,
    body: Markup,
    script: Option<&'static str>,
) -> Response {
    let context = context();
    let nonce = super::random::token();
    // `Markup` is already-escaped HTML (maud's `PreEscaped<String>`): placed as it is.
    let body = PreEscaped(body.into_string());
    let theme = context.theme.map(UiTheme::as_str);
    let branding = &context.branding;
    let document = html! {
        (DOCTYPE)
        html lang="en" data-theme=[theme] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content=(theme.unwrap_or("light dark"));
                title { (Text(title)) " · Identity provider" }
                @match (&branding.favicon, &branding.dark_favicon) {
                    (Some(light), Some(dark)) => {
                        link rel="icon" href=(Text(light)) media="(prefers-color-scheme: light)";
                        link rel="icon" href=(Text(dark)) media="(prefers-color-scheme: dark)";
                    }
                    (Some(icon), None) | (None, Some(icon)) => { link rel="icon" href=(Text(icon)); }
                    (None, None) => { link rel="icon" href="/static/favicon.svg" type="image/svg+xml"; }
                }
                link rel="stylesheet" href="/static/provider.css";
                link rel="stylesheet" href="/static/brand.css";
            }
            body {
                (site_header(&context))
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
    let csp = content_security_policy(branding, script.map(|_| nonce.as_str()));
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The actions that end a page: `primary` (a label and where it leads, e.g. "Try again") when
/// given, and "Back to the app" (the application of the request, see [`PageContext`]),
/// secondary when there is a primary action.
pub fn way_back(primary: Option<(&str, &str)>) -> Markup {
    let app = context().app;
    html! {
        p class="actions" {
            @if let Some((label, href)) = primary {
                a class="button" href=(Text(href)) { (Text(label)) }
            }
            @if let Some(app) = &app {
                a class=(if primary.is_some() { "button button--secondary" } else { "button" })
                    href=(Text(&app.url)) { "Back to the app" }
            }
        }
    }
}

/// A page explaining that a step failed: the status, a title and a message (all escaped), and
/// the way back ([`way_back`], with "Try again" leading to `retry` when given).
pub fn error_page_with(
    status: StatusCode,
    title: &str,
    message: &str,
    retry: Option<&str>,
) -> Response {
    let body = html! {
        p class="error-page__status" { (status.as_u16()) }
        h1 { (Text(title)) }
        p class="error-page__message" { (Text(message)) }
        (way_back(retry.map(|href| ("Try again", href))))
    };
    page(status, title, body)
}

/// [`error_page_with`] without "Try again".
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    error_page_with(status, title, message, None)
}

/// The provider's 404 for unknown paths.
pub fn not_found() -> Response {
    error_page_with(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address on the identity provider.",
        None,
    )
}

/// A page with a title and one paragraph (both escaped), and "Back to the app".
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        html! {
            h1 { (Text(title)) }
            p { (Text(message)) }
            (way_back(None))
        },
    )
}

/// `/static/brand.css`: the brand colour as the accent (links, buttons, the mark) in the light
/// theme, and the dark brand colour in the dark theme when Logto's `isDarkModeEnabled` is on
/// (otherwise the dark theme keeps the app's own accent). A theme is "light" when
/// `data-theme="light"`, or without `data-theme` when the system prefers light; likewise dark.
/// A brand colour too light (or, in the dark theme, too dark) for text is shaded just enough to
/// reach WCAG AA's 4.5:1 against the theme's backgrounds, so links stay readable whatever colour
/// was chosen. The text on accent-coloured buttons is white or near-black, whichever contrasts
/// more.
pub fn brand_stylesheet(color: &BrandColor) -> String {
    let mut css =
        String::from("/* The sign-in experience's colours (GET /api/sign-in-exp `color`). */\n");
    if let Some(light) = accent_variables(&color.primary, false) {
        css.push_str(&format!(
            ":root[data-theme=\"light\"] {{ {light} }}\n\
             @media (prefers-color-scheme: light) {{ :root:not([data-theme=\"dark\"]) {{ {light} }} }}\n"
        ));
    }
    if color.dark_mode_enabled {
        if let Some(dark) = accent_variables(&color.dark_primary, true) {
            css.push_str(&format!(
                ":root[data-theme=\"dark\"] {{ {dark} }}\n\
                 @media (prefers-color-scheme: dark) {{ :root:not([data-theme=\"light\"]) {{ {dark} }} }}\n"
            ));
        }
    }
    css
}

/// The accent custom properties for `#RRGGBB` (the hover shade lighter on dark backgrounds).
fn accent_variables(hex: &str, dark: bool) -> Option<String> {
    let rgb = readable(parse_hex(hex)?, dark);
    let strong = rgb.map(|c| {
        let c = f64::from(c);
        let mixed = if dark {
            c + (255.0 - c) * 0.25
        } else {
            c * 0.82
        };
        mixed.round().clamp(0.0, 255.0) as u8
    });
    let luminance = relative_luminance(rgb);
    let on_dark_text = relative_luminance([0x0b, 0x11, 0x20]);
    let with_white = 1.05 / (luminance + 0.05);
    let with_dark = (luminance + 0.05) / (on_dark_text + 0.05);
    let on_accent = if with_white >= with_dark {
        "#ffffff"
    } else {
        "#0b1120"
    };
    Some(format!(
        "--color-accent: {}; --color-accent-strong: {}; --color-on-accent: {on_accent};",
        to_hex(rgb),
        to_hex(strong)
    ))
}

/// WCAG AA contrast for normal text.
const TEXT_CONTRAST: f64 = 4.5;

/// `rgb`, mixed toward black (light theme) or white (dark theme) in small steps until it has
/// [`TEXT_CONTRAST`] against the theme's lightest (light) or lightest dark (dark) background
/// (`style/main.css`: surface #ffffff; surface #111a2e).
fn readable(rgb: [u8; 3], dark: bool) -> [u8; 3] {
    let background = relative_luminance(if dark {
        [0x11, 0x1a, 0x2e]
    } else {
        [0xff, 0xff, 0xff]
    });
    let contrast = |color: [u8; 3]| {
        let luminance = relative_luminance(color);
        let (high, low) = if luminance > background {
            (luminance, background)
        } else {
            (background, luminance)
        };
        (high + 0.05) / (low + 0.05)
    };
    let target = if dark { 255.0 } else { 0.0 };
    let mut shade = rgb;
    for step in 1..=20 {
        if contrast(shade) >= TEXT_CONTRAST {
            break;
        }
        let amount = f64::from(step) * 0.05;
        shade = rgb.map(|c| {
            let c = f64::from(c);
            (c + (target - c) * amount).round().clamp(0.0, 255.0) as u8
        });
    }
    shade
}

fn parse_hex(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#').filter(|d| d.len() == 6)?;
    let channel = |at: usize| u8::from_str_radix(digits.get(at..at + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

fn to_hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// WCAG 2.1 relative luminance.
fn relative_luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
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
.notice { padding: var(--space-3) var(--space-4); border-radius: var(--radius); background: var(--color-surface-muted); }
.field .field__error { color: var(--color-danger); font-size: var(--text-sm); margin: 0; font-weight: 600; }
.auth-card .actions .button { width: auto; }
.error-page__status { color: var(--color-text-muted); margin: 0; }
/* The header on a phone: the name wraps instead of pushing the page sideways. */
.site-header__inner { min-width: 0; }
.brand { min-width: 0; max-width: 100%; overflow-wrap: anywhere; }
.brand__logo { display: block; height: 2rem; width: auto; max-width: 10rem; object-fit: contain; }
.brand--themed-logo .brand__logo--dark, .brand--dark-logo-only .brand__logo--dark { display: none; }
:root[data-theme="dark"] .brand--themed-logo .brand__logo--light { display: none; }
:root[data-theme="dark"] .brand--themed-logo .brand__logo--dark,
:root[data-theme="dark"] .brand--dark-logo-only .brand__logo--dark { display: block; }
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) .brand--themed-logo .brand__logo--light { display: none; }
  :root:not([data-theme="light"]) .brand--themed-logo .brand__logo--dark,
  :root:not([data-theme="light"]) .brand--dark-logo-only .brand__logo--dark { display: block; }
}
.auth-card { overflow-wrap: anywhere; }
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

    #[test]
    fn a_brand_colour_too_faint_for_text_is_shaded_just_enough() {
        // #0a7cff on white is 4.0:1, short of AA's 4.5:1 for text.
        let faint = parse_hex("#0a7cff").unwrap();
        let shaded = readable(faint, false);
        assert_ne!(shaded, faint);
        let ratio = |a: [u8; 3], b: [u8; 3]| {
            let (x, y) = (relative_luminance(a), relative_luminance(b));
            (x.max(y) + 0.05) / (x.min(y) + 0.05)
        };
        assert!(ratio(shaded, [255, 255, 255]) >= 4.5);
        assert!(
            ratio(shaded, [255, 255, 255]) < 5.5,
            "not darker than needed"
        );
        // Dark theme: a dark navy is lightened against the dark surface.
        let navy = parse_hex("#1a2b3c").unwrap();
        assert!(ratio(readable(navy, true), [0x11, 0x1a, 0x2e]) >= 4.5);
        // A colour already readable is kept as chosen.
        assert_eq!(
            readable(parse_hex("#6139f6").unwrap(), false),
            parse_hex("#6139f6").unwrap()
        );
    }

    #[test]
    fn brand_colours_become_the_accent_with_readable_text_on_it() {
        let css = brand_stylesheet(&BrandColor {
            primary: "#6139F6".to_owned(),
            dark_primary: "#FFE082".to_owned(),
            dark_mode_enabled: true,
        });
        assert!(
            css.contains(":root[data-theme=\"light\"] { --color-accent: #6139f6;"),
            "{css}"
        );
        assert!(css.contains("--color-on-accent: #ffffff;"));
        assert!(css.contains(":root[data-theme=\"dark\"] { --color-accent: #ffe082;"));
        assert!(
            css.contains("--color-on-accent: #0b1120;"),
            "light yellow needs dark text"
        );
        assert!(css.contains("@media (prefers-color-scheme: dark)"));
        let light_only = brand_stylesheet(&BrandColor {
            primary: "#123456".to_owned(),
            dark_primary: "#FFE082".to_owned(),
            dark_mode_enabled: false,
        });
        assert!(
            !light_only.contains("data-theme=\"dark\"] {"),
            "{light_only}"
        );
    }

    #[tokio::test]
    async fn the_context_themes_and_brands_every_page() {
        let context = PageContext {
            theme: Some(UiTheme::Dark),
            app: Some(AppHome {
                name: "Leptos × Logto".to_owned(),
                url: "http://localhost:3000/".to_owned(),
            }),
            branding: Branding {
                logo_url: Some("https://cdn.example/logo.svg".to_owned()),
                dark_logo_url: Some("https://dark.example/logo.svg".to_owned()),
                favicon: None,
                dark_favicon: None,
            },
        };
        let page = with_context(context, async {
            error_page_with(StatusCode::BAD_GATEWAY, "T", "M", Some("/sign-in"))
        })
        .await;
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("img-src 'self' data: https://cdn.example https://dark.example;"),
            "{csp}"
        );
        assert!(!csp.contains("script-src"));
        let html = body(page).await;
        assert!(
            html.contains("<html lang=\"en\" data-theme=\"dark\">"),
            "{html}"
        );
        assert!(html.contains("content=\"dark\""));
        assert!(
            html.contains("<a class=\"brand brand--themed-logo\" href=\"http://localhost:3000/\">")
        );
        assert!(html.contains(
            "class=\"brand__logo brand__logo--dark\" src=\"https://dark.example/logo.svg\""
        ));
        assert!(html.contains("href=\"/sign-in\">Try again</a>"));
        assert!(html.contains("href=\"http://localhost:3000/\">Back to the app</a>"));
        assert!(html.contains("/static/brand.css"));
        // Outside a request: no theme, no app.
        let plain = body(not_found()).await;
        assert!(plain.contains("<html lang=\"en\">"));
        assert!(!plain.contains("Back to the app"));
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
