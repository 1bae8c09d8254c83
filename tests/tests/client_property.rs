//! A property of the sync engine: whatever the interleaving of offline edits, syncs and link
//! failures, a device ends where the same edits made over a perfect link end.
//!
//! Each case is a random sequence of steps (file a report, comment on one already filed,
//! sync over a link with some share of its exchanges broken). One device runs the steps
//! through the faulty proxy; a twin device runs the same edits straight to the server and
//! syncs at the same points. After a last sync over a good link, both must hold the same
//! reports (by content), the server the same comments on each, and neither anything waiting
//! or refused.

use phananh_tests::{Faults, FaultyProxy, NO_RATE_LIMITS, StaffClient, TestDevice, TestServer, noise_report};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use uuid::Uuid;

/// Points the reports are filed at, in different wards.
const PLACES: [(f64, f64); 4] =
    [(105.8525, 21.0288), (105.8355, 21.0293), (105.8190, 21.0580), (105.8680, 20.9950)];

#[derive(Debug, Clone)]
enum Step {
    File {
        place: usize,
    },
    /// A comment on the `nth` report filed so far (modulo how many there are).
    Comment {
        nth: usize,
    },
    /// A sync over a link with this share of exchanges given a fault.
    Sync {
        faults: f64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..PLACES.len()).prop_map(|place| Step::File { place }),
        2 => any::<usize>().prop_map(|nth| Step::Comment { nth }),
        2 => prop::sample::select(vec![0.0, 0.5, 0.9]).prop_map(|faults| Step::Sync { faults }),
    ]
}

/// What a device ends with, without what differs between two devices (ids, times).
#[derive(Debug, PartialEq)]
struct EndState {
    /// Oldest first: ward, status, description, comments on the server.
    reports: Vec<(String, String, String, usize)>,
    waiting: u64,
    refused: usize,
}

struct Device {
    engine: TestDevice,
    filed: Vec<Uuid>,
}

impl Device {
    fn new(server: &str) -> Device {
        Device { engine: TestDevice::open(server), filed: Vec::new() }
    }

    async fn edit(&mut self, step: &Step, n: usize) {
        match step {
            Step::File { place } => {
                let (lon, lat) = PLACES[*place];
                let mut report = noise_report(lon, lat);
                report.description = format!("Phản ánh số {n}: tiếng ồn từ công trình ban đêm.");
                self.filed.push(self.engine.file_report(report).await.unwrap().id);
            }
            Step::Comment { nth } if !self.filed.is_empty() => {
                let report = self.filed[nth % self.filed.len()];
                self.engine.comment(report, format!("Bổ sung lần {n}: vẫn còn ồn.")).await.unwrap();
            }
            Step::Comment { .. } | Step::Sync { .. } => {}
        }
    }

    /// Read outside the runtime: the staff client blocks.
    fn end_state(&self, runtime: &tokio::runtime::Runtime, city: &StaffClient) -> EndState {
        let cached = runtime.block_on(self.engine.reports()).unwrap();
        let reports = self
            .filed
            .iter()
            .map(|id| {
                let view = cached.iter().find(|r| r.id == *id).and_then(|r| r.view.clone()).expect("synced");
                let events: Vec<Value> = city.get(&format!("/api/v1/reports/{id}/events")).json().unwrap();
                let comments = events.iter().filter(|e| e["kind"] == "commented").count();
                (view.ward.code, view.status.code().to_owned(), view.description, comments)
            })
            .collect();
        let status = runtime.block_on(self.engine.status()).unwrap();
        EndState { reports, waiting: status.waiting, refused: status.refused.len() }
    }
}

#[test]
fn any_interleaving_of_edits_syncs_and_failures_ends_as_over_a_perfect_link() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), NO_RATE_LIMITS);
    let city = StaffClient::create(&server, data.path(), "thanhpho", "city", None);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    runner
        .run(&(prop::collection::vec(step(), 1..25), any::<u64>()), |(steps, seed)| {
            let proxy =
                FaultyProxy::start(server.url("").trim_start_matches("http://"), Faults { seed, share: 0.0 });
            let mut flaky = Device::new(&proxy.url());
            let mut twin = Device::new(&server.url(""));
            runtime.block_on(async {
                for (n, step) in steps.iter().enumerate() {
                    flaky.edit(step, n).await;
                    twin.edit(step, n).await;
                    if let Step::Sync { faults } = step {
                        proxy.set_share(*faults);
                        // Failures are the point: the flaky device may or may not get through.
                        let _ = flaky.engine.sync_once().await;
                        twin.engine.sync_once().await.unwrap();
                    }
                }
                proxy.set_share(0.0);
                flaky.engine.sync_once().await.unwrap();
                twin.engine.sync_once().await.unwrap();
            });
            let (flaky, twin) = (flaky.end_state(&runtime, &city), twin.end_state(&runtime, &city));
            prop_assert_eq!(flaky.waiting, 0);
            prop_assert_eq!(flaky.refused, 0);
            prop_assert_eq!(flaky, twin);
            Ok(())
        })
        .unwrap();
}
