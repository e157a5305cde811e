//! Reusable UI pieces shared by the pages: server-rendered frames and the small islands
//! (theme switch, sign-out, the header's signed-in links, the hydration mark) that run in the
//! browser.

pub mod action_form;
pub mod error_page;
pub mod hydration_mark;
pub mod layout;
pub mod session_links;
pub mod sign_out_button;
pub mod theme_toggle;
