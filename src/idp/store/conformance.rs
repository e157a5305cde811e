//! The one conformance suite every [`Store`] adapter must pass: a function per rule of the
//! contract in `store/mod.rs`, each run against a fresh store. An adapter's tests instantiate the
//! whole suite with [`conformance_suite!`], which makes one `#[tokio::test]` per rule, so a broken
//! rule shows up by name.

use super::{Consumed, Kind, Mail, Record, SharedStore, StoreError, User};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Barrier;

/// Expands to one multi-threaded `#[tokio::test]` per rule of the suite. `$fresh` is an
/// expression yielding a future of `(SharedStore, guard)`: a new, empty store plus anything that
/// must outlive it (a temporary directory, or `()`). Invoke it once per module.
macro_rules! conformance_suite {
    ($fresh:expr) => {
        $crate::idp::store::conformance::conformance_suite!(@rules $fresh;
            upsert_then_find_roundtrips,
            upsert_replaces_and_resets_consumed,
            expiry_is_exact_at_expires_at,
            consume_is_single_use,
            consume_of_missing_or_expired_is_missing,
            consume_is_atomic_under_concurrency,
            destroy_removes_only_that_record,
            revoke_by_grant_removes_every_kind_of_that_grant,
            count_and_destroy_by_key,
            purge_expired_deletes_only_expired,
            users_create_find_and_count,
            find_user_by_email_ignores_case,
            create_user_conflicts_on_taken_id_or_email,
            update_user_replaces_by_id,
            update_user_conflicts_on_taken_email,
            documents_roundtrip_and_replace,
            mail_is_listed_newest_first_up_to_limit,
        );
    };
    (@rules $fresh:expr; $($rule:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $rule() {
                let (store, _guard): ($crate::idp::store::SharedStore, _) = $fresh.await;
                $crate::idp::store::conformance::$rule(&store).await;
            }
        )+
    };
}
pub(crate) use conformance_suite;

// --- fixtures ---

const NOW: u64 = 1_000_000;

fn record(expires_at: u64) -> Record {
    Record::new(
        json!({ "client_id": "app", "scope": "openid email" }),
        expires_at,
    )
}

fn user(id: &str, email: Option<&str>) -> User {
    User {
        id: id.to_owned(),
        primary_email: email.map(str::to_owned),
        username: None,
        name: Some(format!("Person {id}")),
        avatar: None,
        roles: vec!["admin".to_owned(), "editor".to_owned()],
        created_at_ms: 1_700_000_000_000,
        updated_at_ms: 1_700_000_000_000,
        last_sign_in_at_ms: None,
    }
}

fn mail(subject: &str, sent_at: u64) -> Mail {
    Mail {
        to: "person@example.com".to_owned(),
        subject: subject.to_owned(),
        html: format!("<p>{subject}</p>"),
        sent_at,
    }
}

async fn exists(store: &SharedStore, kind: Kind, id: &str) -> bool {
    store.find(kind, id, NOW).await.unwrap().is_some()
}

// --- protocol records ---

pub async fn upsert_then_find_roundtrips(store: &SharedStore) {
    let stored = record(NOW + 60).with_grant("grant-1").with_key("key-1");
    store
        .upsert(Kind::AccessToken, "at-1", stored.clone())
        .await
        .unwrap();

    let found = store.find(Kind::AccessToken, "at-1", NOW).await.unwrap();
    assert_eq!(
        found,
        Some(stored),
        "find returns exactly what upsert stored"
    );
    assert_eq!(
        store.find(Kind::RefreshToken, "at-1", NOW).await.unwrap(),
        None,
        "the same id under another kind is a different record"
    );
    assert_eq!(
        store.find(Kind::AccessToken, "at-2", NOW).await.unwrap(),
        None,
        "a missing id is None"
    );
}

pub async fn upsert_replaces_and_resets_consumed(store: &SharedStore) {
    store
        .upsert(Kind::Interaction, "i-1", record(NOW + 60))
        .await
        .unwrap();
    store.consume(Kind::Interaction, "i-1", NOW).await.unwrap();

    let replacement = Record::new(json!({ "step": 2 }), NOW + 120).with_key("k");
    store
        .upsert(Kind::Interaction, "i-1", replacement.clone())
        .await
        .unwrap();
    assert_eq!(
        store.find(Kind::Interaction, "i-1", NOW).await.unwrap(),
        Some(replacement.clone()),
        "upsert replaces the whole record, consumed_at included"
    );
    assert_eq!(
        store.consume(Kind::Interaction, "i-1", NOW).await.unwrap(),
        Consumed::First(replacement),
        "the replaced record can be consumed again"
    );
}

pub async fn expiry_is_exact_at_expires_at(store: &SharedStore) {
    let expires_at = NOW + 10;
    store
        .upsert(
            Kind::VerificationCode,
            "vc-1",
            record(expires_at).with_key("i-1"),
        )
        .await
        .unwrap();

    let before = expires_at - 1;
    assert!(
        store
            .find(Kind::VerificationCode, "vc-1", before)
            .await
            .unwrap()
            .is_some(),
        "alive one second before expires_at"
    );
    assert_eq!(
        store
            .count_by_key(Kind::VerificationCode, "i-1", before)
            .await
            .unwrap(),
        1,
        "counted one second before expires_at"
    );

    assert_eq!(
        store
            .find(Kind::VerificationCode, "vc-1", expires_at)
            .await
            .unwrap(),
        None,
        "find hides the record at exactly expires_at"
    );
    assert_eq!(
        store
            .count_by_key(Kind::VerificationCode, "i-1", expires_at)
            .await
            .unwrap(),
        0,
        "count_by_key skips the record at exactly expires_at"
    );
    assert_eq!(
        store
            .consume(Kind::VerificationCode, "vc-1", expires_at)
            .await
            .unwrap(),
        Consumed::Missing,
        "consume treats the record as missing at exactly expires_at"
    );
    assert_eq!(
        store
            .find(Kind::VerificationCode, "vc-1", before)
            .await
            .unwrap()
            .and_then(|record| record.consumed_at),
        None,
        "a consume of an expired record leaves it unconsumed"
    );
}

pub async fn consume_is_single_use(store: &SharedStore) {
    let stored = record(NOW + 60).with_grant("g");
    store
        .upsert(Kind::AuthorizationCode, "code-1", stored.clone())
        .await
        .unwrap();

    let first = store
        .consume(Kind::AuthorizationCode, "code-1", NOW)
        .await
        .unwrap();
    assert_eq!(
        first,
        Consumed::First(stored.clone()),
        "the first consume gets the record as it was"
    );

    let consumed = Record {
        consumed_at: Some(NOW),
        ..stored
    };
    let second = store
        .consume(Kind::AuthorizationCode, "code-1", NOW + 5)
        .await
        .unwrap();
    assert_eq!(
        second,
        Consumed::Already(consumed.clone()),
        "a later consume sees the first one's consumed_at, unchanged"
    );
    assert_eq!(
        store
            .find(Kind::AuthorizationCode, "code-1", NOW + 5)
            .await
            .unwrap(),
        Some(consumed),
        "find still returns a consumed record, with consumed_at"
    );
}

pub async fn consume_of_missing_or_expired_is_missing(store: &SharedStore) {
    assert_eq!(
        store
            .consume(Kind::AuthorizationCode, "nope", NOW)
            .await
            .unwrap(),
        Consumed::Missing,
        "consuming a missing record"
    );

    store
        .upsert(Kind::AuthorizationCode, "code-1", record(NOW + 60))
        .await
        .unwrap();
    store
        .consume(Kind::AuthorizationCode, "code-1", NOW)
        .await
        .unwrap();
    assert_eq!(
        store
            .consume(Kind::AuthorizationCode, "code-1", NOW + 60)
            .await
            .unwrap(),
        Consumed::Missing,
        "a consumed record that has since expired is missing"
    );
}

pub async fn consume_is_atomic_under_concurrency(store: &SharedStore) {
    const CALLERS: usize = 20;
    store
        .upsert(Kind::AuthorizationCode, "contested", record(NOW + 60))
        .await
        .unwrap();

    let start = Arc::new(Barrier::new(CALLERS));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let store = Arc::clone(store);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store
                    .consume(Kind::AuthorizationCode, "contested", NOW)
                    .await
            })
        })
        .collect();

    let mut firsts = 0;
    let mut alreadies = 0;
    for caller in callers {
        match caller.await.unwrap().unwrap() {
            Consumed::First(record) => {
                assert_eq!(record.consumed_at, None, "First carries the record before");
                firsts += 1;
            }
            Consumed::Already(record) => {
                assert_eq!(record.consumed_at, Some(NOW), "Already carries consumed_at");
                alreadies += 1;
            }
            Consumed::Missing => panic!("a live record was reported missing"),
        }
    }
    assert_eq!(
        firsts, 1,
        "exactly one of {CALLERS} concurrent consumes wins"
    );
    assert_eq!(alreadies, CALLERS - 1, "every other caller sees Already");
}

pub async fn destroy_removes_only_that_record(store: &SharedStore) {
    store
        .upsert(Kind::Session, "s-1", record(NOW + 60))
        .await
        .unwrap();
    store
        .upsert(Kind::Session, "s-2", record(NOW + 60))
        .await
        .unwrap();
    store
        .upsert(Kind::Grant, "s-1", record(NOW + 60))
        .await
        .unwrap();

    store.destroy(Kind::Session, "s-1").await.unwrap();
    assert!(!exists(store, Kind::Session, "s-1").await, "destroyed");
    assert!(exists(store, Kind::Session, "s-2").await, "other id kept");
    assert!(exists(store, Kind::Grant, "s-1").await, "other kind kept");

    store.destroy(Kind::Session, "s-1").await.unwrap();
    store.destroy(Kind::Session, "never-was").await.unwrap();
}

pub async fn revoke_by_grant_removes_every_kind_of_that_grant(store: &SharedStore) {
    let revoked = [
        (Kind::Grant, "g-1"),
        (Kind::AuthorizationCode, "code-1"),
        (Kind::AccessToken, "at-1"),
        (Kind::RefreshToken, "rt-1"),
    ];
    for (kind, id) in revoked {
        store
            .upsert(kind, id, record(NOW + 60).with_grant("g-1"))
            .await
            .unwrap();
    }
    store
        .upsert(
            Kind::AccessToken,
            "at-other",
            record(NOW + 60).with_grant("g-2"),
        )
        .await
        .unwrap();
    store
        .upsert(Kind::Session, "s-1", record(NOW + 60))
        .await
        .unwrap();

    assert_eq!(
        store.revoke_by_grant("g-1").await.unwrap(),
        4,
        "revoke_by_grant reports how many records it deleted"
    );
    for (kind, id) in revoked {
        assert!(!exists(store, kind, id).await, "{kind:?} {id} revoked");
    }
    assert!(
        exists(store, Kind::AccessToken, "at-other").await,
        "another grant's token is kept"
    );
    assert!(
        exists(store, Kind::Session, "s-1").await,
        "a record without grant is kept"
    );
    assert_eq!(
        store.revoke_by_grant("g-1").await.unwrap(),
        0,
        "nothing left to revoke"
    );
}

pub async fn count_and_destroy_by_key(store: &SharedStore) {
    let sends = [
        ("send-1", NOW + 60),
        ("send-2", NOW + 120),
        ("send-old", NOW - 1),
    ];
    for (id, expires_at) in sends {
        store
            .upsert(
                Kind::CodeSend,
                id,
                record(expires_at).with_key("a@example.com"),
            )
            .await
            .unwrap();
    }
    store
        .upsert(
            Kind::CodeSend,
            "send-b",
            record(NOW + 60).with_key("b@example.com"),
        )
        .await
        .unwrap();
    store
        .upsert(
            Kind::VerificationCode,
            "vc-a",
            record(NOW + 60).with_key("a@example.com"),
        )
        .await
        .unwrap();

    assert_eq!(
        store
            .count_by_key(Kind::CodeSend, "a@example.com", NOW)
            .await
            .unwrap(),
        2,
        "count_by_key counts the unexpired records of that kind and key only"
    );
    assert_eq!(
        store
            .destroy_by_key(Kind::CodeSend, "a@example.com")
            .await
            .unwrap(),
        3,
        "destroy_by_key deletes expired ones too"
    );
    assert_eq!(
        store
            .count_by_key(Kind::CodeSend, "a@example.com", NOW - 10)
            .await
            .unwrap(),
        0,
        "nothing of that key remains, not even the expired one"
    );
    assert_eq!(
        store
            .count_by_key(Kind::CodeSend, "b@example.com", NOW)
            .await
            .unwrap(),
        1,
        "another key is kept"
    );
    assert!(
        exists(store, Kind::VerificationCode, "vc-a").await,
        "the same key under another kind is kept"
    );
}

pub async fn purge_expired_deletes_only_expired(store: &SharedStore) {
    store
        .upsert(Kind::Session, "expired", record(NOW - 1))
        .await
        .unwrap();
    store
        .upsert(Kind::AccessToken, "expiring-now", record(NOW))
        .await
        .unwrap();
    store
        .upsert(Kind::Session, "alive", record(NOW + 1))
        .await
        .unwrap();

    assert_eq!(
        store.purge_expired(NOW).await.unwrap(),
        2,
        "purge_expired deletes records with expires_at <= now"
    );
    assert!(
        store
            .find(Kind::Session, "expired", NOW - 10)
            .await
            .unwrap()
            .is_none(),
        "the expired record is gone, not just hidden"
    );
    assert!(exists(store, Kind::Session, "alive").await, "alive kept");
    assert_eq!(store.purge_expired(NOW).await.unwrap(), 0, "idempotent");
}

// --- users ---

pub async fn users_create_find_and_count(store: &SharedStore) {
    assert_eq!(store.count_users().await.unwrap(), 0, "a fresh store");
    let ada = User {
        username: Some("ada".to_owned()),
        avatar: Some("https://example.com/ada.png".to_owned()),
        last_sign_in_at_ms: Some(1_700_000_001_000),
        ..user("ada000000001", Some("ada@example.com"))
    };
    store.create_user(&ada).await.unwrap();
    store
        .create_user(&user("bob000000001", None))
        .await
        .unwrap();

    assert_eq!(
        store.find_user("ada000000001").await.unwrap(),
        Some(ada),
        "find_user returns every field as created"
    );
    assert_eq!(store.find_user("nobody").await.unwrap(), None);
    assert_eq!(store.count_users().await.unwrap(), 2);
}

pub async fn find_user_by_email_ignores_case(store: &SharedStore) {
    let ada = user("ada000000001", Some("ada@example.com"));
    store.create_user(&ada).await.unwrap();
    store
        .create_user(&user("bob000000001", None))
        .await
        .unwrap();

    assert_eq!(
        store.find_user_by_email("Ada@Example.COM").await.unwrap(),
        Some(ada),
        "the email is compared lower-cased"
    );
    assert_eq!(
        store.find_user_by_email("bob@example.com").await.unwrap(),
        None
    );
}

pub async fn create_user_conflicts_on_taken_id_or_email(store: &SharedStore) {
    store
        .create_user(&user("ada000000001", Some("ada@example.com")))
        .await
        .unwrap();

    let same_email = store
        .create_user(&user("ada000000002", Some("ADA@example.com")))
        .await;
    assert!(
        matches!(same_email, Err(StoreError::Conflict(_))),
        "an email taken in another case conflicts, got {same_email:?}"
    );
    let same_id = store
        .create_user(&user("ada000000001", Some("other@example.com")))
        .await;
    assert!(
        matches!(same_id, Err(StoreError::Conflict(_))),
        "a taken id conflicts, got {same_id:?}"
    );

    store
        .create_user(&user("noemail00001", None))
        .await
        .unwrap();
    store
        .create_user(&user("noemail00002", None))
        .await
        .unwrap();
    assert_eq!(
        store.count_users().await.unwrap(),
        3,
        "conflicts store nothing; users without email never conflict"
    );
    assert_eq!(
        store
            .find_user("ada000000001")
            .await
            .unwrap()
            .and_then(|user| user.primary_email),
        Some("ada@example.com".to_owned()),
        "the original user is untouched"
    );
}

pub async fn update_user_replaces_by_id(store: &SharedStore) {
    store
        .create_user(&user("ada000000001", Some("ada@example.com")))
        .await
        .unwrap();
    let updated = User {
        primary_email: Some("ada@lovelace.org".to_owned()),
        roles: vec![],
        updated_at_ms: 1_700_000_500_000,
        last_sign_in_at_ms: Some(1_700_000_500_000),
        ..user("ada000000001", None)
    };
    store.update_user(&updated).await.unwrap();

    assert_eq!(
        store.find_user("ada000000001").await.unwrap(),
        Some(updated.clone()),
        "update_user replaces every field"
    );
    assert_eq!(
        store.find_user_by_email("ada@lovelace.org").await.unwrap(),
        Some(updated),
        "found by the new email"
    );
    assert_eq!(
        store.find_user_by_email("ada@example.com").await.unwrap(),
        None,
        "the old email is free"
    );

    store
        .update_user(&user("nobody000001", Some("nobody@example.com")))
        .await
        .unwrap();
    assert_eq!(
        store.count_users().await.unwrap(),
        1,
        "updating an absent user creates nothing"
    );
}

pub async fn update_user_conflicts_on_taken_email(store: &SharedStore) {
    let ada = user("ada000000001", Some("ada@example.com"));
    store.create_user(&ada).await.unwrap();
    store
        .create_user(&user("bob000000001", Some("bob@example.com")))
        .await
        .unwrap();

    let taking_bobs = user("ada000000001", Some("Bob@Example.com"));
    let result = store.update_user(&taking_bobs).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "another user's email conflicts, got {result:?}"
    );
    assert_eq!(
        store.find_user("ada000000001").await.unwrap(),
        Some(ada),
        "a conflicting update changes nothing"
    );
}

// --- documents ---

pub async fn documents_roundtrip_and_replace(store: &SharedStore) {
    assert_eq!(store.get_document("jwks").await.unwrap(), None);

    let keys = json!({ "keys": [{ "kid": "k1", "kty": "EC" }] });
    store.put_document("jwks", &keys).await.unwrap();
    store
        .put_document("sign-in", &json!({ "color": "#123456" }))
        .await
        .unwrap();
    assert_eq!(store.get_document("jwks").await.unwrap(), Some(keys));

    let rotated = json!({ "keys": [{ "kid": "k2" }, { "kid": "k1" }] });
    store.put_document("jwks", &rotated).await.unwrap();
    assert_eq!(
        store.get_document("jwks").await.unwrap(),
        Some(rotated),
        "put_document replaces"
    );
    assert_eq!(
        store.get_document("sign-in").await.unwrap(),
        Some(json!({ "color": "#123456" })),
        "other documents are untouched"
    );
}

// --- dev mailbox ---

pub async fn mail_is_listed_newest_first_up_to_limit(store: &SharedStore) {
    assert_eq!(store.list_mail(10).await.unwrap(), vec![], "empty mailbox");
    let sent = [
        mail("old", 100),
        mail("newest", 300),
        mail("tie-first", 200),
        mail("tie-second", 200),
    ];
    for message in &sent {
        store.push_mail(message).await.unwrap();
    }

    let subjects =
        |mails: Vec<Mail>| -> Vec<String> { mails.into_iter().map(|mail| mail.subject).collect() };
    assert_eq!(
        subjects(store.list_mail(10).await.unwrap()),
        ["newest", "tie-second", "tie-first", "old"],
        "newest first; equal times: later insert first"
    );
    assert_eq!(
        subjects(store.list_mail(2).await.unwrap()),
        ["newest", "tie-second"],
        "at most limit messages"
    );
    assert_eq!(store.list_mail(0).await.unwrap(), vec![], "limit 0");
    assert_eq!(
        store.list_mail(1).await.unwrap(),
        vec![sent[1].clone()],
        "every field survives"
    );
}
