//! One report as a resident (or anyone) sees it: status, deadline clock, photos, the
//! ward's answer with its "after" photos, the timeline, and the rating for its reporter.
//! The page listens to the report's live stream, so a change shows without a reload.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use phananh_shared::api::{RatingRequest, ReportView};
use phananh_shared::status::{Action, Status};
use uuid::Uuid;

use crate::backend::backend;
use crate::errors::Refused;
use crate::i18n::{tr, use_lang};
use crate::live::Live;
use crate::pages::timeline::{ReportSummary, Timeline};

#[component]
pub fn ReportPage() -> impl IntoView {
    let t = tr();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok()));
    let version = RwSignal::new(0u64);
    let changed = backend().state().changed;
    let report = LocalResource::new(move || {
        version.track();
        changed.track();
        let id = id();
        async move {
            let id = id?;
            let backend = backend();
            Some((backend.report(id).await, backend.timeline(id).await.unwrap_or_default()))
        }
    });
    // The report's own stream: every change to it, whoever is looking.
    let live = StoredValue::new_local(None::<Live>);
    Effect::new(move || {
        let Some(id) = id() else { return };
        let stream = Live::subscribe(
            &format!("report:{id}"),
            None,
            Some(0),
            move |_| version.update(|v| *v += 1),
            |_| {},
        );
        live.set_value(Some(stream));
    });
    on_cleanup(move || live.set_value(None));

    view! {
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || report.get().map(|loaded| match loaded {
                None => view! { <p class="error">{t("Mã phản ánh không hợp lệ.", "Not a report id.")}</p> }.into_any(),
                Some((Err(error), _)) => view! { <Refused error=error/> }.into_any(),
                Some((Ok(view), events)) => view! { <ReportBody report=view events=events on_rated=Callback::new(move |()| version.update(|v| *v += 1))/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ReportBody(
    report: ReportView,
    events: Vec<phananh_shared::api::Event>,
    on_rated: Callback<()>,
) -> impl IntoView {
    let t = tr();
    // The reporter's own report (only they are shown its reporter).
    let own = report.reporter.is_some();
    let can_rate = own && report.status == Status::Resolved;
    let can_add = own && report.status.takes_information();
    let can_withdraw = own && report.status.apply(Action::Cancel).is_ok();
    let id = report.id;
    view! {
        <article class="report" data-testid="report">
            <ReportSummary report=report/>
            <h2>{move || t("Diễn biến", "Timeline")}</h2>
            <Timeline events=events report_pages="/reports"/>
            {can_rate.then(|| view! { <RatingForm id=id on_rated=on_rated/> })}
            {can_add.then(|| view! { <TellTheWard id=id tell=Tell::More on_sent=on_rated/> })}
            {can_withdraw.then(|| view! { <TellTheWard id=id tell=Tell::Withdraw on_sent=on_rated/> })}
        </article>
    }
}

/// What the reporter can still tell the ward about their report.
#[derive(Clone, Copy, PartialEq)]
enum Tell {
    /// More information, while the ward works on it or has just answered.
    More,
    /// The report is withdrawn before the ward's answer (fixed by itself, filed by mistake),
    /// with a reason or none; behind a second step, so a slip of the finger withdraws nothing.
    Withdraw,
}

#[component]
fn TellTheWard(id: Uuid, tell: Tell, on_sent: Callback<()>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let more = tell == Tell::More;
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let said = text.get_untracked().trim().to_owned();
        if more && said.is_empty() {
            error.set(Some(t("Viết thông tin cần bổ sung.", "Write what you want to add.").into()));
            return;
        }
        leptos::task::spawn_local(async move {
            let sent = if more {
                backend().add_information(id, said).await
            } else {
                backend().withdraw(id, Some(said).filter(|r| !r.is_empty())).await
            };
            match sent {
                Ok(()) => on_sent.run(()),
                Err(e) => error.set(Some(crate::errors::api(lang.get_untracked(), &e))),
            }
        });
    };
    let (field, label, button) = if more {
        (
            "more-info",
            ("Bổ sung thông tin cho phường", "Add information for the ward"),
            ("Gửi bổ sung", "Send"),
        )
    } else {
        (
            "withdraw-reason",
            ("Lý do (không bắt buộc)", "Reason (optional)"),
            ("Rút phản ánh này", "Withdraw this report"),
        )
    };
    let form = view! {
        <form class=field on:submit=submit>
            <div class="field">
                <label for=field>{move || t(label.0, label.1)}</label>
                <textarea id=field rows="2" on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <p class="error" role="alert">{move || error.get()}</p>
            </div>
            <button type="submit" class=if more { "secondary" } else { "danger" }>{move || t(button.0, button.1)}</button>
        </form>
    };
    if more {
        form.into_any()
    } else {
        view! {
            <details class="withdraw">
                <summary>{move || t("Rút phản ánh", "Withdraw the report")}</summary>
                {form}
            </details>
        }
        .into_any()
    }
}

/// The reporter's rating of the answer: 4–5 stars closes it; 1–2 may send it back.
#[component]
fn RatingForm(id: Uuid, on_rated: Callback<()>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let stars = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    let reopen = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if stars.get_untracked() == 0 {
            error.set(Some(t("Chọn số sao.", "Choose a number of stars.").into()));
            return;
        }
        let comment = comment.get_untracked().trim().to_owned();
        let rating = RatingRequest {
            stars: stars.get_untracked(),
            comment: (!comment.is_empty()).then_some(comment),
            reopen: reopen.get_untracked() && stars.get_untracked() <= phananh_shared::api::REOPEN_MAX_STARS,
        };
        leptos::task::spawn_local(async move {
            match backend().rate(id, rating).await {
                Ok(_) => on_rated.run(()),
                Err(e) => error.set(Some(crate::errors::api(lang.get_untracked(), &e))),
            }
        });
    };
    view! {
        <form class="rating" on:submit=submit>
            <fieldset>
                <legend>{move || t("Bạn hài lòng với kết quả?", "Are you satisfied with the answer?")}</legend>
                <div class="stars">
                    {(1..=5u8).map(|n| view! {
                        <label>
                            <input type="radio" name="stars" value=n.to_string() on:change=move |_| stars.set(n)/>
                            {format!("{n} ★")}
                        </label>
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="field">
                <label for="rating-comment">{move || t("Nhận xét (không bắt buộc)", "Comment (optional)")}</label>
                <textarea id="rating-comment" rows="2" on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </div>
            <Show when=move || (1..=phananh_shared::api::REOPEN_MAX_STARS).contains(&stars.get())>
                <label class="choice">
                    <input type="checkbox" on:change=move |ev| reopen.set(event_target_checked(&ev))/>
                    {move || t("Chưa xử lý xong: đề nghị mở lại", "Not fixed: ask to reopen")}
                </label>
            </Show>
            <p class="error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary">{move || t("Gửi đánh giá", "Send rating")}</button>
        </form>
    }
}
