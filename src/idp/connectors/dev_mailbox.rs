//! The development mailbox: "sends" mail by storing it in the provider store, where
//! `/dev/mailbox` (HTML) and `/dev/mailbox.json` show it. The default connector, so that sign-in
//! works on one machine with no mail account.

use super::{default_template, ConnectorError, EmailConnector, EmailMessage};
use crate::clock::SharedClock;
use crate::idp::store::{Mail, SharedStore};
use async_trait::async_trait;

pub struct DevMailbox {
    store: SharedStore,
    clock: SharedClock,
}

impl DevMailbox {
    pub fn new(store: SharedStore, clock: SharedClock) -> Self {
        Self { store, clock }
    }
}

/// The mailbox keeps this many newest messages; older ones are deleted as new ones arrive.
pub const KEEP_MESSAGES: u32 = 200;

#[async_trait]
impl EmailConnector for DevMailbox {
    fn name(&self) -> &'static str {
        "dev-mailbox"
    }

    async fn send(&self, message: &EmailMessage) -> Result<(), ConnectorError> {
        let (subject, html) = default_template(message.usage, &message.code);
        let mail = Mail {
            to: message.to.clone(),
            subject,
            html,
            sent_at: self.clock.unix_seconds(),
        };
        self.store
            .push_mail(&mail, KEEP_MESSAGES)
            .await
            .map_err(|error| ConnectorError::Delivery(error.to_string()))
    }
}
