//! Logto's AWS SES email connector (factory `aws-ses-mail`, target `aws-ses`): the template for
//! the message's usage type (else `Generic`) with `{{code}}` substituted, sent with SESv2
//! `SendEmail` (simple content, subject and HTML body both `UTF-8`, which Logto omits).
//!
//! The SDK config takes credentials and region from the connector config only: no AWS profile
//! file is read (neither `~/.aws/credentials` nor `~/.aws/config`), and FIPS/dual-stack are off.
//! The exception is the connector from settings without an access key
//! ([`config::Credentials::DefaultChain`]): it takes its credentials from AWS's default chain
//! (environment variables, shared profile files, web identity token, ECS container role, EC2
//! instance role), loaded once per region into a shared [`DefaultChain`] so that its credentials
//! cache (and role refreshes) carries over from one message to the next.
//! The standard endpoint overrides `AWS_ENDPOINT_URL_SESV2` and `AWS_ENDPOINT_URL` are honoured
//! (that is how tests and local SES stand-ins are reached); an explicit `endpoint_url` given to
//! [`SesConnector::new`] wins over them. Every SDK failure becomes
//! [`ConnectorError::InvalidResponse`] with one human sentence: AWS's refusal with its error code
//! and message ("AWS SES refused the message (MessageRejected): Email address is not verified…"),
//! or why AWS could not be reached ("AWS SES could not be reached at https://…: connection
//! refused."), a timeout, an unreadable answer, a request that could not be built — never the
//! SDK's `Debug` form.

pub mod config;

use super::{ConnectorError, EmailConnector, EmailMessage};
use crate::aws_sdk::{no_profile_files, xml_element};
use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sesv2::config::{Credentials, Region};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
pub use config::SesConfig;
use config::{render, select_template};
use std::sync::Arc;
use std::time::Duration;

/// The connector's name in logs.
pub const NAME: &str = "aws-ses";
/// The `Charset` set on the subject and the body.
pub const CHARSET: &str = "UTF-8";
const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

pub struct SesConnector {
    config: SesConfig,
    endpoint_url: Option<String>,
    default_chain: DefaultChain,
}

/// The SDK config of AWS's default credential chain, loaded on first use for one region and
/// shared by every connector built with it (clones share it).
#[derive(Clone, Default)]
pub struct DefaultChain(Arc<tokio::sync::Mutex<Option<(String, SdkConfig)>>>);

impl DefaultChain {
    async fn sdk_config(&self, region: &str) -> SdkConfig {
        let mut loaded = self.0.lock().await;
        if let Some((cached_region, config)) = loaded.as_ref() {
            if cached_region == region {
                return config.clone();
            }
        }
        // The loader's default credentials provider is the default chain.
        let config = loader(region).load().await;
        *loaded = Some((region.to_owned(), config.clone()));
        config
    }
}

/// The SDK settings every SES client shares: region, no FIPS or dual-stack, two attempts, a
/// bound on each operation.
fn loader(region: &str) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .use_fips(false)
        .use_dual_stack(false)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
}

impl SesConnector {
    /// `endpoint_url` overrides the endpoint (and the `AWS_ENDPOINT_URL*` variables); `None` for
    /// the standard resolution. `default_chain` is used only by a config without an access key.
    pub fn new(
        config: SesConfig,
        endpoint_url: Option<String>,
        default_chain: DefaultChain,
    ) -> Self {
        Self {
            config,
            endpoint_url,
            default_chain,
        }
    }

    async fn client(&self) -> aws_sdk_sesv2::Client {
        let sdk_config = match &self.config.credentials {
            config::Credentials::Static {
                access_key_id,
                access_key_secret,
            } => {
                loader(&self.config.region)
                    .credentials_provider(Credentials::new(
                        access_key_id.clone(),
                        access_key_secret.expose().to_owned(),
                        None,
                        None,
                        "connector-config",
                    ))
                    .profile_files(no_profile_files())
                    .profile_name("default")
                    .load()
                    .await
            }
            config::Credentials::DefaultChain => {
                self.default_chain.sdk_config(&self.config.region).await
            }
        };
        let mut config = aws_sdk_sesv2::config::Builder::from(&sdk_config);
        if let Some(url) = &self.endpoint_url {
            // On the client config, so it wins over the `AWS_ENDPOINT_URL*` variables.
            config = config.endpoint_url(url.clone());
        }
        aws_sdk_sesv2::Client::from_conf(config.build())
    }
}

/// SESv2 simple content: subject and HTML body, both declared UTF-8.
pub fn simple_content(subject: &str, html: &str) -> Result<EmailContent, ConnectorError> {
    let part = |data: &str| {
        Content::builder()
            .data(data)
            .charset(CHARSET)
            .build()
            .map_err(|error| ConnectorError::Delivery(error.to_string()))
    };
    let message = Message::builder()
        .subject(part(subject)?)
        .body(Body::builder().html(part(html)?).build())
        .build();
    Ok(EmailContent::builder().simple(message).build())
}

#[async_trait]
impl EmailConnector for SesConnector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, message: &EmailMessage) -> Result<(), ConnectorError> {
        let template = select_template(&self.config.templates, message.usage)?;
        let content = simple_content(
            &render(&template.subject, &message.code),
            &render(&template.content, &message.code),
        )?;
        let sender = self.config.email_address.clone().ok_or_else(|| {
            ConnectorError::invalid_config(
                &["emailAddress"],
                "`emailAddress` (the sender) is required to send email",
            )
        })?;
        let config = &self.config;
        self.client()
            .await
            .send_email()
            .from_email_address(sender)
            .set_from_email_address_identity_arn(config.email_address_identity_arn.clone())
            .set_feedback_forwarding_email_address(config.feedback_forwarding_email_address.clone())
            .set_feedback_forwarding_email_address_identity_arn(
                config
                    .feedback_forwarding_email_address_identity_arn
                    .clone(),
            )
            .set_configuration_set_name(config.configuration_set_name.clone())
            .destination(Destination::builder().to_addresses(&message.to).build())
            .content(content)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                refused(
                    &error,
                    &endpoint_for_messages(self.endpoint_url.as_deref(), &config.region),
                )
            })
    }
}

/// Where the SDK sends the request, for messages: the explicit override, the standard
/// environment overrides, else AWS's regional endpoint.
fn endpoint_for_messages(explicit: Option<&str>, region: &str) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_SESV2").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| format!("https://email.{region}.amazonaws.com"))
}

/// One sentence for each kind of SDK failure (never the SDK's `Debug` form): AWS's refusal with
/// its error code and message, from the raw body when the SDK could not parse it (some
/// stand-ins answer signature errors in the XML shape of the query protocol); or why AWS could
/// not be reached at `endpoint`.
fn refused<E>(
    error: &SdkError<E, aws_sdk_sesv2::config::http::HttpResponse>,
    endpoint: &str,
) -> ConnectorError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let unreachable = |message: String| ConnectorError::InvalidResponse {
        code: None,
        message,
    };
    let context = match error {
        SdkError::ServiceError(context) => context,
        SdkError::TimeoutError(_) => {
            return unreachable(format!(
                "AWS SES did not answer in time at {endpoint} (waited {} s).",
                OPERATION_TIMEOUT.as_secs()
            ))
        }
        SdkError::DispatchFailure(failure) => {
            let reason = match failure.as_connector_error() {
                Some(connector) if connector.is_timeout() => "the connection timed out".to_owned(),
                Some(connector) => io_reason(connector),
                None => root_cause(error),
            };
            return unreachable(format!(
                "AWS SES could not be reached at {endpoint}: {reason}."
            ));
        }
        SdkError::ResponseError(response) => {
            return unreachable(format!(
                "AWS SES at {endpoint} sent an answer that could not be read (HTTP {}).",
                response.raw().status().as_u16()
            ))
        }
        SdkError::ConstructionFailure(_) => {
            return unreachable(format!(
                "The AWS SES request could not be prepared: {}.",
                root_cause(error)
            ))
        }
        _ => {
            return unreachable(format!(
                "AWS SES could not be used at {endpoint}: {}.",
                root_cause(error)
            ))
        }
    };
    let raw = context.raw();
    let body = raw
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let code = context
        .err()
        .code()
        .map(str::to_owned)
        .or_else(|| xml_element(&body, "Code"));
    let aws_message = context
        .err()
        .message()
        .map(str::to_owned)
        .or_else(|| xml_element(&body, "Message"));
    ConnectorError::InvalidResponse {
        message: refusal_sentence(
            code.as_deref(),
            aws_message.as_deref(),
            raw.status().as_u16(),
        ),
        code,
    }
}

/// "AWS SES refused the message (MessageRejected): Email address is not verified…."
fn refusal_sentence(code: Option<&str>, message: Option<&str>, status: u16) -> String {
    let what = match code {
        Some("MessageRejected" | "MailFromDomainNotVerifiedException") | None => "the message",
        Some(_) => "the request",
    };
    let code = code.map_or_else(String::new, |code| format!(" ({code})"));
    let detail = match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(message) => message.trim_end_matches('.').to_owned(),
        None => format!("it answered HTTP {status}"),
    };
    format!("AWS SES refused {what}{code}: {detail}.")
}

/// Why a connection failed, from the I/O error in the chain ("connection refused").
fn io_reason(connector: &aws_sdk_sesv2::error::ConnectorError) -> String {
    use std::error::Error as _;
    let mut source = connector.source();
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                std::io::ErrorKind::ConnectionReset => "the connection was reset".to_owned(),
                std::io::ErrorKind::ConnectionAborted => "the connection was aborted".to_owned(),
                std::io::ErrorKind::TimedOut => "the connection timed out".to_owned(),
                _ => plain(&io.to_string()),
            };
        }
        source = error.source();
    }
    root_cause(connector)
}

/// The innermost error's message, without the OS error number.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    plain(&innermost.to_string())
}

fn plain(message: &str) -> String {
    let message = match message.find(" (os error") {
        Some(at) => &message[..at],
        None => message,
    };
    let message = message.trim().trim_end_matches('.');
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_body_are_declared_utf8() {
        let content = simple_content("Grüße 000000", "<p>Grüße</p>").unwrap();
        let simple = content.simple().unwrap();
        let subject = simple.subject().unwrap();
        assert_eq!(subject.data(), "Grüße 000000");
        assert_eq!(subject.charset(), Some("UTF-8"));
        let html = simple.body().unwrap().html().unwrap();
        assert_eq!(html.data(), "<p>Grüße</p>");
        assert_eq!(html.charset(), Some("UTF-8"));
        assert!(simple.body().unwrap().text().is_none());
    }

    type SendError = SdkError<
        aws_sdk_sesv2::operation::send_email::SendEmailError,
        aws_sdk_sesv2::config::http::HttpResponse,
    >;

    fn message_of(error: &SendError) -> String {
        match refused(error, "http://127.0.0.1:9") {
            ConnectorError::InvalidResponse { message, .. } => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sdk_failures_are_one_sentence_each() {
        use aws_sdk_sesv2::error::ConnectorError as Dispatch;
        let refused_io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let dispatch = SendError::dispatch_failure(Dispatch::io(Box::new(refused_io)));
        assert_eq!(
            message_of(&dispatch),
            "AWS SES could not be reached at http://127.0.0.1:9: connection refused."
        );
        let timeout = SendError::dispatch_failure(Dispatch::timeout("slow".into()));
        assert_eq!(
            message_of(&timeout),
            "AWS SES could not be reached at http://127.0.0.1:9: the connection timed out."
        );
        let operation = SendError::timeout_error("operation timeout");
        assert_eq!(
            message_of(&operation),
            "AWS SES did not answer in time at http://127.0.0.1:9 (waited 20 s)."
        );
        let construction = SendError::construction_failure("No credentials in the chain.");
        assert_eq!(
            message_of(&construction),
            "The AWS SES request could not be prepared: no credentials in the chain."
        );
        for error in [dispatch, timeout, operation, construction] {
            let message = message_of(&error);
            assert!(
                !message.contains('{') && !message.contains("Error {"),
                "{message}"
            );
        }
    }

    #[test]
    fn refusals_name_the_code_and_keep_awss_message() {
        assert_eq!(
            refusal_sentence(
                Some("MessageRejected"),
                Some("Email address is not verified. The following identities failed the check in region US-EAST-1: a@b.example"),
                400
            ),
            "AWS SES refused the message (MessageRejected): Email address is not verified. The following identities failed the check in region US-EAST-1: a@b.example."
        );
        assert_eq!(
            refusal_sentence(Some("AccessDeniedException"), Some("Not allowed."), 403),
            "AWS SES refused the request (AccessDeniedException): Not allowed."
        );
        assert_eq!(
            refusal_sentence(None, None, 500),
            "AWS SES refused the message: it answered HTTP 500."
        );
    }

    #[test]
    fn xml_errors_yield_code_and_message() {
        let body = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>\
                    <Message>The request signature we calculated does not match</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            xml_element(body, "Code").as_deref(),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(
            xml_element(body, "Message").as_deref(),
            Some("The request signature we calculated does not match")
        );
        assert_eq!(xml_element("{}", "Code"), None);
    }
}
