//! Forms that post to a server function: a plain `<form method="post" action=…>` that works
//! before hydration and without WASM (the server redirects back), and, once its island is
//! hydrated, [`submit_to`] posts the form's own fields (and the button that submitted it) with
//! `fetch` instead, for pending states and inline results ([`FormAction`]).
//!
//! The request is what Leptos's server-function client sends (`application/x-www-form-urlencoded`,
//! `Accept: application/json`), but the fields go as the browser reads them, as a form without
//! WASM posts them, rather than decoded into the function's arguments and encoded again: the
//! browser bundle carries no query-string codec and no server-function client. The answer is read
//! as that client reads it: JSON of the function's output, or of its [`AppError`] for a status of
//! 400–599, and a redirect (`leptos_axum::redirect`: the `serverfnredirect` header, or a 3xx
//! status) becomes a full page load once the answer has been read.

use crate::ui_types::AppError;
use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// A form's calls to its server function: whether one is on its way, and the last answer.
pub struct FormAction<T: Send + Sync + 'static> {
    /// Submissions on their way (only the browser submits).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    in_flight: RwSignal<u32>,
    pending: Memo<bool>,
    value: RwSignal<Option<Result<T, AppError>>>,
}

impl<T: Send + Sync + 'static> Clone for FormAction<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for FormAction<T> {}

impl<T: Send + Sync + 'static> FormAction<T> {
    pub fn new() -> Self {
        let in_flight = RwSignal::new(0);
        Self {
            in_flight,
            pending: Memo::new(move |_| in_flight.get() > 0),
            value: RwSignal::new(None),
        }
    }

    /// Whether a submission is on its way.
    pub fn pending(&self) -> Memo<bool> {
        self.pending
    }

    /// The answer to the last submission that has been answered (`None` before any).
    pub fn value(&self) -> RwSignal<Option<Result<T, AppError>>> {
        self.value
    }
}

impl<T: Send + Sync + 'static> Default for FormAction<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The `on:submit` handler of a form posting to a server function whose output is `T`: posts the
/// form's fields to its `action` and keeps the answer in `action`. A form that cannot be read is
/// left to the browser's own post.
pub fn submit_to<T>(action: FormAction<T>) -> impl FnMut(leptos::ev::SubmitEvent) + 'static
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    move |event| {
        #[cfg(feature = "hydrate")]
        if !event.default_prevented() {
            if let Some((url, body)) = browser::form_request(&event) {
                event.prevent_default();
                action.in_flight.update(|n| *n += 1);
                leptos::task::spawn_local(async move {
                    let answer = browser::post(url, body).await.and_then(browser::read::<T>);
                    action.in_flight.try_update(|n| *n = n.saturating_sub(1));
                    action.value.try_set(Some(answer));
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (event, action);
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::ui_types::AppError;
    // The JSON reader Leptos deserialises island props with.
    use leptos::prelude::window;
    use leptos::serde_json;
    use serde::de::DeserializeOwned;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{FormData, HtmlButtonElement, HtmlFormElement, UrlSearchParams};

    /// The server's answer, not yet read.
    pub struct Answer {
        status: u16,
        body: String,
        /// Where the server redirects to, if it does.
        redirect: Option<String>,
    }

    /// The form's `action` and its fields, with the submitting button's name and value as the
    /// browser would send them.
    pub fn form_request(event: &web_sys::SubmitEvent) -> Option<(String, UrlSearchParams)> {
        let form = event.target()?.dyn_into::<HtmlFormElement>().ok()?;
        let data = FormData::new_with_form(&form).ok()?;
        if let Some(button) = event
            .submitter()
            .and_then(|submitter| submitter.dyn_into::<HtmlButtonElement>().ok())
        {
            let name = button.name();
            if !name.is_empty() {
                data.append_with_str(&name, &button.value()).ok()?;
            }
        }
        let fields = UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        Some((form.action(), fields))
    }

    fn unreachable(_: JsValue) -> AppError {
        AppError::Transport("the request failed".to_owned())
    }

    /// Posts `fields` to `url` as Leptos's server-function client does.
    pub async fn post(url: String, fields: UrlSearchParams) -> Result<Answer, AppError> {
        let headers = web_sys::Headers::new().map_err(unreachable)?;
        headers
            .set("Content-Type", "application/x-www-form-urlencoded")
            .map_err(unreachable)?;
        headers
            .set("Accept", "application/json")
            .map_err(unreachable)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&fields);
        let response: web_sys::Response =
            JsFuture::from(window().fetch_with_str_and_init(&url, &init))
                .await
                .map_err(unreachable)?
                .unchecked_into();
        let status = response.status();
        let headers = response.headers();
        let redirects = (300..=399).contains(&status)
            || headers.get("serverfnredirect").ok().flatten().is_some();
        let redirect = redirects.then(|| {
            headers
                .get("Location")
                .ok()
                .flatten()
                .unwrap_or_else(|| response.url())
        });
        let body = JsFuture::from(response.text().map_err(unreachable)?)
            .await
            .map_err(unreachable)?
            .as_string()
            .unwrap_or_default();
        Ok(Answer {
            status,
            body,
            redirect,
        })
    }

    fn unreadable() -> AppError {
        AppError::Transport("the answer could not be read".to_owned())
    }

    /// The function's output, or its error for a status of 400–599; follows a redirect once the
    /// output has been read.
    pub fn read<T: DeserializeOwned>(answer: Answer) -> Result<T, AppError> {
        if (400..=599).contains(&answer.status) {
            return Err(serde_json::from_str(&answer.body).unwrap_or_else(|_| unreadable()));
        }
        let output = serde_json::from_str(&answer.body).map_err(|_| unreadable())?;
        if let Some(location) = answer.redirect {
            let _navigated = window().location().set_href(&location);
        }
        Ok(output)
    }
}
