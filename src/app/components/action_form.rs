//! Forms that post to a server function: a plain `<form method="post" action=…>` that works
//! before hydration and without WASM (the server redirects back), and, once its island is
//! hydrated, [`submit_to`] sends its fields through the server action instead, for pending states
//! and inline results. Leptos's `ActionForm` does the same but boxes the form's contents; a plain
//! `<form>` keeps one copy of each form's view in the browser bundle.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// The `on:submit` handler of a form whose fields are `Fn`'s arguments: dispatches them to
/// `action`. Fields that do not read as those arguments are left to the browser's own post.
pub fn submit_to<Fn>(action: ServerAction<Fn>) -> impl FnMut(leptos::ev::SubmitEvent) + 'static
where
    Fn: leptos::server_fn::ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    Fn::Output: Send + Sync + 'static,
    Fn::Error: Send + Sync + 'static,
{
    follow_redirects();
    move |event| {
        if event.default_prevented() {
            return;
        }
        if let Ok(arguments) = Fn::from_event(&event) {
            event.prevent_default();
            action.dispatch(arguments);
        }
    }
}

/// A server function's redirect (sign-in, sign-out) becomes a full page load.
fn follow_redirects() {
    #[cfg(feature = "hydrate")]
    {
        let _already_set = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
            let _navigated = window().location().set_href(location);
        });
    }
}
