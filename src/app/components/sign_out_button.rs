//! The sign-out form: a POST to the `sign_out` server function that works without WASM, and shows
//! a pending state while the server signs out. [`SignOutButton`] is the island for server-rendered
//! pages; [`SignOutForm`] is the same form for use inside another island.

use super::action_form::{submit_to, FormAction};
use crate::app::api::SignOut;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The sign-out button as an island of its own.
#[island]
pub fn SignOutButton(secondary: bool) -> impl IntoView {
    view! { <SignOutForm secondary /> }
}

/// The sign-out form, "Signing out…" while the server works.
#[component]
pub fn SignOutForm(secondary: bool) -> impl IntoView {
    let action = FormAction::<()>::new();
    let pending = action.pending();
    let class = if secondary {
        "button button--secondary"
    } else {
        "button"
    };
    view! {
        <form method="post" action=SignOut::url() class="inline-form" on:submit=submit_to(action)>
            <button type="submit" class=class disabled=move || pending.try_get().unwrap_or(false) data-testid="sign-out">
                {move || if pending.try_get().unwrap_or(false) { "Signing out…" } else { "Sign out" }}
            </button>
        </form>
    }
}
