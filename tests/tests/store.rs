//! The store conformance suite: each scenario runs against both engines, SQLite and
//! PostgreSQL (a throwaway cluster started here), each on a new database, and must give the
//! answers written in it, the same on both.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use phananh_server::staff::Role;
use phananh_server::store::postgres::Postgres;
use phananh_server::store::{
    About, Breach, Cursor, Db, DossierRecord, DossierState, DossierUpdate, EventFilter, EventRecord, Holder,
    ListFilter, Missed, PhotoRecord, Published, Rating, ReportChange, ReportContact, ReportRecord,
    ReportState, Store, StoreError, Subject, SyncAnswer, TrackingFailures, WardRecord,
};
use phananh_shared::api::{Change, Event, ReportView, Reporter, WardRef};
use phananh_shared::dossier::{DossierChange, DossierContact, DossierStatus};
use phananh_shared::report::{Category, Location, Priority, Reference};
use phananh_shared::sla::Deadlines;
use phananh_shared::status::Status;
use phananh_shared::wards::Match;
use phananh_tests::postgres::Postgres as Cluster;
use uuid::Uuid;

/// The cluster this file's tests share, each in a database of its own.
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(&["fsync=off"]))
}

/// One engine on a new, empty database (and SQLite's data directory, removed when the engine
/// is dropped).
struct Engine {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    async fn both() -> [Engine; 2] {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Store::open_in(dir.path()).unwrap();
        let postgres = Store::open(Some(&cluster().new_database()), dir.path()).await.unwrap();
        [Engine { store: sqlite, _dir: Some(dir) }, Engine { store: postgres, _dir: None }]
    }

    fn name(&self) -> &'static str {
        self.store.engine()
    }

    /// Runs `change` in one transaction: committed if it answers `Ok`.
    async fn change<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.store.change(change).await
    }

    async fn query<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    ) -> T {
        self.store.query(query).await.unwrap()
    }
}

/// 2026-03-02 08:00 UTC and `minutes` later.
fn at(minutes: i64) -> DateTime<Utc> {
    "2026-03-02T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(minutes)
}

fn hash(text: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(text).to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_known_by_its_token_until_it_is_given_another() {
    for engine in Engine::both().await {
        let device = Uuid::now_v7();
        engine
            .change(move |db| db.add_device(device, &hash("first"), Some("Lan"), Some("0912 345 678"), at(0)))
            .await
            .unwrap();
        let holder = |token: &'static str| engine.query(move |db| db.token_holder(&hash(token)));
        assert_eq!(holder("first").await, Some(Holder::Resident(device)), "{}", engine.name());
        assert_eq!(holder("nobody's").await, None, "{}", engine.name());

        engine.change(move |db| db.set_token(device, &hash("second"))).await.unwrap();
        assert_eq!(holder("first").await, None, "{}: the old token ends", engine.name());
        assert_eq!(holder("second").await, Some(Holder::Resident(device)), "{}", engine.name());

        let taken =
            engine.change(move |db| db.add_device(Uuid::now_v7(), &hash("second"), None, None, at(1))).await;
        assert!(taken.is_err(), "{}: a token is one device's", engine.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_code_moves_a_device_once_before_it_expires_and_a_new_one_replaces_it() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (device, other) = (Uuid::now_v7(), Uuid::now_v7());
        engine
            .change(move |db| {
                db.add_device(device, &hash("device"), None, None, at(0))?;
                db.add_device(other, &hash("other"), None, None, at(0))
            })
            .await
            .unwrap();
        let put = |who, code: &'static str, now| {
            engine.change(move |db| db.put_transfer_code(who, &hash(code), at(now), at(now + 10)))
        };
        let spend =
            |code: &'static str, now| engine.change(move |db| db.spend_transfer_code(&hash(code), at(now)));

        put(device, "A", 0).await.unwrap();
        assert_eq!(spend("A", 9).await.unwrap(), Some(device), "{name}: good for ten minutes");
        assert_eq!(spend("A", 9).await.unwrap(), None, "{name}: once");

        put(device, "B", 20).await.unwrap();
        assert_eq!(spend("B", 30).await.unwrap(), None, "{name}: expired at ten minutes");

        put(device, "C", 40).await.unwrap();
        put(other, "D", 41).await.unwrap();
        put(device, "E", 42).await.unwrap();
        assert_eq!(spend("C", 43).await.unwrap(), None, "{name}: a new code replaces the device's old one");
        assert_eq!(spend("D", 43).await.unwrap(), Some(other), "{name}: and leaves another device's");
        assert_eq!(spend("E", 43).await.unwrap(), Some(device), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_device_is_no_more_and_a_failed_change_leaves_nothing() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (from, into) = (Uuid::now_v7(), Uuid::now_v7());
        engine
            .change(move |db| {
                db.add_device(from, &hash("from"), None, None, at(0))?;
                db.add_device(into, &hash("into"), None, None, at(0))?;
                db.put_transfer_code(from, &hash("code"), at(0), at(10))
            })
            .await
            .unwrap();
        engine.change(move |db| db.merge_devices(from, into)).await.unwrap();
        let holders =
            engine.query(|db| Ok((db.token_holder(&hash("from"))?, db.token_holder(&hash("into"))?))).await;
        assert_eq!(holders, (None, Some(Holder::Resident(into))), "{name}");
        assert_eq!(
            engine.change(|db| db.spend_transfer_code(&hash("code"), at(1))).await.unwrap(),
            None,
            "{name}"
        );
        assert_eq!(engine.query(move |db| db.reports_filed_by(into)).await, Vec::<Uuid>::new(), "{name}");

        // A change that fails half-way stores none of what it did.
        let half = engine
            .change(move |db| {
                db.add_device(Uuid::now_v7(), &hash("half"), None, None, at(2))?;
                db.add_device(Uuid::now_v7(), &hash("into"), None, None, at(2))
            })
            .await;
        assert!(half.is_err(), "{name}: the second device's token is taken");
        assert_eq!(engine.query(|db| db.token_holder(&hash("half"))).await, None, "{name}: rolled back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open311_key_is_a_clients_and_a_client_name_is_one_clients() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (client, resident) = (Uuid::now_v7(), Uuid::now_v7());
        let added = engine
            .change(move |db| {
                db.add_device(client, &hash("key"), Some("Tổng đài 1022"), None, at(0))?;
                db.add_device(resident, &hash("resident"), None, None, at(0))?;
                db.add_open311_client(client, "Tổng đài 1022", at(0))
            })
            .await
            .unwrap();
        assert!(added, "{name}");
        let again =
            engine.change(move |db| db.add_open311_client(resident, "Tổng đài 1022", at(1))).await.unwrap();
        assert!(!again, "{name}: the name is taken");
        let answers = engine
            .query(|db| {
                Ok((
                    db.open311_client(&hash("key"))?,
                    db.open311_client(&hash("resident"))?,
                    db.token_holder(&hash("key"))?,
                ))
            })
            .await;
        assert_eq!(answers, (Some(client), None, Some(Holder::Open311Client)), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sessions_end_when_signed_out_expired_or_the_account_is_disabled() {
    for engine in Engine::both().await {
        let name = engine.name();
        let in_force = "2025-07-01".parse().unwrap();
        let ward =
            |name: &str| WardRecord { code: "00070".into(), name: name.into(), name_en: None, kind: "ward" };
        let (first, later) = (ward("Phường Hoàn Kiếm"), ward("Phường Hoàn Kiếm (mới)"));
        let ids = engine
            .change(move |db| {
                db.record_wards(in_force, None, &[first])?;
                db.record_wards("2026-01-01".parse().unwrap(), None, &[later])?;
                let lan = db.add_staff("lan", "hash-lan", Role::Ward, Some("00070"), at(0))?;
                let minh = db.add_staff("minh", "hash-minh", Role::City, None, at(0))?;
                let again = db.add_staff("lan", "hash-2", Role::City, None, at(0))?;
                db.add_staff("lanhdao", "hash-lead", Role::WardLead, Some("00070"), at(0))?;
                Ok((lan, minh, again))
            })
            .await
            .unwrap();
        let (Some(lan), Some(_), None) = ids else {
            panic!("{name}: {ids:?}: two accounts, then a username taken")
        };
        let names = engine
            .query(move |db| Ok((db.ward_name("00070", Some(in_force))?, db.ward_name("00070", None)?)))
            .await;
        assert_eq!(names, (Some("Phường Hoàn Kiếm".into()), Some("Phường Hoàn Kiếm (mới)".into())), "{name}");
        let account = engine.query(|db| db.account("lan")).await.expect("an account");
        assert_eq!(
            (account.member.id, account.member.role, account.member.ward_code.as_deref()),
            (lan, Role::Ward, Some("00070")),
            "{name}"
        );
        assert_eq!(
            (account.ward_name.as_deref(), account.password_hash.as_str(), account.disabled),
            (Some("Phường Hoàn Kiếm (mới)"), "hash-lan", false),
            "{name}: the newest name of the ward"
        );
        let lead = engine.query(|db| db.account("lanhdao")).await.expect("a lead's account");
        assert_eq!(
            (lead.member.role, lead.member.ward_code.as_deref()),
            (Role::WardLead, Some("00070")),
            "{name}"
        );

        for (token, minutes) in [("one", 0), ("two", 1), ("three", 2)] {
            engine
                .change(move |db| db.add_session(&hash(token), lan, at(minutes), at(minutes + 60)))
                .await
                .unwrap();
        }
        let in_force_at = |token: &'static str, now| {
            engine.query(move |db| Ok(db.session(&hash(token), at(now))?.map(|(_, in_force)| in_force)))
        };
        assert_eq!(in_force_at("one", 59).await, Some(true), "{name}");
        assert_eq!(in_force_at("one", 60).await, Some(false), "{name}: expired at its end");
        assert_eq!(in_force_at("nobody's", 0).await, None, "{name}");
        assert_eq!(engine.query(|db| db.session_ends(&hash("two"))).await, Some(at(61)), "{name}");

        let ended = engine.change(|db| db.end_sessions(&hash("one"), false, at(5))).await.unwrap();
        assert_eq!(
            (ended, in_force_at("one", 6).await, in_force_at("two", 6).await),
            (1, Some(false), Some(true))
        );
        let everywhere = engine.change(|db| db.end_sessions(&hash("two"), true, at(7))).await.unwrap();
        assert_eq!((everywhere, in_force_at("three", 8).await), (2, Some(false)), "{name}: two and three");

        engine.change(move |db| db.add_session(&hash("four"), lan, at(10), at(70))).await.unwrap();
        let disabled = engine.change(|db| db.disable_staff("lan", at(11))).await.unwrap();
        assert_eq!(disabled, Some(1), "{name}: its one session in force ends");
        assert_eq!(engine.change(|db| db.disable_staff("nobody", at(11))).await.unwrap(), None, "{name}");
        assert!(engine.query(|db| db.account("lan")).await.unwrap().disabled, "{name}");
        assert_eq!(
            engine.query(|db| db.session_ends(&hash("four"))).await,
            None,
            "{name}: its account is closed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once_and_a_newer_schema_is_refused() {
    let url = cluster().new_database();
    let database = url.rsplit('/').next().unwrap();
    let (a, b, c) = tokio::join!(Postgres::connect(&url), Postgres::connect(&url), Postgres::connect(&url));
    for node in [a, b, c] {
        assert!(node.is_ok(), "every node starts: {:?}", node.err());
    }
    let tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
    assert_eq!(cluster().psql(database, "SELECT version FROM schema_version").trim(), "3");
    let before = cluster().psql(database, tables);

    cluster().psql(database, "UPDATE schema_version SET version = 99");
    let refused = Postgres::connect(&url).await.err();
    assert!(matches!(refused, Some(StoreError::TooNew { found: 99, known: 3 })), "{refused:?}");
    assert_eq!(cluster().psql(database, tables), before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_known_by_its_id_and_unattached_ones_are_purged_with_the_files_no_other_shares() {
    for engine in Engine::both().await {
        let name = engine.name();
        let upload = |sha256: &str, minutes| PhotoRecord {
            id: Uuid::now_v7(),
            sha256: sha256.repeat(64),
            kind: "jpeg",
            width: 4000,
            height: 3000,
            bytes: 3_500_000,
            uploaded_by: "device:0197a3c2-0000-7000-8000-000000000001".into(),
            at: at(minutes),
        };
        let (old_shared, old_alone, new_shared) = (upload("a", 0), upload("b", 0), upload("a", 30));
        let records = [old_shared.clone(), old_alone.clone(), new_shared.clone()];
        engine.change(move |db| records.iter().try_for_each(|photo| db.add_photo(photo))).await.unwrap();
        let id = old_alone.id;
        assert_eq!(
            engine.query(move |db| db.photo(id)).await,
            Some((old_alone.uploaded_by.clone(), "b".repeat(64))),
            "{name}"
        );
        assert_eq!(engine.query(|db| db.photo(Uuid::now_v7())).await, None, "{name}");

        let purged = engine.change(|db| db.purge_unattached(at(10))).await.unwrap();
        assert_eq!(
            purged,
            (2, vec!["b".repeat(64)]),
            "{name}: the files of \"a\" are still the newer upload's"
        );
        let left =
            engine.query(move |db| Ok((db.photo(old_shared.id)?, db.photo(new_shared.id)?.is_some()))).await;
        assert_eq!(left, (None, true), "{name}");
    }
}

/// Hoàn Kiếm (in force from 2025-07-01) and one device, `device`.
fn a_ward_and_a_device(db: &mut dyn Db, device: Uuid) -> Result<(), StoreError> {
    let ward =
        WardRecord {
            code: "00070".into(), name: "Phường Hoàn Kiếm".into(), name_en: None, kind: "ward"
        };
    db.record_wards("2025-07-01".parse().unwrap(), None, &[ward])?;
    db.add_device(device, &hash(&device.to_string()), None, None, at(0))
}

/// Ba Đình, a second ward in force from 2025-07-01.
fn ba_dinh(db: &mut dyn Db) -> Result<(), StoreError> {
    let ward =
        WardRecord { code: "00004".into(), name: "Phường Ba Đình".into(), name_en: None, kind: "ward" };
    db.record_wards("2025-07-01".parse().unwrap(), None, &[ward])
}

/// A dossier of Hoàn Kiếm's desk (registered by staff 1), received `minutes` after the start,
/// due two days later.
fn dossier(id: Uuid, code: &str, minutes: i64) -> DossierRecord {
    DossierRecord {
        id,
        code: code.into(),
        procedure: "birth-registration".into(),
        ward: "00070".into(),
        contact: DossierContact {
            applicant: "Trần Văn Minh".into(),
            phone: Some("0987 654 321".into()),
            email: None,
        },
        secret_hash: hash("secret"),
        status: DossierStatus::Received,
        received_at: at(minutes),
        received_by: 1,
        due_at: at(minutes + 2880),
    }
}

/// A report of `device`'s, received `minutes` after the start.
fn report(device: Uuid, minutes: i64) -> ReportRecord {
    ReportRecord {
        id: Uuid::now_v7(),
        device,
        content_hash: hash("content"),
        category: "roads".into(),
        priority: "normal".into(),
        description: "Ổ gà sâu giữa đường Tràng Tiền".into(),
        lon: 105.8542,
        lat: 21.0245,
        accuracy_m: Some(12.5),
        ward_code: "00070".into(),
        ward_valid_from: "2025-07-01".parse().unwrap(),
        ward_match: "inside".into(),
        ward_distance_m: 0.0,
        status: "submitted".into(),
        received_at: at(minutes),
        deadline_ack: at(minutes + 480),
        deadline_handle: at(minutes + 4800),
    }
}

/// Files `report` with its `filed` event, as filing does: its reference and event number.
fn file(db: &mut dyn Db, report: &ReportRecord) -> Result<(u64, u64), StoreError> {
    let number = db.insert_report(report)?;
    let data = serde_json::json!({ "kind": "filed", "status": "submitted" });
    let seq = db.append_event(Subject::Report(report.id), "00070", report.received_at, "device:x", &data)?;
    Ok((number, seq))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_numbered_and_events_follow_in_one_sequence_that_a_rollback_leaves_without_a_gap() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        let (first, second) = (report(device, 0), report(device, 1));
        let (id, again) = (first.id, first.clone());
        let filed = engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                Ok((file(db, &first)?, file(db, &second)?))
            })
            .await
            .unwrap();
        assert_eq!(filed, ((1, 1), (2, 2)), "{name}: references and event numbers from 1");
        assert_eq!(
            engine.query(move |db| db.report_owner(id)).await,
            Some((device, hash("content"))),
            "{name}"
        );
        let follower = Uuid::now_v7();
        let follows = engine
            .change(move |db| {
                db.add_device(follower, &hash("follower"), None, None, at(1))?;
                Ok((
                    db.add_follower(id, follower, at(1))?,
                    db.add_follower(id, follower, at(2))?,
                    db.followers(id)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(follows, (true, false, 1), "{name}: a device follows a report once");
        let ward = engine.query(move |db| Ok((db.report_ward(id)?, db.report_ward(Uuid::now_v7())?))).await;
        assert_eq!(ward, (Some("00070".into()), None), "{name}");
        assert_eq!(engine.query(move |db| db.reports_followed_by(follower)).await, vec![id], "{name}");
        assert!(engine.change(move |db| file(db, &again)).await.is_err(), "{name}: an id is one report's");

        // A change that fails after taking numbers gives them back: the next has them.
        let failed = engine
            .change(move |db| {
                file(db, &report(device, 2))?;
                db.add_device(device, &hash("taken"), None, None, at(2))
            })
            .await;
        assert!(failed.is_err(), "{name}");
        let next = engine.change(move |db| file(db, &report(device, 3))).await.unwrap();
        assert_eq!(next, (3, 3), "{name}: no gap where the failed change was");

        let noted = serde_json::json!({ "kind": "commented", "text": "Đã cử người xuống kiểm tra" });
        let data = noted.clone();
        let seq = engine
            .change(move |db| db.append_event(Subject::Report(id), "00070", at(5), "staff:1", &data))
            .await
            .unwrap();
        assert_eq!(seq, 4, "{name}");
        let events = engine.query(|db| Ok((db.newest_event()?, db.events_after(2, 10)?))).await;
        let expected = EventRecord {
            seq: 4,
            subject: Subject::Report(id),
            ward_code: "00070".into(),
            kind: "commented".into(),
            at: at(5),
            actor: "staff:1".into(),
            data: noted,
        };
        assert_eq!(events.0, 4, "{name}");
        assert_eq!(events.1.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4], "{name}");
        assert_eq!(events.1[1], expected, "{name}");
    }
}

/// The sequence across nodes (issue 24, item 3): three nodes share one PostgreSQL database;
/// on each, writers file reports at once while a reader on a fourth walks the events after
/// the last it saw. If a later number could commit before an earlier one, the reader would
/// see the later, move past the earlier, and miss it for good: it must only ever see the
/// numbers that follow its last, and in the end every event, once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_sequence_is_gap_free_and_in_commit_order_under_writers_on_three_nodes() {
    const WRITERS_PER_NODE: usize = 4;
    const FILINGS_EACH: usize = 25;
    let url = cluster().new_database();
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(Postgres::connect(&url).await.unwrap());
    }
    let device = Uuid::now_v7();
    nodes[0].change(move |db| a_ward_and_a_device(db, device)).await.unwrap();

    let reader = nodes[3].clone();
    let total = (3 * WRITERS_PER_NODE * FILINGS_EACH) as u64;
    let reading = tokio::spawn(async move {
        let (mut last, mut seen) = (0u64, Vec::new());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while last < total {
            assert!(std::time::Instant::now() < deadline, "all {total} events within a minute; saw {last}");
            let batch = reader.query(move |db| db.events_after(last, 1000)).await.unwrap();
            for event in batch {
                assert_eq!(event.seq, last + 1, "after {last} the reader must see {} next", last + 1);
                last = event.seq;
                seen.push(event.subject);
            }
            tokio::task::yield_now().await;
        }
        seen
    });
    let mut writers = Vec::new();
    for node in &nodes[..3] {
        for _ in 0..WRITERS_PER_NODE {
            let node = node.clone();
            writers.push(tokio::spawn(async move {
                let mut numbers = Vec::new();
                for minute in 0..FILINGS_EACH {
                    let filing = report(device, minute as i64);
                    // Each change holds its numbers a moment before it commits, as a slow one
                    // would: time for a later number to commit first, were that possible.
                    let pause = std::time::Duration::from_micros(rand::random_range(0..3000));
                    let filed = node.change(move |db| {
                        let numbers = file(db, &filing)?;
                        std::thread::sleep(pause);
                        Ok::<_, StoreError>(numbers)
                    });
                    numbers.push(filed.await.unwrap());
                }
                numbers
            }));
        }
    }
    let mut filed = Vec::new();
    for writer in writers {
        filed.extend(writer.await.unwrap());
    }
    let seen = reading.await.unwrap();

    assert_eq!(seen.len() as u64, total, "every event seen once");
    let mut references: Vec<u64> = filed.iter().map(|(number, _)| *number).collect();
    let mut sequence: Vec<u64> = filed.iter().map(|(_, seq)| *seq).collect();
    references.sort_unstable();
    sequence.sort_unstable();
    assert_eq!(references, (1..=total).collect::<Vec<_>>(), "each reference once");
    assert_eq!(sequence, (1..=total).collect::<Vec<_>>(), "each event number once");
    assert!(filed.iter().all(|(number, seq)| number == seq), "one report, one event: numbered alike");
}

/// Waits until `newest` has reached `seq`, for at most ten seconds.
async fn hears_of(newest: &mut tokio::sync::watch::Receiver<u64>, seq: u64, what: &str) {
    let heard =
        tokio::time::timeout(std::time::Duration::from_secs(10), newest.wait_for(|newest| *newest >= seq));
    assert!(matches!(heard.await, Ok(Ok(_))), "{what}: event {seq} not heard of within 10 s");
}

/// Files one report on `node`, retrying while the database is unavailable (as a client told
/// 503 does) for at most twenty seconds: its event's number.
async fn file_on(node: &Postgres, device: Uuid) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let filing = report(device, 0);
        match node.change(move |db| file(db, &filing)).await {
            Ok((_, seq)) => return seq,
            Err(StoreError::Unavailable(why)) if std::time::Instant::now() < deadline => {
                eprintln!("unavailable, retrying: {why}");
                tokio::task::yield_now().await;
            }
            Err(error) => panic!("filing failed: {error}"),
        }
    }
}

/// Live updates across nodes (issue 24, item 4): a node hears of another's commits through
/// LISTEN/NOTIFY, and its listener, cut off or through a restart of the database, connects
/// again by itself and misses nothing (the table is the truth, read again on reconnecting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_hears_of_another_nodes_commits_and_its_listener_comes_back_after_losing_the_database() {
    // A cluster of its own: it is restarted here, which the other tests must not meet.
    let own = Cluster::start(&["fsync=off"]);
    let url = own.new_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let device = Uuid::now_v7();
    a.change(move |db| a_ward_and_a_device(db, device)).await.unwrap();
    let mut newest = b.newest_event();

    let first = file_on(&a, device).await;
    hears_of(&mut newest, first, "committed on the other node").await;

    let cut = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{}'",
        phananh_server::store::postgres::LISTENER_NAME
    );
    // Node b's listener at least (it heard of the first); node a's too, if it is connected.
    let cut_off: u32 = own.psql(&database, &cut).trim().parse().unwrap();
    assert!((1..=2).contains(&cut_off), "the nodes' listeners: {cut_off}");
    let second = file_on(&a, device).await;
    hears_of(&mut newest, second, "after its listener was cut off").await;

    own.restart();
    let third = file_on(&a, device).await;
    hears_of(&mut newest, third, "after the database restarted").await;
    assert_eq!((first, second, third), (1, 2, 3));
}

/// The SLA watcher's leader (issue 24, item 5): one node at a time holds the lock; when its
/// session is cut (as when its node dies) it hears that it lost it and the waiting node takes
/// it; a node that stops lets the next take it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_at_a_time_and_another_takes_over_when_the_leader_is_lost() {
    use phananh_server::store::postgres::SLA_WATCHER;
    use std::time::Duration;
    let url = cluster().new_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());

    let mut leading = a.lead(SLA_WATCHER).await.unwrap();
    let other = b.clone();
    let mut waiting = tokio::spawn(async move { other.lead(SLA_WATCHER).await });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut waiting).await.is_err(),
        "b waits while a leads"
    );

    // The holder of an advisory lock of this database (the cluster is shared with other tests).
    let cut = "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    assert_eq!(cluster().psql(&database, cut).trim(), "1", "one holder");
    let lost = tokio::time::timeout(Duration::from_secs(10), leading.lost()).await;
    assert!(lost.is_ok(), "a hears that it lost the lead");
    let taken = tokio::time::timeout(Duration::from_secs(10), waiting).await;
    let b_leads = match taken {
        Ok(Ok(Ok(leadership))) => leadership,
        _ => panic!("b takes the lead within 10 s of a losing it"),
    };
    assert!(
        tokio::time::timeout(Duration::from_millis(500), a.lead(SLA_WATCHER)).await.is_err(),
        "one at a time"
    );

    drop(b_leads);
    let again = tokio::time::timeout(Duration::from_secs(10), a.lead(SLA_WATCHER)).await;
    assert!(matches!(again, Ok(Ok(_))), "a leads again once b stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operations_answer_is_kept_once_and_follows_its_device_into_another() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (from, into, operation) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let answer = SyncAnswer {
            device: from,
            request_hash: hash("operation"),
            answer: r#"{"outcome":"accepted"}"#.into(),
        };
        let kept = answer.clone();
        let filing = report(from, 0);
        let filed = filing.id;
        engine
            .change(move |db| {
                a_ward_and_a_device(db, from)?;
                db.add_device(into, &hash("into"), None, None, at(0))?;
                file(db, &filing)?;
                db.record_sync_answer(operation, &kept, at(1))
            })
            .await
            .unwrap();
        assert_eq!(engine.query(move |db| db.sync_answer(operation)).await, Some(answer.clone()), "{name}");
        assert_eq!(engine.query(|db| db.sync_answer(Uuid::now_v7())).await, None, "{name}");
        let again = answer.clone();
        let twice = engine.change(move |db| db.record_sync_answer(operation, &again, at(2))).await;
        assert!(twice.is_err(), "{name}: an operation is answered once");

        engine.change(move |db| db.merge_devices(from, into)).await.unwrap();
        let moved =
            engine.query(move |db| Ok((db.sync_answer(operation)?, db.reports_filed_by(into)?))).await;
        assert_eq!(moved, (Some(SyncAnswer { device: into, ..answer }), vec![filed]), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_passed_deadline_is_found_until_its_breach_is_recorded_once() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        let (first, second) = (report(device, 0), report(device, 1));
        let (one, two) = (first.id, second.id);
        engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                file(db, &first)?;
                file(db, &second).map(drop)
            })
            .await
            .unwrap();
        assert_eq!(
            engine.query(|db| db.next_deadline()).await,
            Some(at(480)),
            "{name}: the first to acknowledge"
        );
        assert_eq!(engine.query(|db| db.passed_deadlines(at(479))).await, [], "{name}");
        let breach = |id, missed, minutes| Breach { deadline: at(minutes), id, ward: "00070".into(), missed };
        let due = engine.query(|db| db.passed_deadlines(at(480))).await;
        assert_eq!(due, [breach(one, Missed::Acknowledgement, 480)], "{name}");

        let recorded = engine
            .change(move |db| Ok((db.record_breach(&due[0])?, db.record_breach(&due[0])?)))
            .await
            .unwrap();
        assert_eq!(recorded, (true, false), "{name}: once");
        assert_eq!(engine.query(|db| db.next_deadline()).await, Some(at(481)), "{name}");
        let mut later = engine.query(|db| db.passed_deadlines(at(4801))).await;
        later.sort_by_key(|breach| (breach.deadline, breach.missed, breach.id));
        let expected = [
            breach(two, Missed::Acknowledgement, 481),
            breach(one, Missed::Handling, 4800),
            breach(two, Missed::Handling, 4801),
        ];
        assert_eq!(later, expected, "{name}");
    }
}

/// A change that meets a store error must give it back. On PostgreSQL the failed statement
/// has ended the transaction: a change that went on as if nothing happened is refused, and
/// nothing of it is stored (were it committed, PostgreSQL would store nothing and still
/// answer that it had).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_change_that_swallows_a_store_error_is_refused_and_stores_nothing() {
    let node = Postgres::connect(&cluster().new_database()).await.unwrap();
    node.change(|db| db.add_device(Uuid::now_v7(), &hash("taken"), None, None, at(0))).await.unwrap();
    let swallowed = node
        .change(|db| {
            db.add_device(Uuid::now_v7(), &hash("before"), None, None, at(1))?;
            let _taken = db.add_device(Uuid::now_v7(), &hash("taken"), None, None, at(1));
            Ok(())
        })
        .await;
    assert!(matches!(swallowed, Err(StoreError::CommitFailed)), "{swallowed:?}");
    assert_eq!(node.query(|db| db.token_holder(&hash("before"))).await.unwrap(), None);
}

/// Records `change` as the newest event of report `id`, in Hoàn Kiếm.
fn record(db: &mut dyn Db, id: Uuid, minutes: i64, actor: &str, change: &Change) -> Result<u64, StoreError> {
    let data = serde_json::to_value(change).unwrap();
    db.append_event(Subject::Report(id), "00070", at(minutes), actor, &data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_reads_back_in_full_by_id_by_reference_and_in_lists_filtered_and_paged() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        // Three reports: two received at the same minute (the cursor breaks the tie by id),
        // the third a lighting one, later and outside a box around the first two.
        let mut first = report(device, 0);
        first.id = "0197a3c2-0000-7000-8000-00000000000a".parse().unwrap();
        let mut tie = report(device, 0);
        tie.id = "0197a3c2-0000-7000-8000-00000000000b".parse().unwrap();
        let mut lamp = report(device, 90);
        (lamp.category, lamp.status, lamp.lon, lamp.lat) =
            ("street_lighting".into(), "resolved".into(), 105.86, 21.03);
        let photo = move |n: u128| PhotoRecord {
            id: Uuid::from_u128(n),
            sha256: n.to_string().repeat(64),
            kind: "jpeg",
            width: 800,
            height: 600,
            bytes: 90_000,
            uploaded_by: format!("device:{device}"),
            at: at(0),
        };
        let (records, ids) = ([first.clone(), tie.clone(), lamp.clone()], (first.id, tie.id, lamp.id));
        engine
            .change(move |db| {
                a_ward_and_a_device(db, Uuid::now_v7())?;
                db.add_device(device, &hash("Lan"), Some("Nguyễn Thị Lan"), Some("0912 345 678"), at(0))?;
                for record in &records {
                    file(db, record)?;
                }
                for n in [2, 1, 3] {
                    db.add_photo(&photo(n))?;
                }
                db.attach_photos(ids.0, &[Uuid::from_u128(2), Uuid::from_u128(1)], "report")?;
                db.attach_photos(ids.0, &[Uuid::from_u128(3)], "after")
            })
            .await
            .unwrap();

        let expected = ReportView {
            id: first.id,
            reference: Some(Reference(1)),
            category: Category::Roads,
            priority: Priority::Normal,
            description: first.description.clone(),
            location: Location { lon: 105.8542, lat: 21.0245, accuracy_m: Some(12.5) },
            ward: WardRef { code: "00070".into(), name: "Phường Hoàn Kiếm".into() },
            ward_match: Match::Inside,
            status: Status::Submitted,
            received_at: at(0),
            deadlines: Deadlines { acknowledge: at(480), handle: at(4800) },
            seq: 1,
            followers: 0,
            photos: vec![Uuid::from_u128(2), Uuid::from_u128(1)],
            after_photos: vec![Uuid::from_u128(3)],
            reporter: Some(Reporter {
                device_id: device,
                name: Some("Nguyễn Thị Lan".into()),
                phone: Some("0912 345 678".into()),
                email: None,
            }),
        };
        let id = first.id;
        assert_eq!(engine.query(move |db| db.report_view(id)).await, Some(expected.clone()), "{name}");
        assert_eq!(engine.query(|db| db.report_view(Uuid::now_v7())).await, None, "{name}");
        assert_eq!(engine.query(|db| db.report_by_number(3)).await, Some(lamp.id), "{name}");
        assert_eq!(engine.query(|db| db.report_by_number(4)).await, None, "{name}");

        let listed = |filter: ListFilter| async {
            let views = engine.query(move |db| db.report_views(&filter)).await;
            views.into_iter().map(|view| view.id).collect::<Vec<_>>()
        };
        let all = ListFilter { limit: 10, ..ListFilter::default() };
        assert_eq!(
            listed(all.clone()).await,
            [lamp.id, tie.id, first.id],
            "{name}: newest first, ties by id"
        );
        assert_eq!(
            engine.query(|db| db.report_views(&ListFilter { limit: 10, ..ListFilter::default() })).await[2],
            expected,
            "{name}: a list's view is the same as the report's"
        );
        let page = |after: Option<Cursor>, offset| ListFilter { limit: 1, after, offset, ..all.clone() };
        let cursor = Cursor { received_at: at(0), id: tie.id };
        assert_eq!(listed(page(Some(cursor), 0)).await, [first.id], "{name}: after the tie's twin");
        assert_eq!(listed(page(None, 1)).await, [tie.id], "{name}: the second page by offset");
        let lighting = vec![Category::StreetLighting];
        assert_eq!(listed(ListFilter { categories: lighting, ..all.clone() }).await, [lamp.id], "{name}");
        let open = vec![Status::Submitted, Status::Acknowledged];
        assert_eq!(listed(ListFilter { statuses: open, ..all.clone() }).await, [tie.id, first.id], "{name}");
        let bbox = Some([105.85, 21.02, 105.855, 21.025]);
        assert_eq!(listed(ListFilter { bbox, ..all.clone() }).await, [tie.id, first.id], "{name}");
        let (since, until) = (Some(at(1)), Some(at(0)));
        assert_eq!(listed(ListFilter { since, ..all.clone() }).await, [lamp.id], "{name}");
        assert_eq!(listed(ListFilter { until, ..all.clone() }).await, [tie.id, first.id], "{name}");
        let ids = vec![first.id, lamp.id];
        assert_eq!(listed(ListFilter { ids, ..all.clone() }).await, [lamp.id, first.id], "{name}");
        let elsewhere = Some("00004".into());
        assert_eq!(listed(ListFilter { ward: elsewhere, ..all.clone() }).await, Vec::<Uuid>::new(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reports_state_follows_its_changes_and_its_timeline_shows_notes_and_comments_only_when_asked() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (device, follower, original) = (Uuid::now_v7(), Uuid::now_v7(), report(Uuid::nil(), 0));
        let filed = report(device, 1);
        let (id, original_id) = (filed.id, original.id);
        let officer = engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                ba_dinh(db)?;
                db.add_device(Uuid::nil(), &hash("nil"), None, None, at(0))?;
                db.add_device(follower, &hash("follower"), None, None, at(0))?;
                db.insert_report(&original)?;
                db.insert_report(&filed)?;
                db.add_follower(id, follower, at(2))?;
                let officer = db.add_staff("lan", "hash-lan", Role::Ward, Some("00070"), at(0))?;
                Ok(officer.expect("a new account"))
            })
            .await
            .unwrap();
        let state = || engine.query(move |db| db.report_state(id));
        let deadlines = Deadlines { acknowledge: at(481), handle: at(4801) };
        let mut expected = ReportState {
            device,
            ward: "00070".into(),
            status: Status::Submitted,
            category: Category::Roads,
            priority: Priority::Normal,
            deadlines,
            assigned_to: None,
        };
        assert_eq!(state().await, Some(expected.clone()), "{name}");
        assert_eq!(engine.query(|db| db.report_state(Uuid::now_v7())).await, None, "{name}");

        let change = |change: ReportChange| engine.change(move |db| db.change_report(id, &change));
        change(ReportChange::Acknowledged { status: Status::Acknowledged, at: at(10), handle: at(900) })
            .await
            .unwrap();
        (expected.status, expected.deadlines.handle) = (Status::Acknowledged, at(900));
        assert_eq!(state().await, Some(expected.clone()), "{name}: acknowledged");
        change(ReportChange::Assigned { officer }).await.unwrap();
        expected.assigned_to = Some(officer);
        assert_eq!(state().await, Some(expected.clone()), "{name}: assigned");
        let assigned = ListFilter { assigned_to: Some(officer), limit: 10, ..ListFilter::default() };
        let listed = engine.query(move |db| db.report_views(&assigned)).await;
        assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), [id], "{name}: the officer's own list");

        let moved = Deadlines { acknowledge: at(500), handle: at(5000) };
        let valid_from = "2025-07-01".parse().unwrap();
        let transfer = ReportChange::Transferred {
            status: Status::Submitted,
            ward: "00004".into(),
            valid_from,
            deadlines: moved,
        };
        change(transfer).await.unwrap();
        (expected.status, expected.ward, expected.deadlines) = (Status::Submitted, "00004".into(), moved);
        expected.assigned_to = None;
        assert_eq!(state().await, Some(expected.clone()), "{name}: transferred, its clocks anew, unassigned");
        let nowhere = ReportChange::Transferred {
            status: Status::Submitted,
            ward: "99999".into(),
            valid_from,
            deadlines: moved,
        };
        assert!(change(nowhere).await.is_err(), "{name}: only to a ward in the boundaries");

        change(ReportChange::MarkedDuplicate { status: Status::Duplicate, original: original_id })
            .await
            .unwrap();
        change(ReportChange::Status(Status::Resolved)).await.unwrap();
        change(ReportChange::Reopened { status: Status::InProgress, handle: at(7000) }).await.unwrap();
        (expected.status, expected.deadlines.handle) = (Status::InProgress, at(7000));
        assert_eq!(state().await, Some(expected.clone()), "{name}: reopened, with a new handling deadline");

        let (reporter, stranger) = (device, Uuid::now_v7());
        let follows = engine
            .query(move |db| {
                Ok((db.follows(id, reporter)?, db.follows(id, follower)?, db.follows(id, stranger)?))
            })
            .await;
        assert_eq!(follows, (true, true, false), "{name}: its reporter and its followers");

        let rating = Rating { stars: 2, comment: Some("Vẫn còn ổ gà".into()), reopened: true };
        engine.change(move |db| db.add_rating(id, &rating, at(20))).await.unwrap();
        let zero = Rating { stars: 0, comment: None, reopened: false };
        assert!(
            engine.change(move |db| db.add_rating(id, &zero, at(21))).await.is_err(),
            "{name}: 1 to 5 stars"
        );

        assert_eq!(engine.query(move |db| db.resolved_at(id)).await, None, "{name}: not answered yet");
        let answered = |text: &str| Change::Resolved {
            status: Status::Resolved,
            answer: text.into(),
            after_photos: Vec::new(),
        };
        let (first_answer, second_answer) = (answered("Đã vá"), answered("Đã vá lại"));
        let seqs = engine
            .change(move |db| {
                Ok([
                    record(db, id, 30, "staff:1", &Change::Noted { text: "Gọi đội duy tu".into() })?,
                    record(db, id, 31, "staff:1", &first_answer)?,
                    record(
                        db,
                        id,
                        32,
                        &format!("device:{device}"),
                        &Change::Commented { text: "Cảm ơn".into() },
                    )?,
                    record(db, id, 33, "staff:1", &second_answer)?,
                ])
            })
            .await
            .unwrap();
        assert_eq!(
            engine.query(move |db| db.resolved_at(id)).await,
            Some(at(33)),
            "{name}: the newest answer"
        );
        let engine = &engine;
        let timeline = |notes, comments| async move {
            let events = engine.query(move |db| db.report_events(id, notes, comments)).await;
            events.iter().map(|event| event.seq).collect::<Vec<_>>()
        };
        assert_eq!(timeline(true, true).await, seqs, "{name}");
        assert_eq!(timeline(false, true).await, [seqs[1], seqs[2], seqs[3]], "{name}: without the note");
        assert_eq!(timeline(true, false).await, [seqs[0], seqs[1], seqs[3]], "{name}: without the comment");
        let events = engine.query(move |db| db.report_events(id, true, true)).await;
        assert_eq!(
            (events[0].report_id, events[0].ward_code.as_str(), events[0].at, &events[2].change),
            (id, "00070", at(30), &Change::Commented { text: "Cảm ơn".into() }),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_moves_through_the_desk_and_its_trackers_see_it_without_the_applicants_contact() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (device, other) = (Uuid::now_v7(), Uuid::now_v7());
        let (id, later) = (Uuid::now_v7(), Uuid::now_v7());
        let (first, second) =
            (dossier(id, "00070-260302-AB12CD", 0), dossier(later, "00070-260302-EF34GH", 500));
        engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                db.add_device(other, &hash("other"), None, None, at(0))?;
                let staff = db.add_staff("lan", "hash-lan", Role::Ward, Some("00070"), at(0))?;
                assert_eq!(staff, Some(1));
                db.insert_dossier(&first)?;
                db.insert_dossier(&second)?;
                let received = DossierChange::Received {
                    status: DossierStatus::Received,
                    procedure: "birth-registration".into(),
                    due_at: at(2880),
                };
                db.append_event(
                    Subject::Dossier(id),
                    "00070",
                    at(0),
                    "staff:1",
                    &serde_json::to_value(received).unwrap(),
                )?;
                Ok(())
            })
            .await
            .unwrap();
        let taken = engine
            .query(|db| {
                Ok((
                    db.dossier_code_taken("00070-260302-AB12CD")?,
                    db.dossier_code_taken("00070-260302-ZZZZZZ")?,
                ))
            })
            .await;
        assert_eq!(taken, (true, false), "{name}");
        let copy = dossier(Uuid::now_v7(), "00070-260302-AB12CD", 9);
        assert!(
            engine.change(move |db| db.insert_dossier(&copy)).await.is_err(),
            "{name}: a code is one dossier's"
        );

        let state = || engine.query(|db| db.dossier_state("00070-260302-AB12CD"));
        let mut expected = DossierState {
            id,
            ward: "00070".into(),
            status: DossierStatus::Received,
            due_at: at(2880),
            paused_at: None,
        };
        assert_eq!(state().await, Some(expected.clone()), "{name}");
        let update = |update: DossierUpdate| engine.change(move |db| db.change_dossier(id, &update));
        update(DossierUpdate::Status(DossierStatus::Processing)).await.unwrap();
        let missing = "Bản sao giấy chứng sinh".to_owned();
        let status = DossierStatus::NeedsDocuments;
        update(DossierUpdate::DocumentsRequested { status, at: at(60), missing: missing.clone() })
            .await
            .unwrap();
        (expected.status, expected.paused_at) = (status, Some(at(60)));
        assert_eq!(state().await, Some(expected.clone()), "{name}: waiting for documents");
        let view = engine.query(move |db| db.dossier_view(id, true)).await.unwrap();
        assert_eq!((view.missing, view.paused_since), (Some(missing), Some(at(60))), "{name}");
        update(DossierUpdate::DocumentsReceived { status: DossierStatus::Processing, due_at: at(3000) })
            .await
            .unwrap();
        (expected.status, expected.paused_at, expected.due_at) = (DossierStatus::Processing, None, at(3000));
        assert_eq!(state().await, Some(expected.clone()), "{name}: the due date moved by the wait");

        // Tracking: wrong secrets counted, then a lock; a tracker once.
        let tracking = |who| engine.query(move |db| db.dossier_for_tracking("00070-260302-AB12CD", who));
        let found = tracking(device).await.unwrap();
        assert_eq!(
            (found.id, found.failures, found.locked_until, found.tracking),
            (id, 0, None, false),
            "{name}"
        );
        assert_eq!(found.secret_hash, hash("secret"), "{name}");
        let counted = TrackingFailures::Counted { failures: 2, since: at(70) };
        engine.change(move |db| db.count_tracking_failures(id, &counted)).await.unwrap();
        let found = tracking(device).await.unwrap();
        assert_eq!((found.failures, found.failures_since), (2, Some(at(70))), "{name}");
        let locked = TrackingFailures::Locked { until: at(130) };
        engine.change(move |db| db.count_tracking_failures(id, &locked)).await.unwrap();
        let found = tracking(device).await.unwrap();
        assert_eq!(
            (found.failures, found.failures_since, found.locked_until),
            (0, None, Some(at(130))),
            "{name}"
        );
        let added = engine
            .change(move |db| {
                Ok((db.add_tracker(id, device, at(140))?, db.add_tracker(id, device, at(141))?))
            })
            .await
            .unwrap();
        assert_eq!(added, (true, false), "{name}: a device tracks a dossier once");
        assert!(tracking(device).await.unwrap().tracking, "{name}");
        assert!(!tracking(other).await.unwrap().tracking, "{name}");
        let tracked = serde_json::to_value(DossierChange::Tracked).unwrap();
        engine
            .change(move |db| {
                db.append_event(Subject::Dossier(id), "00070", at(140), &format!("device:{device}"), &tracked)
            })
            .await
            .unwrap();

        let desk = engine.query(move |db| db.dossier_view(id, true)).await.unwrap();
        let tracker = engine.query(move |db| db.dossier_view(id, false)).await.unwrap();
        assert_eq!(desk.contact.as_ref().map(|c| c.applicant.as_str()), Some("Trần Văn Minh"), "{name}");
        assert_eq!(tracker.contact, None, "{name}: a tracker does not see the applicant's contact");
        assert_eq!(desk.history.len(), 2, "{name}: the desk sees who tracks it");
        assert_eq!(tracker.history.len(), 1, "{name}: a tracker does not");
        assert_eq!(
            (tracker.code.as_str(), tracker.history[0].code.as_str(), tracker.last_seq, tracker.status),
            ("00070-260302-AB12CD", "00070-260302-AB12CD", 2, DossierStatus::Processing),
            "{name}"
        );
        assert_eq!(engine.query(|db| db.dossier_view(Uuid::now_v7(), true)).await, None, "{name}");

        assert_eq!(engine.query(move |db| db.tracked_dossiers(device)).await, vec![id], "{name}");
        assert_eq!(
            engine.query(move |db| db.desk_dossiers(Some("00070"), 10)).await,
            [id, later],
            "{name}: by due date"
        );
        update(DossierUpdate::Finished { status: DossierStatus::Done, at: at(200) }).await.unwrap();
        assert_eq!(
            engine.query(|db| db.desk_dossiers(None, 10)).await,
            [later, id],
            "{name}: finished ones last"
        );
        assert_eq!(engine.query(|db| db.desk_dossiers(None, 1)).await, [later], "{name}");
        assert_eq!(
            engine.query(|db| db.desk_dossiers(Some("00004"), 10)).await,
            Vec::<Uuid>::new(),
            "{name}"
        );
        let finished = engine.query(move |db| db.dossier_view(id, true)).await.unwrap();
        assert_eq!((finished.finished_at, finished.paused_since), (Some(at(200)), None), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undone_operation_leaves_nothing_and_its_change_goes_on_even_after_a_failed_statement() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        let (kept, undone, refused) = (report(device, 0), report(device, 1), report(device, 2));
        let ids = (kept.id, undone.id, refused.id);
        let filed = engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                db.begin_operation()?;
                file(db, &kept)?;
                db.keep_operation()?;
                db.begin_operation()?;
                file(db, &undone)?;
                db.undo_operation()?;
                // A statement refused within an operation (the device is there already) is
                // undone with it; what follows in the transaction is still committed.
                db.begin_operation()?;
                file(db, &refused)?;
                assert!(db.add_device(device, &hash("again"), None, None, at(2)).is_err());
                db.undo_operation()?;
                db.record_sync_answer(
                    Uuid::now_v7(),
                    &SyncAnswer { device, request_hash: hash("refused"), answer: "{}".into() },
                    at(2),
                )?;
                db.newest_event()
            })
            .await
            .unwrap();
        assert_eq!(filed, 1, "{name}: the undone operations' events are given back");
        let there = engine
            .query(move |db| {
                Ok((db.report_ward(ids.0)?.is_some(), db.report_ward(ids.1)?, db.report_ward(ids.2)?))
            })
            .await;
        assert_eq!(there, (true, None, None), "{name}");
        assert_eq!(engine.query(move |db| db.reports_filed_by(device)).await, vec![ids.0], "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open311_request_keeps_its_contact_and_media_and_its_feeds_leave_staff_notes_out() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        let (with, without) = (report(device, 0), report(device, 1));
        let ids = [with.id, without.id];
        let contact =
            ReportContact { name: Some("Lê Hoa".into()), email: Some("hoa@example.vn".into()), phone: None };
        let seqs = engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                db.insert_report(&with)?;
                db.insert_report(&without)?;
                db.add_request_details(ids[0], &contact, Some("https://anh.example.vn/o-ga.jpg"))?;
                db.add_request_details(ids[1], &ReportContact::default(), None)?;
                let started = Change::Started { status: Status::InProgress };
                Ok([
                    record(db, ids[0], 10, "staff:1", &Change::Noted { text: "Gọi đội duy tu".into() })?,
                    record(db, ids[0], 20, "staff:1", &started)?,
                    record(db, ids[1], 30, "staff:1", &Change::Commented { text: "Thêm ảnh".into() })?,
                    record(db, ids[1], 40, "staff:1", &started)?,
                ])
            })
            .await
            .unwrap();
        let view = engine.query(move |db| db.report_view(ids[0])).await.unwrap();
        let reporter = view.reporter.unwrap();
        assert_eq!(
            (reporter.name, reporter.email),
            (Some("Lê Hoa".into()), Some("hoa@example.vn".into())),
            "{name}"
        );
        let media = engine.query(move |db| db.media_urls(&[ids[0], ids[1], Uuid::now_v7()])).await;
        let expected = [(ids[0], Some("https://anh.example.vn/o-ga.jpg".to_owned())), (ids[1], None)];
        assert_eq!(media, expected.into_iter().collect(), "{name}");

        let seqs_of = |events: Vec<Event>| events.iter().map(|event| event.seq).collect::<Vec<_>>();
        let public = engine.query(move |db| db.public_events_of(&ids)).await;
        assert_eq!(seqs_of(public), [seqs[1], seqs[2], seqs[3]], "{name}: no staff note");
        let dated = |from, to, limit, offset| {
            engine.query(move |db| {
                db.events_dated((at(from), at(to)), &["started", "commented"], limit, offset)
            })
        };
        assert_eq!(seqs_of(dated(0, 100, 10, 0).await), [seqs[1], seqs[2], seqs[3]], "{name}");
        assert_eq!(seqs_of(dated(20, 30, 10, 0).await), [seqs[1], seqs[2]], "{name}: both ends included");
        assert_eq!(seqs_of(dated(0, 100, 1, 1).await), [seqs[2]], "{name}: a page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_events_come_whole_and_a_filter_keeps_what_its_reader_may_be_shown() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (reporter, follower) = (Uuid::now_v7(), Uuid::now_v7());
        let (mine, moved) = (report(reporter, 0), report(reporter, 1));
        let ids = (mine.id, moved.id, Uuid::now_v7());
        let seqs = engine
            .change(move |db| {
                a_ward_and_a_device(db, reporter)?;
                ba_dinh(db)?;
                db.add_device(follower, &hash("follower"), None, None, at(0))?;
                db.add_staff("lan", "hash-lan", Role::Ward, Some("00070"), at(0))?;
                db.insert_report(&mine)?;
                db.insert_report(&moved)?;
                db.insert_dossier(&dossier(ids.2, "00070-260302-AB12CD", 0))?;
                db.add_tracker(ids.2, follower, at(5))?;
                let followed = Change::Followed { followers: 1 };
                let transferred = Change::Transferred {
                    status: Status::Submitted,
                    from_ward: "00070".into(),
                    reason: "Thuộc địa bàn Ba Đình".into(),
                    deadlines: Deadlines { acknowledge: at(500), handle: at(5000) },
                };
                db.add_follower(ids.0, follower, at(3))?;
                let tracked = serde_json::to_value(DossierChange::Tracked).unwrap();
                Ok([
                    record(db, ids.0, 2, "staff:1", &Change::Noted { text: "Gọi đội duy tu".into() })?,
                    record(db, ids.0, 3, &format!("device:{follower}"), &followed)?,
                    db.append_event(
                        Subject::Report(ids.1),
                        "00004",
                        at(4),
                        "staff:1",
                        &serde_json::to_value(&transferred).unwrap(),
                    )?,
                    db.append_event(
                        Subject::Dossier(ids.2),
                        "00070",
                        at(5),
                        &format!("device:{follower}"),
                        &tracked,
                    )?,
                ])
            })
            .await
            .unwrap();
        let published = |after, until, filter: EventFilter, limit| {
            engine.query(move |db| db.published_after((after, until), &filter, limit))
        };
        let numbers = |events: Vec<Published>| events.iter().map(|p| p.about.seq()).collect::<Vec<_>>();
        let all = published(0, u64::MAX, EventFilter::All, 10).await;
        assert_eq!(numbers(all.clone()), seqs, "{name}");
        assert_eq!(
            all[1],
            Published {
                about: About::Report {
                    event: Event {
                        seq: seqs[1],
                        report_id: ids.0,
                        ward_code: "00070".into(),
                        at: at(3),
                        change: Change::Followed { followers: 1 },
                    },
                    reporter,
                },
                actor: format!("device:{follower}"),
            },
            "{name}"
        );
        let About::Dossier(tracked) = &all[3].about else { panic!("{name}: a dossier's event") };
        assert_eq!((tracked.dossier_id, tracked.code.as_str()), (ids.2, "00070-260302-AB12CD"), "{name}");
        assert_eq!(
            numbers(published(seqs[0], seqs[2], EventFilter::All, 10).await),
            [seqs[1], seqs[2]],
            "{name}"
        );
        assert_eq!(numbers(published(0, u64::MAX, EventFilter::All, 2).await), [seqs[0], seqs[1]], "{name}");
        let ward = |code: &str| EventFilter::Ward(code.into());
        assert_eq!(
            numbers(published(0, u64::MAX, ward("00070"), 10).await),
            seqs,
            "{name}: and the transfer away"
        );
        assert_eq!(numbers(published(0, u64::MAX, ward("00004"), 10).await), [seqs[2]], "{name}");
        let device = |id| EventFilter::Device(id);
        assert_eq!(
            numbers(published(0, u64::MAX, device(reporter), 10).await),
            [seqs[0], seqs[1], seqs[2]],
            "{name}"
        );
        assert_eq!(
            numbers(published(0, u64::MAX, device(follower), 10).await),
            [seqs[0], seqs[1], seqs[3]],
            "{name}: what it follows and tracks"
        );
        assert_eq!(
            numbers(published(0, u64::MAX, EventFilter::Report(ids.1), 10).await),
            [seqs[2]],
            "{name}"
        );

        let by = |seq| engine.query(move |db| db.followed_and_tracked(follower, seq));
        assert_eq!(by(seqs[0]).await, (vec![], vec![]), "{name}: not yet");
        assert_eq!(by(seqs[3]).await, (vec![ids.0], vec![ids.2]), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_count_the_reports_changed_in_the_period_or_open_and_the_dossiers_received_or_open() {
    for engine in Engine::both().await {
        let name = engine.name();
        let device = Uuid::now_v7();
        // The period: from minute 1000 to minute 2000.
        let (open, old, answered) = (report(device, 0), report(device, 10), report(device, 20));
        let ids = (open.id, old.id, answered.id);
        engine
            .change(move |db| {
                a_ward_and_a_device(db, device)?;
                db.add_staff("lan", "hash-lan", Role::Ward, Some("00070"), at(0))?;
                for filed in [&open, &old, &answered] {
                    db.insert_report(filed)?;
                    record(
                        db,
                        filed.id,
                        (filed.received_at - at(0)).num_minutes(),
                        "device:x",
                        &Change::Commented { text: "—".into() },
                    )?;
                }
                // Closed before the period: nothing to add.
                db.change_report(ids.1, &ReportChange::Status(Status::Closed))?;
                record(
                    db,
                    ids.1,
                    500,
                    "staff:1",
                    &Change::Rejected { status: Status::Rejected, reason: "Trùng".into() },
                )?;
                // Answered and rated within it, reopened by the rating.
                db.change_report(ids.2, &ReportChange::Status(Status::Reopened))?;
                let resolved = Change::Resolved {
                    status: Status::Resolved,
                    answer: "Đã vá".into(),
                    after_photos: vec![],
                };
                record(db, ids.2, 1100, "staff:1", &resolved)?;
                db.add_rating(ids.2, &Rating { stars: 2, comment: None, reopened: true }, at(1200))?;
                record(
                    db,
                    ids.2,
                    1200,
                    "device:x",
                    &Change::Rated { status: Status::Reopened, stars: 2, comment: None },
                )?;
                for (code, minutes, finished) in
                    [("A", 1500, None), ("B", 100, Some(at(200))), ("C", 100, None)]
                {
                    db.insert_dossier(&dossier(Uuid::now_v7(), code, minutes))?;
                    if let Some(at) = finished {
                        let id = db.dossier_state(code)?.unwrap().id;
                        db.change_dossier(id, &DossierUpdate::Finished { status: DossierStatus::Done, at })?;
                    }
                }
                Ok(())
            })
            .await
            .unwrap();
        let period = (at(1000), at(2000));
        let mut counted = engine.query(move |db| db.counted_reports(None, period)).await;
        counted.sort_by_key(|report| report.id);
        let mut expected = vec![ids.0, ids.2];
        expected.sort();
        assert_eq!(
            counted.iter().map(|r| r.id).collect::<Vec<_>>(),
            expected,
            "{name}: open, or changed in the period"
        );
        let answered = counted.iter().find(|r| r.id == ids.2).unwrap();
        let kinds: Vec<_> =
            answered.events.iter().map(|e| (e.kind.as_str(), e.at, e.status.as_deref())).collect();
        assert_eq!(
            kinds,
            [
                ("commented", at(20), None),
                ("resolved", at(1100), Some("resolved")),
                ("rated", at(1200), Some("reopened"))
            ],
            "{name}"
        );
        assert_eq!(
            (answered.stars.as_slice(), answered.status, answered.reference),
            (&[2][..], Status::Reopened, Some(Reference(3))),
            "{name}"
        );
        assert_eq!(engine.query(move |db| db.counted_reports(Some("00004"), period)).await, vec![], "{name}");

        let mut dossiers: Vec<_> = engine
            .query(move |db| db.counted_dossiers(Some("00070"), period))
            .await
            .into_iter()
            .map(|d| d.code)
            .collect();
        dossiers.sort();
        assert_eq!(dossiers, ["A", "C"], "{name}: received in the period, or open");
    }
}

/// The end-to-end suites run on the engine `PHANANH_TEST_ENGINE` names: a harness that
/// quietly ran SQLite when asked for PostgreSQL would prove nothing about PostgreSQL.
#[test]
fn the_end_to_end_servers_run_on_the_engine_asked_for() {
    let server = phananh_tests::TestServer::start();
    let expected = if phananh_tests::engine::on_postgres() { "PostgreSQL" } else { "SQLite" };
    let log = server.log();
    let said =
        log.lines().find(|line| line.contains("the database is open")).expect("the server says which engine");
    assert!(said.contains(&format!("engine=\"{expected}\"")), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_photos_parts_are_stored_once_read_by_any_node_and_removed() {
    use phananh_server::photos::PhotoPart;
    let url = cluster().new_database();
    let (one, other) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let sha256 = "ab".repeat(32);
    let read = tokio::task::spawn_blocking(move || {
        one.put_photo(&sha256, [b"original", b"public", b"thumb", b"{}"]).unwrap();
        // The same bytes uploaded again, on another node: stored already, as good.
        other.put_photo(&sha256, [b"original", b"public", b"thumb", b"{}"]).unwrap();
        let parts = [PhotoPart::Original, PhotoPart::Public, PhotoPart::Thumb, PhotoPart::Meta]
            .map(|part| other.photo_part(&sha256, part).unwrap());
        assert!(one.put_photo("not a photo id", [b"", b"", b"", b""]).is_err(), "only SHA-256 ids");
        one.remove_photo(&sha256).unwrap();
        (parts, other.photo_part(&sha256, PhotoPart::Public).unwrap())
    })
    .await
    .unwrap();
    let expected = [b"original".to_vec(), b"public".to_vec(), b"thumb".to_vec(), b"{}".to_vec()].map(Some);
    assert_eq!(read, (expected, None));
}

/// A node that stops in the middle of a change holds the writers' turn; the database ends its
/// transaction once it has been idle for `STALLED_CHANGE`, and the other nodes go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_node_frozen_in_a_change_holds_the_other_writers_for_seconds_not_for_ever() {
    use phananh_server::store::postgres::STALLED_CHANGE;
    let url = cluster().new_database();
    let (frozen, other) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let device = Uuid::now_v7();
    other.change(move |db| a_ward_and_a_device(db, device)).await.unwrap();
    let (entered, holding) = std::sync::mpsc::channel();
    let (thaw, frozen_until) = std::sync::mpsc::channel::<()>();
    let stuck = tokio::spawn(async move {
        frozen
            .change(move |db| {
                file(db, &report(device, 0))?;
                entered.send(()).unwrap();
                // Frozen here, the writers' turn held, until the test thaws it.
                let _ = frozen_until.recv();
                db.newest_event()
            })
            .await
    });
    tokio::task::spawn_blocking(move || holding.recv().unwrap()).await.unwrap();

    let started = std::time::Instant::now();
    let filed =
        tokio::time::timeout(STALLED_CHANGE * 3, other.change(move |db| file(db, &report(device, 1))))
            .await
            .expect("the other node files within three times the stall limit");
    let waited = started.elapsed();
    assert_eq!(filed.unwrap(), (1, 1), "the other node files, with the numbers the frozen one gave back");
    assert!(
        waited >= STALLED_CHANGE - std::time::Duration::from_secs(1) && waited < STALLED_CHANGE * 3,
        "waited {waited:?} for the frozen node's turn to end"
    );
    thaw.send(()).unwrap();
    assert!(stuck.await.unwrap().is_err(), "the frozen node's change is not committed");
    assert_eq!(other.query(|db| db.newest_event()).await.unwrap(), 1);
}
