//! What every AWS SDK client of this crate shares: the SES connector's (`idp`) and the settings
//! page's SES check (`services`) — an empty profile file set, and reading AWS's error code from a
//! raw XML body.

/// An empty profile file set, so nothing from `~/.aws` (or `AWS_CONFIG_FILE`) leaks in.
#[allow(deprecated)] // the aws-config alias of `aws_runtime`'s type, which is not a dependency
pub fn no_profile_files() -> aws_config::profile::profile_file::ProfileFiles {
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    ProfileFiles::builder()
        .with_contents(ProfileFileKind::Config, "")
        .with_contents(ProfileFileKind::Credentials, "")
        .build()
}

/// The text of the first `<name>…</name>` in `body` (some stand-ins answer errors in the query
/// protocol's XML, which the SDK does not parse).
pub fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].trim().to_owned())
}
