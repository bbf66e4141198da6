//! A HEAD that sends a body: the [generic](super::generic) JSON API served by the
//! [raw transport](super::raw_http), which writes the GET content after the HEAD answer's
//! header section — for found items (200) and missing ones (404) alike. A client that reuses
//! the connection reads those bytes as the start of its next response.
//!
//! The correct variant is the same server answering HEAD properly (no content), so that the
//! two differ only in that.

use axum::http::Method;

use super::exchange::{Reply, Req};
use super::generic::Generic;
use super::server::{Behaviour, Transport};
use super::store::Store;

/// The generic API over raw TCP, with or without content after HEAD answers.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadBody {
    /// Write the content after every HEAD answer. Buggy (RFC 9110 §9.3.2).
    pub sends_body: bool,
    pub api: Generic,
}

impl HeadBody {
    /// HEAD answered properly.
    pub(crate) fn correct() -> HeadBody {
        HeadBody::default()
    }

    /// HEAD answered with the GET content, also on 404.
    pub(crate) fn sends_body() -> HeadBody {
        HeadBody {
            sends_body: true,
            ..HeadBody::default()
        }
    }
}

impl Behaviour for HeadBody {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let mut reply = self.api.answer(store, req);
        reply.body_on_head = self.sends_body && req.method == Method::HEAD;
        reply
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        self.api.seed(store, collection, id, n);
    }

    fn transport(&self) -> Transport {
        Transport::Raw
    }
}
