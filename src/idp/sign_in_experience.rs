//! The sign-in experience (Logto's `GET/PATCH /api/sign-in-exp`): stored as the JSON document
//! `sign_in_experience` in Logto's shape, with `signUp` and `signIn` typed and validated by
//! Logto's rules, and read by the sign-in pages as [`EmailAccess`].
//!
//! - Default (first start): passwordless email — `signUp = {identifiers: ["email"],
//!   password: false, verify: true}` and `signIn.methods = [{identifier: "email", password:
//!   false, verificationCode: true, isPasswordPrimary: false}]`.
//! - PATCH replaces each known top-level field it carries (unknown fields are ignored, as Logto's
//!   guard strips them; `id` and `tenantId` cannot change). When `signUp` or `signIn` is in the
//!   patch, the resulting pair is validated (Logto validates `signIn` only against the stored
//!   `signUp` when `signUp` is absent, and does not re-check `signIn` when only `signUp` changes;
//!   checking the merged pair keeps the stored state consistent). A rejected patch changes nothing.
//! - Branding, Logto's shape: `branding` `{logoUrl, darkLogoUrl, favicon, darkFavicon}`, each an
//!   absolute http(s) URL, `null` or absent (unknown keys are dropped, as Logto's guard does);
//!   `color` `{primaryColor, darkPrimaryColor, isDarkModeEnabled}`, all three required (Logto's
//!   guard), colours as `#RRGGBB`. Anything else is `guard.invalid_input` with one zod-like issue
//!   per bad field (`data.issues`, paths such as `["branding", "logoUrl"]`) and stores nothing.
//!   The sign-in pages read them as [`Branding`] and [`BrandColor`].
//! - Passwords: this provider has none. A configuration asking for them is accepted and stored as
//!   Logto would, but the sign-in pages only offer email codes and say that password sign-in is
//!   not available here.

use crate::idp::issues::{self, Issue};
use crate::idp::store::{document_or_insert, update_document, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const DOCUMENT: &str = "sign_in_experience";

/// Top-level fields a PATCH may set (Logto 1.x `sign_in_experiences` columns).
const PATCHABLE: &[&str] = &[
    "color",
    "branding",
    "hideLogtoBranding",
    "languageInfo",
    "termsOfUseUrl",
    "privacyPolicyUrl",
    "agreeToTermsPolicy",
    "signIn",
    "signUp",
    "socialSignIn",
    "socialSignInConnectorTargets",
    "signInMode",
    "customCss",
    "customContent",
    "customUiAssets",
    "passwordPolicy",
    "mfa",
    "adaptiveMfa",
    "singleSignOnEnabled",
    "supportEmail",
    "supportWebsiteUrl",
    "unknownSessionRedirectUrl",
    "captchaPolicy",
    "sentinelPolicy",
    "emailBlocklistPolicy",
    "forgotPasswordMethods",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Identifier {
    Username,
    Email,
    Phone,
}

/// A secondary sign-up identifier may also be `emailOrPhone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecondaryIdentifierKind {
    Username,
    Email,
    Phone,
    EmailOrPhone,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondaryIdentifier {
    pub identifier: SecondaryIdentifierKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    pub identifiers: Vec<Identifier>,
    pub password: bool,
    pub verify: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_identifiers: Option<Vec<SecondaryIdentifier>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInMethod {
    pub identifier: Identifier,
    pub password: bool,
    pub verification_code: bool,
    pub is_password_primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub methods: Vec<SignInMethod>,
}

/// The whole document plus its typed `signUp` and `signIn`.
#[derive(Clone, Debug, PartialEq)]
pub struct SignInExperience {
    document: Map<String, Value>,
    pub sign_up: SignUp,
    pub sign_in: SignIn,
}

/// A rule broken, as Logto's error code (`sign_in_experiences.*` or `guard.invalid_input`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExperienceError {
    #[error("Enabled Email connector not found.")]
    EmailConnectorNotFound,
    #[error("Must enable verify for email/phone sign up identifier.")]
    PasswordlessRequiresVerify,
    #[error(
        "Verification code sign in must be enabled when set a password is not required in sign up."
    )]
    CodeSignInMustBeEnabled,
    #[error("You have to select at least one authentication factor.")]
    AtLeastOneAuthenticationFactor,
    #[error("Primary sign-up identifier cannot be empty.")]
    MissingSignUpIdentifiers,
    #[error("Duplicated sign-up identifiers detected.")]
    DuplicatedSignUpIdentifiers,
    #[error("Phone sign-up and sign-in need an SMS connector, which this provider does not have.")]
    SmsConnectorNotFound,
    /// The body does not have the expected shape; the message says where.
    #[error("{0}")]
    InvalidInput(String),
    /// Fields of the wrong form (branding, colours), one issue per field.
    #[error("{}", issues::summary(.0))]
    InvalidFields(Vec<Issue>),
}

impl ExperienceError {
    pub fn code(&self) -> &'static str {
        match self {
            ExperienceError::EmailConnectorNotFound | ExperienceError::SmsConnectorNotFound => {
                "sign_in_experiences.enabled_connector_not_found"
            }
            ExperienceError::PasswordlessRequiresVerify => {
                "sign_in_experiences.passwordless_requires_verify"
            }
            ExperienceError::CodeSignInMustBeEnabled => {
                "sign_in_experiences.code_sign_in_must_be_enabled"
            }
            ExperienceError::AtLeastOneAuthenticationFactor => {
                "sign_in_experiences.at_least_one_authentication_factor"
            }
            ExperienceError::MissingSignUpIdentifiers => {
                "sign_in_experiences.missing_sign_up_identifiers"
            }
            ExperienceError::DuplicatedSignUpIdentifiers => {
                "sign_in_experiences.duplicated_sign_up_identifiers"
            }
            ExperienceError::InvalidInput(_) | ExperienceError::InvalidFields(_) => {
                "guard.invalid_input"
            }
        }
    }

    /// Logto's extra detail: the connector type that is missing.
    pub fn data(&self) -> Option<Value> {
        match self {
            ExperienceError::EmailConnectorNotFound => Some(json!({ "type": "Email" })),
            ExperienceError::SmsConnectorNotFound => Some(json!({ "type": "Sms" })),
            ExperienceError::InvalidFields(found) => Some(issues::data(found)),
            _ => None,
        }
    }
}

/// Logto's stored defaults, with passwordless email sign-up and sign-in.
fn default_document() -> Map<String, Value> {
    let value = json!({
        "tenantId": "default",
        "id": "default",
        "color": {"primaryColor": "#6139F6", "isDarkModeEnabled": false, "darkPrimaryColor": "#8768F8"},
        "branding": {},
        "hideLogtoBranding": false,
        "languageInfo": {"autoDetect": true, "fallbackLanguage": "en"},
        "termsOfUseUrl": null,
        "privacyPolicyUrl": null,
        "agreeToTermsPolicy": "Automatic",
        "signUp": {"identifiers": ["email"], "password": false, "verify": true},
        "signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": true, "isPasswordPrimary": false}]},
        "socialSignIn": {},
        "socialSignInConnectorTargets": [],
        "signInMode": "SignInAndRegister",
        "customCss": null,
        "customContent": {},
        "customUiAssets": null,
        "passwordPolicy": {},
        "mfa": {"factors": [], "policy": "UserControlled"},
        "singleSignOnEnabled": false,
        "supportEmail": null,
        "supportWebsiteUrl": null,
        "unknownSessionRedirectUrl": null,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn typed<T: serde::de::DeserializeOwned>(
    document: &Map<String, Value>,
    field: &str,
) -> Result<T, ExperienceError> {
    let value = document.get(field).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|error| ExperienceError::InvalidInput(format!("`{field}` is invalid: {error}")))
}

impl SignInExperience {
    fn from_document(document: Map<String, Value>) -> Result<Self, ExperienceError> {
        Ok(Self {
            sign_up: typed(&document, "signUp")?,
            sign_in: typed(&document, "signIn")?,
            document,
        })
    }

    pub fn default_experience() -> Self {
        let document = default_document();
        Self::from_document(document.clone()).unwrap_or(Self {
            document,
            sign_up: SignUp {
                identifiers: vec![Identifier::Email],
                password: false,
                verify: true,
                secondary_identifiers: None,
            },
            sign_in: SignIn {
                methods: vec![SignInMethod {
                    identifier: Identifier::Email,
                    password: false,
                    verification_code: true,
                    is_password_primary: false,
                }],
            },
        })
    }

    /// The document as the API returns it.
    pub fn to_json(&self) -> Value {
        Value::Object(self.document.clone())
    }

    /// This experience with `patch` applied (not yet validated). Shape errors are `InvalidInput`.
    pub fn patched(&self, patch: &Value) -> Result<Self, ExperienceError> {
        let patch = patch.as_object().ok_or_else(|| {
            ExperienceError::InvalidInput("the body must be a JSON object".to_owned())
        })?;
        let mut document = self.document.clone();
        let mut found = Vec::new();
        for (key, value) in patch {
            if !PATCHABLE.contains(&key.as_str()) {
                continue;
            }
            let value = match key.as_str() {
                "branding" => check_branding(value, &mut found),
                "color" => check_color(value, &mut found),
                _ => value.clone(),
            };
            document.insert(key.clone(), value);
        }
        if !found.is_empty() {
            return Err(ExperienceError::InvalidFields(found));
        }
        Self::from_document(document)
    }

    /// The logos and favicons to show (stored values that are not http(s) URLs are ignored).
    pub fn branding(&self) -> Branding {
        let field = |key: &str| {
            self.document
                .get("branding")
                .and_then(|branding| branding.get(key))
                .and_then(Value::as_str)
                .filter(|url| http_url(url))
                .map(str::to_owned)
        };
        Branding {
            logo_url: field("logoUrl"),
            dark_logo_url: field("darkLogoUrl"),
            favicon: field("favicon"),
            dark_favicon: field("darkFavicon"),
        }
    }

    /// The brand colours (Logto's defaults for stored values of the wrong form).
    pub fn color(&self) -> BrandColor {
        let color = self.document.get("color");
        let hex = |key: &str, default: &str| {
            color
                .and_then(|color| color.get(key))
                .and_then(Value::as_str)
                .filter(|value| hex_color(value))
                .unwrap_or(default)
                .to_owned()
        };
        BrandColor {
            primary: hex("primaryColor", DEFAULT_PRIMARY),
            dark_primary: hex("darkPrimaryColor", DEFAULT_DARK_PRIMARY),
            dark_mode_enabled: color
                .and_then(|color| color.get("isDarkModeEnabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// Whether `patch` touches the sign-up or sign-in rules (and so must be validated).
    pub fn patch_changes_rules(patch: &Value) -> bool {
        patch.get("signUp").is_some() || patch.get("signIn").is_some()
    }

    /// Logto's `validateSignUp` then `validateSignIn`.
    pub fn validate(&self, email_connector: bool) -> Result<(), ExperienceError> {
        validate_sign_up(&self.sign_up, email_connector)?;
        validate_sign_in(&self.sign_in, &self.sign_up, email_connector)
    }

    /// What the sign-in pages offer.
    pub fn email_access(&self) -> EmailAccess {
        let email_method = self
            .sign_in
            .methods
            .iter()
            .find(|method| method.identifier == Identifier::Email);
        let secondary_email = self
            .sign_up
            .secondary_identifiers
            .iter()
            .flatten()
            .any(|s| {
                matches!(
                    s.identifier,
                    SecondaryIdentifierKind::Email | SecondaryIdentifierKind::EmailOrPhone
                )
            });
        EmailAccess {
            code_sign_in: email_method.is_some_and(|method| method.verification_code),
            sign_up: self.sign_up.identifiers.contains(&Identifier::Email) || secondary_email,
            password_configured: self.sign_up.password
                || self.sign_in.methods.iter().any(|method| method.password),
        }
    }
}

const DEFAULT_PRIMARY: &str = "#6139F6";
const DEFAULT_DARK_PRIMARY: &str = "#8768F8";
const BRANDING_FIELDS: [&str; 4] = ["logoUrl", "darkLogoUrl", "favicon", "darkFavicon"];

/// The sign-in experience's logos and favicons: absolute http(s) URLs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branding {
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub favicon: Option<String>,
    pub dark_favicon: Option<String>,
}

impl Branding {
    /// The origins the images come from (for the pages' CSP `img-src`).
    pub fn image_origins(&self) -> Vec<String> {
        [
            &self.logo_url,
            &self.dark_logo_url,
            &self.favicon,
            &self.dark_favicon,
        ]
        .into_iter()
        .flatten()
        .filter_map(|url| url::Url::parse(url).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect()
    }
}

/// The brand colours, `#RRGGBB`. The dark one applies in the dark theme only when
/// `dark_mode_enabled` (Logto's `isDarkModeEnabled`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandColor {
    pub primary: String,
    pub dark_primary: String,
    pub dark_mode_enabled: bool,
}

/// An absolute `http:` or `https:` URL with a host.
fn http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// `#RRGGBB`.
fn hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// `branding` as stored (known fields only), noting each bad field in `found`.
fn check_branding(value: &Value, found: &mut Vec<Issue>) -> Value {
    let Some(object) = value.as_object() else {
        found.push(Issue::at(
            "branding",
            issues::code::INVALID_TYPE,
            "`branding` must be an object",
        ));
        return Value::Null;
    };
    let mut kept = Map::new();
    for key in BRANDING_FIELDS {
        match object.get(key) {
            None => {}
            Some(Value::Null) => {
                kept.insert(key.to_owned(), Value::Null);
            }
            Some(Value::String(url)) if http_url(url) => {
                kept.insert(key.to_owned(), Value::from(url.as_str()));
            }
            Some(_) => found.push(Issue::new(
                vec![json!("branding"), json!(key)],
                issues::code::INVALID_STRING,
                format!("`branding.{key}` must be an http(s) URL"),
            )),
        }
    }
    Value::Object(kept)
}

/// `color` as stored (the three known fields), noting each bad field in `found`.
fn check_color(value: &Value, found: &mut Vec<Issue>) -> Value {
    let Some(object) = value.as_object() else {
        found.push(Issue::at(
            "color",
            issues::code::INVALID_TYPE,
            "`color` must be an object",
        ));
        return Value::Null;
    };
    let mut kept = Map::new();
    for key in ["primaryColor", "darkPrimaryColor"] {
        match object.get(key) {
            Some(Value::String(hex)) if hex_color(hex) => {
                kept.insert(key.to_owned(), Value::from(hex.as_str()));
            }
            None => found.push(Issue::new(
                vec![json!("color"), json!(key)],
                issues::code::INVALID_TYPE,
                format!("`color.{key}` is required"),
            )),
            Some(_) => found.push(Issue::new(
                vec![json!("color"), json!(key)],
                issues::code::INVALID_STRING,
                format!("`color.{key}` must be a colour like #1A2B3C"),
            )),
        }
    }
    match object.get("isDarkModeEnabled") {
        Some(Value::Bool(enabled)) => {
            kept.insert("isDarkModeEnabled".to_owned(), Value::Bool(*enabled));
        }
        _ => found.push(Issue::new(
            vec![json!("color"), json!("isDarkModeEnabled")],
            issues::code::INVALID_TYPE,
            "`color.isDarkModeEnabled` must be true or false",
        )),
    }
    Value::Object(kept)
}

/// What the provider's sign-in pages allow, from the sign-in experience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmailAccess {
    /// Signing in with an email verification code is on.
    pub code_sign_in: bool,
    /// An unknown address may create an account.
    pub sign_up: bool,
    /// The experience asks for passwords somewhere (not available at this provider).
    pub password_configured: bool,
}

fn validate_sign_up(sign_up: &SignUp, email_connector: bool) -> Result<(), ExperienceError> {
    let secondary = sign_up.secondary_identifiers.as_deref().unwrap_or_default();
    if !secondary.is_empty() && sign_up.identifiers.is_empty() {
        return Err(ExperienceError::MissingSignUpIdentifiers);
    }
    check_unique_identifiers(&sign_up.identifiers, secondary)?;
    let non_username_primary = sign_up
        .identifiers
        .iter()
        .any(|id| *id != Identifier::Username);
    let non_username_secondary = secondary
        .iter()
        .any(|s| s.identifier != SecondaryIdentifierKind::Username);
    if (non_username_primary || non_username_secondary) && !sign_up.verify {
        return Err(ExperienceError::PasswordlessRequiresVerify);
    }
    if secondary
        .iter()
        .any(|s| s.identifier != SecondaryIdentifierKind::Username && s.verify != Some(true))
    {
        return Err(ExperienceError::PasswordlessRequiresVerify);
    }
    let uses = |primary: Identifier, kinds: &[SecondaryIdentifierKind]| {
        sign_up.identifiers.contains(&primary)
            || secondary.iter().any(|s| kinds.contains(&s.identifier))
    };
    use SecondaryIdentifierKind as K;
    if uses(Identifier::Email, &[K::Email, K::EmailOrPhone]) && !email_connector {
        return Err(ExperienceError::EmailConnectorNotFound);
    }
    if uses(Identifier::Phone, &[K::Phone, K::EmailOrPhone]) {
        return Err(ExperienceError::SmsConnectorNotFound);
    }
    Ok(())
}

fn check_unique_identifiers(
    primary: &[Identifier],
    secondary: &[SecondaryIdentifier],
) -> Result<(), ExperienceError> {
    let primary_set: std::collections::HashSet<_> = primary.iter().collect();
    let secondary_set: std::collections::HashSet<_> =
        secondary.iter().map(|s| s.identifier).collect();
    if primary_set.len() != primary.len() || secondary_set.len() != secondary.len() {
        return Err(ExperienceError::DuplicatedSignUpIdentifiers);
    }
    let clashes = secondary_set.iter().any(|kind| match kind {
        SecondaryIdentifierKind::EmailOrPhone => {
            primary_set.contains(&Identifier::Email) || primary_set.contains(&Identifier::Phone)
        }
        SecondaryIdentifierKind::Username => primary_set.contains(&Identifier::Username),
        SecondaryIdentifierKind::Email => primary_set.contains(&Identifier::Email),
        SecondaryIdentifierKind::Phone => primary_set.contains(&Identifier::Phone),
    });
    if clashes {
        return Err(ExperienceError::DuplicatedSignUpIdentifiers);
    }
    Ok(())
}

fn validate_sign_in(
    sign_in: &SignIn,
    sign_up: &SignUp,
    email_connector: bool,
) -> Result<(), ExperienceError> {
    let by_code = |identifier: Identifier| {
        sign_in
            .methods
            .iter()
            .any(|m| m.verification_code && m.identifier == identifier)
    };
    if by_code(Identifier::Email) && !email_connector {
        return Err(ExperienceError::EmailConnectorNotFound);
    }
    if by_code(Identifier::Phone) {
        return Err(ExperienceError::SmsConnectorNotFound);
    }
    if !sign_in
        .methods
        .iter()
        .all(|m| m.password || m.verification_code)
    {
        return Err(ExperienceError::AtLeastOneAuthenticationFactor);
    }
    if sign_up.verify
        && !sign_up.password
        && !sign_in
            .methods
            .iter()
            .all(|m| m.verification_code || m.identifier == Identifier::Username)
    {
        return Err(ExperienceError::CodeSignInMustBeEnabled);
    }
    Ok(())
}

/// The stored experience; the default when none is stored. A stored document lacking fields
/// (e.g. only `signUp`) gets the defaults for the others.
pub async fn load(store: &dyn Store) -> Result<SignInExperience, LoadError> {
    from_stored(store.get_document(DOCUMENT).await?)
}

fn from_stored(stored: Option<Value>) -> Result<SignInExperience, LoadError> {
    let Some(stored) = stored else {
        return Ok(SignInExperience::default_experience());
    };
    let Value::Object(stored) = stored else {
        return Err(LoadError::Corrupt("not a JSON object".to_owned()));
    };
    let mut document = default_document();
    document.extend(stored);
    SignInExperience::from_document(document).map_err(|error| LoadError::Corrupt(error.to_string()))
}

/// Applies a Management API `PATCH` as one compare-and-swap of the stored document, so two
/// admins saving at once both land (each on top of the other) and a rejected patch stores
/// nothing. `email_connector`: whether an email connector exists, for Logto's rules.
pub async fn patch(
    store: &dyn Store,
    patch: &Value,
    email_connector: bool,
) -> Result<SignInExperience, PatchError> {
    let written = update_document(store, DOCUMENT, |stored| {
        let next = from_stored(stored)?.patched(patch)?;
        if SignInExperience::patch_changes_rules(patch) {
            next.validate(email_connector)?;
        }
        Ok::<_, PatchError>(next.to_json())
    })
    .await?;
    Ok(from_stored(Some(written))?)
}

/// On first start, stores the default experience.
pub async fn seed(store: &dyn Store) -> Result<(), StoreError> {
    document_or_insert(store, DOCUMENT, || {
        SignInExperience::default_experience().to_json()
    })
    .await
    .map(drop)
}

/// Why a [`patch`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Rule(#[from] ExperienceError),
}

impl From<StoreError> for PatchError {
    fn from(error: StoreError) -> Self {
        PatchError::Load(LoadError::Store(error))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored sign-in experience is unreadable: {0}")]
    Corrupt(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experience() -> SignInExperience {
        SignInExperience::default_experience()
    }

    fn with(patch: &Value) -> Result<(), ExperienceError> {
        experience().patched(patch)?.validate(true)
    }

    #[test]
    fn the_default_is_passwordless_email() {
        let access = experience().email_access();
        assert!(access.code_sign_in && access.sign_up && !access.password_configured);
        assert_eq!(experience().validate(true), Ok(()));
        assert_eq!(
            experience().validate(false),
            Err(ExperienceError::EmailConnectorNotFound)
        );
        assert_eq!(experience().to_json()["signUp"]["identifiers"][0], "email");
    }

    #[test]
    fn logto_rules_are_enforced() {
        let no_verify =
            json!({"signUp": {"identifiers": ["email"], "password": false, "verify": false}});
        assert_eq!(
            with(&no_verify),
            Err(ExperienceError::PasswordlessRequiresVerify)
        );
        let code_off = json!({"signIn": {"methods": [{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}]}});
        assert_eq!(
            with(&code_off),
            Err(ExperienceError::CodeSignInMustBeEnabled)
        );
        let nothing = json!({"signIn": {"methods": [{"identifier": "email", "password": false, "verificationCode": false, "isPasswordPrimary": false}]}});
        assert_eq!(
            with(&nothing),
            Err(ExperienceError::AtLeastOneAuthenticationFactor)
        );
        let duplicated = json!({"signUp": {"identifiers": ["email", "email"], "password": false, "verify": true}});
        assert_eq!(
            with(&duplicated),
            Err(ExperienceError::DuplicatedSignUpIdentifiers)
        );
        let missing = json!({"signUp": {"identifiers": [], "password": false, "verify": true, "secondaryIdentifiers": [{"identifier": "email", "verify": true}]}});
        assert_eq!(
            with(&missing),
            Err(ExperienceError::MissingSignUpIdentifiers)
        );
        let passwords = json!({
            "signUp": {"identifiers": ["email"], "password": true, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}]},
        });
        assert_eq!(with(&passwords), Ok(()));
        let access = experience().patched(&passwords).unwrap().email_access();
        assert!(!access.code_sign_in && access.password_configured);
    }

    #[test]
    fn branding_and_colours_are_checked_field_by_field() {
        let good = json!({
            "branding": {"logoUrl": "https://cdn.example/logo.svg", "darkLogoUrl": null,
                         "favicon": "http://cdn.example/f.ico", "extra": 1},
            "color": {"primaryColor": "#1a2B3c", "darkPrimaryColor": "#FFFFFF", "isDarkModeEnabled": true},
        });
        let patched = experience().patched(&good).unwrap();
        assert_eq!(
            patched.to_json()["branding"],
            json!({"logoUrl": "https://cdn.example/logo.svg", "darkLogoUrl": null, "favicon": "http://cdn.example/f.ico"})
        );
        assert_eq!(
            patched.branding(),
            Branding {
                logo_url: Some("https://cdn.example/logo.svg".to_owned()),
                dark_logo_url: None,
                favicon: Some("http://cdn.example/f.ico".to_owned()),
                dark_favicon: None,
            }
        );
        assert_eq!(
            patched.branding().image_origins(),
            ["https://cdn.example", "http://cdn.example"]
        );
        assert_eq!(patched.color().primary, "#1a2B3c");
        assert!(patched.color().dark_mode_enabled);

        let bad = json!({
            "branding": {"logoUrl": "javascript:alert(1)", "favicon": 3, "darkFavicon": ""},
            "color": {"primaryColor": "red", "isDarkModeEnabled": "yes"},
        });
        let Err(ExperienceError::InvalidFields(found)) = experience().patched(&bad) else {
            panic!("bad branding accepted");
        };
        let paths: Vec<Value> = found.iter().map(|issue| json!(issue.path)).collect();
        assert_eq!(
            paths,
            [
                json!(["branding", "logoUrl"]),
                json!(["branding", "favicon"]),
                json!(["branding", "darkFavicon"]),
                json!(["color", "primaryColor"]),
                json!(["color", "darkPrimaryColor"]),
                json!(["color", "isDarkModeEnabled"]),
            ]
        );
        assert_eq!(experience().color().primary, DEFAULT_PRIMARY);
        assert_eq!(experience().branding(), Branding::default());
    }

    #[test]
    fn patches_replace_known_fields_only() {
        let patched = experience()
            .patched(&json!({"customCss": "a{}", "id": "other", "bogus": 1}))
            .unwrap();
        let json = patched.to_json();
        assert_eq!(json["customCss"], "a{}");
        assert_eq!(json["id"], "default");
        assert!(json.get("bogus").is_none());
        assert!(matches!(
            experience().patched(&json!({"signUp": {"identifiers": ["fax"]}})),
            Err(ExperienceError::InvalidInput(_))
        ));
        assert!(matches!(
            experience().patched(&json!([])),
            Err(ExperienceError::InvalidInput(_))
        ));
    }
}
