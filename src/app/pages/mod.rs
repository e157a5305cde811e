//! One module per route.

pub mod home;
pub mod not_found;
pub mod profile;
pub mod settings;
pub mod sign_in_error;
pub mod sign_out;
