//! `GET /logto/sign-out`: a page with a sign-out button. Signing out is a POST (CSRF-protected),
//! so a link or an image elsewhere can never sign anyone out.

use crate::app::components::sign_out_button::SignOutButton;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignOutPage() -> impl IntoView {
    view! {
        <Title text="Sign out" />
        <section class="narrow">
            <h1>"Sign out"</h1>
            <p>"You will be signed out of this app and of the sign-in service."</p>
            <SignOutButton secondary=false />
        </section>
    }
}
