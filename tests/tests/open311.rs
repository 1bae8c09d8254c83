//! The Open311 GeoReport v2 API over real HTTP, as an Open311 client sees it: every endpoint
//! in JSON and in XML, the spec's error format and statuses, the search defaults, the
//! FixMyStreet updates feed, and a filed request reaching the ward's live inbox and the city
//! dashboard like any other report.

use std::collections::HashMap;

use chrono::Timelike;
use phananh_shared::api::{Change, LiveMessage};
use phananh_tests::{
    HOAN_KIEM, LiveClient, NO_RATE_LIMITS, ResidentDevice, StaffClient, TestServer, create_api_key,
};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

struct World {
    server: TestServer,
    data: tempfile::TempDir,
    key: String,
    officer: StaffClient,
    http: Client,
}

fn world_with(args: &[&str]) -> World {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), args);
    let key = create_api_key(data.path(), "Ứng dụng thử nghiệm");
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    World { server, data, key, officer, http: Client::new() }
}

fn world() -> World {
    world_with(&[])
}

/// An answer: status, content type, body.
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert!(self.content_type.starts_with("application/json"), "{}", self.content_type);
        serde_json::from_str(&self.text).expect("a JSON body")
    }

    /// The XML body's root element name and each child as a map of its fields' texts.
    fn xml(&self) -> (String, Vec<HashMap<String, String>>) {
        assert_eq!(self.content_type, "text/xml; charset=utf-8");
        assert!(self.text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#), "{}", self.text);
        let document = roxmltree::Document::parse(&self.text).expect("well-formed XML");
        let root = document.root_element();
        let items = root
            .children()
            .filter(|n| n.is_element())
            .map(|item| {
                item.children()
                    .filter(|n| n.is_element())
                    .map(|field| (field.tag_name().name().to_owned(), field.text().unwrap_or("").to_owned()))
                    .collect()
            })
            .collect();
        (root.tag_name().name().to_owned(), items)
    }
}

fn answer(response: reqwest::blocking::Response) -> Answer {
    let status = response.status();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    Answer { status, content_type, text: response.text().unwrap() }
}

impl World {
    fn get(&self, path: &str) -> Answer {
        answer(self.http.get(self.server.url(&format!("/open311/v2/{path}"))).send().unwrap())
    }

    fn post(&self, path: &str, form: &[(&str, &str)], idempotency_key: Option<&str>) -> Answer {
        let mut request = self.http.post(self.server.url(&format!("/open311/v2/{path}"))).form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        answer(request.send().unwrap())
    }

    /// Files a request with this world's key: its id.
    fn file(&self, extra: &[(&str, &str)]) -> String {
        let mut form = vec![("api_key", self.key.as_str())];
        form.extend(good_form());
        form.extend(extra);
        let filed = self.post("requests.json", &form, None);
        assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
        filed.json()[0]["service_request_id"].as_str().unwrap().to_owned()
    }
}

/// A noise report at Hoàn Kiếm lake (noise is answered without an "after" photo).
fn good_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("service_code", "noise"),
        ("lat", "21.0288"),
        ("long", "105.8525"),
        ("description", "Quán karaoke hát to sau 23 giờ mỗi đêm."),
    ]
}

/// The error of a refusal, checked to be in the spec's format in both JSON and XML.
fn refused(json: Answer, xml: Answer, status: StatusCode) -> String {
    assert_eq!((json.status, xml.status), (status, status), "{} / {}", json.text, xml.text);
    let errors = json.json();
    assert_eq!(errors[0]["code"], status.as_u16(), "{errors}");
    let (root, items) = xml.xml();
    assert_eq!(root, "errors");
    assert_eq!(items[0]["code"], status.as_u16().to_string());
    errors[0]["description"].as_str().unwrap().to_owned()
}

#[test]
fn discovery_services_and_definitions_in_both_formats() {
    let world = world();
    let discovery = world.get("discovery.json").json();
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(endpoint["url"], world.server.url("/open311/v2"));
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
    for field in ["changeset", "contact", "key_service"] {
        assert!(discovery[field].as_str().is_some_and(|s| !s.is_empty()), "{field}");
    }
    let xml = world.get("discovery.xml");
    let document = roxmltree::Document::parse(&xml.text).unwrap();
    let formats: Vec<_> =
        document.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
    assert_eq!(
        (document.root_element().tag_name().name(), formats),
        ("discovery", vec!["text/xml", "application/json"])
    );

    let services = world.get("services.json").json();
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), 14);
    let drainage = services.iter().find(|s| s["service_code"] == "drainage").unwrap();
    assert_eq!(
        (drainage["service_name"].as_str(), drainage["metadata"].as_bool()),
        (Some("Thoát nước, ngập úng"), Some(true))
    );
    assert_eq!(drainage["type"], "realtime");
    let (root, items) = world.get("services.xml").xml();
    assert_eq!((root.as_str(), items.len()), ("services", 14));
    let noise = items.iter().find(|s| s["service_code"] == "noise").unwrap();
    assert_eq!((noise["metadata"].as_str(), noise["service_name"].as_str()), ("false", "Tiếng ồn"));

    let definition = world.get("services/drainage.json").json();
    assert_eq!(definition["service_code"], "drainage");
    let attribute = &definition["attributes"][0];
    assert_eq!(
        (attribute["code"].as_str(), attribute["datatype"].as_str()),
        (Some("danger"), Some("singlevaluelist"))
    );
    let keys: Vec<_> = attribute["values"].as_array().unwrap().iter().map(|v| v["key"].clone()).collect();
    assert_eq!(keys, [json!("yes"), json!("no")]);
    let xml = world.get("services/drainage.xml");
    let document = roxmltree::Document::parse(&xml.text).unwrap();
    assert_eq!(document.root_element().tag_name().name(), "service_definition");
    assert_eq!(document.descendants().filter(|n| n.has_tag_name("value")).count(), 2);
    assert_eq!(world.get("services/noise.json").json()["attributes"], json!([]));

    let description = refused(
        world.get("services/graffiti.json"),
        world.get("services/graffiti.xml"),
        StatusCode::NOT_FOUND,
    );
    assert!(description.contains("service_code"), "{description}");
    refused(
        world.get("services.json?jurisdiction_id=sfgov.org"),
        world.get("services.xml?jurisdiction_id=sfgov.org"),
        StatusCode::NOT_FOUND,
    );
    assert_eq!(world.get("services.json?jurisdiction_id=hanoi.gov.vn").status, StatusCode::OK);
    let unknown = world.get("tokens/123.json");
    assert_eq!(
        (unknown.status, unknown.json()[0]["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(404)),
        "no tokens: requests are realtime"
    );
    assert_eq!(world.get("services").xml().0, "errors", "no format suffix: an XML error");
}

#[test]
fn filing_needs_an_api_key_this_server_issued() {
    let world = world();
    let data_dir = world.data.path().to_str().unwrap();
    let again = phananh_tests::run_server(
        &["create-api-key", "--name", "Ứng dụng thử nghiệm", "--data-dir", data_dir],
        "",
    );
    assert!(!again.status.success() && again.stdout.is_empty(), "one key per client name");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let resident = ResidentDevice::register(&world.server);
    for key in [None, Some("not-a-key"), Some(resident.token.as_str())] {
        let mut form = good_form();
        form.extend(key.map(|key| ("api_key", key)));
        let description = refused(
            world.post("requests.json", &form, None),
            world.post("requests.xml", &form, None),
            StatusCode::FORBIDDEN,
        );
        assert!(description.contains("api_key"), "{key:?}: {description}");
    }
}

#[test]
fn a_filed_request_reads_back_in_both_formats_without_its_contact_details() {
    let world = world();
    let mut form = vec![("api_key", world.key.as_str())];
    form.extend(good_form());
    form[1] = ("service_code", "drainage");
    form.extend([
        ("attribute[danger]", "yes"),
        ("first_name", "Lan"),
        ("last_name", "Nguyễn Thị"),
        ("email", "lan@example.vn"),
        ("phone", "0912 345 678"),
        ("media_url", "https://anh.example.vn/cong-tac.jpg"),
        ("device_id", "ignored-by-this-server"),
    ]);
    let filed = world.post("requests.xml", &form, None);
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    let (root, items) = filed.xml();
    assert_eq!(root, "service_requests");
    let id = items[0]["service_request_id"].clone();
    assert!(items[0]["service_notice"].contains("Phường Hoàn Kiếm"), "{:?}", items[0]);

    let native: Value = world.officer.get(&format!("/api/v1/reports/{id}")).json().unwrap();
    assert_eq!(
        (native["category"].as_str(), native["priority"].as_str()),
        (Some("drainage"), Some("urgent")),
        "danger=yes is urgent"
    );
    assert_eq!(native["reporter"]["name"], "Lan Nguyễn Thị", "staff see the contact details");
    assert_eq!(
        (native["reporter"]["email"].as_str(), native["reporter"]["phone"].as_str()),
        (Some("lan@example.vn"), Some("0912 345 678"))
    );

    let one = world.get(&format!("requests/{id}.json")).json();
    let request = &one.as_array().unwrap()[..];
    assert_eq!(request.len(), 1);
    let request = &request[0];
    assert_eq!(request["service_request_id"], id.as_str());
    assert_eq!(
        (request["status"].as_str(), request["service_code"].as_str()),
        (Some("open"), Some("drainage"))
    );
    assert_eq!(request["agency_responsible"], "Phường Hoàn Kiếm");
    assert_eq!(request["status_notes"], "Chờ tiếp nhận (submitted)");
    assert_eq!((request["lat"].as_f64(), request["long"].as_f64()), (Some(HOAN_KIEM.1), Some(HOAN_KIEM.0)));
    assert_eq!(request["media_url"], "https://anh.example.vn/cong-tac.jpg");
    let expected: chrono::DateTime<chrono::Utc> =
        request["expected_datetime"].as_str().unwrap().parse().unwrap();
    let deadline: chrono::DateTime<chrono::Utc> =
        native["deadlines"]["handle"].as_str().unwrap().parse().unwrap();
    assert_eq!(expected, deadline.with_nanosecond(0).unwrap());
    assert!(request["requested_datetime"].as_str().unwrap().ends_with("+07:00"));
    let (root, items) = world.get(&format!("requests/{id}.xml")).xml();
    assert_eq!((root.as_str(), items.len()), ("service_requests", 1));
    assert_eq!(
        (items[0]["status"].as_str(), items[0]["agency_responsible"].as_str()),
        ("open", "Phường Hoàn Kiếm")
    );
    assert_eq!(items[0]["zipcode"], "", "absent fields are empty elements");
    for private in ["Lan", "lan@example.vn", "0912", "ignored-by-this-server"] {
        for path in [format!("requests/{id}.json"), format!("requests/{id}.xml"), "requests.json".to_owned()]
        {
            assert!(!world.get(&path).text.contains(private), "{private} leaks in {path}");
        }
        let public = world
            .http
            .get(world.server.url(&format!("/api/v1/reports/{id}")))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(!public.contains(private), "{private} leaks in the public view");
    }
    let missing = uuid::Uuid::now_v7();
    refused(
        world.get(&format!("requests/{missing}.json")),
        world.get(&format!("requests/{missing}.xml")),
        StatusCode::NOT_FOUND,
    );
    refused(world.get("requests/nope.json"), world.get("requests/nope.xml"), StatusCode::NOT_FOUND);
}

#[test]
fn bad_filings_and_searches_are_refused_in_the_spec_format_naming_the_field() {
    let world = world();
    let with = |changes: &[(&'static str, &'static str)], without: &[&str]| {
        let mut form: Vec<(&str, &str)> = vec![("api_key", world.key.as_str())];
        form.extend(good_form().into_iter().filter(|(name, _)| !without.contains(name)));
        for (name, value) in changes {
            form.retain(|(n, _)| n != name);
            form.push((name, value));
        }
        form
    };
    for (form, status, field) in [
        (with(&[("service_code", "graffiti")], &[]), StatusCode::NOT_FOUND, "service_code"),
        (with(&[], &["service_code"]), StatusCode::BAD_REQUEST, "service_code"),
        (with(&[("lat", "bắc")], &[]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("long", "200")], &[]), StatusCode::BAD_REQUEST, "long"),
        (with(&[], &["lat", "long"]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("lat", "10.7769"), ("long", "106.7009")], &[]), StatusCode::BAD_REQUEST, "lat/long"),
        (with(&[("description", "ồn")], &[]), StatusCode::BAD_REQUEST, "description"),
        (with(&[("email", "lan at example")], &[]), StatusCode::BAD_REQUEST, "email"),
        (with(&[("attribute[danger]", "yes")], &[]), StatusCode::BAD_REQUEST, "attribute[danger]"),
        (with(&[("jurisdiction_id", "sfgov.org")], &[]), StatusCode::NOT_FOUND, "jurisdiction_id"),
    ] {
        let description = refused(
            world.post("requests.json", &form, None),
            world.post("requests.xml", &form, None),
            status,
        );
        assert!(description.contains(field), "{field}: {description}");
    }
    let (both, requests_only) = (&["requests", "servicerequestupdates"][..], &["requests"][..]);
    for (query, field, resources) in [
        ("start_date=yesterday", "start_date", both),
        ("end_date=2026-13-01T00:00:00Z", "end_date", both),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date", both),
        ("page_size=5000", "page_size", both),
        ("status=pending", "status", requests_only),
        ("service_code=graffiti", "service_code", requests_only),
        ("service_request_id=12", "service_request_id", requests_only),
    ] {
        for resource in resources {
            let (json, xml) = (
                world.get(&format!("{resource}.json?{query}")),
                world.get(&format!("{resource}.xml?{query}")),
            );
            let description = refused(json, xml, StatusCode::BAD_REQUEST);
            assert!(description.contains(field), "{resource}?{query}: {description}");
        }
    }
    let multipart = world
        .http
        .post(world.server.url("/open311/v2/requests.json"))
        .multipart(reqwest::blocking::multipart::Form::new().text("api_key", world.key.clone()))
        .send()
        .unwrap();
    let multipart = answer(multipart);
    assert_eq!(multipart.status, StatusCode::BAD_REQUEST);
    assert!(multipart.json()[0]["description"].as_str().unwrap().contains("x-www-form-urlencoded"));
    assert_eq!(world.get("requests.json").json(), json!([]), "nothing was filed by the refusals");
}

#[test]
fn a_post_retried_with_its_idempotency_key_files_one_report() {
    let world = world();
    let mut form = vec![("api_key", world.key.as_str())];
    form.extend(good_form());
    let first = world.post("requests.json", &form, Some("client-request-42"));
    let again = world.post("requests.json", &form, Some("client-request-42"));
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first.json()[0]["service_request_id"], again.json()[0]["service_request_id"]);
    let other = world.post("requests.json", &form, Some("client-request-43"));
    assert_eq!(other.status, StatusCode::CREATED);
    assert_eq!(world.get("requests.json").json().as_array().unwrap().len(), 2);
    form[4] = ("description", "Một nội dung khác hẳn cho cùng khoá.");
    let clash = world.post("requests.json", &form, Some("client-request-42"));
    assert_eq!(clash.status, StatusCode::BAD_REQUEST, "{}", clash.text);
    let overlong = world.post("requests.json", &form, Some(&"k".repeat(256)));
    assert_eq!(overlong.status, StatusCode::BAD_REQUEST);
    assert!(overlong.json()[0]["description"].as_str().unwrap().contains("Idempotency-Key"));
}

#[test]
fn status_changes_flow_out_as_closed_with_notes_and_as_fixmystreet_updates() {
    let world = world();
    let id = world.file(&[]);
    let answer = "Công an phường đã nhắc nhở, quán cam kết tắt nhạc trước 22 giờ.";
    for action in [json!({ "action": "acknowledge" }), json!({ "action": "resolve", "answer": answer })] {
        assert_eq!(world.officer.act(&id, &action).status(), StatusCode::OK);
    }
    let other = world.file(&[]);

    let closed = world.get("requests.json?status=closed").json();
    assert_eq!(closed.as_array().unwrap().len(), 1);
    assert_eq!(closed[0]["service_request_id"], id.as_str());
    assert_eq!(closed[0]["status_notes"], format!("Đã xử lý (resolved): {answer}"));
    let events: Vec<Value> = world.officer.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
    let resolved_at: chrono::DateTime<chrono::Utc> =
        events.last().unwrap()["at"].as_str().unwrap().parse().unwrap();
    let updated: chrono::DateTime<chrono::Utc> =
        closed[0]["updated_datetime"].as_str().unwrap().parse().unwrap();
    assert_eq!(updated, resolved_at.with_nanosecond(0).unwrap(), "updated when the answer came");
    let open = world.get("requests.json?status=open").json();
    assert_eq!(
        (open.as_array().unwrap().len(), open[0]["service_request_id"].as_str()),
        (1, Some(other.as_str()))
    );
    let both = world.get(&format!("requests.json?service_request_id={id},{other}&status=open")).json();
    assert_eq!(both.as_array().unwrap().len(), 2, "ids override the other filters");
    assert_eq!(world.get("requests.json?service_code=roads,drainage").json(), json!([]));
    assert_eq!(world.get("requests.json?service_code=noise").json().as_array().unwrap().len(), 2);

    let updates = world.get("servicerequestupdates.json").json();
    let updates = updates.as_array().unwrap();
    let statuses: Vec<_> = updates
        .iter()
        .map(|u| (u["status"].as_str().unwrap(), u["external_status_code"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("investigating", "acknowledged"), ("fixed", "resolved")]);
    assert!(updates.iter().all(|u| u["service_request_id"] == id.as_str()));
    assert_eq!(updates[1]["description"], answer);
    let ids: Vec<u64> = updates.iter().map(|u| u["update_id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(ids[0] < ids[1]);
    let (root, items) = world.get("servicerequestupdates.xml").xml();
    assert_eq!((root.as_str(), items.len()), ("service_request_updates", 2));
    assert_eq!((items[1]["status"].as_str(), items[1]["media_url"].as_str()), ("fixed", ""));
    let later = world.get("servicerequestupdates.json?start_date=2099-01-01T00:00:00Z").json();
    assert_eq!(later, json!([]), "the window filters on the update's time");
}

#[test]
fn searches_default_to_the_last_90_days_and_the_first_1000() {
    let mut args = vec!["--manual-clock", "2026-01-05T09:00:00+07:00"];
    args.extend(NO_RATE_LIMITS);
    let world = world_with(&args);
    let old = world.file(&[]);
    assert_eq!(world.server.set_clock("2026-04-20T09:00:00+07:00").status(), StatusCode::OK);
    let filed: Vec<String> = (0..1001).map(|_| world.file(&[])).collect();

    let page = world.get("requests.json").json();
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 1000, "at most 1,000 by default");
    assert!(page.iter().all(|r| r["service_request_id"] != old.as_str()), "older than 90 days");
    let second = world.get("requests.json?page=2").json();
    assert_eq!(second.as_array().unwrap().len(), 1);
    let all: std::collections::HashSet<_> = page
        .iter()
        .chain(second.as_array().unwrap())
        .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all, filed.iter().cloned().collect(), "the two pages hold every recent request once");
    let (_, small) = world.get("requests.xml?page_size=10&page=3").xml();
    assert_eq!(small.len(), 10);
    let january = world
        .get("requests.json?start_date=2026-01-01T00:00:00%2B07:00&end_date=2026-01-31T00:00:00%2B07:00")
        .json();
    assert_eq!(
        (january.as_array().unwrap().len(), january[0]["service_request_id"].as_str()),
        (1, Some(old.as_str()))
    );
    assert_eq!(
        world.get(&format!("requests/{old}.json")).status,
        StatusCode::OK,
        "one request by id, whatever its age"
    );
}

#[test]
fn an_open311_request_reaches_the_ward_live_inbox_and_the_city_dashboard() {
    let world = world();
    let city = StaffClient::create(&world.server, world.data.path(), "thanhpho", "city", None);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut inbox =
        runtime.block_on(LiveClient::open(&world.server, "ward:00070", 0, Some(&world.officer.token)));
    runtime.block_on(inbox.until_caught_up());
    let id = world.file(&[]);
    let LiveMessage::Event(event) = runtime.block_on(inbox.next()) else { panic!("an event") };
    assert_eq!(event.report_id.to_string(), id);
    assert!(matches!(event.change, Change::Filed { .. }), "{event:?}");
    let dashboard: Value = city.get("/api/v1/dashboard").json().unwrap();
    let hoan_kiem =
        dashboard["wards"].as_array().unwrap().iter().find(|w| w["ward"]["code"] == "00070").unwrap();
    assert_eq!(hoan_kiem["received"], 1);
    assert_eq!(dashboard["total"]["received"], 1);
}

/// The spec's field lists (wiki.open311.org/GeoReport_v2, and FixMyStreet's update), each
/// schema of `docs/open311/openapi.json` that describes them, and the fields we add.
const SPEC_FIELDS: &[(&str, &[&str], &[&str])] = &[
    ("Discovery", &["changeset", "contact", "key_service", "endpoints"], &[]),
    ("Endpoint", &["specification", "url", "changeset", "type", "formats"], &[]),
    (
        "Service",
        &["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        &[],
    ),
    ("ServiceDefinition", &["service_code", "attributes"], &[]),
    (
        "Attribute",
        &[
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ],
        &[],
    ),
    ("AttributeValue", &["key", "name"], &[]),
    (
        "ServiceRequest",
        &[
            "service_request_id",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
        ],
        &[],
    ),
    (
        "Update",
        &["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"],
        &["external_status_code"],
    ),
];

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/open311/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the OpenAPI description")).expect("JSON")
}

/// The property names of schema `name`, sorted.
fn properties(openapi: &Value, name: &str) -> Vec<String> {
    let mut names: Vec<String> = openapi["components"]["schemas"][name]["properties"]
        .as_object()
        .expect(name)
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

fn keys(object: &Value) -> Vec<String> {
    let mut names: Vec<String> = object.as_object().expect("an object").keys().cloned().collect();
    names.sort();
    names
}

#[test]
fn the_openapi_description_has_the_specs_fields_and_the_server_answers_with_exactly_those() {
    let openapi = openapi();
    for (schema, spec, ours) in SPEC_FIELDS {
        let mut expected: Vec<String> = spec.iter().chain(*ours).map(|f| f.to_string()).collect();
        expected.sort();
        assert_eq!(properties(&openapi, schema), expected, "{schema}");
    }
    let world = world();
    let id = world.file(&[]);
    let answer = "Công an phường đã nhắc nhở, quán cam kết tắt nhạc trước 22 giờ.";
    assert_eq!(world.officer.act(&id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);
    assert_eq!(
        world.officer.act(&id, &json!({ "action": "resolve", "answer": answer })).status(),
        StatusCode::OK
    );
    let discovery = world.get("discovery.json").json();
    let definition = world.get("services/roads.json").json();
    for (schema, answer) in [
        ("Discovery", &discovery),
        ("Endpoint", &discovery["endpoints"][0]),
        ("Service", &world.get("services.json").json()[0]),
        ("ServiceDefinition", &definition),
        ("Attribute", &definition["attributes"][0]),
        ("AttributeValue", &definition["attributes"][0]["values"][0]),
        ("ServiceRequest", &world.get(&format!("requests/{id}.json")).json()[0]),
        ("Update", &world.get("servicerequestupdates.json").json()[0]),
    ] {
        assert_eq!(keys(answer), properties(&openapi, schema), "{schema}: {answer}");
    }
}
