//! Staff accounts for tests: created with the real `create-staff` command, signed in over HTTP.

use std::path::Path;

use crate::{TestServer, run_server};

/// Creates a staff account on the data directory of a (running or stopped) server with
/// `phananh-server create-staff`, the password on stdin, as an administrator would.
pub fn create_staff(data_dir: &Path, username: &str, role: &str, ward: Option<&str>) -> std::process::Output {
    let data_dir = data_dir.to_str().expect("a UTF-8 path");
    let mut args = vec!["create-staff", "--username", username, "--role", role, "--data-dir", data_dir];
    args.extend(ward.map(|ward| ["--ward", ward]).into_iter().flatten());
    run_server(&args, STAFF_PASSWORD)
}

/// The password test accounts get.
pub const STAFF_PASSWORD: &str = "mật-khẩu-đủ-dài-2025\n";

/// A signed-in staff member's client.
pub struct StaffClient {
    pub token: String,
    client: reqwest::blocking::Client,
    base: String,
}

impl StaffClient {
    /// Creates the account (see [`create_staff`]) and signs in on `server`.
    pub fn create(
        server: &TestServer,
        data_dir: &Path,
        username: &str,
        role: &str,
        ward: Option<&str>,
    ) -> StaffClient {
        let created = create_staff(data_dir, username, role, ward);
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        StaffClient::sign_in(server, username)
    }

    /// Signs in on `server` as `username` (made already, with the tests' password).
    pub fn sign_in(server: &TestServer, username: &str) -> StaffClient {
        let client = reqwest::blocking::Client::new();
        let login = client
            .post(server.url("/api/v1/staff/login"))
            .json(&serde_json::json!({ "username": username, "password": STAFF_PASSWORD.trim_end() }))
            .send()
            .expect("the server answers");
        assert_eq!(login.status(), reqwest::StatusCode::OK);
        let answer: serde_json::Value = login.json().expect("JSON");
        StaffClient {
            token: answer["token"].as_str().expect("a token").to_owned(),
            client,
            base: server.url(""),
        }
    }

    /// Posts `action` (a JSON body) on report `id`.
    pub fn act(&self, id: &str, action: &serde_json::Value) -> reqwest::blocking::Response {
        self.client
            .post(format!("{}/api/v1/reports/{id}/actions", self.base))
            .bearer_auth(&self.token)
            .json(action)
            .send()
            .expect("the server answers")
    }

    /// POSTs the JSON `body` to `path` with this staff member's token.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::blocking::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .expect("the server answers")
    }

    /// GETs `path` with this staff member's token.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .expect("the server answers")
    }
}
