//! `/settings/sign-in-experience` (administrators only): the email connector (AWS SES with every
//! Logto field and a template per usage type, or the development mailbox), a test email, and the
//! sign-up and sign-in methods — saved through Logto's Management API. Plain forms that work
//! without WASM; with it, pending states, inline results, field errors and an unsaved-changes
//! warning.

use crate::app::components::error_page::ErrorPage;
use crate::app::settings_api::{load_settings, SaveEmail, SaveSignIn};
use crate::ui_types::{
    AppError, EmailSettings, Outcome, SettingsData, SignInSettings, TemplateForm,
    DEV_MAILBOX_FACTORY, OPTIONAL_USAGE_TYPES, REQUIRED_USAGE_TYPES, SES_FACTORY,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |()| load_settings());
    view! {
        <Title text="Sign-in experience" />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the settings…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(settings) => view! { <Settings settings /> }.into_any(),
                    Err(error) => view! { <LoadFailure error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LoadFailure(error: AppError) -> impl IntoView {
    match error {
        AppError::AdminsOnly => view! {
            <ErrorPage
                status=403
                title="Administrators only"
                message="Only administrators can change the sign-in experience. Ask an administrator for access."
            />
        }
        .into_any(),
        AppError::SignedOut => {
            #[cfg(feature = "hydrate")]
            {
                let _navigated = window()
                    .location()
                    .set_href("/logto/sign-in?return_to=/settings/sign-in-experience");
            }
            view! {
                <p class="muted">
                    "Taking you to "
                    <a href="/logto/sign-in?return_to=/settings/sign-in-experience" rel="external">"sign in"</a>"…"
                </p>
            }
            .into_any()
        }
        error => view! {
            <ErrorPage status=error.status() title="Settings unavailable" message=error.message()>
                <a href="/settings/sign-in-experience" class="button" rel="external">"Try again"</a>
            </ErrorPage>
        }
        .into_any(),
    }
}

#[component]
fn Settings(settings: SettingsData) -> impl IntoView {
    let dirty = RwSignal::new(false);
    warn_before_leaving(dirty);
    view! {
        <section class="settings">
            <h1>"Sign-in experience"</h1>
            <p class="lead">
                "How people sign up and sign in, and how their verification emails are sent. "
                "Changes apply to the next sign-in."
            </p>
            <Show when=move || dirty.get()>
                <p class="alert alert--warning" role="status" data-testid="unsaved">"You have unsaved changes."</p>
            </Show>
            <EmailSection email=settings.email dirty />
            <SignInSection sign_in=settings.sign_in dirty />
        </section>
    }
}

/// Asks the browser to confirm leaving while a form has unsaved edits.
fn warn_before_leaving(dirty: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::beforeunload, move |event| {
            if dirty.get_untracked() {
                event.prevent_default();
                event.set_return_value("You have unsaved changes.");
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dirty;
}

/// A form's last answer as (outcome, failure message); a successful save clears `dirty`.
fn results(
    value: impl Get<Value = Option<Result<Outcome, AppError>>> + Clone + Send + Sync + 'static,
    dirty: RwSignal<bool>,
) -> (Signal<Option<Outcome>>, Signal<Option<String>>) {
    let for_outcome = value.clone();
    let outcome = Signal::derive(move || for_outcome.get().and_then(Result::ok));
    let failed = Signal::derive(move || {
        value
            .get()
            .and_then(Result::err)
            .map(|error| error.message())
    });
    Effect::new(move |_| {
        if outcome.get().is_some_and(|o| o.ok) {
            dirty.set(false);
        }
    });
    (outcome, failed)
}

#[component]
fn FieldError(outcome: Signal<Option<Outcome>>, field: &'static str) -> impl IntoView {
    move || {
        outcome
            .get()
            .and_then(|o| o.error_for(field))
            .map(|message| {
                view! { <p class="field__error" role="alert" data-field=field>{message}</p> }
            })
    }
}

#[component]
fn OutcomeBanner(
    outcome: Signal<Option<Outcome>>,
    failed: Signal<Option<String>>,
    testid: &'static str,
) -> impl IntoView {
    move || {
        if let Some(message) = failed.get() {
            return Some(view! { <p class="alert alert--error" role="alert" data-testid=testid>{message}</p> }.into_any());
        }
        outcome.get().map(|o| {
            let class = if o.ok { "alert alert--success" } else { "alert alert--error" };
            view! { <p class=class role=if o.ok { "status" } else { "alert" } data-testid=testid>{o.message}</p> }.into_any()
        })
    }
}

#[component]
fn EmailSection(email: EmailSettings, dirty: RwSignal<bool>) -> impl IntoView {
    let action = ServerAction::<SaveEmail>::new();
    let factory = RwSignal::new(if email.factory.is_empty() {
        DEV_MAILBOX_FACTORY.to_owned()
    } else {
        email.factory.clone()
    });
    let templates = RwSignal::new(email.ses.templates.clone());
    let (outcome, failed) = results(action.value(), dirty);
    let pending = action.pending();
    let ses = email.ses.clone();
    let secret_hint = if email.secret_set {
        "A secret is stored. Leave blank to keep it; type a new one to replace it."
    } else {
        "Required. It is stored encrypted and never shown again."
    };
    view! {
        <section class="panel" aria-labelledby="email-heading">
            <h2 id="email-heading">"Email connector"</h2>
            <ActionForm action=action attr:class="stack" on:input=move |_| dirty.set(true)>
                <fieldset class="choice">
                    <legend>"Send verification emails with"</legend>
                    <label>
                        <input type="radio" name="factory" value=SES_FACTORY
                            checked=factory.get_untracked() == SES_FACTORY
                            on:change=move |_| factory.set(SES_FACTORY.to_owned()) />
                        " AWS SES"
                    </label>
                    <label>
                        <input type="radio" name="factory" value=DEV_MAILBOX_FACTORY
                            checked=factory.get_untracked() == DEV_MAILBOX_FACTORY
                            on:change=move |_| factory.set(DEV_MAILBOX_FACTORY.to_owned()) />
                        " Development mailbox (no email leaves this machine)"
                    </label>
                    <FieldError outcome field="factory" />
                </fieldset>
                <div class="ses-fields" class:is-hidden=move || factory.get() != SES_FACTORY>
                    <TextField outcome name="ses[access_key_id]" label="Access key ID" value=ses.access_key_id.clone()
                        hint="The IAM access key allowed to call ses:SendEmail." required=true />
                    <TextField outcome name="ses[access_key_secret]" label="Secret access key" value=String::new()
                        hint=secret_hint kind="password" />
                    <TextField outcome name="ses[region]" label="Region" value=ses.region.clone()
                        hint="Where your SES identity lives, e.g. us-east-1 or eu-west-1." required=true />
                    <TextField outcome name="ses[email_address]" label="Sender" value=ses.email_address.clone()
                        hint="A verified SES identity, e.g. Acme <no-reply@acme.com>." required=true />
                    <details class="advanced">
                        <summary>"Advanced SES options"</summary>
                        <TextField outcome name="ses[email_address_identity_arn]" label="Sender identity ARN"
                            value=ses.email_address_identity_arn.clone() hint="For sending authorization across accounts." />
                        <TextField outcome name="ses[feedback_forwarding_email_address]" label="Feedback forwarding address"
                            value=ses.feedback_forwarding_email_address.clone() hint="Where bounces and complaints go." />
                        <TextField outcome name="ses[feedback_forwarding_email_address_identity_arn]"
                            label="Feedback forwarding identity ARN"
                            value=ses.feedback_forwarding_email_address_identity_arn.clone() hint="" />
                        <TextField outcome name="ses[configuration_set_name]" label="Configuration set"
                            value=ses.configuration_set_name.clone() hint="An SES configuration set for event publishing." />
                    </details>
                    <TemplateEditor templates outcome dirty />
                    <div class="test-email">
                        <label class="field">
                            <span>"Send a test email to"</span>
                            <input type="email" name="test_address" autocomplete="email" data-testid="test-address" />
                            <span class="hint">"Sends the Generic template with code 000000 using the values above, before saving."</span>
                            <FieldError outcome field="test_address" />
                        </label>
                        <button type="submit" name="intent" value="test" class="button button--secondary"
                            disabled=move || pending.get() data-testid="send-test">
                            {move || if pending.get() { "Working…" } else { "Send test email" }}
                        </button>
                    </div>
                </div>
                <OutcomeBanner outcome failed testid="email-outcome" />
                <div class="actions">
                    <button type="submit" name="intent" value="save" class="button" disabled=move || pending.get()
                        data-testid="save-email">
                        {move || if pending.get() { "Saving…" } else { "Save email connector" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn TextField(
    outcome: Signal<Option<Outcome>>,
    name: &'static str,
    label: &'static str,
    value: String,
    hint: &'static str,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = name.replace(['[', ']'], "_");
    let hint_id = format!("{id}_hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label} {required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <input id=id type=kind.unwrap_or("text") name=name value=value autocomplete="off"
                aria-describedby=hint_id.clone()
                aria-invalid=move || outcome.get().and_then(|o| o.error_for(name)).map(|_| "true") />
            <span class="hint" id=hint_id>{hint}</span>
            <FieldError outcome field=name />
        </div>
    }
}

#[component]
fn TemplateEditor(
    templates: RwSignal<Vec<TemplateForm>>,
    outcome: Signal<Option<Outcome>>,
    dirty: RwSignal<bool>,
) -> impl IntoView {
    let choice = RwSignal::new(String::new());
    let available = move || {
        let present = templates.get();
        OPTIONAL_USAGE_TYPES
            .iter()
            .filter(|usage| !present.iter().any(|t| t.usage_type == **usage))
            .map(|usage| (*usage).to_owned())
            .collect::<Vec<_>>()
    };
    let add = move |_| {
        let usage = choice.get_untracked();
        if usage.is_empty() {
            return;
        }
        templates.update(|list| {
            list.push(TemplateForm {
                usage_type: usage.clone(),
                subject: "Your verification code: {{code}}".to_owned(),
                content: "<p>Your verification code is <strong>{{code}}</strong>.</p>".to_owned(),
            });
        });
        choice.set(String::new());
        dirty.set(true);
    };
    view! {
        <fieldset class="templates">
            <legend>"Templates"</legend>
            <p class="hint">
                "One template per kind of email. Register, SignIn, ForgotPassword and Generic are required; "
                "{{code}} is replaced by the verification code."
            </p>
            <FieldError outcome field="templates" />
            {move || {
                templates
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(index, template)| {
                        let required = REQUIRED_USAGE_TYPES.contains(&template.usage_type.as_str());
                        let usage = template.usage_type;
                        let (heading, hidden, removed) = (usage.clone(), usage.clone(), usage.clone());
                        view! {
                            <div class="template" data-usage=usage>
                                <h3>{heading} {(!required).then_some(" (optional)")}</h3>
                                <input type="hidden" name=format!("ses[templates][{index}][usage_type]") value=hidden />
                                <label class="field">
                                    <span>"Subject"</span>
                                    <input type="text" name=format!("ses[templates][{index}][subject]") value=template.subject />
                                </label>
                                <label class="field">
                                    <span>"Content (HTML)"</span>
                                    <textarea name=format!("ses[templates][{index}][content]") rows="4">{template.content}</textarea>
                                </label>
                                {(!required).then(|| view! {
                                    <button type="button" class="link-button"
                                        on:click=move |_| { templates.update(|list| { list.retain(|t| t.usage_type != removed); }); dirty.set(true); }>
                                        "Remove"
                                    </button>
                                })}
                            </div>
                        }
                    })
                    .collect_view()
            }}
            <Show when=move || !available().is_empty()>
                <div class="add-template">
                    <label class="field">
                        <span>"Add a template for"</span>
                        <select prop:value=move || choice.get() on:change=move |ev| choice.set(event_target_value(&ev))>
                            <option value="">"Choose a usage type"</option>
                            {move || available().into_iter().map(|usage| { let label = usage.clone(); view! { <option value=usage>{label}</option> } }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button button--secondary" on:click=add>"Add template"</button>
                </div>
            </Show>
        </fieldset>
    }
}

/// A checkbox whose name is also its test id and its field-error key.
#[component]
fn CheckField(
    outcome: Signal<Option<Outcome>>,
    name: &'static str,
    checked: bool,
    label: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let testid = name.replace('_', "-");
    view! {
        <div class="check">
            <label>
                <input type="checkbox" name=name value="on" checked=checked data-testid=testid />
                " " {label}
            </label>
            <p class="hint">{hint}</p>
            <FieldError outcome field=name />
        </div>
    }
}

#[component]
fn SignInSection(sign_in: SignInSettings, dirty: RwSignal<bool>) -> impl IntoView {
    let action = ServerAction::<SaveSignIn>::new();
    let (outcome, failed) = results(action.value(), dirty);
    let pending = action.pending();
    view! {
        <section class="panel" aria-labelledby="sign-in-heading">
            <h2 id="sign-in-heading">"Sign-up and sign-in"</h2>
            <ActionForm action=action attr:class="stack" on:input=move |_| dirty.set(true)>
                <CheckField outcome name="email_sign_up" checked=sign_in.email_sign_up
                    label="New people can create an account with their email address"
                    hint="Email is the sign-up identifier; it is verified with a code before the account is created." />
                <CheckField outcome name="verification_code" checked=sign_in.verification_code
                    label="Sign in with a verification code sent by email (passwordless)"
                    hint="Without a password, verification-code sign-in must stay on: people need at least one way in." />
                <CheckField outcome name="password" checked=sign_in.password
                    label="Also ask for a password"
                    hint="Logto's rules: passwordless sign-up requires email verification; the embedded provider signs in with codes only." />
                <OutcomeBanner outcome failed testid="sign-in-outcome" />
                <div class="actions">
                    <button type="submit" class="button" disabled=move || pending.get() data-testid="save-sign-in">
                        {move || if pending.get() { "Saving…" } else { "Save sign-in methods" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
