//! The origin policy for every state-changing request (form posts, server functions): the one
//! rule the app's CSRF guard and the provider's sign-in forms both apply. For a non-GET request:
//!
//! 1. `Sec-Fetch-Site: cross-site` or `same-site` → refused, whatever `Origin` says;
//! 2. otherwise an `Origin` header must equal our origin exactly (`null`, another scheme, host or
//!    port, and look-alikes such as `http://127.0.0.1:3001.evil.example` are refused);
//! 3. without `Origin`, the request is allowed only with `Sec-Fetch-Site: same-origin`;
//! 4. with neither header it is refused (a browser always sends one of them on a form post, so
//!    this only refuses scripts and very old browsers, which then cannot prove where they came from).
//!
//! The functions are pure; callers decide which methods are state-changing and what a refusal
//! looks like (the app answers a plain 403, the provider its "Request refused" page).

use http::header::ORIGIN;
use http::HeaderMap;

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `Sec-Fetch-Site` says another site (or a sibling subdomain) made the request.
    CrossSite,
    /// `Origin` names another origin.
    ForeignOrigin,
    /// Neither `Origin` nor `Sec-Fetch-Site: same-origin`: nothing shows the request is ours.
    Unproven,
}

impl Refusal {
    /// A short reason for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossSite => "cross-site fetch",
            Self::ForeignOrigin => "foreign Origin",
            Self::Unproven => "neither Origin nor Sec-Fetch-Site",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule itself: `ours` is our origin (`scheme://host[:port]`, no trailing slash), `origin`
/// and `fetch_site` the request's `Origin` and `Sec-Fetch-Site` values when present.
pub fn check(ours: &str, origin: Option<&str>, fetch_site: Option<&str>) -> Result<(), Refusal> {
    match (origin, fetch_site) {
        (_, Some("cross-site" | "same-site")) => Err(Refusal::CrossSite),
        (Some(sent), _) if sent == ours => Ok(()),
        (Some(_), _) => Err(Refusal::ForeignOrigin),
        (None, Some("same-origin")) => Ok(()),
        (None, _) => Err(Refusal::Unproven),
    }
}

/// [`check`] over a request's headers (a header that is not visible ASCII counts as absent for
/// `Sec-Fetch-Site` and as foreign for `Origin`).
pub fn check_headers(ours: &str, headers: &HeaderMap) -> Result<(), Refusal> {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok());
    match headers.get(ORIGIN).map(|value| value.to_str()) {
        Some(Err(_)) => check(ours, Some(""), fetch_site),
        Some(Ok(origin)) => check(ours, Some(origin), fetch_site),
        None => check(ours, None, fetch_site),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "http://127.0.0.1:3001";

    #[test]
    fn the_rule_as_a_table() {
        use Refusal::*;
        // (Origin, Sec-Fetch-Site, verdict)
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Result<(), Refusal>,
        );
        let table: &[Case] = &[
            // Origin equal to ours.
            (Some(OURS), None, Ok(())),
            (Some(OURS), Some("same-origin"), Ok(())),
            (Some(OURS), Some("none"), Ok(())),
            (Some(OURS), Some("cross-site"), Err(CrossSite)),
            (Some(OURS), Some("same-site"), Err(CrossSite)),
            // Another origin, or a look-alike.
            (Some("https://evil.example"), None, Err(ForeignOrigin)),
            (
                Some("https://evil.example"),
                Some("same-origin"),
                Err(ForeignOrigin),
            ),
            (
                Some("https://evil.example"),
                Some("cross-site"),
                Err(CrossSite),
            ),
            (
                Some("http://127.0.0.1:3001.evil.example"),
                None,
                Err(ForeignOrigin),
            ),
            (Some("http://127.0.0.1:3002"), None, Err(ForeignOrigin)),
            (Some("https://127.0.0.1:3001"), None, Err(ForeignOrigin)),
            (Some("http://127.0.0.1:3001/"), None, Err(ForeignOrigin)),
            (Some("http://127.0.0.1"), None, Err(ForeignOrigin)),
            (Some("HTTP://127.0.0.1:3001"), None, Err(ForeignOrigin)),
            (Some("null"), None, Err(ForeignOrigin)),
            (Some("null"), Some("same-origin"), Err(ForeignOrigin)),
            (Some(""), None, Err(ForeignOrigin)),
            // No Origin: only an explicit same-origin fetch.
            (None, Some("same-origin"), Ok(())),
            (None, Some("cross-site"), Err(CrossSite)),
            (None, Some("same-site"), Err(CrossSite)),
            (None, Some("none"), Err(Unproven)),
            (None, Some("bogus"), Err(Unproven)),
            (None, None, Err(Unproven)),
        ];
        for (origin, fetch_site, expected) in table {
            assert_eq!(
                check(OURS, *origin, *fetch_site),
                *expected,
                "Origin {origin:?}, Sec-Fetch-Site {fetch_site:?}"
            );
        }
    }

    #[test]
    fn headers_are_read_as_the_rule_expects() {
        let mut headers = HeaderMap::new();
        assert_eq!(check_headers(OURS, &headers), Err(Refusal::Unproven));
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert_eq!(check_headers(OURS, &headers), Ok(()));
        headers.insert(ORIGIN, "https://evil.example".parse().unwrap());
        assert_eq!(check_headers(OURS, &headers), Err(Refusal::ForeignOrigin));
        headers.insert(ORIGIN, OURS.parse().unwrap());
        assert_eq!(check_headers(OURS, &headers), Ok(()));
        headers.insert(
            ORIGIN,
            http::HeaderValue::from_bytes(b"http://127.0.0.1:3001\xff").unwrap(),
        );
        assert_eq!(check_headers(OURS, &headers), Err(Refusal::ForeignOrigin));
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        headers.insert(ORIGIN, OURS.parse().unwrap());
        assert_eq!(check_headers(OURS, &headers), Err(Refusal::CrossSite));
    }
}
