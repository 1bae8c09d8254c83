//! The dashboards' kept figures (issue 25): after any sequence of filings, staff actions,
//! transfers, duplicates, withdrawals, ratings and reopenings, with the clock moving between
//! them, the figures the dashboards read from the kept counters equal the figures worked out
//! again from every report's history, for the city and each ward, over each day and over the
//! whole span. On both engines (PostgreSQL in a throwaway cluster of this file's own).

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use phananh_server::dashboard::{self, Period};
use phananh_server::reports::{self, FilingBudget};
use phananh_server::staff::{Role, StaffMember};
use phananh_server::store::Store;
use phananh_server::{devices, wards_file};
use phananh_shared::api::{ActionRequest, CancelRequest, NewDevice, RatingRequest, WardRef};
use phananh_shared::dashboard::OVERDUE_LISTED;
use phananh_shared::report::{Category, Location, NewReport, Priority};
use phananh_shared::sla::{SlaPolicy, to_local};
use phananh_shared::wards::WardIndex;
use phananh_tests::postgres::Postgres as Cluster;
use phananh_tests::{HOAN_KIEM, VAN_MIEU, hanoi_wards};
use proptest::prelude::*;
use uuid::Uuid;

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(&["fsync=off"]))
}

/// One step of a history. Reports are picked by their position among those filed so far.
#[derive(Debug, Clone)]
enum Step {
    /// A resident files a report at one of two landmarks (in two wards).
    File {
        at_van_mieu: bool,
        urgent: bool,
    },
    /// A resident files a report at Hoàn Kiếm with an id of the test's choosing (ids put the
    /// overdue list's ties in order).
    FileAs(u128),
    Acknowledge(usize),
    Start(usize),
    Resolve(usize),
    Reject(usize),
    /// Handed to the other landmark's ward.
    Transfer(usize),
    MarkDuplicate(usize, usize),
    Cancel(usize),
    Rate {
        report: usize,
        stars: u8,
        reopen: bool,
    },
    /// The clock moves on, in minutes (up to two days and a half).
    Wait(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let report = 0..12usize;
    prop_oneof![
        3 => (any::<bool>(), any::<bool>()).prop_map(|(at_van_mieu, urgent)| Step::File { at_van_mieu, urgent }),
        2 => report.clone().prop_map(Step::Acknowledge),
        1 => report.clone().prop_map(Step::Start),
        2 => report.clone().prop_map(Step::Resolve),
        1 => report.clone().prop_map(Step::Reject),
        1 => report.clone().prop_map(Step::Transfer),
        1 => (report.clone(), report.clone()).prop_map(|(a, b)| Step::MarkDuplicate(a, b)),
        1 => report.clone().prop_map(Step::Cancel),
        2 => (report, 1..=5u8, any::<bool>()).prop_map(|(report, stars, reopen)| Step::Rate { report, stars, reopen }),
        3 => (1..3600i64).prop_map(Step::Wait),
    ]
}

/// A history played on a new store: who acts, and when.
struct History {
    store: Store,
    wards: Arc<WardIndex>,
    device: Uuid,
    city: StaffMember,
    reports: Vec<Uuid>,
    now: DateTime<Utc>,
    first_day: NaiveDate,
}

impl History {
    async fn play(store: Store, steps: &[Step]) -> History {
        let wards = hanoi_wards();
        wards_file::record(&store, &wards).await.unwrap();
        let device =
            devices::register(&store, NewDevice { name: None, phone: None }).await.unwrap().device_id;
        let city = StaffMember { id: 1, username: "thanhpho".into(), role: Role::City, ward_code: None };
        // A Monday morning of 2026, so that working hours and weekends both come up.
        let now: DateTime<Utc> = "2026-03-02T01:30:00Z".parse().unwrap();
        let mut history =
            History { store, wards, device, city, reports: Vec::new(), now, first_day: to_local(now).date() };
        for step in steps {
            history.apply(step).await;
        }
        history
    }

    fn pick(&self, n: usize) -> Option<Uuid> {
        (!self.reports.is_empty()).then(|| self.reports[n % self.reports.len()])
    }

    /// Plays `step`; a refusal (a move the report's status does not allow, say) changes
    /// nothing and is part of the history too.
    async fn apply(&mut self, step: &Step) {
        let (policy, now, device) = (SlaPolicy::default(), self.now, self.device);
        match *step {
            Step::File { at_van_mieu, urgent } => self.file(at_van_mieu, urgent, Uuid::now_v7()).await,
            Step::FileAs(id) => self.file(false, false, Uuid::from_u128(id)).await,
            Step::Acknowledge(n) => self.act(n, ActionRequest::Acknowledge).await,
            Step::Start(n) => self.act(n, ActionRequest::Start).await,
            Step::Resolve(n) => {
                self.act(
                    n,
                    ActionRequest::Resolve { answer: "Đã xử lý xong".into(), after_photos: Vec::new() },
                )
                .await
            }
            Step::Reject(n) => {
                self.act(n, ActionRequest::Reject { reason: "Không thuộc thẩm quyền".into() }).await
            }
            Step::Transfer(n) => {
                let Some(id) = self.pick(n) else { return };
                let here = self.store.query(move |db| db.report_state(id)).await.unwrap().unwrap().ward;
                let hoan_kiem = self.wards.locate(HOAN_KIEM.0, HOAN_KIEM.1).unwrap().ward.code.clone();
                let van_mieu = self.wards.locate(VAN_MIEU.0, VAN_MIEU.1).unwrap().ward.code.clone();
                let ward = if here == hoan_kiem { van_mieu } else { hoan_kiem };
                self.act(n, ActionRequest::Transfer { ward, reason: "Sai địa bàn".into() }).await
            }
            Step::MarkDuplicate(n, m) => {
                let Some(original) = self.pick(m) else { return };
                self.act(n, ActionRequest::MarkDuplicate { original }).await
            }
            Step::Cancel(n) => {
                let Some(id) = self.pick(n) else { return };
                let cancel = CancelRequest { reason: None };
                let _ = self.store.change(move |db| reports::cancel(db, device, id, cancel, now)).await;
            }
            Step::Rate { report, stars, reopen } => {
                let Some(id) = self.pick(report) else { return };
                let rating = RatingRequest { stars, comment: None, reopen };
                let _ =
                    self.store.change(move |db| reports::rate(db, &policy, device, id, rating, now)).await;
            }
            Step::Wait(minutes) => self.now += TimeDelta::minutes(minutes),
        }
    }

    async fn file(&mut self, at_van_mieu: bool, urgent: bool, id: Uuid) {
        let (lon, lat) = if at_van_mieu { VAN_MIEU } else { HOAN_KIEM };
        let report = NewReport {
            id,
            category: Category::Noise,
            priority: if urgent { Priority::Urgent } else { Priority::Normal },
            description: "Tiếng ồn từ công trường sau 22 giờ".into(),
            location: Location { lon, lat, accuracy_m: Some(10.0) },
            photos: Vec::new(),
        };
        let (policy, budget) = (SlaPolicy::default(), FilingBudget::unlimited());
        reports::file(&self.store, (&self.wards, &policy, &budget), self.device, report, self.now)
            .await
            .unwrap();
        self.reports.push(id);
    }

    async fn act(&self, n: usize, request: ActionRequest) {
        let Some(id) = self.pick(n) else { return };
        let policy = SlaPolicy::default();
        let _ =
            reports::act(&self.store, &self.wards, &policy, self.city.clone(), id, request, self.now).await;
    }

    /// Compares the kept figures with the recomputed ones for the city and each ward the
    /// history touched, over each of its days (and the day after) and over all of them.
    async fn check(&self) -> Result<(), TestCaseError> {
        let last_day = to_local(self.now).date() + TimeDelta::days(1);
        let all: Vec<WardRef> = self.wards.wards().iter().map(WardRef::from).collect();
        let touched: Vec<WardRef> = [HOAN_KIEM, VAN_MIEU]
            .iter()
            .map(|(lon, lat)| WardRef::from(self.wards.locate(*lon, *lat).unwrap().ward))
            .collect();
        let mut periods: Vec<(NaiveDate, NaiveDate)> =
            self.first_day.iter_days().take_while(|d| *d <= last_day).map(|d| (d, d)).collect();
        periods.push((self.first_day, last_day));
        for (from, to) in periods {
            let period = Period { from, to, now: self.now };
            let scopes =
                std::iter::once((all.clone(), false)).chain(touched.iter().map(|w| (vec![w.clone()], true)));
            for (wards, one_ward) in scopes {
                let kept = dashboard::dashboard(&self.store, wards.clone(), one_ward, period).await.unwrap();
                let recomputed =
                    dashboard::recomputed(&self.store, wards.clone(), one_ward, period).await.unwrap();
                let scope = format!(
                    "{}, {} from {from} to {to}",
                    self.store.engine(),
                    if one_ward { wards[0].code.as_str() } else { "the city" }
                );
                prop_assert_eq!(&kept.total, &recomputed.total, "the total, {}", scope);
                for (kept, recomputed) in kept.wards.iter().zip(&recomputed.wards) {
                    prop_assert_eq!(kept, recomputed, "a ward, {}", scope);
                }
                prop_assert_eq!(&kept.overdue, &recomputed.overdue, "the overdue, {}", scope);
                prop_assert_eq!(&kept.days, &recomputed.days, "the days, {}", scope);
                prop_assert_eq!(kept, recomputed, "{}", scope);
            }
        }
        Ok(())
    }
}

fn run(engine: &'static str, cases: u32) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(steps in prop::collection::vec(step(), 1..60))| {
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = match engine {
                "sqlite" => Store::open_in(dir.path()).unwrap(),
                _ => Store::open(Some(&cluster().new_database()), dir.path()).await.unwrap(),
            };
            let history = History::play(store, &steps).await;
            // Asked in a change: the store locks what it finds, for keeping.
            let kept = history.store.change(|db| db.reports_not_kept(None, 1)).await.unwrap();
            prop_assert!(kept.is_empty(), "every report's figures are kept as it is filed");
            history.check().await
        })?;
    });
}

#[test]
fn on_sqlite_the_kept_figures_equal_the_figures_recomputed_from_the_events() {
    run("sqlite", 64);
}

#[test]
fn on_postgresql_the_kept_figures_equal_the_figures_recomputed_from_the_events() {
    run("postgres", 16);
}

/// Undoes the kept figures' migration and the one after it (assignment), as a database of
/// the version before them is.
const BEFORE_KEPT_FIGURES: &str =
    "DROP TABLE kept_reports; DROP TABLE handling_samples; DROP TABLE ward_days;
     DROP INDEX reports_open; DROP INDEX reports_late_ack; DROP INDEX reports_late_handle;
     DROP INDEX reports_by_officer; ALTER TABLE reports DROP COLUMN assigned_to;";

/// A database from before the figures were kept: once migrated, its history is kept at start
/// and the dashboards read the same figures as recomputed from it.
#[test]
fn a_database_from_before_gets_its_history_kept_on_both_engines() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let steps: Vec<Step> = (0..40)
        .flat_map(|n| {
            [
                Step::File { at_van_mieu: n % 3 == 0, urgent: n % 5 == 0 },
                Step::Acknowledge(n),
                Step::Resolve(n / 2),
                Step::Rate { report: n / 3, stars: (n % 5) as u8 + 1, reopen: n % 4 == 0 },
                Step::Transfer(n / 4),
                Step::Wait(97 * n as i64 % 1200),
            ]
        })
        .collect();
    for engine in ["sqlite", "postgres"] {
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = (engine == "postgres").then(|| cluster().new_database());
            let store = Store::open(url.as_deref(), dir.path()).await.unwrap();
            let History { wards, device, city, reports, now, first_day, .. } =
                History::play(store, &steps).await;
            match &url {
                None => {
                    let db = rusqlite::Connection::open(dir.path().join("phananh.db")).unwrap();
                    db.execute_batch(&format!("{BEFORE_KEPT_FIGURES} PRAGMA user_version = 12;")).unwrap();
                }
                Some(url) => {
                    let database = url.rsplit('/').next().unwrap();
                    cluster().psql(
                        database,
                        &format!("{BEFORE_KEPT_FIGURES} UPDATE schema_version SET version = 1;"),
                    );
                }
            }
            let store = Store::open(url.as_deref(), dir.path()).await.unwrap();
            let kept = dashboard::kept::keep_history(&store).await.unwrap();
            assert_eq!(kept, reports.len(), "{engine}: every report of the history is kept");
            assert_eq!(dashboard::kept::keep_history(&store).await.unwrap(), 0, "{engine}: and once");
            let history = History { store, wards, device, city, reports, now, first_day };
            history.check().await.unwrap();
        });
    }
}

/// More reports late than the overdue list shows: it lists the latest [`OVERDUE_LISTED`] in
/// working hours, ties by id, as the recomputation does, and the total counts them all. The
/// reports are filed a minute apart from before the lunch break (so that several share one
/// deadline and others are as late in tenths of an hour with different deadlines), with ids
/// in the reverse order of their deadlines, so the list's last places are decided by ids
/// among reports with later deadlines than the first hundred to be missed.
#[test]
fn the_overdue_list_shows_the_latest_hundred_and_counts_them_all_on_both_engines() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let late = OVERDUE_LISTED + 40;
    let mut steps = vec![Step::Wait(160)]; // from Monday 08:30 in Hà Nội to 11:10
    steps.extend((0..late).flat_map(|n| [Step::FileAs((late - n) as u128), Step::Wait(1)]));
    steps.push(Step::Wait(3 * 24 * 60)); // Thursday: every acknowledgement is late
    for engine in ["sqlite", "postgres"] {
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = (engine == "postgres").then(|| cluster().new_database());
            let store = Store::open(url.as_deref(), dir.path()).await.unwrap();
            let history = History::play(store, &steps).await;
            let all: Vec<WardRef> = history.wards.wards().iter().map(WardRef::from).collect();
            let period =
                Period { from: history.first_day, to: to_local(history.now).date(), now: history.now };
            let board = dashboard::dashboard(&history.store, all, false, period).await.unwrap();
            assert_eq!(board.total.overdue_now, late as u64, "{engine}: every late report counted");
            assert_eq!(board.overdue.len(), OVERDUE_LISTED, "{engine}: the latest listed");
            let ties =
                board.overdue.iter().filter(|o| o.late_hours == board.overdue[OVERDUE_LISTED - 1].late_hours);
            assert!(ties.count() > 1, "{engine}: the list ends among ties");
            history.check().await.unwrap();
        });
    }
}
