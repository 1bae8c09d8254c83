//! Reading Open311 parameters: the form of `POST requests` and the filters of the `GET`s.
//!
//! Parameters arrive as `name=value` pairs (a form body or a query string). As the
//! specification asks, an empty parameter is the same as an absent one, and parameters this
//! server does not use (`device_id`, `account_id`, an `address_string` beside `lat`/`long`)
//! are ignored. Every refusal names the parameter as the client sent it.

use axum::http::Uri;
use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::CONTACT_NAME_MAX_CHARS;
use phananh_shared::report::{Category, Location, Priority};
use phananh_shared::status::Status;
use phananh_shared::validation::{
    ErrorCode, FieldError, check_characters, check_email, check_phone, check_text,
};
use uuid::Uuid;

use super::catalogue;
use crate::error::DomainError;

/// The longest span a search may cover, and the one it covers by default (the spec's 90 days).
pub const SEARCH_SPAN: TimeDelta = TimeDelta::days(90);
/// The most results a page holds, and how many when the client does not say (the spec's 1,000).
pub const PAGE_SIZE_MAX: u32 = 1000;
/// The longest `media_url` kept.
const MEDIA_URL_MAX: usize = 2048;

/// The pairs of a form body or a query string, decoded.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Params {
        Params(form_urlencoded::parse(encoded).into_owned().collect())
    }

    /// The first non-empty value of `name`, as sent (a value of spaces is not empty: it is
    /// refused where it cannot be taken, rather than guessed away).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).find(|v| !v.is_empty())
    }

    /// `attribute[code]=value` pairs (also `attribute[code][]=value`), as (code, value).
    fn attributes(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|(key, value)| {
                let code = key.strip_prefix("attribute[")?;
                let code = code.strip_suffix("[]").unwrap_or(code).strip_suffix(']')?;
                Some((code.to_owned(), value.clone()))
            })
            .collect()
    }

    /// Refuses control characters in any parameter, used or not (see [`check_characters`]).
    fn check_characters(&self) -> Result<(), FieldError> {
        self.0
            .iter()
            .try_for_each(|(key, value)| check_characters(key, key).and(check_characters(key, value)))
    }

    /// Refuses a `jurisdiction_id` other than ours (404, as the specification says for an
    /// unknown one); none is fine, since this server serves one jurisdiction.
    pub fn check_jurisdiction(&self, ours: &str) -> Result<(), DomainError> {
        match self.get("jurisdiction_id") {
            Some(theirs) if theirs != ours => Err(DomainError::not_found_on(
                "jurisdiction_id",
                format!("jurisdiction_id {theirs:?} is not served here; this server serves {ours:?}"),
            )),
            _ => Ok(()),
        }
    }
}

/// A `POST requests` form, checked: what it takes to file the report and to record who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub category: Category,
    pub priority: Priority,
    pub description: String,
    pub location: Location,
    pub contact: Contact,
    pub media_url: Option<String>,
}

/// The contact details a request came with: private, like a resident's own.
pub use crate::store::ReportContact as Contact;

/// Reads a `POST requests` form. The description's limits are the app's (a report needs a
/// few words to act on), tighter than the specification's 4,000 characters.
pub fn new_request(params: &Params) -> Result<NewRequest, DomainError> {
    params.check_characters()?;
    let code = params.get("service_code").ok_or_else(|| FieldError::required("service_code"))?;
    let category = catalogue::category(code).ok_or_else(|| unknown_service(code))?;
    let location = location(params)?;
    let description = params.get("description").ok_or_else(|| FieldError::required("description"))?;
    check_text(
        "description",
        description,
        phananh_shared::report::DESCRIPTION_MIN_CHARS,
        phananh_shared::report::DESCRIPTION_MAX_CHARS,
    )?;
    let priority = catalogue::priority(category, &params.attributes())?;
    Ok(NewRequest {
        category,
        priority,
        description: description.to_owned(),
        location,
        contact: contact(params)?,
        media_url: params.get("media_url").map(media_url).transpose()?,
    })
}

/// 404: the specification's answer to a `service_code` it does not know.
pub fn unknown_service(code: &str) -> DomainError {
    DomainError::not_found_on(
        "service_code",
        format!("service_code {code:?} is not one of ours; GET services lists them"),
    )
}

fn location(params: &Params) -> Result<Location, FieldError> {
    let number = |field: &str| -> Result<Option<f64>, FieldError> {
        params
            .get(field)
            .map(|raw| {
                raw.parse::<f64>().map_err(|_| {
                    let message = format!("{field} must be a number of WGS84 degrees, got {raw:?}");
                    FieldError::new(field, ErrorCode::NotANumber, message)
                })
            })
            .transpose()
    };
    match (number("lat")?, number("long")?) {
        (Some(lat), Some(lon)) => {
            let location = Location { lon, lat, accuracy_m: None };
            location.validate().map_err(open311_names)?;
            Ok(location)
        }
        (None, None) if params.get("address_string").is_some() || params.get("address_id").is_some() => {
            let message = "lat and long are required: this server does not look up addresses";
            Err(FieldError::new("lat", ErrorCode::Required, message))
        }
        (None, _) => Err(FieldError::required("lat")),
        (_, None) => Err(FieldError::required("long")),
    }
}

/// A location error with the field named as Open311 names it (`lat`, `long`).
fn open311_names(error: FieldError) -> FieldError {
    let field = if error.field == "location.lon" { "long" } else { "lat" };
    let message = error.message.replace(&error.field, field);
    FieldError::new(field, error.code, message)
}

fn contact(params: &Params) -> Result<Contact, FieldError> {
    for field in ["first_name", "last_name"] {
        if let Some(name) = params.get(field) {
            check_text(field, name, 1, CONTACT_NAME_MAX_CHARS)?;
        }
    }
    if let Some(email) = params.get("email") {
        check_email("email", email)?;
    }
    if let Some(phone) = params.get("phone") {
        check_phone("phone", phone)?;
    }
    let trimmed = |field: &str| params.get(field).map(str::trim);
    let names: Vec<&str> = ["first_name", "last_name"].iter().filter_map(|f| trimmed(f)).collect();
    Ok(Contact {
        name: (!names.is_empty()).then(|| names.join(" ")),
        email: trimmed("email").map(str::to_owned),
        phone: trimmed("phone").map(str::to_owned),
    })
}

/// A link to media the filer hosts: an absolute http(s) URL, kept as given.
fn media_url(raw: &str) -> Result<String, FieldError> {
    let bad = || FieldError::invalid("media_url", format!("media_url must be an http(s) URL, got {raw:?}"));
    if raw.len() > MEDIA_URL_MAX {
        return Err(FieldError::too_long("media_url", MEDIA_URL_MAX, raw.len()));
    }
    let uri: Uri = raw.parse().map_err(|_| bad())?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(_)) => Ok(raw.to_owned()),
        _ => Err(bad()),
    }
}

/// What `GET requests` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFilter {
    /// When given, these and nothing else: the specification has them override every
    /// other parameter.
    pub ids: Vec<Uuid>,
    pub categories: Vec<Category>,
    pub statuses: Vec<Status>,
    /// Filed within this span; any time when `None` (reports asked for by id).
    pub window: Option<Window>,
    pub page: Page,
}

impl RequestFilter {
    /// Report `id`, whenever it was filed.
    pub fn one(id: Uuid) -> RequestFilter {
        RequestFilter {
            ids: vec![id],
            categories: Vec::new(),
            statuses: Vec::new(),
            window: None,
            page: Page { size: 1, offset: 0 },
        }
    }
}

/// A span of time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The `page` / `page_size` extension: page 1 of up to 1,000 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub size: u32,
    pub offset: u32,
}

/// Reads the filters of `GET requests`. Every parameter is checked, so a malformed one is
/// refused even beside `service_request_id`, which then overrides the others' filtering.
pub fn request_filter(params: &Params, now: DateTime<Utc>) -> Result<RequestFilter, DomainError> {
    let page = page(params)?;
    let categories = list(params, "service_code", |code| {
        catalogue::category(code).ok_or_else(|| {
            FieldError::invalid("service_code", format!("service_code {code:?} is not one of ours"))
        })
    })?;
    let statuses = list(params, "status", |status| match status {
        "open" => Ok(Status::ALL.into_iter().filter(|s| s.is_open()).collect::<Vec<_>>()),
        "closed" => Ok(Status::ALL.into_iter().filter(|s| !s.is_open()).collect()),
        other => Err(FieldError::invalid("status", format!("status must be open or closed, got {other:?}"))),
    })?
    .concat();
    let window = window(params, now)?;
    let ids = list(params, "service_request_id", |id| {
        Uuid::parse_str(id).map_err(|_| {
            FieldError::invalid(
                "service_request_id",
                format!("service_request_id {id:?} is not an id this server gives"),
            )
        })
    })?;
    if !ids.is_empty() {
        return Ok(RequestFilter { ids, page, ..RequestFilter::one(Uuid::nil()) });
    }
    Ok(RequestFilter { ids, categories, statuses, window: Some(window), page })
}

/// A comma-separated parameter, each item read by `item`.
fn list<T>(
    params: &Params,
    name: &str,
    item: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    params.get(name).map_or(Ok(Vec::new()), |raw| raw.split(',').map(|i| item(i.trim())).collect())
}

/// `start_date` and `end_date`: the most recent 90 days when neither is given, 90 days
/// from (or up to) the one given, and never more than 90 days.
pub fn window(params: &Params, now: DateTime<Utc>) -> Result<Window, FieldError> {
    let start = date(params, "start_date")?;
    let end = date(params, "end_date")?;
    let window = match (start, end) {
        (Some(start), Some(end)) => Window { start, end },
        (Some(start), None) => Window { start, end: start + SEARCH_SPAN },
        (None, Some(end)) => Window { start: end - SEARCH_SPAN, end },
        (None, None) => Window { start: now - SEARCH_SPAN, end: now },
    };
    if window.start > window.end {
        return Err(FieldError::invalid("start_date", "start_date is after end_date"));
    }
    if window.end - window.start > SEARCH_SPAN {
        return Err(FieldError::invalid(
            "end_date",
            format!("start_date and end_date may not span more than {} days", SEARCH_SPAN.num_days()),
        ));
    }
    Ok(window)
}

/// A W3C date-time: RFC 3339 with its `T` (chrono would also take a space there).
fn date(params: &Params, field: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    params
        .get(field)
        .map(|raw| {
            let with_t = matches!(raw.as_bytes().get(10), Some(b'T' | b't'));
            let parsed = DateTime::parse_from_rfc3339(raw).ok().filter(|_| with_t);
            parsed.map(|t| t.with_timezone(&Utc)).ok_or_else(|| {
                FieldError::invalid(
                    field,
                    format!("{field} must be a W3C date and time with its zone, such as 2025-07-01T08:00:00+07:00, got {raw:?}"),
                )
            })
        })
        .transpose()
}

pub fn page(params: &Params) -> Result<Page, FieldError> {
    let number = |field: &str, max: u32, default: u32| -> Result<u32, FieldError> {
        let Some(raw) = params.get(field) else { return Ok(default) };
        match raw.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(FieldError::invalid(
                field,
                format!("{field} must be a whole number from 1 to {max}, got {raw:?}"),
            )),
        }
    };
    let size = number("page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)?;
    // Far enough for every report a city files in years; a bound keeps the offset in range.
    let page = number("page", 1_000_000, 1)?;
    Ok(Page { size, offset: (page - 1).saturating_mul(size) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params::parse(query.as_bytes())
    }

    fn refused_field(result: Result<NewRequest, DomainError>) -> String {
        let error = result.expect_err("should be refused");
        error.field().expect("names a field").to_owned()
    }

    const GOOD: &str = "service_code=drainage&lat=21.0288&long=105.8525&description=C%E1%BB%91ng+t%E1%BA%AFc+tr%C6%B0%E1%BB%9Bc+s%E1%BB%91+12";

    #[test]
    fn a_form_becomes_a_report_with_its_contact_and_media() {
        let form = params(&format!(
            "{GOOD}&attribute[danger]=yes&first_name=Lan&last_name=Nguy%E1%BB%85n&email=lan@example.vn&phone=0912345678&media_url=https://img.example.vn/1.jpg&device_id=abc"
        ));
        let request = new_request(&form).unwrap();
        assert_eq!(request.category, Category::Drainage);
        assert_eq!(request.priority, Priority::Urgent);
        assert_eq!(request.description, "Cống tắc trước số 12");
        assert_eq!(request.location, Location { lon: 105.8525, lat: 21.0288, accuracy_m: None });
        assert_eq!(request.contact.name.as_deref(), Some("Lan Nguyễn"));
        assert_eq!(request.contact.email.as_deref(), Some("lan@example.vn"));
        assert_eq!(request.media_url.as_deref(), Some("https://img.example.vn/1.jpg"));
        let bare = new_request(&params(GOOD)).unwrap();
        assert!(bare.contact.is_empty() && bare.media_url.is_none() && bare.priority == Priority::Normal);
    }

    #[test]
    fn bad_forms_are_refused_naming_the_parameter() {
        for (form, field) in [
            ("lat=21&long=105.85&description=Cống+tắc+trước+số+12", "service_code"),
            (&GOOD.replace("lat=21.0288", "lat=north") as &str, "lat"),
            (&GOOD.replace("long=105.8525", "long=190"), "long"),
            (&GOOD.replace("&long=105.8525", ""), "long"),
            (&GOOD.replace("lat=21.0288&long=105.8525", "address_string=12+Hu%E1%BA%BF"), "lat"),
            (
                &GOOD.replace(
                    "description=C%E1%BB%91ng+t%E1%BA%AFc+tr%C6%B0%E1%BB%9Bc+s%E1%BB%91+12",
                    "description=",
                ),
                "description",
            ),
            (&format!("{GOOD}&email=not-an-address"), "email"),
            (&format!("{GOOD}&phone=call+me"), "phone"),
            (&format!("{GOOD}&media_url=javascript:alert(1)"), "media_url"),
            (&format!("{GOOD}&attribute[colour]=red"), "attribute[colour]"),
        ] {
            assert_eq!(refused_field(new_request(&params(form))), field, "{form}");
        }
        let unknown = new_request(&params(&GOOD.replace("drainage", "graffiti"))).unwrap_err();
        assert_eq!(unknown.code(), phananh_shared::refusal::ErrorCode::NotFound);
    }

    #[test]
    fn the_search_window_defaults_to_the_last_90_days_and_spans_no_more() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let days = |d| TimeDelta::days(d);
        assert_eq!(window(&params(""), now).unwrap(), Window { start: now - days(90), end: now });
        let start: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            window(&params("start_date=2026-06-01T07:00:00%2B07:00"), now).unwrap(),
            Window { start, end: start + days(90) }
        );
        let too_long = window(&params("start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z"), now);
        assert_eq!(too_long.unwrap_err().field, "end_date");
        let reversed = window(&params("start_date=2026-05-01T00:00:00Z&end_date=2026-04-01T00:00:00Z"), now);
        assert_eq!(reversed.unwrap_err().field, "start_date");
        assert_eq!(window(&params("end_date=yesterday"), now).unwrap_err().field, "end_date");
        let spaced = window(&params("end_date=2026-06-01+00:00:00Z"), now);
        assert_eq!(spaced.unwrap_err().field, "end_date", "a W3C date-time has its T");
    }

    #[test]
    fn pages_default_to_the_first_thousand() {
        assert_eq!(page(&params("")).unwrap(), Page { size: 1000, offset: 0 });
        assert_eq!(page(&params("page=3&page_size=50")).unwrap(), Page { size: 50, offset: 100 });
        assert_eq!(page(&params("page_size=1001")).unwrap_err().field, "page_size");
        assert_eq!(page(&params("page=0")).unwrap_err().field, "page");
    }

    #[test]
    fn ids_override_every_other_filter() {
        let now = Utc::now();
        let id = Uuid::now_v7();
        let filter = request_filter(&params(&format!("service_request_id={id}&status=closed")), now).unwrap();
        assert_eq!((filter.ids, filter.statuses, filter.window), (vec![id], vec![], None));
        let malformed = request_filter(&params(&format!("service_request_id={id}&end_date=0.0")), now);
        assert_eq!(malformed.unwrap_err().field(), Some("end_date"), "checked even when overridden");
        let open = request_filter(&params("status=open&service_code=roads,noise"), now).unwrap();
        assert!(open.statuses.iter().all(|s| s.is_open()) && open.statuses.len() == 4);
        assert_eq!(open.categories, [Category::Roads, Category::Noise]);
        let error = request_filter(&params("status=pending"), now).unwrap_err();
        assert_eq!(error.field(), Some("status"));
    }
}
