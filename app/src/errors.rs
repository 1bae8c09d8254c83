//! Refusals as people read them: in their language, next to the field.
//!
//! The server and the shared checks name the field and a code (`phananh_shared::refusal`),
//! with an English message for developers. The app says each refusal by its code and field:
//! the field's own sentence where this module has one, else the code's (every code has one in
//! both languages). The server's English is shown only for a code this build does not know.

use phananh_shared::api::STAFF_TEXT_MIN_CHARS;
use phananh_shared::dashboard::LONGEST_PERIOD_DAYS;
use phananh_shared::report::{DESCRIPTION_MAX_CHARS, DESCRIPTION_MIN_CHARS, MAX_PHOTOS};
use phananh_shared::validation::{ErrorCode, FieldError};

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Lang, use_lang};

/// The form field an error belongs to: `location.lat` is the location's.
pub fn form_field(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

/// A shared check's refusal, before anything is sent.
pub fn message(lang: Lang, error: &FieldError) -> String {
    say(lang, error.code.code(), Some(&error.field), &error.message)
}

/// Why a call to the server (or to the device's own store) did not do what was asked.
pub fn api(lang: Lang, error: &ApiError) -> String {
    match error {
        ApiError::Offline(_) => lang
            .pick(
                "Không kết nối được máy chủ: hãy thử lại khi có mạng.",
                "Cannot reach the server: try again when online.",
            )
            .to_owned(),
        ApiError::Refused { code, message, field, .. } => say(lang, code, field.as_deref(), message),
    }
}

/// A refusal by its wire `code` and `field`; `detail` is the server's English, for a code
/// this build does not know.
pub fn say(lang: Lang, code: &str, field: Option<&str>, detail: &str) -> String {
    let Some(code) = ErrorCode::from_code(code) else {
        return match device_says(code) {
            Some((vi, en)) => lang.pick(vi, en).to_owned(),
            None => format!("{} ({detail})", lang.pick("Không làm được việc này", "This could not be done")),
        };
    };
    if let Some(text) = field.and_then(|field| field_says(lang, form_field(field), code, detail)) {
        return text;
    }
    let (vi, en) = code.says();
    lang.pick(vi, en).to_owned()
}

/// The refusals of the device itself (its store, the desktop app's native side), which are
/// not the server's codes.
fn device_says(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "storage_full" => ("Bộ nhớ của thiết bị đã đầy.", "This device's storage is full."),
        "storage" | "device_storage" => (
            "Thiết bị không ghi được vào bộ nhớ (có thể đã đầy).",
            "The device could not write to its storage (it may be full).",
        ),
        "not_started" => ("Ứng dụng chưa được cài đặt xong.", "The app has not been set up yet."),
        "server" => ErrorCode::Internal.says(),
        _ => return None,
    })
}

/// A refusal in a paragraph of its own, in the language in force.
#[component]
pub fn Refused(error: ApiError) -> impl IntoView {
    let lang = use_lang();
    view! { <p class="error" role="alert">{move || api(lang.get(), &error)}</p> }
}

/// What a refusal means for one field, where the field's own words say more than the code's.
fn field_says(lang: Lang, field: &str, code: ErrorCode, detail: &str) -> Option<String> {
    let text = |vi: &'static str, en: &'static str| Some(lang.pick(vi, en).to_owned());
    let min = STAFF_TEXT_MIN_CHARS;
    match (field, code) {
        ("description", ErrorCode::Required) => text("Hãy mô tả sự việc.", "Describe the problem."),
        ("description", ErrorCode::TooShort) => Some(match lang {
            Lang::Vi => format!("Mô tả cần ít nhất {DESCRIPTION_MIN_CHARS} ký tự: nói rõ ở đâu, việc gì."),
            Lang::En => format!("Write at least {DESCRIPTION_MIN_CHARS} characters: say where and what."),
        }),
        ("description", ErrorCode::TooLong) => Some(match lang {
            Lang::Vi => format!("Mô tả tối đa {DESCRIPTION_MAX_CHARS} ký tự."),
            Lang::En => format!("At most {DESCRIPTION_MAX_CHARS} characters."),
        }),
        ("location", ErrorCode::Required) => text(
            "Chọn vị trí: dùng vị trí của bạn hoặc chạm vào bản đồ.",
            "Choose the spot: use your location or tap the map.",
        ),
        ("photos", ErrorCode::TooMany) => Some(match lang {
            Lang::Vi => format!("Tối đa {MAX_PHOTOS} ảnh."),
            Lang::En => format!("At most {MAX_PHOTOS} photos."),
        }),
        // The detail names the file, its size and the limit it is over.
        ("photos", ErrorCode::TooLong) => Some(match lang {
            Lang::Vi => format!("Ảnh quá lớn ({detail})."),
            Lang::En => format!("Photo too large ({detail})."),
        }),
        ("after_photos", ErrorCode::Required) => text(
            "Hãy đính kèm ít nhất một ảnh chụp sau khi xử lý.",
            "Attach at least one photo taken after the work.",
        ),
        ("answer", ErrorCode::Required | ErrorCode::TooShort) => Some(match lang {
            Lang::Vi => format!("Câu trả lời cần ít nhất {min} ký tự."),
            Lang::En => format!("The answer needs at least {min} characters."),
        }),
        // The only other thing an answer can be refused for: a template's blanks left as they are.
        ("answer", ErrorCode::Invalid) => text(
            "Hãy điền các chỗ […] của mẫu trước khi gửi.",
            "Fill in the template's […] blanks before sending.",
        ),
        ("reason", ErrorCode::Required | ErrorCode::TooShort) => Some(match lang {
            Lang::Vi => format!("Hãy ghi lý do, ít nhất {min} ký tự."),
            Lang::En => format!("Give the reason, in at least {min} characters."),
        }),
        ("from", ErrorCode::OutOfRange) => text(
            "Ngày bắt đầu phải trước hoặc trùng ngày kết thúc.",
            "The start date must be on or before the end date.",
        ),
        ("from", ErrorCode::TooLong) => Some(match lang {
            Lang::Vi => {
                format!("Mỗi lần xem tối đa {LONGEST_PERIOD_DAYS} ngày: hãy chọn ngày bắt đầu muộn hơn.")
            }
            Lang::En => {
                format!("A period covers at most {LONGEST_PERIOD_DAYS} days: choose a later start date.")
            }
        }),
        ("from" | "to", ErrorCode::Invalid) => text("Ngày không hợp lệ.", "Not a valid date."),
        // A transfer code: unknown, used and expired are one refusal, so nobody can probe codes.
        ("code", ErrorCode::NotFound) => text(
            "Mã không đúng, đã dùng hoặc đã hết hạn: hãy tạo mã mới trên máy cũ.",
            "This code is wrong, used or expired: make a new one on the old device.",
        ),
        _ => None,
    }
}

/// The refusal for a photo file over the size limit, before anything is sent.
pub fn photo_too_large(name: &str, bytes: usize, limit: usize) -> FieldError {
    FieldError::new(
        "photos",
        ErrorCode::TooLong,
        format!("{name}: {:.1} MB > {} MB", bytes as f64 / 1_048_576.0, limit / 1_048_576),
    )
}
