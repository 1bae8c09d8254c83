//! The resident's own reports, as the server has them, and the outbox: what is still
//! waiting to be sent, and what the server refused, with the reason.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use phananh_shared::api::ReportView;
use phananh_shared::sync::QueuedReport;
use uuid::Uuid;

use crate::api::{ApiError, photo_url};
use crate::backend::backend;
use crate::clock;
use crate::errors::{self, Refused};
use crate::i18n::{self, tr, use_lang};
use crate::pages::timeline::{DeadlineClock, StatusBadge};
use crate::pages::transfer::MoveDevice;
use crate::wards::ward_names;

#[component]
pub fn MyReports() -> impl IntoView {
    let t = tr();
    let state = backend().state();
    let reports = LocalResource::new(move || {
        state.changed.get();
        backend().my_reports()
    });
    let filed =
        use_query_map().with_untracked(|query| query.get("filed").and_then(|id| Uuid::parse_str(&id).ok()));
    view! {
        <h1>{move || t("Phản ánh của tôi", "My reports")}</h1>
        {filed.map(|id| view! { <JustFiled id=id reports=reports/> })}
        <Outbox pending=state.pending/>
        <p class="muted">{move || state.last_sync.get().map(|at| format!("{} {}", t("Đồng bộ lần cuối:", "Last synced:"), clock::local(at)))}</p>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || reports.get().map(|loaded| match loaded {
                Ok(list) if list.is_empty() && state.pending.with(Vec::is_empty) => view! {
                    <p>{t("Bạn chưa gửi phản ánh nào từ thiết bị này.", "You have not filed a report from this device yet.")}</p>
                }.into_any(),
                Ok(list) if list.is_empty() => ().into_any(),
                Ok(list) => view! {
                    <Show when=move || !state.online.get()>
                        <p class="waiting" role="status" data-testid="kept-copy">{t(
                            "Đang ngoại tuyến: đây là bản lưu trên máy từ lần kết nối trước; trạng thái có thể đã thay đổi.",
                            "Offline: this is the copy kept on this device from the last connection; a status may have changed since.",
                        )}</p>
                    </Show>
                    <ul class="cards" class:kept=move || !state.online.get() data-testid="my-reports">
                        {list.into_iter().map(|r| view! { <ReportCard report=r href_prefix="/reports"/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) if e.is_offline() => view! {
                    <p class="muted">{t("Không kết nối được máy chủ; danh sách sẽ cập nhật khi có mạng.", "The server cannot be reached; the list updates when you are back online.")}</p>
                }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
        <MoveDevice/>
    }
}

/// Right after filing: whether the report was sent, with its reference, or is waiting on
/// the device (and goes by itself), so the resident knows before moving on.
#[component]
fn JustFiled(id: Uuid, reports: LocalResource<Result<Vec<ReportView>, ApiError>>) -> impl IntoView {
    let t = tr();
    let name_of = ward_names();
    let pending = backend().state().pending;
    // One paragraph whose words and colour change together, worked out once per change.
    let said = move || {
        let sent = reports.get().and_then(Result::ok).and_then(|list| list.into_iter().find(|r| r.id == id));
        match sent {
            Some(report) => (
                "sent",
                format!(
                    "{} {}. {} {}",
                    t("Đã gửi phản ánh", "Your report was sent:"),
                    report.reference.map(|r| r.to_string()).unwrap_or_default(),
                    name_of(&report.ward),
                    t("sẽ xử lý; bạn sẽ thấy diễn biến tại đây.", "will handle it; you will see its progress here."),
                ),
            ),
            None if pending.with(|p| p.iter().any(|p| p.op_id == id && p.refused.is_some())) => (
                "error",
                t("Máy chủ đã từ chối phản ánh này: xem lý do bên dưới.", "The server refused this report: see why below.")
                    .to_owned(),
            ),
            None => (
                "waiting",
                t(
                    "Đã lưu phản ánh trên thiết bị; đang gửi. Nếu chưa có mạng, phản ánh sẽ tự gửi khi có mạng, và có mã phản ánh khi máy chủ nhận.",
                    "Your report is kept on this device and being sent. Without a connection it goes by itself once online, and gets its reference when the server takes it.",
                )
                .to_owned(),
            ),
        }
    };
    view! {
        <div class="just-filed" role="status" aria-live="polite">
            {move || {
                let (class, text) = said();
                view! { <p class=class data-testid="filed">{text}</p> }
            }}
        </div>
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
pub fn ReportCard(
    report: ReportView,
    href_prefix: &'static str,
    /// How far it is from the point a list is about, in metres.
    #[prop(optional)]
    distance_m: Option<f64>,
) -> impl IntoView {
    let lang = use_lang();
    let (name_of, ward, received_at) = (ward_names(), report.ward.clone(), report.received_at);
    let category = report.category;
    view! {
        <li class="card" data-report=report.id.to_string()>
            <a href=format!("{href_prefix}/{}", report.id)>
                <strong>{move || i18n::category(lang.get(), category)}</strong>
            </a>
            {report.reference.map(|r| view! { " " <span class="ref" data-testid="reference">{r.to_string()}</span> })}
            " "
            <StatusBadge status=report.status/>
            {report.photos.first().map(|&id| view! { <img class="thumb" src=photo_url(id, true) alt=""/> })}
            <p>{report.description.clone()}</p>
            <p class="muted">
                {distance_m.map(|m| view! { <span class="distance">{move || i18n::distance(lang.get(), m)}</span>" · " })}
                {move || format!("{} · {}", name_of(&ward), clock::local(received_at))}
            </p>
            <DeadlineClock report=report.clone()/>
        </li>
    }
}
