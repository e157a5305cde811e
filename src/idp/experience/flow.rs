//! The sign-in steps in plain async Rust over `Provider` (no HTTP): find the browser's
//! interaction, submit an address, send or resend a code, check a code, and finish (find or create
//! the account, open the provider session, issue the authorization code redirect) or cancel.
//! A new address creates the account when email sign-up is on. When sign-up is off, an unknown
//! address gets exactly the answers a known one gets (status, page, timing: security.md, as
//! Logto does, logto-compat.md §8) but no mail; the code page then says, for every address alike,
//! that only an existing account gets a code and new accounts can't be created here.
//! `/register` with sign-up off shows the sign-in
//! screen saying so. Codes go out through the stored email connector; whether a new code may be
//! sent at all (send limit, resend wait) is the store's decision (`codes::issue`).
//!
//! Tabs: one browser has one interaction (its cookie); starting a sign-in in another tab
//! replaces it. Each form carries its interaction's tab tag ([`Interaction::tab`]), and a post
//! whose tag is not the live interaction's is refused as [`ExperienceError::Restarted`] before
//! anything is checked or sent, with a link to the newer sign-in's page.
//! Every refusal is an [`ExperienceError`], which renders itself.

use super::codes::{self, Issued, Verification};
use super::error::{ExperienceError, SendForm};
use super::pages::{CodeForm, EmailForm, Screen};
use crate::idp::connectors::{EmailConnector, EmailMessage, UsageType};
use crate::idp::endpoints::authorize::issue_code_redirect;
use crate::idp::protocol::records::{InteractionRecord, SessionRecord, SESSION_TTL};
use crate::idp::random;
use crate::idp::sign_in_experience::{self, EmailAccess};
use crate::idp::store::{Kind, Record};
use crate::idp::users;
use crate::idp::Provider;

/// The interaction a browser is in (named by its interaction cookie), with its storage handle.
pub struct Interaction {
    handle: String,
    record: InteractionRecord,
    expires_at: u64,
}

impl Interaction {
    /// A tag of this interaction for its forms' hidden `interaction` field: derived from the
    /// storage handle (itself a hash of the cookie), so it reveals neither.
    pub fn tab(&self) -> String {
        random::handle_of(&format!("tab:{}", self.handle))
            .chars()
            .take(16)
            .collect()
    }

    /// The client the sign-in is for.
    pub fn client_id(&self) -> &str {
        &self.record.params.client_id
    }

    /// The app's `ui_theme`, if it gave one.
    pub fn theme(&self) -> Option<crate::idp::protocol::records::UiTheme> {
        self.record.params.ui_theme
    }

    /// The page this interaction is at: the code page once an address was entered, else its
    /// first screen.
    pub fn current_page(&self) -> &'static str {
        if self.record.email.is_some() {
            "/sign-in/verify"
        } else if matches!(
            self.record.params.first_screen.as_deref(),
            Some("register" | "identifier:register")
        ) {
            "/register"
        } else {
            "/sign-in"
        }
    }
}

/// Refuses a post whose tab tag (`posted`, the hidden `interaction` field) is not `interaction`'s:
/// its tab belongs to an interaction that a newer one replaced. A post without a tag (an older
/// page) is taken as it is.
pub fn check_tab(interaction: &Interaction, posted: Option<&str>) -> Result<(), ExperienceError> {
    match posted {
        Some(tag) if !tag.is_empty() && tag != interaction.tab() => {
            Err(ExperienceError::Restarted {
                continue_to: interaction.current_page(),
            })
        }
        _ => Ok(()),
    }
}

/// The interaction named by `cookie` (the interaction cookie's value), if it is still live.
pub async fn find(
    provider: &Provider,
    cookie: Option<&str>,
) -> Result<Option<Interaction>, ExperienceError> {
    let Some(id) = cookie else {
        return Ok(None);
    };
    let handle = random::handle_of(id);
    let found = provider
        .store
        .find(Kind::Interaction, &handle, provider.clock.unix_seconds())
        .await?;
    Ok(found.and_then(|record| {
        let expires_at = record.expires_at;
        serde_json::from_value(record.payload)
            .ok()
            .map(|record| Interaction {
                handle,
                record,
                expires_at,
            })
    }))
}

/// Like [`find`], but a missing interaction is [`ExperienceError::Expired`].
pub async fn require(
    provider: &Provider,
    cookie: Option<&str>,
) -> Result<Interaction, ExperienceError> {
    find(provider, cookie)
        .await?
        .ok_or(ExperienceError::Expired)
}

async fn save(provider: &Provider, interaction: &Interaction) -> Result<(), ExperienceError> {
    let payload = serde_json::to_value(&interaction.record).map_err(ExperienceError::internal)?;
    provider
        .store
        .upsert(
            Kind::Interaction,
            &interaction.handle,
            Record::new(payload, interaction.expires_at),
        )
        .await?;
    Ok(())
}

/// What the sign-in experience allows now.
async fn email_access(provider: &Provider) -> Result<EmailAccess, ExperienceError> {
    sign_in_experience::load(provider.store.as_ref())
        .await
        .map(|experience| experience.email_access())
        .map_err(ExperienceError::internal)
}

/// Email access, refusing when email-code sign-in is off.
async fn enabled_access(provider: &Provider) -> Result<EmailAccess, ExperienceError> {
    let access = email_access(provider).await?;
    if access.code_sign_in {
        Ok(access)
    } else {
        Err(ExperienceError::SignInDisabled(access))
    }
}

/// Whether unknown addresses may create accounts (the sign-in experience's `signUp`).
async fn sign_up_enabled(provider: &Provider) -> bool {
    match sign_in_experience::load(provider.store.as_ref()).await {
        Ok(experience) => experience.email_access().sign_up,
        Err(error) => {
            tracing::error!(%error, "cannot read the sign-in experience; treating sign-up as off");
            false
        }
    }
}

/// What `/sign-in` or `/register` shows.
pub enum EmailStep {
    /// The email form, prefilled with the interaction's address or its `login_hint`.
    Form(EmailForm),
    /// Email-code sign-in is off: the explanation instead of the form.
    Disabled(EmailAccess),
}

pub async fn email_step(
    provider: &Provider,
    interaction: &Interaction,
    screen: Screen,
) -> Result<EmailStep, ExperienceError> {
    let access = email_access(provider).await?;
    if !access.code_sign_in {
        return Ok(EmailStep::Disabled(access));
    }
    let record = &interaction.record;
    let email = record
        .email
        .clone()
        .or_else(|| record.params.login_hint.clone())
        .unwrap_or_default();
    // With sign-up off, "Create your account" is the sign-in screen (which says why).
    let screen = if access.sign_up {
        screen
    } else {
        Screen::SignIn
    };
    Ok(EmailStep::Form(EmailForm {
        screen,
        email,
        access,
        tab: interaction.tab(),
    }))
}

/// What `/sign-in/verify` shows: the code form for the interaction's address.
pub async fn code_step(
    provider: &Provider,
    interaction: &Interaction,
) -> Result<CodeForm, ExperienceError> {
    code_form(provider, interaction).await
}

/// The code form for the interaction's address: its countdown from the last send, and the
/// checks left for the current code once one was wrong. No address yet: `NoEmailYet`.
async fn code_form(
    provider: &Provider,
    interaction: &Interaction,
) -> Result<CodeForm, ExperienceError> {
    let email = interaction
        .record
        .email
        .clone()
        .ok_or(ExperienceError::NoEmailYet)?;
    let now = provider.clock.unix_seconds();
    let wait = interaction
        .record
        .last_sent_at
        .map_or(0, |sent| (sent + codes::RESEND_AFTER).saturating_sub(now));
    let attempts_left = provider
        .store
        .find_code(&interaction.handle, now)
        .await?
        .filter(|code| code.consumed_at.is_none() && code.attempts > 0)
        .map(|code| codes::MAX_ATTEMPTS.saturating_sub(code.attempts));
    Ok(CodeForm {
        email,
        wait,
        attempts_left,
        tab: interaction.tab(),
        sign_up_closed: !sign_up_enabled(provider).await,
    })
}

/// The email form was posted with `typed`. `Ok`: go to the code page — a code is on its way, or
/// (the same address again within the resend wait) the earlier code stays valid and nothing is
/// sent; the code page's countdown then shows the wait.
/// `screen`: the form it was posted from, which a refusal shows again.
pub async fn submit_email(
    provider: &Provider,
    mut interaction: Interaction,
    typed: &str,
    screen: Screen,
) -> Result<(), ExperienceError> {
    let access = enabled_access(provider).await?;
    let screen = if access.sign_up {
        screen
    } else {
        Screen::SignIn
    };
    let tab = interaction.tab();
    let form = || EmailForm {
        screen,
        email: typed.to_owned(),
        access,
        tab: tab.clone(),
    };
    let Some(email) = users::normalize_email(typed) else {
        return Err(ExperienceError::InvalidEmail(form()));
    };
    interaction.record.email = Some(email);
    match send_code(provider, &mut interaction, access.sign_up).await? {
        Sent::Delivered => Ok(()),
        Sent::TooSoon { wait } => {
            // As if the earlier code went out `RESEND_AFTER - wait` seconds ago.
            let now = provider.clock.unix_seconds();
            interaction.record.last_sent_at =
                Some((now + wait).saturating_sub(codes::RESEND_AFTER));
            save(provider, &interaction).await
        }
        Sent::RateLimited => Err(ExperienceError::RateLimited(SendForm::Email(form()))),
    }
}

/// The resend button. `Ok`: a new code is on its way (the older one no longer works).
pub async fn resend(
    provider: &Provider,
    mut interaction: Interaction,
) -> Result<(), ExperienceError> {
    let access = enabled_access(provider).await?;
    let sent = send_code(provider, &mut interaction, access.sign_up).await?;
    let mut form = code_form(provider, &interaction).await?;
    match sent {
        Sent::Delivered => Ok(()),
        Sent::TooSoon { wait } => {
            form.wait = wait;
            Err(ExperienceError::ResendTooSoon { wait, form })
        }
        Sent::RateLimited => Err(ExperienceError::RateLimited(SendForm::Code(form))),
    }
}

/// How a send went.
enum Sent {
    /// A new code went out (or, for an address without an account whose sign-up was turned off
    /// after its first code, seemed to).
    Delivered,
    /// Nothing sent: this interaction sent this address a code less than `RESEND_AFTER` seconds
    /// ago (`wait` seconds are left), and that code stays valid. The store's decision.
    TooSoon { wait: u64 },
    /// Nothing sent: the recipient's send limit is reached.
    RateLimited,
}

/// Issues a code for the interaction's address and delivers it through the stored email
/// connector when the address may sign in or sign up. An unknown address with sign-up off is
/// answered identically but gets no mail. Without a working email connector nothing is issued.
async fn send_code(
    provider: &Provider,
    interaction: &mut Interaction,
    sign_up: bool,
) -> Result<Sent, ExperienceError> {
    let Some(email) = interaction.record.email.clone() else {
        return Err(ExperienceError::NoEmailYet);
    };
    let mailer = email_connector(provider).await?;
    let now = provider.clock.unix_seconds();
    let known = provider.store.find_user_by_email(&email).await?.is_some();
    let code = match codes::issue(provider.store.as_ref(), &interaction.handle, &email, now).await?
    {
        Issued::Code(code) => code,
        Issued::TooSoon { wait } => return Ok(Sent::TooSoon { wait }),
        Issued::RateLimited => return Ok(Sent::RateLimited),
    };
    if known || sign_up {
        let usage = if known {
            UsageType::SignIn
        } else {
            UsageType::Register
        };
        let message = EmailMessage {
            to: email,
            usage,
            code,
        };
        if let Err(error) = mailer.send(&message).await {
            return Err(ExperienceError::DeliveryFailed {
                connector: mailer.name(),
                detail: error.to_string(),
            });
        }
    }
    interaction.record.last_sent_at = Some(now);
    save(provider, interaction).await?;
    Ok(Sent::Delivered)
}

/// The stored email connector, or why no code can be sent.
async fn email_connector(provider: &Provider) -> Result<Box<dyn EmailConnector>, ExperienceError> {
    match provider.connectors.email_sender().await {
        Ok(Some(mailer)) => Ok(mailer),
        Ok(None) => Err(ExperienceError::EmailNotConfigured),
        Err(error) => Err(ExperienceError::EmailNotWorking(error.to_string())),
    }
}

/// A typed code without spaces and dashes, when that leaves exactly six ASCII digits.
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The code form was posted with `typed`: a right code finishes the sign-in. Malformed input is
/// refused before the code is checked, so it costs no attempt.
pub async fn submit_code(
    provider: &Provider,
    interaction: Interaction,
    typed: &str,
) -> Result<SignedIn, ExperienceError> {
    let form = code_form(provider, &interaction).await?;
    let Some(code) = normalize_code(typed) else {
        return Err(ExperienceError::MalformedCode(form));
    };
    let now = provider.clock.unix_seconds();
    let outcome = codes::verify(
        provider.store.as_ref(),
        &interaction.handle,
        &form.email,
        &code,
        now,
    )
    .await?;
    match outcome {
        Verification::Verified => finish(provider, interaction, form).await,
        Verification::Wrong { attempts_left } => Err(ExperienceError::WrongCode {
            attempts_left,
            form: CodeForm {
                attempts_left: Some(attempts_left),
                ..form
            },
        }),
        Verification::Expired => Err(ExperienceError::CodeExpired(form)),
        Verification::TooManyAttempts => Err(ExperienceError::TooManyAttempts(form)),
    }
}

/// A finished sign-in: where to send the browser, and the provider session to set.
pub struct SignedIn {
    /// The client's `redirect_uri` with `code`, `state` and `iss`.
    pub location: String,
    /// The provider session's id (the session cookie's value).
    pub session_id: String,
    pub user_id: String,
}

/// The address in `form` is verified: find or create the account, start the provider session,
/// end the interaction, and issue the authorization code for the client.
pub async fn finish(
    provider: &Provider,
    interaction: Interaction,
    form: CodeForm,
) -> Result<SignedIn, ExperienceError> {
    let now = provider.clock.unix_seconds();
    let now_ms = i64::try_from(now).unwrap_or(i64::MAX).saturating_mul(1000);
    let store = provider.store.as_ref();
    let policy = provider.config.admin_policy();
    let may_create = sign_up_enabled(provider).await;
    let Some(user) = users::sign_in(store, &form.email, &policy, may_create, now_ms).await? else {
        // Sign-up was turned off after this address's code was sent.
        return Err(ExperienceError::NoAccount(form));
    };
    let session_id = random::token();
    let session = SessionRecord {
        user_id: user.id.clone(),
        auth_time: now,
    };
    let payload = serde_json::to_value(&session).map_err(ExperienceError::internal)?;
    store
        .upsert(
            Kind::Session,
            &random::handle_of(&session_id),
            Record::new(payload, now + SESSION_TTL),
        )
        .await?;
    if let Err(error) = store.destroy(Kind::Interaction, &interaction.handle).await {
        tracing::warn!(%error, "could not delete a finished interaction");
    }
    let location = issue_code_redirect(provider, &interaction.record.params, &user.id, now)
        .await
        .map_err(|error| ExperienceError::internal(error.description()))?;
    tracing::info!(user = %user.id, "signed in at the provider");
    Ok(SignedIn {
        location,
        session_id,
        user_id: user.id,
    })
}

/// The person gives up: the interaction ends, and the client is to hear `access_denied`.
pub async fn cancel(provider: &Provider, interaction: Interaction) -> InteractionRecord {
    if let Err(error) = provider
        .store
        .destroy(Kind::Interaction, &interaction.handle)
        .await
    {
        tracing::warn!(%error, "could not delete a cancelled interaction");
    }
    interaction.record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_lose_spaces_and_dashes_and_must_be_six_digits() {
        assert_eq!(normalize_code("123456").as_deref(), Some("123456"));
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("1 2-3 4-5 6\t").as_deref(), Some("123456"));
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "abcdef",
            "١٢٣٤٥٦",
            "123_456",
            "+12345",
        ] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }
}
