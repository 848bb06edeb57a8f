use super::*;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/autopilot/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn problems(bytes: &[u8]) -> Vec<String> {
    parse_autopilot_csv(bytes)
        .unwrap_err()
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn serials(import: &CsvImport) -> Vec<&str> {
    import
        .devices
        .iter()
        .map(|device| device.serial_number.as_deref().unwrap_or("-"))
        .collect()
}

#[test]
fn the_file_get_windowsautopilotinfo_writes() {
    let import = parse_autopilot_csv(&fixture("get-windowsautopilotinfo.csv")).unwrap();
    assert_eq!(serials(&import), ["PF1ABCDE", "PF2BCDEF", "PF3CDEFG"]);
    let first = &import.devices[0];
    assert_eq!(first.product_key, None);
    assert!(
        first
            .hardware_hash
            .as_deref()
            .unwrap()
            .starts_with("T0FCAAEA")
    );
    assert_eq!(import.devices[2].hardware_hash, None);
    assert_eq!(
        import.devices[2].product_key.as_deref(),
        Some("00330-80000-00000-AA124")
    );
    assert!(import.warnings.is_empty());
    // Only the fields the service knows are sent.
    insta::assert_json_snapshot!("basic_devices", import.devices);
}

#[test]
fn utf16_with_a_byte_order_mark_reads_like_utf8() {
    let utf8 = parse_autopilot_csv(&fixture("get-windowsautopilotinfo.csv")).unwrap();
    for name in ["utf16le.csv", "utf16be.csv"] {
        let import = parse_autopilot_csv(&fixture(name)).unwrap();
        assert_eq!(import.devices, utf8.devices, "{name}");
    }
}

#[test]
fn partner_columns_with_a_bom_and_unsent_columns_warned_once() {
    let import = parse_autopilot_csv(&fixture("partner-bom.csv")).unwrap();
    assert_eq!(serials(&import), ["SN-100", "SN-101", "SN-102"]);
    let first = &import.devices[0];
    assert_eq!(first.oem_manufacturer_name.as_deref(), Some("Contoso"));
    assert_eq!(first.model_name.as_deref(), Some("Laptop 9"));
    assert_eq!(
        import.warnings,
        [CsvWarning::UnsentColumns {
            columns: vec!["Group Tag".to_owned(), "Assigned User".to_owned()],
            line: 2
        }]
    );
    assert_eq!(
        import.warnings[0].to_string(),
        "Group Tag and Assigned User are read but not sent: this API has no field for them (first filled on line 2)"
    );
}

#[test]
fn header_names_are_matched_without_regard_to_case_and_extra_columns_are_ignored() {
    let file = b"hardware hash,DEVICE SERIAL NUMBER,Notes,windows product id\n\
                 T0FCAAEA,SN-1,whatever,\n";
    let import = parse_autopilot_csv(file).unwrap();
    assert_eq!(serials(&import), ["SN-1"]);
    assert_eq!(import.devices[0].hardware_hash.as_deref(), Some("T0FCAAEA"));
}

#[test]
fn quoted_multi_line_records_keep_their_starting_line() {
    assert_eq!(
        problems(&fixture("multiline.csv")),
        [
            "line 4: the hardware hash is not valid base64",
            "line 6: the device lacks every accepted set of identifiers: it needs a hardware hash, \
             a Windows product ID, or a serial number with manufacturer and model (it has a serial \
             number but no Manufacturer name or Device model)",
        ]
    );
    let file = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n\
                SN-1,,T0FCAAEA,\"two\nline tag\"\n\
                \"SN, 4\",,T0FCAAEA,\n";
    let import = parse_autopilot_csv(file.as_bytes()).unwrap();
    assert_eq!(serials(&import), ["SN-1", "SN, 4"]);
    assert_eq!(
        import.warnings,
        [CsvWarning::UnsentColumns {
            columns: vec!["Group Tag".to_owned()],
            line: 2
        }]
    );
}

#[test]
fn every_bad_line_is_reported_and_nothing_is_accepted() {
    let error = parse_autopilot_csv(&fixture("bad.csv")).unwrap_err();
    insta::assert_snapshot!("bad_file", error.to_string());
    // The same lines with Windows line endings, and as UTF-16.
    let crlf = String::from_utf8(fixture("bad.csv"))
        .unwrap()
        .replace('\n', "\r\n");
    assert_eq!(parse_autopilot_csv(crlf.as_bytes()).unwrap_err(), error);
    let mut utf16 = vec![0xFE, 0xFF];
    for unit in crlf.encode_utf16() {
        utf16.extend(unit.to_be_bytes());
    }
    assert_eq!(parse_autopilot_csv(&utf16).unwrap_err(), error);
}

#[test]
fn exactly_repeated_rows_are_sent_once_with_a_warning() {
    let file = b"Device Serial Number,Windows Product ID,Hardware Hash\n\
                 SN-1,,T0FCAAEA\n\
                 ,PK-2,\n\
                 SN-1,,T0FCAAEA\n\
                 ,PK-2,\n";
    let import = parse_autopilot_csv(file).unwrap();
    assert_eq!(import.devices.len(), 2);
    assert_eq!(
        import.warnings,
        [
            CsvWarning::RepeatedRow {
                line: 4,
                first_line: 2
            },
            CsvWarning::RepeatedRow {
                line: 5,
                first_line: 3
            },
        ]
    );
    assert_eq!(
        import.warnings[0].to_string(),
        "line 4: repeats line 2 exactly; the device is sent once"
    );
}

#[test]
fn a_repeated_serial_is_reported_at_its_later_line() {
    let file = b"Device Serial Number,Windows Product ID,Hardware Hash\n\
                 sn-1,,T0FCAAEA\n\
                 SN-1,,T0FCAAEB\n";
    assert_eq!(
        problems(file),
        ["line 3: the serial number \"SN-1\" already appears on line 2 (as \"sn-1\")"]
    );
}

#[test]
fn files_without_devices_or_header_are_refused() {
    assert_eq!(
        problems(b""),
        [
            "the file is empty: expected a header row naming Device Serial Number, Windows Product ID and Hardware Hash"
        ]
    );
    assert_eq!(
        problems(b"Device Serial Number,Windows Product ID,Hardware Hash\r\n,,\r\n\r\n"),
        ["the file holds no device rows"]
    );
    assert_eq!(
        problems(b"Serial,Hash\nSN-1,T0FCAAEA\n"),
        [
            "line 1: the header lacks the columns Device Serial Number, Windows Product ID, Hardware Hash; it names \"Serial\", \"Hash\""
        ]
    );
    assert_eq!(
        problems(b"Device Serial Number,Windows Product ID,Hardware Hash,hardware hash\n"),
        ["line 1: the header names the column \"Hardware Hash\" twice"]
    );
}

#[test]
fn a_type_line_from_export_csv_is_skipped_and_counted() {
    let file = b"#TYPE System.Management.Automation.PSCustomObject\n\
                 Device Serial Number,Windows Product ID,Hardware Hash\n\
                 SN-1,,!!\n";
    assert_eq!(
        problems(file),
        ["line 3: the hardware hash is not valid base64"]
    );
}

#[test]
fn encodings_that_cannot_be_read_say_so() {
    let mut utf16_without_bom = Vec::new();
    for unit in "Device Serial Number\n".encode_utf16() {
        utf16_without_bom.extend(unit.to_le_bytes());
    }
    assert_eq!(
        problems(&utf16_without_bom),
        [
            "line 1: the file holds NUL bytes: it looks like UTF-16 without a byte-order mark; save it as UTF-8, or as UTF-16 with a byte-order mark"
        ]
    );
    assert_eq!(
        problems(b"Device Serial Number,Windows Product ID,Hardware Hash\nS\xe9rie,,T0FCAAEA\n"),
        [
            "line 2: the file is not UTF-8 text (nor UTF-16 with a byte-order mark); save it as UTF-8"
        ]
    );
    assert_eq!(
        problems(b"\xff\xfeD\x00\x00\xd8"),
        ["line 1: the file is not valid UTF-16 LE text"]
    );
    assert_eq!(
        problems(b"\xfe\xff\x00D\x00"),
        ["line 1: the file ends in the middle of a UTF-16 BE character"]
    );
}

#[test]
fn a_utf16_problem_names_the_line_it_is_on() {
    let utf16 = |bom: [u8; 2], text: &str, to_bytes: fn(u16) -> [u8; 2]| {
        let mut bytes = bom.to_vec();
        text.encode_utf16()
            .for_each(|unit| bytes.extend(to_bytes(unit)));
        bytes
    };
    // An unpaired surrogate on line 3.
    let mut bytes = utf16([0xFF, 0xFE], "a\nb\nc", u16::to_le_bytes);
    bytes.extend([0x00, 0xD8, b'd', 0x00]);
    assert_eq!(
        problems(&bytes),
        ["line 3: the file is not valid UTF-16 LE text"]
    );
    // An odd byte after three lines.
    let mut bytes = utf16([0xFE, 0xFF], "a\nb\ncd", u16::to_be_bytes);
    bytes.push(0x00);
    assert_eq!(
        problems(&bytes),
        ["line 3: the file ends in the middle of a UTF-16 BE character"]
    );
}

#[test]
fn blank_lines_count_in_the_line_numbers_with_either_line_ending() {
    for ending in ["\n", "\r\n"] {
        let file = [
            "Device Serial Number,Windows Product ID,Hardware Hash",
            "",
            "",
            "SN-1,PK",
            "",
        ]
        .join(ending);
        assert_eq!(
            problems(file.as_bytes()),
            ["line 4: the row has 2 fields but the header has 3"],
            "{ending:?}"
        );
    }
}

#[test]
fn a_serial_number_needs_both_manufacturer_and_model() {
    let file =
        b"Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\n\
                 SN-1,,,Contoso,\n\
                 SN-2,,,,Laptop 7\n\
                 SN-3,,,Contoso,Laptop 7\n";
    let lacks = "the device lacks every accepted set of identifiers: it needs a hardware hash, \
                 a Windows product ID, or a serial number with manufacturer and model";
    assert_eq!(
        problems(file),
        [
            format!("line 2: {lacks} (it has a serial number but no Device model)"),
            format!("line 3: {lacks} (it has a serial number but no Manufacturer name)"),
        ]
    );
}

#[test]
fn a_row_with_too_few_fields_is_reported() {
    assert_eq!(
        problems(b"Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,PK\n"),
        ["line 2: the row has 2 fields but the header has 3"]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_autopilot_csv(&bytes);
    }

    #[test]
    fn arbitrary_text_under_a_valid_header_never_panics(
        body in "[a-zA-Z0-9,\"\r\n =+/#\u{feff}]{0,300}",
        bom in any::<bool>(),
    ) {
        let mut file = if bom { UTF8_BOM_BYTES.to_vec() } else { Vec::new() };
        file.extend_from_slice(b"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n");
        file.extend_from_slice(body.as_bytes());
        match parse_autopilot_csv(&file) {
            Ok(import) => prop_assert!(!import.devices.is_empty()),
            Err(error) => {
                prop_assert!(!error.problems().is_empty());
                for problem in error.problems() {
                    prop_assert!(problem.line.is_none_or(|line| line >= 1));
                }
            }
        }
    }

    #[test]
    fn valid_rows_come_back_as_written(
        rows in proptest::collection::vec(("[A-Z0-9]{1,12}", "[A-Za-z0-9+/]{4,40}"), 1..20),
        utf16 in any::<bool>(),
    ) {
        let mut text = String::from("\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\"\r\n");
        let mut expected = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, (serial, hash)) in rows.iter().enumerate() {
            let serial = format!("{serial}-{index}");
            let hash = &hash[..hash.len() / 4 * 4];
            seen.insert(serial.clone());
            text.push_str(&format!("\"{serial}\",\"\",\"{hash}\"\r\n"));
            expected.push((serial, hash.to_owned()));
        }
        let bytes = if utf16 {
            let mut bytes = vec![0xFF, 0xFE];
            for unit in text.encode_utf16() {
                bytes.extend(unit.to_le_bytes());
            }
            bytes
        } else {
            text.into_bytes()
        };
        let import = parse_autopilot_csv(&bytes).unwrap();
        let got: Vec<_> = import
            .devices
            .iter()
            .map(|device| (device.serial_number.clone().unwrap(), device.hardware_hash.clone().unwrap()))
            .collect();
        prop_assert_eq!(got, expected);
    }
}

const UTF8_BOM_BYTES: &[u8] = b"\xEF\xBB\xBF";
