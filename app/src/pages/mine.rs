//! The resident's own reports, as the server has them, and the outbox: what is still
//! waiting to be sent, and what the server refused, with the reason.

use leptos::prelude::*;
use phananh_shared::api::ReportView;
use phananh_shared::sync::QueuedReport;

use crate::backend::backend;
use crate::clock;
use crate::errors::{self, Refused};
use crate::i18n::{self, tr, use_lang};
use crate::pages::timeline::{DeadlineClock, StatusBadge};
use crate::wards::ward_names;

#[component]
pub fn MyReports() -> impl IntoView {
    let t = tr();
    let state = backend().state();
    let reports = LocalResource::new(move || {
        state.changed.get();
        backend().my_reports()
    });
    view! {
        <h1>{move || t("Phản ánh của tôi", "My reports")}</h1>
        <Outbox pending=state.pending/>
        <p class="muted">{move || state.last_sync.get().map(|at| format!("{} {}", t("Đồng bộ lần cuối:", "Last synced:"), clock::local(at)))}</p>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || reports.get().map(|loaded| match loaded {
                Ok(list) if list.is_empty() && state.pending.with(Vec::is_empty) => view! {
                    <p>{t("Bạn chưa gửi phản ánh nào từ thiết bị này.", "You have not filed a report from this device yet.")}</p>
                }.into_any(),
                Ok(list) if list.is_empty() => ().into_any(),
                Ok(list) => view! {
                    <ul class="cards" data-testid="my-reports">
                        {list.into_iter().map(|r| view! { <ReportCard report=r href_prefix="/reports"/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) if e.is_offline() => view! {
                    <p class="muted">{t("Không kết nối được máy chủ; danh sách sẽ cập nhật khi có mạng.", "The server cannot be reached; the list updates when you are back online.")}</p>
                }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Outbox(pending: RwSignal<Vec<QueuedReport>>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let name_of = ward_names();
    let waiting = move || pending.with(|p| p.iter().any(|p| p.refused.is_none()));
    let sending = RwSignal::new(false);
    let send_now = move |_| {
        sending.set(true);
        leptos::task::spawn_local(async move {
            backend().sync().await;
            sending.set(false);
        });
    };
    view! {
        <Show when=move || pending.with(|p| !p.is_empty())>
            <section class="outbox" aria-labelledby="outbox-title" data-testid="outbox">
                <h2 id="outbox-title">{move || t("Hộp thư đi", "Outbox")}</h2>
                <p class="help">{move || t(
                    "Phản ánh được giữ trên máy này và tự gửi khi có mạng, kể cả khi đã đóng ứng dụng (nếu trình duyệt cho phép).",
                    "Reports are kept on this device and sent by themselves when there is a signal, even with the app closed (where the browser allows it).",
                )}</p>
                <Show when=waiting>
                    <button type="button" class="secondary" data-testid="send-now" on:click=send_now disabled=move || sending.get()>
                        {move || if sending.get() { t("Đang gửi…", "Sending…") } else { t("Gửi ngay", "Send now") }}
                    </button>
                </Show>
                <ul class="cards">
                    <For each=move || pending.get() key=|p| (p.op_id, p.refused.clone(), p.held, p.thumbnails.clone()) children=move |p| {
                        let category = p.report.category;
                        view! {
                            <li class="card" class:refused=p.refused.is_some() data-op=p.op_id.to_string()>
                                <strong>{move || i18n::category(lang.get(), category)}</strong>
                                <p>{p.report.description.clone()}</p>
                                <Show when={let n = p.thumbnails.len(); move || n > 0}>
                                    <ul class="thumbs">
                                        {p.thumbnails.iter().enumerate().map(|(i, url)| view! {
                                            <li><img class="thumb" src=url.clone() alt=move || format!("{} {}", t("Ảnh", "Photo"), i + 1)/></li>
                                        }).collect_view()}
                                    </ul>
                                </Show>
                                <p class="muted">{let ward = p.ward.clone(); move || ward.as_ref().map(name_of)}" · "{clock::local(p.queued_at)}</p>
                                {match p.refused.clone() {
                                    Some(r) => view! { <p class="error">{move || format!("{} {}", t("Bị từ chối:", "Refused:"), errors::say(lang.get(), &r.code, r.field.as_deref(), &r.message))}</p> }.into_any(),
                                    None if p.held => view! { <p class="waiting">{move || t("Chờ gửi: thiết bị đã gửi nhiều phản ánh, sẽ tự gửi sau", "Waiting: this device has sent many reports; this one goes later")}</p> }.into_any(),
                                    None => view! { <p class="waiting">{move || t("Đang chờ gửi", "Waiting to send")}</p> }.into_any(),
                                }}
                            </li>
                        }
                    }/>
                </ul>
            </section>
        </Show>
    }
}

/// A report in a list: kind, status, ward, the deadline clock; the whole card is a link.
#[component]
pub fn ReportCard(report: ReportView, href_prefix: &'static str) -> impl IntoView {
    let lang = use_lang();
    let (name_of, ward, received_at) = (ward_names(), report.ward.clone(), report.received_at);
    let category = report.category;
    view! {
        <li class="card" data-report=report.id.to_string()>
            <a href=format!("{href_prefix}/{}", report.id)>
                <strong>{move || i18n::category(lang.get(), category)}</strong>
            </a>
            " "
            <StatusBadge status=report.status/>
            <p>{report.description.clone()}</p>
            <p class="muted">{move || format!("{} · {}", name_of(&ward), clock::local(received_at))}</p>
            <DeadlineClock report=report.clone()/>
        </li>
    }
}
