//! AWS names as settings accept them (the SES connector's region and sender address), shared by
//! the settings checks and the provider's SES connector.

/// Lower-case letters, digits and hyphens with a letter first, e.g. `eu-central-1`.
pub fn plausible_region(region: &str) -> bool {
    region.len() <= 32
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The address in `Name <a@b>`, `<a@b>` or `a@b`, when plausible.
pub fn sender_address(sender: &str) -> Option<&str> {
    let sender = sender.trim();
    let address = match (sender.rfind('<'), sender.strip_suffix('>')) {
        (Some(open), Some(inner)) => inner.get(open + 1..)?,
        (None, None) => sender,
        _ => return None,
    };
    let (local, domain) = address.split_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>';
    let plausible = !local.is_empty()
        && !local.contains(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(|c: char| bad(c) || c == '@');
    plausible.then_some(address)
}
