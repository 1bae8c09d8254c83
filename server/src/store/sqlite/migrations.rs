//! The schema, as numbered migrations applied in order at start.
//!
//! SQLite's `user_version` records how many have been applied. Migrations are only ever
//! appended: a database made by any earlier version is brought up to date, and one made by a
//! newer version is refused rather than misread.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_reports.sql"),
    include_str!("migrations/0002_staff.sql"),
    include_str!("migrations/0003_followers_and_workflow.sql"),
    include_str!("migrations/0004_photos.sql"),
    include_str!("migrations/0005_ratings.sql"),
    include_str!("migrations/0006_overdue.sql"),
    include_str!("migrations/0007_sync.sql"),
    include_str!("migrations/0008_open311.sql"),
    include_str!("migrations/0009_dossiers.sql"),
    include_str!("migrations/0010_dossier_secrets.sql"),
    include_str!("migrations/0011_report_references.sql"),
    include_str!("migrations/0012_transfer_codes.sql"),
    include_str!("migrations/0013_kept_figures.sql"),
    include_str!("migrations/0014_ward_leads_and_assignment.sql"),
];

pub(super) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (number, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", number as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = number + 1, "database schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database as version 8 left it, with two events, brought up to date: the rebuilt
    /// events table keeps every event and its sequence number, and stays append-only.
    #[test]
    fn the_events_table_rebuilt_for_dossiers_keeps_every_event_and_stays_append_only() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        for sql in &MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 8).unwrap();
        conn.execute_batch(
            "INSERT INTO wards (code, valid_from, name, kind) VALUES ('00070', '2025-07-01', 'Phường Hoàn Kiếm', 'phuong');
             INSERT INTO devices (id, token_hash, created_at) VALUES ('d', x'00', '2026-01-01T00:00:00Z');
             INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                 ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                 deadline_ack, deadline_handle, last_seq)
             VALUES ('r', 'd', x'00', 'noise', 'normal', 'Ồn', 105.85, 21.03, '00070', '2025-07-01',
                 'inside', 0, 'submitted', 't', 't', 't', 7);
             INSERT INTO events VALUES (3, 'r', '00070', 'filed', 't', 'device:d', '{}');
             INSERT INTO events VALUES (7, 'r', '00070', 'commented', 't', 'device:d', '{}');",
        )
        .unwrap();

        apply(&mut conn).unwrap();
        let events: Vec<(i64, String)> = conn
            .prepare("SELECT seq, kind FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events, [(3, "filed".to_owned()), (7, "commented".to_owned())]);
        assert!(conn.execute("UPDATE events SET kind = 'x' WHERE seq = 3", []).is_err(), "append-only");
        assert!(conn.execute("DELETE FROM events", []).is_err(), "append-only");
        let neither = "INSERT INTO events (ward_code, kind, at, actor, data) VALUES ('00070', 'x', 't', 'system', '{}')";
        assert!(conn.execute(neither, []).is_err(), "an event is about a report or a dossier");
        conn.execute("INSERT INTO events (report_id, ward_code, kind, at, actor, data) VALUES ('r', '00070', 'noted', 't', 'staff:1', '{}')", []).unwrap();
        assert_eq!(conn.last_insert_rowid(), 8, "the sequence goes on from the newest");
    }

    /// Reports stored before references get them in the order they were received, and the
    /// next report continues the count.
    #[test]
    fn reports_stored_before_references_are_numbered_in_the_order_received() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..10] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 10).unwrap();
        let report = |id: &str, received: &str| {
            format!(
                "INSERT INTO reports (id, device_id, content_hash, category, priority, description, lon, lat,
                     ward_code, ward_valid_from, ward_match, ward_distance_m, status, received_at,
                     deadline_ack, deadline_handle, last_seq)
                 VALUES ('{id}', 'd', x'00', 'noise', 'normal', 'Ồn', 105.85, 21.03, '00070', '2025-07-01',
                     'inside', 0, 'submitted', '{received}', 't', 't', 1);"
            )
        };
        conn.execute_batch(&format!(
            "INSERT INTO wards (code, valid_from, name, kind) VALUES ('00070', '2025-07-01', 'Phường Hoàn Kiếm', 'phuong');
             INSERT INTO devices (id, token_hash, created_at) VALUES ('d', x'00', '2026-01-01T00:00:00Z');
             {}{}{}",
            report("c", "2026-03-02T08:00:00Z"),
            report("b", "2026-03-01T08:00:00Z"),
            report("a", "2026-03-02T08:00:00Z"),
        ))
        .unwrap();

        apply(&mut conn).unwrap();
        let numbers: Vec<(String, i64)> = conn
            .prepare("SELECT id, number FROM reports ORDER BY number")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(numbers, [("b".to_owned(), 1), ("a".to_owned(), 2), ("c".to_owned(), 3)]);
        let taken = "UPDATE reports SET number = 1 WHERE id = 'c'";
        assert!(conn.execute(taken, []).is_err(), "a reference is one report's");
    }

    /// The staff table made again for ward leads keeps every account under its id, the
    /// sessions that refer to them, and its checks.
    #[test]
    fn staff_made_again_for_ward_leads_keeps_accounts_sessions_and_checks() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        for sql in &MIGRATIONS[..13] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 13).unwrap();
        conn.execute_batch(
            "INSERT INTO staff (id, username, password_hash, role, ward_code, created_at)
                 VALUES (4, 'hoankiem', 'h', 'ward', '00070', 't'), (9, 'thanhpho', 'h', 'city', NULL, 't');
             INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES (x'01', 4, 't', 't');",
        )
        .unwrap();

        apply(&mut conn).unwrap();
        let accounts: Vec<(i64, String, String)> = conn
            .prepare("SELECT id, username, role FROM staff ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let account = |id, name: &str, role: &str| (id, name.to_owned(), role.to_owned());
        assert_eq!(accounts, [account(4, "hoankiem", "ward"), account(9, "thanhpho", "city")]);
        let broken: i64 =
            conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(broken, 0, "the session still refers to its account");
        let lead = "INSERT INTO staff (username, password_hash, role, ward_code, created_at) VALUES (?1, 'h', 'ward_lead', ?2, 't')";
        conn.execute(lead, ["lanhdao", "00070"]).unwrap();
        let lead_without_ward = "INSERT INTO staff (username, password_hash, role, created_at) VALUES ('x1', 'h', 'ward_lead', 't')";
        assert!(conn.execute(lead_without_ward, []).is_err(), "a lead has a ward");
        let orphan = "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES (x'02', 77, 't', 't')";
        assert!(conn.execute(orphan, []).is_err(), "foreign keys still hold");
    }
}
