//! Answer templates: the starting text ward staff pick when they answer a report.
//!
//! Data, not code (`answers.toml`), so the city can word them without a release. Each says
//! what was done, where and when, with `[...]` marking what the officer must fill in.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::report::Category;
use crate::shipped::shipped;

/// One template. Without a category it fits any report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerTemplate {
    pub id: String,
    #[serde(default)]
    pub category: Option<Category>,
    pub title_vi: String,
    pub text_vi: String,
    pub title_en: String,
    pub text_en: String,
}

impl AnswerTemplate {
    /// Whether the text still has a `[...]` blank to fill in: such a text is not an answer.
    pub fn has_blanks(text: &str) -> bool {
        text.find('[').is_some_and(|open| text[open..].contains(']'))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    template: Vec<AnswerTemplate>,
}

/// The shipped templates, in file order.
pub fn all() -> &'static [AnswerTemplate] {
    static ALL: LazyLock<Vec<AnswerTemplate>> = LazyLock::new(|| {
        let file: File = shipped!("answers");
        file.template
    });
    &ALL
}

/// The templates that fit a report of `category`: its own first, then the general ones.
pub fn for_category(category: Category) -> Vec<&'static AnswerTemplate> {
    let own = all().iter().filter(|t| t.category == Some(category));
    own.chain(all().iter().filter(|t| t.category.is_none())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_its_own_template_and_ids_are_unique() {
        for category in Category::ALL {
            let fitting = for_category(category);
            assert!(fitting.first().is_some_and(|t| t.category == Some(category)), "{category}");
            assert!(fitting.last().is_some_and(|t| t.category.is_none()));
        }
        let mut ids: Vec<&str> = all().iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all().len());
    }

    #[test]
    fn the_embedded_templates_are_the_toml_file() {
        let file: File = toml::from_str(include_str!("answers.toml")).expect("answers.toml is valid");
        assert_eq!(file.template, all());
    }

    #[test]
    fn templates_have_blanks_and_both_languages() {
        for template in all() {
            assert!(AnswerTemplate::has_blanks(&template.text_vi), "{}", template.id);
            assert!(AnswerTemplate::has_blanks(&template.text_en), "{}", template.id);
            assert!(!template.title_vi.is_empty() && !template.title_en.is_empty());
        }
        assert!(!AnswerTemplate::has_blanks("Đã nạo vét cống ngày 12/11."));
    }
}
