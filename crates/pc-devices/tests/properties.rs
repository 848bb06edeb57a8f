//! Robustness properties of what pc-devices reads from a server or a file and of the
//! paths it builds: the tracking id of an accepted upload, the next page of a listing,
//! a free-form id as a path segment, and the Autopilot CSV.
//!
//! 10,000 cases per property in a normal run; `PROPTEST_CASES` sets another count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pc_devices::models::{BatchId, Collection, CustomerId, Device, Uuid};
use pc_devices::ops::{
    ListDevices, Operation, PagedOperation, tracking_id_from_body, tracking_id_from_location,
};
use pc_devices::paging::next_page;
use pc_devices::parse_autopilot_csv;
use pc_devices::path::encode_segment;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use serde_json::json;

include!("../../test-support/proptest_cases.rs");

/// A GUID in one of the spellings a server might use.
fn guid() -> impl Strategy<Value = (Uuid, String)> {
    (any::<u128>(), 0..4).prop_map(|(bits, style)| {
        let uuid = Uuid::from_u128(bits);
        let text = match style {
            0 => uuid.hyphenated().to_string(),
            1 => uuid.hyphenated().to_string().to_uppercase(),
            2 => uuid.braced().to_string(),
            _ => uuid.simple().to_string(),
        };
        (uuid, text)
    })
}

/// One segment of a `Location` path.
#[derive(Debug, Clone)]
enum Segment {
    Guid(Uuid, String),
    BatchJobStatus(String),
    Word(String),
}

impl Segment {
    fn text(&self) -> &str {
        match self {
            Self::Guid(_, text) | Self::BatchJobStatus(text) | Self::Word(text) => text,
        }
    }
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        guid().prop_map(|(uuid, text)| Segment::Guid(uuid, text)),
        prop::sample::select(vec![
            "batchJobStatus",
            "BATCHJOBSTATUS",
            "batchjobstatus",
            "batchJobStatuses",
            "batchJob Status",
        ])
        .prop_map(|text| Segment::BatchJobStatus(text.to_owned())),
        prop::sample::select(vec![
            "customers",
            "v1",
            "deviceBatches",
            "devices",
            "..",
            "."
        ])
        .prop_map(|text| Segment::Word(text.to_owned())),
        "[A-Za-z0-9%.-]{1,8}".prop_map(Segment::Word),
    ]
}

/// The tracking id a `Location` of these segments names: the last segment, when it is
/// a GUID right after `batchJobStatus` (in any case).
fn named_by(segments: &[Segment]) -> Option<Uuid> {
    match segments {
        [.., Segment::BatchJobStatus(before), Segment::Guid(uuid, _)]
            if before.eq_ignore_ascii_case("batchJobStatus") =>
        {
            Some(*uuid)
        }
        _ => None,
    }
}

/// A `Location` made of `segments`, with what a server may put around it: a scheme and
/// host (holding a GUID), a trailing slash, a query or a fragment naming another GUID.
fn location() -> impl Strategy<Value = (String, Option<Uuid>)> {
    (
        prop::collection::vec(segment(), 0..7),
        prop::option::of(prop_oneof![
            Just("https://api.partnercenter.microsoft.invalid".to_owned()),
            guid().prop_map(|(_, text)| format!("https://{text}.invalid")),
        ]),
        any::<bool>(),
        prop::option::of(guid().prop_map(|(_, text)| format!("?batchJobStatus/{text}"))),
        prop::option::of(guid().prop_map(|(_, text)| format!("#batchJobStatus/{text}"))),
        "[ \t]{0,2}",
    )
        .prop_map(|(segments, host, slash, query, fragment, blank)| {
            let mut text = format!("{blank}{}", host.unwrap_or_default());
            for segment in &segments {
                text.push('/');
                text.push_str(segment.text());
            }
            if slash {
                text.push('/');
            }
            text.push_str(&query.unwrap_or_default());
            text.push_str(&fragment.unwrap_or_default());
            text.push_str(&blank);
            (text, named_by(&segments))
        })
}

/// A body that holds GUIDs in places other than a tracking id's.
fn body_without_a_tracking_id() -> impl Strategy<Value = Vec<u8>> {
    let path_not_after_status = prop::collection::vec(segment(), 0..6)
        .prop_filter("names a tracking id", |segments| {
            named_by(segments).is_none()
        })
        .prop_map(|segments| {
            let path: Vec<&str> = segments.iter().map(Segment::text).collect();
            format!("/{}", path.join("/"))
        })
        // A bare GUID is a tracking id: the path must hold more than one.
        .prop_filter("a bare GUID", |path| {
            path.trim_matches(['/', ' ']).parse::<Uuid>().is_err()
        })
        .boxed();
    prop_oneof![
        path_not_after_status
            .clone()
            .prop_map(|path| json!(path).to_string().into_bytes()),
        path_not_after_status.prop_map(String::into_bytes),
        (guid(), "[a-zA-Z]{1,14}")
            .prop_filter("the tracking id's key", |(_, key)| !key
                .eq_ignore_ascii_case("batchTrackingId"))
            .prop_map(|((_, text), key)| json!({ key: text }).to_string().into_bytes()),
        guid().prop_map(|(_, text)| json!([text]).to_string().into_bytes()),
        guid().prop_map(|(_, text)| json!({"batchTrackingId": {"id": text}})
            .to_string()
            .into_bytes()),
    ]
}

const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";

/// A `links.next.uri` of every shape: the collection's own path spelled otherwise, with
/// dot segments, encoded slashes, other hosts, queries and fragments, or anything.
fn next_link(batch: &'static str) -> impl Strategy<Value = String> {
    let own = prop_oneof![
        Just(format!(
            "/customers/{CUSTOMER}/deviceBatches/{batch}/devices"
        )),
        Just(format!(
            "/v1/customers/{CUSTOMER}/deviceBatches/{batch}/devices"
        )),
        Just(format!(
            "/V1/Customers/{CUSTOMER}/DEVICEBATCHES/{batch}/devices/"
        )),
        Just(format!(
            "customers/{CUSTOMER}/deviceBatches/{batch}/devices"
        )),
    ];
    let junk = prop::sample::select(vec![
        "/..",
        "/../x",
        "/%2e%2e",
        "%2F..%2F",
        "/./",
        "//evil.invalid",
        "?",
        "#",
        "%",
        "%00",
        "\\..\\",
        "/devices",
        "",
    ]);
    let query = "[ -~]{0,24}";
    prop_oneof![
        (own, junk.clone(), query).prop_map(|(path, junk, query)| format!("{path}{junk}?{query}")),
        (junk, "[ -~]{0,40}").prop_map(|(junk, rest)| format!("{junk}{rest}")),
        "\\PC{0,40}",
        Just("https://evil.invalid/v1/customers/x/deviceBatches".to_owned()),
    ]
}

/// Generated Autopilot CSV text: a header and rows of fields of every odd kind.
fn generated_csv() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        "[A-Za-z0-9+/=-]{0,12}",
        "\"[A-Za-z0-9,\r\n\" ]{0,12}\"",
        Just(String::new()),
        Just("\"".to_owned()),
        Just("\"a\"\"b\"".to_owned()),
    ];
    let header = prop::sample::subsequence(
        vec![
            "Device Serial Number",
            "Windows Product ID",
            "Hardware Hash",
            "Group Tag",
            "Manufacturer name",
            "Device model",
            "Device Serial Number",
            "Other",
        ],
        0..8,
    )
    .prop_shuffle();
    let newline = prop::sample::select(vec!["\n", "\r\n", "\r"]);
    (
        header,
        prop::collection::vec((prop::collection::vec(field, 0..6), newline.clone()), 0..8),
        newline,
        any::<bool>(),
        any::<bool>(),
        0..3,
    )
        .prop_map(|(header, rows, header_end, type_line, bom, encoding)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            if type_line {
                text.push_str("#TYPE Selected.Microsoft.Management.Infrastructure.CimInstance\r\n");
            }
            text.push_str(&header.join(","));
            text.push_str(header_end);
            for (fields, end) in rows {
                text.push_str(&fields.join(","));
                text.push_str(end);
            }
            match encoding {
                0 => text.into_bytes(),
                1 => [0xFF, 0xFE]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                    .collect(),
                _ => [0xFE, 0xFF]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                    .collect(),
            }
        })
}

/// How many lines a file has, counted in its own encoding (a final line without a line
/// ending counts; a file of nothing has one empty line).
fn line_count(bytes: &[u8]) -> usize {
    let utf16 = |unit: fn([u8; 2]) -> u16, rest: &[u8]| {
        rest.chunks_exact(2)
            .filter(|pair| unit([pair[0], pair[1]]) == u16::from(b'\n'))
            .count()
    };
    let newlines = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(u16::from_le_bytes, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(u16::from_be_bytes, rest)
    } else {
        bytes.iter().filter(|byte| **byte == b'\n').count()
    };
    newlines + 1
}

fn check_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_autopilot_csv(bytes) {
        Ok(import) => prop_assert!(!import.devices.is_empty()),
        Err(error) => {
            prop_assert!(!error.problems().is_empty());
            let lines = line_count(bytes);
            for problem in error.problems() {
                if let Some(line) = problem.line {
                    prop_assert!(
                        (1..=lines).contains(&line),
                        "line {} of a file of {} lines: {}",
                        line,
                        lines,
                        problem.reason
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(10_000))]

    #[test]
    fn a_location_names_the_guid_after_batch_job_status_and_nothing_else(
        (text, expected) in location(),
    ) {
        let found = tracking_id_from_location(&text).map(|id| *id.as_uuid());
        prop_assert_eq!(found, expected, "{:?}", text);
    }

    #[test]
    fn any_location_text_is_read_without_panicking(text in "\\PC{0,80}") {
        if tracking_id_from_location(&text).is_some() {
            prop_assert!(text.to_ascii_lowercase().contains("batchjobstatus"), "{:?}", text);
        }
    }

    #[test]
    fn a_body_gives_a_tracking_id_only_where_one_belongs(
        body in body_without_a_tracking_id(),
    ) {
        let found = tracking_id_from_body(&body);
        prop_assert_eq!(found, None, "{:?}", String::from_utf8_lossy(&body));
    }

    #[test]
    fn a_body_naming_a_tracking_id_gives_it(
        (uuid, text) in guid(),
        shape in 0..5,
    ) {
        let body = match shape {
            0 => json!(text).to_string(),
            1 => json!({"batchTrackingId": text, "status": "queued"}).to_string(),
            2 => json!(format!("/customers/{CUSTOMER}/batchJobStatus/{text}")).to_string(),
            3 => format!(" https://api.invalid/v1/customers/{CUSTOMER}/BatchJobStatus/{text}/?x=1\r\n"),
            _ => format!("\u{feff}{text}\n"),
        };
        prop_assert_eq!(
            tracking_id_from_body(body.as_bytes()).map(|id| *id.as_uuid()),
            Some(uuid),
            "{}",
            body
        );
    }

    #[test]
    fn any_body_is_read_without_panicking(body in prop::collection::vec(any::<u8>(), 0..96)) {
        let _ = tracking_id_from_body(&body);
    }

    #[test]
    fn a_next_page_never_leaves_the_collection(
        batch in prop::sample::select(vec!["Lab%20A", "a%2Fb", "x", "..%2F..", "%3F%23"]),
        link in prop::sample::select(vec!["Lab%20A", "a%2Fb", "x", "..%2F..", "%3F%23"])
            .prop_flat_map(next_link),
        token in prop::option::of("[ -~\r\n]{0,12}"),
        link_token in prop::option::of("[ -~\r\n]{0,12}"),
    ) {
        let batch_id = BatchId::new(percent_decode_str(batch).decode_utf8().unwrap()).unwrap();
        let op = ListDevices::new(CUSTOMER.parse::<CustomerId>().unwrap(), batch_id);
        let collection_path = op.path().unwrap();
        let mut page = json!({"items": [], "links": {"next": {"uri": link, "method": "GET"}}});
        if let Some(token) = token {
            page["continuationToken"] = json!(token);
        }
        if let Some(token) = link_token {
            page["links"]["next"]["headers"] = json!([{"key": "MS-ContinuationToken", "value": token}]);
        }
        let page: Collection<Device> = serde_json::from_value(page).unwrap();
        let Ok(Some(next)) = next_page(&collection_path, &page) else {
            return Ok(());
        };
        match op.with_page(next).to_request() {
            Ok(request) => prop_assert_eq!(request.uri().path(), collection_path.as_str()),
            // A token no header can carry is refused before sending, naming itself.
            Err(error) => prop_assert!(error.to_string().contains("continuation token"), "{}", error),
        }
    }

    #[test]
    fn an_encoded_id_is_one_segment_that_decodes_to_the_id(
        id in prop_oneof![
            "\\PC{0,24}",
            "[./?#%\\\\ a]{0,8}",
            Just("..".to_owned()),
            Just("../".to_owned()),
            Just("%2F".to_owned()),
        ],
    ) {
        match encode_segment("batch id", &id) {
            Ok(encoded) => {
                prop_assert!(!encoded.contains(['/', '?', '#', '\\']), "{:?}", encoded);
                prop_assert!(encoded != "." && encoded != ".." && !encoded.is_empty());
                prop_assert_eq!(percent_decode_str(&encoded).decode_utf8().unwrap(), id.as_str());
                // As the path of a request, it stays one segment.
                let path = format!("/v1/customers/c/deviceBatches/{encoded}/devices");
                let uri: http::Uri = path.parse().unwrap();
                prop_assert_eq!(uri.path().split('/').count(), 7);
            }
            Err(error) => {
                prop_assert!(id.trim().is_empty() || id == "." || id == "..", "refused {:?}", id);
                prop_assert!(error.to_string().contains("batch id"), "{}", error);
            }
        }
    }

    #[test]
    fn an_autopilot_csv_of_any_bytes_reports_lines_within_the_file(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            prop::collection::vec(any::<u8>(), 0..256).prop_map(|bytes| [b"\xFF\xFE".as_slice(), &bytes].concat()),
            prop::collection::vec(prop::sample::select(b",\"\r\n aZ09\xEF\xBB\xBF#".to_vec()), 0..256),
        ],
    ) {
        check_csv(&bytes)?;
    }

    #[test]
    fn a_generated_autopilot_csv_reports_lines_within_the_file(bytes in generated_csv()) {
        check_csv(&bytes)?;
    }
}
