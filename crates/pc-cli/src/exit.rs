//! The exit codes of `pc`, as its contract lists them, and [`Failure`]: why a command
//! stopped, with what to tell the user. Library errors become failures here, the one
//! place their classes meet the contract's numbers.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use pc_devices::ErrorKind;

/// How a command ended. The numbers are a public interface: scripts test them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 2: an invalid invocation or input; nothing was sent.
    Usage,
    /// 3: a device failed and is not allowed, or a `finished_with_errors` batch with no
    /// failed device to explain it.
    DeviceFailed,
    /// 4: the service or the token endpoint answered with an error.
    Service,
    /// 5: a transport failure, a timeout, or an answer that could not be read.
    Transport,
    /// 6: `--wait-timeout` passed before the batch reached a terminal status.
    WaitTimeout,
    /// 130: interrupted (Ctrl-C); outranks every other outcome.
    Interrupted,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Usage => 2,
            Exit::DeviceFailed => 3,
            Exit::Service => 4,
            Exit::Transport => 5,
            Exit::WaitTimeout => 6,
            Exit::Interrupted => 130,
        }
    }

    /// How severe an outcome is when outcomes are summed up: 130, 5, 4, 6, 3, 0 from
    /// the most severe (2 never happens after a request was sent).
    fn severity(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::DeviceFailed => 1,
            Exit::WaitTimeout => 2,
            Exit::Service => 3,
            Exit::Transport => 4,
            Exit::Usage => 5,
            Exit::Interrupted => 6,
        }
    }

    /// The more severe of two outcomes.
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// Why a command stopped: the exit code, and what to tell the user.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// One sentence (or a list) for people: the status, the service's code and
    /// description, `MS-CorrelationId` and `MS-RequestId` where a call was made.
    pub message: String,
    /// The HTTP status of the failing answer, when there was one.
    pub status: Option<u16>,
    /// The `Retry-After` the failing answer asked for.
    pub retry_after: Option<Duration>,
    /// The service's error code and description, and the failing call's ids, where a
    /// call was made: what a document over many items says of each failure.
    pub call: Option<Box<CallFacts>>,
}

/// What a failed call said, for the `errors` of a document over many items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFacts {
    /// The service's error code.
    pub code: Option<String>,
    /// The service's description.
    pub description: Option<String>,
    /// `MS-CorrelationId`.
    pub correlation_id: Option<String>,
    /// `MS-RequestId`.
    pub request_id: Option<String>,
}

impl Failure {
    /// An invalid invocation or input (exit 2): nothing was sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A failure with an exit code and a message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            status: None,
            retry_after: None,
            call: None,
        }
    }

    /// This failure with another exit code.
    pub fn with_exit(self, exit: Exit) -> Self {
        Self { exit, ..self }
    }

    /// What to do about an answer that often has a simple cause.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.status? {
            401 => "the token was refused: a token lives about an hour, and must be for the \
                    resource https://api.partnercenter.microsoft.com; set \
                    PARTNER_CENTER_ACCESS_TOKEN anew, or use the client-credential variables"
                .to_owned(),
            403 => "the credentials lack the right: the customer must be one of yours, and \
                    creating batches needs an app+user sign-in (app-only tokens can read \
                    status)"
                .to_owned(),
            404 => "check the customer id, tracking id, batch and device names; a batch \
                    uploaded a moment ago may not be known yet"
                .to_owned(),
            429 => match self.retry_after {
                Some(after) => format!(
                    "Partner Center is throttling this partner; it takes calls again in {}s \
                     (raise --max-retry-after to wait that long)",
                    after.as_secs()
                ),
                None => {
                    "Partner Center is throttling this partner; try again in a minute".to_owned()
                }
            },
            _ => return None,
        };
        Some(hint)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failure is an error, so that a token provider of `pc`'s can fail with one and the
/// library hands it back as it was ([`pc_http::Error::TokenProvider`]).
impl std::error::Error for Failure {}

/// The exit code of a library error. The classes come from the library; the numbers are
/// this tool's contract.
fn exit_of(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::InvalidInput => Exit::Usage,
        ErrorKind::Api => Exit::Service,
        ErrorKind::WaitTimeout => Exit::WaitTimeout,
        ErrorKind::Interrupted => Exit::Interrupted,
        // A provider of someone else's could not give a token: no usable answer.
        ErrorKind::Transport | ErrorKind::Decode | ErrorKind::TokenProvider => Exit::Transport,
        // A class added later: the answer could not be used.
        _ => Exit::Transport,
    }
}

impl From<pc_devices::Error> for Failure {
    fn from(error: pc_devices::Error) -> Self {
        let error = match error {
            // `pc`'s own provider (the token file) failed with a failure of its own:
            // it is said as it was, with its exit code (a lock held past its wait is 5,
            // a file that is not a sign-in 2).
            pc_devices::Error::Http(pc_http::Error::TokenProvider(own)) => {
                match own.downcast::<Failure>() {
                    Ok(failure) => return *failure,
                    Err(other) => pc_devices::Error::Http(pc_http::Error::TokenProvider(other)),
                }
            }
            other => other,
        };
        let mut message = error.to_string();
        if matches!(&error, pc_devices::Error::Http(http) if http.needs_new_sign_in()) {
            message.push_str("; sign in again with `pc auth login`");
        }
        Self {
            exit: exit_of(error.kind()),
            status: error.status().map(|status| status.as_u16()),
            retry_after: error.retry_after(),
            call: Some(Box::new(CallFacts {
                code: error.service_code().map(str::to_owned),
                description: description_of(&error).map(str::to_owned),
                correlation_id: error.correlation_id().map(str::to_owned),
                request_id: error.request_id().map(str::to_owned),
            })),
            message,
        }
    }
}

/// The service's description of the failure, where it gave one.
fn description_of(error: &pc_devices::Error) -> Option<&str> {
    match error {
        pc_devices::Error::Http(pc_http::Error::Api(api)) => api.description.as_deref(),
        pc_devices::Error::RetriedUploadConflict(api) => api.description.as_deref(),
        pc_devices::Error::UploadIncomplete(incomplete) => description_of(&incomplete.error),
        _ => None,
    }
}

impl From<pc_http::Error> for Failure {
    fn from(error: pc_http::Error) -> Self {
        pc_devices::Error::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_classes_map_onto_the_contract() {
        assert_eq!(exit_of(ErrorKind::InvalidInput), Exit::Usage);
        assert_eq!(exit_of(ErrorKind::Api), Exit::Service);
        assert_eq!(exit_of(ErrorKind::Transport), Exit::Transport);
        assert_eq!(exit_of(ErrorKind::Decode), Exit::Transport);
        assert_eq!(exit_of(ErrorKind::WaitTimeout), Exit::WaitTimeout);
        assert_eq!(exit_of(ErrorKind::TokenProvider), Exit::Transport);
        assert_eq!(exit_of(ErrorKind::Interrupted), Exit::Interrupted);
        assert_eq!(Exit::Interrupted.code(), 130);
    }

    #[test]
    fn a_failure_of_pcs_own_provider_comes_back_with_its_exit_code() {
        let own = Failure::usage("the token file f is not a sign-in");
        let failure = Failure::from(pc_http::Error::token_provider(own));
        assert_eq!(failure.exit, Exit::Usage);
        assert_eq!(failure.message, "the token file f is not a sign-in");
        // Another provider's failure is said as it is, exit 5.
        let other = std::io::Error::other("the vault is sealed");
        let failure = Failure::from(pc_http::Error::token_provider(other));
        assert_eq!(failure.exit, Exit::Transport);
        assert_eq!(failure.message, "the vault is sealed");
    }

    #[test]
    fn outcomes_sum_up_in_the_order_130_5_4_6_3_0() {
        use Exit::*;
        let order = [
            Interrupted,
            Transport,
            Service,
            WaitTimeout,
            DeviceFailed,
            Success,
        ];
        for (rank, exit) in order.iter().enumerate() {
            for lesser in &order[rank..] {
                assert_eq!(exit.worst(*lesser), *exit, "{exit:?} vs {lesser:?}");
                assert_eq!(lesser.worst(*exit), *exit, "{lesser:?} vs {exit:?}");
            }
        }
    }
}
