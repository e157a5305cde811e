//! The email connector form: which service sends sign-in codes (the factories the provider has
//! that this page can configure), the active connector by name whatever made it, every AWS SES
//! field with a template per usage type, the SES check, a test email, and the save — which asks
//! before replacing the active connector or keeping settings that fail the check.

use super::fields::{results, FieldError, OutcomeBanner, TextField};
use crate::app::components::action_form::{submit_to, FormAction};
use crate::app::settings_api::SaveEmail;
use crate::ui_types::{
    ActiveConnector, EmailFactory, EmailSettings, Outcome, SecretStorage, TemplateForm,
    OPTIONAL_USAGE_TYPES, REQUIRED_USAGE_TYPES, SES_FACTORY,
};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn EmailSection(email: EmailSettings, dirty: RwSignal<bool>) -> impl IntoView {
    let action = FormAction::<Outcome>::new();
    let factory = RwSignal::new(email.selected_factory());
    let ses = email.ses;
    let templates = RwSignal::new(ses.templates.clone());
    let (outcome, failed) = results(action.value(), dirty, "email-form");
    let pending = action.pending();
    let offers_ses = email.choices.iter().any(|choice| choice.id == SES_FACTORY);
    let secret_hint = match (email.secret_set, email.secret_storage) {
        (true, _) => "A secret is stored. Leave blank to keep it; type a new one to replace it.",
        (false, SecretStorage::Encrypted) => {
            "Required. The provider stores it encrypted and never shows it again."
        }
        (false, SecretStorage::PlainText) => {
            "Required. Logto stores it as typed and shows it to Management API clients: use a key allowed only ses:SendEmail."
        }
    };
    let active = active_line(email.active.as_ref(), &email.choices);
    let choices = email.choices;
    view! {
        <section class="panel" aria-labelledby="email-heading">
            <h2 id="email-heading">"Email connector"</h2>
            {active}
            <form method="post" action=SaveEmail::url() class="stack" id="email-form"
                on:submit=submit_to(action) on:input=move |_| dirty.set(true)>
                <fieldset class="choice">
                    <legend>"Send verification emails with"</legend>
                    {choices.into_iter().map(|choice| {
                        let id = choice.id.clone();
                        let selected = choice.id.clone();
                        // SES is known by that name, whatever the provider calls its connector.
                        let label = if choice.id == SES_FACTORY {
                            " AWS SES".to_owned()
                        } else {
                            format!(" {} (no email leaves this machine)", choice.name)
                        };
                        view! {
                            <label>
                                <input type="radio" name="factory" value=id
                                    checked=factory.get_untracked() == choice.id
                                    on:change=move |_| factory.set(selected.clone()) />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                    <FieldError outcome field="factory" />
                </fieldset>
                {offers_ses.then(|| view! {
                <div class="ses-fields" class:is-hidden=move || factory.get() != SES_FACTORY>
                    <TextField outcome name="ses[access_key_id]" label="Access key ID" value=ses.access_key_id.clone()
                        hint="The IAM access key allowed to call ses:SendEmail, e.g. AKIAIOSFODNN7EXAMPLE." required=true />
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
                    <div class="ses-check">
                        <p class="hint" id="ses-check-hint">
                            "Asks AWS SES, with the values above, whether the account can send (sandbox, quota) and whether the sender is verified. Nothing is sent or saved."
                        </p>
                        <button type="submit" name="intent" value="check" class="button button--secondary"
                            aria-describedby="ses-check-hint" disabled=move || pending.try_get().unwrap_or(false) data-testid="check-ses">
                            "Check SES settings"
                        </button>
                    </div>
                    <div class="test-email">
                        <div class="field">
                            <label for="test_address">"Send a test email to"</label>
                            <input type="email" id="test_address" name="test_address" autocomplete="email" data-testid="test-address"
                                aria-describedby=super::fields::described_by(outcome, "test_address", Some("test_address_hint".to_owned()))
                                aria-invalid=super::fields::invalid(outcome, "test_address") />
                            <span class="hint" id="test_address_hint">"Sends the Generic template with code 000000 using the values above, before saving."</span>
                            <FieldError outcome field="test_address" />
                        </div>
                        <button type="submit" name="intent" value="test" class="button button--secondary"
                            disabled=move || pending.try_get().unwrap_or(false) data-testid="send-test">
                            "Send test email"
                        </button>
                    </div>
                </div>
                })}
                <OutcomeBanner outcome failed testid="email-outcome" />
                <div class="actions">
                    <button type="submit" name="intent" value="save" class="button" disabled=move || pending.try_get().unwrap_or(false)
                        data-testid="save-email">
                        {move || if pending.try_get().unwrap_or(false) { "Working…" } else { "Save email connector" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// Which connector sends codes today, named whatever made it.
fn active_line(active: Option<&ActiveConnector>, choices: &[EmailFactory]) -> impl IntoView {
    match active {
        None => Either::Left(view! {
            <p class="notice notice--warning" data-testid="active-connector">
                "No email connector is set up yet, so nobody can receive a sign-in code."
            </p>
        }),
        Some(active) => {
            let configurable = choices.iter().any(|choice| choice.id == active.factory);
            let name = active.name.clone();
            let factory = active.factory.clone();
            Either::Right(view! {
                <p class="notice" data-testid="active-connector">
                    "Active now: " <strong>{name}</strong> " (" <code>{factory}</code> ")."
                    {(!configurable).then_some(
                        " It was set up outside this page, which cannot edit it; saving another service below replaces it.",
                    )}
                </p>
            })
        }
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
    let can_add = Memo::new(move |_| !available().is_empty());
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
        <fieldset class="templates" aria-describedby="templates_hint">
            <legend>"Templates"</legend>
            <p class="hint" id="templates_hint">
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
                        let subject_id = format!("template_{index}_subject");
                        let content_id = format!("template_{index}_content");
                        view! {
                            <div class="template" data-usage=usage>
                                <h3>{heading} {(!required).then_some(" (optional)")}</h3>
                                <input type="hidden" name=format!("ses[templates][{index}][usage_type]") value=hidden />
                                <div class="field">
                                    <label for=subject_id.clone()>"Subject"</label>
                                    <input type="text" id=subject_id name=format!("ses[templates][{index}][subject]") value=template.subject />
                                </div>
                                <div class="field">
                                    <label for=content_id.clone()>"Content (HTML)"</label>
                                    <textarea id=content_id name=format!("ses[templates][{index}][content]") rows="4">{template.content}</textarea>
                                </div>
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
            {move || can_add.get().then(|| view! {
                <div class="add-template">
                    <div class="field">
                        <label for="add_template">"Add a template for"</label>
                        <select id="add_template" prop:value=move || choice.get() on:change=move |ev| choice.set(event_target_value(&ev))>
                            <option value="">"Choose a usage type"</option>
                            {move || available().into_iter().map(|usage| { let label = usage.clone(); view! { <option value=usage>{label}</option> } }).collect_view()}
                        </select>
                    </div>
                    <button type="button" class="button button--secondary" on:click=add>"Add template"</button>
                </div>
            })}
        </fieldset>
    }
}
