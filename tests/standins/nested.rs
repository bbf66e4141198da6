//! Nested resources: `/customers/{customer}` and `/customers/{customer}/orders/{id}`.
//!
//! Customers and orders behave like the [generic](super::generic) API's items (PUT creates or
//! replaces, POST creates with ids `n1`, `n2`, …, strong ETags, `{"items", "total"}` listings).
//! Orders need their customer: every request under a missing customer is 404
//! `{"error": "customer not found"}`. Orders live in the store's collection
//! `customers/{customer}/orders`. Deleting a customer that still has orders is refused with 409
//! `{"error": "customer has orders"}` and changes nothing (a foreign key with `ON DELETE
//! RESTRICT`); with [`ParentDelete::Cascade`] its orders are deleted with it (`ON DELETE
//! CASCADE`).
//!
//! [`NestedBug::OrdersNotScoped`]: orders are kept in one flat collection `orders` whatever the
//! customer in the path (the parent is checked but not used), so `/customers/B/orders/X` reads
//! and overwrites customer A's order X.
//!
//! [`NestedBug::OrphansChildren`]: deleting a customer that has orders answers 204 and removes
//! the customer but keeps its orders, still served at `/customers/{customer}/orders/{id}` (a
//! foreign key without `ON DELETE` rule, and routes that look the order up without its
//! customer).

use axum::http::Method;
use serde_json::json;

use super::exchange::{Reply, Req};
use super::generic::Generic;
use super::server::Behaviour;
use super::store::Store;

/// The parent collection.
const PARENTS: &str = "customers";
/// The child collection's name under a parent.
const CHILDREN: &str = "orders";

/// Customers with their orders.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nested {
    pub bugs: Vec<NestedBug>,
    pub parent_delete: ParentDelete,
    pub api: Generic,
}

/// What deleting a customer with orders does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ParentDelete {
    /// 409, nothing deleted.
    #[default]
    Restrict,
    /// The orders are deleted with it.
    Cascade,
}

/// Planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NestedBug {
    /// Orders are not scoped to their customer.
    OrdersNotScoped,
    /// Deleting a customer leaves its orders reachable.
    OrphansChildren,
}

impl Nested {
    pub(crate) fn correct() -> Nested {
        Nested::default()
    }

    pub(crate) fn cascade() -> Nested {
        Nested {
            parent_delete: ParentDelete::Cascade,
            ..Nested::default()
        }
    }

    pub(crate) fn with_bug(bug: NestedBug) -> Nested {
        Nested {
            bugs: vec![bug],
            ..Nested::default()
        }
    }

    /// The store collection of a customer's orders.
    pub(crate) fn orders_of(&self, customer: &str) -> String {
        if self.bugs.contains(&NestedBug::OrdersNotScoped) {
            CHILDREN.to_string()
        } else {
            format!("{PARENTS}/{customer}/{CHILDREN}")
        }
    }

    fn delete_customer(&self, store: &mut Store, req: &Req, customer: &str) -> Reply {
        let orders = self.orders_of(customer);
        let has_orders = !store.list(&orders).is_empty();
        let exists = store.get(PARENTS, customer).is_some();
        let orphans = self.bugs.contains(&NestedBug::OrphansChildren);
        if exists && has_orders && self.parent_delete == ParentDelete::Restrict && !orphans {
            return Reply::json(409, &json!({ "error": "customer has orders" }));
        }
        let reply = self.api.item(store, req, PARENTS, customer);
        if reply.status == 204 && !self.bugs.contains(&NestedBug::OrdersNotScoped) && !orphans {
            store.collections.remove(&orders);
        }
        reply
    }
}

impl Behaviour for Nested {
    fn answer(&self, store: &mut Store, req: &Req) -> Reply {
        let parts = req.parts();
        match parts.as_slice() {
            [PARENTS] => self.api.collection(store, req, PARENTS),
            [PARENTS, customer] if req.method == Method::DELETE => {
                self.delete_customer(store, req, customer)
            }
            [PARENTS, customer] => self.api.item(store, req, PARENTS, customer),
            [PARENTS, customer, CHILDREN, rest @ ..] if rest.len() <= 1 => {
                let orphaned = self.bugs.contains(&NestedBug::OrphansChildren)
                    && !store.list(&self.orders_of(customer)).is_empty();
                if store.get(PARENTS, customer).is_none() && !orphaned {
                    return Reply::json(404, &json!({ "error": "customer not found" }));
                }
                let orders = self.orders_of(customer);
                match rest.first() {
                    None => self.api.collection(store, req, &orders),
                    Some(id) => self.api.item(store, req, &orders, id),
                }
            }
            _ => Reply::json(404, &json!({ "error": "not found" })),
        }
    }

    fn seed(&self, store: &mut Store, collection: &str, id: &str, n: usize) {
        self.api.seed(store, collection, id, n);
    }
}
