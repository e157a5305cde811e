//! The settings page's email use cases over the Management API of a served embedded provider,
//! with moto as SES for both the provider's test sends and the app's SES check: the factories
//! offered, the active connector by name, nothing replaced or saved before the person confirms,
//! and a stored secret that needs no new check when nothing that it signs for changed.

use super::moto::Moto;
use super::SENDER_ADDRESS;
use crate::fixture::{socket, ProviderFixture};
use leptos_logto::clock::SystemClock;
use leptos_logto::config::M2mCredentials;
use leptos_logto::management::ManagementClient;
use leptos_logto::secret::Secret;
use leptos_logto::services::settings::{default_ses_form, EmailSubmission, SettingsService};
use leptos_logto::ui_types::{Outcome, SecretStorage, SesForm};
use std::sync::Arc;
use std::time::Duration;

async fn service(moto: &Moto) -> SettingsService {
    let socket = socket().await;
    let base = socket.base_url.clone();
    ProviderFixture::at(&base)
        .machine_app("m2m", "m2m-secret")
        .ses_endpoint(Some(moto.url.clone()))
        .serve(socket.listener, |router| router)
        .await;
    let client = ManagementClient::new(
        &url::Url::parse(&base).unwrap(),
        M2mCredentials {
            app_id: "m2m".to_owned(),
            app_secret: Secret::new("m2m-secret"),
        },
        Duration::from_secs(10),
        Arc::new(SystemClock),
    )
    .unwrap();
    SettingsService::new(client, SecretStorage::Encrypted).with_ses_endpoint(Some(moto.url.clone()))
}

fn ses_form(moto: &Moto, sender: &str) -> SesForm {
    let mut form = default_ses_form();
    form.access_key_id = moto.key_id.clone();
    form.access_key_secret = moto.secret.clone();
    form.region = "us-east-1".to_owned();
    form.email_address = sender.to_owned();
    form
}

async fn save(service: &SettingsService, factory: &str, form: &SesForm, confirm: &str) -> Outcome {
    service
        .submit_email(&EmailSubmission {
            intent: "save",
            factory,
            test_address: None,
            confirm: Some(confirm),
            form,
        })
        .await
        .unwrap()
}

async fn active_factory(service: &SettingsService) -> String {
    let settings = service.load().await.unwrap();
    settings.email.active.map(|a| a.factory).unwrap_or_default()
}

#[tokio::test]
async fn the_provider_s_factories_are_offered_and_the_active_connector_is_named() {
    let moto = Moto::start(SENDER_ADDRESS);
    let service = service(&moto).await;
    let settings = service.load().await.unwrap();
    let offered: Vec<&str> = settings
        .email
        .choices
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(offered, ["aws-ses-mail", "dev-mailbox"]);
    let active = settings
        .email
        .active
        .expect("a development provider starts with its mailbox");
    assert_eq!(active.factory, "dev-mailbox");
    assert_eq!(active.name, "Development mailbox");
    assert_eq!(settings.email.secret_storage, SecretStorage::Encrypted);
}

#[tokio::test]
async fn nothing_is_replaced_or_kept_unchecked_before_the_person_confirms() {
    let moto = Moto::start(SENDER_ADDRESS);
    let service = service(&moto).await;
    let unverified = ses_form(&moto, "Someone <someone@unverified.example.org>");

    let asked = save(&service, "aws-ses-mail", &unverified, "").await;
    let confirm = asked.confirm.expect("replacing the mailbox is asked first");
    assert_eq!(confirm.value, "replace");
    assert!(asked
        .message
        .starts_with("Development mailbox is the active email connector"));
    assert_eq!(active_factory(&service).await, "dev-mailbox");

    let checked = save(&service, "aws-ses-mail", &unverified, "replace").await;
    assert!(!checked.ok);
    assert!(checked
        .message
        .starts_with("The SES check found problems, so nothing was saved"));
    assert!(checked
        .findings
        .iter()
        .any(|f| f.text.contains("someone@unverified.example.org")));
    assert_eq!(
        checked.confirm.expect("saving anyway is offered").value,
        "replace unchecked"
    );
    assert_eq!(active_factory(&service).await, "dev-mailbox");

    let saved = save(&service, "aws-ses-mail", &unverified, "replace unchecked").await;
    assert!(saved.ok, "{saved:?}");
    assert_eq!(active_factory(&service).await, "aws-ses-mail");
}

#[tokio::test]
async fn a_checked_save_goes_through_and_an_unchanged_stored_secret_needs_no_new_check() {
    let moto = Moto::start(SENDER_ADDRESS);
    let service = service(&moto).await;
    let form = ses_form(&moto, &format!("Example <{SENDER_ADDRESS}>"));
    let saved = save(&service, "aws-ses-mail", &form, "replace").await;
    assert!(saved.ok, "{saved:?}");
    assert!(
        saved
            .findings
            .iter()
            .any(|f| f.text.contains("SES sandbox")),
        "{saved:?}"
    );

    let stored = service.load().await.unwrap();
    assert!(stored.email.secret_set);
    assert_eq!(
        stored.email.ses.access_key_secret, "",
        "the secret never comes back"
    );
    let mut edited = stored.email.ses.clone();
    edited.templates[0].subject = "Your new sign-up code: {{code}}".to_owned();
    let again = save(&service, "aws-ses-mail", &edited, "").await;
    assert!(again.ok && again.confirm.is_none(), "{again:?}");
    assert!(
        again.findings.is_empty(),
        "no check without the secret: {again:?}"
    );

    // Back to the mailbox: the SES connector is named before it is removed.
    let asked = save(&service, "dev-mailbox", &SesForm::default(), "").await;
    assert!(
        asked
            .message
            .contains("AWS Direct Mail is the active email connector"),
        "{asked:?}"
    );
    let switched = save(&service, "dev-mailbox", &SesForm::default(), "replace").await;
    assert!(switched.ok, "{switched:?}");
    assert_eq!(active_factory(&service).await, "dev-mailbox");
}
