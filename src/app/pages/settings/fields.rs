//! The settings forms' shared pieces: a form's last answer as signals, text and checkbox fields
//! whose errors are tied to them (`aria-describedby`, `aria-invalid`), the one alert a form
//! speaks, the SES check's findings, the folded technical detail, and moving focus to the first
//! problem after a failed submit.

use crate::ui_types::{AppError, FindingLevel, Outcome};
use leptos::either::Either;
use leptos::prelude::*;

/// A form's last answer as (outcome, failure message); a successful save clears `dirty`, and a
/// failed one moves focus to the first field with a problem (or the form's alert).
pub fn results(
    value: impl Get<Value = Option<Result<Outcome, AppError>>> + Clone + Send + Sync + 'static,
    dirty: RwSignal<bool>,
    form_id: &'static str,
) -> (Signal<Option<Outcome>>, Signal<Option<String>>) {
    let for_outcome = value.clone();
    let outcome = Signal::derive(move || for_outcome.try_get().flatten().and_then(Result::ok));
    let failed = Signal::derive(move || {
        value
            .try_get()
            .flatten()
            .and_then(Result::err)
            .map(|error| error.message())
    });
    Effect::new(move |_| {
        let shown = outcome.get();
        let refused = failed.get().is_some();
        if shown.as_ref().is_some_and(|o| o.ok) {
            dirty.set(false);
        }
        if refused || shown.is_some_and(|o| !o.ok) {
            focus_first_problem(form_id);
        }
    });
    (outcome, failed)
}

/// After the view has updated: focus the form's first invalid field, else its alert.
fn focus_first_problem(form_id: &'static str) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let selector =
            format!("#{form_id} [aria-invalid=\"true\"], #{form_id} [data-focus-on-problem]");
        if let Some(element) = document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _focused = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = form_id;
}

/// The id of a field's error message (`ses[region]` → `ses_region__error`).
pub fn error_id(field: &str) -> String {
    format!("{}_error", field.replace(['[', ']'], "_"))
}

/// A field's error message, tied to it by [`error_id`]; not an alert (the form's banner is).
#[component]
pub fn FieldError(outcome: Signal<Option<Outcome>>, field: &'static str) -> impl IntoView {
    move || {
        outcome
            .get()
            .and_then(|o| o.error_for(field))
            .map(|message| {
                view! { <p class="field__error" id=error_id(field) data-field=field>{message}</p> }
            })
    }
}

/// `aria-describedby` for a field: its hint, and its error when there is one.
pub fn described_by(
    outcome: Signal<Option<Outcome>>,
    field: &'static str,
    hint_id: Option<String>,
) -> impl Fn() -> String + Send + Sync + 'static {
    move || {
        let error = outcome
            .get()
            .and_then(|o| o.error_for(field))
            .map(|_| error_id(field));
        [hint_id.clone(), error]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn invalid(
    outcome: Signal<Option<Outcome>>,
    field: &'static str,
) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
    move || {
        outcome
            .get()
            .and_then(|o| o.error_for(field))
            .map(|_| "true")
    }
}

#[component]
pub fn TextField(
    outcome: Signal<Option<Outcome>>,
    name: &'static str,
    label: &'static str,
    value: String,
    #[prop(into)] hint: String,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = name.replace(['[', ']'], "_");
    let hint_id = format!("{id}_hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label} {required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <input id=id type=kind.unwrap_or("text") name=name value=value autocomplete="off"
                aria-describedby=described_by(outcome, name, (!hint.is_empty()).then(|| hint_id.clone()))
                aria-invalid=invalid(outcome, name) />
            <span class="hint" id=hint_id>{hint}</span>
            <FieldError outcome field=name />
        </div>
    }
}

/// A checkbox whose name is also its test id and its field-error key.
#[component]
pub fn CheckField(
    outcome: Signal<Option<Outcome>>,
    name: &'static str,
    checked: bool,
    label: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let testid = name.replace('_', "-");
    let id = format!("check_{name}");
    let hint_id = format!("{id}_hint");
    view! {
        <div class="check">
            <label>
                <input type="checkbox" id=id name=name value="on" checked=checked data-testid=testid
                    aria-describedby=described_by(outcome, name, Some(hint_id.clone()))
                    aria-invalid=invalid(outcome, name) />
                " " {label}
            </label>
            <p class="hint" id=hint_id>{hint}</p>
            <FieldError outcome field=name />
        </div>
    }
}

/// The form's one spoken answer: its summary, the SES check's findings and the folded detail.
#[component]
pub fn OutcomeBanner(
    outcome: Signal<Option<Outcome>>,
    failed: Signal<Option<String>>,
    testid: &'static str,
) -> impl IntoView {
    move || {
        if let Some(message) = failed.get() {
            return Some(Either::Left(view! {
                <div class="alert alert--error" role="alert" tabindex="-1" data-focus-on-problem data-testid=testid>
                    <p>{message}</p>
                </div>
            }));
        }
        outcome.get().map(|o| {
            let class = if o.ok { "alert alert--success" } else { "alert alert--error" };
            let findings = (!o.findings.is_empty()).then(|| {
                view! {
                    <ul class="findings" data-testid="findings">
                        {o.findings.into_iter().map(|finding| {
                            let (class, word) = match finding.level {
                                FindingLevel::Good => ("finding finding--good", "OK: "),
                                FindingLevel::Warning => ("finding finding--warning", "Note: "),
                                FindingLevel::Problem => ("finding finding--problem", "Problem: "),
                            };
                            view! { <li class=class><span class="finding__level">{word}</span>{finding.text}</li> }
                        }).collect_view()}
                    </ul>
                }
            });
            let confirm = o.confirm.map(|confirm| view! {
                <div class="confirm" data-testid="confirm">
                    <button type="submit" name="confirm" value=confirm.value class="button button--danger"
                        data-focus-on-problem data-testid="confirm-button">
                        {confirm.button}
                    </button>
                </div>
            });
            let asks = confirm.is_some();
            let detail = o.detail.map(|detail| view! {
                <details class="detail">
                    <summary>"Technical detail"</summary>
                    <code>{detail}</code>
                </details>
            });
            Either::Right(view! {
                <div class=class role=if o.ok { "status" } else { "alert" } tabindex="-1"
                    data-focus-on-problem=(!o.ok && !asks).then_some("") data-testid=testid>
                    <p>{o.message}</p>
                    {findings}
                    {detail}
                    {confirm}
                </div>
            })
        })
    }
}
