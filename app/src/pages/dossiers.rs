//! The resident's dossiers: track one by the code and secret on the desk's receipt, then see
//! where each stands, what is missing and when it is due, offline too, updating live.

use leptos::prelude::*;
use phananh_shared::dossier::{
    Delivery, DossierChange, DossierEvent, DossierStatus, DossierView, TrackDossier,
};
use phananh_shared::refusal::ErrorCode;

use crate::api::ApiError;
use crate::backend::backend;
use crate::clock;
use crate::errors::Refused;
use crate::i18n::{self, Lang, tr, use_lang};

#[component]
pub fn MyDossiers() -> impl IntoView {
    let t = tr();
    let state = backend().state();
    let dossiers = LocalResource::new(move || {
        state.changed.get();
        backend().my_dossiers()
    });
    view! {
        <h1>{move || t("Hồ sơ thủ tục của tôi", "My dossiers")}</h1>
        <TrackForm/>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || dossiers.get().map(|loaded| match loaded {
                Ok(list) if list.is_empty() => view! {
                    <p>{t("Bạn chưa theo dõi hồ sơ nào.", "You are not tracking any dossier yet.")}</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="cards" data-testid="my-dossiers">
                        {list.into_iter().map(|d| view! { <DossierCard dossier=d/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

/// The code and secret, each with its label and its own error line.
#[component]
fn TrackForm() -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let code = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let track = TrackDossier {
            code: code.get_untracked().trim().into(),
            secret: secret.get_untracked().trim().into(),
        };
        if let Err(invalid) = track.validate() {
            error.set(Some((Some(invalid.field), t("Hãy điền ô này.", "Please fill in this field.").into())));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match backend().track_dossier(track).await {
                Ok(()) => {
                    error.set(None);
                    code.set(String::new());
                    secret.set(String::new());
                }
                Err(e) if e.is_offline() => error.set(Some((
                    None,
                    t("Cần có mạng để kiểm tra mã hồ sơ.", "Checking a dossier's code needs a connection.")
                        .into(),
                ))),
                // One refusal for an unknown code and a wrong secret, so nobody can probe codes.
                Err(ApiError::Refused { code, .. }) if code == ErrorCode::NotFound.code() => {
                    error.set(Some((
                        None,
                        t(
                            "Không có hồ sơ nào với mã và mã bí mật này: hãy xem lại phiếu hẹn.",
                            "No dossier has this code and secret: check the receipt again.",
                        )
                        .into(),
                    )))
                }
                Err(e) => error
                    .set(Some((e.field().map(str::to_owned), crate::errors::api(lang.get_untracked(), &e)))),
            }
            busy.set(false);
        });
    };
    let error_on = move |field: &'static str| {
        move || error.get().filter(|(f, _)| f.as_deref() == Some(field)).map(|(_, message)| message)
    };
    view! {
        <form class="track" on:submit=submit aria-labelledby="track-title">
            <h2 id="track-title">{move || t("Theo dõi một hồ sơ", "Track a dossier")}</h2>
            <div class="field">
                <label for="dossier-code">{move || t("Mã hồ sơ (trên phiếu hẹn)", "Dossier code (on the receipt)")}</label>
                <input id="dossier-code" name="code" autocomplete="off" prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))/>
                <p class="error" role="alert">{error_on("code")}</p>
            </div>
            <div class="field">
                <label for="dossier-secret">{move || t("Mã bí mật (trên phiếu hẹn)", "Secret (on the receipt)")}</label>
                <input id="dossier-secret" name="secret" autocomplete="off" prop:value=move || secret.get()
                    on:input=move |ev| secret.set(event_target_value(&ev))/>
                <p class="error" role="alert">{error_on("secret")}</p>
            </div>
            <p class="error" role="alert" data-testid="track-error">{move || error.get().filter(|(f, _)| f.as_deref().is_none_or(|f| f != "code" && f != "secret")).map(|(_, m)| m)}</p>
            <button type="submit" class="primary" disabled=move || busy.get()>{move || t("Theo dõi", "Track")}</button>
        </form>
    }
}

/// A dossier: its procedure, status, due date, what is missing, and its history; then
/// `children` (the desk's buttons).
#[component]
pub fn DossierCard(dossier: DossierView, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let status = dossier.status;
    let procedure = dossier.procedure.clone();
    let due = dossier.due_at;
    let history = dossier.history.clone();
    view! {
        <li class="card dossier" data-dossier=dossier.code.clone() data-status=status.code()>
            <strong>{move || i18n::procedure(lang.get(), &procedure)}</strong>
            " "
            <DossierBadge status=status/>
            <p class="muted">{move || t("Mã hồ sơ: ", "Code: ")}<code>{dossier.code.clone()}</code></p>
            {dossier.missing.clone().map(|missing| view! {
                <p class="missing" data-testid="missing">
                    <strong>{move || t("Cần bổ sung: ", "Still needed: ")}</strong>{missing}
                </p>
            })}
            {(!status.is_final()).then(|| view! {
                <p class="due">
                    {move || t("Hẹn trả kết quả: ", "Result due: ")}{clock::local(due)}
                    {(status == DossierStatus::NeedsDocuments).then(|| view! {
                        <span class="muted">{move || t(" (tạm dừng tính hạn khi chờ bổ sung)", " (the clock waits for your documents)")}</span>
                    })}
                </p>
            })}
            <details>
                <summary>{move || t("Lịch sử", "History")}</summary>
                <ol class="timeline">
                    {history.into_iter().map(|event| view! {
                        <li><time>{clock::local(event.at)}</time>" "{move || step(lang.get(), &event)}</li>
                    }).collect_view()}
                </ol>
            </details>
            {children.map(|children| children())}
        </li>
    }
}

#[component]
pub fn DossierBadge(status: DossierStatus) -> impl IntoView {
    let lang = use_lang();
    view! { <span class=format!("badge dossier-{}", status.code())>{move || i18n::dossier_status(lang.get(), status)}</span> }
}

/// One line of a dossier's history.
fn step(lang: Lang, event: &DossierEvent) -> String {
    match &event.change {
        DossierChange::Received { .. } => {
            lang.pick("Bộ phận một cửa đã tiếp nhận", "Received at the desk").into()
        }
        DossierChange::ProcessingStarted { .. } => {
            lang.pick("Bắt đầu giải quyết", "Processing started").into()
        }
        DossierChange::DocumentsRequested { missing, .. } => {
            format!("{}: {missing}", lang.pick("Yêu cầu bổ sung", "More documents needed"))
        }
        DossierChange::DocumentsReceived { due_at, .. } => format!(
            "{}; {} {}",
            lang.pick("Đã nhận đủ giấy tờ", "Documents received"),
            lang.pick("hẹn mới", "new due date"),
            clock::local(*due_at)
        ),
        DossierChange::Completed { delivery, note, .. } => {
            let done = match delivery {
                Delivery::Pickup => lang.pick(
                    "Đã có kết quả, mời nhận tại bộ phận một cửa",
                    "Result ready for pickup at the desk",
                ),
                Delivery::Sent => lang.pick("Đã có kết quả và đã gửi", "Result ready and sent"),
            };
            note.as_ref().map_or_else(|| done.to_owned(), |note| format!("{done}: {note}"))
        }
        DossierChange::Returned { reason, .. } => {
            format!("{}: {reason}", lang.pick("Trả lại hồ sơ", "Returned"))
        }
        DossierChange::Tracked => {
            lang.pick("Một thiết bị bắt đầu theo dõi", "A device started tracking").into()
        }
        DossierChange::DossierOverdue { .. } => lang.pick("Quá hạn giải quyết", "Past its due date").into(),
        DossierChange::TrackingLocked { until, failures } => format!(
            "{failures} {} {}",
            lang.pick("lần sai mã bí mật: khoá theo dõi đến", "wrong secrets: tracking locked until"),
            clock::local(*until)
        ),
    }
}
