//! The home page, rendered on the server: signed out, "Sign in" and (while sign-up is open)
//! "Create account" (an island, for their pending states); signed in, a greeting with links to the
//! profile and sign-out. Links to the dev mailbox while the embedded provider sends codes there.

use crate::app::api::StartSignIn;
use crate::app::components::action_form::{submit_to, FormAction};
use crate::app::components::sign_out_button::SignOutButton;
use crate::app::SessionNow;
use crate::ui_types::{SessionSummary, UserView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let welcome = match expect_context::<SessionNow>().0 {
        Ok(info) => view! { <Welcome info /> }.into_any(),
        Err(_) => view! {
            <p class="alert alert--error" role="alert">
                "We couldn't check your session. Reload the page to try again."
            </p>
        }
        .into_any(),
    };
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Sign in with Logto, the Rust way"</h1>
            <p class="lead">
                "A Leptos full-stack app that signs people in through Logto's OpenID Connect flow. "
                "Tokens stay on the server; the browser only ever holds a session cookie."
            </p>
            {welcome}
        </section>
        <section class="cards" aria-label="What this app does">
            <article class="card">
                <h2>"Relying party"</h2>
                <p>"PKCE, state and nonce on every sign-in; ID tokens verified in full; refresh on the server."</p>
            </article>
            <article class="card">
                <h2>"Embedded provider"</h2>
                <p>"Runs without any account: a Logto-compatible provider with passwordless email codes."</p>
            </article>
            <article class="card">
                <h2>"Sign-in experience"</h2>
                <p>"Admins configure AWS SES email and passwordless sign-in through Logto's Management API."</p>
            </article>
        </section>
    }
}

#[component]
fn Welcome(info: SessionSummary) -> impl IntoView {
    let mailbox = info.mailbox_url.clone().map(|url| {
        view! {
            <p class="hint">
                "Development mode: sign-in codes arrive in the "
                <a href=url target="_blank" rel="noopener">"dev mailbox"</a>"."
            </p>
        }
    });
    match info.user {
        Some(user) => view! { <SignedIn user /> {mailbox} }.into_any(),
        None => view! { <SignedOut sign_up_open=info.sign_up_open /> {mailbox} }.into_any(),
    }
}

#[component]
fn SignedIn(user: UserView) -> impl IntoView {
    view! {
        <div class="welcome" data-testid="welcome">
            <p class="welcome__greeting">"Hello, " <strong>{user.display_name.clone()}</strong></p>
            {user.email.map(|email| view! { <p class="muted">{email}</p> })}
            <div class="actions">
                <a href="/profile" class="button">"Your profile"</a>
                <SignOutButton secondary=true />
            </div>
        </div>
    }
}

/// "Sign in", and "Create account" while the provider lets new people sign up.
#[island]
fn SignedOut(sign_up_open: bool) -> impl IntoView {
    let sign_in = FormAction::<()>::new();
    let register = FormAction::<()>::new();
    // Read with `try_get`: a server render may resolve these after the view's owner is gone.
    let (signing_in, registering) = (sign_in.pending(), register.pending());
    let busy =
        move || signing_in.try_get().unwrap_or(false) || registering.try_get().unwrap_or(false);
    view! {
        <div class="actions">
            <form method="post" action=StartSignIn::url() class="inline-form" on:submit=submit_to(sign_in)>
                <button type="submit" class="button" disabled=busy data-testid="sign-in">
                    {move || if signing_in.try_get().unwrap_or(false) { "Redirecting…" } else { "Sign in" }}
                </button>
            </form>
            {sign_up_open.then(|| view! {
                <form method="post" action=StartSignIn::url() class="inline-form" on:submit=submit_to(register)>
                    <input type="hidden" name="register" value="true" />
                    <button type="submit" class="button button--secondary" disabled=busy data-testid="create-account">
                        {move || if registering.try_get().unwrap_or(false) { "Redirecting…" } else { "Create account" }}
                    </button>
                </form>
            })}
        </div>
    }
}
