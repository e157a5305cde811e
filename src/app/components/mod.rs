//! Reusable UI pieces shared by the pages.

pub mod error_page;
pub mod layout;
pub mod theme_toggle;
