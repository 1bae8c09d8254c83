//! Staff accounts: ward officers (one ward), city staff and administrators; making accounts
//! (`phananh-server create-staff`), signing in, and recognising a signed-in member by the
//! token of their session.
//!
//! Passwords are kept only as argon2id PHC strings. A session's token is random and, like a
//! device's, stored only as its SHA-256 ([`crate::tokens`]); it lasts [`SESSION_LENGTH`].
//! Device tokens and staff tokens look alike (64 hex digits) but live in different tables
//! (`devices`, `sessions`), so one is never taken for the other.

use std::fmt;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, Utc};
use phananh_shared::api::WardRef;

use crate::cli::{CreateStaffArgs, DisableStaffArgs};
use crate::error::DomainError;
use crate::store::{Store, StoreError};
use crate::tokens;
use crate::wards_file::{self, WardsFileError};

/// How long a session lasts: an officer's working day and a margin.
pub const SESSION_LENGTH: TimeDelta = TimeDelta::hours(12);
/// The shortest password accepted for a new account, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// The longest password accepted for a new account, in characters.
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// The length limits of a username, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=phananh_shared::api::USERNAME_MAX_CHARS;

pub use phananh_shared::api::{LoginAnswer, LoginRequest, Role, StaffView, UnknownRole};

/// A signed-in staff member, as the rest of the server sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The ward a ward officer or lead acts for; `None` for city staff and administrators.
    pub ward_code: Option<String>,
}

impl StaffMember {
    /// Whether this member may act on (and read the private details of) the reports of
    /// `ward_code`: a ward officer or lead only their own ward's, city staff and
    /// administrators every ward's.
    pub fn can_act_in(&self, ward_code: &str) -> bool {
        match self.role {
            Role::Ward | Role::WardLead => self.ward_code.as_deref() == Some(ward_code),
            Role::City | Role::Admin => true,
        }
    }

    /// Whether this member assigns the reports of ward `ward_code` to its officers: the
    /// ward's leads, and city staff and administrators, who oversee every ward (so that a
    /// report held by an officer who left, or in a ward without a lead, is not stuck).
    pub fn assigns_in(&self, ward_code: &str) -> bool {
        self.role != Role::Ward && self.can_act_in(ward_code)
    }

    /// Whether this member may act on a report of `ward_code` assigned to the staff member
    /// `assigned_to` (if anyone): "3 rõ", one officer answers for it, so once it is assigned
    /// the other officers of the ward read it but do not act; its officer, the ward's leads,
    /// and city staff and administrators (who escalate) still do.
    pub fn may_handle(&self, ward_code: &str, assigned_to: Option<i64>) -> bool {
        self.assigns_in(ward_code)
            || (self.can_act_in(ward_code) && assigned_to.is_none_or(|id| id == self.id))
    }
}

/// Why an account could not be made. Each says what to change.
#[derive(Debug, thiserror::Error)]
pub enum CreateStaffError {
    #[error(
        "the username {0:?} is not usable: it must be 3 to 32 characters, letters a-z, digits, `.`, `_` or `-`, starting with a letter or digit"
    )]
    BadUsername(String),
    #[error("a staff account {0:?} already exists (usernames ignore case)")]
    DuplicateUsername(String),
    #[error("a ward officer or lead needs --ward CODE, the code of the ward they act for")]
    MissingWard,
    #[error("{0} staff act for every ward: do not give --ward")]
    WardNotAllowed(Role),
    #[error("there is no ward {code:?} in the ward boundaries in force (since {in_force})")]
    UnknownWard { code: String, in_force: NaiveDate },
    #[error(
        "the password (the first line of stdin) must be at least {PASSWORD_MIN_CHARS} characters; it has {0}"
    )]
    ShortPassword(usize),
    #[error("the password must be at most {PASSWORD_MAX_CHARS} characters; it has {0}")]
    LongPassword(usize),
    #[error("cannot read the password from stdin: {0}")]
    Stdin(std::io::Error),
    #[error("cannot hash the password: {0}")]
    Hash(argon2::password_hash::Error),
    #[error(transparent)]
    Wards(#[from] WardsFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A new account, checked: the username is normalised (lowercase), the password long enough,
/// and the ward given exactly when the role needs one. Whether the ward exists and the
/// username is free is checked by [`create`].
#[derive(Clone)]
pub struct NewStaff {
    username: String,
    password: String,
    role: Role,
    ward_code: Option<String>,
}

impl NewStaff {
    pub fn new(
        username: &str,
        password: String,
        role: Role,
        ward_code: Option<String>,
    ) -> Result<NewStaff, CreateStaffError> {
        let username = username.to_lowercase();
        let usable = USERNAME_CHARS.contains(&username.chars().count())
            && username.starts_with(|c: char| c.is_ascii_alphanumeric())
            && username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !usable {
            return Err(CreateStaffError::BadUsername(username));
        }
        let chars = password.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(CreateStaffError::ShortPassword(chars));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(CreateStaffError::LongPassword(chars));
        }
        let ward_code = ward_code.map(|code| code.trim().to_owned());
        match (role, &ward_code) {
            (Role::Ward | Role::WardLead, None) => return Err(CreateStaffError::MissingWard),
            (Role::City | Role::Admin, Some(_)) => return Err(CreateStaffError::WardNotAllowed(role)),
            _ => {}
        }
        Ok(NewStaff { username, password, role, ward_code })
    }
}

/// Never prints the password.
impl fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewStaff")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("ward_code", &self.ward_code)
            .finish_non_exhaustive()
    }
}

/// Makes the account `new`. A ward officer's ward must be one of the boundary set in force
/// from `in_force`, as recorded in the `wards` table.
pub async fn create(
    store: &Store,
    new: NewStaff,
    in_force: NaiveDate,
) -> Result<StaffView, CreateStaffError> {
    let ward = match new.ward_code.clone() {
        Some(code) => {
            let looked_up = code.clone();
            let name = store.query(move |db| db.ward_name(&looked_up, Some(in_force))).await?;
            let name = name.ok_or(CreateStaffError::UnknownWard { code: code.clone(), in_force })?;
            Some(WardRef { code, name })
        }
        None => None,
    };
    let password = new.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("hashing a password does not panic")?;
    let (username, role, ward_code) = (new.username, new.role, new.ward_code);
    let now = Utc::now();
    let id = store
        .change({
            let username = username.clone();
            move |db| {
                db.add_staff(&username, &password_hash, role, ward_code.as_deref(), now)?
                    .ok_or(CreateStaffError::DuplicateUsername(username))
            }
        })
        .await?;
    Ok(StaffView { id, username, role, ward })
}

/// `phananh-server create-staff`: the password is the first line of stdin; prints one line
/// naming the account made.
pub fn run_create(args: CreateStaffArgs) -> Result<ExitCode, CreateStaffError> {
    let password = read_password(std::io::stdin().lock())?;
    // Every check that needs no database comes first, so a mistake is told at once.
    let new = NewStaff::new(&args.username, password, args.role, args.ward)?;
    let wards = wards_file::load(&args.wards.wards, args.wards.wards_valid_from)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let made = runtime.block_on(async {
        let store = args.data.store().await?;
        wards_file::record(&store, &wards).await?;
        create(&store, new, wards.validity().from).await
    })?;
    let mut stdout = std::io::stdout().lock();
    match &made.ward {
        Some(ward) => writeln!(
            stdout,
            "created {} staff {:?} for {} {}",
            made.role, made.username, ward.code, ward.name
        )?,
        None => writeln!(stdout, "created {} staff {:?}", made.role, made.username)?,
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Why an account could not be disabled.
#[derive(Debug, thiserror::Error)]
pub enum DisableStaffError {
    #[error("there is no staff account {0:?}")]
    UnknownUsername(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// `phananh-server disable-staff`: closes the account and ends its sessions; a running server
/// closes their live streams at their next heartbeat. Prints one line saying so.
pub fn run_disable(args: DisableStaffArgs) -> Result<ExitCode, DisableStaffError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let username = args.username.trim().to_lowercase();
    let ended = runtime.block_on(async { disable(&args.data.store().await?, username.clone()).await })?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "disabled staff {username:?}; {ended} session(s) ended")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Closes the account `username` (if it is not already) and ends its sessions in force: how
/// many were.
async fn disable(store: &Store, username: String) -> Result<usize, DisableStaffError> {
    let now = Utc::now();
    store
        .change(move |db| {
            db.disable_staff(&username, now)?
                .ok_or_else(|| DisableStaffError::UnknownUsername(username.clone()))
        })
        .await
}

/// The first line of `input`, without its line ending.
fn read_password(mut input: impl BufRead) -> Result<String, CreateStaffError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(CreateStaffError::Stdin)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

/// The argon2id PHC string of `password`, with a fresh salt and the crate's recommended
/// parameters (19 MiB, 2 passes, 1 lane).
fn hash_password(password: &str) -> Result<String, CreateStaffError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(CreateStaffError::Hash)
}

/// Whether `password` matches the PHC string `hash`. Slow by design: call it off the async
/// threads.
fn verify_password(password: &str, hash: &str) -> bool {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => true,
        Err(argon2::password_hash::Error::PasswordInvalid) => false,
        Err(error) => {
            tracing::error!(%error, "a stored password hash cannot be checked");
            false
        }
    }
}

/// A hash that no password is known to match, with the same parameters as real ones:
/// verified against when the username is unknown, so that an unknown username takes as long
/// to refuse as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$yrOY07ptihHHozDV2PyUvA$yU8PERWbuhxHIZjBvn2RktpA5fa4brhdWmZJCqrS5CQ";

/// The one refusal of a sign-in, whatever was wrong, so that nobody can probe usernames.
fn bad_credentials() -> DomainError {
    DomainError::unauthenticated("the username or the password is wrong")
}

/// Signs in: a new session and its token. A wrong password, an unknown username and a
/// disabled account get the same 401, after the same (slow) password check.
pub async fn login(store: &Store, request: LoginRequest) -> Result<LoginAnswer, DomainError> {
    let username = request.username.trim().to_lowercase();
    let account = store.query(move |db| db.account(&username)).await?;
    let hash = account.as_ref().map(|account| account.password_hash.clone());
    let password = request.password;
    let matches = tokio::task::spawn_blocking(move || {
        let matches = verify_password(&password, hash.as_deref().unwrap_or(DUMMY_HASH));
        matches && hash.is_some()
    })
    .await
    .expect("checking a password does not panic");
    let Some(account) = account.filter(|account| matches && !account.disabled) else {
        return Err(bad_credentials());
    };

    let (token, token_hash) = tokens::issue();
    let now = Utc::now().trunc_subsecs(6);
    let expires_at = now + SESSION_LENGTH;
    let staff_id = account.member.id;
    // Ended sessions are of no use to anyone: each sign-in sweeps them away.
    store.change(move |db| db.add_session(&token_hash, staff_id, now, expires_at)).await?;
    Ok(LoginAnswer { token, staff: view_of(account.member, account.ward_name), expires_at })
}

/// What a bearer token says about staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// A session in force, of an open account.
    Active(StaffMember),
    /// A session that has expired, or whose account has been disabled: sign in again.
    Ended,
}

/// The session `token` opened, if it is a staff token at all (a device's token is not).
pub async fn session(store: &Store, token: &str) -> Result<Option<Session>, DomainError> {
    let token_hash = tokens::hash(token);
    let now = Utc::now();
    let found = store.query(move |db| db.session(&token_hash, now)).await?;
    Ok(found.map(|(member, in_force)| if in_force { Session::Active(member) } else { Session::Ended }))
}

/// When the session whose token hashes to `token_hash` ends, if it is in force now (not
/// expired, not signed out, its account open): what an open live stream checks.
pub async fn in_force_until(
    store: &Store,
    token_hash: Vec<u8>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let now = Utc::now();
    let until = store.query(move |db| db.session_ends(&token_hash)).await?;
    Ok(until.filter(|until| *until > now))
}

/// Signs out: ends the session of `token`, or (`everywhere`) every session of its account.
/// How many sessions were ended; none when `token` is not a session in force.
pub async fn sign_out(store: &Store, token: &str, everywhere: bool) -> Result<usize, DomainError> {
    let token_hash = tokens::hash(token);
    let now = Utc::now();
    Ok(store.change(move |db| db.end_sessions(&token_hash, everywhere, now)).await?)
}

/// The staff member holding `token`, if it is the token of a session in force of an open
/// account (an expired session or a disabled account is `None`).
pub async fn recognise(store: &Store, token: &str) -> Result<Option<StaffMember>, DomainError> {
    Ok(match session(store, token).await? {
        Some(Session::Active(member)) => Some(member),
        Some(Session::Ended) | None => None,
    })
}

/// `member` as the API shows them, with their ward's name.
pub async fn view(store: &Store, member: StaffMember) -> Result<StaffView, DomainError> {
    let code = member.ward_code.clone();
    let ward_name = match code {
        Some(code) => store.query(move |db| db.ward_name(&code, None)).await?,
        None => None,
    };
    Ok(view_of(member, ward_name))
}

fn view_of(member: StaffMember, ward_name: Option<String>) -> StaffView {
    let ward = member.ward_code.map(|code| {
        // A ward officer's ward is checked against `wards` when the account is made, and
        // recorded wards are never removed, so the name is always there.
        let name = ward_name.unwrap_or_else(|| code.clone());
        WardRef { code, name }
    });
    StaffView { id: member.id, username: member.username, role: member.role, ward }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WardRecord;

    fn staff(role: Role, ward: Option<&str>) -> StaffMember {
        StaffMember { id: 1, username: "lan".into(), role, ward_code: ward.map(str::to_owned) }
    }

    #[test]
    fn a_ward_officer_acts_only_in_their_own_ward() {
        let officer = staff(Role::Ward, Some("00070"));
        assert!(officer.can_act_in("00070"));
        assert!(!officer.can_act_in("00004"));
        assert!(!officer.can_act_in(""));
        assert!(!officer.can_act_in("0007"), "codes match whole, not by prefix");
    }

    #[test]
    fn city_staff_and_administrators_act_in_every_ward() {
        for role in [Role::City, Role::Admin] {
            let member = staff(role, None);
            assert!(member.can_act_in("00070") && member.can_act_in("00004"), "{role}");
        }
    }

    #[test]
    fn a_ward_lead_acts_and_assigns_in_their_own_ward_only_and_city_staff_in_every_ward() {
        let lead = staff(Role::WardLead, Some("00070"));
        assert!(lead.can_act_in("00070") && lead.assigns_in("00070"));
        assert!(!lead.can_act_in("00004") && !lead.assigns_in("00004"));
        assert!(!staff(Role::Ward, Some("00070")).assigns_in("00070"), "an officer does not assign");
        for role in [Role::City, Role::Admin] {
            assert!(staff(role, None).assigns_in("00070") && staff(role, None).assigns_in("00004"), "{role}");
        }
    }

    #[test]
    fn once_assigned_only_its_officer_and_the_wards_leads_handle_a_report() {
        let officer = StaffMember { id: 7, ..staff(Role::Ward, Some("00070")) };
        let colleague = StaffMember { id: 8, ..staff(Role::Ward, Some("00070")) };
        let lead = StaffMember { id: 9, ..staff(Role::WardLead, Some("00070")) };
        let city = staff(Role::City, None);
        for member in [&officer, &colleague, &lead, &city] {
            assert!(member.may_handle("00070", None), "unassigned: {member:?}");
        }
        for (member, handles) in [(&officer, true), (&colleague, false), (&lead, true), (&city, true)] {
            assert_eq!(member.may_handle("00070", Some(7)), handles, "assigned to 7: {member:?}");
        }
        assert!(!officer.may_handle("00004", None), "another ward's report");
    }

    #[test]
    fn a_ward_officer_without_a_ward_acts_nowhere() {
        assert!(!staff(Role::Ward, None).can_act_in("00070"));
    }

    #[test]
    fn roles_read_and_write_as_their_names() {
        for role in [Role::Ward, Role::WardLead, Role::City, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("Ward".parse::<Role>().is_err());
    }

    #[test]
    fn new_accounts_are_checked_and_usernames_lowercased() {
        let password = || "mật-khẩu-đủ-dài".to_owned();
        let ok = NewStaff::new("Hoan.Kiem", password(), Role::Ward, Some("00070".into())).unwrap();
        assert_eq!(ok.username, "hoan.kiem");
        let refused = |username: &str, password: &str, role: Role, ward: Option<&str>| {
            NewStaff::new(username, password.to_owned(), role, ward.map(str::to_owned)).unwrap_err()
        };
        assert!(matches!(refused("lan", "ngắn", Role::City, None), CreateStaffError::ShortPassword(4)));
        for role in [Role::Ward, Role::WardLead] {
            assert!(matches!(refused("lan", "mật-khẩu-đủ-dài", role, None), CreateStaffError::MissingWard));
        }
        assert!(matches!(
            refused("lan", "mật-khẩu-đủ-dài", Role::City, Some("00070")),
            CreateStaffError::WardNotAllowed(Role::City)
        ));
        for bad in ["", "ab", "lan nguyen", ".lan", "nguyễn", &"a".repeat(33)] {
            assert!(
                matches!(refused(bad, "mật-khẩu-đủ-dài", Role::City, None), CreateStaffError::BadUsername(_)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        assert_eq!(read_password("mật khẩu dài\r\nthe rest\n".as_bytes()).unwrap(), "mật khẩu dài");
        assert_eq!(read_password("no newline".as_bytes()).unwrap(), "no newline");
        assert_eq!(read_password("".as_bytes()).unwrap(), "");
    }

    #[test]
    fn passwords_hash_to_argon2id_and_verify() {
        let hash = hash_password("mật-khẩu-đủ-dài").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("mật-khẩu-đủ-dài", &hash));
        assert!(!verify_password("mật-khẩu-khác", &hash));
        assert!(!verify_password("mật-khẩu-đủ-dài", "not a hash"));
    }

    /// An unknown username must cost what a wrong password costs: the dummy hash has the
    /// parameters real hashes get.
    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let real = hash_password("mật-khẩu-đủ-dài").unwrap();
        let params = |hash: &str| hash.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(!verify_password("", DUMMY_HASH));
    }

    /// A store in a new temporary file, removed when the test ends.
    fn temporary_store() -> (Store, TempFile) {
        let path = std::env::temp_dir().join(format!("phananh-staff-{}.db", uuid::Uuid::now_v7()));
        let store = Store::Sqlite(crate::store::sqlite::SqliteStore::open(&path).unwrap());
        let file = TempFile(path);
        (store, file)
    }

    struct TempFile(std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    const IN_FORCE: &str = "2025-07-01";

    async fn with_hoan_kiem(store: &Store) {
        let ward =
            WardRecord {
                code: "00070".into(), name: "Phường Hoàn Kiếm".into(), name_en: None, kind: "ward"
            };
        store.change(move |db| db.record_wards(IN_FORCE.parse().unwrap(), None, &[ward])).await.unwrap();
    }

    fn login_as(username: &str, password: &str) -> LoginRequest {
        LoginRequest { username: username.to_owned(), password: password.to_owned() }
    }

    #[tokio::test]
    async fn sessions_end_when_they_expire_or_the_account_is_disabled() {
        let (store, _file) = temporary_store();
        with_hoan_kiem(&store).await;
        let in_force = IN_FORCE.parse().unwrap();
        let new =
            NewStaff::new("HoanKiem", "mật-khẩu-đủ-dài".into(), Role::Ward, Some("00070".into())).unwrap();
        let made = create(&store, new, in_force).await.unwrap();
        assert_eq!(made.ward, Some(WardRef { code: "00070".into(), name: "Phường Hoàn Kiếm".into() }));

        let answer = login(&store, login_as(" HOANKIEM ", "mật-khẩu-đủ-dài")).await.unwrap();
        assert_eq!(answer.staff, made);
        let member = recognise(&store, &answer.token).await.unwrap().expect("a session in force");
        assert_eq!(
            (member.id, member.role, member.ward_code.as_deref()),
            (made.id, Role::Ward, Some("00070"))
        );
        assert_eq!(view(&store, member).await.unwrap(), made);
        assert!(recognise(&store, &tokens::issue().0).await.unwrap().is_none(), "an unknown token");

        // Ended: recognised as a staff token, but no longer in force.
        assert_eq!(sign_out(&store, &answer.token, false).await.unwrap(), 1);
        assert_eq!(session(&store, &answer.token).await.unwrap(), Some(Session::Ended));
        assert!(recognise(&store, &answer.token).await.unwrap().is_none());

        // Disabled: the session ends, and signing in is refused like a wrong password.
        let again = login(&store, login_as("hoankiem", "mật-khẩu-đủ-dài")).await.unwrap();
        assert!(recognise(&store, &again.token).await.unwrap().is_some());
        assert_eq!(disable(&store, "hoankiem".into()).await.unwrap(), 1, "its one session in force ends");
        assert!(recognise(&store, &again.token).await.unwrap().is_none());
        let refused = login(&store, login_as("hoankiem", "mật-khẩu-đủ-dài")).await.unwrap_err();
        let wrong = login(&store, login_as("hoankiem", "mật-khẩu-sai-rồi")).await.unwrap_err();
        let unknown = login(&store, login_as("nobody", "mật-khẩu-đủ-dài")).await.unwrap_err();
        assert_eq!(format!("{refused:?}"), format!("{wrong:?}"));
        assert_eq!(format!("{unknown:?}"), format!("{wrong:?}"));
    }

    #[tokio::test]
    async fn accounts_need_a_free_username_and_a_ward_in_force() {
        let (store, _file) = temporary_store();
        with_hoan_kiem(&store).await;
        let in_force: NaiveDate = IN_FORCE.parse().unwrap();
        let new = |username: &str, ward: &str| {
            NewStaff::new(username, "mật-khẩu-đủ-dài".into(), Role::Ward, Some(ward.into())).unwrap()
        };
        create(&store, new("lan", "00070"), in_force).await.unwrap();
        let duplicate = create(&store, new("LAN", "00070"), in_force).await.unwrap_err();
        assert!(
            matches!(&duplicate, CreateStaffError::DuplicateUsername(name) if name == "lan"),
            "{duplicate}"
        );
        let unknown = create(&store, new("minh", "99999"), in_force).await.unwrap_err();
        assert!(
            matches!(&unknown, CreateStaffError::UnknownWard { code, .. } if code == "99999"),
            "{unknown}"
        );
        let later = create(&store, new("minh", "00070"), "2026-01-01".parse().unwrap()).await.unwrap_err();
        assert!(
            matches!(later, CreateStaffError::UnknownWard { .. }),
            "only the boundary set in force counts"
        );
    }
}
