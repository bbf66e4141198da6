//! OpenAPI import of committed documents (library level, no network): insta snapshots of the
//! generated scenario files, and what each one means once loaded by the scenario loader — the
//! same loader `run` uses, so every generated file here is a valid scenario.

use std::path::Path;

use idemfuzz::checks;
use idemfuzz::env::EnvSnapshot;
use idemfuzz::model::check::CheckId;
use idemfuzz::model::exchange::Method;
use idemfuzz::model::fuzz::ops::PatchFormat;
use idemfuzz::openapi::{Generated, Spec, import};
use idemfuzz::scenario::{CreateMode, PostId, Resource, Scenario};
use idemfuzz::scenario::{ListingFormat, Pages};

/// A committed document, named by its path from the crate root.
fn document(path: &str, url: Option<&str>) -> Spec {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|err| panic!("read {path}: {err}"));
    Spec {
        origin: path.to_string(),
        text,
        url: url.map(str::to_string),
    }
}

/// Imports a document and loads the result as `run` would.
fn imported(path: &str, url: Option<&str>) -> (Generated, Scenario) {
    let generated = import(&document(path, url)).unwrap_or_else(|err| panic!("{err}"));
    let loaded = checks::load::load_str(
        Path::new("generated.toml"),
        &generated.toml,
        &EnvSnapshot::default(),
    )
    .unwrap_or_else(|err| {
        panic!(
            "the generated file does not load:\n{err}\n{}",
            generated.toml
        )
    });
    (generated, loaded)
}

fn resource<'a>(scenario: &'a Scenario, name: &str) -> &'a Resource {
    scenario
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no resource {name}"))
}

fn ignored(resource: &Resource) -> Vec<String> {
    resource.ignore.iter().map(|p| p.to_string()).collect()
}

#[test]
fn demo_document_3_1() {
    let (generated, loaded) = imported(
        "src/demo/openapi.json",
        Some("http://127.0.0.1:8080/openapi.json"),
    );
    insta::assert_snapshot!("demo_openapi_3_1", generated.toml);
    assert_eq!(
        loaded.target.base_url, None,
        "the target is never taken from the document"
    );
    assert!(
        generated
            .toml
            .contains("# The document's server: base_url = \"http://127.0.0.1:8080\""),
        "its server is shown as a comment"
    );
    let things = resource(&loaded, "things");
    assert_eq!(things.item, "/things/{id}");
    assert_eq!(things.create, CreateMode::Put);
    assert_eq!(things.post_id, Some(PostId::Location));
    assert_eq!(
        things
            .listing
            .format
            .items()
            .map(|p| p.to_string())
            .as_deref(),
        Some("/items")
    );
    assert_eq!(things.required, ["name", "color"]);
    assert_eq!(ignored(things), ["/updatedAt"]);
    assert!(things.supports(Method::Head) && things.supports(Method::Delete));
    let key = things
        .idempotency_key
        .as_ref()
        .expect("Idempotency-Key support");
    assert_eq!(
        (key.header.as_str(), key.mismatch_statuses.as_slice()),
        ("Idempotency-Key", &[422][..])
    );
    assert!(
        things.checks.enabled(CheckId::PostRetry) && things.checks.enabled(CheckId::RepeatDelete)
    );
    assert!(
        things.conditional.etags && !things.conditional.preconditions_required,
        "PUT documents 412, GET an ETag"
    );
    assert_eq!(things.patch, Some(PatchFormat::Merge));
    let lamps = resource(&loaded, "lamps");
    assert!(
        !lamps.checks.enabled(CheckId::PostRetry),
        "lamps have no POST"
    );
    assert_eq!(lamps.post_id, None);
}

#[test]
fn bookshop_3_0_yaml() {
    let (generated, loaded) = imported("tests/fixtures/openapi/bookshop-3.0.yaml", None);
    insta::assert_snapshot!("bookshop_3_0_yaml", generated.toml);
    assert_eq!(generated.version, "OpenAPI 3.0.3");
    assert_eq!(
        generated.resources,
        ["books", "authors", "orders", "categories"]
    );
    let skipped: Vec<&str> = generated.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "/reports/{reportId}",
            "/customers/{customerId}/addresses/{addressId}"
        ]
    );
    assert!(
        generated
            .toml
            .contains("base_url = \"https://eu.bookshop.example/v2\" (servers[0]"),
        "server variables take their defaults"
    );

    let books = resource(&loaded, "books");
    assert_eq!(books.create, CreateMode::Put);
    assert_eq!(books.id_field.to_string(), "/isbn");
    assert_eq!(
        books
            .listing
            .format
            .items()
            .map(|p| p.to_string())
            .as_deref(),
        Some("/data")
    );
    assert_eq!(ignored(books), ["/createdAt", "/updatedAt", "/rating"]);
    assert!(books.supports(Method::Patch));
    assert!(
        !books.body.top_level_members().contains(&"isbn"),
        "the id is in the path, not the body"
    );

    let authors = resource(&loaded, "authors");
    assert_eq!(authors.create, CreateMode::Post);
    assert_eq!(authors.post_id, Some(PostId::Location));
    assert!(
        !authors.checks.enabled(CheckId::RepeatPut) && !authors.checks.enabled(CheckId::PartialPut)
    );
    assert!(authors.checks.enabled(CheckId::RepeatDelete));

    let orders = resource(&loaded, "orders");
    assert!(
        matches!(&orders.post_id, Some(PostId::Pointer(p)) if p.to_string() == "/id"),
        "the new order's id is in the POST answer: {:?}",
        orders.post_id
    );
    assert_eq!(
        ignored(orders),
        [
            "/status",
            "/lines/*/lineId",
            "/lines/*/unitPrice",
            "/placedAt"
        ]
    );
    assert!(orders.idempotency_key.is_some());

    let categories = resource(&loaded, "categories");
    assert!(
        categories.checks.enabled(CheckId::RepeatDelete)
            && !categories.checks.enabled(CheckId::PostRetry)
    );
    assert!(
        generated
            .toml
            .contains("# parent: left out: `Category` contains itself"),
        "the recursive member is left out with a comment"
    );
}

#[test]
fn fleet_3_1_json() {
    let (generated, loaded) = imported("tests/fixtures/openapi/fleet-3.1.json", None);
    insta::assert_snapshot!("fleet_3_1_json", generated.toml);
    assert_eq!(generated.resources, ["vehicles", "drivers"]);
    assert_eq!(generated.skipped.len(), 3);
    assert!(
        generated.skipped.iter().any(|s| s.path == "/maintenance-jobs/{jobId}"
            && s.reason.contains("no way to create")),
        "{:?}",
        generated.skipped
    );

    let drivers = resource(&loaded, "drivers");
    assert_eq!(drivers.create, CreateMode::Post);
    assert_eq!(drivers.id_field.to_string(), "/driverId");
    assert_eq!(
        drivers.idempotency_key.as_ref().map(|k| k.header.as_str()),
        Some("X-Idempotency-Key")
    );
    assert!(drivers.supports(Method::Delete) && drivers.checks.enabled(CheckId::UseAfterDelete));

    let vehicles = resource(&loaded, "vehicles");
    assert_eq!(
        vehicles
            .listing
            .format
            .items()
            .map(|p| p.to_string())
            .as_deref(),
        Some("/vehicles")
    );
    assert_eq!(
        ignored(vehicles),
        [
            "/depot/location/accuracyM",
            "/equipment/*/installedAt",
            "/odometer/readAt",
            "/registeredAt",
            "/etag"
        ]
    );
    assert!(generated.toml.contains("X-Fleet-Key = \"${X_FLEET_KEY}\""));
}

/// Names and values a spec may hold that TOML needs quoted or escaped, and bounds at the edge
/// of what the generators take: the file still loads, and the odd values survive as written.
#[test]
fn odd_names_and_extreme_bounds_still_make_a_valid_file() {
    let text = r##"openapi: 3.0.3
info: {title: "Odd \"API\"\nwith a line break", version: '0'}
paths:
  /odd things:
    get: {responses: {'200': {description: ok}}}
  /odd things/{id}:
    get: {responses: {'200': {description: ok}}}
  /weird.items:
    get: {responses: {'200': {description: ok}}}
  /weird.items/{weird id}:
    get: {responses: {'200': {description: ok}}}
    put:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [first name]
              properties:
                first name: {type: string, description: "line one\nline two # not a comment"}
                a.b: {type: integer, minimum: 9223372036854775807}
                "quote\"d": {type: string, enum: ["ünïcødé", "tab\there", "#hash"]}
                shapes: {type: array, minItems: 2000, items: {enum: [{gen: x}, {gen: y}]}}
                nested: {type: object, properties: {"[x]": {type: number, maximum: -1e300}}}
                "": {type: boolean}
      responses: {'200': {description: ok}}
    delete: {responses: {'204': {description: ok}}}
"##;
    let generated = import(&Spec {
        origin: "odd.yaml".into(),
        text: text.into(),
        url: None,
    })
    .unwrap_or_else(|err| panic!("{err}"));
    let loaded = checks::load::load_str(
        Path::new("odd.toml"),
        &generated.toml,
        &EnvSnapshot::default(),
    )
    .unwrap_or_else(|err| panic!("{err}\n{}", generated.toml));
    assert_eq!(generated.skipped.len(), 1, "{:?}", generated.skipped);
    assert!(generated.skipped[0].reason.contains("white space"));
    let weird = &loaded.resources[0];
    assert_eq!(weird.name, "weird_items");
    assert_eq!(weird.item, "/weird.items/{id}");
    assert_eq!(weird.required, ["first name"]);
    let members = weird.body.top_level_members();
    for name in ["first name", "a.b", "quote\"d", "shapes", "nested", ""] {
        assert!(members.contains(&name), "{name:?} missing from {members:?}");
    }
    // A description with a line break and a `#` stays inside one comment.
    assert!(
        generated
            .toml
            .lines()
            .filter(|l| l.contains("line two"))
            .all(|l| l.find('#') < l.find("line one")),
        "{}",
        generated.toml
    );
}

#[test]
fn kratos_bulk_session_management_is_never_imported() {
    let (generated, loaded) = imported("tests/fixtures/openapi/kratos-3.0.json", None);
    insta::assert_snapshot!("kratos_3_0_json", generated.toml);
    assert_eq!(generated.resources, ["identities"]);
    let bulk = generated
        .skipped
        .iter()
        .find(|s| s.path == "POST /admin/sessions")
        .unwrap_or_else(|| panic!("the bulk POST is listed: {:?}", generated.skipped));
    assert!(
        bulk.reason.contains("bulk") && bulk.reason.contains("never sent"),
        "{bulk:?}"
    );
    assert!(
        generated
            .toml
            .contains("#   POST /admin/sessions: its summary or operationId says \"bulk\""),
        "listed in the file too"
    );
    let identities = resource(&loaded, "identities");
    assert_eq!(
        identities.create,
        CreateMode::Post,
        "PUT /admin/identities/{{id}} only updates (404, \"Update an Identity\")"
    );
    for managed in ["/created_at", "/updated_at", "/state_changed_at"] {
        assert!(
            ignored(identities).iter().any(|p| p == managed),
            "{managed} is only in the answer: {:?}",
            ignored(identities)
        );
    }
}

#[test]
fn fastapi_integer_ids_mean_post_and_a_bulk_list_post_is_excluded() {
    let (generated, loaded) = imported("tests/fixtures/openapi/fastapi-inventory-3.1.json", None);
    insta::assert_snapshot!("fastapi_inventory_3_1_json", generated.toml);
    assert_eq!(generated.resources, ["items", "notes"]);
    let items = resource(&loaded, "items");
    assert_eq!(
        items.create,
        CreateMode::Post,
        "integer ids: the server picks them"
    );
    assert!(
        matches!(&items.post_id, Some(PostId::Pointer(p)) if p.to_string() == "/id"),
        "{:?}",
        items.post_id
    );
    assert!(
        generated.toml.contains("it documents no 201"),
        "a 200-only create is still a create, with the caveat said"
    );
    assert_eq!(ignored(items), ["/created_at", "/updated_at"]);
    assert!(items.supports(Method::Put) && items.checks.enabled(CheckId::RepeatPut));
    assert_eq!(resource(&loaded, "notes").create, CreateMode::Post);
    assert!(
        generated
            .skipped
            .iter()
            .any(|s| s.path == "POST /tags" && s.reason.contains("never sent")),
        "{:?}",
        generated.skipped
    );
}

#[test]
fn drf_trailing_slash_paths_are_imported() {
    let (generated, loaded) = imported("tests/fixtures/openapi/drf-library-3.0.yaml", None);
    insta::assert_snapshot!("drf_library_3_0_yaml", generated.toml);
    assert_eq!(generated.resources, ["authors", "books"]);
    let books = resource(&loaded, "books");
    assert_eq!(books.collection, "/api/books/");
    assert_eq!(books.item, "/api/books/{id}/");
    assert_eq!(books.create, CreateMode::Post);
    assert_eq!(ignored(books), ["/created_at", "/updated_at"]);
    assert!(books.supports(Method::Patch) && books.patch.is_none());
}

/// The same API written as Swagger 2.0 and as OpenAPI 3.0 imports into the same scenario;
/// only the header line and the server the two documents name differ.
#[test]
fn swagger_2_and_openapi_3_of_the_same_api_import_alike() {
    let (v2, loaded) = imported("tests/fixtures/openapi/petstore-expanded-2.0.yaml", None);
    let (v3, _) = imported("tests/fixtures/openapi/petstore-expanded-3.0.json", None);
    insta::assert_snapshot!("petstore_expanded_2_0_yaml", v2.toml);
    assert_eq!(v2.version, "Swagger 2.0");
    let body = |toml: &str| -> Vec<String> {
        toml.lines()
            .skip(1)
            .filter(|l| !l.starts_with("# The document's server"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&v2.toml), body(&v3.toml));
    assert!(
        v2.toml
            .contains("base_url = \"http://petstore.swagger.io/api\"")
    );
    let pets = resource(&loaded, "pets");
    assert_eq!(pets.create, CreateMode::Post);
    assert_eq!(pets.required, ["name"]);
}

/// `$ref`s to files beside the document are followed; one that leaves the document's
/// directory is not (and here concerns only error answers, so nothing is missing).
#[test]
fn references_to_files_beside_the_document_are_followed() {
    let (generated, loaded) = imported(
        "tests/fixtures/openapi/petstore-separate/spec/swagger.yaml",
        None,
    );
    let pets = resource(&loaded, "pets");
    let members = pets.body.top_level_members();
    for name in ["name", "tag", "description"] {
        assert!(
            members.contains(&name),
            "{name} from NewPet.yaml / Pet.yaml: {members:?}"
        );
    }
    assert_eq!(pets.required, ["name"]);
    assert!(
        generated
            .toml
            .contains("id: left out: it holds the item's id")
    );
    // Fetched from a URL, the same document follows no file reference: without Pet.yaml
    // nothing shows that POST /pets answers a created pet, so nothing can be imported.
    let remote = import(&Spec {
        url: Some("http://127.0.0.1:9/spec/swagger.yaml".into()),
        ..document(
            "tests/fixtures/openapi/petstore-separate/spec/swagger.yaml",
            None,
        )
    });
    let err = remote.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("nothing to import"), "{err}");
}

/// How a resource's listing follows pages, in the words of `[listing] next`.
fn next_of(resource: &Resource) -> String {
    match &resource.listing.pages {
        None => "one page".into(),
        Some(Pages::Link { rel }) => format!("link {rel}"),
        Some(Pages::Url { at }) => format!("url {at}"),
        Some(Pages::Token { at, param }) => format!("token {at} as {param}"),
        Some(Pages::Page { param }) => format!("page {param}"),
    }
}

/// drf-spectacular's paginated list schemas (`PageNumberPagination` on shelves,
/// `CursorPagination` on volumes): the items at `/results`, the next page at `/next`.
#[test]
fn drf_spectacular_paginated_lists_are_followed_by_their_next_url() {
    let (generated, loaded) = imported("tests/fixtures/openapi/drf-shelf-3.0.yaml", None);
    insta::assert_snapshot!("drf_shelf_3_0_yaml", generated.toml);
    assert_eq!(generated.resources, ["shelves", "volumes"]);
    for name in ["shelves", "volumes"] {
        let shelf = resource(&loaded, name);
        assert_eq!(next_of(shelf), "url /next", "{name}");
        assert!(
            matches!(&shelf.listing.format, ListingFormat::Json { items } if items.to_string() == "/results"),
            "{name}"
        );
        assert_eq!(shelf.create, CreateMode::Post, "{name}");
    }
}

/// What every committed document imports as paging: a next token sent back as the query
/// parameter named like it, a token parameter without a token in the answer (Ory's Link
/// header, a guess), and none where the document shows no paging.
#[test]
fn paging_each_fixture_imports() {
    let cases = [
        ("bookshop-3.0.yaml", "books", "token /next_cursor as cursor"),
        ("bookshop-3.0.yaml", "authors", "one page"),
        ("kratos-3.0.json", "identities", "link next"),
        ("drf-library-3.0.yaml", "books", "one page"),
        ("fastapi-inventory-3.1.json", "items", "one page"),
        ("petstore-expanded-3.0.json", "pets", "one page"),
        ("shop-nested-3.0.yaml", "orders", "one page"),
    ];
    for (file, name, expected) in cases {
        let (_, loaded) = imported(&format!("tests/fixtures/openapi/{file}"), None);
        assert_eq!(next_of(resource(&loaded, name)), expected, "{file}: {name}");
    }
}

/// A nested collection whose parent item is an imported resource becomes a nested resource
/// under it (`{customers}` names the parent); one whose parent is not imported is listed.
#[test]
fn nested_collections_are_imported_under_their_parent_resource() {
    let (generated, loaded) = imported("tests/fixtures/openapi/shop-nested-3.0.yaml", None);
    insta::assert_snapshot!("shop_nested_3_0_yaml", generated.toml);
    assert_eq!(generated.resources, ["customers", "orders"]);
    let orders = resource(&loaded, "orders");
    assert_eq!(orders.collection, "/customers/{customers}/orders");
    assert_eq!(orders.item, "/customers/{customers}/orders/{id}");
    assert_eq!(orders.create, CreateMode::Put);
    let (generated, _) = imported("tests/fixtures/openapi/bookshop-3.0.yaml", None);
    let addresses = generated
        .skipped
        .iter()
        .find(|s| s.path == "/customers/{customerId}/addresses/{addressId}")
        .expect("listed");
    assert!(
        addresses.reason.contains("not an imported resource"),
        "{}",
        addresses.reason
    );
}
