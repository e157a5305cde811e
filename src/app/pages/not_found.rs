//! The page for any path the app does not have (HTTP 404).

use crate::app::components::error_page::ErrorPage;
use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <ErrorPage
            status=404
            title="Page not found"
            message="There is no page at this address. Check the link, or start again from the home page."
        />
    }
}
