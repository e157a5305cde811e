//! `/oidc/token` (RFC 6749 §3.2): parses the form once — the client's credentials and a typed
//! [`TokenRequest`], each parameter at most once — hands both to the grant dispatcher
//! ([`crate::idp::protocol::grants`]) and renders its answer: the token response with
//! `Cache-Control: no-store` (RFC 6749 §5.1), or the error in both of Logto's shapes.

use super::client_auth;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::grants::{self, TokenRequest};
use crate::idp::protocol::issuance::TokenResponse;
use crate::idp::Provider;
use axum::extract::{RawForm, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

type Form = Vec<(String, String)>;

pub async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form: Form = url::form_urlencoded::parse(&body).into_owned().collect();
    match exchange(&provider, &headers, &form).await {
        Ok(response) => render(response),
        Err(error) => error.into_response(),
    }
}

async fn exchange(
    provider: &Provider,
    headers: &HeaderMap,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    let credentials = client_auth::credentials(headers, form)?;
    let request = parse(form)?;
    grants::dispatch(provider, &credentials, request).await
}

fn render(response: TokenResponse) -> Response {
    let mut response = Json(response).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The typed request of the form's `grant_type`.
fn parse(form: &Form) -> Result<TokenRequest, OAuthError> {
    match single(form, "grant_type")? {
        Some("authorization_code") => Ok(TokenRequest::AuthorizationCode {
            code: required(form, "code")?,
            redirect_uri: required(form, "redirect_uri")?,
            code_verifier: required(form, "code_verifier")?,
            resource: optional(form, "resource")?,
        }),
        Some("refresh_token") => Ok(TokenRequest::RefreshToken {
            refresh_token: required(form, "refresh_token")?,
            scope: scopes(form)?,
            resource: optional(form, "resource")?,
        }),
        Some("client_credentials") => Ok(TokenRequest::ClientCredentials {
            resource: optional(form, "resource")?,
            scope: scopes(form)?,
        }),
        Some(_) => Err(OAuthError::UnsupportedGrantType(
            "unsupported grant_type".to_owned(),
        )),
        None => Err(OAuthError::InvalidRequest(
            "missing required parameter 'grant_type'".to_owned(),
        )),
    }
}

/// The parameter's one non-empty value; a repeated parameter is `invalid_request`.
fn single<'f>(form: &'f Form, name: &str) -> Result<Option<&'f str>, OAuthError> {
    let mut values = form
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(OAuthError::InvalidRequest(format!(
            "'{name}' parameter must only be provided once"
        )));
    }
    Ok(first.filter(|value| !value.is_empty()))
}

fn optional(form: &Form, name: &str) -> Result<Option<String>, OAuthError> {
    Ok(single(form, name)?.map(str::to_owned))
}

fn required(form: &Form, name: &str) -> Result<String, OAuthError> {
    single(form, name)?
        .map(str::to_owned)
        .ok_or_else(|| OAuthError::InvalidRequest(format!("missing required parameter '{name}'")))
}

/// `scope` split into its words (RFC 6749 §3.3).
fn scopes(form: &Form) -> Result<Option<Vec<String>>, OAuthError> {
    Ok(single(form, "scope")?.map(|text| {
        text.split(' ')
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_grant_parses_into_its_variant() {
        assert_eq!(
            parse(&form(&[
                ("grant_type", "authorization_code"),
                ("code", "c"),
                ("redirect_uri", "https://a.example/cb"),
                ("code_verifier", "v"),
            ])),
            Ok(TokenRequest::AuthorizationCode {
                code: "c".to_owned(),
                redirect_uri: "https://a.example/cb".to_owned(),
                code_verifier: "v".to_owned(),
                resource: None,
            })
        );
        assert_eq!(
            parse(&form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "r"),
                ("scope", "openid  email"),
                ("resource", "https://api.example.com"),
            ])),
            Ok(TokenRequest::RefreshToken {
                refresh_token: "r".to_owned(),
                scope: Some(vec!["openid".to_owned(), "email".to_owned()]),
                resource: Some("https://api.example.com".to_owned()),
            })
        );
        assert_eq!(
            parse(&form(&[
                ("grant_type", "client_credentials"),
                ("scope", "")
            ])),
            Ok(TokenRequest::ClientCredentials {
                resource: None,
                scope: None,
            })
        );
    }

    #[test]
    fn missing_repeated_and_unknown_parameters_are_refused() {
        let code = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("grant_type", "authorization_code"),
                ("code", "c"),
                ("redirect_uri", "https://a.example/cb"),
                ("code_verifier", "v"),
            ];
            pairs.extend_from_slice(extra);
            parse(&form(&pairs)).map_err(|error| error.error_code())
        };
        assert_eq!(code(&[("code", "d")]), Err("invalid_request"));
        assert_eq!(
            code(&[("resource", "https://a"), ("resource", "https://b")]),
            Err("invalid_request")
        );
        assert_eq!(
            parse(&form(&[("grant_type", "authorization_code")])).map_err(|e| e.error_code()),
            Err("invalid_request")
        );
        assert_eq!(
            parse(&form(&[("grant_type", "password")])).map_err(|e| e.error_code()),
            Err("unsupported_grant_type")
        );
        assert_eq!(
            parse(&form(&[])).map_err(|e| e.error_code()),
            Err("invalid_request")
        );
    }
}
