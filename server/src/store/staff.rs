//! Staff accounts, their sessions, and the wards they may belong to.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::staff::{Role, StaffMember};

/// An account as signing in reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub member: StaffMember,
    /// The name of the member's ward, in the newest boundary set that has it.
    pub ward_name: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
}

/// A ward of a boundary set, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WardRecord {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: &'static str,
}

/// What a store keeps of staff.
pub trait Staff {
    /// Makes an account: its id, or `None` if the username is taken.
    fn add_staff(
        &mut self,
        username: &str,
        password_hash: &str,
        role: Role,
        ward_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;

    /// The account `username` (lowercase), if there is one.
    fn account(&mut self, username: &str) -> Result<Option<Account>, StoreError>;

    /// Closes the account `username` at `at` (if it is not closed already) and ends its
    /// sessions in force: how many were, or `None` if there is no such account.
    fn disable_staff(&mut self, username: &str, at: DateTime<Utc>) -> Result<Option<usize>, StoreError>;

    /// Opens a session until `expires_at`, first sweeping away every session ended by `at`.
    fn add_session(
        &mut self,
        token_hash: &[u8],
        staff_id: i64,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The member whose session `token_hash` is, and whether it is in force at `now` (not
    /// expired, not signed out, the account open).
    fn session(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(StaffMember, bool)>, StoreError>;

    /// When the session `token_hash` ends, if its account is open (expired or not).
    fn session_ends(&mut self, token_hash: &[u8]) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Ends at `now` the session `token_hash` or (`everywhere`) every session of its account,
    /// if it is in force: how many sessions ended.
    fn end_sessions(
        &mut self,
        token_hash: &[u8],
        everywhere: bool,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError>;

    /// Records the boundary set in force from `valid_from` (until `valid_until`); a ward
    /// already recorded for that set is left as it is.
    fn record_wards(
        &mut self,
        valid_from: NaiveDate,
        valid_until: Option<NaiveDate>,
        wards: &[WardRecord],
    ) -> Result<(), StoreError>;

    /// The name of ward `code` in the set in force from `valid_from`, or (`None`) in the
    /// newest set that has it.
    fn ward_name(&mut self, code: &str, valid_from: Option<NaiveDate>) -> Result<Option<String>, StoreError>;
}
