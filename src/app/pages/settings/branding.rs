//! The branding form: the logos (light and dark) and brand colours the provider's sign-in pages
//! show, saved as Logto's sign-in experience `branding` and `color`. The app's name on those pages
//! is the application's name registered with the provider.

use super::fields::{results, OutcomeBanner, TextField};
use crate::app::components::action_form::{submit_to, FormAction};
use crate::app::settings_api::SaveBranding;
use crate::ui_types::{BrandingSettings, Outcome};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn BrandingSection(branding: BrandingSettings, dirty: RwSignal<bool>) -> impl IntoView {
    let action = FormAction::<Outcome>::new();
    let (outcome, failed) = results(action.value(), dirty, "branding-form");
    let pending = action.pending();
    view! {
        <section class="panel" aria-labelledby="branding-heading">
            <h2 id="branding-heading">"Branding"</h2>
            <p class="hint">
                "How the sign-in pages look: they show the application's name, these logos and this colour on buttons and links."
            </p>
            <form method="post" action=SaveBranding::url() class="stack" id="branding-form"
                on:submit=submit_to(action) on:input=move |_| dirty.set(true)>
                <TextField outcome name="branding[logo_url]" label="Logo URL" value=branding.logo_url
                    hint="An https:// address of an image (SVG or PNG), shown on light backgrounds. Leave blank for none." />
                <TextField outcome name="branding[dark_logo_url]" label="Logo URL for the dark theme" value=branding.dark_logo_url
                    hint="Shown when the dark theme is on. Leave blank to use the light logo." />
                <div class="color-fields">
                    <TextField outcome name="branding[primary_color]" label="Brand colour" value=branding.primary_color
                        hint="For buttons and links in the light theme." kind="color" />
                    <TextField outcome name="branding[dark_primary_color]" label="Brand colour, dark theme" value=branding.dark_primary_color
                        hint="For buttons and links in the dark theme." kind="color" />
                </div>
                <OutcomeBanner outcome failed testid="branding-outcome" />
                <div class="actions">
                    <button type="submit" class="button" disabled=move || pending.try_get().unwrap_or(false) data-testid="save-branding">
                        {move || if pending.try_get().unwrap_or(false) { "Saving…" } else { "Save branding" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
