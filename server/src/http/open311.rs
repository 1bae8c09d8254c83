//! `/open311/v2`: the GeoReport v2 endpoints (see [`crate::open311`] for the mapping).
//!
//! Every resource takes its format as a suffix (`services.json`, `services.xml`). Answers
//! and refusals are in that format, refusals in the spec's error list with the spec's
//! statuses: 404 for what does not exist, 403 for a missing or unknown `api_key`, 400 for any
//! other input that cannot be taken (our 422s), so an Open311 client sees what it expects.

use phananh_shared::refusal::ErrorCode;
use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, FromRequestParts, Path, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, http::Uri};
use phananh_shared::report::NewReport;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::cli::Open311Args;
use crate::open311::form::{self, Params, RequestFilter};
use crate::open311::{self as api, catalogue, clients, query, wire, xml};
use crate::reports::{self, Filed};

/// The routes, to be nested under `/open311/v2`.
pub fn routes(settings: Open311Args) -> Router<Arc<AppState>> {
    Router::new()
        .route("/{file}", get(resource).post(file_request))
        .route("/services/{file}", get(definition))
        .route("/requests/{file}", get(one_request))
        .fallback(no_resource)
        .layer(Extension(Arc::new(settings)))
}

/// The two formats of every resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `services.json` → (`services`, JSON). `None` for a file with neither suffix.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, suffix) = file.rsplit_once('.')?;
    match suffix {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// An answer: its status, and the document with the names its XML form takes.
struct Document {
    status: StatusCode,
    /// The root element; and, for a list, the element of each item.
    root: &'static str,
    item: &'static str,
    body: Value,
}

impl Document {
    fn list<T: Serialize>(root: &'static str, item: &'static str, items: &[T]) -> Document {
        let body = serde_json::to_value(items).expect("an Open311 document serialises");
        Document { status: StatusCode::OK, root, item, body }
    }

    fn object<T: Serialize>(root: &'static str, object: &T) -> Document {
        let body = serde_json::to_value(object).expect("an Open311 document serialises");
        Document { status: StatusCode::OK, root, item: "", body }
    }
}

/// The one place an Open311 answer or refusal becomes a response.
fn respond(format: Format, answer: Result<Document, ApiError>) -> Response {
    let document = answer.unwrap_or_else(|error| {
        let (code, message, field) = error.parts();
        let description = match field {
            Some(field) if !message.contains(field) => format!("{field}: {message}"),
            _ => message.to_owned(),
        };
        let status = match error.status() {
            StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
            status if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => status,
            _ => StatusCode::BAD_REQUEST,
        };
        tracing::debug!(%code, %status, "Open311 refusal");
        let errors = [wire::Error { code: status.as_u16(), description }];
        Document { status, ..Document::list("errors", "error", &errors) }
    });
    let (content_type, body) = match format {
        Format::Json => ("application/json; charset=utf-8", document.body.to_string()),
        Format::Xml => {
            ("text/xml; charset=utf-8", xml::document(document.root, document.item, &document.body))
        }
    };
    (document.status, [(CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

/// A path with no resource, or no format suffix: 404, as XML (the spec's required format)
/// unless the path asked for JSON.
async fn no_resource(uri: Uri) -> Response {
    let format = split(uri.path()).map_or(Format::Xml, |(_, format)| format);
    respond(format, Err(not_a_resource()))
}

fn not_a_resource() -> ApiError {
    ApiError::not_found("no such Open311 resource: see discovery.json; resources end in .json or .xml")
}

/// Where this server is, for absolute links: the configured public address or, without one,
/// the host the client asked if it is loopback or an allowed host; `None` for any other (a
/// forged `Host` must not point Open311 clients at someone else's server).
fn base_url(settings: &Open311Args, headers: &HeaderMap) -> Option<String> {
    if let Some(public) = &settings.public_url {
        return Some(public.clone());
    }
    let asked = headers.get(HOST).and_then(|h| h.to_str().ok())?.parse::<Authority>().ok()?;
    let host = asked.host().to_ascii_lowercase();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (loopback || settings.allowed_hosts.contains(&host)).then(|| format!("http://{asked}"))
}

/// The public link of a photo (its copy without EXIF).
fn photo_link(base: &str) -> impl Fn(Uuid) -> String + '_ {
    move |photo| format!("{base}/api/v1/photos/{photo}")
}

/// What every Open311 request carries: the resource named by the path's last segment and
/// the format its suffix asks for, the query's parameters, the API's settings and where this
/// server is. A last segment with neither suffix is refused here, with a 404 in XML.
struct Call {
    name: String,
    format: Format,
    query: Params,
    settings: Arc<Open311Args>,
    /// See [`base_url`].
    base: Option<String>,
}

impl FromRequestParts<Arc<AppState>> for Call {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Call, Response> {
        let no_format = || respond(Format::Xml, Err(not_a_resource()));
        let Path(file) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| no_format())?;
        let (name, format) = split(&file).ok_or_else(no_format)?;
        let settings =
            Arc::clone(parts.extensions.get::<Arc<Open311Args>>().expect("the routes carry their settings"));
        Ok(Call {
            name: name.to_owned(),
            format,
            query: Params::parse(parts.uri.query().unwrap_or_default().as_bytes()),
            base: base_url(&settings, &parts.headers),
            settings,
        })
    }
}

impl Call {
    fn respond(&self, answer: Result<Document, ApiError>) -> Response {
        respond(self.format, answer)
    }

    fn check_jurisdiction(&self) -> Result<(), ApiError> {
        Ok(self.query.check_jurisdiction(&self.settings.open311_jurisdiction)?)
    }

    /// Where this server is, for the answer's links; a host this server does not know itself
    /// by is refused.
    fn base(&self) -> Result<&str, ApiError> {
        self.base.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::UnknownHost,
                "this server does not build links for the Host this request names; its operator \
                 sets --public-url (or --allowed-host)",
            )
            .on("Host")
        })
    }
}

/// `GET discovery|services|requests|servicerequestupdates.{fmt}`.
async fn resource(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let answer = async {
        call.check_jurisdiction()?;
        match call.name.as_str() {
            "discovery" => {
                let base = call.base()?;
                Ok(Document::object("discovery", &api::discovery(&format!("{base}/open311/v2"))))
            }
            "services" => Ok(Document::list("services", "service", &catalogue::services())),
            "requests" => {
                let base = call.base()?;
                let filter = form::request_filter(&call.query, state.clock.now())?;
                Ok(Document::list("service_requests", "request", &requests(&state, filter, base).await?))
            }
            "servicerequestupdates" => {
                let base = call.base()?;
                let window = form::window(&call.query, state.clock.now())?;
                let page = form::page(&call.query)?;
                let events = state.store.query(move |db| query::updates(db, window, page)).await?;
                let updates: Vec<_> =
                    events.iter().filter_map(|e| api::update(e, photo_link(base))).collect();
                Ok(Document::list("service_request_updates", "request_update", &updates))
            }
            _ => Err(not_a_resource()),
        }
    };
    call.respond(answer.await)
}

/// The reports `filter` asks for, as service requests.
async fn requests(
    state: &AppState,
    filter: RequestFilter,
    base: &str,
) -> Result<Vec<wire::ServiceRequest>, ApiError> {
    let found = state.store.query(move |db| query::requests(db, &filter)).await?;
    Ok(found.into_iter().map(|(view, extras)| api::service_request(view, extras, photo_link(base))).collect())
}

/// `GET services/{service_code}.{fmt}`.
async fn definition(call: Call) -> Response {
    let answer = call
        .check_jurisdiction()
        .and_then(|()| {
            catalogue::category(&call.name).ok_or_else(|| form::unknown_service(&call.name).into())
        })
        .map(|category| Document::object("service_definition", &catalogue::definition(category)));
    call.respond(answer)
}

/// `GET requests/{service_request_id}.{fmt}`: a list of one, as the spec has it.
async fn one_request(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let answer = async {
        call.check_jurisdiction()?;
        let no_such =
            || ApiError::not_found(format!("no service request {}", call.name)).on("service_request_id");
        let id = Uuid::parse_str(&call.name).map_err(|_| no_such())?;
        let found = requests(&state, RequestFilter::one(id), call.base()?).await?;
        if found.is_empty() {
            return Err(no_such());
        }
        Ok(Document::list("service_requests", "request", &found))
    };
    call.respond(answer.await)
}

/// `POST requests.{fmt}`: files a report for the client whose `api_key` the form carries.
async fn file_request(
    State(state): State<Arc<AppState>>,
    call: Call,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if call.name != "requests" {
        return call.respond(Err(not_a_resource()));
    }
    let body = match body {
        Ok(body) => body,
        // A form too large, mostly: refused in the spec's error format like any other input.
        Err(rejection) => {
            let message = match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    format!(
                        "the form is too large: it may have {} KiB",
                        super::limits::JSON_BODY_LIMIT / 1024
                    )
                }
                _ => rejection.body_text(),
            };
            return call.respond(Err(ApiError::new(rejection.status(), ErrorCode::UnreadableBody, message)));
        }
    };
    call.respond(file_form(&state, &call, &headers, &body).await)
}

/// The header an Open311 client may carry its `api_key` in instead of the form.
const API_KEY_HEADER: &str = "x-api-key";

/// Files the form `body`. The `api_key` is read from the form, else the `X-Api-Key` header,
/// else the query string (as the spec allows and some clients do, though proxies log it).
async fn file_form(
    state: &AppState,
    call: &Call,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Document, ApiError> {
    let form_type = "application/x-www-form-urlencoded";
    let given = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if let Some(given) = given.filter(|given| !given.starts_with(form_type)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("send the request as a form ({form_type}), not {given}"),
        ));
    }
    let params = Params::parse(body);
    params.check_jurisdiction(&call.settings.open311_jurisdiction)?;
    let header = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
    let key = params
        .get("api_key")
        .or(header.filter(|key| !key.is_empty()))
        .or_else(|| call.query.get("api_key"))
        .ok_or_else(|| ApiError::forbidden("api_key is required to file a request").on("api_key"))?;
    let client = clients::recognise(&state.store, key)
        .await?
        .ok_or_else(|| ApiError::forbidden("api_key is not a key this server issued").on("api_key"))?;
    let request = form::new_request(&params)?;
    let id = match headers.get("idempotency-key") {
        Some(key) => {
            let key = key.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len())).ok_or_else(
                || {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::Invalid,
                        "Idempotency-Key must be 1 to 255 visible characters",
                    )
                    .on("Idempotency-Key")
                },
            )?;
            api::report_id(client, key)
        }
        None => Uuid::now_v7(),
    };
    let form::NewRequest { category, priority, description, location, contact, media_url } = request;
    let report = NewReport { id, category, priority, description, location, photos: Vec::new() };
    let filing = reports::prepare_filing(&state.wards, &state.policy, client, report, state.clock.now())
        // Our report names the point `location`; an Open311 client sent it as `lat` and `long`.
        .map_err(|error| match error.field() {
            Some("location") => ApiError::from(error).on("lat/long"),
            _ => ApiError::from(error),
        })?;
    let budget = state.filings.clone();
    let (filed, view) = state
        .store
        .change(move |db| {
            let (filed, view) = reports::record_filing(db, &budget, filing)?;
            if filed == Filed::Created {
                db.add_request_details(view.id, &contact, media_url.as_deref())?;
            }
            Ok::<_, ApiError>((filed, view))
        })
        .await?;
    let created = wire::Created {
        service_request_id: view.id.to_string(),
        service_notice: api::notice(&view),
        account_id: None,
    };
    let status = if filed == Filed::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(Document { status, ..Document::list("service_requests", "request", &[created]) })
}
