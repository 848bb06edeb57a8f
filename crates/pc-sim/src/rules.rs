//! How each uploaded device is decided: pure functions over the device and what the
//! store already holds.

use base64::Engine;
use pc_models::{Device, ZtdError};

fn present(field: &Option<String>) -> Option<&str> {
    field
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// The checks that need only the device itself: an invalid hardware hash (802), or
/// none of the accepted sets of identifiers (803): a hardware hash; a product key;
/// or a serial number with the manufacturer and model names.
pub(crate) fn check_identifiers(device: &Device) -> Result<(), ZtdError> {
    if let Some(hash) = present(&device.hardware_hash) {
        let valid = base64::engine::general_purpose::STANDARD
            .decode(hash)
            .is_ok_and(|bytes| !bytes.is_empty());
        return if valid {
            Ok(())
        } else {
            Err(ZtdError::InvalidHardwareHash)
        };
    }
    let has_product_key = present(&device.product_key).is_some();
    let has_serial_with_model = present(&device.serial_number).is_some()
        && present(&device.oem_manufacturer_name).is_some()
        && present(&device.model_name).is_some();
    if has_product_key || has_serial_with_model {
        Ok(())
    } else {
        Err(ZtdError::MissingSerialNumberAndProductKey)
    }
}

/// What makes two devices the same device: the serial number (any case) when there
/// is one, else the product key, else the hardware hash.
pub(crate) fn identity(device: &Device) -> String {
    if let Some(serial) = present(&device.serial_number) {
        format!("serial:{}", serial.to_ascii_uppercase())
    } else if let Some(key) = present(&device.product_key) {
        format!("key:{}", key.to_ascii_uppercase())
    } else {
        format!(
            "hash:{}",
            present(&device.hardware_hash).unwrap_or_default()
        )
    }
}

/// True when the serial number is registered to another tenant by configuration.
pub(crate) fn is_other_tenants(device: &Device, prefix: &str, serials: &[String]) -> bool {
    let Some(serial) = present(&device.serial_number) else {
        return false;
    };
    (!prefix.is_empty() && serial.starts_with(prefix)) || serials.iter().any(|s| s == serial)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(serial: &str, key: &str, hash: &str, make: &str, model: &str) -> Device {
        let field = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Device {
            serial_number: field(serial),
            product_key: field(key),
            hardware_hash: field(hash),
            oem_manufacturer_name: field(make),
            model_name: field(model),
            ..Default::default()
        }
    }

    #[test]
    fn the_accepted_sets_of_identifiers() {
        let cases = [
            (device("", "", "T0FCAA==", "", ""), Ok(())),
            (device("S", "K", "T0FCAA==", "", ""), Ok(())),
            (device("", "K", "", "", ""), Ok(())),
            (device("S", "K", "", "", ""), Ok(())),
            (device("S", "", "", "Contoso", "Laptop"), Ok(())),
            (
                device("S", "", "not base64!", "", ""),
                Err(ZtdError::InvalidHardwareHash),
            ),
            (
                device("", "K", "T0FCAA", "", ""),
                Err(ZtdError::InvalidHardwareHash),
            ),
            (
                device("S", "", "", "", ""),
                Err(ZtdError::MissingSerialNumberAndProductKey),
            ),
            (
                device("S", "", "", "Contoso", ""),
                Err(ZtdError::MissingSerialNumberAndProductKey),
            ),
            (
                device("", "", "", "Contoso", "Laptop"),
                Err(ZtdError::MissingSerialNumberAndProductKey),
            ),
            (
                device(" ", " ", " ", "", ""),
                Err(ZtdError::MissingSerialNumberAndProductKey),
            ),
        ];
        for (device, expected) in cases {
            assert_eq!(check_identifiers(&device), expected, "{device:?}");
        }
    }

    #[test]
    fn identity_prefers_the_serial_number() {
        assert_eq!(identity(&device("ab1", "K", "", "", "")), "serial:AB1");
        assert_eq!(identity(&device("", "k1", "H", "", "")), "key:K1");
        assert_eq!(identity(&device("", "", "H", "", "")), "hash:H");
    }

    #[test]
    fn other_tenants_serials_by_prefix_or_list() {
        let listed = ["X-1".to_owned()];
        assert!(is_other_tenants(
            &device("OTHER-1", "", "", "", ""),
            "OTHER-",
            &[]
        ));
        assert!(!is_other_tenants(
            &device("other-1", "", "", "", ""),
            "OTHER-",
            &[]
        ));
        assert!(!is_other_tenants(&device("S", "", "", "", ""), "", &[]));
        assert!(is_other_tenants(
            &device("X-1", "", "", "", ""),
            "",
            &listed
        ));
    }
}
