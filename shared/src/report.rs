//! What a resident reports: its category, priority and location, and the new report a device
//! sends, with the checks the server applies before accepting it.
//!
//! The limits are public constants because the app shows them (a character counter, a photo
//! count) and checks them offline with the same code, so a report that leaves the device is one
//! the server will take.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{FieldError, check_number, check_text};

/// How urgently a report must be handled, after the city's rules for iHaNoi
/// (Decision 1207/QĐ-UBND, 2025).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// The default.
    #[default]
    Normal,
    /// Disaster, accident, crime, danger to people.
    Urgent,
    /// Several agencies involved, or a legal procedure needed.
    Complex,
}

/// The kind of problem reported, after the field categories residents choose from on iHaNoi.
/// The snake_case code is the wire name and never changes; the names are for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Rubbish, dumping, dirty streets, smells, pollution.
    Environment,
    /// Potholes, broken pavements, damaged bridges and road furniture.
    Roads,
    /// Street lights out, or left on by day.
    StreetLighting,
    /// Blocked drains, open manholes, flooded streets.
    Drainage,
    /// Fallen or dangerous trees, neglected parks and green spaces.
    TreesParks,
    /// Stalls, goods and vehicles occupying pavements and roadways.
    UrbanOrder,
    /// Building without a permit, or beyond it.
    IllegalConstruction,
    /// Broken signals and signs, congestion, illegal parking.
    Traffic,
    /// Karaoke, building sites, loudspeakers at night.
    Noise,
    /// Water outages, dirty water, burst mains.
    WaterSupply,
    /// Power outages, hanging or fallen cables.
    Electricity,
    /// Crime, fights, gambling, threats to safety.
    PublicSecurity,
    /// Blocked fire exits, flammable storage, unsafe wiring in homes and shops.
    FireRisk,
    /// Anything else; staff may re-categorise it.
    Other,
}

impl Category {
    /// Every category, in the order the app lists them.
    pub const ALL: [Category; 14] = [
        Category::Environment,
        Category::Roads,
        Category::StreetLighting,
        Category::Drainage,
        Category::TreesParks,
        Category::UrbanOrder,
        Category::IllegalConstruction,
        Category::Traffic,
        Category::Noise,
        Category::WaterSupply,
        Category::Electricity,
        Category::PublicSecurity,
        Category::FireRisk,
        Category::Other,
    ];

    /// The wire name, as serialised.
    pub const fn code(self) -> &'static str {
        match self {
            Category::Environment => "environment",
            Category::Roads => "roads",
            Category::StreetLighting => "street_lighting",
            Category::Drainage => "drainage",
            Category::TreesParks => "trees_parks",
            Category::UrbanOrder => "urban_order",
            Category::IllegalConstruction => "illegal_construction",
            Category::Traffic => "traffic",
            Category::Noise => "noise",
            Category::WaterSupply => "water_supply",
            Category::Electricity => "electricity",
            Category::PublicSecurity => "public_security",
            Category::FireRisk => "fire_risk",
            Category::Other => "other",
        }
    }

    /// The name residents see: the app speaks Vietnamese first.
    pub const fn name_vi(self) -> &'static str {
        match self {
            Category::Environment => "Vệ sinh môi trường, rác thải",
            Category::Roads => "Hạ tầng giao thông, vỉa hè",
            Category::StreetLighting => "Chiếu sáng công cộng",
            Category::Drainage => "Thoát nước, ngập úng",
            Category::TreesParks => "Cây xanh, công viên",
            Category::UrbanOrder => "Trật tự đô thị, lấn chiếm vỉa hè",
            Category::IllegalConstruction => "Trật tự xây dựng",
            Category::Traffic => "Giao thông, đỗ xe",
            Category::Noise => "Tiếng ồn",
            Category::WaterSupply => "Cấp nước",
            Category::Electricity => "Điện",
            Category::PublicSecurity => "An ninh trật tự",
            Category::FireRisk => "Phòng cháy, chữa cháy",
            Category::Other => "Khác",
        }
    }

    pub const fn name_en(self) -> &'static str {
        match self {
            Category::Environment => "Environment, sanitation and waste",
            Category::Roads => "Roads and pavements",
            Category::StreetLighting => "Street lighting",
            Category::Drainage => "Drainage and flooding",
            Category::TreesParks => "Trees and parks",
            Category::UrbanOrder => "Urban order and pavement encroachment",
            Category::IllegalConstruction => "Illegal construction",
            Category::Traffic => "Traffic and parking",
            Category::Noise => "Noise",
            Category::WaterSupply => "Water supply",
            Category::Electricity => "Electricity",
            Category::PublicSecurity => "Public security and safety",
            Category::FireRisk => "Fire risk",
            Category::Other => "Other",
        }
    }

    /// Whether resolving a report of this category needs an "after" photo of the spot.
    ///
    /// Answers without proof are what residents complain about most, so the photo is required
    /// wherever every genuine fix leaves something to see at the spot: rubbish cleared, a pothole
    /// filled, a lamp lit, a drain open, a tree cut back, a pavement cleared, a building site
    /// halted or pulled down. It is not required where a genuine fix can leave nothing to
    /// photograph, since demanding one would block honest answers or invite staged pictures:
    /// - traffic: most reports are about parking and congestion; the fix is enforcement, and an
    ///   empty kerb proves nothing;
    /// - noise: sound cannot be photographed;
    /// - water supply, electricity: outages and water quality are fixed in the network, often
    ///   by the utility, and proven by service coming back;
    /// - public security: handled by the police; pictures of people would be a privacy risk;
    /// - fire risk: the fix is usually an inspection, a fine or a closure order, proven by a
    ///   document rather than a picture;
    /// - other: unknown in advance; staff judge.
    pub const fn needs_after_photo(self) -> bool {
        match self {
            Category::Environment
            | Category::Roads
            | Category::StreetLighting
            | Category::Drainage
            | Category::TreesParks
            | Category::UrbanOrder
            | Category::IllegalConstruction => true,
            Category::Traffic
            | Category::Noise
            | Category::WaterSupply
            | Category::Electricity
            | Category::PublicSecurity
            | Category::FireRisk
            | Category::Other => false,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The largest GPS accuracy radius accepted, in metres. A fix worse than 10 km cannot tell
/// one ward from the next (Hà Nội's wards are a few km across); the resident should tap the
/// map instead.
pub const MAX_ACCURACY_M: f64 = 10_000.0;

/// Where the problem is: WGS84 longitude and latitude in degrees, and the radius the device
/// believes it is within (absent when the resident tapped the map).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

impl Location {
    /// Checks the numbers are finite and in range. Errors name `location.lon`, `location.lat`
    /// or `location.accuracy_m`. Whether the point is inside the city is routing's question.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_number("location.lon", self.lon, -180.0, 180.0)?;
        check_number("location.lat", self.lat, -90.0, 90.0)?;
        if let Some(accuracy) = self.accuracy_m {
            check_number("location.accuracy_m", accuracy, 0.0, MAX_ACCURACY_M)?;
        }
        Ok(())
    }
}

/// The fewest characters a description may have (trimmed, counted as
/// [`text_len`](crate::validation::text_len) does): "ngập" alone does not say where or how bad.
pub const DESCRIPTION_MIN_CHARS: usize = 10;
/// The most characters a description may have: room for a detailed account, not for a petition.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// The most photos a report may carry; each is uploaded separately and referenced by its id.
pub const MAX_PHOTOS: usize = 5;
/// The largest photo file accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// A report's short reference, for people: `PA-1042`, said on a phone call, typed into a
/// search, given as "duplicate of". The server numbers reports in the order it accepts them
/// (the device's UUID stays the key programs use), so a report queued offline has none yet.
/// On the wire it is the text as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(pub u64);

impl Reference {
    const PREFIX: &str = "PA";

    /// Reads a reference as people write it: `PA-1042`, `pa 1042`, `PA1042`, `#1042` or
    /// `1042`.
    pub fn parse(text: &str) -> Option<Reference> {
        let text = text.trim();
        let prefixed = text.get(..Self::PREFIX.len()).filter(|p| p.eq_ignore_ascii_case(Self::PREFIX));
        let digits = match prefixed {
            Some(_) => {
                let rest = &text[Self::PREFIX.len()..];
                rest.strip_prefix(['-', ' ']).unwrap_or(rest)
            }
            None => text.strip_prefix('#').unwrap_or(text),
        };
        let number = digits.parse::<u64>().ok().filter(|n| *n > 0)?;
        // Leading zeros or a sign would make two texts of one reference.
        (digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')).then_some(Reference(number))
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", Self::PREFIX, self.0)
    }
}

impl From<Reference> for String {
    fn from(reference: Reference) -> String {
        reference.to_string()
    }
}

impl TryFrom<String> for Reference {
    type Error = String;

    fn try_from(text: String) -> Result<Reference, String> {
        Reference::parse(&text).ok_or_else(|| format!("not a report reference: {text:?}"))
    }
}

/// A report as a resident's device sends it.
///
/// The device makes the id (a UUIDv7), so an upload retried after a lost answer is the same
/// report, not a second one. Unknown fields are refused so a misspelt field is an error rather
/// than silently dropped data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub id: Uuid,
    pub category: Category,
    #[serde(default)]
    pub priority: Priority,
    /// Stored trimmed; the limits apply to the trimmed text.
    pub description: String,
    pub location: Location,
    /// Ids of photos uploaded before the report.
    #[serde(default)]
    pub photos: Vec<Uuid>,
}

impl NewReport {
    /// Checks everything the type system does not, in form order, and returns the first problem.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.id.is_nil() {
            // The id is the key that makes retries safe: a device stuck on the nil id would
            // collide with every other such device.
            return Err(FieldError::invalid("id", "id must not be the nil UUID"));
        }
        check_text("description", &self.description, DESCRIPTION_MIN_CHARS, DESCRIPTION_MAX_CHARS)?;
        self.location.validate()?;
        self.validate_photos()
    }

    fn validate_photos(&self) -> Result<(), FieldError> {
        if self.photos.len() > MAX_PHOTOS {
            return Err(FieldError::too_many("photos", MAX_PHOTOS, self.photos.len()));
        }
        for (i, photo) in self.photos.iter().enumerate() {
            if let Some(first) = self.photos[..i].iter().position(|earlier| earlier == photo) {
                return Err(FieldError::invalid(
                    "photos",
                    format!("photos[{i}] repeats photos[{first}] ({photo})"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::ErrorCode;

    #[test]
    fn a_reference_is_read_as_people_write_it_and_shown_one_way() {
        for text in ["PA-1042", "pa-1042", "PA 1042", "PA1042", " #1042 ", "1042"] {
            assert_eq!(Reference::parse(text), Some(Reference(1042)), "{text:?}");
        }
        for text in
            ["", "PA-", "PA-0", "0", "PA-01042", "PA--1042", "PB-1042", "-1042", "+1042", "PA-1042a", "1e3"]
        {
            assert_eq!(Reference::parse(text), None, "{text:?}");
        }
        assert_eq!(Reference(1042).to_string(), "PA-1042");
        assert_eq!(serde_json::to_string(&Reference(7)).unwrap(), "\"PA-7\"");
        assert_eq!(serde_json::from_str::<Reference>("\"PA-7\"").unwrap(), Reference(7));
        assert!(serde_json::from_str::<Reference>("\"PA-x\"").is_err());
    }

    fn report() -> NewReport {
        NewReport {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            category: Category::Drainage,
            priority: Priority::Normal,
            description: "Cống trước số 12 phố Huế bị tắc, nước tràn lên vỉa hè.".into(),
            location: Location { lon: 105.8516, lat: 21.0128, accuracy_m: Some(8.0) },
            photos: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
        }
    }

    /// The error's (field, code), for short assertions.
    fn error_of(report: &NewReport) -> (String, ErrorCode) {
        let error = report.validate().expect_err("should be refused");
        (error.field, error.code)
    }

    fn field(name: &str, code: ErrorCode) -> (String, ErrorCode) {
        (name.to_string(), code)
    }

    #[test]
    fn a_good_report_is_valid() {
        assert_eq!(report().validate(), Ok(()));
    }

    #[test]
    fn nil_id_is_refused() {
        let mut r = report();
        r.id = Uuid::nil();
        assert_eq!(error_of(&r), field("id", ErrorCode::Invalid));
    }

    #[test]
    fn blank_description_is_required() {
        let mut r = report();
        for blank in ["", "   ", "\n\t \u{3000}"] {
            r.description = blank.into();
            assert_eq!(error_of(&r), field("description", ErrorCode::Required));
        }
    }

    #[test]
    fn description_shorter_than_min_is_too_short_after_trimming() {
        let mut r = report();
        r.description = "   Ngập nặng   ".into(); // 9 characters once trimmed, 13 bytes of them
        let error = r.validate().unwrap_err();
        assert_eq!((error.field.as_str(), error.code), ("description", ErrorCode::TooShort));
        assert_eq!(error.message, "description must be at least 10 characters, got 9");
        r.description = "Ngập nặng!".into();
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn description_at_max_in_vietnamese_is_valid() {
        let mut r = report();
        r.description = "ệ".repeat(DESCRIPTION_MAX_CHARS); // 3 bytes each
        assert_eq!(r.description.len(), 3 * DESCRIPTION_MAX_CHARS);
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn decomposed_vietnamese_at_max_is_valid() {
        let mut r = report();
        r.description = "e\u{0302}\u{0323}".repeat(DESCRIPTION_MAX_CHARS);
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn description_over_max_in_vietnamese_is_too_long() {
        let mut r = report();
        r.description = "ệ".repeat(DESCRIPTION_MAX_CHARS + 1);
        let error = r.validate().unwrap_err();
        assert_eq!((error.field.as_str(), error.code), ("description", ErrorCode::TooLong));
        assert_eq!(error.message, "description must be at most 2000 characters, got 2001");
    }

    #[test]
    fn surrounding_whitespace_does_not_count_towards_max() {
        let mut r = report();
        r.description = format!("  {}\n\n", "đ".repeat(DESCRIPTION_MAX_CHARS));
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn non_finite_coordinates_are_not_a_number() {
        let cases = [
            (Location { lon: f64::NAN, lat: 21.0, accuracy_m: None }, "location.lon"),
            (Location { lon: 105.8, lat: f64::NAN, accuracy_m: None }, "location.lat"),
            (Location { lon: f64::INFINITY, lat: 21.0, accuracy_m: None }, "location.lon"),
            (Location { lon: 105.8, lat: f64::NEG_INFINITY, accuracy_m: None }, "location.lat"),
            (Location { lon: 105.8, lat: 21.0, accuracy_m: Some(f64::NAN) }, "location.accuracy_m"),
        ];
        for (location, name) in cases {
            let mut r = report();
            r.location = location;
            assert_eq!(error_of(&r), field(name, ErrorCode::NotANumber), "{location:?}");
        }
    }

    #[test]
    fn coordinates_out_of_range_are_refused() {
        let cases = [
            (Location { lon: 180.0001, lat: 21.0, accuracy_m: None }, "location.lon"),
            (Location { lon: -181.0, lat: 21.0, accuracy_m: None }, "location.lon"),
            (Location { lon: 105.8, lat: 90.5, accuracy_m: None }, "location.lat"),
            (Location { lon: 105.8, lat: -91.0, accuracy_m: None }, "location.lat"),
            (Location { lon: 105.8, lat: 21.0, accuracy_m: Some(-1.0) }, "location.accuracy_m"),
            (Location { lon: 105.8, lat: 21.0, accuracy_m: Some(10_001.0) }, "location.accuracy_m"),
        ];
        for (location, name) in cases {
            let mut r = report();
            r.location = location;
            assert_eq!(error_of(&r), field(name, ErrorCode::OutOfRange), "{location:?}");
        }
        let mut r = report();
        r.location.lat = 91.0;
        assert_eq!(r.validate().unwrap_err().message, "location.lat must be between -90 and 90, got 91");
    }

    #[test]
    fn coordinates_at_their_limits_are_valid() {
        for (lon, lat) in [(-180.0, -90.0), (180.0, 90.0), (0.0, 0.0)] {
            for accuracy_m in [None, Some(0.0), Some(MAX_ACCURACY_M)] {
                let location = Location { lon, lat, accuracy_m };
                assert_eq!(location.validate(), Ok(()), "{location:?}");
            }
        }
    }

    #[test]
    fn up_to_max_photos_are_valid() {
        let mut r = report();
        r.photos = vec![];
        assert_eq!(r.validate(), Ok(()));
        r.photos = (1..=MAX_PHOTOS as u128).map(Uuid::from_u128).collect();
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn six_photos_are_too_many() {
        let mut r = report();
        r.photos = (1..=6).map(Uuid::from_u128).collect();
        let error = r.validate().unwrap_err();
        assert_eq!((error.field.as_str(), error.code), ("photos", ErrorCode::TooMany));
        assert_eq!(error.message, "photos must have at most 5 items, got 6");
    }

    #[test]
    fn duplicate_photo_ids_are_invalid() {
        let mut r = report();
        r.photos = [1, 2, 3, 2].map(Uuid::from_u128).to_vec();
        let error = r.validate().unwrap_err();
        assert_eq!((error.field.as_str(), error.code), ("photos", ErrorCode::Invalid));
        assert!(error.message.starts_with("photos[3] repeats photos[1]"), "{}", error.message);
    }

    #[test]
    fn json_round_trip_uses_snake_case() {
        let r = report();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["category"], "drainage");
        assert_eq!(json["priority"], "normal");
        assert_eq!(json["location"]["accuracy_m"], 8.0);
        assert_eq!(serde_json::from_value::<NewReport>(json).unwrap(), r);
    }

    #[test]
    fn priority_and_photos_may_be_omitted() {
        let json = r#"{
            "id": "01900000-0000-7000-8000-000000000001",
            "category": "street_lighting",
            "description": "Đèn đường ngõ 5 Láng Hạ tắt ba hôm nay",
            "location": { "lon": 105.81, "lat": 21.01 }
        }"#;
        let r: NewReport = serde_json::from_str(json).unwrap();
        assert_eq!(r.priority, Priority::Normal);
        assert!(r.photos.is_empty());
        assert_eq!(r.location.accuracy_m, None);
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let mut json = serde_json::to_value(report()).unwrap();
        json["descripton"] = "typo".into();
        let error = serde_json::from_value::<NewReport>(json).unwrap_err().to_string();
        assert!(error.contains("unknown field `descripton`"), "{error}");

        let mut json = serde_json::to_value(report()).unwrap();
        json["location"]["accuracy"] = 5.0.into();
        let error = serde_json::from_value::<NewReport>(json).unwrap_err().to_string();
        assert!(error.contains("unknown field `accuracy`"), "{error}");
    }

    #[test]
    fn category_codes_are_the_wire_names_and_unique() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.code()));
            assert_eq!(serde_json::from_str::<Category>(&json).unwrap(), category);
            assert_eq!(category.to_string(), category.code());
            assert!(!category.name_vi().is_empty() && !category.name_en().is_empty());
        }
        let mut codes: Vec<_> = Category::ALL.iter().map(|c| c.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Category::ALL.len());
    }

    #[test]
    fn after_photo_is_needed_for_field_categories_only() {
        let needing: Vec<_> =
            Category::ALL.into_iter().filter(|c| c.needs_after_photo()).map(Category::code).collect();
        assert_eq!(
            needing,
            [
                "environment",
                "roads",
                "street_lighting",
                "drainage",
                "trees_parks",
                "urban_order",
                "illegal_construction"
            ]
        );
    }

    #[test]
    fn priority_wire_names() {
        for (priority, name) in
            [(Priority::Normal, "normal"), (Priority::Urgent, "urgent"), (Priority::Complex, "complex")]
        {
            assert_eq!(serde_json::to_string(&priority).unwrap(), format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Priority>(&format!("\"{name}\"")).unwrap(), priority);
        }
        assert_eq!(Priority::default(), Priority::Normal);
    }
}
