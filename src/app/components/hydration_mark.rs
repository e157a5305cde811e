//! The page's hydration signal: an empty island, last in the page, whose effect sets
//! `<html data-hydrated="true">`. Islands hydrate in document order and effects run only in the
//! browser, so the attribute appears once every island of the page is interactive: tests and
//! styles can tell a hydrated page from server-rendered HTML.

use leptos::prelude::*;

#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = document().document_element() {
            let _ignored = root.set_attribute("data-hydrated", "true");
        }
    });
}
