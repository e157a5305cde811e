//! The one conformance suite every [`Store`] adapter must pass: a function per rule of the
//! contract in `store/mod.rs`, each run against a fresh store. An adapter's tests instantiate the
//! whole suite with [`conformance_suite!`], which makes one `#[tokio::test]` per rule, so a broken
//! rule shows up by name.

use super::{
    update_document, Admission, CodeCheck, Consumed, Kind, Mail, NewCode, Record, Rotation,
    SendLimits, SharedStore, StoreError, User,
};
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
            destroy_by_key_removes_that_kind_and_key_only,
            any_user_with_role_finds_a_role,
            purge_expired_deletes_only_expired,
            users_create_find_and_count,
            find_user_by_email_ignores_case,
            create_user_conflicts_on_taken_id_or_email,
            update_user_replaces_by_id,
            update_user_conflicts_on_taken_email,
            documents_roundtrip_and_replace,
            mail_is_listed_newest_first_up_to_limit,
            mail_keeps_only_the_newest,
            purge_expired_covers_codes_and_send_counts,
            check_code_counts_and_consumes,
            check_code_holds_the_attempt_limit_under_concurrency,
            check_code_verifies_once_under_concurrency,
            admit_code_holds_the_send_limit_under_concurrency,
            admit_code_enforces_the_resend_wait,
            admit_code_for_one_interaction_admits_one_under_concurrency,
            create_user_if_absent_makes_one_account_under_concurrency,
            only_one_account_is_ever_the_first,
            record_sign_in_updates_in_place_under_concurrency,
            rotate_within_grace_and_reuse_after,
            rotate_is_atomic_under_concurrency,
            put_document_if_compares_versions,
            update_document_loses_no_update_under_concurrency,
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
    let stored = record(NOW + 60).with_grant("grant-1");
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

    let replacement = Record::new(json!({ "step": 2 }), NOW + 120);
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
        .upsert(Kind::AuthorizationCode, "vc-1", record(expires_at))
        .await
        .unwrap();

    let before = expires_at - 1;
    assert!(
        store
            .find(Kind::AuthorizationCode, "vc-1", before)
            .await
            .unwrap()
            .is_some(),
        "alive one second before expires_at"
    );
    assert_eq!(
        store
            .find(Kind::AuthorizationCode, "vc-1", expires_at)
            .await
            .unwrap(),
        None,
        "find hides the record at exactly expires_at"
    );
    assert_eq!(
        store
            .consume(Kind::AuthorizationCode, "vc-1", expires_at)
            .await
            .unwrap(),
        Consumed::Missing,
        "consume treats the record as missing at exactly expires_at"
    );
    assert_eq!(
        store
            .find(Kind::AuthorizationCode, "vc-1", before)
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

pub async fn destroy_by_key_removes_that_kind_and_key_only(store: &SharedStore) {
    for (id, key) in [("a-1", "group-a"), ("a-2", "group-a"), ("b-1", "group-b")] {
        store
            .upsert(Kind::Session, id, record(NOW + 60).with_key(key))
            .await
            .unwrap();
    }
    store
        .upsert(Kind::Grant, "g-a", record(NOW + 60).with_key("group-a"))
        .await
        .unwrap();
    assert_eq!(
        store
            .find(Kind::Session, "a-1", NOW)
            .await
            .unwrap()
            .unwrap()
            .key
            .as_deref(),
        Some("group-a"),
        "the key is stored"
    );
    assert_eq!(
        store
            .destroy_by_key(Kind::Session, "group-a")
            .await
            .unwrap(),
        2
    );
    assert!(!exists(store, Kind::Session, "a-2").await);
    assert!(
        exists(store, Kind::Session, "b-1").await,
        "another key is kept"
    );
    assert!(
        exists(store, Kind::Grant, "g-a").await,
        "another kind is kept"
    );
}

pub async fn any_user_with_role_finds_a_role(store: &SharedStore) {
    assert!(
        !store.any_user_with_role("admin").await.unwrap(),
        "no users"
    );
    let mut bob = user("bob000000001", Some("bob@example.com"));
    bob.roles = vec!["editor".to_owned()];
    store.create_user(&bob).await.unwrap();
    assert!(!store.any_user_with_role("admin").await.unwrap());
    assert!(
        !store.any_user_with_role("edit").await.unwrap(),
        "whole names only"
    );
    store
        .record_sign_in("bob000000001", 1, Some("admin"))
        .await
        .unwrap();
    assert!(store.any_user_with_role("admin").await.unwrap());
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
        store.push_mail(message, 100).await.unwrap();
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

pub async fn mail_keeps_only_the_newest(store: &SharedStore) {
    for at in 0..8 {
        store
            .push_mail(&mail(&format!("m{at}"), NOW + at), 5)
            .await
            .unwrap();
    }
    let kept: Vec<String> = store
        .list_mail(100)
        .await
        .unwrap()
        .into_iter()
        .map(|mail| mail.subject)
        .collect();
    assert_eq!(kept, ["m7", "m6", "m5", "m4", "m3"], "the newest 5 stay");
}

pub async fn purge_expired_covers_codes_and_send_counts(store: &SharedStore) {
    let limits = SendLimits {
        window: 600,
        max_sends: 1,
        resend_after: 0,
    };
    assert_eq!(
        store
            .admit_code(&code("i-1", "a@example.com", "mac"), limits, NOW)
            .await
            .unwrap(),
        Admission::Admitted
    );
    // The code lives 600 s, the send counts 600 s.
    assert_eq!(store.purge_expired(NOW + 599).await.unwrap(), 0);
    assert!(store.find_code("i-1", NOW + 599).await.unwrap().is_some());
    assert_eq!(
        store.purge_expired(NOW + 600).await.unwrap(),
        2,
        "the expired code and the send that stopped counting are deleted"
    );
    assert_eq!(
        store
            .admit_code(&code("i-2", "a@example.com", "mac"), limits, NOW + 600)
            .await
            .unwrap(),
        Admission::Admitted,
        "a send that stopped counting no longer limits"
    );
}

// --- verification codes ---

const MAX_ATTEMPTS: u32 = 10;

/// A code issued at `NOW` (or the `now` it is admitted at), valid for 600 s from `NOW`.
fn code(interaction: &str, recipient: &str, mac: &str) -> NewCode {
    NewCode {
        interaction: interaction.to_owned(),
        recipient: recipient.to_owned(),
        mac: mac.to_owned(),
        expires_at: NOW + 600,
    }
}

const GENEROUS: SendLimits = SendLimits {
    window: 600,
    max_sends: 1_000,
    resend_after: 0,
};

async fn admitted(store: &SharedStore, interaction: &str, recipient: &str, mac: &str) {
    let admission = store
        .admit_code(&code(interaction, recipient, mac), GENEROUS, NOW)
        .await
        .unwrap();
    assert_eq!(admission, Admission::Admitted);
}

async fn check(store: &SharedStore, mac: &str, now: u64) -> CodeCheck {
    store
        .check_code("i-1", "a@example.com", mac, MAX_ATTEMPTS, now)
        .await
        .unwrap()
}

pub async fn check_code_counts_and_consumes(store: &SharedStore) {
    assert_eq!(
        check(store, "right", NOW).await,
        CodeCheck::Missing,
        "none yet"
    );
    admitted(store, "i-1", "a@example.com", "right").await;
    assert_eq!(
        check(store, "wrong", NOW).await,
        CodeCheck::Wrong { attempts_left: 9 }
    );
    assert_eq!(
        store
            .check_code("i-1", "b@example.com", "right", MAX_ATTEMPTS, NOW)
            .await
            .unwrap(),
        CodeCheck::Wrong { attempts_left: 8 },
        "the right digest for another recipient is wrong"
    );
    assert_eq!(check(store, "right", NOW).await, CodeCheck::Verified);
    assert_eq!(
        check(store, "right", NOW).await,
        CodeCheck::Missing,
        "a used code never verifies again"
    );
    let found = store.find_code("i-1", NOW).await.unwrap().unwrap();
    assert_eq!((found.attempts, found.consumed_at), (3, Some(NOW)));

    admitted(store, "i-1", "a@example.com", "second").await;
    assert_eq!(
        check(store, "right", NOW).await,
        CodeCheck::Wrong { attempts_left: 9 },
        "a new code replaces the old one and starts afresh"
    );
    assert_eq!(
        check(store, "second", NOW + 600).await,
        CodeCheck::Missing,
        "expired at expires_at"
    );
    assert_eq!(check(store, "second", NOW + 599).await, CodeCheck::Verified);
}

/// Runs `callers` concurrent calls of `call(i)` released together; their outcomes.
async fn race<T, F, Fut>(callers: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(callers));
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let start = Arc::clone(&start);
            let call = call(i);
            tokio::spawn(async move {
                start.wait().await;
                call.await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(callers);
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

pub async fn check_code_holds_the_attempt_limit_under_concurrency(store: &SharedStore) {
    admitted(store, "i-1", "a@example.com", "right").await;
    let outcomes = race(50, |i| {
        let store = Arc::clone(store);
        async move {
            store
                .check_code(
                    "i-1",
                    "a@example.com",
                    &format!("guess-{i}"),
                    MAX_ATTEMPTS,
                    NOW,
                )
                .await
                .unwrap()
        }
    })
    .await;
    let wrong = outcomes
        .iter()
        .filter(|o| matches!(o, CodeCheck::Wrong { .. }))
        .count();
    let exhausted = outcomes
        .iter()
        .filter(|o| **o == CodeCheck::Exhausted)
        .count();
    assert_eq!(wrong, 10, "exactly the limit is checked: {outcomes:?}");
    assert_eq!(exhausted, 40, "every other guess is refused unchecked");
    let mut left: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            CodeCheck::Wrong { attempts_left } => Some(*attempts_left),
            _ => None,
        })
        .collect();
    left.sort_unstable();
    assert_eq!(left, (0..10).collect::<Vec<_>>(), "each count seen once");
    assert_eq!(
        check(store, "right", NOW).await,
        CodeCheck::Exhausted,
        "the right code is refused once the attempts are used up"
    );
}

pub async fn check_code_verifies_once_under_concurrency(store: &SharedStore) {
    admitted(store, "i-1", "a@example.com", "right").await;
    // 5 presentations of the right code raced by 20 wrong guesses (within the limit of
    // 25 here, so that no check is refused for exhaustion).
    let outcomes = race(25, |i| {
        let store = Arc::clone(store);
        let mac = if i % 5 == 0 {
            "right".to_owned()
        } else {
            format!("guess-{i}")
        };
        async move {
            store
                .check_code("i-1", "a@example.com", &mac, 25, NOW)
                .await
                .unwrap()
        }
    })
    .await;
    let verified = outcomes
        .iter()
        .filter(|o| **o == CodeCheck::Verified)
        .count();
    assert_eq!(verified, 1, "one use, however raced: {outcomes:?}");
    assert_eq!(check(store, "right", NOW).await, CodeCheck::Missing);
}

pub async fn admit_code_holds_the_send_limit_under_concurrency(store: &SharedStore) {
    let limits = SendLimits {
        window: 600,
        max_sends: 10,
        resend_after: 59,
    };
    let outcomes = race(20, |i| {
        let store = Arc::clone(store);
        async move {
            store
                .admit_code(&code(&format!("i-{i}"), "a@example.com", "m"), limits, NOW)
                .await
                .unwrap()
        }
    })
    .await;
    let admitted = outcomes
        .iter()
        .filter(|o| **o == Admission::Admitted)
        .count();
    assert_eq!(admitted, 10, "at most the limit: {outcomes:?}");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Admission::Admitted | Admission::RateLimited)));
    assert_eq!(
        store
            .admit_code(&code("other", "b@example.com", "m"), limits, NOW)
            .await
            .unwrap(),
        Admission::Admitted,
        "another recipient has its own limit"
    );
    assert_eq!(
        store
            .admit_code(&code("late", "a@example.com", "m"), limits, NOW + 599)
            .await
            .unwrap(),
        Admission::RateLimited,
        "still within the window"
    );
    assert_eq!(
        store
            .admit_code(&code("later", "a@example.com", "m"), limits, NOW + 600)
            .await
            .unwrap(),
        Admission::Admitted,
        "the window has passed"
    );
}

pub async fn admit_code_enforces_the_resend_wait(store: &SharedStore) {
    let limits = SendLimits {
        window: 600,
        max_sends: 10,
        resend_after: 59,
    };
    let admit = |recipient: &'static str, mac: &'static str, now: u64| {
        let store = Arc::clone(store);
        async move {
            store
                .admit_code(&code("i-1", recipient, mac), limits, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        admit("a@example.com", "first", NOW).await,
        Admission::Admitted
    );
    assert_eq!(
        admit("a@example.com", "second", NOW + 20).await,
        Admission::TooSoon { wait: 39 }
    );
    assert_eq!(
        check(store, "first", NOW + 20).await,
        CodeCheck::Verified,
        "a refused resend leaves the earlier code valid"
    );
    assert_eq!(
        admit("a@example.com", "third", NOW + 59).await,
        Admission::Admitted,
        "after the wait"
    );
    assert_eq!(
        admit("b@example.com", "fourth", NOW + 60).await,
        Admission::Admitted,
        "another address for the same interaction does not wait"
    );
}

pub async fn admit_code_for_one_interaction_admits_one_under_concurrency(store: &SharedStore) {
    let limits = SendLimits {
        window: 600,
        max_sends: 10,
        resend_after: 59,
    };
    let outcomes = race(10, |i| {
        let store = Arc::clone(store);
        async move {
            store
                .admit_code(&code("i-1", "a@example.com", &format!("m{i}")), limits, NOW)
                .await
                .unwrap()
        }
    })
    .await;
    let admitted = outcomes
        .iter()
        .filter(|o| **o == Admission::Admitted)
        .count();
    assert_eq!(admitted, 1, "one code per resend wait: {outcomes:?}");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Admission::Admitted | Admission::TooSoon { .. })));
}

// --- users, concurrently ---

pub async fn create_user_if_absent_makes_one_account_under_concurrency(store: &SharedStore) {
    let outcomes = race(20, |i| {
        let store = Arc::clone(store);
        async move {
            let candidate = user(
                &format!("tab{i:09}"),
                Some(if i % 2 == 0 {
                    "New@Example.com"
                } else {
                    "new@example.com"
                }),
            );
            store.create_user_if_absent(&candidate, &[]).await.unwrap()
        }
    })
    .await;
    let created = outcomes.iter().filter(|(_, created)| *created).count();
    assert_eq!(created, 1, "one account for one address");
    let ids: std::collections::HashSet<_> = outcomes.iter().map(|(user, _)| &user.id).collect();
    assert_eq!(ids.len(), 1, "every caller gets that one account");
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn only_one_account_is_ever_the_first(store: &SharedStore) {
    let admin = ["admin".to_owned()];
    let outcomes = race(20, |i| {
        let store = Arc::clone(store);
        let admin = admin.clone();
        async move {
            let mut candidate = user(&format!("person{i:06}"), Some(&format!("p{i}@example.com")));
            candidate.roles = Vec::new();
            store
                .create_user_if_absent(&candidate, &admin)
                .await
                .unwrap()
        }
    })
    .await;
    assert!(outcomes.iter().all(|(_, created)| *created));
    let admins = outcomes
        .iter()
        .filter(|(user, _)| user.roles == ["admin"])
        .count();
    assert_eq!(
        admins, 1,
        "two first accounts at once make one administrator"
    );
    assert_eq!(store.count_users().await.unwrap(), 20);
    let mut later = user("late00000001", Some("late@example.com"));
    later.roles = Vec::new();
    let (later, _) = store.create_user_if_absent(&later, &admin).await.unwrap();
    assert!(later.roles.is_empty(), "not the first");
}

pub async fn record_sign_in_updates_in_place_under_concurrency(store: &SharedStore) {
    let mut ada = user("ada000000001", Some("ada@example.com"));
    ada.roles = vec!["editor".to_owned()];
    store.create_user(&ada).await.unwrap();
    let outcomes = race(20, |i| {
        let store = Arc::clone(store);
        async move {
            let now_ms = 1_800_000_000_000 + i64::try_from(i).unwrap();
            store
                .record_sign_in("ada000000001", now_ms, (i % 2 == 0).then_some("admin"))
                .await
                .unwrap()
        }
    })
    .await;
    assert!(outcomes.iter().all(Option::is_some));
    let stored = store.find_user("ada000000001").await.unwrap().unwrap();
    assert_eq!(
        stored.roles,
        ["editor", "admin"],
        "added once, nothing lost"
    );
    assert!(stored.last_sign_in_at_ms.unwrap() >= 1_800_000_000_000);
    assert_eq!(store.record_sign_in("nobody", 1, None).await.unwrap(), None);
}

// --- refresh rotation ---

async fn rotate_now(store: &SharedStore, successor: &str, now: u64) -> Rotation {
    store
        .rotate(
            Kind::RefreshToken,
            "rt-1",
            successor,
            record(NOW + 1_000).with_grant("g-1"),
            3,
            now,
        )
        .await
        .unwrap()
}

pub async fn rotate_within_grace_and_reuse_after(store: &SharedStore) {
    assert_eq!(rotate_now(store, "rt-2", NOW).await, Rotation::Missing);
    store
        .upsert(
            Kind::RefreshToken,
            "rt-1",
            record(NOW + 1_000).with_grant("g-1"),
        )
        .await
        .unwrap();
    store
        .upsert(Kind::Grant, "g-1", record(NOW + 1_000).with_grant("g-1"))
        .await
        .unwrap();
    match rotate_now(store, "rt-2", NOW).await {
        Rotation::Rotated(before) => assert_eq!(before.consumed_at, None),
        other => panic!("expected a rotation, got {other:?}"),
    }
    assert!(
        exists(store, Kind::RefreshToken, "rt-2").await,
        "successor stored"
    );
    match rotate_now(store, "rt-3", NOW + 3).await {
        Rotation::Rotated(before) => assert_eq!(before.consumed_at, Some(NOW)),
        other => panic!("within the grace period, got {other:?}"),
    }
    assert!(
        matches!(
            rotate_now(store, "rt-4", NOW + 4).await,
            Rotation::Reused { revoked: 4 }
        ),
        "reuse after the grace revokes the grant (rt-1, rt-2, rt-3, g-1)"
    );
    for id in ["rt-2", "rt-3", "rt-4"] {
        assert!(!exists(store, Kind::RefreshToken, id).await, "{id} revoked");
    }
    assert!(!exists(store, Kind::Grant, "g-1").await);
}

pub async fn rotate_is_atomic_under_concurrency(store: &SharedStore) {
    store
        .upsert(
            Kind::RefreshToken,
            "rt-1",
            record(NOW + 1_000).with_grant("g-1"),
        )
        .await
        .unwrap();
    let outcomes = race(20, |i| {
        let store = Arc::clone(store);
        async move {
            store
                .rotate(
                    Kind::RefreshToken,
                    "rt-1",
                    &format!("next-{i}"),
                    record(NOW + 1_000).with_grant("g-1"),
                    3,
                    NOW,
                )
                .await
                .unwrap()
        }
    })
    .await;
    let firsts = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated(before) if before.consumed_at.is_none()))
        .count();
    assert_eq!(firsts, 1, "exactly one caller consumed the token first");
    assert!(outcomes.iter().all(|o| matches!(o, Rotation::Rotated(_))));
}

// --- documents, compare-and-swap ---

pub async fn put_document_if_compares_versions(store: &SharedStore) {
    assert!(store.put_document_if("doc", &json!(1), None).await.unwrap());
    assert!(
        !store.put_document_if("doc", &json!(2), None).await.unwrap(),
        "create-only refuses an existing document"
    );
    let stored = store.get_versioned_document("doc").await.unwrap().unwrap();
    assert_eq!((stored.value, stored.version), (json!(1), 1));
    assert!(!store
        .put_document_if("doc", &json!(3), Some(7))
        .await
        .unwrap());
    assert!(store
        .put_document_if("doc", &json!(4), Some(1))
        .await
        .unwrap());
    assert!(
        !store
            .put_document_if("doc", &json!(5), Some(1))
            .await
            .unwrap(),
        "a stale version is refused"
    );
    store.put_document("doc", &json!(6)).await.unwrap();
    let stored = store.get_versioned_document("doc").await.unwrap().unwrap();
    assert_eq!((stored.value, stored.version), (json!(6), 3));
}

pub async fn update_document_loses_no_update_under_concurrency(store: &SharedStore) {
    race(20, |_| {
        let store = Arc::clone(store);
        async move {
            update_document::<StoreError, _>(store.as_ref(), "counter", |old| {
                Ok(json!(old.and_then(|v| v.as_u64()).unwrap_or(0) + 1))
            })
            .await
            .unwrap()
        }
    })
    .await;
    assert_eq!(
        store.get_document("counter").await.unwrap(),
        Some(json!(20))
    );
}
