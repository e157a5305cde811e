//! `/settings/sign-in-experience` (administrators only): the email connector (`email`), the
//! sign-up and sign-in methods, and the sign-in pages' branding (`branding`), saved through
//! Logto's Management API. Plain forms that work without WASM; the forms are one island
//! ([`SettingsForms`], its props the settings as loaded, the SES secret never among them) that
//! adds pending states, inline results, field errors tied to their fields (`fields`), focus on
//! the first problem, and a warning before unsaved edits are lost — on reload and on links.

mod branding;
mod email;
mod fields;

use crate::app::components::action_form::{submit_to, FormAction};
use crate::app::components::error_page::ErrorPage;
use crate::app::page_data;
use crate::app::settings_api::SaveSignIn;
use crate::ui_types::{AppError, Outcome, SettingsData, SignInSettings};
use branding::BrandingSection;
use email::EmailSection;
use fields::{results, CheckField, OutcomeBanner};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Sign-in experience" />
        {match page_data::settings() {
            Ok(settings) => view! {
                <section class="settings">
                    <h1>"Sign-in experience"</h1>
                    <p class="lead">
                        "How people sign up and sign in, and how their verification emails are sent. "
                        "Changes apply to the next sign-in."
                    </p>
                    <SettingsForms settings />
                </section>
            }.into_any(),
            Err(error) => view! { <LoadFailure error /> }.into_any(),
        }}
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
        // Signed out between the server's guard and this render: on to sign in.
        AppError::SignedOut => {
            view! {
                <Meta http_equiv="refresh" content=format!("0;url={SIGN_IN}") />
                <p class="muted">
                    "Taking you to "
                    <a href=SIGN_IN rel="external">"sign in"</a>"…"
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

/// Where a signed-out visitor signs in, coming back here afterwards.
const SIGN_IN: &str = "/logto/sign-in?return_to=/settings/sign-in-experience";

/// The settings forms, an island.
#[island]
fn SettingsForms(settings: SettingsData) -> impl IntoView {
    let dirty = RwSignal::new(false);
    warn_before_leaving(dirty);
    view! {
        {move || dirty.get().then(|| view! {
            <p class="notice notice--warning" data-testid="unsaved">"You have unsaved changes."</p>
        })}
        <EmailSection email=settings.email dirty />
        <SignInSection sign_in=settings.sign_in dirty />
        <BrandingSection branding=settings.branding dirty />
    }
}

/// The question asked before unsaved edits are lost.
const LEAVE_QUESTION: &str = "You have unsaved changes. Leave this page and lose them?";

/// Asks before unsaved edits are lost: on reload or closing the tab (the browser's own prompt)
/// and on a link (in the capture phase, before the page follows it).
fn warn_before_leaving(dirty: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
            if dirty.get_untracked() {
                event.prevent_default();
                event.set_return_value(LEAVE_QUESTION);
            }
        });
        // In the capture phase on the document, so it runs before the link is followed.
        let on_click =
            Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |event: web_sys::MouseEvent| {
                if !dirty.try_get_untracked().unwrap_or(false)
                    || event.default_prevented()
                    || event.button() != 0
                    || event.meta_key()
                    || event.ctrl_key()
                    || event.shift_key()
                    || event.alt_key()
                {
                    return;
                }
                let link = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .and_then(|element| element.closest("a[href]").ok().flatten());
                let Some(link) = link else { return };
                if link.get_attribute("target").is_some_and(|t| t != "_self") {
                    return;
                }
                if window()
                    .confirm_with_message(LEAVE_QUESTION)
                    .unwrap_or(true)
                {
                    dirty.set(false);
                } else {
                    event.prevent_default();
                    event.stop_immediate_propagation();
                }
            });
        let _added = document().add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
        let on_click = send_wrapper::SendWrapper::new(on_click);
        on_cleanup(move || {
            unload.remove();
            let _removed = document().remove_event_listener_with_callback_and_bool(
                "click",
                on_click.as_ref().unchecked_ref(),
                true,
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (dirty, LEAVE_QUESTION);
}

#[component]
fn SignInSection(sign_in: SignInSettings, dirty: RwSignal<bool>) -> impl IntoView {
    let action = FormAction::<Outcome>::new();
    let (outcome, failed) = results(action.value(), dirty, "sign-in-form");
    let pending = action.pending();
    view! {
        <section class="panel" aria-labelledby="sign-in-heading">
            <h2 id="sign-in-heading">"Sign-up and sign-in"</h2>
            <form method="post" action=SaveSignIn::url() class="stack" id="sign-in-form"
                on:submit=submit_to(action) on:input=move |_| dirty.set(true)>
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
                    <button type="submit" class="button" disabled=move || pending.try_get().unwrap_or(false) data-testid="save-sign-in">
                        {move || if pending.try_get().unwrap_or(false) { "Saving…" } else { "Save sign-in methods" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
