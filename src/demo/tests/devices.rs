//! The clean behaviour of `/devices`: idempotent reboots through `times_rebooted`.

use serde_json::{Value, json};

use super::{Demo, start};

fn device(name: &str, times_rebooted: u64) -> Value {
    json!({"name": name, "times_rebooted": times_rebooted})
}

async fn last_boot(demo: &Demo, path: &str) -> Value {
    demo.get(path).await.json()["last_boot"].clone()
}

#[tokio::test]
async fn a_device_is_created_with_zero_reboots_only() {
    let demo = start("none").await;
    demo.put("/devices/d", &device("d", 1))
        .await
        .assert_problem(409);
    demo.get("/devices/d").await.assert_problem(404);
    let created = demo.put("/devices/d", &device("d", 0)).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/devices/d"));
    assert!(created.json()["last_boot"].is_string());
}

#[tokio::test]
async fn the_next_count_reboots_once_and_a_retry_does_not() {
    let demo = start("none").await;
    demo.put("/devices/d", &device("d", 0)).await;
    let booted = last_boot(&demo, "/devices/d").await;
    let reboot = demo.put("/devices/d", &device("d", 1)).await;
    assert_eq!(reboot.status, 200);
    let rebooted = last_boot(&demo, "/devices/d").await;
    assert_ne!(booted, rebooted);

    let before_retry = demo.get("/devices/d").await;
    let retry = demo.put("/devices/d", &device("d", 1)).await;
    assert_eq!(retry.status, 200);
    let after_retry = demo.get("/devices/d").await;
    assert_eq!(before_retry.text, after_retry.text);
}

#[tokio::test]
async fn stale_or_skipped_counts_conflict_and_change_nothing() {
    let demo = start("none").await;
    demo.put("/devices/d", &device("d", 0)).await;
    demo.put("/devices/d", &device("d", 1)).await;
    let before = demo.get("/devices/d").await.text;
    for count in [0, 3] {
        demo.put("/devices/d", &device("renamed", count))
            .await
            .assert_problem(409);
    }
    assert_eq!(demo.get("/devices/d").await.text, before);
}

#[tokio::test]
async fn renaming_keeps_the_boot_and_bad_bodies_are_400() {
    let demo = start("none").await;
    demo.put("/devices/d", &device("old", 0)).await;
    let booted = last_boot(&demo, "/devices/d").await;
    let renamed = demo.put("/devices/d", &device("new", 0)).await.json();
    assert_eq!(
        (&renamed["name"], &renamed["last_boot"]),
        (&json!("new"), &booted)
    );
    for bad in [
        json!({"name": "x"}),
        json!({"name": 1, "times_rebooted": 0}),
        json!({"name": "x", "times_rebooted": -1}),
        json!({"name": "x", "times_rebooted": 0, "x": 1}),
    ] {
        demo.put("/devices/d", &bad).await.assert_problem(400);
    }
    assert_eq!(demo.ids("/devices").await, ["d"]);
    assert_eq!(demo.delete("/devices/d").await.status, 204);
}
