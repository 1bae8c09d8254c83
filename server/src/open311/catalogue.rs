//! Our report categories as Open311 services, and the one extra question some of them ask.
//!
//! A service is a [`Category`]: its code is the category's wire name, its name the Vietnamese
//! one residents see, its description the English one. Where a real emergency is plausible
//! (a collapsed road, an open manhole, a fallen tree or cable, an accident, a crime, a fire
//! risk) the service asks `danger`: "is anyone in danger now?". A "yes" files the report as
//! `urgent`, which the city's rules (Decision 1207/QĐ-UBND) give four working hours after
//! acknowledgement. The other categories cannot be an emergency in that sense (rubbish, a lamp
//! out, noise), so they ask nothing and have `metadata` false.

use phananh_shared::report::{Category, Priority};
use phananh_shared::validation::FieldError;

use super::wire::{Attribute, AttributeValue, Service, ServiceDefinition};

/// The code of the danger question, as `attribute[danger]` in a filing.
pub const DANGER: &str = "danger";

/// Whether filings of `category` may say someone is in danger.
fn asks_danger(category: Category) -> bool {
    matches!(
        category,
        Category::Roads
            | Category::Drainage
            | Category::TreesParks
            | Category::Electricity
            | Category::Traffic
            | Category::PublicSecurity
            | Category::FireRisk
    )
}

/// The group an Open311 client lists the service under.
fn group(category: Category) -> &'static str {
    match category {
        Category::Environment | Category::Noise => "Môi trường",
        Category::Roads | Category::StreetLighting | Category::Drainage | Category::TreesParks => {
            "Hạ tầng đô thị"
        }
        Category::UrbanOrder | Category::IllegalConstruction | Category::Traffic => "Trật tự đô thị",
        Category::WaterSupply | Category::Electricity => "Điện, nước",
        Category::PublicSecurity | Category::FireRisk => "An ninh, an toàn",
        Category::Other => "Khác",
    }
}

/// `GET services.{fmt}`: every category, in the order the app lists them.
pub fn services() -> Vec<Service> {
    Category::ALL
        .into_iter()
        .map(|category| Service {
            service_code: category.code(),
            service_name: category.name_vi(),
            description: category.name_en(),
            metadata: asks_danger(category),
            kind: "realtime",
            keywords: category.name_en(),
            group: group(category),
        })
        .collect()
}

/// The category a `service_code` names.
pub fn category(service_code: &str) -> Option<Category> {
    Category::ALL.into_iter().find(|category| category.code() == service_code)
}

/// `GET services/{code}.{fmt}`: the questions the service asks (none for most).
pub fn definition(category: Category) -> ServiceDefinition {
    let danger = Attribute {
        variable: true,
        code: DANGER,
        datatype: "singlevaluelist",
        required: false,
        datatype_description: Some("yes hoặc no / yes or no"),
        order: 1,
        description: "Có ai đang gặp nguy hiểm không? / Is anyone in danger right now?",
        values: vec![
            AttributeValue { key: "yes", name: "Có, cần xử lý khẩn cấp / Yes, urgent" },
            AttributeValue { key: "no", name: "Không / No" },
        ],
    };
    ServiceDefinition {
        service_code: category.code(),
        attributes: if asks_danger(category) { vec![danger] } else { Vec::new() },
    }
}

/// The priority a filing's answers give, refusing questions the service does not ask and
/// answers it does not offer. Errors name the field as sent: `attribute[code]`.
pub fn priority(category: Category, attributes: &[(String, String)]) -> Result<Priority, FieldError> {
    let mut priority = Priority::Normal;
    for (code, value) in attributes {
        let field = format!("attribute[{code}]");
        if code != DANGER || !asks_danger(category) {
            let message = format!("{field}: service {} has no attribute {code:?}", category.code());
            return Err(FieldError::invalid(field, message));
        }
        priority = match value.as_str() {
            "yes" => Priority::Urgent,
            "no" | "" => Priority::Normal,
            other => {
                let message = format!("{field} must be yes or no, got {other:?}");
                return Err(FieldError::invalid(field, message));
            }
        };
    }
    Ok(priority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_is_a_service_and_only_emergency_prone_ones_have_metadata() {
        let services = services();
        assert_eq!(services.len(), Category::ALL.len());
        let with_metadata: Vec<_> = services.iter().filter(|s| s.metadata).map(|s| s.service_code).collect();
        assert_eq!(
            with_metadata,
            ["roads", "drainage", "trees_parks", "traffic", "electricity", "public_security", "fire_risk"]
        );
        for service in &services {
            let category = category(service.service_code).expect("a service code is a category");
            assert_eq!(definition(category).attributes.is_empty(), !service.metadata);
        }
    }

    #[test]
    fn danger_yes_is_urgent_and_anything_else_is_refused_naming_the_attribute() {
        let answer = |code: &str, value: &str| vec![(code.to_owned(), value.to_owned())];
        assert_eq!(priority(Category::Drainage, &answer("danger", "yes")), Ok(Priority::Urgent));
        assert_eq!(priority(Category::Drainage, &answer("danger", "no")), Ok(Priority::Normal));
        assert_eq!(priority(Category::Drainage, &[]), Ok(Priority::Normal));
        let refused = priority(Category::Drainage, &answer("danger", "maybe")).unwrap_err();
        assert_eq!(refused.field, "attribute[danger]");
        let refused = priority(Category::Noise, &answer("danger", "yes")).unwrap_err();
        assert_eq!(refused.field, "attribute[danger]", "noise asks no danger question");
        let refused = priority(Category::Roads, &answer("colour", "red")).unwrap_err();
        assert_eq!(refused.field, "attribute[colour]");
    }
}
