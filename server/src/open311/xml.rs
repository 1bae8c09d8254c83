//! The XML form of an Open311 document, derived from its JSON form by the spec's one rule:
//! an object is an element per field, in order; a list is a plural element holding one
//! singular element per item (`services` → `service`, `attributes` → `attribute`); an
//! absent value is an empty element. So every document is modelled once, as serde types, and
//! the two formats cannot drift apart.

use std::borrow::Cow;

use phananh_shared::validation::is_text_char;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::Value;

/// `value` as an XML document whose root element is `root`, with the UTF-8 declaration the
/// spec requires. A top-level list is named `root` and its items `item`.
pub fn document(root: &str, item: &str, value: &Value) -> String {
    let mut writer = Writer::new(Vec::new());
    let declaration = BytesDecl::new("1.0", Some("UTF-8"), None);
    writer.write_event(Event::Decl(declaration)).expect("writing to memory does not fail");
    match value {
        Value::Array(items) => element(&mut writer, root, |w| {
            items.iter().for_each(|value| write(w, item, value));
        }),
        value => write(&mut writer, root, value),
    }
    String::from_utf8(writer.into_inner()).expect("the writer writes the UTF-8 it is given")
}

/// The element each item of a list field is written as.
fn singular(list: &str) -> &str {
    match list {
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        plural => plural.strip_suffix('s').unwrap_or(plural),
    }
}

fn write(writer: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    match value {
        Value::Null => {
            writer.create_element(name).write_empty().expect("writing to memory does not fail");
        }
        Value::Object(fields) => element(writer, name, |w| {
            fields.iter().for_each(|(field, value)| write(w, field, value));
        }),
        Value::Array(items) => element(writer, name, |w| {
            items.iter().for_each(|value| write(w, singular(name), value));
        }),
        Value::String(text) => text_element(writer, name, text),
        Value::Bool(flag) => text_element(writer, name, if *flag { "true" } else { "false" }),
        Value::Number(number) => text_element(writer, name, &number.to_string()),
    }
}

fn element(writer: &mut Writer<Vec<u8>>, name: &str, content: impl FnOnce(&mut Writer<Vec<u8>>)) {
    writer
        .create_element(name)
        .write_inner_content(|w| {
            content(w);
            Ok::<_, std::io::Error>(())
        })
        .expect("writing to memory does not fail");
}

/// Writes `text` escaped, each character XML 1.0 cannot carry replaced by U+FFFD: input is
/// checked for them ([`is_text_char`]), but rows written before that check, or by hand, must
/// not stop the feed parsing for every consumer.
fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) {
    let text: Cow<str> = if text.chars().all(is_text_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars().map(|c| if is_text_char(c) { c } else { char::REPLACEMENT_CHARACTER }).collect(),
        )
    };
    writer
        .create_element(name)
        .write_text_content(BytesText::new(&text))
        .expect("writing to memory does not fail");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::document;

    #[test]
    fn lists_are_plural_elements_of_singular_items_and_text_is_escaped() {
        let services = json!([
            { "service_code": "roads", "metadata": true, "keywords": null, "group": "Hạ tầng & <đô thị>" },
        ]);
        assert_eq!(
            document("services", "service", &services),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><services><service><service_code>roads</service_code>\
             <metadata>true</metadata><keywords/><group>Hạ tầng &amp; &lt;đô thị&gt;</group></service></services>"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        let request = json!({ "description": "a\u{1}b\u{B}c\u{1B}d\u{FFFF}\te\nf" });
        assert_eq!(
            document("request", "", &request),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request>\
             <description>a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}\te\nf</description></request>"
        );
    }

    #[test]
    fn nested_lists_take_the_spec_names() {
        let definition = json!({
            "service_code": "roads",
            "attributes": [{ "code": "danger", "order": 1, "values": [{ "key": "yes", "name": "Có" }] }],
        });
        assert_eq!(
            document("service_definition", "", &definition),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><service_definition><service_code>roads</service_code>\
             <attributes><attribute><code>danger</code><order>1</order><values><value><key>yes</key>\
             <name>Có</name></value></values></attribute></attributes></service_definition>"
        );
        let requests = document("service_requests", "request", &json!([]));
        assert_eq!(
            requests,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><service_requests></service_requests>"
        );
    }
}
