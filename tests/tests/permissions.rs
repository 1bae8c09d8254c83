//! The permission matrix: every endpoint, asked by everyone who could ask it — nobody, a
//! token nobody issued, the resident who filed the report, another resident, the report's
//! ward officer (to whom the ward's assigned reports go), another officer of that ward, the
//! ward's lead, another ward's officer, city staff, an administrator and an Open311 client
//! sending its API key as a bearer token — each with the
//! answer they must get. Where the answer is a report, also whether it shows what only the
//! reporter and the ward's (or city's) staff may see. Every cell is checked and every
//! mismatch listed, so one run shows the whole difference from the table.

use phananh_tests::{
    HOAN_KIEM, NO_RATE_LIMITS, ResidentDevice, STAFF_PASSWORD, StaffClient, TestServer, create_api_key,
    report_at, small_jpeg,
};
use reqwest::StatusCode;
use reqwest::blocking::RequestBuilder;
use serde_json::{Value, json};

/// Declares `Who` and `EVERYONE`, every one of its values in order, from one list.
macro_rules! askers {
    ($($(#[$doc:meta])* $who:ident,)*) => {
        /// Who asks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Who {
            $($(#[$doc])* $who,)*
        }

        const EVERYONE: &[Who] = &[$(Who::$who,)*];
    };
}

askers! {
    Anonymous,
    /// A bearer token that this server never issued.
    Stranger,
    Reporter,
    Neighbour,
    /// The officer the ward's lead assigns reports to (`hoankiem`).
    WardOfficer,
    /// Another officer of the same ward (`hoankiem2`).
    Colleague,
    /// The ward's lead (`lanhdao`).
    WardLead,
    OtherOfficer,
    City,
    Admin,
    /// An Open311 client's API key: it is a device's token, but only the Open311 API takes it.
    Open311Key,
}

use Who::*;

/// What they must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A 2xx.
    Granted,
    /// A 2xx that shows the private details (reporter's contact, staff notes).
    FullView,
    /// A 2xx without them.
    PublicView,
    Unauthorized,
    Forbidden,
    NotFound,
}

use Answer::*;

/// The report's ward (Phường Hoàn Kiếm) and the other officer's (Phường Ba Đình).
const WARD: &str = "00070";
const OTHER_WARD: &str = "00004";
/// A staff note on the report, that only its ward's and the city's staff may read.
const NOTE: &str = "Ghi chú nội bộ: đã gọi điện cho tổ trưởng dân phố.";

struct World {
    server: TestServer,
    _data: tempfile::TempDir,
    client: reqwest::blocking::Client,
    reporter: ResidentDevice,
    neighbour: ResidentDevice,
    officer: StaffClient,
    colleague: StaffClient,
    lead: StaffClient,
    other: StaffClient,
    city: StaffClient,
    admin: StaffClient,
    /// A report filed by `reporter` in [`WARD`], with a staff note.
    report: String,
    /// A report filed by `reporter` in [`WARD`] and assigned to `officer`, with a reason.
    assigned: String,
    /// A dossier at [`WARD`]'s desk and its secret.
    dossier: (String, String),
    /// A photo uploaded by `reporter`.
    photo: String,
    /// An Open311 client's API key.
    key: String,
}

impl World {
    fn new() -> World {
        let data = tempfile::tempdir().unwrap();
        // Everyone signs in from one address here, more often than the sign-in limit allows.
        let login = ["--login-rate-per-minute", "1000000", "--login-burst", "1000000"];
        let server = TestServer::start_in(data.path(), &[NO_RATE_LIMITS, &login].concat());
        let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some(WARD));
        let colleague = StaffClient::create(&server, data.path(), "hoankiem2", "ward", Some(WARD));
        let lead = StaffClient::create(&server, data.path(), "lanhdao", "ward_lead", Some(WARD));
        let other = StaffClient::create(&server, data.path(), "badinh", "ward", Some(OTHER_WARD));
        let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
        let admin = StaffClient::create(&server, data.path(), "quantri", "admin", None);
        let (reporter, neighbour) = (ResidentDevice::register(&server), ResidentDevice::register(&server));
        let key = create_api_key(data.path(), "Ứng dụng của thành phố");
        let mut world = World {
            key,
            client: reqwest::blocking::Client::new(),
            report: String::new(),
            assigned: String::new(),
            dossier: (String::new(), String::new()),
            photo: String::new(),
            server,
            _data: data,
            reporter,
            neighbour,
            officer,
            colleague,
            lead,
            other,
            city,
            admin,
        };
        world.report = world.new_report();
        let note = world.officer.act(&world.report, &json!({ "action": "note", "text": NOTE }));
        assert_eq!(note.status(), StatusCode::OK);
        world.assigned = world.assigned_report();
        world.dossier = world.new_dossier();
        let photo =
            world.send(Reporter, world.client.post(world.server.url("/api/v1/photos")).body(small_jpeg()));
        assert_eq!(photo.status(), StatusCode::CREATED);
        world.photo = photo.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
        world
    }

    /// A new report by `reporter` in [`WARD`]; noise, so that it resolves without a photo.
    fn new_report(&self) -> String {
        let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
        report["category"] = json!("noise");
        assert_eq!(self.reporter.file(&report).unwrap().status(), StatusCode::CREATED);
        report["id"].as_str().unwrap().to_owned()
    }

    /// A new report, assigned by the ward's lead to `officer` (and back and forth, so its
    /// timeline names both officers and gives a reason).
    fn assigned_report(&self) -> String {
        let id = self.new_report();
        for officer in ["hoankiem2", "hoankiem"] {
            let assign =
                json!({ "action": "assign", "officer": officer, "reason": "Cán bộ địa bàn phụ trách." });
            let assigned = self.lead.act(&id, &assign);
            assert_eq!(assigned.status(), StatusCode::OK, "{}", assigned.text().unwrap());
        }
        id
    }

    fn resolved_report(&self) -> String {
        let id = self.new_report();
        for action in [
            json!({ "action": "acknowledge" }),
            json!({ "action": "resolve", "answer": "Đã nhắc nhở, tiếng ồn đã chấm dứt." }),
        ] {
            let acted = self.officer.act(&id, &action);
            assert_eq!(acted.status(), StatusCode::OK, "{}", acted.text().unwrap());
        }
        id
    }

    /// A new dossier at [`WARD`]'s desk: its code and secret.
    fn new_dossier(&self) -> (String, String) {
        let body =
            json!({ "procedure": "cu-tru-tam-tru", "applicant": "Nguyễn Thị Mai", "phone": "0912 345 678" });
        let registered = self.officer.post("/api/v1/dossiers", &body);
        assert_eq!(registered.status(), StatusCode::CREATED);
        let registered: Value = registered.json().unwrap();
        (
            registered["dossier"]["code"].as_str().unwrap().to_owned(),
            registered["secret"].as_str().unwrap().to_owned(),
        )
    }

    fn token(&self, who: Who) -> Option<&str> {
        match who {
            Anonymous => None,
            Stranger => Some("c2FpLXRva2VuLWtow7RuZy1haS1jYXA"),
            Reporter => Some(&self.reporter.token),
            Neighbour => Some(&self.neighbour.token),
            WardOfficer => Some(&self.officer.token),
            Colleague => Some(&self.colleague.token),
            WardLead => Some(&self.lead.token),
            OtherOfficer => Some(&self.other.token),
            City => Some(&self.city.token),
            Admin => Some(&self.admin.token),
            Open311Key => Some(&self.key),
        }
    }

    fn send(&self, who: Who, request: RequestBuilder) -> reqwest::blocking::Response {
        let request = match self.token(who) {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().expect("the server answers")
    }

    fn get(&self, who: Who, path: &str) -> reqwest::blocking::Response {
        self.send(who, self.client.get(self.server.url(path)))
    }

    fn post(&self, who: Who, path: &str, body: &Value) -> reqwest::blocking::Response {
        self.send(who, self.client.post(self.server.url(path)).json(body))
    }

    /// A live stream's first answer, as a server-sent event stream (its status is what
    /// matters here; the stream is closed as soon as it is read).
    fn live(&self, who: Who, scope: &str) -> reqwest::blocking::Response {
        let path = format!("/api/v1/live?scope={scope}&since=latest");
        self.send(who, self.client.get(self.server.url(&path)).header("accept", "text/event-stream"))
    }
}

/// Who may call an endpoint: the rules the table is made of.
mod rules {
    use super::*;

    /// Anyone; the endpoint does not read tokens.
    pub fn anyone(_: Who) -> Answer {
        Granted
    }

    /// Anyone; public views only.
    pub fn public_views(_: Who) -> Answer {
        PublicView
    }

    /// A resident's device, any; an Open311 key is refused by name, not taken for one.
    pub fn devices(who: Who) -> Answer {
        match who {
            Reporter | Neighbour => Granted,
            Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// The resident who filed the report, and only them.
    pub fn reporter(who: Who) -> Answer {
        match who {
            Reporter => Granted,
            Neighbour | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// Any signed-in staff member.
    pub fn staff(who: Who) -> Answer {
        match who {
            WardOfficer | Colleague | WardLead | OtherOfficer | City | Admin => Granted,
            Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// The ward's officers and lead, city staff and administrators; not another ward's
    /// officer.
    pub fn ward_staff(who: Who) -> Answer {
        match who {
            WardOfficer | Colleague | WardLead | City | Admin => Granted,
            OtherOfficer | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// City staff and administrators only.
    pub fn city(who: Who) -> Answer {
        match who {
            City | Admin => Granted,
            WardOfficer | Colleague | WardLead | OtherOfficer | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// A ward's own desk: any ward officer or lead for their own ward, not the city.
    pub fn ward_desk(who: Who) -> Answer {
        match who {
            WardOfficer | Colleague | WardLead | OtherOfficer => Granted,
            City | Admin | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// A report seen in full by its reporter and its ward's and the city's staff, in public
    /// by everyone else; a token nobody issued is refused.
    pub fn report_view(who: Who) -> Answer {
        match who {
            Reporter | WardOfficer | Colleague | WardLead | City | Admin => FullView,
            Anonymous | Neighbour | OtherOfficer => PublicView,
            Stranger => Unauthorized,
            Open311Key => Forbidden,
        }
    }

    /// A report's timeline: staff notes, and who the report is assigned to, for its ward's
    /// and the city's staff only (not even its reporter reads them).
    pub fn staff_notes(who: Who) -> Answer {
        match who {
            WardOfficer | Colleague | WardLead | City | Admin => FullView,
            Stranger => Unauthorized,
            Open311Key => Forbidden,
            _ => PublicView,
        }
    }

    /// An assigned report's handling: its officer, the ward's lead, city staff and
    /// administrators; not another officer of the ward ("3 rõ": one officer answers for it).
    pub fn assigned_handler(who: Who) -> Answer {
        match who {
            WardOfficer | WardLead | City | Admin => Granted,
            Colleague | OtherOfficer | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// Assigning an unassigned report to `hoankiem`: the ward's lead, city staff and
    /// administrators, or `hoankiem` taking it.
    pub fn assigns_or_takes(who: Who) -> Answer {
        match who {
            WardOfficer | WardLead | City | Admin => Granted,
            Colleague | OtherOfficer | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// Giving an assigned report to another officer: the ward's lead, city staff and
    /// administrators; no officer.
    pub fn assigners(who: Who) -> Answer {
        match who {
            WardLead | City | Admin => Granted,
            WardOfficer | Colleague | OtherOfficer | Open311Key => Forbidden,
            _ => Unauthorized,
        }
    }

    /// Anyone who holds no token or a real one.
    pub fn known_or_none(who: Who) -> Answer {
        match who {
            Stranger => Unauthorized,
            Open311Key => Forbidden,
            _ => Granted,
        }
    }

    /// Anyone who holds a real token (a device's or staff's).
    pub fn signed(who: Who) -> Answer {
        match who {
            Anonymous | Stranger => Unauthorized,
            Open311Key => Forbidden,
            _ => Granted,
        }
    }

    /// Nobody: a bearer token does not open it.
    pub fn nobody_by_token(_: Who) -> Answer {
        Forbidden
    }

    pub fn not_there(_: Who) -> Answer {
        NotFound
    }
}

/// A request to one endpoint by one asker.
type Call = Box<dyn Fn(&World, Who) -> reqwest::blocking::Response>;

/// One endpoint: its name, the answer each asker must get, and the request (made fresh for
/// each asker, so that one's change does not decide the next one's answer).
struct Row {
    name: &'static str,
    expect: fn(Who) -> Answer,
    call: Call,
    /// For answers that may show private details: whether this body shows them.
    shows_private: Option<fn(&Value) -> bool>,
}

fn row(
    name: &'static str,
    expect: fn(Who) -> Answer,
    call: impl Fn(&World, Who) -> reqwest::blocking::Response + 'static,
) -> Row {
    Row { name, expect, call: Box::new(call), shows_private: None }
}

fn private(mut row: Row, shows: fn(&Value) -> bool) -> Row {
    row.shows_private = Some(shows);
    row
}

fn has_reporter(report: &Value) -> bool {
    report.get("reporter").is_some()
}

fn table() -> Vec<Row> {
    use rules::*;
    let report_path = |world: &World, tail: &str| format!("/api/v1/reports/{}{tail}", world.report);
    vec![
        row("GET /healthz", anyone, |w, who| w.get(who, "/healthz")),
        row("GET /api/v1/wards", anyone, |w, who| w.get(who, "/api/v1/wards")),
        row("GET /api/v1/wards.geojson", anyone, |w, who| w.get(who, "/api/v1/wards.geojson")),
        row("GET /api/v1/wards/locate", anyone, |w, who| {
            w.get(who, "/api/v1/wards/locate?lon=105.8525&lat=21.0288")
        }),
        row("POST /api/v1/devices", anyone, |w, who| w.post(who, "/api/v1/devices", &json!({}))),
        row("POST /api/v1/staff/login", anyone, |w, who| {
            let credentials = json!({ "username": "hoankiem", "password": STAFF_PASSWORD.trim_end() });
            w.post(who, "/api/v1/staff/login", &credentials)
        }),
        row("GET /api/v1/staff/me", staff, |w, who| w.get(who, "/api/v1/staff/me")),
        row("GET /api/v1/staff/me/work", staff, |w, who| w.get(who, "/api/v1/staff/me/work")),
        row("POST /api/v1/reports", devices, |w, who| {
            w.post(who, "/api/v1/reports", &report_at(HOAN_KIEM.0, HOAN_KIEM.1))
        }),
        private(
            row("GET /api/v1/reports", public_views, |w, who| {
                w.get(who, &format!("/api/v1/reports?ward={WARD}"))
            }),
            |page| page["reports"].as_array().unwrap().iter().any(has_reporter),
        ),
        private(
            row("GET /api/v1/reports/nearby", public_views, |w, who| {
                w.get(who, "/api/v1/reports/nearby?lon=105.8525&lat=21.0288&category=noise")
            }),
            |nearby| nearby.as_array().unwrap().iter().any(has_reporter),
        ),
        private(
            row("GET /api/v1/reports/{id}", report_view, move |w, who| w.get(who, &report_path(w, ""))),
            has_reporter,
        ),
        private(
            row("GET /api/v1/reports/{id}/events", staff_notes, move |w, who| {
                w.get(who, &report_path(w, "/events"))
            }),
            |events| events.to_string().contains(NOTE),
        ),
        private(
            row("GET /api/v1/reports/{id}/events (assigned)", staff_notes, |w, who| {
                w.get(who, &format!("/api/v1/reports/{}/events", w.assigned))
            }),
            |events| events.to_string().contains("hoankiem"),
        ),
        row("POST /api/v1/reports/{id}/actions (assign, unassigned)", assigns_or_takes, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.new_report());
            w.post(who, &path, &json!({ "action": "assign", "officer": "hoankiem" }))
        }),
        row("POST /api/v1/reports/{id}/actions (reassign)", assigners, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.assigned_report());
            let reassign =
                json!({ "action": "assign", "officer": "hoankiem2", "reason": "Cán bộ nghỉ phép." });
            w.post(who, &path, &reassign)
        }),
        row("POST /api/v1/reports/{id}/actions (acknowledge, assigned)", assigned_handler, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.assigned_report());
            w.post(who, &path, &json!({ "action": "acknowledge" }))
        }),
        row("POST /api/v1/reports/{id}/actions (note, assigned)", assigned_handler, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.assigned);
            w.post(who, &path, &json!({ "action": "note", "text": "Đã xuống hiện trường." }))
        }),
        row("POST /api/v1/reports/{id}/actions (note)", ward_staff, move |w, who| {
            w.post(who, &report_path(w, "/actions"), &json!({ "action": "note", "text": "Đã kiểm tra." }))
        }),
        row("POST /api/v1/reports/{id}/actions (acknowledge)", ward_staff, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.new_report());
            w.post(who, &path, &json!({ "action": "acknowledge" }))
        }),
        row("POST /api/v1/reports/{id}/actions (transfer)", ward_staff, |w, who| {
            let path = format!("/api/v1/reports/{}/actions", w.new_report());
            let transfer =
                json!({ "action": "transfer", "ward": OTHER_WARD, "reason": "Thuộc phường Ba Đình." });
            w.post(who, &path, &transfer)
        }),
        row("POST /api/v1/reports/{id}/rating", reporter, |w, who| {
            let path = format!("/api/v1/reports/{}/rating", w.resolved_report());
            w.post(who, &path, &json!({ "stars": 5 }))
        }),
        row("POST /api/v1/reports/{id}/comments", reporter, move |w, who| {
            w.post(who, &report_path(w, "/comments"), &json!({ "text": "Vẫn còn ồn sau 23 giờ." }))
        }),
        row("POST /api/v1/reports/{id}/cancel", reporter, |w, who| {
            let path = format!("/api/v1/reports/{}/cancel", w.new_report());
            w.post(who, &path, &json!({}))
        }),
        row("POST /api/v1/reports/{id}/follow", devices, move |w, who| {
            w.post(who, &report_path(w, "/follow"), &json!({}))
        }),
        row("GET /api/v1/answer-templates", anyone, |w, who| w.get(who, "/api/v1/answer-templates")),
        row("GET /api/v1/procedures", anyone, |w, who| w.get(who, "/api/v1/procedures")),
        row("POST /api/v1/dossiers", ward_desk, |w, who| {
            let body =
                json!({ "procedure": "ho-chieu", "applicant": "Trần Văn An", "phone": "0987 654 321" });
            w.post(who, "/api/v1/dossiers", &body)
        }),
        row("GET /api/v1/dossiers?ward=", ward_staff, |w, who| {
            w.get(who, &format!("/api/v1/dossiers?ward={WARD}"))
        }),
        row("GET /api/v1/dossiers", staff, |w, who| w.get(who, "/api/v1/dossiers")),
        row("GET /api/v1/dossiers/{code}", ward_staff, |w, who| {
            w.get(who, &format!("/api/v1/dossiers/{}", w.dossier.0))
        }),
        row("POST /api/v1/dossiers/{code}/actions", ward_staff, |w, who| {
            let path = format!("/api/v1/dossiers/{}/actions", w.new_dossier().0);
            w.post(who, &path, &json!({ "action": "start" }))
        }),
        row("POST /api/v1/dossiers/track", devices, |w, who| {
            let (code, secret) = &w.dossier;
            w.post(who, "/api/v1/dossiers/track", &json!({ "code": code, "secret": secret }))
        }),
        row("GET /api/v1/dossiers/tracked", devices, |w, who| w.get(who, "/api/v1/dossiers/tracked")),
        row("POST /api/v1/photos", signed, |w, who| {
            w.send(who, w.client.post(w.server.url("/api/v1/photos")).body(small_jpeg()))
        }),
        row("GET /api/v1/photos/{id}", anyone, |w, who| w.get(who, &format!("/api/v1/photos/{}", w.photo))),
        row("GET /api/v1/live?scope=device", devices, |w, who| w.live(who, "device")),
        row("GET /api/v1/live?scope=ward:", ward_staff, |w, who| w.live(who, &format!("ward:{WARD}"))),
        row("GET /api/v1/live?scope=city", city, |w, who| w.live(who, "city")),
        row("GET /api/v1/live?scope=report:", known_or_none, |w, who| {
            w.live(who, &format!("report:{}", w.report))
        }),
        row("POST /api/v1/sync/push", devices, |w, who| {
            let create = json!({ "id": uuid::Uuid::now_v7(), "op": "create_report", "report": report_at(HOAN_KIEM.0, HOAN_KIEM.1) });
            w.post(who, "/api/v1/sync/push", &json!({ "operations": [create] }))
        }),
        row("GET /api/v1/sync/pull", devices, |w, who| w.get(who, "/api/v1/sync/pull")),
        row("GET /api/v1/dashboard?ward=", ward_staff, |w, who| {
            w.get(who, &format!("/api/v1/dashboard?ward={WARD}"))
        }),
        row("GET /api/v1/dashboard?format=csv", staff, |w, who| w.get(who, "/api/v1/dashboard?format=csv")),
        row("GET /api/v1/dashboard/dossiers?ward=", ward_staff, |w, who| {
            w.get(who, &format!("/api/v1/dashboard/dossiers?ward={WARD}"))
        }),
        row("GET /api/v1/transparency", anyone, |w, who| w.get(who, "/api/v1/transparency")),
        row("GET /open311/v2/services.json", anyone, |w, who| w.get(who, "/open311/v2/services.json")),
        row("GET /open311/v2/requests.json", anyone, |w, who| w.get(who, "/open311/v2/requests.json")),
        row("POST /open311/v2/requests.json (api_key in the form)", anyone, |w, who| {
            let form = open311_form(Some(("api_key", &w.key)));
            w.send(who, w.client.post(w.server.url("/open311/v2/requests.json")).form(&form))
        }),
        row("POST /open311/v2/requests.json (X-Api-Key)", anyone, |w, who| {
            let request = w.client.post(w.server.url("/open311/v2/requests.json")).form(&open311_form(None));
            w.send(who, request.header("x-api-key", &w.key))
        }),
        row("POST /open311/v2/requests.json (no api_key)", nobody_by_token, |w, who| {
            let form = [
                ("service_code", "noise"),
                ("lat", "21.0288"),
                ("long", "105.8525"),
                ("description", "Ồn ào."),
            ];
            w.send(who, w.client.post(w.server.url("/open311/v2/requests.json")).form(&form))
        }),
        // The manual clock is for tests only: a server started without it has no such route.
        row("PUT /api/v1/test/clock", not_there, |w, who| {
            w.send(
                who,
                w.client
                    .put(w.server.url("/api/v1/test/clock"))
                    .json(&json!({ "now": "2030-01-01T00:00:00Z" })),
            )
        }),
    ]
}

/// A filing's form, with `extra` (an `api_key`, say).
fn open311_form<'a>(extra: Option<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("service_code", "noise"),
        ("lat", "21.0288"),
        ("long", "105.8525"),
        ("description", "Quán karaoke hát to sau 23 giờ mỗi đêm."),
    ];
    form.extend(extra);
    form
}

/// What `response` was, in the table's terms; `None` for anything the table never expects
/// (a 5xx, a 4xx other than these, a refusal without a readable error).
fn answer(
    response: reqwest::blocking::Response,
    shows_private: Option<fn(&Value) -> bool>,
) -> Result<Answer, String> {
    let status = response.status();
    if status.is_success() {
        return Ok(match shows_private {
            None => Granted,
            Some(shows) => {
                let body: Value =
                    response.json().map_err(|e| format!("{status} with a body that is not JSON: {e}"))?;
                if shows(&body) { FullView } else { PublicView }
            }
        });
    }
    let text = response.text().unwrap_or_default();
    let refused = match status {
        StatusCode::UNAUTHORIZED => Unauthorized,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => NotFound,
        _ => return Err(format!("{status}: {text}")),
    };
    // Every refusal says why, in the API's format or (on Open311) the spec's.
    let readable = serde_json::from_str::<Value>(&text)
        .is_ok_and(|body| body["error"]["message"].is_string() || body[0]["description"].is_string());
    if readable { Ok(refused) } else { Err(format!("{status} without a readable error: {text:?}")) }
}

#[test]
fn every_endpoint_answers_everyone_as_the_table_says() {
    let world = World::new();
    let mut wrong = Vec::new();
    let rows = table();
    for row in &rows {
        for &who in EVERYONE {
            let expected = (row.expect)(who);
            let got = answer((row.call)(&world, who), row.shows_private);
            if got.as_ref() != Ok(&expected) {
                let got = got.map_or_else(|unexpected| unexpected, |answer| format!("{answer:?}"));
                wrong.push(format!("{:<48} {who:?}: expected {expected:?}, got {got}", row.name));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cells differ from the table:\n{}",
        wrong.len(),
        rows.len() * EVERYONE.len(),
        wrong.join("\n")
    );
    // An Open311 key is refused by name, so its holder learns where it belongs.
    let refused: Value = world.get(Open311Key, &format!("/api/v1/reports/{}", world.report)).json().unwrap();
    assert_eq!(refused["error"]["code"], "open311_key", "{refused}");
    // The reporter's details stayed where they belong: no public listing ever showed them.
    let listed = world.get(Anonymous, &format!("/api/v1/reports?ward={WARD}&limit=200")).text().unwrap();
    assert!(
        !listed.contains("0912 345 678") && !listed.contains("Nguyễn Thị Lan"),
        "no contact details in public"
    );
    // Nor who holds a report: not in a public list, Open311, or what the reporter's device
    // pulls (which gets no assignment at all).
    for path in [
        format!("/api/v1/reports?ward={WARD}&limit=200"),
        "/open311/v2/requests.json".to_owned(),
        format!("/open311/v2/requests/{}.json", world.assigned),
    ] {
        let body = world.get(Anonymous, &path).text().unwrap();
        assert!(!body.contains("hoankiem"), "{path} names no officer: {body}");
    }
    let pulled = world.get(Reporter, "/api/v1/sync/pull").text().unwrap();
    assert!(pulled.contains(&world.assigned) && !pulled.contains("assigned"), "{pulled}");
}
