//! One request's view of the use cases: the [`Services`], the request's session, and who is signed
//! in — worked out at most once per request however many parts of a page ask ([`Visit::person`]),
//! like what a page shows ([`Visit::prepare_page`]).
//! Every server function and sign-in route is one call on a `Visit`; the web layer builds one per
//! request and keeps it in the request's extensions. Failures come back as [`AppError`]s.

use super::failure::app_error;
use super::settings::{self, SettingsService};
use super::sign_in::SignedIn;
use super::{profile, Services};
use crate::auth::{AuthError, CallbackParams, ADMIN_ROLE};
use crate::ui_types::{
    AppError, BrandingSettings, Outcome, PageData, ProfileData, SesForm, SessionSummary,
    SettingsData, SignInSettings,
};
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower_sessions::Session;
use url::Url;

/// An answer worked out at most once per request.
type Memo<T> = Arc<OnceCell<Result<T, AppError>>>;

/// The use cases for one request. Cheap to clone; clones share the memos of who is signed in and
/// of what the page shows.
#[derive(Clone)]
pub struct Visit {
    services: Arc<Services>,
    session: Session,
    person: Arc<OnceCell<Option<SignedIn>>>,
    summary: Memo<SessionSummary>,
    profile: Memo<ProfileData>,
    settings: Memo<SettingsData>,
    /// The colour theme the person chose (`light`, `dark`), passed on to the provider's pages.
    ui_theme: Option<&'static str>,
}

impl Visit {
    pub fn new(services: Arc<Services>, session: Session) -> Self {
        Self {
            services,
            session,
            person: Arc::default(),
            summary: Arc::default(),
            profile: Arc::default(),
            settings: Arc::default(),
            ui_theme: None,
        }
    }

    /// The colour theme the person chose, for the provider's pages.
    pub fn with_ui_theme(mut self, theme: Option<&'static str>) -> Self {
        self.ui_theme = theme;
        self
    }

    /// Whether the provider lets new people create an account (for "Create account" links).
    pub async fn sign_up_open(&self) -> bool {
        self.services.auth.sign_up_open().await
    }

    /// Who is signed in, if anyone: timeouts enforced and tokens refreshed when due, once per
    /// request.
    pub async fn person(&self) -> Result<Option<SignedIn>, AppError> {
        self.person
            .get_or_try_init(|| self.services.auth.current(&self.session))
            .await
            .cloned()
            .map_err(|error| app_error(&error))
    }

    /// The signed-in person, or [`AppError::SignedOut`].
    pub async fn signed_in(&self) -> Result<SignedIn, AppError> {
        self.person().await?.ok_or(AppError::SignedOut)
    }

    /// The signed-in administrator, or [`AppError::SignedOut`] / [`AppError::AdminsOnly`].
    pub async fn admin(&self) -> Result<SignedIn, AppError> {
        let person = self.signed_in().await?;
        if person.user.has_role(ADMIN_ROLE) {
            Ok(person)
        } else {
            tracing::warn!(user = %person.user.sub, "non-admin refused the settings");
            Err(AppError::AdminsOnly)
        }
    }

    /// Who is signed in, as every page's header and the home page show it; worked out once per
    /// request.
    pub async fn summary(&self) -> Result<SessionSummary, AppError> {
        self.summary
            .get_or_init(|| async {
                let person = self.person().await?;
                let sign_up_open = person.is_none() && self.sign_up_open().await;
                Ok(profile::summary(
                    &self.services.auth,
                    person.as_ref(),
                    sign_up_open,
                ))
            })
            .await
            .clone()
    }

    /// [`Self::summary`] if it has been worked out already (the guard does so before a page
    /// renders), without waiting.
    pub fn summary_worked_out(&self) -> Option<Result<SessionSummary, AppError>> {
        self.summary.get().cloned()
    }

    /// Works out, before a page renders, what it shows: who is signed in (every page's header)
    /// and the page's own `data`, so that the render reads them without waiting.
    pub async fn prepare_page(&self, data: PageData) {
        let _summary = self.summary().await;
        match data {
            PageData::None => {}
            PageData::Profile => drop(self.profile().await),
            PageData::Settings => drop(self.settings().await),
        }
    }

    /// The profile page's data, worked out once per request.
    pub async fn profile(&self) -> Result<ProfileData, AppError> {
        self.profile
            .get_or_init(|| async {
                let person = self.signed_in().await?;
                let (person, userinfo) = self
                    .services
                    .auth
                    .userinfo_for_page(&self.session, person)
                    .await
                    .map_err(|error| app_error(&error))?;
                Ok(profile::profile(&self.services.auth, &person, userinfo))
            })
            .await
            .clone()
    }

    /// [`Self::profile`] if it has been worked out already, without waiting.
    pub fn profile_worked_out(&self) -> Option<Result<ProfileData, AppError>> {
        self.profile.get().cloned()
    }

    /// The provider URL that starts a sign-in (or sign-up) coming back to `return_to`.
    pub async fn begin_sign_in(
        &self,
        return_to: Option<&str>,
        register: bool,
    ) -> Result<Url, AuthError> {
        self.services
            .auth
            .begin(&self.session, return_to, register, self.ui_theme)
            .await
    }

    /// [`Self::begin_sign_in`] for server functions.
    pub async fn sign_in_url(
        &self,
        return_to: Option<&str>,
        register: bool,
    ) -> Result<Url, AppError> {
        self.begin_sign_in(return_to, register)
            .await
            .map_err(|error| app_error(&error))
    }

    /// Finishes a sign-in at the callback; where to go next.
    pub async fn finish_sign_in(&self, params: &CallbackParams) -> Result<String, AuthError> {
        self.services.auth.finish(&self.session, params).await
    }

    /// Refreshes the tokens now; the new access-token expiry (Unix seconds).
    pub async fn refresh(&self) -> Result<u64, AppError> {
        self.signed_in().await?;
        match self.services.auth.refresh_now(&self.session).await {
            Ok(Some(tokens)) => Ok(tokens.access_token_expires_at),
            Ok(None) => Err(AppError::SignedOut),
            Err(error) => Err(app_error(&error)),
        }
    }

    /// Signs out here and at the provider; the provider's end-session URL.
    pub async fn sign_out(&self) -> Result<Url, AppError> {
        self.services
            .auth
            .sign_out(&self.session)
            .await
            .map_err(|error| app_error(&error))
    }

    /// The sign-in experience settings (administrators only), loaded once per request.
    pub async fn settings(&self) -> Result<SettingsData, AppError> {
        self.settings
            .get_or_init(|| async {
                let service = self.settings_service().await?;
                service.load().await.map_err(|e| settings::app_error(&e))
            })
            .await
            .clone()
    }

    /// [`Self::settings`] if they have been loaded already, without waiting.
    pub fn settings_worked_out(&self) -> Option<Result<SettingsData, AppError>> {
        self.settings.get().cloned()
    }

    /// Saves the email connector, runs the SES check, or sends a test email through the unsaved
    /// form.
    pub async fn submit_email(
        &self,
        intent: &str,
        factory: &str,
        test_address: Option<&str>,
        confirm: Option<&str>,
        form: &SesForm,
    ) -> Result<Outcome, AppError> {
        let service = self.settings_service().await?;
        let submission = settings::EmailSubmission {
            intent,
            factory,
            test_address,
            confirm,
            form,
        };
        service
            .submit_email(&submission)
            .await
            .map_err(|e| settings::app_error(&e))
    }

    /// Saves the sign-in pages' branding.
    pub async fn save_branding(&self, form: &BrandingSettings) -> Result<Outcome, AppError> {
        let service = self.settings_service().await?;
        service
            .save_branding(form)
            .await
            .map_err(|e| settings::app_error(&e))
    }

    /// Saves the sign-up and sign-in methods.
    pub async fn save_sign_in(&self, methods: &SignInSettings) -> Result<Outcome, AppError> {
        let service = self.settings_service().await?;
        let outcome = service
            .save_sign_in(methods)
            .await
            .map_err(|e| settings::app_error(&e))?;
        if outcome.ok {
            self.services.auth.forget_sign_up_policy().await;
        }
        Ok(outcome)
    }

    async fn settings_service(&self) -> Result<&SettingsService, AppError> {
        self.admin().await?;
        self.services
            .settings
            .as_ref()
            .ok_or(AppError::ManagementNotConfigured)
    }
}
