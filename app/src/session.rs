//! The staff member signed in on this browser, kept across reloads until the session ends.

use leptos::prelude::*;
use phananh_shared::api::LoginAnswer;

use crate::{clock, storage};

const KEY: &str = "phananh.staff";

pub type Session = RwSignal<Option<LoginAnswer>>;

pub fn provide_session() {
    let saved = storage::get::<LoginAnswer>(KEY).filter(|s| s.expires_at > clock::now());
    provide_context::<Session>(RwSignal::new(saved));
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

pub fn sign_in(session: Session, answer: LoginAnswer) {
    storage::set(KEY, &answer);
    session.set(Some(answer));
}

pub fn sign_out(session: Session) {
    storage::remove(KEY);
    session.set(None);
}
