//! Every operation of the blocking client against the simulator, over real HTTP on
//! loopback (ureq). The simulator's clock moves only when the client's wait sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "blocking")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use pc_devices::{DevicesClient, ErrorKind, WaitOptions};
use pc_http::runtime::Sleep;
use pc_http::testing::FakeClock;
use pc_models::{
    Attributes, ConfigurationPolicy, Device, DeviceBatchCreationRequest, DevicePolicyUpdateRequest,
    KeyValuePair, PolicyCategory, PolicySetting, UploadStatus,
};
use pc_sim::{ManualClock, SimConfig};
use support::*;

fn device(serial: &str) -> Device {
    Device {
        serial_number: Some(serial.to_owned()),
        hardware_hash: Some("T0FCAAEAHAAAAAoA".to_owned()),
        ..Device::default()
    }
}

#[test]
fn every_operation_against_a_strict_simulator() {
    every_operation(false);
}

#[test]
fn every_operation_against_a_strict_simulator_with_every_documented_quirk() {
    every_operation(true);
}

/// The whole flow against a simulator that refuses what a careless client sends
/// (strict), and optionally answers with every quirk the documentation shows.
fn every_operation(quirks: bool) {
    let sim_clock = Arc::new(ManualClock::default());
    let sim = pc_sim::spawn(SimConfig {
        clock: sim_clock.clone(),
        page_size: 2,
        strict: true,
        quirks,
        ..Default::default()
    })
    .unwrap();
    let client_clock = FakeClock::new();
    let sleeper = client_clock.clone();
    let client = DevicesClient::builder()
        .base_url(sim.base_url())
        .token("any")
        .correlation_id("7b3e2e00-b330-4480-9d84-59ace713427f")
        .clock(client_clock.clone())
        .sleep(move |duration: Duration| {
            sleeper.sleep(duration);
            sim_clock.advance(duration);
        })
        .build()
        .unwrap();
    let lab = batch("Lab A/1");
    let wait = WaitOptions {
        interval: Duration::from_secs(1),
        deadline: Duration::from_secs(60),
        ..Default::default()
    };

    // Create a batch: one device fine, one registered elsewhere (808).
    let accepted = client
        .create_device_batch(
            &customer(),
            DeviceBatchCreationRequest::new(
                lab.clone(),
                vec![device("SN-1"), device("OTHER-2"), device("SN-3")],
            ),
        )
        .unwrap();
    // With quirks the 202 names the tracking id in its body, not in `Location`.
    assert_eq!(accepted.location.is_some(), !quirks);
    let first = client
        .batch_upload_status(&customer(), &accepted.tracking_id)
        .unwrap();
    assert_eq!(first.status, Some(UploadStatus::Queued));
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::FinishedWithErrors));
    let failed: Vec<_> = details
        .failed_devices()
        .map(|failed| {
            (
                failed.device.serial_number.clone().unwrap(),
                failed.error.and_then(|e| e.code()),
            )
        })
        .collect();
    assert_eq!(failed, [("OTHER-2".to_owned(), Some(808))]);
    assert!(client_clock.elapsed() >= Duration::from_secs(1));

    // Add devices: one new, one already in a batch of this customer (806).
    let accepted = client
        .add_devices(&customer(), &lab, vec![device("SN-4"), device("SN-1")])
        .unwrap();
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .unwrap();
    assert_eq!(
        details
            .failed_devices()
            .filter_map(|f| f.error.and_then(|e| e.code()))
            .collect::<Vec<_>>(),
        [806]
    );

    // List batches and every page of devices (2 a page).
    let batches = client.device_batches(&customer()).try_collect().unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].id.as_ref(), Some(&lab));
    if quirks {
        // The documentation's other spelling of the count, kept as received.
        assert_eq!(batches[0].count(), Some(3));
    }
    let devices = client.devices(&customer(), &lab).try_collect().unwrap();
    let serials: Vec<_> = devices
        .iter()
        .filter_map(|d| d.serial_number.clone())
        .collect();
    assert_eq!(serials, ["SN-1", "SN-3", "SN-4"], "every page, in order");
    let first_page = client
        .send(&pc_devices::ops::ListDevices::new(customer(), lab.clone()))
        .unwrap();
    assert_eq!(first_page.items().len(), 2);
    assert!(first_page.next_token().is_some());
    // Several batches, so that their listing pages too (by links.next alone with quirks).
    for name in ["Lab B", "Lab C"] {
        client
            .create_device_batch(
                &customer(),
                DeviceBatchCreationRequest::new(batch(name), vec![device(&format!("{name}-1"))]),
            )
            .unwrap();
    }
    let names: Vec<_> = client
        .device_batches(&customer())
        .try_collect()
        .unwrap()
        .into_iter()
        .filter_map(|b| b.id.map(|id| id.as_str().to_owned()))
        .collect();
    assert_eq!(names, ["Lab A/1", "Lab B", "Lab C"]);

    // Configuration policies: create, list, get, update.
    let created = client
        .create_configuration_policy(
            &customer(),
            ConfigurationPolicy {
                name: Some("Autopilot profile".to_owned()),
                category: Some(PolicyCategory::OutOfBoxExperience),
                policy_settings: Some(vec![PolicySetting::SkipEula]),
                attributes: Some(Attributes::of("ConfigurationPolicy")),
                ..Default::default()
            },
        )
        .unwrap();
    let policy_id = created.id.unwrap();
    assert_eq!(
        client
            .configuration_policies(&customer())
            .try_collect()
            .unwrap()
            .len(),
        1
    );
    let got = client
        .configuration_policy(&customer(), &policy_id)
        .unwrap();
    assert_eq!(got.name.as_deref(), Some("Autopilot profile"));
    let updated = client
        .update_configuration_policy(
            &customer(),
            &policy_id,
            ConfigurationPolicy {
                name: Some("Renamed".to_owned()),
                ..got
            },
        )
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Renamed"));

    // Apply the policy to a device.
    let target = devices
        .iter()
        .find(|d| d.serial_number.as_deref() == Some("SN-3"))
        .unwrap();
    let accepted = client
        .update_device_policies(
            &customer(),
            DevicePolicyUpdateRequest::new(vec![Device {
                id: target.id.clone(),
                policies: Some(vec![KeyValuePair::new("o_o_b_e", policy_id.as_str())]),
                ..Device::default()
            }]),
        )
        .unwrap();
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::Finished));

    // Delete a device, then the policy.
    client
        .delete_device(&customer(), &lab, target.id.as_ref().unwrap())
        .unwrap();
    assert_eq!(
        client
            .devices(&customer(), &lab)
            .try_collect()
            .unwrap()
            .len(),
        2
    );
    client
        .delete_configuration_policy(&customer(), &policy_id)
        .unwrap();
    let error = client
        .configuration_policy(&customer(), &policy_id)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));

    // An unknown tracking id: the service's error, with the ids to quote.
    let error = client
        .batch_upload_status(
            &customer(),
            &"00000000-0000-0000-0000-000000000001".parse().unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(error.service_code().is_some(), "{error}");
    assert_eq!(
        error.correlation_id(),
        Some("7b3e2e00-b330-4480-9d84-59ace713427f")
    );
    assert!(error.request_id().is_some());

    // What went over the wire: canonical paths, the batch name as one segment, no token.
    let log = sim.request_log();
    assert!(log.iter().any(|entry| entry.path
        == "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/deviceBatches/Lab%20A%2F1/devices"));
    assert!(log.iter().all(|entry| {
        !entry
            .headers
            .iter()
            .any(|(_, value)| value.contains("Bearer any"))
    }));
}
