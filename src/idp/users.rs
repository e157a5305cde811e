//! Accounts at the provider: find or create by email, and who is an administrator (addresses in
//! `PROVIDER_ADMIN_EMAILS`, or, when none is configured, the first account created).

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
pub async fn sign_in(
    store: &dyn Store,
    email: &str,
    policy: &AdminPolicy,
    may_create: bool,
    now_ms: i64,
) -> Result<Option<User>, StoreError> {
    let admins: Vec<String> = match policy {
        AdminPolicy::Listed(emails) => emails.clone(),
        _ => Vec::new(),
    };
    let user = match store.find_user_by_email(email).await? {
        Some(user) => user,
        // With the setup link nobody is an administrator by being first.
        None if may_create => {
            let first_is_admin = *policy == AdminPolicy::FirstAccount;
            create(store, email, &admins, first_is_admin, now_ms).await?
        }
        None => return Ok(None),
    };
    record_sign_in(store, user, &admins, now_ms).await.map(Some)
}

/// Creates the account for `email` (already normalised), choosing its roles: admin when listed,
/// or, with no address listed and `first_is_admin`, when it is the first account.
pub async fn create(
    store: &dyn Store,
    email: &str,
    admin_emails: &[String],
    first_is_admin: bool,
    now_ms: i64,
) -> Result<User, StoreError> {
    let admin = if admin_emails.is_empty() {
        first_is_admin && store.count_users().await? == 0
    } else {
        admin_emails.iter().any(|a| a == email)
    };
    let user = User {
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
    };
    store.create_user(&user).await?;
    if admin && admin_emails.is_empty() {
        tracing::info!(user = %user.id, "first account created: it has the admin role (set PROVIDER_ADMIN_EMAILS to choose admins)");
    }
    Ok(user)
}

/// Records a sign-in, and grants `admin` to a configured address that lacks it.
pub async fn record_sign_in(
    store: &dyn Store,
    mut user: User,
    admin_emails: &[String],
    now_ms: i64,
) -> Result<User, StoreError> {
    let configured_admin = user
        .primary_email
        .as_ref()
        .is_some_and(|email| admin_emails.iter().any(|a| a == email));
    if configured_admin && !user.roles.iter().any(|r| r == ADMIN_ROLE) {
        user.roles.push(ADMIN_ROLE.to_owned());
        user.updated_at_ms = now_ms;
    }
    user.last_sign_in_at_ms = Some(now_ms);
    store.update_user(&user).await?;
    Ok(user)
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
