//! Every code a refusal of the server carries, and what each means to a person.
//!
//! A refusal is `{ "error": { "code", "message", "field" } }`. `code` is for programs: stable,
//! snake_case, one of [`ErrorCode::ALL`] and nothing else (the server cannot make a refusal
//! without one). `message` is the server's plain English for a developer reading the answer.
//! People read [`ErrorCode::says`] instead, in Vietnamese or English; an app says more where it
//! knows the field (see the app's `errors`).

use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] from one list, so that its wire names, [`ErrorCode::ALL`] and the
/// texts cannot leave a code out.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal: $says:expr;)+) => {
        /// What was refused. Stable wire names: clients branch on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order declared.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The wire name, as serialised.
            pub const fn code(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }

            /// The code named `wire`; `None` for a code this build does not know (a newer
            /// server's).
            pub fn from_code(wire: &str) -> Option<ErrorCode> {
                match wire {
                    $($wire => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }

            /// What the refusal means to a person, in Vietnamese and in English: the
            /// message an app shows when it knows nothing more specific. The refusals of
            /// malformed requests share one.
            pub const fn says(self) -> (&'static str, &'static str) {
                match self {
                    $(ErrorCode::$variant => $says,)+
                }
            }
        }
    };
}

/// What the refusals of a request no app of ours sends say (a broken body, a wrong method or
/// content type, an Open311 key where a device token goes): a bug or another program, so
/// one sentence serves them all.
const MALFORMED: (&str, &str) = (
    "Máy chủ không nhận yêu cầu ứng dụng vừa gửi; hãy tải lại ứng dụng.",
    "The server does not take the request the app just sent; reload the app.",
);

error_codes! {
    // A field's own problems (422, naming the field).
    /// Missing or blank.
    Required = "required":
        ("Còn thiếu thông tin bắt buộc.", "Something required is missing.");
    /// Text shorter than the minimum.
    TooShort = "too_short":
        ("Nội dung quá ngắn.", "This is too short.");
    /// Text (or a period of dates) longer than the maximum.
    TooLong = "too_long":
        ("Nội dung quá dài.", "This is too long.");
    /// More items than allowed.
    TooMany = "too_many":
        ("Nhiều hơn số lượng cho phép.", "More than allowed.");
    /// A number or a date outside its range (a start after the end, say).
    OutOfRange = "out_of_range":
        ("Giá trị nằm ngoài khoảng cho phép.", "This value is outside the allowed range.");
    /// NaN or infinite where a finite number is needed, or not a number at all.
    NotANumber = "not_a_number":
        ("Ở đây cần một con số.", "This must be a number.");
    /// A location in no ward of the city, nor near enough to one.
    OutsideCity = "outside_city":
        ("Vị trí này nằm ngoài Hà Nội.", "This spot is outside Hà Nội.");
    /// Anything else about a field (a duplicate, a nil id, a bad format); the message says what.
    Invalid = "invalid":
        ("Thông tin này không hợp lệ.", "This is not valid.");

    // The request as a whole.
    /// No such report, dossier, photo or endpoint (404).
    NotFound = "not_found":
        ("Không tìm thấy: có thể địa chỉ sai hoặc mục này đã bị xoá.", "Not found: the address may be wrong, or the item removed.");
    /// No token, an unknown or expired one, or a wrong password (401).
    Unauthorized = "unauthorized":
        ("Cần đăng nhập (hoặc đăng nhập lại) để làm việc này.", "Sign in (or sign in again) to do this.");
    /// Signed in, but not allowed to do this: another ward's report, say (403).
    Forbidden = "forbidden":
        ("Tài khoản này không có quyền làm việc này.", "This account may not do this.");
    /// An Open311 API key sent where a device or staff token is expected (403).
    Open311Key = "open311_key": MALFORMED;
    /// A move the report's or the dossier's status does not allow from where it is (409).
    InvalidTransition = "invalid_transition":
        ("Trạng thái hiện tại không cho phép việc này; hãy tải lại để xem trạng thái mới.", "The current status does not allow this; reload to see the latest status.");
    /// The request clashes with what is stored: an id reused for different content (409).
    Conflict = "conflict":
        ("Xung đột với dữ liệu đã lưu; hãy tải lại và thử lại.", "This clashes with what is stored; reload and try again.");
    /// The reporter adds to a report that is already closed (409).
    ReportClosed = "report_closed":
        ("Phản ánh đã đóng; hãy gửi một phản ánh mới.", "The report is closed; file a new report instead.");
    /// A body over the size a request of its kind may have (413).
    TooLarge = "too_large":
        ("Dữ liệu gửi lên quá lớn.", "What was sent is too large.");
    /// A body that is not JSON at all (400).
    BadJson = "bad_json": MALFORMED;
    /// A body of the wrong content type (415).
    UnsupportedMediaType = "unsupported_media_type": MALFORMED;
    /// A query string that cannot be decoded (400).
    BadQuery = "bad_query": MALFORMED;
    /// A path whose parameter cannot be read (400).
    BadPath = "bad_path": MALFORMED;
    /// A multipart report form that cannot be read (400).
    BadForm = "bad_form":
        ("Biểu mẫu gửi lên không đọc được; hãy gửi lại.", "The form that was sent cannot be read; send it again.");
    /// A body that stopped arriving or could not be read (400).
    UnreadableBody = "unreadable_body":
        ("Dữ liệu gửi lên bị đứt giữa chừng; hãy gửi lại.", "What was sent was cut off; send it again.");
    /// A known path asked with a method it does not serve (405).
    MethodNotAllowed = "method_not_allowed": MALFORMED;
    /// A live WebSocket asked without the upgrade headers (426).
    UpgradeRequired = "upgrade_required": MALFORMED;
    /// A Host this server does not build links for (Open311, 400).
    UnknownHost = "unknown_host": MALFORMED;
    /// A photo that is not a JPEG, PNG or WebP image, or cannot be decoded (422).
    InvalidPhoto = "invalid_photo":
        ("Ảnh không đọc được: hãy chọn ảnh JPEG, PNG hoặc WebP.", "The photo cannot be read: choose a JPEG, PNG or WebP image.");
    /// The same photo is being uploaded by another request (409).
    UploadInFlight = "upload_in_flight":
        ("Ảnh này đang được tải lên; hãy đợi một chút.", "This photo is being uploaded already; wait a moment.");

    // Limits (429 or 503, with `Retry-After`).
    /// Too many requests from one address or device for now.
    RateLimited = "rate_limited":
        ("Quá nhiều yêu cầu trong thời gian ngắn; hãy thử lại sau ít phút.", "Too many requests in a short time; try again in a few minutes.");
    /// The device has filed as many reports as it may this hour; a queued one goes later.
    FilingLimited = "filing_limited":
        ("Thiết bị này đã gửi nhiều phản ánh trong giờ qua; phản ánh sẽ được gửi sau.", "This device has filed many reports this hour; the report will be sent later.");
    /// Too many live streams open for a device, a session or an address.
    TooManyStreams = "too_many_streams":
        ("Quá nhiều kết nối trực tiếp đang mở; hãy đóng bớt các thẻ.", "Too many live connections are open; close some tabs.");
    /// Too many wrong secrets for a dossier: tracking it is locked for a while.
    DossierLocked = "dossier_locked":
        ("Tra cứu hồ sơ này tạm bị khoá vì nhập sai mã nhiều lần; hãy thử lại sau.", "Tracking this dossier is locked for a while after too many wrong codes; try again later.");
    /// The server is saving photos as fast as it can; try again shortly (503).
    Busy = "busy":
        ("Máy chủ đang bận; hãy thử lại sau ít giây.", "The server is busy; try again in a few seconds.");

    // The end of something.
    /// A staff session ended (signed out, expired, account disabled) while its stream was open.
    SessionEnded = "session_ended":
        ("Phiên đăng nhập đã kết thúc; hãy đăng nhập lại.", "The session has ended; sign in again.");
    /// A failure of the server's, not the request's: it can be retried (500).
    Internal = "internal":
        ("Máy chủ gặp lỗi; hãy thử lại sau.", "The server failed; try again later.");
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_by_its_wire_name() {
        for &code in ErrorCode::ALL {
            let wire = code.code();
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{wire}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&format!("\"{wire}\"")).unwrap(), code);
            assert_eq!(ErrorCode::from_code(wire), Some(code));
            assert!(wire.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{wire}");
        }
        assert_eq!(ErrorCode::from_code("something_newer"), None);
    }

    #[test]
    fn every_code_says_something_of_its_own_in_each_language() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let (vi, en) = code.says();
            for text in [vi, en] {
                assert!(text.ends_with('.'), "{code}: a sentence: {text:?}");
                assert!(!text.contains('_'), "{code}: words, not a wire name: {text:?}");
                let shared = (vi, en) == MALFORMED;
                assert!(seen.insert(text) || shared, "{code}: said by another code too: {text:?}");
            }
            assert_ne!(vi, en, "{code}");
            // Vietnamese text has its marks; an English text left in the Vietnamese slot would not.
            assert!(!vi.is_ascii(), "{code}: {vi:?} is not Vietnamese");
        }
    }
}
