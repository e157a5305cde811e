//! Claims per scope, as Logto issues them (logto-compat.md §3): `profile` → name, username,
//! picture, created_at, updated_at (epoch milliseconds); `email` → email, email_verified;
//! `roles` → roles. Used for ID tokens and the userinfo endpoint alike.

use crate::idp::store::User;
use serde_json::{Map, Value};

pub fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), Value::from(user.id.clone()));
    if has("profile") {
        claims.insert(
            "name".to_owned(),
            user.name.clone().map_or(Value::Null, Value::from),
        );
        claims.insert(
            "username".to_owned(),
            user.username.clone().map_or(Value::Null, Value::from),
        );
        claims.insert(
            "picture".to_owned(),
            user.avatar.clone().map_or(Value::Null, Value::from),
        );
        claims.insert("created_at".to_owned(), Value::from(user.created_at_ms));
        claims.insert("updated_at".to_owned(), Value::from(user.updated_at_ms));
    }
    if has("email") {
        claims.insert(
            "email".to_owned(),
            user.primary_email.clone().map_or(Value::Null, Value::from),
        );
        claims.insert(
            "email_verified".to_owned(),
            Value::from(user.primary_email.is_some()),
        );
    }
    if has("roles") {
        claims.insert("roles".to_owned(), Value::from(user.roles.clone()));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_the_scopes() {
        let user = User {
            id: "abc123def456".to_owned(),
            primary_email: Some("a@example.com".to_owned()),
            username: None,
            name: None,
            avatar: None,
            roles: vec!["admin".to_owned()],
            created_at_ms: 1,
            updated_at_ms: 2,
            last_sign_in_at_ms: None,
        };
        let base = user_claims(&user, &["openid".to_owned()]);
        assert_eq!(base.len(), 1);
        let all = user_claims(
            &user,
            &[
                "openid".into(),
                "profile".into(),
                "email".into(),
                "roles".into(),
            ],
        );
        assert_eq!(all["email"], "a@example.com");
        assert_eq!(all["email_verified"], true);
        assert_eq!(all["roles"][0], "admin");
        assert_eq!(all["created_at"], 1);
        assert!(all["name"].is_null());
    }
}
