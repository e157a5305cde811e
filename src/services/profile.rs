//! What the header, the home page and the profile page show of the signed-in person, built from
//! their verified claims and (for the profile) the userinfo endpoint. Rendered per request; only
//! the userinfo answer is cached, in [`AuthService::userinfo`].

use super::sign_in::{AuthService, SignedIn, UserinfoAnswer};
use crate::auth::ADMIN_ROLE;
use crate::ui_types::{ProfileData, SessionSummary, UserView};

/// The person as pages show them.
pub fn user_view(signed_in: &SignedIn) -> UserView {
    let user = &signed_in.user;
    UserView {
        id: user.sub.clone(),
        display_name: user.display_name().to_owned(),
        email: user.email.clone(),
        is_admin: user.has_role(ADMIN_ROLE),
    }
}

/// Who is signed in, as every page's header and the home page show it.
pub fn summary(
    auth: &AuthService,
    signed_in: Option<&SignedIn>,
    sign_up_open: bool,
) -> SessionSummary {
    SessionSummary {
        user: signed_in.map(user_view),
        mailbox_url: auth.mailbox_url.clone(),
        sign_up_open,
    }
}

/// The profile page's data: claims, userinfo (or why it could not be fetched), lifetimes.
pub fn profile(auth: &AuthService, signed_in: &SignedIn, userinfo: UserinfoAnswer) -> ProfileData {
    let tokens = &signed_in.tokens;
    let userinfo = match userinfo {
        Ok(value) => match value.as_ref() {
            serde_json::Value::Object(claims) => Ok(claim_pairs(claims)),
            _ => Err("The sign-in service returned unreadable user information.".to_owned()),
        },
        // Logged where it failed, with how long it is held back.
        Err(error) => Err(error.user_message().to_owned()),
    };
    let settings = auth.session_settings();
    ProfileData {
        user: user_view(signed_in),
        claims: claim_pairs(&tokens.claims.all),
        userinfo,
        userinfo_max_age_secs: auth.userinfo_max_age().as_secs(),
        access_token_expires_at: tokens.access_token_expires_at,
        session_idle_timeout_secs: settings.idle_timeout.as_secs(),
        session_absolute_lifetime_secs: settings.absolute_lifetime.as_secs(),
    }
}

/// Claims as sorted (name, value) pairs; strings shown without quotes.
fn claim_pairs(claims: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = claims
        .iter()
        .map(|(name, value)| {
            let shown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), shown)
        })
        .collect();
    pairs.sort();
    pairs
}
