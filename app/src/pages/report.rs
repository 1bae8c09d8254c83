//! One report as a resident (or anyone) sees it: status, deadline clock, photos, the
//! ward's answer with its "after" photos, the timeline, and the rating for its reporter.
//! The page listens to the report's live stream, so a change shows without a reload.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use phananh_shared::api::{RatingRequest, ReportView};
use phananh_shared::status::Status;
use uuid::Uuid;

use crate::backend::backend;
use crate::i18n::tr;
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
                Some((Err(error), _)) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
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
    let can_rate = report.reporter.is_some() && report.status == Status::Resolved;
    let id = report.id;
    view! {
        <article class="report" data-testid="report">
            <ReportSummary report=report/>
            <h2>{move || t("Diễn biến", "Timeline")}</h2>
            <Timeline events=events/>
            {can_rate.then(|| view! { <RatingForm id=id on_rated=on_rated/> })}
        </article>
    }
}

/// The reporter's rating of the answer: 4–5 stars closes it; 1–2 may send it back.
#[component]
fn RatingForm(id: Uuid, on_rated: Callback<()>) -> impl IntoView {
    let t = tr();
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
                Err(e) => error.set(Some(e.to_string())),
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
