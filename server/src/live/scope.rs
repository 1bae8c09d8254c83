//! What a live subscriber may see: a scope, checked against who is asking, decides on each
//! event whether it belongs and in which view.

use std::collections::HashSet;

use axum::body::Bytes;
use phananh_shared::api::Change;
use phananh_shared::dossier::DossierChange;
use phananh_shared::validation::FieldError;
use uuid::Uuid;

use super::LiveEvent;
use crate::error::DomainError;
use crate::reports::Reader;
use crate::store::{About, Db, EventFilter, StoreError};

/// A live stream's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A resident's device: the reports it filed, those it follows from the moment it said
    /// "me too", and the dossiers it tracks from the moment it gave their secret.
    Device { id: Uuid, following: HashSet<Uuid>, tracking: HashSet<Uuid> },
    /// A ward's inbox and desk: its reports' and dossiers' events, and the transfer of a
    /// report away from it.
    Ward(String),
    /// Every event, for city staff.
    City,
    /// One report, in the full view for its ward's and the city's staff.
    Report { id: Uuid, staff: bool },
}

impl Scope {
    /// The scope named by `text` (`device`, `ward:<code>`, `city` or `report:<id>`), if
    /// `reader` may see it. A report scope's view is settled later, when the report is found.
    pub fn parse(text: &str, reader: &Reader) -> Result<Scope, DomainError> {
        let (kind, key) = text.split_once(':').unwrap_or((text, ""));
        match (kind, reader) {
            ("device", Reader::Device(id)) if key.is_empty() => {
                Ok(Scope::Device { id: *id, following: HashSet::new(), tracking: HashSet::new() })
            }
            ("device", _) if key.is_empty() => {
                Err(DomainError::unauthenticated("the device scope needs the device's token"))
            }
            ("ward", Reader::Staff { ward, .. }) if !key.is_empty() => match ward {
                Some(own) if own != key => {
                    Err(DomainError::forbidden(format!("you are staff of ward {own}, not of ward {key}")))
                }
                _ => Ok(Scope::Ward(key.to_owned())),
            },
            ("ward", _) if !key.is_empty() => {
                Err(DomainError::unauthenticated("a ward's stream is for its staff"))
            }
            ("city", Reader::Staff { ward: None, .. }) if key.is_empty() => Ok(Scope::City),
            ("city", Reader::Staff { .. }) if key.is_empty() => {
                Err(DomainError::forbidden("the city stream is for city staff"))
            }
            ("city", _) if key.is_empty() => {
                Err(DomainError::unauthenticated("the city stream is for city staff"))
            }
            ("report", _) => match Uuid::parse_str(key) {
                Ok(id) => Ok(Scope::Report { id, staff: false }),
                Err(_) => {
                    Err(FieldError::invalid("scope", format!("report id must be a UUID, got {key:?}")).into())
                }
            },
            _ => Err(FieldError::invalid(
                "scope",
                format!("unknown scope {text:?}: use device, ward:<code>, city or report:<id>"),
            )
            .into()),
        }
    }

    /// The view of `event` this scope sends, or `None` if the event is not in the scope.
    /// Events must come in sequence order: a device starts to follow a report at its own
    /// "me too".
    pub fn admit<'e>(&mut self, event: &'e LiveEvent) -> Option<&'e Bytes> {
        let by_device = |id: &Uuid| event.actor.strip_prefix("device:").is_some_and(|a| a == id.to_string());
        match (self, &event.subject) {
            (Scope::Device { id, following, .. }, About::Report { event: report, reporter }) => {
                if matches!(report.change, Change::Followed { .. }) && by_device(id) {
                    following.insert(report.report_id);
                }
                // An assignment changes nothing a device shows, and apps installed before
                // assignments existed cannot read one (their pull would stop at it).
                let in_scope = (reporter == id || following.contains(&report.report_id))
                    && !matches!(report.change, Change::Assigned { .. });
                in_scope.then_some(event.residents_view.as_ref()).flatten()
            }
            (Scope::Device { id, tracking, .. }, About::Dossier(dossier)) => {
                if matches!(dossier.change, DossierChange::Tracked) && by_device(id) {
                    tracking.insert(dossier.dossier_id);
                }
                tracking.contains(&dossier.dossier_id).then_some(event.residents_view.as_ref()).flatten()
            }
            (Scope::Ward(code), subject) => {
                let transferred_away = matches!(subject, About::Report { event, .. }
                    if matches!(&event.change, Change::Transferred { from_ward, .. } if from_ward == code));
                (event.ward_code() == code || transferred_away).then_some(&event.staff_view)
            }
            (Scope::City, _) => Some(&event.staff_view),
            (Scope::Report { id, staff }, About::Report { event: report, .. }) if *id == report.report_id => {
                if *staff {
                    Some(&event.staff_view)
                } else {
                    event.public_view.as_ref()
                }
            }
            (Scope::Report { .. }, _) => None,
        }
    }

    /// The scope as it stands after event `since`: a device already follows the reports it
    /// said "me too" about by then (later follows come with the events).
    pub(super) fn at(mut self, db: &mut dyn Db, since: u64) -> Result<Scope, StoreError> {
        if let Scope::Device { id, following, tracking } = &mut self {
            let (followed, tracked) = db.followed_and_tracked(*id, since)?;
            following.extend(followed);
            tracking.extend(tracked);
        }
        Ok(self)
    }

    /// The events the scope may admit, and perhaps a few more: it keeps a replay from reading
    /// the whole city's events for one device.
    pub(super) fn prefilter(&self) -> EventFilter {
        match self {
            Scope::Device { id, .. } => EventFilter::Device(*id),
            Scope::Ward(code) => EventFilter::Ward(code.clone()),
            Scope::City => EventFilter::All,
            Scope::Report { id, .. } => EventFilter::Report(*id),
        }
    }
}
