//! Ward staff: sign in, then the inbox of open reports, updating live. A new report appears
//! without a reload, highlighted, with a short tone; the list sorts by deadline (the most
//! urgent first) or by arrival.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use phananh_shared::api::{Change, LoginAnswer, LoginRequest, ReportPage, ReportView};
use phananh_shared::report::Reference;
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::clock;
use crate::errors;
use crate::i18n::{self, Lang, tr, use_lang};
use crate::live::Live;
use crate::pages::timeline::{DeadlineClock, StatusBadge};
use crate::session::{self, Session, use_session};
use crate::wards::ward_names;

/// The report a staff member names by its reference (`PA-1042`) or its id, or what to tell
/// them.
pub async fn find_report(token: &str, named: &str, lang: Lang) -> Result<ReportView, String> {
    let named = named.trim();
    let key = match (Uuid::parse_str(named), Reference::parse(named)) {
        (Ok(id), _) => id.to_string(),
        (_, Some(reference)) => reference.to_string(),
        _ => {
            return Err(lang
                .pick("Mã phản ánh có dạng PA-1042.", "A reference looks like PA-1042.")
                .to_owned());
        }
    };
    match api::get::<ReportView>(&format!("/api/v1/reports/{key}"), Some(token)).await {
        Ok(report) => Ok(report),
        Err(ApiError::Refused { status: 404, .. }) => {
            Err(format!("{} {key}.", lang.pick("Không có phản ánh", "There is no report")))
        }
        Err(error) => Err(errors::api(lang, &error)),
    }
}

/// "Find by reference": a resident on the phone gives theirs, and the officer opens it.
#[component]
fn FindReport(token: String) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let named = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match find_report(&token.get_value(), &named.get_untracked(), lang.get_untracked()).await {
                Ok(report) => navigate(&format!("/staff/reports/{}", report.id), Default::default()),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <form class="find" role="search" on:submit=submit>
            <label for="find-reference">{move || t("Tìm theo mã phản ánh", "Find by reference")}</label>
            <div class="pick">
                <input id="find-reference" autocomplete="off" placeholder="PA-1042" aria-describedby="find-error"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    on:input=move |ev| { named.set(event_target_value(&ev)); error.set(None); }/>
                <button type="submit" class="secondary">{move || t("Tìm", "Find")}</button>
            </div>
            <p class="error" id="find-error" role="alert">{move || error.get()}</p>
        </form>
    }
}

#[component]
pub fn StaffHome() -> impl IntoView {
    let session = use_session();
    move || match session.get() {
        None => view! { <SignIn session=session/> }.into_any(),
        Some(answer) => view! { <Inbox answer=answer session=session/> }.into_any(),
    }
}

/// The sign-in form, also used by the city dashboard.
#[component]
pub fn SignIn(session: Session) -> impl IntoView {
    let t = tr();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post::<_, LoginAnswer>("/api/v1/staff/login", None, &request).await {
                Ok(answer) => session::sign_in(session, answer),
                Err(ApiError::Refused { status: 401, .. }) => error
                    .set(Some(t("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.").into())),
                Err(e) => error.set(Some(crate::errors::api(crate::i18n::use_lang().get_untracked(), &e))),
            }
            busy.set(false);
        });
    };
    view! {
        <h1>{move || t("Đăng nhập cán bộ", "Staff sign-in")}</h1>
        <form class="signin" on:submit=submit>
            <div class="field">
                <label for="username">{move || t("Tên đăng nhập", "Username")}</label>
                <input id="username" name="username" autocomplete="username" required=true
                    on:input=move |ev| username.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="password">{move || t("Mật khẩu", "Password")}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required=true
                    on:input=move |ev| password.set(event_target_value(&ev))/>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || busy.get()>{move || t("Đăng nhập", "Sign in")}</button>
        </form>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Deadline,
    Arrival,
}

const OPEN: &str = "submitted,acknowledged,in_progress,reopened";

#[component]
fn Inbox(answer: LoginAnswer, session: Session) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let token = answer.token.clone();
    let (scope, path) = match &answer.staff.ward {
        Some(ward) => (
            format!("ward:{}", ward.code),
            format!("/api/v1/reports?ward={}&status={OPEN}&limit=200", ward.code),
        ),
        None => ("city".to_owned(), format!("/api/v1/reports?status={OPEN}&limit=200")),
    };
    let (name_of, ward) = (ward_names(), answer.staff.ward.clone());
    let title = move || ward.as_ref().map_or_else(|| "Hà Nội".to_owned(), name_of);
    let version = RwSignal::new(0u64);
    let fresh = RwSignal::new(HashSet::<Uuid>::new());
    let connected = RwSignal::new(false);
    let sort = RwSignal::new(SortBy::Deadline);
    let reports = {
        let token = token.clone();
        LocalResource::new(move || {
            version.get();
            let (path, token) = (path.clone(), token.clone());
            async move { api::get::<ReportPage>(&path, Some(&token)).await }
        })
    };
    // Changes from now on; each reloads the list (and the reload on connecting covers what
    // happened between the first load and the stream). A report not in the list is new.
    let known = StoredValue::new(HashSet::<Uuid>::new());
    Effect::new(move || {
        if let Some(Ok(page)) = reports.get() {
            known.set_value(page.reports.iter().map(|r| r.id).collect());
        }
    });
    let live = StoredValue::new_local(Some(Live::subscribe(
        &scope,
        Some(&token),
        None,
        move |event| {
            let arrived = matches!(event.change, Change::Filed { .. } | Change::Transferred { .. });
            if arrived && !known.with_value(|k| k.contains(&event.report_id)) {
                fresh.update(|f| {
                    f.insert(event.report_id);
                });
                chime();
            }
            version.update(|v| *v += 1);
        },
        move |up| {
            connected.set(up);
            if up {
                version.update(|v| *v += 1);
            } else {
                session::confirm(session);
            }
        },
    )));
    on_cleanup(move || live.set_value(None));

    let sorted = move || {
        reports.get().and_then(Result::ok).map(|page| {
            let mut list = page.reports;
            match sort.get() {
                SortBy::Deadline => list.sort_by_key(ReportView::running_deadline),
                SortBy::Arrival => list.sort_by_key(|r| std::cmp::Reverse(r.received_at)),
            }
            list
        })
    };
    view! {
        <div class="inbox-head">
            <h1>{move || t("Hộp phản ánh", "Inbox")}" — "{title}</h1>
            <span class="live" class:on=move || connected.get() role="status">
                {move || if connected.get() { t("● Trực tuyến", "● Live") } else { t("○ Đang kết nối lại…", "○ Reconnecting…") }}
            </span>
        </div>
        <p class="new-count" role="status" aria-live="polite" data-testid="new-count">
            {move || match fresh.with(HashSet::len) {
                0 => String::new(),
                n => format!("{n} {}", t("phản ánh mới", "new reports")),
            }}
        </p>
        <FindReport token=answer.token.clone()/>
        <div class="field inline">
            <label for="sort">{move || t("Sắp xếp", "Sort by")}</label>
            <select id="sort" on:change=move |ev| sort.set(if event_target_value(&ev) == "arrival" { SortBy::Arrival } else { SortBy::Deadline })>
                <option value="deadline">{move || t("Hạn gần nhất trước", "Nearest deadline first")}</option>
                <option value="arrival">{move || t("Mới nhất trước", "Newest first")}</option>
            </select>
        </div>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || sorted().map(|list| view! {
                {list.is_empty().then(|| view! {
                    <p class="muted" data-testid="inbox-empty">{move || t("Không có phản ánh nào đang chờ xử lý.", "No report is waiting to be handled.")}</p>
                })}
                <table class="inbox" data-testid="inbox">
                    <thead><tr>
                        <th scope="col">{move || t("Loại", "Kind")}</th>
                        <th scope="col">{move || t("Mô tả", "Description")}</th>
                        <th scope="col">{move || t("Trạng thái", "Status")}</th>
                        <th scope="col">{move || t("Hạn", "Deadline")}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|r| {
                            let id = r.id;
                            let category = r.category;
                            view! {
                                <tr class:fresh=move || fresh.with(|f| f.contains(&id)) data-report=id.to_string()>
                                    <td>
                                        <a href=format!("/staff/reports/{id}")>{move || i18n::category(lang.get(), category)}</a>
                                        {r.reference.map(|r| view! { <br/><span class="ref">{r.to_string()}</span> })}
                                    </td>
                                    <td>{r.description.clone()}<br/><span class="muted">{clock::local(r.received_at)}</span></td>
                                    <td><StatusBadge status=r.status/></td>
                                    <td><DeadlineClock report=r.clone()/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </Suspense>
    }
}

/// A short two-note tone for a new report; silent where the browser allows no sound yet.
fn chime() {
    let Ok(audio) = web_sys::AudioContext::new() else { return };
    for (i, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
        let (Ok(oscillator), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else { return };
        oscillator.frequency().set_value(frequency);
        gain.gain().set_value(0.08);
        let start = audio.current_time() + i as f64 * 0.15;
        let _ = oscillator
            .connect_with_audio_node(&gain)
            .and_then(|_| gain.connect_with_audio_node(&audio.destination()));
        let _ = oscillator.start_with_when(start);
        let _ = oscillator.stop_with_when(start + 0.12);
    }
}
