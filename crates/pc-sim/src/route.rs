//! Which operation a request asks for: the raw path split into segments, each segment
//! percent-decoded on its own (so `Lab%20A%2F1` is the one batch id `Lab A/1`), literal
//! segments matched case-insensitively as the service does.

use axum::http::Method;
use percent_encoding::percent_decode_str;
use std::fmt;
use std::str::FromStr;

/// An operation the simulator serves; faults can be configured per operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `POST /{tenant}/oauth2/token` (and `/{tenant}/oauth2/v2.0/token`).
    Token,
    /// `POST /{tenant}/oauth2/devicecode`: the start of a device-code sign-in.
    DeviceCode,
    /// `GET …/batchJobStatus/{tracking-id}`.
    BatchStatus,
    /// `POST …/deviceBatches`.
    CreateBatch,
    /// `POST …/deviceBatches/{batch-id}/devices`.
    AddDevices,
    /// `GET …/deviceBatches`.
    ListBatches,
    /// `GET …/deviceBatches/{batch-id}/devices`.
    ListDevices,
    /// `DELETE …/deviceBatches/{batch-id}/devices/{device-id}`.
    DeleteDevice,
    /// `PATCH …/DevicePolicyUpdates`.
    UpdateDevicePolicies,
    /// `GET …/policies`.
    ListPolicies,
    /// `GET …/policies/{policy-id}`.
    GetPolicy,
    /// `POST …/policies`.
    CreatePolicy,
    /// `PUT …/policies/{policy-id}`.
    UpdatePolicy,
    /// `DELETE …/policies/{policy-id}`.
    DeletePolicy,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 14] = [
        Operation::Token,
        Operation::DeviceCode,
        Operation::BatchStatus,
        Operation::CreateBatch,
        Operation::AddDevices,
        Operation::ListBatches,
        Operation::ListDevices,
        Operation::DeleteDevice,
        Operation::UpdateDevicePolicies,
        Operation::ListPolicies,
        Operation::GetPolicy,
        Operation::CreatePolicy,
        Operation::UpdatePolicy,
        Operation::DeletePolicy,
    ];

    /// A short kebab-case name, e.g. `batch-status`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Token => "token",
            Operation::DeviceCode => "device-code",
            Operation::BatchStatus => "batch-status",
            Operation::CreateBatch => "create-batch",
            Operation::AddDevices => "add-devices",
            Operation::ListBatches => "list-batches",
            Operation::ListDevices => "list-devices",
            Operation::DeleteDevice => "delete-device",
            Operation::UpdateDevicePolicies => "update-device-policies",
            Operation::ListPolicies => "list-policies",
            Operation::GetPolicy => "get-policy",
            Operation::CreatePolicy => "create-policy",
            Operation::UpdatePolicy => "update-policy",
            Operation::DeletePolicy => "delete-policy",
        }
    }

    /// True for the operations that change state, whose answers are kept per
    /// `MS-RequestId` so that a repeated request gets the first answer.
    pub fn is_mutation(self) -> bool {
        !matches!(
            self,
            Operation::Token
                | Operation::DeviceCode
                | Operation::BatchStatus
                | Operation::ListBatches
                | Operation::ListDevices
                | Operation::ListPolicies
                | Operation::GetPolicy
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An operation name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown operation {0:?}: expected one of token, device-code, batch-status, create-batch, add-devices, list-batches, list-devices, delete-device, update-device-policies, list-policies, get-policy, create-policy, update-policy, delete-policy"
)]
pub struct UnknownOperation(pub String);

impl FromStr for Operation {
    type Err = UnknownOperation;

    /// Reads the name [`Operation::name`] gives.
    fn from_str(text: &str) -> Result<Self, UnknownOperation> {
        Operation::ALL
            .into_iter()
            .find(|operation| operation.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| UnknownOperation(text.to_owned()))
    }
}

/// A request matched to an operation, with its decoded path parameters (still text:
/// GUIDs are checked by the handlers, which answer 400 for a bad one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    Token {
        tenant: String,
    },
    DeviceCode {
        tenant: String,
    },
    BatchStatus {
        customer: String,
        tracking: String,
    },
    CreateBatch {
        customer: String,
    },
    AddDevices {
        customer: String,
        batch: String,
    },
    ListBatches {
        customer: String,
    },
    ListDevices {
        customer: String,
        batch: String,
    },
    DeleteDevice {
        customer: String,
        batch: String,
        device: String,
    },
    UpdateDevicePolicies {
        customer: String,
    },
    ListPolicies {
        customer: String,
    },
    GetPolicy {
        customer: String,
        policy: String,
    },
    CreatePolicy {
        customer: String,
    },
    UpdatePolicy {
        customer: String,
        policy: String,
    },
    DeletePolicy {
        customer: String,
        policy: String,
    },
}

/// Why a request matches no operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteError {
    /// No such resource: 404.
    NotFound,
    /// The resource exists but not with this method: 405, with the allowed methods.
    MethodNotAllowed(&'static str),
    /// A segment is not valid percent-encoded UTF-8: 400.
    BadSegment(String),
}

impl Route {
    pub(crate) fn operation(&self) -> Operation {
        match self {
            Route::Token { .. } => Operation::Token,
            Route::DeviceCode { .. } => Operation::DeviceCode,
            Route::BatchStatus { .. } => Operation::BatchStatus,
            Route::CreateBatch { .. } => Operation::CreateBatch,
            Route::AddDevices { .. } => Operation::AddDevices,
            Route::ListBatches { .. } => Operation::ListBatches,
            Route::ListDevices { .. } => Operation::ListDevices,
            Route::DeleteDevice { .. } => Operation::DeleteDevice,
            Route::UpdateDevicePolicies { .. } => Operation::UpdateDevicePolicies,
            Route::ListPolicies { .. } => Operation::ListPolicies,
            Route::GetPolicy { .. } => Operation::GetPolicy,
            Route::CreatePolicy { .. } => Operation::CreatePolicy,
            Route::UpdatePolicy { .. } => Operation::UpdatePolicy,
            Route::DeletePolicy { .. } => Operation::DeletePolicy,
        }
    }

    /// Matches `method` and the raw (still percent-encoded) `path`.
    pub(crate) fn parse(method: &Method, path: &str) -> Result<Route, RouteError> {
        let path = path.strip_prefix('/').unwrap_or(path);
        // One trailing slash is tolerated; ids are never empty.
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments = path
            .split('/')
            .map(|raw| {
                percent_decode_str(raw)
                    .decode_utf8()
                    .map(|text| text.into_owned())
                    .map_err(|_| RouteError::BadSegment(raw.to_owned()))
            })
            .collect::<Result<Vec<String>, RouteError>>()?;
        let words: Vec<&str> = segments.iter().map(String::as_str).collect();
        let is = |word: &str, literal: &str| word.eq_ignore_ascii_case(literal);
        let m = method;
        let own = |text: &str| text.to_owned();
        let allow = |allowed: &'static str, methods: &[Method]| {
            if methods.contains(m) {
                Ok(())
            } else {
                Err(RouteError::MethodNotAllowed(allowed))
            }
        };
        match words.as_slice() {
            [tenant, oauth, token] if is(oauth, "oauth2") && is(token, "token") => {
                allow("POST", &[Method::POST])?;
                Ok(Route::Token {
                    tenant: own(tenant),
                })
            }
            [tenant, oauth, devicecode] if is(oauth, "oauth2") && is(devicecode, "devicecode") => {
                allow("POST", &[Method::POST])?;
                Ok(Route::DeviceCode {
                    tenant: own(tenant),
                })
            }
            [tenant, oauth, version, token]
                if is(oauth, "oauth2") && is(version, "v2.0") && is(token, "token") =>
            {
                allow("POST", &[Method::POST])?;
                Ok(Route::Token {
                    tenant: own(tenant),
                })
            }
            [v1, customers, customer, rest @ ..] if is(v1, "v1") && is(customers, "customers") => {
                let customer = own(customer);
                match rest {
                    [status, tracking] if is(status, "batchJobStatus") => {
                        allow("GET", &[Method::GET])?;
                        Ok(Route::BatchStatus {
                            customer,
                            tracking: own(tracking),
                        })
                    }
                    [batches] if is(batches, "deviceBatches") => match *m {
                        Method::GET => Ok(Route::ListBatches { customer }),
                        Method::POST => Ok(Route::CreateBatch { customer }),
                        _ => Err(RouteError::MethodNotAllowed("GET, POST")),
                    },
                    [batches, batch, devices]
                        if is(batches, "deviceBatches") && is(devices, "devices") =>
                    {
                        let batch = own(batch);
                        match *m {
                            Method::GET => Ok(Route::ListDevices { customer, batch }),
                            Method::POST => Ok(Route::AddDevices { customer, batch }),
                            _ => Err(RouteError::MethodNotAllowed("GET, POST")),
                        }
                    }
                    [batches, batch, devices, device]
                        if is(batches, "deviceBatches") && is(devices, "devices") =>
                    {
                        allow("DELETE", &[Method::DELETE])?;
                        Ok(Route::DeleteDevice {
                            customer,
                            batch: own(batch),
                            device: own(device),
                        })
                    }
                    [updates] if is(updates, "DevicePolicyUpdates") => {
                        allow("PATCH", &[Method::PATCH])?;
                        Ok(Route::UpdateDevicePolicies { customer })
                    }
                    [policies] if is(policies, "policies") => match *m {
                        Method::GET => Ok(Route::ListPolicies { customer }),
                        Method::POST => Ok(Route::CreatePolicy { customer }),
                        _ => Err(RouteError::MethodNotAllowed("GET, POST")),
                    },
                    [policies, policy] if is(policies, "policies") => {
                        let policy = own(policy);
                        match *m {
                            Method::GET => Ok(Route::GetPolicy { customer, policy }),
                            Method::PUT => Ok(Route::UpdatePolicy { customer, policy }),
                            Method::DELETE => Ok(Route::DeletePolicy { customer, policy }),
                            _ => Err(RouteError::MethodNotAllowed("GET, PUT, DELETE")),
                        }
                    }
                    _ => Err(RouteError::NotFound),
                }
            }
            _ => Err(RouteError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "47021739-3426-40bf-9601-61b4b6d7c793";

    fn check(method: Method, path: &str, expected: Result<Route, RouteError>) {
        assert_eq!(Route::parse(&method, path), expected, "{method} {path}");
    }

    #[test]
    fn literal_segments_match_in_any_case() {
        let expected = Ok(Route::BatchStatus {
            customer: CID.to_owned(),
            tracking: "t".to_owned(),
        });
        for path in [
            format!("/v1/customers/{CID}/batchJobStatus/t"),
            format!("/V1/Customers/{CID}/batchjobstatus/t"),
            format!("/v1/CUSTOMERS/{CID}/BATCHJOBSTATUS/t/"),
        ] {
            check(Method::GET, &path, expected.clone());
        }
    }

    #[test]
    fn each_segment_is_decoded_on_its_own() {
        check(
            Method::DELETE,
            &format!("/v1/customers/{CID}/deviceBatches/Lab%20A%2F1/devices/d%3F1"),
            Ok(Route::DeleteDevice {
                customer: CID.to_owned(),
                batch: "Lab A/1".to_owned(),
                device: "d?1".to_owned(),
            }),
        );
        check(
            Method::GET,
            &format!("/v1/customers/{CID}/deviceBatches/Lab%20A/1/devices"),
            Err(RouteError::NotFound),
        );
        check(
            Method::GET,
            &format!("/v1/customers/{CID}/deviceBatches/%FF/devices"),
            Err(RouteError::BadSegment("%FF".to_owned())),
        );
    }

    #[test]
    fn methods_are_checked_per_resource() {
        check(
            Method::PUT,
            &format!("/v1/customers/{CID}/deviceBatches"),
            Err(RouteError::MethodNotAllowed("GET, POST")),
        );
        check(
            Method::GET,
            "/tenant/oauth2/token",
            Err(RouteError::MethodNotAllowed("POST")),
        );
        check(
            Method::POST,
            "/contoso.onmicrosoft.com/oauth2/v2.0/token",
            Ok(Route::Token {
                tenant: "contoso.onmicrosoft.com".to_owned(),
            }),
        );
        check(
            Method::GET,
            &format!("/customers/{CID}/deviceBatches"),
            Err(RouteError::NotFound),
        );
    }

    #[test]
    fn operation_names_read_back() {
        for operation in Operation::ALL {
            assert_eq!(operation.name().parse::<Operation>(), Ok(operation));
        }
        assert!("nope".parse::<Operation>().is_err());
    }
}
