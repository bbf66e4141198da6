//! Stand-in servers: in-process HTTP servers on 127.0.0.1 ephemeral ports that behave on the
//! wire like the systems idemfuzz is run against — each with a correct variant (a faithful,
//! RFC 9110-correct instance of the system, its harmless quirks included) and planted bugs.
//!
//! Include it in a test binary with `mod standins;` (every binary that includes it compiles
//! it). Start one, run idemfuzz against [`Standin::base_url`], then read what happened:
//!
//! ```ignore
//! let api = Standin::builder(Drf::correct()).seed(Seed::numbered("items", 3)).start();
//! // ... run idemfuzz against api.base_url() ...
//! api.assert_seed_untouched();            // pre-existing resources byte-identical
//! assert!(api.left_behind().is_empty());  // nothing the run created is left
//! for request in api.requests() {         // raw targets, headers, bodies, statuses
//!     assert!(request.header("authorization").is_none());
//! }
//! ```
//!
//! The panel (each module documents the wire behaviour it reproduces, and its bugs):
//!
//! | System | Start | Planted bugs |
//! |--------|-------|--------------|
//! | Django REST Framework viewset | [`Drf::correct`] | [`DrfBug`] |
//! | FastAPI + pydantic | [`FastApi::correct`] | [`FastApiBug`] |
//! | json-server 0.17 (ids reused after delete) | [`JsonServer::correct`] | — |
//! | json-server 1.0 (beta) | [`JsonServerV1::correct`] | [`JsonServerV1::beta3`] (HEAD deletes) |
//! | Eve | [`Eve::correct`] | [`EveBug`]; all of real Eve 2.3.1's in [`Eve::as_released`] |
//! | CouchDB / pouchdb-server | [`Couch::correct`] | [`CouchBug`]; pouchdb-server 4.2's in [`Couch::pouchdb_server`] |
//! | httpbin (2xx for everything, no state) | [`Httpbin`] | — |
//! | HEAD with a body (raw TCP) | [`HeadBody::correct`] | [`HeadBody::sends_body`] |
//! | WebDAV (nginx, Apache, WsgiDAV, rclone) | [`WebDav::correct`] | [`WebDavBug`]; each real server's in [`WebDav::nginx`], [`WebDav::apache`], [`WebDav::rclone`], [`WebDav::wsgidav`] |
//! | S3-compatible bucket | [`S3::correct`] | [`S3Bug`]; moto 5.2's in [`S3::moto`] |
//! | etcd v2 keys | [`Etcd::correct`] | [`EtcdBug`] |
//! | nested resources | [`Nested::correct`] | [`NestedBug`] |
//! | paginated collection | [`Paginated::new`] | [`PaginatedBug`] |
//! | generic JSON API with [`Knobs`] | [`Generic::correct`] | write counters, prefix deletes, mtime-size ETags, ignored `If-Match`, hostile ids and `Location`s, … |
//!
//! Which variant a real server is was checked against the real servers (Django 5.2 + DRF 3.18,
//! FastAPI 0.165, json-server 0.17.4 and 1.0.0-beta.3, Eve 2.3.1, pouchdb-server 4.2.0, httpbin
//! 0.10, nginx 1.22, Apache 2.4, rclone 1.60, WsgiDAV 4.4, moto 5.2, etcd 3.4): each module says
//! which, and `/work/notes/realservers.md` (outside the repository) records the comparison.
//!
//! Common core: the [`Store`] (collections of [`Entry`]s, [`IdPolicy`]), [`Seed`]s of
//! pre-existing resources (`pre00001`, … or `1`, … for numeric ids), the request log
//! ([`Logged`]: method, raw request-target, headers, body, status), and the [`Behaviour`]
//! trait a new system implements.

// Each test binary uses a part of the panel.
#![allow(dead_code)]

mod clock;
mod conditional;
mod exchange;
mod log;
mod raw_http;
mod schema;
mod seed;
mod server;
mod store;
mod tap;
mod token;
mod xml;

pub(crate) mod couchdb;
pub(crate) mod drf;
pub(crate) mod etcd;
pub(crate) mod eve;
pub(crate) mod fastapi;
pub(crate) mod generic;
pub(crate) mod head_body;
pub(crate) mod httpbin;
pub(crate) mod json_server;
pub(crate) mod json_server_v1;
pub(crate) mod nested;
pub(crate) mod paginated;
pub(crate) mod s3;
pub(crate) mod webdav;

/// The public API in one place; each test binary uses a part of it.
#[allow(unused_imports)]
mod api {
    pub(crate) use super::conditional::EtagStyle;
    pub(crate) use super::couchdb::{Couch, CouchBug};
    pub(crate) use super::drf::{Drf, DrfBug};
    pub(crate) use super::etcd::{Etcd, EtcdBug};
    pub(crate) use super::eve::{Eve, EveBug};
    pub(crate) use super::exchange::{PathMode, Reply, Req};
    pub(crate) use super::fastapi::{FastApi, FastApiBug};
    pub(crate) use super::generic::{
        DeleteMatch, Generic, Knobs, Listing, LocationStyle, WriteMeta,
    };
    pub(crate) use super::head_body::HeadBody;
    pub(crate) use super::httpbin::Httpbin;
    pub(crate) use super::json_server::JsonServer;
    pub(crate) use super::json_server_v1::JsonServerV1;
    pub(crate) use super::log::Logged;
    pub(crate) use super::nested::{Nested, NestedBug, ParentDelete};
    pub(crate) use super::paginated::{PageStyle, Paginated, PaginatedBug};
    pub(crate) use super::s3::{S3, S3Bug};
    pub(crate) use super::schema::{Field, Kind, Schema};
    pub(crate) use super::seed::{Seed, Seeded};
    pub(crate) use super::server::{Behaviour, Builder, Standin, Transport};
    pub(crate) use super::store::{Body, Collection, Entry, IdPolicy, Store};
    pub(crate) use super::webdav::{WebDav, WebDavBug};
}

pub(crate) use api::*;
