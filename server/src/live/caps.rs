//! How many live streams one client may hold open: per network address, per resident's
//! device and per staff sign-in. Each stream is counted until it closes; one past a cap is
//! refused before it starts, with the cap named.

use phananh_shared::refusal::ErrorCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::error::DomainError;

/// The caps, from the server's settings.
#[derive(Debug, Clone, Copy)]
pub struct StreamCaps {
    pub per_address: usize,
    pub per_device: usize,
    pub per_session: usize,
}

/// Who holds a stream, for counting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    Address(IpAddr),
    Device(Uuid),
    /// A staff sign-in, by its token's hash.
    Session(Vec<u8>),
}

/// The streams open now, by holder.
pub(super) struct OpenStreams {
    caps: StreamCaps,
    counts: Mutex<HashMap<Holder, usize>>,
}

impl OpenStreams {
    pub(super) fn new(caps: StreamCaps) -> OpenStreams {
        OpenStreams { caps, counts: Mutex::default() }
    }

    /// Counts a stream held by each of `holders` until the permit is dropped; refused with
    /// 429 if any of them holds as many as its cap allows.
    pub(super) fn admit(self: &Arc<OpenStreams>, holders: Vec<Holder>) -> Result<StreamPermit, DomainError> {
        let mut counts = self.counts.lock().expect("the stream counts are never poisoned");
        for holder in &holders {
            let (cap, whose) = match holder {
                Holder::Address(_) => (self.caps.per_address, "this network address"),
                Holder::Device(_) => (self.caps.per_device, "this device"),
                Holder::Session(_) => (self.caps.per_session, "this staff sign-in"),
            };
            if counts.get(holder).is_some_and(|&open| open >= cap) {
                let message =
                    format!("{whose} already has {cap} live streams open, the most allowed; close one first");
                return Err(DomainError::Limited {
                    code: ErrorCode::TooManyStreams,
                    message,
                    field: None,
                    retry_after: None,
                });
            }
        }
        for holder in &holders {
            *counts.entry(holder.clone()).or_default() += 1;
        }
        Ok(StreamPermit { open: Arc::clone(self), holders })
    }
}

/// One open stream, counted against its holders until dropped.
pub struct StreamPermit {
    open: Arc<OpenStreams>,
    holders: Vec<Holder>,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().expect("the stream counts are never poisoned");
        for holder in &self.holders {
            if let Some(open) = counts.get_mut(holder) {
                *open -= 1;
                if *open == 0 {
                    counts.remove(holder);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_holder_has_its_cap_and_a_closed_stream_gives_its_place_back() {
        let open = Arc::new(OpenStreams::new(StreamCaps { per_address: 3, per_device: 2, per_session: 1 }));
        let address = Holder::Address("10.0.0.1".parse().unwrap());
        let device = Holder::Device(Uuid::now_v7());
        let first = open.admit(vec![address.clone(), device.clone()]).unwrap();
        let _second = open.admit(vec![address.clone(), device.clone()]).unwrap();
        let refused = open.admit(vec![address.clone(), device.clone()]).err().unwrap();
        assert_eq!(refused.code(), ErrorCode::TooManyStreams);
        // The refused stream took no place: the address still has one.
        let _third = open.admit(vec![address.clone()]).unwrap();
        assert!(open.admit(vec![address.clone()]).is_err(), "the address's cap");
        drop(first);
        assert!(open.admit(vec![device.clone()]).is_ok(), "room again for the device");
        let session = Holder::Session(vec![1; 32]);
        let _signed_in = open.admit(vec![session.clone()]).unwrap();
        assert!(open.admit(vec![session]).is_err());
    }
}
