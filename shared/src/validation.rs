//! The one error every input check returns, and the small checks the domain types share.
//!
//! A check stops at the first problem and names the field the client sent (its JSON path,
//! such as `description` or `location.lat`), so a form can put the message next to the right
//! input. The server answers it as `422 { "error": { "code", "message", "field" } }`: `code` is
//! for programs (stable, snake_case), `message` is for people (plain English, saying the limit
//! and what was sent).

use serde::{Deserialize, Serialize};

pub use crate::refusal::ErrorCode;

/// One invalid field. Serialises as `{ "code", "message", "field" }`, the body of the API's
/// `error` object; it also deserialises, so a client can read it back from a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub code: ErrorCode,
    /// Already names the field and the limit: it can be shown as is.
    pub message: String,
    /// JSON path of the offending field, as the client sent it (`location.lat`).
    pub field: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        FieldError { code, message: message.into(), field: field.into() }
    }

    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field} is required");
        Self::new(field, ErrorCode::Required, message)
    }

    pub fn too_short(field: impl Into<String>, min: usize, got: usize) -> Self {
        let field = field.into();
        let message = format!("{field} must be at least {min} characters, got {got}");
        Self::new(field, ErrorCode::TooShort, message)
    }

    pub fn too_long(field: impl Into<String>, max: usize, got: usize) -> Self {
        let field = field.into();
        let message = format!("{field} must be at most {max} characters, got {got}");
        Self::new(field, ErrorCode::TooLong, message)
    }

    pub fn too_many(field: impl Into<String>, max: usize, got: usize) -> Self {
        let field = field.into();
        let message = format!("{field} must have at most {max} items, got {got}");
        Self::new(field, ErrorCode::TooMany, message)
    }

    pub fn out_of_range(field: impl Into<String>, min: f64, max: f64, got: f64) -> Self {
        let field = field.into();
        let message = format!("{field} must be between {min} and {max}, got {got}");
        Self::new(field, ErrorCode::OutOfRange, message)
    }

    pub fn not_a_number(field: impl Into<String>, got: f64) -> Self {
        let field = field.into();
        let message = format!("{field} must be a finite number, got {got}");
        Self::new(field, ErrorCode::NotANumber, message)
    }

    /// For problems with no code of their own; `message` should name the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(field, ErrorCode::Invalid, message)
    }
}

/// How many Vietnamese combining marks one letter can carry: a vowel mark and a tone mark
/// (`ệ` = `e` + U+0302 + U+0323).
const MAX_MARKS_PER_LETTER: usize = 2;

/// The length of a text as its writer counts it: in characters, not bytes.
///
/// Vietnamese reaches us in two spellings. Precomposed (NFC, what phone and desktop keyboards
/// produce) has one `char` per letter: `ệ` is U+1EC7. Decomposed (NFD, from some copy-pastes and
/// older Windows encodings) spells the same letter as a base and up to two combining marks. A
/// plain `chars().count()` would count decomposed text up to three times over and refuse a
/// resident's text for a spelling they cannot see, so combining diacritical marks
/// (U+0300–U+036F) are free up to the two a Vietnamese letter needs. Longer runs of marks
/// ("Zalgo" text) count in full, so the stored size stays bounded by the limit.
pub fn text_len(text: &str) -> usize {
    let mut len = 0;
    let mut marks_in_a_row = 0;
    for c in text.chars() {
        if ('\u{0300}'..='\u{036F}').contains(&c) {
            marks_in_a_row += 1;
            if marks_in_a_row > MAX_MARKS_PER_LETTER {
                len += 1;
            }
        } else {
            marks_in_a_row = 0;
            len += 1;
        }
    }
    len
}

/// Whether `c` may stand in a text someone sends: anything but the C0 control characters
/// other than tab, line feed and carriage return, and the noncharacters U+FFFE and U+FFFF.
/// XML 1.0 cannot carry those at all (the Open311 feed would stop parsing for every
/// consumer), and no keyboard types them: they come from binary junk or from probing.
/// Lone surrogates cannot occur: a Rust string is valid UTF-8.
pub fn is_text_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Checks a text has only characters [`is_text_char`] allows, naming the first other one
/// and where it is (counted in characters from 1).
pub fn check_characters(field: &str, text: &str) -> Result<(), FieldError> {
    match text.chars().enumerate().find(|(_, c)| !is_text_char(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(FieldError::invalid(
            field,
            format!(
                "{field} must not contain the control character U+{:04X} (character {})",
                u32::from(c),
                at + 1
            ),
        )),
    }
}

/// Checks a free text, trimmed of surrounding whitespace, is between `min` and `max`
/// characters (see [`text_len`]) and has no control characters (see [`is_text_char`]). A
/// blank text is `required` rather than `too_short`: the resident forgot it, they did not
/// write too little.
pub fn check_text(field: &str, text: &str, min: usize, max: usize) -> Result<(), FieldError> {
    check_characters(field, text)?;
    let len = text_len(text.trim());
    if len == 0 && min > 0 {
        Err(FieldError::required(field))
    } else if len < min {
        Err(FieldError::too_short(field, min, len))
    } else if len > max {
        Err(FieldError::too_long(field, max, len))
    } else {
        Ok(())
    }
}

/// Checks a number is finite and within `min..=max`.
///
/// JSON cannot carry NaN or infinity, but values also come from devices (a GPS fix) and other
/// formats, and a NaN passes every `<` comparison, so it is refused first and by name.
pub fn check_number(field: &str, value: f64, min: f64, max: f64) -> Result<(), FieldError> {
    if !value.is_finite() {
        Err(FieldError::not_a_number(field, value))
    } else if !(min..=max).contains(&value) {
        Err(FieldError::out_of_range(field, min, max, value))
    } else {
        Ok(())
    }
}

/// Checks a phone number a resident gives for a call back: 8 to 15 digits (Vietnamese
/// numbers are 10 digits from 0, or +84 and 9), with spaces, dots and dashes allowed between.
pub fn check_phone(field: &str, phone: &str) -> Result<(), FieldError> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +.-".contains(c));
    if !allowed || !(8..=15).contains(&digits) {
        return Err(FieldError::invalid(field, format!("{field} must be 8 to 15 digits, got {phone:?}")));
    }
    Ok(())
}

/// Checks an e-mail address is plausible: one `@` with text on both sides, a dot in the
/// domain, no spaces, at most 254 characters (RFC 5321). Whether it receives mail is the
/// sender's problem, not a form's.
pub fn check_email(field: &str, email: &str) -> Result<(), FieldError> {
    let plausible = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.ends_with('.')
        });
    if !plausible {
        return Err(FieldError::invalid(field, format!("{field} must be an e-mail address, got {email:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_emails_pass_and_others_are_refused_by_name() {
        for good in ["lan@example.vn", "nguyen.thi.lan+phananh@mail.hanoi.gov.vn"] {
            assert_eq!(check_email("email", good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "lan",
            "@example.vn",
            "lan@",
            "lan@example",
            "lan@@example.vn",
            "lan @example.vn",
            "lan@example.",
        ] {
            let error = check_email("email", bad).expect_err(bad);
            assert_eq!((error.field.as_str(), error.code), ("email", ErrorCode::Invalid), "{bad}");
        }
        assert!(check_email("email", &format!("{}@example.vn", "a".repeat(250))).is_err(), "too long");
    }

    #[test]
    fn field_error_serialises_as_the_api_error_body() {
        let error = FieldError::too_long("description", 2000, 2417);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "too_long",
                "message": "description must be at most 2000 characters, got 2417",
                "field": "description",
            })
        );
        assert_eq!(serde_json::from_value::<FieldError>(json).unwrap(), error);
        assert_eq!(error.to_string(), error.message);
    }

    #[test]
    fn error_codes_have_stable_wire_names() {
        let all = [
            (ErrorCode::Required, "required"),
            (ErrorCode::TooShort, "too_short"),
            (ErrorCode::TooLong, "too_long"),
            (ErrorCode::TooMany, "too_many"),
            (ErrorCode::OutOfRange, "out_of_range"),
            (ErrorCode::NotANumber, "not_a_number"),
            (ErrorCode::OutsideCity, "outside_city"),
            (ErrorCode::Invalid, "invalid"),
        ];
        for (code, name) in all {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&format!("\"{name}\"")).unwrap(), code);
            assert_eq!(code.code(), name);
        }
    }

    #[test]
    fn messages_name_the_field_and_the_limit() {
        assert_eq!(FieldError::required("description").message, "description is required");
        assert_eq!(
            FieldError::too_short("description", 10, 4).message,
            "description must be at least 10 characters, got 4"
        );
        assert_eq!(FieldError::too_many("photos", 5, 6).message, "photos must have at most 5 items, got 6");
        assert_eq!(
            FieldError::out_of_range("location.lat", -90.0, 90.0, 91.5).message,
            "location.lat must be between -90 and 90, got 91.5"
        );
        assert_eq!(
            FieldError::not_a_number("location.lon", f64::NAN).message,
            "location.lon must be a finite number, got NaN"
        );
    }

    #[test]
    fn text_len_counts_characters_not_bytes() {
        assert_eq!(text_len(""), 0);
        assert_eq!(text_len("abc"), 3);
        let nfc = "Đường ngập nước";
        assert!(nfc.len() > 15);
        assert_eq!(text_len(nfc), 15);
    }

    #[test]
    fn text_len_counts_decomposed_vietnamese_like_precomposed() {
        let nfc = "ệ"; // U+1EC7
        let nfd = "e\u{0302}\u{0323}";
        assert_eq!(text_len(nfc), 1);
        assert_eq!(text_len(nfd), 1);
        // "Hà Nội" with every mark decomposed.
        assert_eq!(text_len("Ha\u{0300} No\u{0302}\u{0323}i"), 6);
    }

    #[test]
    fn text_len_counts_long_runs_of_combining_marks() {
        let zalgo = format!("a{}", "\u{0301}".repeat(10));
        assert_eq!(text_len(&zalgo), 1 + 10 - MAX_MARKS_PER_LETTER);
    }

    #[test]
    fn check_text_trims_and_tells_blank_from_short() {
        assert_eq!(check_text("t", "  \n\t ", 3, 5).unwrap_err().code, ErrorCode::Required);
        assert_eq!(check_text("t", "  ab  ", 3, 5).unwrap_err().code, ErrorCode::TooShort);
        assert!(check_text("t", "  abc  ", 3, 5).is_ok());
        assert!(check_text("t", "abcde", 3, 5).is_ok());
        assert_eq!(check_text("t", "abcdef", 3, 5).unwrap_err().code, ErrorCode::TooLong);
        assert!(check_text("t", "", 0, 5).is_ok());
    }

    #[test]
    fn control_characters_are_refused_by_name_but_tab_and_line_breaks_pass() {
        for bad in ["a\u{1}b", "\u{0}", "x\u{B}", "\u{C}", "\u{1B}[31m", "\u{1F}", "\u{FFFE}", "a\u{FFFF}"] {
            let error = check_text("description", bad, 0, 100).expect_err(bad);
            assert_eq!((error.field.as_str(), error.code), ("description", ErrorCode::Invalid), "{bad:?}");
            assert!(error.message.contains("control character U+"), "{}", error.message);
        }
        assert_eq!(
            check_characters("text", "ab\u{1B}").unwrap_err().message,
            "text must not contain the control character U+001B (character 3)"
        );
        assert!(check_text("description", "Dòng 1\r\n\tDòng 2\n", 0, 100).is_ok());
        assert!(
            check_text("description", "\u{7F}\u{85}\u{FFFD}", 0, 100).is_ok(),
            "not C0: XML carries them"
        );
        assert!(check_email("email", "lan\u{1}@example.vn").is_err());
    }

    #[test]
    fn check_number_refuses_non_finite_before_range() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = check_number("x", bad, -1.0, 1.0).unwrap_err();
            assert_eq!((error.code, error.field.as_str()), (ErrorCode::NotANumber, "x"));
        }
        assert_eq!(check_number("x", 1.5, -1.0, 1.0).unwrap_err().code, ErrorCode::OutOfRange);
        assert!(check_number("x", -1.0, -1.0, 1.0).is_ok());
        assert!(check_number("x", 1.0, -1.0, 1.0).is_ok());
    }
}
