//! Photos over HTTP: uploads checked by their bytes, public copies without EXIF or GPS,
//! photos attached to reports and to answers only by whoever uploaded them.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use phananh_tests::{HOAN_KIEM, ResidentDevice, StaffClient, TestServer, report_at};
use reqwest::StatusCode;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// Text the test puts in the photo's EXIF block: it must never come back.
const SECRET: &[u8] = b"GPSLatitude 21.0288 N GPSLongitude 105.8525 E PhananhTestCam";

/// A 640×480 JPEG carrying an EXIF (APP1) block with GPS text, as a phone camera writes it.
fn photo_with_gps() -> Vec<u8> {
    let picture = RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut jpeg = Vec::new();
    picture.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
    // EXIF header, a big-endian TIFF header and an empty first directory, then the text.
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(SECRET);
    let length = (payload.len() + 2) as u16;
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&length.to_be_bytes());
    app1.extend_from_slice(&payload);
    // After the start-of-image marker.
    jpeg.splice(2..2, app1);
    jpeg
}

fn upload(server: &TestServer, token: Option<&str>, bytes: Vec<u8>) -> Response {
    let request = Client::new().post(server.url("/api/v1/photos")).body(bytes);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().unwrap()
}

fn uploaded_id(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_public_copy_and_thumbnail_carry_no_exif_or_gps() {
    let server = TestServer::start();
    let resident = ResidentDevice::register(&server);
    let original = photo_with_gps();
    assert!(contains(&original, b"Exif") && contains(&original, SECRET));
    let response = upload(&server, Some(&resident.token), original);
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().unwrap();
    assert_eq!((answer["width"].as_u64(), answer["height"].as_u64()), (Some(640), Some(480)));
    let id = answer["id"].as_str().unwrap();
    for (query, longest) in [("", 640), ("?size=thumb", 320)] {
        let response = Client::new().get(server.url(&format!("/api/v1/photos/{id}{query}"))).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let bytes = response.bytes().unwrap();
        assert!(!contains(&bytes, b"Exif"), "an EXIF block in the {query:?} copy");
        assert!(!contains(&bytes, b"GPS") && !contains(&bytes, b"PhananhTestCam"));
        let picture = image::load_from_memory(&bytes).unwrap();
        assert_eq!(picture.width().max(picture.height()), longest);
    }
}

#[test]
fn uploads_are_judged_by_their_bytes_and_size() {
    let server = TestServer::start();
    let resident = ResidentDevice::register(&server);
    let token = Some(resident.token.as_str());
    let not_an_image = upload(&server, token, b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec());
    assert_eq!(not_an_image.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_an_image.json::<Value>().unwrap()["error"]["field"], "photo");
    let mut oversize = vec![0xFF, 0xD8, 0xFF, 0xE0];
    oversize.resize(11 * 1024 * 1024, 0);
    let too_large = upload(&server, token, oversize);
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json::<Value>().unwrap()["error"]["field"], "photo");
    let mut truncated = photo_with_gps();
    truncated.truncate(truncated.len() / 2);
    assert_eq!(upload(&server, token, truncated).status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(upload(&server, None, photo_with_gps()).status(), StatusCode::UNAUTHORIZED);
    let unknown =
        Client::new().get(server.url(&format!("/api/v1/photos/{}", uuid::Uuid::now_v7()))).send().unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[test]
fn a_report_carries_only_its_own_devices_photos_and_at_most_five() {
    let server = TestServer::start();
    let resident = ResidentDevice::register(&server);
    let mine = uploaded_id(upload(&server, Some(&resident.token), photo_with_gps()));
    let mut report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    report["photos"] = json!([mine]);
    let response = resident.file(&report).unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.json::<Value>().unwrap()["photos"], json!([mine]));

    let stranger = ResidentDevice::register(&server);
    let mut theirs = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    theirs["photos"] = json!([mine]);
    let refused = stranger.file(&theirs).unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<Value>().unwrap()["error"]["field"], "photos");

    let six: Vec<String> =
        (0..6).map(|_| uploaded_id(upload(&server, Some(&resident.token), photo_with_gps()))).collect();
    let mut crowded = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    crowded["photos"] = json!(six);
    let refused = resident.file(&crowded).unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<Value>().unwrap()["error"]["code"], "too_many");
}

#[test]
fn a_field_report_is_resolved_with_the_wards_after_photo() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &[]);
    let officer = StaffClient::create(&server, data.path(), "hoankiem", "ward", Some("00070"));
    let resident = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1); // drainage: needs an "after" photo
    resident.file(&report).unwrap();
    let id = report["id"].as_str().unwrap();
    assert_eq!(officer.act(id, &json!({ "action": "acknowledge" })).status(), StatusCode::OK);

    let residents_photo = uploaded_id(upload(&server, Some(&resident.token), photo_with_gps()));
    let answer = "Đã nạo vét cống, nước đã rút hết.";
    let refused =
        officer.act(id, &json!({ "action": "resolve", "answer": answer, "after_photos": [residents_photo] }));
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<Value>().unwrap()["error"]["field"], "after_photos");

    let after = uploaded_id(upload(&server, Some(&officer.token), photo_with_gps()));
    let resolved =
        officer.act(id, &json!({ "action": "resolve", "answer": answer, "after_photos": [after] }));
    assert_eq!(resolved.status(), StatusCode::OK);
    let view: Value = resolved.json().unwrap();
    assert_eq!((view["status"].as_str(), &view["after_photos"]), (Some("resolved"), &json!([after])));

    // The resident disputes it; the ward goes back and answers again, showing the same photo
    // beside a new one: both are the report's, each once, in the order they were given.
    let reopen = json!({ "stars": 1, "comment": "Mưa xong lại ngập.", "reopen": true });
    let reopened = resident.post(&format!("/api/v1/reports/{id}/rating"), &reopen);
    assert_eq!(reopened.json::<Value>().unwrap()["status"], "reopened");
    let second = uploaded_id(upload(&server, Some(&officer.token), photo_with_gps()));
    let again =
        json!({ "action": "resolve", "answer": "Đã thông cống lần hai.", "after_photos": [after, second] });
    let resolved = officer.act(id, &again);
    assert_eq!(resolved.status(), StatusCode::OK);
    let view: Value = resolved.json().unwrap();
    assert_eq!((view["status"].as_str(), &view["after_photos"]), (Some("resolved"), &json!([after, second])));
}

/// Files `report` with `photos` as one multipart form, as a phone sends it in one request.
fn file_form(server: &TestServer, resident: &ResidentDevice, report: &Value, photos: &[Vec<u8>]) -> Response {
    let mut form =
        Form::new().part("report", Part::text(report.to_string()).mime_str("application/json").unwrap());
    for (i, photo) in photos.iter().enumerate() {
        form = form.part("photo", Part::bytes(photo.clone()).file_name(format!("IMG_{i}.jpg")));
    }
    Client::new()
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&resident.token)
        .multipart(form)
        .send()
        .unwrap()
}

/// A second, different picture (other pixels, so other bytes).
fn another_photo() -> Vec<u8> {
    let picture = RgbImage::from_fn(480, 640, |x, y| image::Rgb([40, (x % 256) as u8, (y % 256) as u8]));
    let mut jpeg = Vec::new();
    picture.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
    jpeg
}

#[test]
fn a_report_and_its_photos_are_filed_in_one_request_and_a_retry_files_nothing_new() {
    let server = TestServer::start();
    let resident = ResidentDevice::register(&server);
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let photos = [photo_with_gps(), another_photo()];
    let response = file_form(&server, &resident, &report, &photos);
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed: Value = response.json().unwrap();
    assert_eq!(filed["ward"]["code"], "00070");
    let ids = filed["photos"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 2);
    let first = Client::new()
        .get(server.url(&format!("/api/v1/photos/{}", ids[0].as_str().unwrap())))
        .send()
        .unwrap();
    let bytes = first.bytes().unwrap();
    assert!(!contains(&bytes, b"Exif") && !contains(&bytes, SECRET));
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 640, "the photos keep their order");

    // The answer was lost; the phone sends the same form again.
    let retried = file_form(&server, &resident, &report, &photos);
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(retried.json::<Value>().unwrap()["photos"], json!(ids));
    let page: Value = resident.get("/api/v1/reports").json().unwrap();
    assert_eq!(page["reports"].as_array().unwrap().len(), 1);

    let other_photo = file_form(&server, &resident, &report, &[another_photo(), photo_with_gps()]);
    assert_eq!(other_photo.status(), StatusCode::CONFLICT, "the same id with other photos");
}

#[test]
fn bad_forms_are_refused_naming_the_part() {
    let server = TestServer::start();
    let resident = ResidentDevice::register(&server);
    let refusal = |response: Response| {
        let status = response.status();
        let error = response.json::<Value>().unwrap()["error"].clone();
        (status, error["code"].as_str().unwrap().to_owned(), error["field"].as_str().map(str::to_owned))
    };
    let report = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    let six = vec![photo_with_gps(); 6];
    assert_eq!(
        refusal(file_form(&server, &resident, &report, &six)),
        (StatusCode::UNPROCESSABLE_ENTITY, "too_many".into(), Some("photos".into()))
    );
    let mut with_four = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    with_four["photos"] = json!(
        (0..4)
            .map(|_| uploaded_id(upload(&server, Some(&resident.token), another_photo())))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        refusal(file_form(&server, &resident, &with_four, &[photo_with_gps(), another_photo()])),
        (StatusCode::UNPROCESSABLE_ENTITY, "too_many".into(), Some("photos".into())),
        "four uploaded before and two in the form are six"
    );
    let not_an_image = file_form(&server, &resident, &report, &[photo_with_gps(), b"GIF89a....".to_vec()]);
    assert_eq!(
        refusal(not_an_image),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_photo".into(), Some("photo[1]".into()))
    );
    let mut oversize = vec![0xFF, 0xD8, 0xFF, 0xE0];
    oversize.resize(11 * 1024 * 1024, 0);
    assert_eq!(
        refusal(file_form(&server, &resident, &report, &[oversize])),
        (StatusCode::PAYLOAD_TOO_LARGE, "invalid_photo".into(), Some("photo[0]".into()))
    );
    let mut no_description = report.clone();
    no_description.as_object_mut().unwrap().remove("description");
    let (status, _, field) = refusal(file_form(&server, &resident, &no_description, &[photo_with_gps()]));
    assert_eq!((status, field.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("description")));

    let photo_only = Form::new().part("photo", Part::bytes(photo_with_gps()));
    let response = Client::new()
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&resident.token)
        .multipart(photo_only)
        .send();
    assert_eq!(
        refusal(response.unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "required".into(), Some("report".into()))
    );
    let stray =
        Form::new().part("report", Part::text(report.to_string())).part("video", Part::bytes(vec![0; 10]));
    let response = Client::new()
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&resident.token)
        .multipart(stray)
        .send();
    assert_eq!(refusal(response.unwrap()).2.as_deref(), Some("video"));

    // A JSON body keeps the JSON limit, though the route takes photo-sized forms.
    let mut padded = report_at(HOAN_KIEM.0, HOAN_KIEM.1);
    padded["description"] = json!("x".repeat(100 * 1024));
    let response = resident.file(&padded).unwrap();
    assert_eq!(refusal(response).0, StatusCode::PAYLOAD_TOO_LARGE);
    let page: Value = resident.get("/api/v1/reports").json().unwrap();
    assert_eq!(page["reports"], json!([]), "nothing refused was filed");
}
