//! Loading and validation: defaults, file, environment override, and every problem reported at once.

use super::*;
use std::collections::HashMap;

const SHIPPED: &str = include_str!("../../Leptos.toml");

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn problem_keys(error: &ConfigError) -> Vec<&str> {
    error.problems.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn shipped_file_gives_a_working_dev_setup() {
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&[])).unwrap();
    assert_eq!(settings.site.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(settings.site.mode, RunMode::Dev);
    assert_eq!(settings.site.reload_port, 3100);
    assert!(
        settings.logto.endpoint.is_none(),
        "empty endpoint means embedded"
    );
    assert_eq!(settings.logto.base(), "http://localhost:3000");
    assert_eq!(settings.logto.app_id, "leptos-logto-dev");
    assert_eq!(settings.log.format, LogFormat::Text);
}

#[test]
fn built_in_defaults_apply_without_a_file_and_secrets_have_none() {
    let error = load(None, &env_of(&[])).unwrap_err();
    assert_eq!(problem_keys(&error), ["logto.app_id", "logto.app_secret"]);
    let settings = load(
        None,
        &env_of(&[("LOGTO_APP_ID", "abc"), ("LOGTO_APP_SECRET", "s3cret")]),
    )
    .unwrap();
    assert_eq!(settings.site.root, "target/site");
    assert_eq!(settings.site.pkg_dir, "pkg");
    assert_eq!(settings.log.filter, "info");
}

#[test]
fn file_values_are_read() {
    let file = r#"
        [site]
        addr = "0.0.0.0:8080"
        env = "PROD"
        [logto]
        endpoint = "https://tenant.logto.app/"
        app_id = "app123"
        app_secret = "real-secret"
        base_url = "https://app.example.com/"
        [log]
        format = "json"
    "#;
    let settings = load(Some(("custom.toml", file)), &env_of(&[])).unwrap();
    assert_eq!(settings.site.addr.port(), 8080);
    assert_eq!(settings.site.mode, RunMode::Prod);
    assert_eq!(
        settings.logto.endpoint.as_ref().unwrap().as_str(),
        "https://tenant.logto.app/"
    );
    assert_eq!(settings.logto.base(), "https://app.example.com");
    assert_eq!(settings.log.format, LogFormat::Json);
}

#[test]
fn environment_overrides_the_file_and_empty_clears() {
    let file =
        "[logto]\nendpoint = \"https://a.logto.app\"\napp_id = \"file\"\napp_secret = \"x\"\n";
    let settings = load(
        Some(("f.toml", file)),
        &env_of(&[
            ("LOGTO_APP_ID", "from-env"),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.logto.app_id, "from-env");
    assert_eq!(settings.site.addr.port(), 4000);
    assert!(settings.logto.endpoint.is_some());

    let cleared = load(Some(("f.toml", file)), &env_of(&[("LOGTO_ENDPOINT", "")])).unwrap();
    assert!(cleared.logto.endpoint.is_none());
}

#[test]
fn every_invalid_value_is_reported_together_with_key_and_env_name() {
    let file = r#"
        [site]
        addr = "not-an-address"
        env = "STAGING"
        reload_port = 0
        output_name = ""
        [logto]
        endpoint = "ftp://tenant.logto.app"
        app_id = "has space"
        app_secret = ""
        base_url = "http://localhost:3000/app"
        [log]
        filter = "[[["
        format = "xml"
        [typo]
        key = 1
    "#;
    let error = load(Some(("bad.toml", file)), &env_of(&[])).unwrap_err();
    let keys = problem_keys(&error);
    for expected in [
        "typo.key",
        "site.env",
        "site.addr",
        "site.output_name",
        "site.reload_port",
        "logto.endpoint",
        "logto.app_id",
        "logto.app_secret",
        "logto.base_url",
        "log.filter",
        "log.format",
    ] {
        assert!(keys.contains(&expected), "{expected} missing from {keys:?}");
    }
    assert_eq!(keys.len(), 11, "{keys:?}");
    let text = error.to_string();
    assert!(text.contains("site.addr (env LEPTOS_SITE_ADDR)"), "{text}");
    assert!(
        text.contains("logto.endpoint (env LOGTO_ENDPOINT)"),
        "{text}"
    );
}

#[test]
fn production_refuses_plain_http_and_the_dev_secret() {
    let error = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[
            ("LEPTOS_ENV", "PROD"),
            ("LOGTO_BASE_URL", "http://app.example.com"),
            ("LOGTO_ENDPOINT", "http://tenant.example.com"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        problem_keys(&error),
        [
            "logto.endpoint",
            "logto.app_secret",
            "logto.base_url",
            "logto.m2m_app_secret"
        ]
    );
    // Loopback stays allowed over http, for local production-mode runs.
    let settings = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[
            ("LEPTOS_ENV", "prod"),
            ("LOGTO_APP_SECRET", "real"),
            ("LOGTO_M2M_APP_SECRET", "real-too"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.site.mode, RunMode::Prod);
}

#[test]
fn machine_to_machine_credentials_come_in_pairs_and_are_reported_once() {
    let no_m2m = "[logto]\napp_id = \"a\"\napp_secret = \"b\"\n";
    let settings = load(Some(("f.toml", no_m2m)), &env_of(&[])).unwrap();
    assert!(settings.logto.m2m.is_none());
    let error = load(
        Some(("f.toml", no_m2m)),
        &env_of(&[("LOGTO_M2M_APP_ID", "m2m")]),
    )
    .unwrap_err();
    assert_eq!(problem_keys(&error), ["logto.m2m_app_secret"]);
    let error = load(
        Some(("f.toml", no_m2m)),
        &env_of(&[
            ("LOGTO_M2M_APP_ID", "m2m"),
            (
                "LOGTO_M2M_APP_SECRET",
                "dev-only-m2m-secret-not-for-production",
            ),
            ("LEPTOS_ENV", "PROD"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        problem_keys(&error),
        ["logto.m2m_app_secret"],
        "one problem, not two"
    );
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&[])).unwrap();
    assert_eq!(settings.logto.m2m.unwrap().app_id, "leptos-logto-m2m-dev");
}

#[test]
fn broken_toml_is_a_problem_not_a_panic() {
    let error = load(Some(("broken.toml", "[site\naddr=")), &env_of(&[])).unwrap_err();
    assert_eq!(error.problems[0].key, "broken.toml");
    assert!(error.problems[0].message.starts_with("not valid TOML"));
}

#[test]
fn credentials_query_and_fragment_are_refused_in_urls() {
    for bad in [
        "https://user:pw@tenant.logto.app",
        "https://tenant.logto.app?x=1",
        "https://tenant.logto.app#f",
        "tenant.logto.app",
    ] {
        let error = load(
            Some(("Leptos.toml", SHIPPED)),
            &env_of(&[("LOGTO_ENDPOINT", bad)]),
        )
        .unwrap_err();
        assert_eq!(problem_keys(&error), ["logto.endpoint"], "{bad}");
    }
}

#[test]
fn the_app_secret_never_appears_in_debug_output() {
    let settings = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[("LOGTO_APP_SECRET", "sentinel-9f8e7d")]),
    )
    .unwrap();
    assert!(!format!("{settings:?}").contains("sentinel-9f8e7d"));
    assert_eq!(settings.logto.app_secret.expose(), "sentinel-9f8e7d");
}

#[test]
fn every_key_is_documented_in_the_shipped_file_and_readme() {
    let readme = include_str!("../../README.md");
    for key in keys::ALL {
        assert!(SHIPPED.contains(key.env), "{} not in Leptos.toml", key.env);
        assert!(readme.contains(key.env), "{} not in README.md", key.env);
    }
}

#[test]
fn the_email_connector_defaults_to_none_from_settings() {
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&[])).unwrap();
    assert_eq!(settings.provider.email_connector, None);
    let settings = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[("PROVIDER_EMAIL_CONNECTOR", "dev-mailbox")]),
    )
    .unwrap();
    assert_eq!(
        settings.provider.email_connector,
        Some(EmailConnectorSetting::DevMailbox)
    );
}

#[test]
fn ses_from_settings_with_a_key_or_the_default_chain() {
    let ses = [
        ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
        ("PROVIDER_SES_REGION", "eu-west-1"),
        ("PROVIDER_SES_SENDER", "Acme <no-reply@acme.example>"),
    ];
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&ses)).unwrap();
    assert_eq!(
        settings.provider.email_connector,
        Some(EmailConnectorSetting::AwsSes(SesSettings {
            region: "eu-west-1".to_owned(),
            sender: "Acme <no-reply@acme.example>".to_owned(),
            access_key: None,
            configuration_set: None,
        }))
    );
    let mut keyed = ses.to_vec();
    keyed.extend([
        ("PROVIDER_SES_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("PROVIDER_SES_ACCESS_KEY_SECRET", "sentinel-ses-secret"),
        ("PROVIDER_SES_CONFIGURATION_SET", "sign-in_codes"),
    ]);
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&keyed)).unwrap();
    let Some(EmailConnectorSetting::AwsSes(ses)) = &settings.provider.email_connector else {
        panic!("SES expected");
    };
    let key = ses.access_key.as_ref().unwrap();
    assert_eq!(key.id, "AKIAEXAMPLE");
    assert_eq!(key.secret.expose(), "sentinel-ses-secret");
    assert_eq!(ses.configuration_set.as_deref(), Some("sign-in_codes"));
    assert!(!format!("{settings:?}").contains("sentinel-ses-secret"));
}

#[test]
fn email_connector_problems_are_reported_together_with_key_and_env_name() {
    // SES without region and sender, half a key, a bad configuration set.
    let error = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[
            ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
            ("PROVIDER_SES_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("PROVIDER_SES_CONFIGURATION_SET", "has space"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        problem_keys(&error),
        [
            "provider.ses_region",
            "provider.ses_sender",
            "provider.ses_access_key_secret",
            "provider.ses_configuration_set"
        ]
    );
    let text = error.to_string();
    assert!(
        text.contains(
            "provider.ses_region (env PROVIDER_SES_REGION): must be set when \
             PROVIDER_EMAIL_CONNECTOR is `aws-ses`"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "provider.ses_access_key_secret (env PROVIDER_SES_ACCESS_KEY_SECRET): must be set \
             with PROVIDER_SES_ACCESS_KEY_ID"
        ),
        "{text}"
    );

    // Badly formed values, and the secret without its id.
    let error = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[
            ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
            ("PROVIDER_SES_REGION", "https://evil.example/"),
            ("PROVIDER_SES_SENDER", "not an address"),
            ("PROVIDER_SES_ACCESS_KEY_SECRET", "s3cret"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        problem_keys(&error),
        [
            "provider.ses_region",
            "provider.ses_sender",
            "provider.ses_access_key_id"
        ]
    );
    assert!(!error.to_string().contains("s3cret"));

    // Unknown connector; SES keys without SES.
    let error = load(
        Some(("Leptos.toml", SHIPPED)),
        &env_of(&[
            ("PROVIDER_EMAIL_CONNECTOR", "smtp"),
            ("PROVIDER_SES_REGION", "eu-west-1"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        problem_keys(&error),
        ["provider.email_connector", "provider.ses_region"]
    );
    assert!(
        error
            .to_string()
            .contains("expected `aws-ses` or `dev-mailbox`"),
        "{error}"
    );
}

#[test]
fn production_refuses_the_dev_mailbox_and_an_unsealable_ses_key() {
    let prod = [
        ("LEPTOS_ENV", "PROD"),
        ("LOGTO_APP_SECRET", "real"),
        ("LOGTO_M2M_APP_SECRET", "real-too"),
    ];
    let mut dev_mailbox = prod.to_vec();
    dev_mailbox.push(("PROVIDER_EMAIL_CONNECTOR", "dev-mailbox"));
    let error = load(Some(("Leptos.toml", SHIPPED)), &env_of(&dev_mailbox)).unwrap_err();
    assert_eq!(problem_keys(&error), ["provider.email_connector"]);
    assert!(
        error
            .to_string()
            .contains("it does not exist in production"),
        "{error}"
    );

    let mut keyed = prod.to_vec();
    keyed.extend([
        ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
        ("PROVIDER_SES_REGION", "eu-west-1"),
        ("PROVIDER_SES_SENDER", "no-reply@acme.example"),
        ("PROVIDER_SES_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("PROVIDER_SES_ACCESS_KEY_SECRET", "s3cret"),
    ]);
    let error = load(Some(("Leptos.toml", SHIPPED)), &env_of(&keyed)).unwrap_err();
    assert_eq!(problem_keys(&error), ["provider.ses_access_key_secret"]);
    assert!(
        error.to_string().contains("PROVIDER_SECRETS_KEY_FILE"),
        "{error}"
    );
    keyed.push(("PROVIDER_SECRETS_KEY_FILE", "/run/secrets/provider.key"));
    assert!(load(Some(("Leptos.toml", SHIPPED)), &env_of(&keyed)).is_ok());

    // The default credential chain needs no secrets key.
    let mut role = prod.to_vec();
    role.extend([
        ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
        ("PROVIDER_SES_REGION", "eu-west-1"),
        ("PROVIDER_SES_SENDER", "no-reply@acme.example"),
    ]);
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&role)).unwrap();
    assert!(matches!(
        settings.provider.email_connector,
        Some(EmailConnectorSetting::AwsSes(SesSettings {
            access_key: None,
            ..
        }))
    ));
}

#[test]
fn every_cross_key_check_states_its_rule_and_reports_against_a_key() {
    assert!(!super::CHECKS.is_empty());
    for check in super::CHECKS {
        assert!(check.rule.contains("LOGTO_"), "{}", check.rule);
    }
}

#[test]
fn a_machine_to_machine_app_needs_both_its_id_and_its_secret() {
    let only_id = "[logto]\napp_id = \"a\"\napp_secret = \"b\"\nm2m_app_id = \"m\"\n";
    let error = load(Some(("f.toml", only_id)), &env_of(&[])).unwrap_err();
    let problem = error
        .problems
        .iter()
        .find(|p| p.key == "logto.m2m_app_secret")
        .expect("the missing secret is named");
    assert!(problem.message.contains("LOGTO_M2M_APP_ID"), "{problem:?}");
    let error = load(
        Some(("f.toml", "[logto]\napp_id = \"a\"\napp_secret = \"b\"\n")),
        &env_of(&[("LOGTO_M2M_APP_SECRET", "s")]),
    )
    .unwrap_err();
    assert!(problem_keys(&error).contains(&"logto.m2m_app_id"));
}

#[test]
fn the_provider_store_is_sqlite_unless_a_postgres_url_is_set() {
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&[])).unwrap();
    assert_eq!(settings.provider.store, ProviderStoreSetting::Sqlite);
    for url in [
        "postgres://idp:s3cret@db.internal:5432/idp",
        "postgresql://idp@db.internal/idp?sslmode=require",
    ] {
        let settings = load(
            Some(("Leptos.toml", SHIPPED)),
            &env_of(&[("PROVIDER_STORE_URL", url)]),
        )
        .unwrap();
        assert_eq!(
            settings.provider.store,
            ProviderStoreSetting::Postgres(Secret::new(url))
        );
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}

#[test]
fn a_provider_store_url_of_another_kind_is_a_problem_that_does_not_repeat_it() {
    for url in [
        "mysql://idp:s3cret@db/idp",
        "sqlite://data/p.sqlite",
        "s3cret",
    ] {
        let error = load(
            Some(("Leptos.toml", SHIPPED)),
            &env_of(&[("PROVIDER_STORE_URL", url)]),
        )
        .unwrap_err();
        assert_eq!(problem_keys(&error), ["provider.store_url"]);
        let shown = error.to_string();
        assert!(shown.contains("PROVIDER_STORE_URL"), "{shown}");
        assert!(shown.contains("postgres://"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}

#[test]
fn the_provider_store_pool_holds_8_connections_unless_set_from_1_to_100() {
    let settings = load(Some(("Leptos.toml", SHIPPED)), &env_of(&[])).unwrap();
    assert_eq!(settings.provider.store_pool_size, 8);
    for (text, size) in [("1", 1), ("32", 32), ("100", 100)] {
        let settings = load(
            Some(("Leptos.toml", SHIPPED)),
            &env_of(&[("PROVIDER_STORE_POOL_SIZE", text)]),
        )
        .unwrap();
        assert_eq!(settings.provider.store_pool_size, size);
    }
    for text in ["0", "101", "-1", "eight", ""] {
        let error = load(
            Some(("Leptos.toml", SHIPPED)),
            &env_of(&[("PROVIDER_STORE_POOL_SIZE", text)]),
        )
        .unwrap_err();
        assert_eq!(
            problem_keys(&error),
            ["provider.store_pool_size"],
            "{text:?}"
        );
        assert!(
            error.to_string().contains("from 1 to 100"),
            "{text:?}: {error}"
        );
    }
}
