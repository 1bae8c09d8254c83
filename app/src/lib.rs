//! The phananh web app. Built out by the app issue (Leptos, client-side, built with trunk);
//! for now it only proves the shared crate links into it.

pub use phananh_shared::report::Priority;
