//! The GeoReport v2 documents, field for field as the specification names them. Each is
//! serialised as JSON directly and as XML through [`super::xml`]; a list answer is a JSON
//! array, and in XML the plural root element the specification gives it.

use serde::Serialize;

/// `GET discovery.{fmt}`.
#[derive(Debug, Serialize)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Serialize)]
pub struct Endpoint {
    pub specification: &'static str,
    pub url: String,
    pub changeset: String,
    /// `production` or `test`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// MIME types.
    pub formats: [&'static str; 2],
}

/// One entry of `GET services.{fmt}`.
#[derive(Debug, Serialize)]
pub struct Service {
    pub service_code: &'static str,
    pub service_name: &'static str,
    pub description: &'static str,
    /// Whether the service has attributes (`GET services/{code}.{fmt}` lists them).
    pub metadata: bool,
    /// Always `realtime`: a filed report gets its id at once.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: &'static str,
    pub group: &'static str,
}

/// `GET services/{service_code}.{fmt}`.
#[derive(Debug, Serialize)]
pub struct ServiceDefinition {
    pub service_code: &'static str,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Serialize)]
pub struct Attribute {
    /// True: the resident answers it (false would be text shown only).
    pub variable: bool,
    pub code: &'static str,
    /// One of `string`, `number`, `datetime`, `text`, `singlevaluelist`, `multivaluelist`.
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: Option<&'static str>,
    /// From 1, the order to show the attributes in.
    pub order: u32,
    pub description: &'static str,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Serialize)]
pub struct AttributeValue {
    pub key: &'static str,
    pub name: &'static str,
}

/// The answer to `POST requests.{fmt}` (a list of one).
#[derive(Debug, Serialize)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// A report as `GET requests.{fmt}` shows it: the public view, nothing about the reporter.
#[derive(Debug, Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// Our own status, and the ward's answer or reason when it gave one.
    pub status_notes: String,
    pub service_name: &'static str,
    pub service_code: &'static str,
    pub description: String,
    /// The ward that handles it.
    pub agency_responsible: String,
    pub service_notice: String,
    pub requested_datetime: String,
    pub updated_datetime: String,
    /// The handling deadline.
    pub expected_datetime: String,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: f64,
    pub long: f64,
    /// The first of the resident's photos (a copy without EXIF), or the link the filer gave.
    pub media_url: Option<String>,
}

/// One entry of FixMyStreet's `GET servicerequestupdates.{fmt}`: a change of status.
#[derive(Debug, Serialize)]
pub struct RequestUpdate {
    /// The event's sequence number.
    pub update_id: String,
    pub service_request_id: String,
    /// FixMyStreet's extended statuses, lower case (`investigating`, `fixed`…).
    pub status: &'static str,
    pub updated_datetime: String,
    pub description: String,
    /// The first "after" photo of an answer; empty otherwise.
    pub media_url: String,
    /// Our own status.
    pub external_status_code: &'static str,
}

/// One entry of an error answer.
#[derive(Debug, Serialize)]
pub struct Error {
    /// The HTTP status.
    pub code: u16,
    /// For people: what was wrong, naming the field.
    pub description: String,
}
