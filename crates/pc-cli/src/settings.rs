//! The configuration table's values, resolved once: from clap (flags beat environment
//! variables beat defaults) into [`Settings`], and from settings into the client's
//! options and the token authority ([`ClientSetup`]), checked, the CA file read once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;
use pc_http::{BaseUrl, ClientOptions, Cloud, RetryPolicy};

use crate::cli::GlobalArgs;
use crate::exit::{Exit, Failure};
use crate::journal::Journal;

/// `PARTNER_CENTER_TOKEN_FILE`.
pub const TOKEN_FILE: &str = "PARTNER_CENTER_TOKEN_FILE";

/// Where the service is and how to talk to it: the configuration table's values,
/// already resolved from flags, environment and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--base-url`, else the cloud's API base.
    pub base_url: Option<String>,
    /// `--cloud`.
    pub cloud: Cloud,
    /// `--authority-url`, else the cloud's token authority.
    pub authority_url: Option<String>,
    /// Whether the authority was named on the command line or in the environment
    /// (`--authority-url`, `--cloud` or their variables), which a token file's own
    /// authority does not override.
    pub authority_named: bool,
    /// `--locale`.
    pub locale: String,
    /// `--correlation-id`, or one made for this invocation.
    pub correlation_id: String,
    /// `--timeout`: one attempt, connect to last byte.
    pub timeout: Duration,
    /// `--max-retries`.
    pub max_retries: u32,
    /// `--max-retry-after`.
    pub max_retry_after: Duration,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--token-file`, else the default under the user's config folder; `None` when
    /// no config folder is known.
    pub token_file: Option<PathBuf>,
    /// `--journal`, else the default under the user's data folder.
    pub journal: JournalSetting,
    /// `--concurrency`: the most requests in flight at once over the whole command.
    pub concurrency: usize,
}

/// Where the upload journal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalSetting {
    /// This file.
    At(PathBuf),
    /// `--journal off`: none is kept.
    Off,
    /// No path was given and no data folder is known (set `HOME` or `XDG_DATA_HOME`).
    Unknown,
}

impl JournalSetting {
    /// The journal to record in, checked (not a symbolic link, the user's): `None` with
    /// `--journal off`; exit 2 when it is refused or no path is known.
    pub fn open(&self) -> Result<Option<Journal>, Failure> {
        match self {
            Self::At(path) => Journal::open(path)
                .map(Some)
                .map_err(|error| error.failure()),
            Self::Off => Ok(None),
            Self::Unknown => Err(Failure::usage(
                "no journal: give --journal PATH (or PARTNER_CENTER_JOURNAL), or --journal off \
                 to keep none (no data folder is known: set HOME or XDG_DATA_HOME)",
            )),
        }
    }
}

/// What a client is built from: the pipeline's options and the token authority,
/// checked.
#[derive(Debug, Clone)]
pub struct ClientSetup {
    /// The pipeline's options (base URL, locale, ids, timeout, retries, extra roots).
    pub options: ClientOptions,
    /// The token authority, trimmed and checked.
    pub authority: String,
}

/// Whether the value of `id` came from the command line, or from a non-blank
/// environment variable (`text`: the value clap read).
fn named(matches: &ArgMatches, id: &str, text: Option<&str>) -> bool {
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => true,
        Some(ValueSource::EnvVariable) => text.is_some_and(|text| !text.trim().is_empty()),
        _ => false,
    }
}

impl Settings {
    /// The settings of an invocation: `global` as clap read it, `matches` to tell
    /// where a value came from, `env` for the default token file's folder.
    pub fn new(
        global: &GlobalArgs,
        matches: &ArgMatches,
        correlation_id: String,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let authority_named = named(matches, "authority_url", global.authority_url.as_deref())
            || named(matches, "cloud", Some(global.cloud.name()));
        Self {
            base_url: global.base_url.clone(),
            cloud: global.cloud,
            authority_url: global.authority_url.clone(),
            authority_named,
            locale: global.locale.clone(),
            correlation_id,
            timeout: global.timeout,
            max_retries: global.max_retries,
            max_retry_after: global.max_retry_after,
            ca_file: global.ca_file.clone(),
            token_file: global
                .token_file
                .clone()
                .filter(|path| !path.as_os_str().is_empty())
                .or_else(|| default_token_file(env)),
            journal: match &global.journal {
                Some(path) if path.as_os_str() == "off" => JournalSetting::Off,
                Some(path) if !path.as_os_str().is_empty() => JournalSetting::At(path.clone()),
                _ => default_journal(env).map_or(JournalSetting::Unknown, JournalSetting::At),
            },
            concurrency: usize::from(global.concurrency),
        }
    }

    /// These settings for a refresh from a token file whose sign-in names `authority`:
    /// the command line's or the environment's authority wins, else the file's.
    pub fn with_file_authority(&self, authority: &str) -> Self {
        if self.authority_named {
            return self.clone();
        }
        Self {
            authority_url: Some(authority.to_owned()),
            ..self.clone()
        }
    }

    /// The API's base URL: `--base-url`, else the cloud's; checked (exit 2).
    pub fn base_url(&self) -> Result<BaseUrl, Failure> {
        match &self.base_url {
            // The library's message names the URL where that is safe (not with a
            // password in it).
            Some(url) => BaseUrl::parse(url)
                .map_err(|error| Failure::usage(format!("invalid base URL: {}", config(error)))),
            None => Ok(self.cloud.base_url()),
        }
    }

    /// The client's options and the token authority, checked (every failure is exit 2,
    /// nothing sent): the base URL, the authority, the CA file.
    pub fn client(&self) -> Result<ClientSetup, Failure> {
        let base_url = self.base_url()?;
        let authority = self
            .authority_url
            .clone()
            .unwrap_or_else(|| self.cloud.authority().to_owned());
        // An authority follows a base URL's rules: https, or http to a loopback host; no
        // password, query or fragment (its message never prints a password).
        BaseUrl::parse(authority.trim())
            .map_err(|error| Failure::usage(format!("invalid authority URL: {}", config(error))))?;
        let extra_root_certificates = match &self.ca_file {
            Some(path) => pc_http::tls::load_pem_file(path).map_err(config)?,
            None => Vec::new(),
        };
        let options = ClientOptions {
            base_url,
            locale: self.locale.clone(),
            correlation_id: Some(self.correlation_id.clone()),
            timeout: self.timeout,
            retry: RetryPolicy {
                max_retries: self.max_retries,
                // A longer `Retry-After` ends the call at once, throttled.
                max_retry_after: self.max_retry_after,
                ..RetryPolicy::default()
            },
            extra_root_certificates,
            ..ClientOptions::default()
        };
        Ok(ClientSetup {
            options,
            authority: authority.trim().to_owned(),
        })
    }
}

/// A user folder: `windows` on Windows, else `xdg`, else `home_relative` under `$HOME`
/// (an empty variable counts as unset); `None` when none is known.
fn user_folder(
    env: &dyn Fn(&str) -> Option<String>,
    windows: &str,
    xdg: &str,
    home_relative: &str,
) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if cfg!(windows) {
        set(windows).map(PathBuf::from)
    } else {
        set(xdg)
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|home| Path::new(&home).join(home_relative)))
    }
}

/// The token file's path: `--token-file` / `PARTNER_CENTER_TOKEN_FILE`, else
/// `pc/refresh-token` under the user's config folder (`$XDG_CONFIG_HOME`, else
/// `~/.config`; `%APPDATA%` on Windows). `None` when no folder is known.
pub fn default_token_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let config = user_folder(env, "APPDATA", "XDG_CONFIG_HOME", ".config")?;
    Some(config.join("pc").join("refresh-token"))
}

/// The journal's default path: `pc/jobs.jsonl` under the user's data folder
/// (`$XDG_DATA_HOME`, else `~/.local/share`; `%LOCALAPPDATA%` on Windows). `None` when
/// no folder is known.
pub fn default_journal(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let data = user_folder(env, "LOCALAPPDATA", "XDG_DATA_HOME", ".local/share")?;
    Some(data.join("pc").join("jobs.jsonl"))
}

/// A configuration error of the libraries: exit 2, nothing sent.
pub fn config(error: pc_http::Error) -> Failure {
    Failure::from(error).with_exit(Exit::Usage)
}

#[cfg(test)]
pub(crate) mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::cli::Cli;

    /// The settings of `pc demo`: every default.
    pub(crate) fn plain() -> Settings {
        settings(&["pc", "demo"])
    }

    fn settings(args: &[&str]) -> Settings {
        let matches = Cli::command().try_get_matches_from(args).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        Settings::new(&cli.global, &matches, "c".into(), &|_| None)
    }

    #[test]
    fn an_authority_named_on_the_command_line_wins_over_the_token_files() {
        let file = "https://login.file.invalid";
        for args in [
            &[
                "pc",
                "--authority-url",
                "https://login.flag.invalid",
                "auth",
                "status",
            ][..],
            &[
                "pc",
                "auth",
                "status",
                "--authority-url=https://login.flag.invalid",
            ],
        ] {
            let named = settings(args).with_file_authority(file);
            assert_eq!(
                named.client().unwrap().authority,
                "https://login.flag.invalid",
                "{args:?}"
            );
        }
        // `--cloud`, before or after the command, names the cloud's authority.
        for args in [
            &["pc", "--cloud", "china", "auth", "status"][..],
            &["pc", "auth", "status", "--cloud=USGov"],
        ] {
            let named = settings(args).with_file_authority(file);
            assert!(named.authority_named, "{args:?}");
            assert_ne!(named.client().unwrap().authority, file, "{args:?}");
        }
    }

    #[test]
    fn without_one_the_token_files_authority_is_used() {
        let plain = settings(&["pc", "auth", "status"]);
        // The default cloud is no choice of the user's.
        assert!(!plain.authority_named);
        let from_file = plain.with_file_authority("http://127.0.0.1:9/");
        assert_eq!(from_file.client().unwrap().authority, "http://127.0.0.1:9/");
        assert_eq!(
            plain.client().unwrap().authority,
            Cloud::Global.authority(),
            "and the global cloud's without a file"
        );
    }

    #[test]
    fn the_journal_is_a_path_or_off() {
        assert_eq!(
            settings(&["pc", "--journal", "/j/jobs.jsonl", "demo"]).journal,
            JournalSetting::At(PathBuf::from("/j/jobs.jsonl"))
        );
        assert_eq!(
            settings(&["pc", "demo", "--journal=off"]).journal,
            JournalSetting::Off
        );
        // No path and no data folder known (the tests give no environment).
        assert_eq!(settings(&["pc", "demo"]).journal, JournalSetting::Unknown);
        assert_eq!(settings(&["pc", "demo"]).concurrency, 8);
        assert_eq!(
            settings(&["pc", "--concurrency", "64", "demo"]).concurrency,
            64
        );
        for bad in ["0", "65", "-1", "x"] {
            let parsed = Cli::command().try_get_matches_from(["pc", "--concurrency", bad, "demo"]);
            assert!(parsed.is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_authority_or_ca_file_is_exit_2() {
        let remote = settings(&[
            "pc",
            "--authority-url",
            "http://login.example.invalid",
            "demo",
        ]);
        let failure = remote.client().unwrap_err();
        assert_eq!(failure.exit, Exit::Usage);
        assert!(
            failure.message.starts_with("invalid authority URL: "),
            "{failure}"
        );
        let missing = settings(&["pc", "--ca-file", "/nonexistent/ca.pem", "demo"]);
        assert_eq!(missing.client().unwrap_err().exit, Exit::Usage);
    }

    #[test]
    fn the_default_path_follows_the_platforms_config_folder() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        if cfg!(windows) {
            return;
        }
        assert_eq!(
            default_token_file(&env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/pc/refresh-token"))
        );
        assert_eq!(
            default_token_file(&env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.config/pc/refresh-token"))
        );
        assert_eq!(default_token_file(&env(&[])), None);
        assert_eq!(
            default_journal(&env(&[("XDG_DATA_HOME", "/d"), ("HOME", "/h")])),
            Some(PathBuf::from("/d/pc/jobs.jsonl"))
        );
        assert_eq!(
            default_journal(&env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/share/pc/jobs.jsonl"))
        );
        assert_eq!(default_journal(&env(&[("HOME", " ")])), None);
    }
}
