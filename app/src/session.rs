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

/// Signs out: the server ends the session (and closes its live streams), and the browser
/// forgets it whatever the answer (offline, or the session already ended).
pub fn sign_out(session: Session) {
    if let Some(answer) = session.get_untracked() {
        leptos::task::spawn_local(async move {
            let logout = crate::api::post::<_, serde::de::IgnoredAny>;
            let _ = logout("/api/v1/staff/logout", Some(&answer.token), &()).await;
        });
    }
    forget(session);
}

/// Forgets the session in this browser only.
fn forget(session: Session) {
    storage::remove(KEY);
    session.set(None);
}

/// Asks the server whether the session still holds, and forgets it if it has ended (signed
/// out elsewhere, expired, the account disabled): the page then asks to sign in again. For
/// when a staff page's live stream goes down: the server closes it (code 4401) when its
/// session ends. Offline, nothing changes.
pub fn confirm(session: Session) {
    let Some(answer) = session.get_untracked() else { return };
    leptos::task::spawn_local(async move {
        let me = crate::api::get::<serde::de::IgnoredAny>("/api/v1/staff/me", Some(&answer.token)).await;
        if matches!(me, Err(crate::api::ApiError::Refused { status: 401, .. })) {
            forget(session);
        }
    });
}
