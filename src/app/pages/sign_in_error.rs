//! The page a failed sign-in lands on (`/sign-in-error?reason=…`): a plain explanation per reason
//! and a way to try again. Reasons are a fixed vocabulary, so nothing from the provider or the URL
//! is ever echoed.

use crate::app::components::error_page::ErrorPage;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInFailure {
    Cancelled,
    ProviderError,
    InvalidRequest,
    Expired,
    VerificationFailed,
    Unreachable,
    SignedOut,
    Internal,
}

impl SignInFailure {
    pub const ALL: [SignInFailure; 8] = [
        SignInFailure::Cancelled,
        SignInFailure::ProviderError,
        SignInFailure::InvalidRequest,
        SignInFailure::Expired,
        SignInFailure::VerificationFailed,
        SignInFailure::Unreachable,
        SignInFailure::SignedOut,
        SignInFailure::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "cancelled",
            SignInFailure::ProviderError => "provider_error",
            SignInFailure::InvalidRequest => "invalid_request",
            SignInFailure::Expired => "expired",
            SignInFailure::VerificationFailed => "verification_failed",
            SignInFailure::Unreachable => "unreachable",
            SignInFailure::SignedOut => "signed_out",
            SignInFailure::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|failure| failure.code() == code)
            .unwrap_or(SignInFailure::Internal)
    }

    pub fn title(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "Sign-in cancelled",
            SignInFailure::SignedOut => "Your session has ended",
            _ => "Sign-in didn't work",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "Sign-in was cancelled. You can try again whenever you like.",
            SignInFailure::ProviderError => "The sign-in service could not complete your request. Please try again.",
            SignInFailure::InvalidRequest => "This sign-in link is not valid for this browser, or it was already used. Please start signing in again.",
            SignInFailure::Expired => "The sign-in took too long. Please start again.",
            SignInFailure::VerificationFailed => "We could not confirm your sign-in with the sign-in service. Please try again.",
            SignInFailure::Unreachable => "The sign-in service is not reachable right now. Please try again in a moment.",
            SignInFailure::SignedOut => "Your session has ended. Please sign in again.",
            SignInFailure::Internal => "Something went wrong on our side. Please try again later.",
        }
    }

    #[cfg(feature = "ssr")]
    pub fn from_auth_error(error: &crate::auth::AuthError) -> Self {
        use crate::auth::AuthError;
        match error {
            AuthError::Cancelled { .. } => SignInFailure::Cancelled,
            AuthError::ProviderError { .. } => SignInFailure::ProviderError,
            AuthError::StateMismatch
            | AuthError::MissingState
            | AuthError::UnknownTransaction
            | AuthError::MissingCode
            | AuthError::IssuerMismatch
            | AuthError::MissingIssuer => SignInFailure::InvalidRequest,
            AuthError::TransactionExpired => SignInFailure::Expired,
            AuthError::TokenEndpoint(_)
            | AuthError::InvalidIdToken(_)
            | AuthError::UserinfoSubjectMismatch => SignInFailure::VerificationFailed,
            AuthError::ProviderUnreachable(_)
            | AuthError::Discovery(_)
            | AuthError::Jwks(_)
            | AuthError::Userinfo(_) => SignInFailure::Unreachable,
            AuthError::SignedOut => SignInFailure::SignedOut,
            AuthError::Session(_) | AuthError::Config(_) => SignInFailure::Internal,
        }
    }
}

#[component]
pub fn SignInErrorPage() -> impl IntoView {
    let query = use_query_map();
    let failure = move || SignInFailure::parse(&query.read().get("reason").unwrap_or_default());
    let status = if failure() == SignInFailure::Internal {
        500
    } else {
        400
    };
    view! {
        <ErrorPage status=status title=failure().title() message=failure().message()>
            <a href="/logto/sign-in" class="button" rel="external">"Try again"</a>
        </ErrorPage>
    }
}
