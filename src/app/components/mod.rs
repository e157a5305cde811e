//! Reusable UI pieces shared by the pages.

pub mod error_page;
pub mod layout;
pub mod sign_out_button;
pub mod theme_toggle;
