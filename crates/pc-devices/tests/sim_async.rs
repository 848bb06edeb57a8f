//! Every operation of the async client against the simulator, over real HTTP on
//! loopback (reqwest). The simulator's clock moves only when the client's wait sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "async")]

mod support;

use pc_devices::ops::{Operation, PagedOperation};

use std::sync::Arc;
use std::time::Duration;

use pc_devices::{AsyncDevicesClient, ErrorKind, WaitOptions};
use pc_http::runtime::AsyncSleep;
use pc_http::testing::FakeClock;
use pc_models::{
    ConfigurationPolicy, Device, DeviceBatchCreationRequest, DevicePolicyUpdateRequest,
    KeyValuePair, UploadStatus,
};
use pc_sim::{ManualClock, SimConfig, Simulator};
use support::*;

/// Sleeping moves the client's fake clock and the simulator's clock together.
struct SharedTime {
    client: FakeClock,
    sim: Arc<ManualClock>,
}

#[async_trait::async_trait]
impl AsyncSleep for SharedTime {
    async fn sleep(&self, duration: Duration) {
        AsyncSleep::sleep(&self.client, duration).await;
        self.sim.advance(duration);
    }
}

fn device(serial: &str) -> Device {
    Device {
        serial_number: Some(serial.to_owned()),
        product_key: Some(format!("PK-{serial}")),
        ..Device::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_against_a_strict_simulator() {
    every_operation(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_against_a_strict_simulator_with_every_documented_quirk() {
    every_operation(true).await;
}

/// The whole flow against a strict simulator, optionally with every documented quirk.
async fn every_operation(quirks: bool) {
    let sim_clock = Arc::new(ManualClock::default());
    let sim = Simulator::start(
        SimConfig {
            clock: sim_clock.clone(),
            page_size: 2,
            strict: true,
            quirks,
            ..Default::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let client_clock = FakeClock::new();
    let client = AsyncDevicesClient::builder()
        .base_url(sim.base_url())
        .token("any")
        .clock(client_clock.clone())
        .sleep(SharedTime {
            client: client_clock.clone(),
            sim: sim_clock,
        })
        .build()
        .unwrap();
    let lab = batch("Lab B #2");
    let wait = WaitOptions {
        interval: Duration::from_secs(1),
        deadline: Duration::from_secs(60),
        ..Default::default()
    };

    let accepted = client
        .create_device_batch(
            &customer(),
            DeviceBatchCreationRequest::new(
                lab.clone(),
                vec![device("SN-1"), device("OTHER-2"), device("SN-3")],
            ),
        )
        .await
        .unwrap();
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .await
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::FinishedWithErrors));
    assert_eq!(details.status_counts().failed, 1);

    let accepted = client
        .add_devices(&customer(), &lab, vec![device("SN-4"), device("SN-1")])
        .await
        .unwrap();
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .await
        .unwrap();
    assert_eq!(
        details
            .failed_devices()
            .filter_map(|f| f.error.and_then(|e| e.code()))
            .collect::<Vec<_>>(),
        [806]
    );

    let batches = client
        .device_batches(&customer())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        client
            .send(&pc_devices::ops::ListDeviceBatches::new(customer()))
            .await
            .unwrap()
            .items()
            .len(),
        1
    );

    // Every page, as a stream of items.
    let mut stream = client.devices(&customer(), &lab);
    let mut devices = Vec::new();
    while let Some(device) = stream.next().await {
        devices.push(device.unwrap());
    }
    assert_eq!(devices.len(), 3);
    let first = pc_devices::ops::ListDevices::new(customer(), lab.clone());
    let page = client.send(&first).await.unwrap();
    let next = pc_devices::paging::next_page(&first.path().unwrap(), &page)
        .unwrap()
        .unwrap();
    let second = client.send(&first.with_page(next)).await.unwrap();
    assert_eq!(second.items().len(), 1);

    let created = client
        .create_configuration_policy(
            &customer(),
            ConfigurationPolicy {
                name: Some("Profile".to_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let policy_id = created.id.unwrap();
    assert_eq!(
        client
            .configuration_policies(&customer())
            .try_collect()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        client
            .send(&pc_devices::ops::ListConfigurationPolicies::new(customer()))
            .await
            .unwrap()
            .items()
            .len(),
        1
    );
    let got = client
        .configuration_policy(&customer(), &policy_id)
        .await
        .unwrap();
    let updated = client
        .update_configuration_policy(
            &customer(),
            &policy_id,
            ConfigurationPolicy {
                description: Some("Skips the EULA".to_owned()),
                ..got
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("Skips the EULA"));
    assert_eq!(updated.id.as_ref(), Some(&policy_id));

    let accepted = client
        .update_device_policies(
            &customer(),
            DevicePolicyUpdateRequest::new(vec![Device {
                id: devices[0].id.clone(),
                policies: Some(vec![KeyValuePair::new("o_o_b_e", policy_id.as_str())]),
                ..Device::default()
            }]),
        )
        .await
        .unwrap();
    let details = client
        .wait_for_completion(&customer(), &accepted.tracking_id, &wait)
        .await
        .unwrap();
    assert_eq!(details.status, Some(UploadStatus::Finished));

    client
        .delete_device(&customer(), &lab, devices[0].id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        client
            .devices(&customer(), &lab)
            .try_collect()
            .await
            .unwrap()
            .len(),
        2
    );
    client
        .delete_configuration_policy(&customer(), &policy_id)
        .await
        .unwrap();
    let error = client
        .configuration_policy(&customer(), &policy_id)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);

    let log = sim.request_log();
    assert!(log.iter().any(|entry| {
        entry
            .path
            .ends_with("/deviceBatches/Lab%20B%20%232/devices")
    }));
    sim.shutdown().await;
}
