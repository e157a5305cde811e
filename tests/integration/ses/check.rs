//! The settings page's SES check against a real SES-compatible endpoint (moto with SigV4
//! enforced, and `GetAccount` answering as a new sandboxed account): a verified sender, an
//! unverified one, wrong credentials, an unreachable endpoint, and form values refused before
//! any call.

use super::moto::Moto;
use super::SENDER_ADDRESS;
use leptos_logto::services::ses_check::{SesCheckInput, SesChecker, SesReport};
use leptos_logto::ui_types::FindingLevel;

fn input(moto: &Moto, sender: &str) -> SesCheckInput {
    SesCheckInput {
        access_key_id: moto.key_id.clone(),
        access_key_secret: moto.secret.clone(),
        region: "us-east-1".to_owned(),
        sender: sender.to_owned(),
        ..SesCheckInput::default()
    }
}

fn texts(report: &SesReport, level: FindingLevel) -> Vec<&str> {
    report
        .findings
        .iter()
        .filter(|finding| finding.level == level)
        .map(|finding| finding.text.as_str())
        .collect()
}

#[tokio::test]
async fn a_verified_sender_in_a_sandboxed_account_passes_with_what_to_do_about_the_sandbox() {
    let moto = Moto::start(SENDER_ADDRESS);
    let checker = SesChecker::new(Some(moto.url.clone()));
    let report = checker
        .check(&input(&moto, &format!("Example <{SENDER_ADDRESS}>")))
        .await;
    assert!(!report.has_problems(), "{report:#?}");
    let warnings = texts(&report, FindingLevel::Warning);
    assert!(
        warnings
            .iter()
            .any(|text| text.contains("SES sandbox") && text.contains("request production access")),
        "{report:#?}"
    );
    let good = texts(&report, FindingLevel::Good);
    assert!(
        good.contains(
            &"Sending quota: 200 emails a day (0 sent in the last 24 hours), 1 a second."
        ),
        "{report:#?}"
    );
    assert!(
        good.contains(&"no-reply@example.com is verified for sending in us-east-1."),
        "{report:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|text| text.starts_with("DKIM signing is not set up")),
        "moto's new identity has no DKIM: {report:#?}"
    );
}

#[tokio::test]
async fn an_unverified_sender_is_a_problem_naming_the_address_and_its_domain() {
    let moto = Moto::start(SENDER_ADDRESS);
    let checker = SesChecker::new(Some(moto.url.clone()));
    let report = checker
        .check(&input(&moto, "Someone <someone@unverified.example.org>"))
        .await;
    assert!(report.has_problems());
    assert_eq!(
        texts(&report, FindingLevel::Problem),
        ["Neither someone@unverified.example.org nor its domain unverified.example.org is a verified identity in us-east-1: verify one of them in the SES console (Identities) before sending."]
    );
}

#[tokio::test]
async fn wrong_credentials_are_one_sentence_with_the_detail_kept_apart() {
    let moto = Moto::start(SENDER_ADDRESS);
    let checker = SesChecker::new(Some(moto.url.clone()));
    let mut wrong_secret = input(&moto, SENDER_ADDRESS);
    wrong_secret.access_key_secret = "not-the-secret-of-this-key".to_owned();
    let report = checker.check(&wrong_secret).await;
    let problems = texts(&report, FindingLevel::Problem);
    assert_eq!(
        problems.len(),
        1,
        "the check stops at the first refusal: {report:#?}"
    );
    assert!(
        problems[0].starts_with("The secret access key does not belong to this access key ID"),
        "{report:#?}"
    );
    let detail = report.detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("GetAccount: HTTP 403 SignatureDoesNotMatch: "),
        "{detail}"
    );
    assert!(
        !detail.contains(&moto.secret) && !problems[0].contains("{ "),
        "{report:#?}"
    );

    let mut unknown_key = input(&moto, SENDER_ADDRESS);
    unknown_key.access_key_id = "AKIAZZZZZZZZZZZZZZZZ".to_owned();
    let report = checker.check(&unknown_key).await;
    assert_eq!(
        texts(&report, FindingLevel::Problem),
        ["AWS does not recognise this access key ID: check it, or create a new key in the IAM console."]
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_one_sentence_not_a_debug_dump() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let checker = SesChecker::new(Some(url));
    let report = checker
        .check(&SesCheckInput {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            access_key_secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            region: "eu-west-1".to_owned(),
            sender: SENDER_ADDRESS.to_owned(),
            ..SesCheckInput::default()
        })
        .await;
    assert_eq!(
        texts(&report, FindingLevel::Problem),
        ["AWS SES in eu-west-1 could not be reached: check the region and this server's network access, then try again."]
    );
    let shown: String = report.findings.iter().map(|f| f.text.as_str()).collect();
    assert!(!shown.contains("DispatchFailure") && !shown.contains("ConnectorError"));
    let detail = report.detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("GetAccount: dispatch failure: "),
        "{detail}"
    );
    assert!(
        !detail.contains("{ "),
        "no debug output in the detail: {detail}"
    );
}

#[tokio::test]
async fn values_wrong_on_their_face_are_refused_before_any_call() {
    // No server at all: a call would be a dispatch failure, not these field errors.
    let checker = SesChecker::new(Some("http://127.0.0.1:9".to_owned()));
    let report = checker
        .check(&SesCheckInput {
            access_key_id: "my key".to_owned(),
            access_key_secret: "secret".to_owned(),
            region: "moon-1".to_owned(),
            sender: SENDER_ADDRESS.to_owned(),
            ..SesCheckInput::default()
        })
        .await;
    let fields: Vec<&str> = report
        .field_errors
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(fields, ["ses[region]", "ses[access_key_id]"]);
    assert!(report.findings.is_empty(), "no call was made: {report:#?}");
}
