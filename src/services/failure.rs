//! The one mapping from the relying party's [`AuthError`] to what people are told: the sign-in
//! error page's reason ([`SignInFailure`]) and the typed [`AppError`] of server functions. The
//! error itself is logged here, never shown.

use crate::auth::AuthError;
use crate::ui_types::{AppError, SignInFailure};

/// Why a sign-in failed, in the error page's vocabulary.
pub fn sign_in_failure(error: &AuthError) -> SignInFailure {
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
        | AuthError::Userinfo(_)
        | AuthError::SessionUnavailable(_) => SignInFailure::Unreachable,
        AuthError::SignedOut | AuthError::UserinfoRejected => SignInFailure::SignedOut,
        AuthError::Session(_) | AuthError::Config(_) => SignInFailure::Internal,
    }
}

/// A server function's failure for `error` (logged here with its detail).
pub fn app_error(error: &AuthError) -> AppError {
    let reason = sign_in_failure(error);
    let failure = match reason {
        SignInFailure::SignedOut => return AppError::SignedOut,
        SignInFailure::Unreachable
        | SignInFailure::ProviderError
        | SignInFailure::VerificationFailed => AppError::Unavailable,
        SignInFailure::Internal => AppError::Internal,
        SignInFailure::Cancelled | SignInFailure::InvalidRequest | SignInFailure::Expired => {
            AppError::BadRequest(reason.message().to_owned())
        }
    };
    tracing::error!(%error, status = failure.status(), "sign-in service failure");
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_temporary_and_a_lost_session_is_a_sign_in() {
        assert_eq!(
            app_error(&AuthError::ProviderUnreachable("refused".into())),
            AppError::Unavailable
        );
        assert!(app_error(&AuthError::Discovery("timeout".into())).is_temporary());
        assert_eq!(app_error(&AuthError::SignedOut), AppError::SignedOut);
        assert_eq!(
            app_error(&AuthError::Session("undecodable".into())),
            AppError::Internal
        );
        assert_eq!(
            app_error(&AuthError::SessionUnavailable(
                "Redis is unreachable".into()
            )),
            AppError::Unavailable
        );
    }
}
