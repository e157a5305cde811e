//! Accounts at the provider: find or create by email, and who is an administrator (addresses in
//! `PROVIDER_ADMIN_EMAILS`; otherwise, in development, the first account created, and in
//! production whoever redeems the one-time setup link).

use super::random;
use super::store::{Store, StoreError, User};

pub const ADMIN_ROLE: &str = "admin";

/// Lower-cases and checks an address typed by a person; `None` when it is not plausible.
pub fn normalize_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(|c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    plausible.then_some(email)
}

/// Who becomes an administrator when an account is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminPolicy {
    /// These lower-cased addresses (`PROVIDER_ADMIN_EMAILS`); nobody else.
    Listed(Vec<String>),
    /// The first account created (development default when no address is listed).
    FirstAccount,
    /// Nobody automatically: the first administrator redeems the setup link (production).
    SetupLink,
}

/// The account for a verified `email` (normalised), its sign-in recorded: the existing one, or a
/// new one when `may_create` (sign-up is on). `None`: unknown address and sign-up off.
///
/// Each step is one atomic store operation: two tabs finishing sign-up for one address at once
/// get the same single account, and of two first accounts created at once only one can be the
/// administrator ([`AdminPolicy::FirstAccount`]).
pub async fn sign_in(
    store: &dyn Store,
    email: &str,
    policy: &AdminPolicy,
    may_create: bool,
    now_ms: i64,
) -> Result<Option<User>, StoreError> {
    let listed_admin =
        matches!(policy, AdminPolicy::Listed(emails) if emails.iter().any(|a| a == email));
    let existing = match store.find_user_by_email(email).await? {
        Some(user) => user,
        None if may_create => {
            let first_account_roles = match policy {
                AdminPolicy::FirstAccount => vec![ADMIN_ROLE.to_owned()],
                AdminPolicy::Listed(_) | AdminPolicy::SetupLink => Vec::new(),
            };
            let candidate = new_account(email, listed_admin, now_ms);
            let (user, created) = store
                .create_user_if_absent(&candidate, &first_account_roles)
                .await?;
            if created && user.roles.iter().any(|role| role == ADMIN_ROLE) && !listed_admin {
                tracing::info!(user = %user.id, "first account created: it has the admin role (set PROVIDER_ADMIN_EMAILS to choose admins)");
            }
            user
        }
        None => return Ok(None),
    };
    let add_role = listed_admin.then_some(ADMIN_ROLE);
    store.record_sign_in(&existing.id, now_ms, add_role).await
}

/// A new account for `email`, an administrator when its address is listed.
fn new_account(email: &str, admin: bool, now_ms: i64) -> User {
    User {
        id: random::user_id(),
        primary_email: Some(email.to_owned()),
        username: None,
        name: None,
        avatar: None,
        roles: if admin {
            vec![ADMIN_ROLE.to_owned()]
        } else {
            Vec::new()
        },
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
        last_sign_in_at_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalize_email("  Ada@Example.COM "),
            Some("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa mple.com",
            "<a@b.c>",
            "a@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
