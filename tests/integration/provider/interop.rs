//! Interop: the standard `openidconnect` crate, knowing nothing of this project, completes
//! discovery, sign-in (the browser part done with plain HTTP), code exchange with ID-token
//! verification, userinfo, refresh and RP-initiated logout against the provider on a real socket.

use crate::fixture::ProviderFixture;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse,
};

const CALLBACK: &str = "http://localhost:9/callback";
const AFTER_LOGOUT: &str = "http://localhost:9/";

async fn start_provider() -> String {
    let socket = crate::fixture::socket().await;
    let base = socket.base_url.clone();
    ProviderFixture::at(&base)
        .web_app(
            "interop",
            "interop secret/with+symbols",
            &[CALLBACK],
            &[AFTER_LOGOUT],
        )
        .serve(socket.listener, |router| router)
        .await;
    base
}

fn set_cookie(response: &reqwest::Response, jar: &mut Vec<String>) {
    for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
        let pair = value
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let name = pair.split('=').next().unwrap().to_owned();
        jar.retain(|c| !c.starts_with(&format!("{name}=")));
        if !pair.ends_with('=') {
            jar.push(pair);
        }
    }
}

#[tokio::test]
async fn the_openidconnect_crate_signs_in_refreshes_and_logs_out() {
    let base = start_provider().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let metadata = ProviderMetadataWithLogout::discover_async(
        IssuerUrl::new(format!("{base}/oidc")).unwrap(),
        &http,
    )
    .await
    .expect("discovery");
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("interop".to_owned()),
        Some(ClientSecret::new("interop secret/with+symbols".to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .add_extra_param("prompt", "consent")
        .set_pkce_challenge(challenge)
        .url();

    // The person's part, in a cookie-keeping "browser".
    let mut jar = Vec::new();
    let start = http.get(auth_url).send().await.unwrap();
    assert_eq!(start.status(), 303);
    set_cookie(&start, &mut jar);
    let email_step = http
        .post(format!("{base}/sign-in/email"))
        .header("cookie", jar.join("; "))
        .header("origin", base.as_str())
        .form(&[("email", "interop@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(email_step.status(), 303);
    let mailbox: serde_json::Value = http
        .get(format!("{base}/dev/mailbox.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subject = mailbox[0]["subject"].as_str().unwrap();
    let code: String = subject.chars().filter(char::is_ascii_digit).collect();
    let verified = http
        .post(format!("{base}/sign-in/verify"))
        .header("cookie", jar.join("; "))
        .header("origin", base.as_str())
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 303);
    let callback = url::Url::parse(verified.headers()["location"].to_str().unwrap()).unwrap();
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(param("iss"), Some(format!("{base}/oidc")));

    // Back in the client: exchange, verify, userinfo, refresh.
    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token verifies");
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("interop@example.com")
    );

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject(), claims.subject());

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );

    let logout = LogoutRequest::from(end_session)
        .set_id_token_hint(id_token)
        .set_client_id(ClientId::new("interop".to_owned()))
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(AFTER_LOGOUT.to_owned()).unwrap())
        .set_state(CsrfToken::new("bye".to_owned()))
        .http_get_url();
    let ended = http
        .get(logout)
        .header("cookie", jar.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 303);
    assert_eq!(
        ended.headers()["location"],
        format!("{AFTER_LOGOUT}?state=bye")
    );
}
