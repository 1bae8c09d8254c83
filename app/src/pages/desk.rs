//! A ward's dossier desk: register a dossier brought to the one-stop desk (the receipt's code
//! and secret are shown once, to hand over), and move the desk's dossiers on. The list
//! updates live as the desk's colleagues act and as the due dates pass.

use leptos::prelude::*;
use phananh_shared::api::LoginAnswer;
use phananh_shared::dossier::{
    Catalogue, Delivery, DossierAction, DossierActionRequest, DossierView, NewDossier, RegisteredDossier,
};

use crate::api::{self, ApiError};
use crate::errors::Refused;
use crate::i18n::{self, tr, use_lang};
use crate::live::{Heard, Live};
use crate::pages::dossiers::DossierCard;
use crate::pages::staff::SignIn;
use crate::session::{confirm, use_session};
use crate::wards::ward_names;

#[component]
pub fn DossierDesk() -> impl IntoView {
    let session = use_session();
    move || match session.get() {
        None => view! { <SignIn session=session/> }.into_any(),
        Some(answer) => view! { <Desk answer=answer/> }.into_any(),
    }
}

#[component]
fn Desk(answer: LoginAnswer) -> impl IntoView {
    let t = tr();
    let token = StoredValue::new(answer.token.clone());
    let version = RwSignal::new(0u64);
    let dossiers = LocalResource::new(move || {
        version.get();
        let token = token.get_value();
        async move { api::get::<Vec<DossierView>>("/api/v1/dossiers", Some(&token)).await }
    });
    let scope =
        answer.staff.ward.as_ref().map_or_else(|| "city".to_owned(), |ward| format!("ward:{}", ward.code));
    let reload = move || version.update(|v| *v += 1);
    let session = use_session();
    let live = StoredValue::new_local(Some(Live::subscribe_all(
        &scope,
        Some(&answer.token),
        None,
        move |heard| {
            if matches!(heard, Heard::Dossier(_)) {
                reload();
            }
        },
        move |up| {
            if up {
                reload();
            } else {
                confirm(session);
            }
        },
    )));
    on_cleanup(move || live.set_value(None));
    let (name_of, ward) = (ward_names(), answer.staff.ward.clone());
    let title = move || ward.as_ref().map_or_else(|| "Hà Nội".to_owned(), name_of);
    view! {
        <h1>{move || t("Bộ phận một cửa: hồ sơ", "One-stop desk: dossiers")}" · "{title}</h1>
        {answer.staff.ward.is_some().then(|| view! { <Register token=token on_registered=reload/> })}
        <h2>{move || t("Hồ sơ của bộ phận", "The desk's dossiers")}</h2>
        <Suspense fallback=move || view! { <p>{t("Đang tải…", "Loading…")}</p> }>
            {move || dossiers.get().map(|loaded| match loaded {
                Ok(list) if list.is_empty() => view! { <p>{t("Chưa có hồ sơ nào.", "No dossier yet.")}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="cards" data-testid="desk-dossiers">
                        {list.into_iter().map(|d| view! { <DeskDossier dossier=d token=token version=version/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <Refused error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

/// The registration form: procedure, applicant, phone or e-mail; then the receipt.
#[component]
fn Register(token: StoredValue<String>, on_registered: impl Fn() + Copy + 'static) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let procedure = RwSignal::new(Catalogue::shipped().procedures()[0].code.clone());
    let applicant = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let receipt = RwSignal::new(None::<RegisteredDossier>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given =
            |value: RwSignal<String>| Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        let new = NewDossier {
            procedure: procedure.get_untracked(),
            applicant: applicant.get_untracked().trim().to_owned(),
            phone: given(phone),
            email: given(email),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, RegisteredDossier>("/api/v1/dossiers", Some(&token.get_value()), &new).await
            {
                Ok(registered) => {
                    error.set(None);
                    receipt.set(Some(registered));
                    applicant.set(String::new());
                    phone.set(String::new());
                    email.set(String::new());
                    on_registered();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let error_on = move |field: &'static str| {
        move || error.with(|e| e.as_ref().filter(|e| e.field() == Some(field)).map(ToString::to_string))
    };
    let text_field = move |id: &'static str,
                           label: (&'static str, &'static str),
                           kind: &'static str,
                           value: RwSignal<String>| {
        view! {
            <div class="field">
                <label for=format!("dossier-{id}")>{move || t(label.0, label.1)}</label>
                <input id=format!("dossier-{id}") name=id type=kind prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
                <p class="error" role="alert">{error_on(id)}</p>
            </div>
        }
    };
    view! {
        <form class="register" on:submit=submit aria-labelledby="register-title">
            <h2 id="register-title">{move || t("Tiếp nhận hồ sơ", "Register a dossier")}</h2>
            <div class="field">
                <label for="dossier-procedure">{move || t("Thủ tục", "Procedure")}</label>
                <select id="dossier-procedure" name="procedure" on:change=move |ev| procedure.set(event_target_value(&ev))>
                    {Catalogue::shipped().procedures().iter().map(|p| {
                        let (code, days) = (p.code.clone(), p.working_days);
                        let name = code.clone();
                        view! {
                            <option value=code>{move || format!("{} ({})", i18n::procedure(lang.get(), &name), i18n::working_days(lang.get(), days))}</option>
                        }
                    }).collect_view()}
                </select>
                <p class="error" role="alert">{error_on("procedure")}</p>
            </div>
            {text_field("applicant", ("Người nộp", "Applicant"), "text", applicant)}
            {text_field("phone", ("Số điện thoại (để nhắn tin)", "Phone (for notices)"), "tel", phone)}
            {text_field("email", ("Thư điện tử (nếu không có số điện thoại)", "E-mail (when there is no phone)"), "email", email)}
            <p class="error" role="alert">{move || error.with(|e| e.as_ref().filter(|e| e.field().is_none()).map(ToString::to_string))}</p>
            <button type="submit" class="primary">{move || t("Tiếp nhận", "Register")}</button>
        </form>
        {move || receipt.get().map(|r| view! {
            <section class="receipt" data-testid="receipt" aria-live="polite">
                <h3>{move || t("Phiếu hẹn", "Receipt")}</h3>
                <p>{move || t("Mã hồ sơ: ", "Dossier code: ")}<strong data-testid="receipt-code">{r.dossier.code.clone()}</strong></p>
                <p>{move || t("Mã bí mật: ", "Secret: ")}<strong data-testid="receipt-secret">{r.secret.clone()}</strong></p>
                <p class="muted">{move || t("Đưa cho người nộp: họ theo dõi hồ sơ trên ứng dụng bằng hai mã này.", "Hand these to the applicant: they track the dossier in the app with them.")}</p>
                <p class="muted">{move || t(
                    "Mã bí mật gồm 8 ký tự ngẫu nhiên, không còn là 4 số cuối số điện thoại, và chỉ hiện một lần: hãy in hoặc chép lại. Nhập sai nhiều lần thì hồ sơ tạm khoá theo dõi.",
                    "The secret is 8 random characters, no longer the phone's last 4 digits, and is shown only once: print or copy it. Too many wrong tries lock the dossier's tracking for a while.",
                )}</p>
            </section>
        })}
    }
}

/// A dossier with the desk's buttons: those its status allows.
#[component]
fn DeskDossier(dossier: DossierView, token: StoredValue<String>, version: RwSignal<u64>) -> impl IntoView {
    let t = tr();
    let lang = use_lang();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let code = StoredValue::new(dossier.code.clone());
    let act = move |action: DossierAction| {
        let words = text.get_untracked().trim().to_owned();
        let request = match action {
            DossierAction::Start => DossierActionRequest::Start,
            DossierAction::RequestDocuments => DossierActionRequest::RequestDocuments { missing: words },
            DossierAction::DocumentsReceived => DossierActionRequest::DocumentsReceived,
            DossierAction::Complete => DossierActionRequest::Complete {
                delivery: Delivery::Pickup,
                note: Some(words).filter(|w| !w.is_empty()),
            },
            DossierAction::Return => DossierActionRequest::Return { reason: words },
        };
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/dossiers/{}/actions", code.get_value());
            match api::post::<_, DossierView>(&path, Some(&token.get_value()), &request).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => error.set(Some(crate::errors::api(lang.get_untracked(), &e))),
            }
        });
    };
    let label = move |action: DossierAction| match action {
        DossierAction::Start => t("Bắt đầu giải quyết", "Start processing"),
        DossierAction::RequestDocuments => t("Yêu cầu bổ sung", "Ask for documents"),
        DossierAction::DocumentsReceived => t("Đã nhận đủ giấy tờ", "Documents received"),
        DossierAction::Complete => t("Có kết quả", "Result ready"),
        DossierAction::Return => t("Trả lại", "Return"),
    };
    let actions = dossier.status.allowed_actions();
    let contact = dossier.contact.clone();
    let text_id = format!("words-{}", dossier.code);
    view! {
        <DossierCard dossier=dossier>
            {contact.map(|c| view! {
                <p class="muted">{c.applicant}" · "{c.phone.or(c.email).unwrap_or_default()}</p>
            })}
            {(!actions.is_empty()).then(|| view! {
                <div class="field">
                    <label for=text_id.clone()>{move || t("Giấy tờ còn thiếu, lý do hoặc ghi chú", "Missing documents, reason or note")}</label>
                    <input id=text_id.clone() prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
                </div>
                <div class="buttons">
                    {actions.clone().into_iter().map(|action| view! {
                        <button type="button" class="secondary" data-action=action.code() on:click=move |_| act(action)>{move || label(action)}</button>
                    }).collect_view()}
                </div>
                <p class="error" role="alert">{move || error.get()}</p>
            })}
        </DossierCard>
    }
}
