//! Driving a router in-process with `oneshot`, as a browser would: a reply read in full, a cookie
//! jar that sends and keeps cookies, form posts that say where they come from (`Origin` and
//! `Sec-Fetch-Site`, as browsers send them), and form bodies. Shared by the provider and
//! Management API harnesses.

use axum::body::Body;
use axum::Router;
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::HashMap;
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    /// A query parameter of the Location header.
    pub fn location_param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.location()).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Asserts a Logto error body and returns it.
    pub fn error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        let body = self.json();
        assert_eq!(body["code"], code, "{}", self.body);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        body
    }
}

/// The provider's origin in the in-process harnesses.
pub const PROVIDER_ORIGIN: &str = "http://127.0.0.1:3001";

/// Cookies of one browser, and the origin of the pages it posts forms from.
#[derive(Clone)]
pub struct Browser {
    cookies: HashMap<String, String>,
    /// `None`: posts carry no `Origin` nor `Sec-Fetch-Site` (a script with a cookie jar).
    origin: Option<String>,
}

impl Default for Browser {
    /// A browser on the provider's pages.
    fn default() -> Self {
        Self {
            cookies: HashMap::new(),
            origin: Some(PROVIDER_ORIGIN.to_owned()),
        }
    }
}

impl Browser {
    /// The same cookies, but posts that say nothing about where they come from.
    pub fn without_origin(&self) -> Self {
        Self {
            cookies: self.cookies.clone(),
            origin: None,
        }
    }

    /// What a browser adds to a same-origin form post the caller did not already describe.
    fn describe_post(&self, request: &mut Request<Body>) {
        let Some(origin) = &self.origin else { return };
        let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD);
        let headers = request.headers_mut();
        if unsafe_method
            && !headers.contains_key(header::ORIGIN)
            && !headers.contains_key("sec-fetch-site")
        {
            headers.insert(header::ORIGIN, origin.parse().unwrap());
            headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        }
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Sends `request` through `router`, with and into `browser`'s cookies when there is one; a form
/// post from a browser also gets the browser's `Origin` and `Sec-Fetch-Site: same-origin` unless
/// the caller set either.
pub async fn send(
    router: &Router,
    browser: Option<&mut Browser>,
    mut request: Request<Body>,
) -> Reply {
    if let Some(browser) = &browser {
        browser.describe_post(&mut request);
        if !browser.cookies.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, browser.header().parse().unwrap());
        }
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    if let Some(browser) = browser {
        browser.absorb(&parts.headers);
    }
    let bytes = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
