//! The home page: what this app is and what it does.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Sign in with Logto, the Rust way"</h1>
            <p class="lead">
                "A Leptos full-stack app that signs people in through Logto's OpenID Connect flow. "
                "Tokens stay on the server; the browser only ever holds a session cookie."
            </p>
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
