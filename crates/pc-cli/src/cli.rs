//! The command line: every command, flag and environment variable, with clap derive.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use pc_http::Cloud;
use pc_models::{BatchId, CustomerId, DeviceId, TrackingId};

use crate::duration::parse_duration;
use crate::sim::SimArgs;

const ABOUT: &str = "Partner Center device deployment (Windows Autopilot) from the command line";

const LONG_ABOUT: &str = "\
Partner Center device deployment (Windows Autopilot) from the command line.

Upload Autopilot device hashes for a customer in batches, follow each batch until
Partner Center has processed it, and see why a device failed (808 \"assigned to another
tenant\" and friends), with a hint of what to do.

Credentials come from the environment or from `pc auth login`, never from flags, in
this order: PARTNER_CENTER_ACCESS_TOKEN (a bearer token);
PARTNER_CENTER_REFRESH_TOKEN with PARTNER_CENTER_TENANT_ID and PARTNER_CENTER_CLIENT_ID
(app+user); the token file `pc auth login` writes (app+user, kept fresh); or
PARTNER_CENTER_TENANT_ID, PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET
(app-only, client-credentials grant). Creating batches needs app+user.";

const EXAMPLES: &str = "\
Examples:
  pc demo                                    try it on the bundled simulator
  pc auth login --tenant contoso.onmicrosoft.com --client-id APP-ID
  pc devices batch-status CUSTOMER TRACKING --wait
  pc devices upload CUSTOMER --csv hashes.csv --new-batch \"Lab 3\" --wait
  pc -o json devices batches CUSTOMER | jq '.items[].id'

Exit codes:
  0 success   2 invalid invocation or input (nothing sent)   3 a device failed
  4 the service answered with an error   5 transport failure or unreadable answer
  6 --wait-timeout passed";

/// `pc`: Partner Center device deployment from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "pc",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The configuration: every flag is accepted before or after the subcommand.
    #[command(
        flatten,
        next_help_heading = "Configuration (before or after the command)"
    )]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// Exactly one JSON document on stdout, for programs.
    Json,
    /// RFC 4180 with a header row, for spreadsheets and Import-Csv.
    Csv,
}

/// The configuration table of the contract: flags beat environment variables beat
/// defaults.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// API base URL: scheme + host (+ port/prefix); plain http only to loopback hosts
    /// [default: from --cloud]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        hide_env_values = true,
        env = "PARTNER_CENTER_BASE_URL"
    )]
    pub base_url: Option<String>,
    /// Which cloud: picks the API base and the token authority
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        hide_env_values = true, env = "PARTNER_CENTER_CLOUD",
        default_value = "global",
        value_parser = cloud_parser(),
        ignore_case = true
    )]
    pub cloud: Cloud,
    /// Token authority; tokens come from {authority}/{tenant}/oauth2/token
    /// [default: from --cloud]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        hide_env_values = true,
        env = "PARTNER_CENTER_AUTHORITY_URL"
    )]
    pub authority_url: Option<String>,
    /// Sent as X-Locale (localizes the service's error text)
    #[arg(
        long,
        global = true,
        value_name = "TAG",
        hide_env_values = true,
        env = "PARTNER_CENTER_LOCALE",
        default_value = "en-US"
    )]
    pub locale: String,
    /// Sent as MS-CorrelationId on every request of this invocation
    /// [default: a new random GUID]
    #[arg(long, global = true, value_name = "GUID", value_parser = parse_guid)]
    pub correlation_id: Option<String>,
    /// Limit for one HTTP attempt, connect to last byte (500ms, 2s, 5m, 1h30m)
    #[arg(
        long,
        global = true,
        value_name = "DUR",
        hide_env_values = true, env = "PARTNER_CENTER_TIMEOUT",
        default_value = "30s",
        value_parser = parse_positive_duration,
        allow_hyphen_values = true
    )]
    pub timeout: Duration,
    /// Extra attempts after a retryable failure (connect, timeout, 408, 429, 5xx)
    #[arg(
        long,
        global = true,
        value_name = "N",
        hide_env_values = true,
        env = "PARTNER_CENTER_MAX_RETRIES",
        default_value_t = 3,
        value_parser = parse_number::<u32, 0, { u32::MAX as u64 }>,
        allow_hyphen_values = true
    )]
    pub max_retries: u32,
    /// The longest Retry-After slept through
    #[arg(
        long,
        global = true,
        value_name = "DUR",
        hide_env_values = true, env = "PARTNER_CENTER_MAX_RETRY_AFTER",
        default_value = "2m",
        value_parser = parse_duration,
        allow_hyphen_values = true
    )]
    pub max_retry_after: Duration,
    /// Device error codes or names that do not count as failure for the exit code
    /// (e.g. 806,ZtdDeviceDuplicated), so that re-running an upload stays green
    #[arg(long, global = true, value_name = "LIST", value_delimiter = ',')]
    pub allow_error_codes: Vec<String>,
    /// Extra PEM root certificates (a TLS-inspecting proxy); certificate checks cannot
    /// be turned off
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        hide_env_values = true,
        env = "PARTNER_CENTER_CA_FILE"
    )]
    pub ca_file: Option<PathBuf>,
    /// Where `pc auth login` keeps the app+user sign-in, and where each refresh
    /// writes the rolled refresh token [default: pc/refresh-token under
    /// $XDG_CONFIG_HOME or ~/.config; %APPDATA% on Windows]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        hide_env_values = true,
        env = "PARTNER_CENTER_TOKEN_FILE"
    )]
    pub token_file: Option<PathBuf>,
    /// The upload journal: every part pc sends and every acceptance, for `pc jobs`; `off`
    /// keeps none [default: pc/jobs.jsonl under $XDG_DATA_HOME or ~/.local/share;
    /// %LOCALAPPDATA% on Windows]
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        hide_env_values = true,
        env = "PARTNER_CENTER_JOURNAL"
    )]
    pub journal: Option<PathBuf>,
    /// At most N requests in flight at once over the whole command, whatever it fans out
    /// over (1 to 64)
    #[arg(
        long,
        global = true,
        value_name = "N",
        hide_env_values = true,
        env = "PARTNER_CENTER_CONCURRENCY",
        default_value_t = 8,
        value_parser = parse_number::<u16, 1, 64>,
        allow_hyphen_values = true
    )]
    pub concurrency: u16,
    /// Output format
    #[arg(
        short,
        long,
        global = true,
        value_name = "FMT",
        value_enum,
        default_value_t = OutputFormat::Table
    )]
    pub output: OutputFormat,
    /// With -o csv, no byte-order mark before the header
    #[arg(long, global = true)]
    pub no_bom: bool,
    /// More diagnostics on stderr (-v, -vv, -vvv); RUST_LOG works too. Never a secret
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Device batches: upload, follow, list, delete
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// The upload journal: every upload part pc sent, followed later
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// App+user sign-in: log in with a device code, show or remove the sign-in
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Uploads a sample batch to the bundled simulator and explains the result (no
    /// network, no credentials)
    #[command(after_help = "Example:\n  pc demo")]
    Demo,
    /// Runs the bundled Partner Center simulator in the foreground
    #[command(after_help = "\
Examples:
  pc sim --addr 127.0.0.1:8080 --queue-time 0s
  pc sim --strict-auth --fault-rate 0.2

Point pc at it with --base-url and --authority-url set to the address it prints (or
PARTNER_CENTER_BASE_URL and PARTNER_CENTER_AUTHORITY_URL). It accepts any bearer token,
unless --strict-auth: then only the tokens it issued. Its token endpoint is
{address}/{tenant}/oauth2/token (client credentials, refresh tokens, which it rolls on
each use, and device codes), its device-code endpoint {address}/{tenant}/oauth2/devicecode:
`pc auth login` works against it, the sign-in approved after --login-polls polls.")]
    Sim(SimArgs),
    /// Prints a completion script for a shell
    #[command(after_help = "Examples:\n  \
        pc completions bash > ~/.local/share/bash-completion/completions/pc\n  \
        pc completions zsh > ~/.zfunc/_pc\n  \
        pc completions fish > ~/.config/fish/completions/pc.fish\n  \
        pc completions powershell >> $PROFILE")]
    Completions {
        /// The shell
        #[arg(value_parser = shell_parser())]
        shell: clap_complete::Shell,
    },
}

/// `pc auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Signs a person in with a device code and keeps the refresh token in the token
    /// file (mode 0600), for later commands to use unattended
    #[command(after_help = "\
Examples:
  pc auth login --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555
  PARTNER_CENTER_TENANT_ID=… PARTNER_CENTER_CLIENT_ID=… pc auth login

Prints where to go and which code to type on stderr, then waits (at most as long as the
code lives). Set PARTNER_CENTER_CLIENT_SECRET for a confidential app.")]
    Login {
        /// The tenant to sign in to [default: PARTNER_CENTER_TENANT_ID]
        #[arg(
            long,
            value_name = "ID",
            env = "PARTNER_CENTER_TENANT_ID",
            hide_env_values = true
        )]
        tenant: Option<String>,
        /// The app (client) id [default: PARTNER_CENTER_CLIENT_ID]
        #[arg(
            long,
            value_name = "ID",
            env = "PARTNER_CENTER_CLIENT_ID",
            hide_env_values = true
        )]
        client_id: Option<String>,
    },
    /// Says which credentials a command would use now, without contacting anyone
    #[command(after_help = "Example:\n  pc -o json auth status")]
    Status,
    /// Deletes the token file
    #[command(after_help = "Example:\n  pc auth logout")]
    Logout,
}

/// `pc devices …`.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Shows the status of a batch upload and of each of its devices
    #[command(after_help = "\
Examples:
  pc devices batch-status 47021739-3426-40bf-9601-61b4b6d7c793 0127ed8e-ff72-4983-a3d8-e8d8bd378932
  pc devices batch-status CUSTOMER TRACKING --wait --poll-interval 10s --wait-timeout 1h
  pc -o json devices batch-status CUSTOMER TRACKING > batch.json

Exits 3 when a device failed (unless --allow-error-codes lists its code), 6 when
--wait-timeout passed first.")]
    BatchStatus(BatchStatusArgs),
    /// Uploads the devices of an Autopilot CSV file (Get-WindowsAutopilotInfo)
    #[command(after_help = "\
Examples:
  pc devices upload CUSTOMER --csv hashes.csv --new-batch \"Lab 3\" --wait
  pc devices upload CUSTOMER --csv more.csv --batch \"Lab 3\" --allow-error-codes 806 --wait

Every bad line of the file is reported as `line N: reason`, and then nothing is sent.
The tracking id of each accepted part is written to stderr whatever happens next.")]
    Upload(UploadArgs),
    /// Lists the customer's device batches, every page
    #[command(after_help = "Example:\n  pc devices batches CUSTOMER")]
    Batches {
        /// The customer's tenant id (a GUID)
        #[arg(value_parser = parse_customer)]
        customer: CustomerId,
    },
    /// Lists the devices of a batch, every page
    #[command(after_help = "Example:\n  pc devices list CUSTOMER \"Lab 3\"")]
    List {
        /// The customer's tenant id (a GUID)
        #[arg(value_parser = parse_customer)]
        customer: CustomerId,
        /// The batch's name
        #[arg(value_parser = parse_batch)]
        batch: BatchId,
    },
    /// Deletes one device from a batch
    #[command(
        after_help = "Example:\n  pc devices delete CUSTOMER \"Lab 3\" 9993-8627-3608-6844-6369-4361-72"
    )]
    Delete {
        /// The customer's tenant id (a GUID)
        #[arg(value_parser = parse_customer)]
        customer: CustomerId,
        /// The batch's name
        #[arg(value_parser = parse_batch)]
        batch: BatchId,
        /// The device's id (as `pc devices list` shows it)
        #[arg(value_parser = parse_device)]
        device: DeviceId,
    },
}

/// `pc jobs …`: the upload journal.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Lists the journal's jobs, newest first
    #[command(after_help = "\
Examples:
  pc jobs list --pending
  pc jobs list --since 7d CUSTOMER
  pc -o json jobs list --customers customers.txt

Reads the journal only: nobody is contacted.")]
    List(JobsListArgs),
    /// Shows a job's lines as the journal recorded them
    #[command(after_help = "Example:\n  pc jobs show TRACKING")]
    Show {
        /// The job's tracking id (a GUID)
        #[arg(value_parser = parse_tracking)]
        tracking: TrackingId,
    },
    /// Follows jobs until they end, as batch-status --wait does, and records each ending
    #[command(after_help = "\
Examples:
  pc jobs wait --pending
  pc jobs wait TRACKING OTHER-TRACKING --wait-timeout 1h

Exits 3 when a device failed (unless --allow-error-codes lists its code), 6 when
--wait-timeout passed first; outcomes over several jobs are summed (5, 4, 6, 3, 0).")]
    Wait(JobsWaitArgs),
    /// Drops the lines of old jobs that have ended, rewriting the journal
    #[command(after_help = "\
Examples:
  pc jobs prune --older-than 90d
  pc jobs prune --forget-base-url http://127.0.0.1:8080")]
    Prune {
        /// Drops jobs sent longer ago than this that have ended or are unknown (and
        /// pending ones of another base URL accepted longer ago)
        #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
        older_than: Option<Duration>,
        /// Drops every job of this base URL
        #[arg(long, value_name = "URL")]
        forget_base_url: Option<String>,
    },
}

/// `pc jobs list`.
#[derive(Debug, Args)]
pub struct JobsListArgs {
    /// Pending jobs only (accepted, not yet seen ended)
    #[arg(long)]
    pub pending: bool,
    /// Jobs sent in this last while only (7d, 12h)
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub since: Option<Duration>,
    /// These customers' jobs only (tenant ids, GUIDs)
    #[arg(value_parser = parse_customer, conflicts_with = "customers")]
    pub customer_ids: Vec<CustomerId>,
    /// These customers' jobs only: one id a line (`-`: stdin)
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
}

/// `pc jobs wait`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["tracking", "pending"])))]
pub struct JobsWaitArgs {
    /// The jobs' tracking ids (GUIDs)
    #[arg(value_parser = parse_tracking)]
    pub tracking: Vec<TrackingId>,
    /// Every pending job that may be polled with these settings
    #[arg(long, conflicts_with = "tracking")]
    pub pending: bool,
    /// Time between polls
    #[arg(
        long,
        value_name = "DUR",
        default_value = "5s",
        value_parser = parse_positive_duration,
        allow_hyphen_values = true
    )]
    pub poll_interval: Duration,
    /// Gives up waiting after this long (exit 6)
    #[arg(
        long,
        value_name = "DUR",
        default_value = "30m",
        value_parser = parse_duration,
        allow_hyphen_values = true
    )]
    pub wait_timeout: Duration,
    /// How long after its acceptance a job answered 404 is polled again (the service
    /// may not know a new batch yet)
    #[arg(
        long,
        value_name = "DUR",
        default_value = "1m",
        value_parser = parse_duration,
        allow_hyphen_values = true
    )]
    pub not_found_grace: Duration,
}

/// `pc devices batch-status`.
#[derive(Debug, Args)]
pub struct BatchStatusArgs {
    /// The customer's tenant id (a GUID)
    #[arg(value_parser = parse_customer)]
    pub customer: CustomerId,
    /// The tracking id the upload answered with (a GUID)
    #[arg(value_parser = parse_tracking)]
    pub tracking: TrackingId,
    /// Waiting for the batch.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `--wait` and its options.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Polls until the batch is finished or finished_with_errors (progress on stderr
    /// when it is a terminal)
    #[arg(long)]
    pub wait: bool,
    /// Time between polls
    #[arg(
        long,
        value_name = "DUR",
        default_value = "5s",
        value_parser = parse_positive_duration,
        allow_hyphen_values = true
    )]
    pub poll_interval: Duration,
    /// Gives up waiting after this long (exit 6, with the last details on stdout)
    #[arg(
        long,
        value_name = "DUR",
        default_value = "30m",
        value_parser = parse_duration,
        allow_hyphen_values = true
    )]
    pub wait_timeout: Duration,
}

/// `pc devices upload`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["new_batch", "batch"])))]
pub struct UploadArgs {
    /// The customer's tenant id (a GUID)
    #[arg(value_parser = parse_customer)]
    pub customer: CustomerId,
    /// The Autopilot CSV file (UTF-8 or UTF-16 with BOM; -Partner columns accepted)
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Creates a batch of this name
    #[arg(long, value_name = "NAME", value_parser = parse_batch)]
    pub new_batch: Option<BatchId>,
    /// Adds to the existing batch of this name
    #[arg(long, value_name = "NAME", value_parser = parse_batch)]
    pub batch: Option<BatchId>,
    /// Devices per request; a larger file is sent in parts, in file order
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        value_parser = parse_number::<u32, 1, 10_000>,
        allow_hyphen_values = true
    )]
    pub devices_per_request: u32,
    /// How long a 404 just after an accepted upload is tried again (the service may
    /// not know a new batch yet)
    #[arg(
        long,
        value_name = "DUR",
        default_value = "1m",
        value_parser = parse_duration,
        allow_hyphen_values = true
    )]
    pub not_found_grace: Duration,
    /// Waiting for the upload.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `--cloud`: one of the clouds by its command-line name, in any ASCII case.
fn cloud_parser() -> impl TypedValueParser<Value = Cloud> {
    PossibleValuesParser::new(Cloud::ALL.map(Cloud::name)).try_map(|name| name.parse::<Cloud>())
}

/// `pc completions SHELL`: the shells it writes for, as clap_complete names them.
fn shell_parser() -> impl TypedValueParser<Value = clap_complete::Shell> {
    PossibleValuesParser::new([
        PossibleValue::new("bash").help("Bash"),
        PossibleValue::new("zsh").help("Zsh"),
        PossibleValue::new("fish").help("Fish"),
        PossibleValue::new("powershell").help("PowerShell"),
    ])
    .try_map(|name| name.parse::<clap_complete::Shell>())
}

/// A whole number from `MIN` to `MAX`, refused with a sentence naming the value (clap
/// adds the flag's name).
fn parse_number<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(text: &str) -> Result<T, String> {
    let trimmed = text.trim();
    let range = format!("a whole number from {MIN} to {MAX}");
    let number = match trimmed.parse::<u64>() {
        Ok(number) => number,
        Err(_) if trimmed.starts_with('-') && trimmed[1..].bytes().all(|b| b.is_ascii_digit()) => {
            return Err(format!("{text:?} is negative: expected {range}"));
        }
        Err(_) if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(format!("{text:?} is out of range: expected {range}"));
        }
        Err(_) => return Err(format!("{text:?} is not a number: expected {range}")),
    };
    if !(MIN..=MAX).contains(&number) {
        return Err(format!("{text:?} is out of range: expected {range}"));
    }
    T::try_from(number).map_err(|_| format!("{text:?} is out of range: expected {range}"))
}

/// A duration that must not be zero (a zero attempt limit or poll interval makes no
/// sense).
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err(format!(
            "{:?} is zero: expected a duration above it, e.g. 500ms or 2s",
            text.trim()
        )),
        duration => Ok(duration),
    }
}

fn parse_guid(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text.trim())
        .map(|_| text.trim().to_owned())
        .map_err(|_| format!("{text:?} is not a GUID"))
}

fn parse_customer(text: &str) -> Result<CustomerId, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("the customer id {text:?} is not a GUID"))
}

fn parse_tracking(text: &str) -> Result<TrackingId, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("the tracking id {text:?} is not a GUID"))
}

/// A name that can be one path segment: not empty, not `.` or `..`.
fn segment(what: &'static str, text: &str) -> Result<(), String> {
    pc_devices::path::encode_segment(what, text)
        .map(drop)
        .map_err(|error| error.to_string())
}

fn parse_batch(text: &str) -> Result<BatchId, String> {
    segment("batch id", text)?;
    BatchId::new(text).map_err(|error| error.to_string())
}

fn parse_device(text: &str) -> Result<DeviceId, String> {
    segment("device id", text)?;
    DeviceId::new(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use proptest::prelude::*;

    include!("../../test-support/proptest_cases.rs");

    /// A GUID in a spelling people paste: any case, braces or none, hyphens or none,
    /// white space around.
    fn pasted_guid() -> impl Strategy<Value = (uuid::Uuid, String)> {
        (any::<u128>(), 0..4, any::<bool>(), "[ \t]{0,2}").prop_map(
            |(bits, style, upper, blank)| {
                let uuid = uuid::Uuid::from_u128(bits);
                let text = match style {
                    0 => uuid.hyphenated().to_string(),
                    1 => uuid.braced().to_string(),
                    2 => uuid.simple().to_string(),
                    _ => uuid.urn().to_string(),
                };
                let text = if upper { text.to_uppercase() } else { text };
                (uuid, format!("{blank}{text}{blank}"))
            },
        )
    }

    proptest! {
        #![proptest_config(cases(10_000))]

        #[test]
        fn the_guid_parsers_agree_on_any_text(text in prop_oneof![
            "\\PC{0,40}",
            "[0-9a-fA-F{}-]{30,40}",
            pasted_guid().prop_map(|(_, text)| text),
        ]) {
            let guid = parse_guid(&text);
            let customer = parse_customer(&text);
            let tracking = parse_tracking(&text);
            prop_assert_eq!(guid.is_ok(), customer.is_ok(), "{:?}", text);
            prop_assert_eq!(guid.is_ok(), tracking.is_ok(), "{:?}", text);
            if let (Ok(customer), Ok(tracking)) = (&customer, &tracking) {
                prop_assert_eq!(customer.as_uuid(), tracking.as_uuid());
            }
            for error in [guid.err(), customer.err(), tracking.err()].into_iter().flatten() {
                prop_assert!(error.contains(&format!("{text:?}")), "{}", error);
            }
        }

        #[test]
        fn a_pasted_guid_is_read_as_itself((uuid, text) in pasted_guid()) {
            prop_assert_eq!(parse_customer(&text).map(|id| *id.as_uuid()), Ok(uuid));
            prop_assert_eq!(parse_tracking(&text).map(|id| *id.as_uuid()), Ok(uuid));
            prop_assert_eq!(parse_guid(&text), Ok(text.trim().to_owned()));
        }

        #[test]
        fn a_name_is_kept_as_typed_unless_it_cannot_be_a_segment(text in prop_oneof![
            "\\PC{0,24}",
            "[./ \t?#%]{0,4}",
        ]) {
            let cannot = text.trim().is_empty() || text == "." || text == "..";
            for (what, parsed) in [
                ("batch id", parse_batch(&text).map(|id| id.as_str().to_owned())),
                ("device id", parse_device(&text).map(|id| id.as_str().to_owned())),
            ] {
                match parsed {
                    Ok(kept) => {
                        prop_assert!(!cannot, "{} {:?} accepted", what, text);
                        prop_assert_eq!(kept, text.clone());
                    }
                    Err(error) => {
                        prop_assert!(cannot, "{} {:?} refused: {}", what, text, error);
                        prop_assert!(error.contains(what), "{}", error);
                    }
                }
            }
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn configuration_flags_go_before_or_after_the_subcommand() {
        let ids = [
            "47021739-3426-40bf-9601-61b4b6d7c793",
            "0127ed8e-ff72-4983-a3d8-e8d8bd378932",
        ];
        let before = Cli::try_parse_from(
            [
                "pc",
                "-o",
                "json",
                "--timeout",
                "2s",
                "devices",
                "batch-status",
            ]
            .into_iter()
            .chain(ids),
        )
        .unwrap();
        let after = Cli::try_parse_from(
            ["pc", "devices", "batch-status"]
                .into_iter()
                .chain(ids)
                .chain(["-o", "json", "--timeout", "2s"]),
        )
        .unwrap();
        for cli in [before, after] {
            assert_eq!(cli.global.output, OutputFormat::Json);
            assert_eq!(cli.global.timeout, Duration::from_secs(2));
        }
    }
}
