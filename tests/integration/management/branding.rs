//! Branding in Logto's shape (`branding`, `color` of `PATCH /api/sign-in-exp`): validated field
//! by field (400 `guard.invalid_input` with `data.issues`, nothing stored), returned by `GET`,
//! and shown on the sign-in pages — the logo (light and dark), the favicon, the brand colour as
//! the accent from `/static/brand.css` — plus the public `GET /api/.well-known/sign-in-exp`.

use super::harness::*;
use http::{header, Method, StatusCode};
use serde_json::{json, Value};

fn branding() -> Value {
    json!({
        "branding": {
            "logoUrl": "https://cdn.example/logo.svg",
            "darkLogoUrl": "https://cdn.example/logo-dark.svg",
            "favicon": "https://icons.example/favicon.ico",
            "darkFavicon": null,
        },
        "color": {"primaryColor": "#0F766E", "darkPrimaryColor": "#5EEAD4", "isDarkModeEnabled": true},
    })
}

#[tokio::test]
async fn branding_and_colours_are_stored_and_returned_in_logtos_shape() {
    let api = Api::new().await;
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&branding()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let stored = api.sign_in_exp().await;
    assert_eq!(stored["branding"], branding()["branding"]);
    assert_eq!(stored["color"], branding()["color"]);
    // The rest is untouched.
    assert_eq!(stored["signUp"]["identifiers"], json!(["email"]));

    // Clearing a logo with null.
    let cleared = json!({"branding": {"logoUrl": null}});
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&cleared))
        .await;
    assert_eq!(
        api.sign_in_exp().await["branding"],
        json!({"logoUrl": null})
    );
}

#[tokio::test]
async fn invalid_branding_is_a_logto_400_naming_each_field_and_changes_nothing() {
    let api = Api::new().await;
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&branding()))
        .await;
    let before = api.sign_in_exp().await;
    let bad = json!({
        "branding": {"logoUrl": "ftp://cdn.example/logo.svg", "darkLogoUrl": "not a url", "favicon": 5},
        "color": {"primaryColor": "#12345", "darkPrimaryColor": "#ABCDEF", "isDarkModeEnabled": "no"},
        "signUp": {"identifiers": [], "password": false, "verify": true},
    });
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&bad))
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, "guard.invalid_input");
    let paths: Vec<Value> = error["data"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            assert!(issue["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(issue["code"].as_str().is_some());
            issue["path"].clone()
        })
        .collect();
    assert_eq!(
        paths,
        [
            json!(["branding", "logoUrl"]),
            json!(["branding", "darkLogoUrl"]),
            json!(["branding", "favicon"]),
            json!(["color", "primaryColor"]),
            json!(["color", "isDarkModeEnabled"]),
        ]
    );
    assert_eq!(
        api.sign_in_exp().await,
        before,
        "nothing changed, not even signUp"
    );

    let not_an_object = json!({"color": "teal"});
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&not_an_object))
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, "guard.invalid_input");
    assert_eq!(error["data"]["issues"][0]["path"], json!(["color"]));
}

#[tokio::test]
async fn the_sign_in_pages_show_the_logo_favicon_and_brand_colour() {
    let api = Api::new().await;
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&branding()))
        .await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert!(page.body.contains(&format!("<h1>Sign in to {APP_ID}</h1>")));
    assert!(page.body.contains(
        "<img class=\"brand__logo brand__logo--light\" src=\"https://cdn.example/logo.svg\" alt=\"\">"
    ), "{}", page.body);
    assert!(page.body.contains(
        "<img class=\"brand__logo brand__logo--dark\" src=\"https://cdn.example/logo-dark.svg\" alt=\"\">"
    ));
    assert!(page
        .body
        .contains("<link rel=\"icon\" href=\"https://icons.example/favicon.ico\">"));
    assert!(page
        .body
        .contains("<a class=\"brand brand--themed-logo\" href=\"http://localhost:3000/\">"));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.example https://icons.example;"),
        "{csp}"
    );
    assert!(csp.contains("style-src 'self'"));
    assert!(!page.body.contains("style="), "no inline styles");

    let css = api.get_page(&mut browser, "/static/brand.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CACHE_CONTROL], "no-cache");
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(
        css.body.contains("--color-accent: #0f766e;"),
        "{}",
        css.body
    );
    assert!(
        css.body.contains("--color-accent: #5eead4;"),
        "{}",
        css.body
    );

    // A new colour shows at once (no stale stylesheet).
    let teal_off = json!({"color": {"primaryColor": "#7C2D12", "darkPrimaryColor": "#5EEAD4", "isDarkModeEnabled": false}});
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&teal_off))
        .await;
    let css = api.get_page(&mut browser, "/static/brand.css").await;
    assert!(css.body.contains("--color-accent: #7c2d12;"));
    assert!(
        !css.body.contains("#5eead4"),
        "dark mode off: the dark theme keeps the app's accent"
    );
}

#[tokio::test]
async fn the_public_well_known_sign_in_experience_needs_no_token() {
    let api = Api::new().await;
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&branding()))
        .await;
    let reply = api
        .call(Method::GET, "/api/.well-known/sign-in-exp", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-cache");
    let document = reply.json();
    assert_eq!(document["signUp"]["identifiers"], json!(["email"]));
    assert_eq!(
        document["signIn"]["methods"][0]["verificationCode"],
        json!(true)
    );
    assert_eq!(document["branding"], branding()["branding"]);
    assert_eq!(document["color"], branding()["color"]);
    assert_eq!(document["socialConnectors"], json!([]));
    assert!(
        !reply.body.contains("accessKey"),
        "no connector config in it"
    );

    // It follows the settings: sign-up off shows at once.
    let off = json!({"signUp": {"identifiers": [], "password": false, "verify": true}});
    api.admin(Method::PATCH, "/api/sign-in-exp", Some(&off))
        .await;
    let document = api
        .call(Method::GET, "/api/.well-known/sign-in-exp", None, None)
        .await
        .json();
    assert_eq!(document["signUp"]["identifiers"], json!([]));
    // The rest of the API still needs a token.
    let reply = api.call(Method::GET, "/api/sign-in-exp", None, None).await;
    reply.error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
}
