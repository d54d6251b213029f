//! The configuration file: `mamori --config FILE` (or `MAMORI_CONFIG`), a TOML file whose
//! keys are the long names of the command line's options (`data-dir`, `bind`,
//! `secret-key`, …).
//!
//! Each value becomes the default of the option of that name, in every command that takes
//! it, so the command line wins over the environment (`MAMORI_*`), which wins over the file,
//! which wins over mamori's own defaults. Nothing is written to the process environment.
//! A key that no command knows is an error naming the key and the file, as is a value of
//! the wrong type: a misspelt setting must not be ignored silently.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

/// The global option that names the file.
pub const OPTION: &str = "config";
/// Its environment variable.
pub const ENV: &str = "MAMORI_CONFIG";

/// Parses the command line of `C`, with the defaults of the configuration file named by
/// `--config` or `MAMORI_CONFIG`, if any. Help, version and mistakes on the command line
/// end the process as clap does; a configuration file that cannot be used is an error.
pub fn parse<C: CommandFactory + FromArgMatches>() -> anyhow::Result<C> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let path = config_path(&args).or_else(|| std::env::var_os(ENV).map(PathBuf::from));
    let mut command = with_option(C::command());
    if let Some(path) = path {
        command = with_file(command, &path)?;
    }
    let matches = command.get_matches_from(args);
    Ok(C::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

/// `command` with the global option `--config FILE`, so that clap accepts it anywhere and
/// `--help` shows it.
fn with_option(command: Command) -> Command {
    command.arg(
        Arg::new(OPTION)
            .long(OPTION)
            .env(ENV)
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .global(true)
            .help("Read the installation's settings from this TOML file (keys: the long options)"),
    )
}

/// The file named on the command line (`--config FILE` or `--config=FILE`), read before clap
/// parses because its values become clap's defaults. Arguments after `--` are not options.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let long = format!("--{OPTION}");
    let mut args = args.iter().skip(1);
    let mut found = None;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        } else if text == long {
            found = args.next().map(PathBuf::from);
        } else if let Some(value) = text.strip_prefix(&format!("{long}=")) {
            found = Some(PathBuf::from(value));
        }
    }
    found
}

/// `command` with the values of the file at `path` as the defaults of its options.
pub fn with_file(command: Command, path: &Path) -> anyhow::Result<Command> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let command = with_text(command, &text).with_context(|| format!("{}", path.display()))?;
    warn_if_readable_by_all(&command, &text, path);
    Ok(command)
}

/// A file that holds a secret (`secret-key`, `smtp-url`, `database-url`) should not be
/// readable by every user of the machine; mamori says so rather than refusing to start.
fn warn_if_readable_by_all(command: &Command, text: &str, path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(table) = text.parse::<toml::Table>() else {
            return;
        };
        let secrets: Vec<&String> = table.keys().filter(|k| is_secret(command, k)).collect();
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode());
        if !secrets.is_empty() && mode.is_ok_and(|mode| mode & 0o004 != 0) {
            // Read before the log is set up (the file may choose its format): said directly.
            eprintln!(
                "mamori: warning: {} holds secrets ({}) and every user may read it; chmod o-r it",
                path.display(),
                secrets
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (command, text, path);
}

/// Whether the option `key` is a secret (its value is hidden from `--help`).
fn is_secret(command: &Command, key: &str) -> bool {
    command
        .get_arguments()
        .any(|a| a.get_long() == Some(key) && a.is_hide_env_values_set())
        || command.get_subcommands().any(|c| is_secret(c, key))
}

/// `command` with the values of the TOML `text` as the defaults of its options.
fn with_text(command: Command, text: &str) -> anyhow::Result<Command> {
    let table: toml::Table = text.parse().context("not a valid TOML file")?;
    let mut command = command;
    for (key, value) in &table {
        let Some(kind) = kind_of(&command, key) else {
            bail!(
                "unknown setting `{key}` (設定項目「{key}」はありません); the settings are the \
                 long options of `mamori serve --help` without their dashes"
            );
        };
        let values = values_of(key, value, kind)?;
        command = set_default(command, key, &values);
    }
    Ok(command)
}

/// What an option takes, as the file writes it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// One value: a string, or an integer for a number.
    One,
    /// Several values: an array (of strings or integers).
    List,
}

/// Options that may come from the file: those that also have an environment variable
/// (the settings of an installation), not the arguments of one command (`--email`, `--out`).
fn settable(arg: &Arg) -> bool {
    arg.get_long().is_some() && arg.get_env().is_some() && arg.get_id() != OPTION
}

/// The kind of the option `key` in `command` or any of its subcommands, if it is settable.
fn kind_of(command: &Command, key: &str) -> Option<Kind> {
    let own = command
        .get_arguments()
        .find(|a| a.get_long() == Some(key) && settable(a))
        .map(|a| match a.get_action() {
            ArgAction::Append => Kind::List,
            _ => Kind::One,
        });
    own.or_else(|| command.get_subcommands().find_map(|c| kind_of(c, key)))
}

/// The file's value for `key` as the strings clap would have read on the command line.
fn values_of(key: &str, value: &toml::Value, kind: Kind) -> anyhow::Result<Vec<String>> {
    let scalar = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        other => bail!(
            "`{key}`: a string or a number is expected, not {} (文字列または数値を指定してください)",
            other.type_str()
        ),
    };
    match (kind, value) {
        (Kind::List, toml::Value::Array(items)) => items
            .iter()
            .map(|item| {
                let s = scalar(item)?;
                // The environment separates values with commas, so one value may not hold one.
                if s.contains(',') {
                    bail!("`{key}`: `{s}` contains a comma; give each value separately");
                }
                Ok(s)
            })
            .collect(),
        (Kind::List, _) => {
            bail!("`{key}` takes a list: {key} = [\"…\", \"…\"] (配列で指定してください)",)
        }
        (Kind::One, toml::Value::Array(_)) => {
            bail!("`{key}` takes one value, not a list (配列ではなく一つの値を指定してください)")
        }
        (Kind::One, v) => Ok(vec![scalar(v)?]),
    }
}

/// `command` with `values` as the default of the option `key`, wherever it appears.
fn set_default(command: Command, key: &str, values: &[String]) -> Command {
    let ids: Vec<String> = command
        .get_arguments()
        .filter(|a| a.get_long() == Some(key) && settable(a))
        .map(|a| a.get_id().to_string())
        .collect();
    let mut command = command;
    for id in ids {
        let values = values.to_vec();
        command = command.mut_arg(id, |arg| {
            // Secrets (hidden from the environment's listing) stay out of `--help` too.
            let secret = arg.is_hide_env_values_set();
            arg.default_values(values).hide_default_value(secret)
        });
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |c| set_default(c, key, values));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command as Cmd};

    /// The command line parsed with `text` as the configuration file.
    fn parse_with(text: &str, args: &[&str]) -> anyhow::Result<Cli> {
        let command = with_text(with_option(Cli::command()), text)?;
        let matches = command.try_get_matches_from(args)?;
        Ok(Cli::from_arg_matches(&matches)?)
    }

    /// Every settable option in `command` and its subcommands, as (long name, environment).
    fn settable_options(command: &Command, into: &mut Vec<(String, String)>) {
        for a in command.get_arguments().filter(|a| settable(a)) {
            let entry = (
                a.get_long().unwrap().to_owned(),
                a.get_env().unwrap().to_string_lossy().into_owned(),
            );
            if !into.contains(&entry) {
                into.push(entry);
            }
        }
        for c in command.get_subcommands() {
            settable_options(c, into);
        }
    }

    #[test]
    fn a_good_file_sets_the_defaults_of_every_command() {
        let text = r#"
            data-dir = "/var/lib/mamori"
            bind = "127.0.0.1:9090"
            public-url = "https://mamori.example.go.jp"
            lockout-threshold = 5
            max-connections = 1000
            secret-key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
            smtp-url = "smtp://127.0.0.1:25"
            mail-from = "mamori <mamori@example.go.jp>"
        "#;
        let Cli { command, .. } = parse_with(text, &["mamori", "serve"]).unwrap();
        let Cmd::Serve {
            data,
            bind,
            public_url,
            lockout_threshold,
            lockout_minutes,
            max_connections,
            secret_key,
            mail,
            ..
        } = command
        else {
            panic!("not serve");
        };
        assert_eq!(data.data_dir, PathBuf::from("/var/lib/mamori"));
        assert_eq!(bind.to_string(), "127.0.0.1:9090");
        assert_eq!(public_url.as_deref(), Some("https://mamori.example.go.jp"));
        assert_eq!(lockout_threshold, 5);
        assert_eq!(
            lockout_minutes, 15,
            "mamori's own default where the file is silent"
        );
        assert_eq!(max_connections, 1000);
        assert!(secret_key.unwrap().starts_with("0011"));
        assert_eq!(mail.smtp_url.as_deref(), Some("smtp://127.0.0.1:25"));
        assert_eq!(mail.mail_from, "mamori <mamori@example.go.jp>");

        // The data folder reaches the other commands that touch data.
        let Cli { command, .. } = parse_with(text, &["mamori", "audit", "verify"]).unwrap();
        let Cmd::Audit {
            command: crate::AuditCommand::Verify { data, .. },
        } = command
        else {
            panic!("not audit verify");
        };
        assert_eq!(data.data_dir, PathBuf::from("/var/lib/mamori"));
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let text = "bind = \"127.0.0.1:9090\"\ndata-dir = \"/srv/a\"\n";
        let cli = parse_with(
            text,
            &[
                "mamori",
                "serve",
                "--bind",
                "127.0.0.1:7070",
                "--data-dir=/srv/b",
            ],
        )
        .unwrap();
        let Cmd::Serve { data, bind, .. } = cli.command else {
            panic!("not serve");
        };
        assert_eq!(bind.to_string(), "127.0.0.1:7070");
        assert_eq!(data.data_dir, PathBuf::from("/srv/b"));
    }

    #[test]
    fn arrays_give_list_options_several_values() {
        let text = r#"
            trusted-proxies = ["127.0.0.1", "::1"]
            library = ["/etc/mamori/libraries/ours"]
            adapt = ["mod-dsg=/etc/mamori/atla.yaml", "mod-external-service=/etc/mamori/es.yaml"]
        "#;
        let cli = parse_with(text, &["mamori", "serve"]).unwrap();
        let Cmd::Serve {
            trusted_proxies,
            libraries,
            adapt,
            ..
        } = cli.command
        else {
            panic!("not serve");
        };
        assert_eq!(
            trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["127.0.0.1", "::1"]
        );
        assert_eq!(libraries, [PathBuf::from("/etc/mamori/libraries/ours")]);
        assert_eq!(adapt.len(), 2);

        // The command line replaces the file's list rather than adding to it.
        let cli = parse_with(text, &["mamori", "serve", "--trusted-proxies", "10.0.0.1"]).unwrap();
        let Cmd::Serve {
            trusted_proxies, ..
        } = cli.command
        else {
            panic!("not serve");
        };
        assert_eq!(trusted_proxies.len(), 1);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it_and_the_file() {
        let dir = std::env::temp_dir().join(format!("mamori-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mamori.toml");
        std::fs::write(
            &path,
            "data-dir = \"/var/lib/mamori\"\nlockout-treshold = 5\n",
        )
        .unwrap();
        let error = format!("{:#}", with_file(Cli::command(), &path).unwrap_err());
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(error.contains("lockout-treshold"), "{error}");
        assert!(error.contains("mamori.toml"), "{error}");

        // Arguments of one command are not settings of the installation.
        for key in [
            "email = \"a@example.go.jp\"",
            "out = \"x.db\"",
            "config = \"x\"",
        ] {
            let error = format!(
                "{:#}",
                with_text(with_option(Cli::command()), key).unwrap_err()
            );
            assert!(error.contains("unknown setting"), "{key}: {error}");
        }
    }

    #[test]
    fn a_wrong_type_is_an_error() {
        for (text, expected) in [
            ("bind = [\"127.0.0.1:1\"]", "takes one value"),
            ("trusted-proxies = \"127.0.0.1\"", "takes a list"),
            ("data-dir = true", "a string or a number"),
            ("library = [\"a,b\"]", "contains a comma"),
            (
                "lockout-threshold = 5\nlockout-threshold = 6",
                "not a valid TOML",
            ),
        ] {
            let error = format!("{:#}", with_text(Cli::command(), text).unwrap_err());
            assert!(error.contains(expected), "{text}: {error}");
        }
        // A value of the right TOML type that the option refuses is refused as on the
        // command line, naming the option.
        let error = parse_with("attachment-max-mb = 0", &["mamori", "serve"])
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("attachment-max-mb"), "{error}");
    }

    #[test]
    fn the_file_is_found_on_the_command_line() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            config_path(&args(&["mamori", "--config", "/etc/m.toml", "serve"])),
            Some(PathBuf::from("/etc/m.toml"))
        );
        assert_eq!(
            config_path(&args(&["mamori", "serve", "--config=/etc/m.toml"])),
            Some(PathBuf::from("/etc/m.toml"))
        );
        assert_eq!(
            config_path(&args(&["mamori", "serve", "--", "--config", "x"])),
            None
        );
        // Clap knows the option too, before or after the command, and shows it in --help.
        for args in [
            ["mamori", "--config", "/etc/m.toml", "openapi"],
            ["mamori", "openapi", "--config", "/etc/m.toml"],
        ] {
            let matches = with_option(Cli::command())
                .try_get_matches_from(args)
                .unwrap();
            assert!(Cli::from_arg_matches(&matches).is_ok());
        }
        let help = with_option(Cli::command()).render_long_help().to_string();
        assert!(
            help.contains("--config <FILE>") && help.contains(ENV),
            "{help}"
        );
    }

    /// Every option with an environment variable can be set in the file, under its long
    /// name, and means the same in every command that takes it.
    #[test]
    fn every_installation_setting_has_a_key() {
        let mut options = Vec::new();
        settable_options(&Cli::command(), &mut options);
        let keys: Vec<&str> = options.iter().map(|(k, _)| k.as_str()).collect();
        for key in [
            "data-dir",
            "database-url",
            "bind",
            "public-url",
            "lockout-threshold",
            "lockout-minutes",
            "session-idle-minutes",
            "attachment-max-mb",
            "connections",
            "max-connections",
            "trusted-proxies",
            "secret-key",
            "library",
            "adapt",
            "smtp-url",
            "mail-from",
        ] {
            assert!(keys.contains(&key), "{key} is not settable: {keys:?}");
        }
        for (i, (key, env)) in options.iter().enumerate() {
            assert!(
                !options[i + 1..].iter().any(|(k, e)| k == key && e != env),
                "{key} has two environment variables"
            );
        }
    }

    /// The configuration file the Debian package installs is one this mamori accepts.
    #[test]
    fn the_packaged_file_is_accepted() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/mamori.toml");
        let command = with_file(Cli::command(), &path).unwrap();
        let matches = command.try_get_matches_from(["mamori", "serve"]).unwrap();
        let Cmd::Serve { data, bind, .. } = Cli::from_arg_matches(&matches).unwrap().command else {
            panic!("not serve");
        };
        assert_eq!(data.data_dir, PathBuf::from("/var/lib/mamori"));
        assert_eq!(bind.to_string(), "127.0.0.1:8080");

        // Every setting is there, set or shown commented with its default.
        let text = std::fs::read_to_string(&path).unwrap();
        let mut options = Vec::new();
        settable_options(&Cli::command(), &mut options);
        for (key, _) in options {
            let line = |l: &str| {
                let l = l.trim_start_matches('#');
                l.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with(" ="))
            };
            assert!(
                text.lines().any(line),
                "packaging/mamori.toml does not show `{key}`"
            );
        }
    }
}
