//! One report for ward staff: the full view (with the reporter's contact), photos, the spot
//! on the map, the timeline with staff notes, and the actions its status allows:
//! acknowledge, start, answer (from a template, with "after" photos), reject with a reason,
//! transfer to a ward picked on the map or by name, mark as a duplicate.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use phananh_shared::answers::AnswerTemplate;
use phananh_shared::api::{ActionRequest, Event, ReportView, Uploaded};
use phananh_shared::status::Action;
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::errors::Refused;
use crate::i18n::{self, tr, use_lang};
use crate::live::Live;
use crate::map::{Marker, WardMap};
use crate::pages::staff::{SignIn, find_report};
use crate::pages::timeline::{ReportSummary, Timeline};
use crate::photos::{Photo, PhotoPicker};
use crate::session::{confirm, use_session};
use crate::wards::{use_wards, ward_names_by_code};

#[component]
pub fn StaffReport() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    move || {
        let Some(answer) = session.get() else { return view! { <SignIn session=session/> }.into_any() };
        let Some(id) = params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok())) else {
            return view! { <p class="error">"?"</p> }.into_any();
        };
        view! { <Detail id=id token=answer.token/> }.into_any()
    }
}

#[component]
fn Detail(id: Uuid, token: String) -> impl IntoView {
    let t = tr();
    let session = use_session();
    let version = RwSignal::new(0u64);
    let loaded = {
        let token = token.clone();
        LocalResource::new(move || {
            version.get();
            let token = token.clone();
            async move {
                let report = api::get::<ReportView>(&format!("/api/v1/reports/{id}"), Some(&token)).await?;
                let events =
                    api::get::<Vec<Event>>(&format!("/api/v1/reports/{id}/events"), Some(&token)).await?;
                Ok::<_, ApiError>((report, events))
            }
        })
    };
    let live = StoredValue::new_local(Some(Live::subscribe(
        &format!("report:{id}"),
        Some(&token),
        Some(0),
        move |_| version.update(|v| *v += 1),
        move |up| {
            if !up {
                confirm(session);
            }
        },
    )));
    on_cleanup(move || live.set_value(None));
    view! {
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || loaded.get().map(|loaded| match loaded {
                Ok((report, events)) => view! { <Body report=report events=events token=token.clone() version=version/> }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Body(report: ReportView, events: Vec<Event>, token: String, version: RwSignal<u64>) -> impl IntoView {
    let t = tr();
    let wards = use_wards();
    let contact = report
        .reporter
        .clone()
        .map(|r| [r.name, r.phone, r.email].into_iter().flatten().collect::<Vec<_>>().join(" · "));
    let (lon, lat) = (report.location.lon, report.location.lat);
    let marker = Marker { lon, lat, label: report.description.clone(), report: None, class: "open" };
    let transfer_to = RwSignal::new(String::new());
    view! {
        <article class="report staff" data-testid="staff-report">
            <ReportSummary report=report.clone()/>
            {contact.filter(|c| !c.is_empty()).map(|c| view! { <p class="contact">{move || t("Liên hệ người gửi: ", "Reporter's contact: ")}{c.clone()}</p> })}
            {move || wards.get().and_then(Result::ok).map(|w| {
                let marker = marker.clone();
                view! {
                    <WardMap wards=w label=("Vị trí phản ánh", "Where the report is") focus=(lon, lat)
                        markers=Signal::derive(move || vec![marker.clone()])
                        on_ward=Callback::new(move |code: String| transfer_to.set(code))/>
                }
            })}
            <Actions report=report.clone() token=token version=version transfer_to=transfer_to/>
            <h2>{move || t("Diễn biến", "Timeline")}</h2>
            <Timeline events=events report_pages="/staff/reports"/>
        </article>
    }
}

/// The forms for what can be done now; the server's refusal shows next to its field.
#[component]
fn Actions(
    report: ReportView,
    token: String,
    version: RwSignal<u64>,
    transfer_to: RwSignal<String>,
) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let wards = use_wards();
    let name_of = ward_names_by_code();
    let id = report.id;
    let allowed = report.status.allowed_actions();
    let errors = RwSignal::new(HashMap::<String, String>::new());
    let busy = RwSignal::new(false);
    let answer = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let original = RwSignal::new(String::new());
    let after = RwSignal::new(Vec::<Photo>::new());
    let after_error = RwSignal::new(None::<String>);
    let needs_photo = report.category.needs_after_photo();
    let token = StoredValue::new(token);

    let send = move |request: ActionRequest| {
        busy.set(true);
        errors.set(HashMap::new());
        after_error.set(None);
        let token = token.get_value();
        let photos = after.get_untracked();
        leptos::task::spawn_local(async move {
            let request = match request {
                ActionRequest::Resolve { answer, .. } => match upload_all(&token, photos).await {
                    Ok(after_photos) => ActionRequest::Resolve { answer, after_photos },
                    Err(e) => {
                        after_error.set(Some(crate::errors::api(lang.get_untracked(), &e)));
                        busy.set(false);
                        return;
                    }
                },
                other => other,
            };
            match api::post::<_, ReportView>(&format!("/api/v1/reports/{id}/actions"), Some(&token), &request)
                .await
            {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => {
                    let field = e
                        .field()
                        .map(|f| crate::errors::form_field(f).to_owned())
                        .unwrap_or_else(|| "action".into());
                    let said = crate::errors::api(lang.get_untracked(), &e);
                    // The photos' refusal goes under the photo picker, with its own.
                    if field == "after_photos" {
                        after_error.set(Some(said));
                    } else {
                        errors.set(HashMap::from([(field, said)]));
                    }
                }
            }
            busy.set(false);
        });
    };
    let error_of = move |key: &'static str| move || errors.with(|e| e.get(key).cloned());
    let templates = LocalResource::new(move || async move {
        api::get::<Vec<AnswerTemplate>>(
            &format!("/api/v1/answer-templates?category={}", report.category),
            None,
        )
        .await
        .unwrap_or_default()
    });
    let has = |action: Action| allowed.contains(&action);
    let simple = |action: Action, request: ActionRequest, vi: &'static str, en: &'static str| {
        has(action).then(|| view! {
            <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| send(request.clone())>{move || t(vi, en)}</button>
        })
    };

    view! {
        <section class="actions" aria-labelledby="actions-title">
            <h2 id="actions-title">{move || t("Xử lý", "Act on it")}</h2>
            <div class="buttons">
                {simple(Action::Acknowledge, ActionRequest::Acknowledge, "Tiếp nhận", "Acknowledge")}
                {simple(Action::Start, ActionRequest::Start, "Bắt đầu xử lý", "Start work")}
            </div>
            <p class="error" role="alert">{error_of("action")}</p>
            {has(Action::Resolve).then(|| view! {
                <form class="action" on:submit=move |ev| { ev.prevent_default(); send(ActionRequest::Resolve { answer: answer.get_untracked(), after_photos: Vec::new() }); }>
                    <h3>{move || t("Trả lời người dân", "Answer the resident")}</h3>
                    <div class="field">
                        <label for="template">{move || t("Mẫu trả lời", "Answer template")}</label>
                        <select id="template" on:change=move |ev| {
                            let chosen = event_target_value(&ev);
                            if let Some(tpl) = templates.get_untracked().unwrap_or_default().into_iter().find(|x| x.id == chosen) {
                                answer.set(if lang.get_untracked() == i18n::Lang::Vi { tpl.text_vi } else { tpl.text_en });
                            }
                        }>
                            <option value="">{move || t("— Tự viết —", "— Write my own —")}</option>
                            {move || templates.get().unwrap_or_default().into_iter().map(|tpl| {
                                let title = if lang.get() == i18n::Lang::Vi { tpl.title_vi.clone() } else { tpl.title_en.clone() };
                                view! { <option value=tpl.id.clone()>{title}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="answer">{move || t("Nội dung trả lời", "Answer")}</label>
                        <textarea id="answer" rows="4" prop:value=move || answer.get() on:input=move |ev| answer.set(event_target_value(&ev))
                            aria-describedby="answer-error" aria-invalid=move || errors.with(|e| e.contains_key("answer")).to_string()></textarea>
                        <p class="help">{move || t("Điền vào các chỗ […] của mẫu.", "Fill in the […] blanks of the template.")}</p>
                        <p class="error" id="answer-error" role="alert">{error_of("answer")}</p>
                    </div>
                    <PhotoPicker id="after-photos"
                        label=if needs_photo { ("Ảnh sau khi xử lý (bắt buộc)", "\"After\" photo (required)") } else { ("Ảnh sau khi xử lý", "\"After\" photo") }
                        photos=after error=after_error/>
                    <button type="submit" class="primary" disabled=move || busy.get()>{move || t("Gửi trả lời", "Send the answer")}</button>
                </form>
            })}
            {(has(Action::Reject) || has(Action::Transfer)).then(|| view! {
                <fieldset class="group">
                    <legend>{move || t("Không phải việc của phường", "Not this ward's to fix")}</legend>
                    <div class="field">
                        <label for="reason">{move || t("Lý do (từ chối hoặc chuyển)", "Reason (to reject or transfer)")}</label>
                        <textarea id="reason" rows="2" on:input=move |ev| reason.set(event_target_value(&ev))
                            aria-describedby="reason-error" aria-invalid=move || errors.with(|e| e.contains_key("reason")).to_string()></textarea>
                        <p class="error" id="reason-error" role="alert">{error_of("reason")}</p>
                    </div>
                    {has(Action::Transfer).then(|| view! {
                        <div class="field">
                            <label for="transfer-ward">{move || t("Chuyển đến phường (chọn tên hoặc bấm trên bản đồ)", "Transfer to ward (pick a name or click the map)")}</label>
                            <div class="pick">
                                <select id="transfer-ward" prop:value=move || transfer_to.get() on:change=move |ev| transfer_to.set(event_target_value(&ev))
                                    aria-describedby="ward-error">
                                    <option value="">"—"</option>
                                    {move || wards.get().and_then(Result::ok).map(|w| {
                                        let mut list: Vec<_> = w.index.wards().iter().map(|w| (name_of(&w.code).unwrap_or_else(|| w.name.clone()), w.code.clone())).collect();
                                        list.sort();
                                        list.into_iter().map(|(name, code)| view! { <option value=code>{name}</option> }).collect_view()
                                    })}
                                </select>
                                <button type="button" class="secondary" disabled=move || busy.get()
                                    on:click=move |_| send(ActionRequest::Transfer { ward: transfer_to.get_untracked(), reason: reason.get_untracked() })>{move || t("Chuyển phường", "Transfer")}</button>
                            </div>
                            <p class="error" id="ward-error" role="alert">{error_of("ward")}</p>
                        </div>
                    })}
                    {has(Action::Reject).then(|| view! {
                        <div class="buttons">
                            <button type="button" class="danger" disabled=move || busy.get()
                                on:click=move |_| send(ActionRequest::Reject { reason: reason.get_untracked() })>{move || t("Từ chối", "Reject")}</button>
                        </div>
                    })}
                </fieldset>
            })}
            {has(Action::MarkDuplicate).then(|| view! {
                <fieldset class="group">
                    <legend>{move || t("Đã có người phản ánh", "Already reported")}</legend>
                    <div class="field">
                        <label for="original">{move || t("Trùng với phản ánh (mã, ví dụ PA-1042)", "Duplicate of (reference, e.g. PA-1042)")}</label>
                        <div class="pick">
                            <input id="original" on:input=move |ev| original.set(event_target_value(&ev)) aria-describedby="original-error"/>
                            <button type="button" class="secondary" disabled=move || busy.get() on:click=move |_| {
                                let named = original.get_untracked();
                                leptos::task::spawn_local(async move {
                                    match find_report(&token.get_value(), &named, lang.get_untracked()).await {
                                        Ok(found) => send(ActionRequest::MarkDuplicate { original: found.id }),
                                        Err(message) => errors.set(HashMap::from([("original".to_owned(), message)])),
                                    }
                                });
                            }>{move || t("Đánh dấu trùng", "Mark duplicate")}</button>
                        </div>
                        <p class="error" id="original-error" role="alert">{error_of("original")}</p>
                    </div>
                </fieldset>
            })}
        </section>
    }
}

/// Uploads the "after" photos, in order, and gives their ids.
async fn upload_all(token: &str, photos: Vec<Photo>) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::with_capacity(photos.len());
    for photo in photos {
        let uploaded: Uploaded = api::post_blob("/api/v1/photos", Some(token), &photo.blob).await?;
        ids.push(uploaded.id);
    }
    Ok(ids)
}
