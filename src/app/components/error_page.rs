//! The one way the app shows that something went wrong: a status, a plain-language title and
//! message, and a way onwards. On the server it also sets the HTTP status of the response.

use leptos::prelude::*;

#[component]
pub fn ErrorPage(
    /// The HTTP status the page stands for.
    status: u16,
    /// A short headline.
    #[prop(into)]
    title: String,
    /// What happened and what the person can do about it.
    #[prop(into)]
    message: String,
    /// Extra actions shown before the link home.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        response.set_status(code);
    }
    let heading = title.clone();
    view! {
        <leptos_meta::Title text=title />
        <section class="error-page" aria-labelledby="error-title">
            <p class="error-page__status">{status}</p>
            <h1 id="error-title">{heading}</h1>
            <p class="error-page__message">{message}</p>
            <div class="actions">
                {children.map(|children| children())}
                <a href="/" class="button button--secondary">"Back to home"</a>
            </div>
        </section>
    }
}
