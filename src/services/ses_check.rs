//! The SES check the settings page runs before saving (and on its own button): with the
//! credentials in the form, the app server asks SES about the account (`GetAccount`: sandbox or
//! production, quota, whether sending is enabled) and the sender (`GetEmailIdentity` for the
//! address, then its domain: verified, DKIM), and says what it found in plain language, with what
//! to do about each problem. Before any call, the form is checked on its own: the region against
//! SES's regions, the access key id's format, the ARNs' shape — so nothing is sent to an address
//! made from a typo. Every SES or network failure becomes one sentence; the SDK's own text is kept
//! apart as `detail`, for the folded-away "technical detail".

use crate::aws_sdk::{no_profile_files, xml_element};
use crate::ui_types::{FieldError, Finding, FindingLevel};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_sesv2::config::{Credentials, Region};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::get_account::GetAccountOutput;
use aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityOutput;
use aws_sdk_sesv2::types::{DkimStatus, VerificationStatus};
use std::time::Duration;

/// How long one SES call may take before the check says SES did not answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(8);

/// The regions SES (API v2) is offered in, from AWS's SES endpoints table (2026).
pub const SES_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-gov-west-1",
];

/// What the check is given: the form's values, the secret included.
#[derive(Clone, Debug, Default)]
pub struct SesCheckInput {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub region: String,
    /// `Name <a@b>` or `a@b`.
    pub sender: String,
    pub sender_identity_arn: String,
    pub feedback_identity_arn: String,
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SesReport {
    /// Form values that are wrong on their face (no call was made when there are any).
    pub field_errors: Vec<FieldError>,
    pub findings: Vec<Finding>,
    /// The SDK's text for the first failure, for support; never shown unfolded.
    pub detail: Option<String>,
}

impl SesReport {
    /// Whether saving these settings would leave sign-in codes undeliverable.
    pub fn has_problems(&self) -> bool {
        !self.field_errors.is_empty()
            || self
                .findings
                .iter()
                .any(|finding| finding.level == FindingLevel::Problem)
    }

    fn note(&mut self, level: FindingLevel, text: impl Into<String>) {
        self.findings.push(Finding {
            level,
            text: text.into(),
        });
    }
}

/// Runs the check; `endpoint_url` overrides SES's endpoint (tests, local stand-ins), otherwise
/// the SDK's standard resolution applies (including `AWS_ENDPOINT_URL_SESV2`).
pub struct SesChecker {
    endpoint_url: Option<String>,
}

impl SesChecker {
    pub fn new(endpoint_url: Option<String>) -> Self {
        Self { endpoint_url }
    }

    pub async fn check(&self, input: &SesCheckInput) -> SesReport {
        let mut report = SesReport {
            field_errors: form_errors(input),
            ..SesReport::default()
        };
        if !report.field_errors.is_empty() {
            return report;
        }
        let client = self.client(input).await;
        let region = input.region.trim();
        match client.get_account().send().await {
            Ok(account) => describe_account(&account, region, &mut report),
            Err(error) => {
                let failure = explain(&error, region, "GetAccount");
                let stop = failure.stops_the_check;
                report.note(FindingLevel::Problem, failure.sentence);
                report.detail = Some(failure.detail);
                if stop {
                    return report;
                }
            }
        }
        let address = sender_address(&input.sender).to_owned();
        let domain = address
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_owned())
            .unwrap_or_default();
        match identity(&client, &address).await {
            Ok(Some(found)) => describe_identity(&found, &address, region, &mut report),
            Ok(None) => match identity(&client, &domain).await {
                Ok(Some(found)) => describe_identity(&found, &domain, region, &mut report),
                Ok(None) => report.note(
                    FindingLevel::Problem,
                    format!(
                        "Neither {address} nor its domain {domain} is a verified identity in {region}: \
                         verify one of them in the SES console (Identities) before sending."
                    ),
                ),
                Err(failure) => {
                    report.note(FindingLevel::Problem, failure.sentence);
                    report.detail.get_or_insert(failure.detail);
                }
            },
            Err(failure) => {
                report.note(FindingLevel::Problem, failure.sentence);
                report.detail.get_or_insert(failure.detail);
            }
        }
        report
    }

    async fn client(&self, input: &SesCheckInput) -> aws_sdk_sesv2::Client {
        let sdk_config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(input.region.trim().to_owned()))
            .use_fips(false)
            .use_dual_stack(false)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CALL_TIMEOUT)
                    .operation_timeout(CALL_TIMEOUT)
                    .build(),
            )
            .credentials_provider(Credentials::new(
                input.access_key_id.trim(),
                input.access_key_secret.trim(),
                None,
                None,
                "settings-form",
            ))
            .profile_files(no_profile_files())
            .profile_name("default")
            .load()
            .await;
        let mut config = aws_sdk_sesv2::config::Builder::from(&sdk_config);
        if let Some(url) = &self.endpoint_url {
            config = config.endpoint_url(url.clone());
        }
        aws_sdk_sesv2::Client::from_conf(config.build())
    }
}

fn field(name: &str, message: String) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message,
    }
}

/// What is wrong with the form on its face.
pub fn form_errors(input: &SesCheckInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let region = input.region.trim();
    if !SES_REGIONS.contains(&region) {
        errors.push(field(
            "ses[region]",
            format!(
                "SES is not offered in a region named \"{region}\": use one such as us-east-1 or eu-west-1."
            ),
        ));
    }
    if !access_key_id_is_well_formed(input.access_key_id.trim()) {
        errors.push(field(
            "ses[access_key_id]",
            "An access key ID is 20 capital letters and digits starting with AKIA (or ASIA), as the IAM console shows it.".to_owned(),
        ));
    }
    if input.access_key_secret.trim().is_empty() {
        errors.push(field(
            "ses[access_key_secret]",
            "Type the secret access key to check these settings.".to_owned(),
        ));
    } else if input.access_key_secret.trim().contains(char::is_whitespace) {
        errors.push(field(
            "ses[access_key_secret]",
            "A secret access key has no spaces: paste it again from where you saved it.".to_owned(),
        ));
    }
    for (name, arn) in [
        (
            "ses[email_address_identity_arn]",
            &input.sender_identity_arn,
        ),
        (
            "ses[feedback_forwarding_email_address_identity_arn]",
            &input.feedback_identity_arn,
        ),
    ] {
        let arn = arn.trim();
        if !arn.is_empty() && !identity_arn_is_well_formed(arn) {
            errors.push(field(
                name,
                "An identity ARN looks like arn:aws:ses:us-east-1:123456789012:identity/example.com.".to_owned(),
            ));
        }
    }
    errors
}

fn access_key_id_is_well_formed(id: &str) -> bool {
    id.len() == 20
        && (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `arn:{partition}:ses:{region}:{12-digit account}:identity/{identity}`.
fn identity_arn_is_well_formed(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    prefix == "arn"
        && matches!(partition, "aws" | "aws-us-gov" | "aws-cn")
        && service == "ses"
        && SES_REGIONS.contains(&region)
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource
            .strip_prefix("identity/")
            .is_some_and(|identity| !identity.is_empty())
}

/// The address inside `Name <address>`, or the whole text.
pub fn sender_address(sender: &str) -> &str {
    let sender = sender.trim();
    match (sender.rfind('<'), sender.ends_with('>')) {
        (Some(open), true) => sender[open + 1..sender.len() - 1].trim(),
        _ => sender,
    }
}

/// What `GetAccount` says, as findings.
pub fn describe_account(account: &GetAccountOutput, region: &str, report: &mut SesReport) {
    if !account.sending_enabled() {
        report.note(
            FindingLevel::Problem,
            format!("Sending is paused for this account in {region}: no email will go out until it is enabled again in the SES console."),
        );
    }
    match account.enforcement_status() {
        Some("SHUTDOWN") => report.note(
            FindingLevel::Problem,
            "AWS has shut down sending for this account: contact AWS Support before using it.",
        ),
        Some("PROBATION") => report.note(
            FindingLevel::Warning,
            "This account is on probation for its bounce or complaint rate: keep those low, or AWS may stop its sending.",
        ),
        _ => {}
    }
    let quota = account.send_quota();
    let per_day = quota.map_or(0.0, |q| q.max24_hour_send());
    let per_second = quota.map_or(0.0, |q| q.max_send_rate());
    let sent = quota.map_or(0.0, |q| q.sent_last24_hours());
    if account.production_access_enabled() {
        report.note(
            FindingLevel::Good,
            format!("The account has production access in {region}: it can send to any address."),
        );
    } else {
        report.note(
            FindingLevel::Warning,
            format!(
                "The account is in the SES sandbox in {region}: it can send only to verified addresses. \
                 Verify the recipients you test with, or request production access in the SES console."
            ),
        );
    }
    if per_day > 0.0 {
        report.note(
            FindingLevel::Good,
            format!(
                "Sending quota: {} emails a day ({} sent in the last 24 hours), {} a second.",
                whole(per_day),
                whole(sent),
                whole(per_second)
            ),
        );
        if sent >= per_day {
            report.note(
                FindingLevel::Problem,
                "Today's sending quota is used up: sign-in codes will fail until it resets or AWS raises it.",
            );
        }
    }
}

fn whole(value: f64) -> String {
    format!("{}", value.round() as i64)
}

/// What `GetEmailIdentity` says about `name` (the sender address or its domain), as findings.
pub fn describe_identity(
    identity: &GetEmailIdentityOutput,
    name: &str,
    region: &str,
    report: &mut SesReport,
) {
    let verified = identity.verified_for_sending_status()
        || identity.verification_status() == Some(&VerificationStatus::Success);
    if verified {
        report.note(
            FindingLevel::Good,
            format!("{name} is verified for sending in {region}."),
        );
    } else {
        report.note(
            FindingLevel::Problem,
            format!(
                "{name} is not verified yet in {region}: finish its verification in the SES console \
                 (the link in the verification email, or the DNS records for a domain)."
            ),
        );
    }
    let dkim = identity.dkim_attributes();
    match dkim.and_then(|d| d.status()) {
        Some(DkimStatus::Success) if dkim.is_some_and(|d| d.signing_enabled()) => {
            report.note(FindingLevel::Good, "DKIM signing is on.");
        }
        Some(DkimStatus::Pending) => report.note(
            FindingLevel::Warning,
            "DKIM is not confirmed yet: AWS is still looking for its DNS records.",
        ),
        Some(DkimStatus::Failed) | Some(DkimStatus::TemporaryFailure) => report.note(
            FindingLevel::Warning,
            "DKIM failed: AWS cannot find the DKIM records in DNS, so mail may land in spam. Check the CNAME records SES gave you.",
        ),
        _ => report.note(
            FindingLevel::Warning,
            "DKIM signing is not set up: without it, mail is more likely to land in spam.",
        ),
    }
}

/// A failed call, explained.
struct Failure {
    sentence: String,
    detail: String,
    /// Whether the credentials or network are at fault, so further calls would fail the same way.
    stops_the_check: bool,
}

async fn identity(
    client: &aws_sdk_sesv2::Client,
    name: &str,
) -> Result<Option<GetEmailIdentityOutput>, Failure> {
    match client
        .get_email_identity()
        .email_identity(name)
        .send()
        .await
    {
        Ok(found) => Ok(Some(found)),
        Err(error) if service_code(&error).as_deref() == Some("NotFoundException") => Ok(None),
        Err(error) => Err(explain(&error, "", "GetEmailIdentity")),
    }
}

/// AWS's error code, from the parsed error or, when the SDK could not parse it, from the raw
/// body (some stand-ins answer signature errors in the query protocol's XML).
fn service_code<E>(error: &SdkError<E, aws_sdk_sesv2::config::http::HttpResponse>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    let SdkError::ServiceError(context) = error else {
        return None;
    };
    context.err().code().map(str::to_owned).or_else(|| {
        let body = context.raw().body().bytes().map(String::from_utf8_lossy)?;
        xml_element(&body, "Code")
    })
}

/// The failure as support needs it, without the SDK's debug output: the HTTP status with AWS's
/// code and message, or the innermost cause of a transport failure.
fn detail_of<E>(error: &SdkError<E, aws_sdk_sesv2::config::http::HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(context) = error {
        let raw = context.raw();
        let body = raw
            .body()
            .bytes()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let message = context
            .err()
            .message()
            .map(str::to_owned)
            .or_else(|| xml_element(&body, "Message"))
            .unwrap_or_default();
        let code = service_code(error).unwrap_or_else(|| "no error code".to_owned());
        return format!("HTTP {} {code}: {message}", raw.status().as_u16());
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    format!("{error}: {cause}")
}

fn explain<E>(
    error: &SdkError<E, aws_sdk_sesv2::config::http::HttpResponse>,
    region: &str,
    operation: &str,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = format!("{operation}: {}", detail_of(error));
    let in_region = if region.is_empty() {
        String::new()
    } else {
        format!(" in {region}")
    };
    let (sentence, stops_the_check) = match error {
        SdkError::TimeoutError(_) => (
            format!("AWS SES{in_region} did not answer within {} seconds: try again in a moment.", CALL_TIMEOUT.as_secs()),
            true,
        ),
        SdkError::DispatchFailure(_) => (
            format!("AWS SES{in_region} could not be reached: check the region and this server's network access, then try again."),
            true,
        ),
        SdkError::ServiceError(_) => match service_code(error).as_deref() {
            Some("UnrecognizedClientException" | "InvalidClientTokenId") => (
                "AWS does not recognise this access key ID: check it, or create a new key in the IAM console.".to_owned(),
                true,
            ),
            Some("SignatureDoesNotMatch" | "IncompleteSignature") => (
                "The secret access key does not belong to this access key ID: paste the secret saved with that key.".to_owned(),
                true,
            ),
            Some("ExpiredToken" | "ExpiredTokenException") => (
                "These temporary credentials have expired: use a long-term access key for the connector.".to_owned(),
                true,
            ),
            Some("AccessDeniedException" | "AccessDenied") => (
                format!("This key may not call ses:{operation}, so the check could not see everything; sending needs ses:SendEmail."),
                false,
            ),
            Some("TooManyRequestsException" | "Throttling" | "ThrottlingException") => (
                "AWS SES is throttling this account's calls: wait a minute and check again.".to_owned(),
                true,
            ),
            Some(code) => (
                format!("AWS SES refused the {operation} call ({code}): see the technical detail."),
                false,
            ),
            None => (
                format!("AWS SES refused the {operation} call: see the technical detail."),
                false,
            ),
        },
        _ => (
            format!("AWS SES{in_region} answered something this app could not read: see the technical detail."),
            true,
        ),
    };
    Failure {
        sentence,
        detail,
        stops_the_check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sesv2::types::{DkimAttributes, SendQuota};

    fn input() -> SesCheckInput {
        SesCheckInput {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            access_key_secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "eu-west-1".into(),
            sender: "Acme <no-reply@acme.com>".into(),
            ..SesCheckInput::default()
        }
    }

    #[test]
    fn a_well_formed_form_has_no_field_errors() {
        assert_eq!(form_errors(&input()), Vec::new());
    }

    #[test]
    fn region_key_id_and_arns_are_checked_before_any_call() {
        let mut bad = input();
        bad.region = "moon-1".into();
        bad.access_key_id = "my key".into();
        bad.access_key_secret = "with space".into();
        bad.sender_identity_arn = "arn:aws:ses:us-east-1:12345:identity/acme.com".into();
        let fields: Vec<String> = form_errors(&bad).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "ses[region]",
                "ses[access_key_id]",
                "ses[access_key_secret]",
                "ses[email_address_identity_arn]"
            ]
        );
        assert!(identity_arn_is_well_formed(
            "arn:aws:ses:us-east-1:123456789012:identity/acme.com"
        ));
        assert!(!identity_arn_is_well_formed(
            "arn:aws:s3:us-east-1:123456789012:identity/acme.com"
        ));
        assert!(access_key_id_is_well_formed("ASIAIOSFODNN7EXAMPLE"));
        assert!(!access_key_id_is_well_formed("AKIAiosfodnn7example"));
    }

    #[test]
    fn a_sandboxed_account_is_a_warning_with_what_to_do() {
        let account = GetAccountOutput::builder()
            .production_access_enabled(false)
            .sending_enabled(true)
            .send_quota(
                SendQuota::builder()
                    .max24_hour_send(200.0)
                    .max_send_rate(1.0)
                    .sent_last24_hours(3.0)
                    .build(),
            )
            .build();
        let mut report = SesReport::default();
        describe_account(&account, "eu-west-1", &mut report);
        assert!(!report.has_problems());
        assert!(report.findings[0].text.contains("sandbox"));
        assert!(report.findings[0]
            .text
            .contains("request production access"));
        assert_eq!(
            report.findings[1].text,
            "Sending quota: 200 emails a day (3 sent in the last 24 hours), 1 a second."
        );
    }

    #[test]
    fn paused_sending_and_an_exhausted_quota_are_problems() {
        let account = GetAccountOutput::builder()
            .production_access_enabled(true)
            .sending_enabled(false)
            .send_quota(
                SendQuota::builder()
                    .max24_hour_send(50000.0)
                    .sent_last24_hours(50000.0)
                    .build(),
            )
            .build();
        let mut report = SesReport::default();
        describe_account(&account, "us-east-1", &mut report);
        let problems = report
            .findings
            .iter()
            .filter(|f| f.level == FindingLevel::Problem)
            .count();
        assert_eq!(problems, 2);
        assert!(report
            .findings
            .iter()
            .any(|f| f.text.contains("production access")));
    }

    #[test]
    fn identity_verification_and_dkim_are_reported() {
        let verified = GetEmailIdentityOutput::builder()
            .verified_for_sending_status(true)
            .dkim_attributes(
                DkimAttributes::builder()
                    .status(DkimStatus::Success)
                    .signing_enabled(true)
                    .build(),
            )
            .build();
        let mut report = SesReport::default();
        describe_identity(&verified, "acme.com", "eu-west-1", &mut report);
        assert!(!report.has_problems());
        assert_eq!(report.findings[1].text, "DKIM signing is on.");
        let pending = GetEmailIdentityOutput::builder()
            .verified_for_sending_status(false)
            .build();
        let mut report = SesReport::default();
        describe_identity(&pending, "acme.com", "eu-west-1", &mut report);
        assert!(report.has_problems());
        assert!(report.findings[0]
            .text
            .starts_with("acme.com is not verified yet"));
    }
}
