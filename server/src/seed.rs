//! `phananh-server seed-demo`: a database full of realistic reports, for trying the screens
//! and for benchmarks.
//!
//! Everything goes through the same functions the HTTP API calls, with times in the past:
//! residents file reports at random points of random wards over the last days (60 unless
//! asked), and ward officers move them on at plausible delays, some late, so every status,
//! every deadline state and every figure of the dashboard has data. As in a city that keeps
//! up, what is still open is the last days' work (reopened reports too): a longer history
//! adds closed reports, not a growing backlog.

use std::io::Cursor;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use phananh_shared::api::{ActionRequest, CommentRequest, NewDevice, RatingRequest};
use phananh_shared::report::{Category, Location, NewReport, Priority};
use phananh_shared::sla::SlaPolicy;
use phananh_shared::wards::WardIndex;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use uuid::Uuid;

use crate::cli::SeedArgs;
use crate::error::DomainError;
use crate::serve::photos_of;
use crate::staff::{self, NewStaff, Role, StaffMember};
use crate::store::{Db, Store, StoreError};
use crate::uploads::{UploadBudget, Uploads};
use crate::{devices, reports, wards_file};

/// Every demo account's password, printed with the accounts.
pub const DEMO_PASSWORD: &str = "demo-phananh-2025";
const RESIDENTS: usize = 40;
/// Reports filed in one change.
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Wards(#[from] wards_file::WardsFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("demo data: {0}")]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Staff(#[from] staff::CreateStaffError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub fn run(args: SeedArgs) -> Result<ExitCode, SeedError> {
    let wards = wards_file::load(&args.wards.wards, args.wards.wards_valid_from)?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let store = args.data.store().await?;
        let photos = photos_of(&store, &args.data.data_dir)?;
        let uploads = Uploads::new(photos, UploadBudget::UNLIMITED, crate::uploads::default_decoders());
        wards_file::record(&store, &wards).await?;
        let mut rng = StdRng::seed_from_u64(args.seed);
        let world = World::create(&store, &uploads, &wards, args.wards.wards_valid_from).await?;
        let policy = SlaPolicy::default();
        let now = Utc::now();
        // Filed in the order of time, as a city files them: every index on a time then grows
        // at its end, so a long history is written page after page, not all over the file.
        let span = i64::from(args.days) * 24 * 60;
        let mut received: Vec<DateTime<Utc>> =
            (0..args.reports).map(|_| now - TimeDelta::minutes(rng.random_range(10..span))).collect();
        received.sort_unstable();
        // Many reports a change: one commit for each batch, not for each step of each report.
        let wards = Arc::new(wards);
        for batch in received.chunks(BATCH) {
            let plans = batch
                .iter()
                .map(|&received_at| world.plan(&wards, &policy, &mut rng, now, received_at))
                .collect::<Result<Vec<_>, _>>()?;
            let wards = Arc::clone(&wards);
            store
                .change(move |db| plans.into_iter().try_for_each(|plan| plan.apply(db, &wards, &policy)))
                .await?;
        }
        println!(
            "{} reports filed by {RESIDENTS} demo residents over the last {} days.",
            args.reports, args.days
        );
        println!("Staff accounts (password {DEMO_PASSWORD:?}):");
        println!("  thanhpho        city staff, every ward");
        for officer in world.officers.iter().take(3) {
            let code = officer.member.ward_code.as_deref().unwrap_or("");
            let name = wards.ward(code).map_or("", |w| w.name.as_str());
            println!("  {:<15} ward officer, {code} {name}", officer.member.username);
        }
        println!("  p<code>         the officer of every other ward, e.g. p00070 for Phường Hoàn Kiếm");
        Ok(ExitCode::SUCCESS)
    })
}

struct Officer {
    member: StaffMember,
    /// An "after" photo this officer uploaded, for answers that need one.
    after_photo: Uuid,
}

struct World {
    residents: Vec<Uuid>,
    officers: Vec<Officer>,
    /// The last report filed in each ward, which later ones may duplicate.
    filed: std::sync::Mutex<std::collections::HashMap<String, Uuid>>,
}

impl World {
    /// The demo accounts: city staff, one officer per ward, residents' devices. Accounts left
    /// by an earlier run are reused.
    async fn create(
        store: &Store,
        uploads: &Uploads,
        wards: &WardIndex,
        in_force: chrono::NaiveDate,
    ) -> Result<World, SeedError> {
        account(store, "thanhpho", Role::City, None, in_force).await?;
        let mut officers = Vec::new();
        for ward in wards.wards() {
            let member =
                account(store, &format!("p{}", ward.code), Role::Ward, Some(&ward.code), in_force).await?;
            let uploader = format!("staff:{}", member.id);
            let photo = uploads.upload(store, uploader, demo_photo(officers.len()), Utc::now()).await?;
            officers.push(Officer { member, after_photo: photo.id });
        }
        let mut residents = Vec::new();
        for _ in 0..RESIDENTS {
            residents.push(devices::register(store, NewDevice::default()).await?.device_id);
        }
        Ok(World { residents, officers, filed: Default::default() })
    }

    /// What happens to one more demo report, received `received_at`, decided now and applied
    /// later in a batch.
    fn plan(
        &self,
        wards: &WardIndex,
        policy: &SlaPolicy,
        rng: &mut StdRng,
        now: DateTime<Utc>,
        received_at: DateTime<Utc>,
    ) -> Result<Plan, SeedError> {
        let officer = &self.officers[rng.random_range(0..self.officers.len())];
        let ward = officer.member.ward_code.clone().expect("officers have wards");
        let (lon, lat) = point_in(wards, &ward, rng);
        let category = Category::ALL[rng.random_range(0..Category::ALL.len())];
        let priority = match rng.random_range(0..100) {
            0..80 => Priority::Normal,
            80..95 => Priority::Urgent,
            _ => Priority::Complex,
        };
        let device = self.residents[rng.random_range(0..self.residents.len())];
        let report = NewReport {
            id: Uuid::now_v7(),
            category,
            priority,
            description: description(category, rng).to_owned(),
            location: Location { lon, lat, accuracy_m: Some(rng.random_range(3.0..40.0)) },
            photos: Vec::new(),
        };
        let id = report.id;
        let filing = reports::prepare_filing(wards, policy, device, report, received_at)?;
        let mut plan = Plan { filing, id, device, officer: officer.member.clone(), later: Vec::new() };

        // How far the report got: older reports got further, a few were rejected or duplicates.
        let age_days = (now - received_at).num_days();
        let mut at = received_at;
        let mut step = |hours: std::ops::Range<i64>, rng: &mut StdRng| {
            at += TimeDelta::minutes(rng.random_range(hours.start * 60..hours.end * 60));
            (at < now).then_some(at)
        };
        let roll = rng.random_range(0..100);
        let earlier = self.filed.lock().expect("not poisoned").insert(ward.clone(), id);
        if roll < 4
            && let Some(original) = earlier
            && let Some(when) = step(1..30, rng)
        {
            plan.act(ActionRequest::MarkDuplicate { original }, when);
            return Ok(plan);
        }
        if roll < 8 {
            if let Some(when) = step(1..30, rng) {
                let reason = "Nội dung không thuộc thẩm quyền của phường; đã hướng dẫn người dân liên hệ cơ quan phù hợp.";
                plan.act(ActionRequest::Reject { reason: reason.into() }, when);
            }
            return Ok(plan);
        }
        if roll < 10
            && age_days > 0
            && let Some(when) = step(1..20, rng)
        {
            let note = "Đã gọi điện xác minh với người phản ánh.";
            plan.act(ActionRequest::Note { text: note.into() }, when);
        }
        // The last two days' reports: some are not seen yet.
        if age_days < 2 && rng.random_bool(0.3) {
            return Ok(plan);
        }
        let Some(when) = step(1..14, rng) else { return Ok(plan) };
        plan.act(ActionRequest::Acknowledge, when);
        if age_days < 2 && rng.random_bool(0.5) {
            return Ok(plan);
        }
        let Some(when) = step(2..48, rng) else { return Ok(plan) };
        plan.act(ActionRequest::Start, when);
        if age_days < 5 && rng.random_bool(0.5) {
            return Ok(plan);
        }
        let Some(when) = step(4..200, rng) else { return Ok(plan) };
        plan.act(officer.resolution(category, when), when);
        let Some(when) = step(2..96, rng) else { return Ok(plan) };
        let stars = *[5u8, 5, 4, 4, 4, 3, 2, 1].get(rng.random_range(0..8)).expect("in range");
        if stars <= 2 && rng.random_bool(0.5) {
            let comment = Some("Tình trạng vẫn tiếp diễn, đề nghị phường kiểm tra lại.".to_owned());
            plan.later.push((when, Later::Rate(RatingRequest { stars, comment, reopen: true })));
            if let Some(when) = step(1..24, rng) {
                let text = "Tối qua vẫn còn, tôi gửi thêm thông tin.".to_owned();
                plan.later.push((when, Later::Comment(CommentRequest { text })));
            }
            // The ward goes back. A reopened report needs a new visit, so it waits longer
            // than a new one (up to two weeks), but it is answered: a city's open backlog is
            // the last days' work, whatever the length of its history.
            let Some(when) = step(24..14 * 24, rng) else { return Ok(plan) };
            plan.act(ActionRequest::Start, when);
            let Some(when) = step(4..200, rng) else { return Ok(plan) };
            plan.act(officer.resolution(category, when), when);
        } else {
            plan.later.push((when, Later::Rate(RatingRequest { stars, comment: None, reopen: false })));
        }
        Ok(plan)
    }
}

impl Officer {
    /// The officer's answer to a report of `category`, written `when`, with the "after"
    /// photo the category asks for.
    fn resolution(&self, category: Category, when: DateTime<Utc>) -> ActionRequest {
        let after_photos = if category.needs_after_photo() { vec![self.after_photo] } else { Vec::new() };
        let answer = format!(
            "Ngày {}, phường đã xử lý dứt điểm nội dung phản ánh tại địa điểm nêu trên.",
            when.format("%d/%m/%Y")
        );
        ActionRequest::Resolve { answer, after_photos }
    }
}

/// One demo report: its filing, then what its ward officer and its resident do with it.
struct Plan {
    filing: reports::Filing,
    id: Uuid,
    device: Uuid,
    officer: StaffMember,
    later: Vec<(DateTime<Utc>, Later)>,
}

enum Later {
    Act(ActionRequest),
    Rate(RatingRequest),
    Comment(CommentRequest),
}

impl Plan {
    fn act(&mut self, request: ActionRequest, when: DateTime<Utc>) {
        self.later.push((when, Later::Act(request)));
    }

    /// Files the report and plays what follows, in the change `db`, through the functions
    /// the API calls: the same rows, events and kept figures.
    fn apply(self, db: &mut dyn Db, wards: &WardIndex, policy: &SlaPolicy) -> Result<(), DomainError> {
        let Plan { filing, id, device, officer, later } = self;
        reports::record_filing(db, &reports::FilingBudget::unlimited(), filing)?;
        for (when, step) in later {
            match step {
                Later::Act(request) => {
                    reports::act_in(db, wards, policy, &officer, id, request, when).map(drop)?
                }
                Later::Rate(rating) => reports::rate(db, policy, device, id, rating, when).map(drop)?,
                Later::Comment(comment) => reports::comment(db, device, id, comment, when).map(drop)?,
            }
        }
        Ok(())
    }
}

/// The staff account `username`, made if it does not exist yet.
async fn account(
    store: &Store,
    username: &str,
    role: Role,
    ward: Option<&str>,
    in_force: chrono::NaiveDate,
) -> Result<StaffMember, SeedError> {
    let new = NewStaff::new(username, DEMO_PASSWORD.to_owned(), role, ward.map(str::to_owned))?;
    let view = match staff::create(store, new, in_force).await {
        Ok(view) => view,
        Err(staff::CreateStaffError::DuplicateUsername(_)) => {
            let request =
                staff::LoginRequest { username: username.to_owned(), password: DEMO_PASSWORD.to_owned() };
            let answer = staff::login(store, request).await?;
            answer.staff
        }
        Err(other) => return Err(other.into()),
    };
    Ok(StaffMember {
        id: view.id,
        username: view.username,
        role: view.role,
        ward_code: view.ward.map(|w| w.code),
    })
}

/// A random point of ward `code`.
fn point_in(wards: &WardIndex, code: &str, rng: &mut StdRng) -> (f64, f64) {
    let shape = wards.shapes().find(|(w, _)| w.code == code).map(|(_, s)| s).expect("the ward exists");
    let bounds = geo::BoundingRect::bounding_rect(shape).expect("not empty");
    loop {
        let lon = rng.random_range(bounds.min().x..bounds.max().x);
        let lat = rng.random_range(bounds.min().y..bounds.max().y);
        if wards.locate(lon, lat).is_some_and(|l| l.ward.code == code) {
            return (lon, lat);
        }
    }
}

/// What residents write, by category.
fn description(category: Category, rng: &mut StdRng) -> &'static str {
    let choices: &[&str] = match category {
        Category::Environment => &[
            "Rác thải tập kết bừa bãi ở đầu ngõ, bốc mùi hôi thối nhiều ngày.",
            "Có người đổ phế thải xây dựng ra bãi đất trống ven đường.",
        ],
        Category::Roads => &[
            "Ổ gà lớn giữa đường, xe máy đi qua rất nguy hiểm.",
            "Vỉa hè bị vỡ, gạch bong tróc trước cổng trường.",
        ],
        Category::StreetLighting => {
            &["Đèn đường tắt cả tuần, buổi tối ngõ tối om.", "Cột đèn bị nghiêng, có nguy cơ đổ."]
        }
        Category::Drainage => &[
            "Cống thoát nước bị tắc, mưa là ngập đến đầu gối.",
            "Nắp hố ga bị mất, rất nguy hiểm cho người đi đường.",
        ],
        Category::TreesParks => {
            &["Cây xanh bị nghiêng sau bão, có nguy cơ đổ vào nhà dân.", "Cành cây khô sắp gãy trên vỉa hè."]
        }
        Category::UrbanOrder => &[
            "Hàng quán lấn chiếm toàn bộ vỉa hè, người đi bộ phải xuống lòng đường.",
            "Xe máy đỗ kín vỉa hè trước chợ.",
        ],
        Category::IllegalConstruction => &[
            "Nhà bên cạnh xây thêm tầng, không thấy biển báo cấp phép.",
            "Công trình xây dựng để vật liệu tràn ra đường.",
        ],
        Category::Traffic => {
            &["Đèn tín hiệu giao thông ở ngã tư bị hỏng.", "Ô tô đỗ hai bên đường gây ùn tắc giờ cao điểm."]
        }
        Category::Noise => &[
            "Quán karaoke hát đến quá nửa đêm, ảnh hưởng cả khu dân cư.",
            "Công trình thi công ồn ào sau 22 giờ.",
        ],
        Category::WaterSupply => {
            &["Mất nước sinh hoạt hai ngày chưa có thông báo.", "Nước máy có màu vàng và mùi lạ."]
        }
        Category::Electricity => {
            &["Dây điện chằng chịt, võng thấp sát đầu người.", "Mất điện thường xuyên vào buổi tối."]
        }
        Category::PublicSecurity => &[
            "Có nhóm thanh niên tụ tập đua xe vào ban đêm.",
            "Nghi có đối tượng trộm cắp xe máy trong khu tập thể.",
        ],
        Category::FireRisk => &[
            "Cửa hàng chứa nhiều bình gas, không có bình chữa cháy.",
            "Lối thoát hiểm của chung cư bị khóa.",
        ],
        Category::Other => &[
            "Đề nghị phường lắp thêm biển chỉ dẫn trong khu dân cư.",
            "Bảng tin khu phố bị hỏng, cần sửa chữa.",
        ],
    };
    choices[rng.random_range(0..choices.len())]
}

/// A small JPEG for the demo "after" photos: a plain colour, different per officer.
fn demo_photo(n: usize) -> Vec<u8> {
    let shade = (n * 37 % 200) as u8 + 30;
    let picture = image::RgbImage::from_pixel(64, 48, image::Rgb([40, shade, 90]));
    let mut bytes = Vec::new();
    picture.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg).expect("a small JPEG encodes");
    bytes
}
