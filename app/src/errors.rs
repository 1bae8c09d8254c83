//! Field errors as a resident reads them: in their language, next to the field.
//!
//! The server and the shared checks name the field and give an English message; the app
//! says the common ones in Vietnamese and falls back to the message itself.

use phananh_shared::report::{DESCRIPTION_MAX_CHARS, DESCRIPTION_MIN_CHARS, MAX_PHOTOS};
use phananh_shared::validation::{ErrorCode, FieldError};

use crate::i18n::Lang;

/// The form field an error belongs to: `location.lat` is the location's.
pub fn form_field(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

pub fn message(lang: Lang, error: &FieldError) -> String {
    match (form_field(&error.field), error.code, lang) {
        ("description", ErrorCode::Required, Lang::Vi) => "Hãy mô tả sự việc.".to_owned(),
        ("description", ErrorCode::Required, Lang::En) => "Describe the problem.".to_owned(),
        ("description", ErrorCode::TooShort, Lang::Vi) => {
            format!("Mô tả cần ít nhất {DESCRIPTION_MIN_CHARS} ký tự: nói rõ ở đâu, việc gì.")
        }
        ("description", ErrorCode::TooShort, Lang::En) => {
            format!("Write at least {DESCRIPTION_MIN_CHARS} characters: say where and what.")
        }
        ("description", ErrorCode::TooLong, Lang::Vi) => {
            format!("Mô tả tối đa {DESCRIPTION_MAX_CHARS} ký tự.")
        }
        ("description", ErrorCode::TooLong, Lang::En) => {
            format!("At most {DESCRIPTION_MAX_CHARS} characters.")
        }
        ("location", ErrorCode::Required, Lang::Vi) => {
            "Chọn vị trí: dùng vị trí của bạn hoặc chạm vào bản đồ.".to_owned()
        }
        ("location", ErrorCode::Required, Lang::En) => {
            "Choose the spot: use your location or tap the map.".to_owned()
        }
        ("location", ErrorCode::OutsideCity, Lang::Vi) => "Vị trí này nằm ngoài Hà Nội.".to_owned(),
        ("location", ErrorCode::OutsideCity, Lang::En) => "This spot is outside Hà Nội.".to_owned(),
        ("photos", ErrorCode::TooMany, Lang::Vi) => format!("Tối đa {MAX_PHOTOS} ảnh."),
        ("photos", ErrorCode::TooMany, Lang::En) => format!("At most {MAX_PHOTOS} photos."),
        // The message names the file, its size and the limit it is over.
        ("photos", ErrorCode::TooLong, Lang::Vi) => format!("Ảnh quá lớn ({}).", error.message),
        ("photos", ErrorCode::TooLong, Lang::En) => format!("Photo too large ({}).", error.message),
        _ => error.message.clone(),
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
