//! Both clients interrupted: a wait ends at once (during a poll, during its sleep,
//! within the not-found grace), an upload sends no part more and names the accepted
//! ones, a listing stops at its next page; nothing more reaches the transport.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(any(feature = "blocking", feature = "async"))]

mod support;

use std::time::{Duration, Instant};

use pc_devices::{Error, ErrorKind, UploadOptions, UploadTarget, WaitOptions};
use pc_http::Interrupt;
use pc_http::testing::{FakeClock, ScriptedTransport};
use pc_models::Device;
use support::*;

fn devices(n: usize) -> Vec<Device> {
    (0..n)
        .map(|i| Device {
            serial_number: Some(format!("SN-{i}")),
            ..Device::default()
        })
        .collect()
}

fn accepted(transport: &ScriptedTransport, n: u32) {
    let location = format!("/customers/{CUSTOMER}/batchJobStatus/00000000-0000-0000-0000-{n:012}");
    transport.push_response(202, &[("Location", location.as_str())], "");
}

fn queued(transport: &ScriptedTransport) {
    transport.push_json(200, &batch_status("queued", &["queued"]));
}

/// Three parts of two devices, to a new batch.
fn parts() -> UploadOptions {
    UploadOptions {
        devices_per_request: 2,
        ..Default::default()
    }
}

fn graced() -> WaitOptions {
    WaitOptions {
        not_found_grace: Some(Duration::from_secs(60)),
        ..Default::default()
    }
}

/// The accepted parts an incomplete upload names, by the last digits of their ids.
fn accepted_ids(error: &Error) -> Vec<u128> {
    let Error::UploadIncomplete(incomplete) = error else {
        panic!("not an incomplete upload: {error:?}");
    };
    incomplete
        .accepted
        .iter()
        .map(|part| part.tracking_id.as_uuid().as_u128())
        .collect()
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;
    use pc_devices::DevicesClient;
    use pc_http::runtime::Sleep;

    fn client(
        transport: &ScriptedTransport,
        clock: &FakeClock,
        interrupt: &Interrupt,
    ) -> DevicesClient {
        DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .clock(clock.clone())
            .sleep(clock.clone())
            .interrupt(interrupt.clone())
            .build()
            .unwrap()
    }

    #[test]
    fn a_wait_interrupted_during_a_poll_polls_no_more() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        for _ in 0..4 {
            queued(&transport);
        }
        transport.interrupt_during(2, &interrupt);
        let clock = FakeClock::new();
        let error = client(&transport, &clock, &interrupt)
            .wait_for_completion(&customer(), &tracking(), &WaitOptions::default())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 2);
        // The sleep after the interrupted poll did not happen.
        assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
    }

    #[test]
    fn a_wait_interrupted_during_its_sleep_ends_at_once() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        for _ in 0..4 {
            queued(&transport);
        }
        let clock = FakeClock::new();
        let (recorder, handler) = (clock.clone(), interrupt.clone());
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .clock(clock.clone())
            .sleep(move |duration: Duration| {
                recorder.sleep(duration);
                handler.interrupt(); // the Ctrl-C comes while the wait sleeps
            })
            .interrupt(interrupt)
            .build()
            .unwrap();
        let error = client
            .wait_for_completion(&customer(), &tracking(), &WaitOptions::default())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 1);
        assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
    }

    /// With the real clock and sleep: a wait polling every 30 s, interrupted from
    /// another thread 50 ms into its first sleep, ends within seconds.
    #[test]
    fn a_wait_with_the_real_sleep_ends_soon_after_the_interrupt() {
        let transport = ScriptedTransport::new();
        for _ in 0..4 {
            queued(&transport);
        }
        let interrupt = Interrupt::new();
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .interrupt(interrupt.clone())
            .build()
            .unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            interrupt.interrupt();
        });
        let options = WaitOptions {
            interval: Duration::from_secs(30),
            ..Default::default()
        };
        let started = Instant::now();
        let error = client
            .wait_for_completion(&customer(), &tracking(), &options)
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 1);
    }

    #[test]
    fn a_wait_within_the_not_found_grace_polls_no_more_once_interrupted() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        transport.push_status(404).push_status(404);
        queued(&transport);
        transport.interrupt_during(1, &interrupt);
        let clock = FakeClock::new();
        let error = client(&transport, &clock, &interrupt)
            .wait_for_completion(&customer(), &tracking(), &graced())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 1);
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn an_interrupted_upload_sends_no_part_more_and_names_the_accepted_ones() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        for n in 1..=3 {
            accepted(&transport, n);
        }
        // The second part is in flight when the interrupt comes: it is accepted.
        transport.interrupt_during(2, &interrupt);
        let client = client(&transport, &FakeClock::new(), &interrupt);
        let mut told = Vec::new();
        let error = client
            .upload_with_progress(
                &customer(),
                &UploadTarget::NewBatch(batch("Lab")),
                devices(6),
                &parts(),
                |part| told.push(part.tracking_id.as_uuid().as_u128()),
            )
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(accepted_ids(&error), [1, 2]);
        assert_eq!(told, [1, 2]);
        assert_eq!(transport.request_count(), 2);
        assert!(
            error.to_string().contains("2 device(s) were not sent"),
            "{error}"
        );
    }

    #[test]
    fn an_upload_interrupted_on_a_404_within_the_grace_does_not_try_again() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        accepted(&transport, 1);
        transport.push_status(404);
        accepted(&transport, 2);
        accepted(&transport, 3);
        transport.interrupt_during(2, &interrupt);
        let clock = FakeClock::new();
        let error = client(&transport, &clock, &interrupt)
            .upload(
                &customer(),
                &UploadTarget::NewBatch(batch("Lab")),
                devices(6),
                &parts(),
            )
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(accepted_ids(&error), [1]);
        assert_eq!(transport.request_count(), 2);
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn an_upload_interrupted_before_it_starts_sends_nothing() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        accepted(&transport, 1);
        interrupt.interrupt();
        let error = client(&transport, &FakeClock::new(), &interrupt)
            .upload(
                &customer(),
                &UploadTarget::NewBatch(batch("Lab")),
                devices(1),
                &parts(),
            )
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert!(matches!(error, Error::Http(_)), "{error:?}");
        assert_eq!(transport.request_count(), 0);
    }

    #[test]
    fn a_listing_stops_at_its_next_page() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        transport
            .push_json(200, &device_page(0, 2, Some("p2")))
            .push_json(200, &device_page(2, 2, None))
            .interrupt_during(1, &interrupt);
        let client = client(&transport, &FakeClock::new(), &interrupt);
        let mut items = client.devices(&customer(), &batch("Lab A"));
        assert!(items.next().unwrap().is_ok());
        assert!(items.next().unwrap().is_ok());
        let error = items.next().unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert!(items.next().is_none());
        assert_eq!(transport.request_count(), 1);
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use pc_devices::AsyncDevicesClient;
    use std::sync::{Arc, Mutex};

    fn client(
        transport: &ScriptedTransport,
        clock: &FakeClock,
        interrupt: &Interrupt,
    ) -> AsyncDevicesClient {
        AsyncDevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .clock(clock.clone())
            .sleep(clock.clone())
            .interrupt(interrupt.clone())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_wait_interrupted_during_a_poll_polls_no_more() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        for _ in 0..4 {
            queued(&transport);
        }
        transport.interrupt_during(2, &interrupt);
        let clock = FakeClock::new();
        let error = client(&transport, &clock, &interrupt)
            .wait_for_completion(&customer(), &tracking(), &graced())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 2);
        assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
    }

    /// With the runtime's own timer, raced against the interrupt: a wait polling every
    /// 30 s, interrupted 50 ms into its first sleep, ends within seconds.
    #[tokio::test]
    async fn a_wait_with_a_runtime_timer_ends_soon_after_the_interrupt() {
        struct Tokio;
        #[async_trait::async_trait]
        impl pc_http::runtime::AsyncSleep for Tokio {
            async fn sleep(&self, duration: Duration) {
                tokio::time::sleep(duration).await;
            }
        }
        let transport = ScriptedTransport::new();
        for _ in 0..4 {
            queued(&transport);
        }
        let interrupt = Interrupt::new();
        let client = AsyncDevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t0ken")
            .transport(transport.clone())
            .sleep(Tokio)
            .interrupt(interrupt.clone())
            .build()
            .unwrap();
        let handler = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            handler.interrupt();
        });
        let options = WaitOptions {
            interval: Duration::from_secs(30),
            ..Default::default()
        };
        let started = Instant::now();
        let error = client
            .wait_for_completion(&customer(), &tracking(), &options)
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(transport.request_count(), 1);
    }

    #[tokio::test]
    async fn an_interrupted_upload_sends_no_part_more_and_names_the_accepted_ones() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        for n in 1..=3 {
            accepted(&transport, n);
        }
        transport.interrupt_during(2, &interrupt);
        let told = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&told);
        let error = client(&transport, &FakeClock::new(), &interrupt)
            .upload_with_progress(
                &customer(),
                &UploadTarget::NewBatch(batch("Lab")),
                devices(6),
                &parts(),
                move |part| {
                    log.lock()
                        .unwrap()
                        .push(part.tracking_id.as_uuid().as_u128());
                },
            )
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert_eq!(accepted_ids(&error), [1, 2]);
        assert_eq!(*told.lock().unwrap(), [1, 2]);
        assert_eq!(transport.request_count(), 2);
    }

    #[tokio::test]
    async fn a_listing_stream_stops_at_its_next_page() {
        let transport = ScriptedTransport::new();
        let interrupt = Interrupt::new();
        transport
            .push_json(200, &device_page(0, 2, Some("p2")))
            .push_json(200, &device_page(2, 2, None))
            .interrupt_during(1, &interrupt);
        let client = client(&transport, &FakeClock::new(), &interrupt);
        let mut items = client.devices(&customer(), &batch("Lab A"));
        assert!(items.next().await.unwrap().is_ok());
        assert!(items.next().await.unwrap().is_ok());
        let error = items.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted);
        assert!(items.next().await.is_none());
        assert_eq!(transport.request_count(), 1);
    }
}
