//! A report as people read it: its summary (kind, status, ward, deadline clock, the
//! resident's words and photos) and its history (what happened, when, the ward's words).

use leptos::prelude::*;
use phananh_shared::api::{Change, Event, ReportView};
use phananh_shared::status::Status;

use crate::api::photo_url;
use crate::clock;
use crate::i18n::{self, Lang, tr, use_lang};
use crate::wards::{ward_names, ward_names_by_code};

fn describe(lang: Lang, ward_name: impl Fn(&str) -> Option<String>, change: &Change) -> String {
    match change {
        Change::Filed { .. } => {
            lang.pick("Đã gửi và chuyển đến phường", "Filed and routed to the ward").into()
        }
        Change::Followed { followers } => {
            format!("{} {followers}", lang.pick("Người theo dõi:", "Followers:"))
        }
        Change::Acknowledged { .. } => lang.pick("Phường đã tiếp nhận", "The ward acknowledged it").into(),
        Change::Started { .. } => lang.pick("Bắt đầu xử lý", "Work started").into(),
        Change::Resolved { answer, .. } => format!("{}: {answer}", lang.pick("Đã xử lý", "Resolved")),
        Change::Rejected { reason, .. } => format!("{}: {reason}", lang.pick("Từ chối", "Rejected")),
        Change::Transferred { from_ward, reason, .. } => {
            let from = ward_name(from_ward)
                .unwrap_or_else(|| format!("{} {from_ward}", lang.pick("phường", "ward")));
            format!("{} {from}: {reason}", lang.pick("Chuyển từ", "Transferred from"))
        }
        // The original's page is linked beside it.
        Change::MarkedDuplicate { .. } => {
            lang.pick("Trùng với một phản ánh đã có", "A duplicate of an earlier report").into()
        }
        Change::Noted { text } => format!("{}: {text}", lang.pick("Ghi chú nội bộ", "Staff note")),
        Change::Rated { stars, comment, status } => {
            let mut text = format!("{} {stars}/5", lang.pick("Người dân đánh giá", "Rated"));
            if let Some(comment) = comment {
                text.push_str(&format!(" — {comment}"));
            }
            if *status == Status::Reopened {
                text.push_str(lang.pick(" (mở lại)", " (reopened)"));
            }
            text
        }
        Change::Commented { text } => format!("{}: {text}", lang.pick("Bổ sung", "Added")),
        Change::Cancelled { .. } => {
            lang.pick("Người dân đã rút phản ánh", "Withdrawn by the resident").into()
        }
        Change::AckOverdue { .. } => lang
            .pick("Quá hạn tiếp nhận — báo lên thành phố", "Not acknowledged in time — escalated to the city")
            .into(),
        Change::HandlingOverdue { .. } => lang
            .pick("Quá hạn xử lý — báo lên thành phố", "Not handled in time — escalated to the city")
            .into(),
        // Staff see who; residents and the public only that someone answers for it.
        Change::Assigned { officer: Some(officer), reason } => {
            let mut text = format!("{} {}", lang.pick("Giao cho cán bộ", "Assigned to"), officer.username);
            if let Some(reason) = reason {
                text.push_str(&format!(": {reason}"));
            }
            text
        }
        Change::Assigned { officer: None, .. } => {
            lang.pick("Phường đã giao cán bộ phụ trách", "The ward assigned an officer to it").into()
        }
    }
}

#[component]
pub fn Timeline(
    events: Vec<Event>,
    /// Where a report's page is: `/reports` for residents, `/staff/reports` for staff.
    report_pages: &'static str,
) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let ward_name = ward_names_by_code();
    view! {
        <ol class="timeline">
            {events.into_iter().map(|event| {
                let after = match &event.change {
                    Change::Resolved { after_photos, .. } => after_photos.clone(),
                    _ => Vec::new(),
                };
                let original = match &event.change {
                    Change::MarkedDuplicate { original, .. } => Some(*original),
                    _ => None,
                };
                let change = event.change.clone();
                view! {
                    <li class=format!("event {}", kind_class(&event.change))>
                        <time>{clock::local(event.at)}</time>
                        <span>{move || describe(lang.get(), ward_name, &change)}</span>
                        {original.map(|id| view! {
                            " " <a href=format!("{report_pages}/{id}")>{move || t("Xem phản ánh gốc", "See the original")}</a>
                        })}
                        {(!after.is_empty()).then(|| view! {
                            <div class="thumbs">
                                {after.into_iter().map(|id| view! {
                                    <a href=photo_url(id, false)><img src=photo_url(id, true) alt="after"/></a>
                                }).collect_view()}
                            </div>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

fn kind_class(change: &Change) -> &'static str {
    match change {
        Change::Resolved { .. } => "good",
        Change::Rejected { .. } | Change::AckOverdue { .. } | Change::HandlingOverdue { .. } => "bad",
        _ => "",
    }
}

/// A status as a coloured label.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    let lang = use_lang();
    view! { <span class=format!("badge {status:?}").to_ascii_lowercase() data-status=format!("{status:?}")>{move || i18n::status(lang.get(), status)}</span> }
}

/// The deadline that matters now, as a working-hours clock; nothing once the report is done.
#[component]
pub fn DeadlineClock(report: ReportView) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let (deadline, what) = match report.status {
        Status::Submitted => (report.deadlines.acknowledge, ("Hạn tiếp nhận", "Acknowledge by")),
        Status::Acknowledged | Status::InProgress | Status::Reopened => {
            (report.deadlines.handle, ("Hạn xử lý", "Handle by"))
        }
        _ => return None,
    };
    Some(view! {
        <p class="deadline">
            {move || {
                let (phrase, late) = clock::deadline(lang.get(), deadline, clock::now());
                view! {
                    <span>{t(what.0, what.1)}" "{clock::local(deadline)}</span>
                    " · "
                    <strong class:late=late>{phrase}</strong>
                }
            }}
        </p>
    })
}

/// The top of a report's page: kind and status, ward and time, the running deadline, the
/// resident's description and photos.
#[component]
pub fn ReportSummary(report: ReportView) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let category = report.category;
    let (name_of, ward, received_at) = (ward_names(), report.ward.clone(), report.received_at);
    view! {
        <header>
            <h1>{move || i18n::category(lang.get(), category)}</h1>
            <StatusBadge status=report.status/>
        </header>
        {report.reference.map(|r| view! {
            <p class="reference">{move || t("Mã phản ánh", "Reference")}": "<strong data-testid="reference">{r.to_string()}</strong></p>
        })}
        <p class="muted">{move || format!("{} · {}", name_of(&ward), clock::local(received_at))}</p>
        <DeadlineClock report=report.clone()/>
        <p class="description">{report.description.clone()}</p>
        <div class="thumbs">
            {report.photos.iter().map(|&id| view! {
                <a href=photo_url(id, false)><img src=photo_url(id, true) alt=move || t("Ảnh hiện trường", "Photo of the spot")/></a>
            }).collect_view()}
        </div>
    }
}
