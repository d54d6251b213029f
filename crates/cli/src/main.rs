//! `mamori`: the server and the operator's commands.

mod doctor;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use mamori_app::{App, FirstAdmin, Mailer, Settings, system_clock};
use mamori_auth::sealed::Sealer;
use mamori_storage::{Db, DbConfig, PoolSize};
use mamori_web::{AppState, WebConfig};

mod config_file;

/// mamori (守り): information-assurance procedures for Japan's public sector and its
/// contractors.
#[derive(Parser)]
#[command(name = "mamori", version, about)]
struct Cli {
    /// How the log is written: `text` for people reading it, `json` (one object a line,
    /// with the request's id and route) for a log collector.
    #[arg(long, global = true, env = "MAMORI_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where the data lives; every command that touches data takes these.
#[derive(Args, Clone)]
struct DataOptions {
    /// Folder of the embedded SQLite database (created if missing).
    #[arg(long, env = "MAMORI_DATA_DIR", default_value = "mamori-data")]
    data_dir: PathBuf,
    /// Use PostgreSQL instead (`postgres://user@host/db`).
    #[arg(long, env = "MAMORI_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl DataOptions {
    async fn open(&self, connections: u32) -> anyhow::Result<Db> {
        let config = DbConfig::from_options(self.database_url.as_deref(), &self.data_dir)?;
        Db::open(&config, PoolSize { connections })
            .await
            .with_context(|| format!("cannot open {config:?}"))
    }
}

/// E-mail notifications; without an SMTP URL, notifications stay in the app.
#[derive(Args)]
struct MailOptions {
    /// SMTP server: `smtps://user:pass@host`, `smtp://user:pass@host:587?tls=required`, or
    /// plain `smtp://127.0.0.1:25` for a relay on the same host.
    #[arg(long, env = "MAMORI_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of notification e-mails.
    #[arg(
        long,
        env = "MAMORI_MAIL_FROM",
        default_value = "mamori <mamori@localhost>"
    )]
    mail_from: String,
}

/// The audit trail's anchors: the key that signs the chain's head, where anchors are
/// written, and who receives them.
#[derive(Args)]
struct AnchorOptions {
    /// File holding the key that signs the audit trail's anchors (64 hex characters).
    /// Default: `audit-anchor.key` in the data folder, created on first use. Keep it where
    /// those who administer the database cannot write.
    #[arg(long, env = "MAMORI_ANCHOR_KEY")]
    anchor_key: Option<PathBuf>,
    /// Folder the anchors are written to. Default: `anchors` in the data folder.
    #[arg(long, env = "MAMORI_ANCHOR_DIR")]
    anchor_dir: Option<PathBuf>,
    /// Auditors' addresses the anchors are mailed to, comma-separated (needs --smtp-url).
    #[arg(long, env = "MAMORI_ANCHOR_MAIL", value_delimiter = ',')]
    anchor_mail: Vec<String>,
}

impl AnchorOptions {
    fn key_path(&self, data_dir: &std::path::Path) -> PathBuf {
        self.anchor_key
            .clone()
            .unwrap_or_else(|| data_dir.join("audit-anchor.key"))
    }

    fn dir_path(&self, data_dir: &std::path::Path) -> PathBuf {
        self.anchor_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("anchors"))
    }

    /// The key (created if missing) and the folder, with the public key's file written
    /// beside the anchors for auditors to copy.
    fn open(&self, data_dir: &std::path::Path) -> anyhow::Result<mamori_app::Anchoring> {
        let key = load_anchor_key(&self.key_path(data_dir), true)?;
        let dir = self.dir_path(data_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let public = dir.join(mamori_app::ANCHOR_PUBLIC_KEY_FILE);
        let text = format!("{}\n", key.public().to_text());
        if std::fs::read_to_string(&public).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&public, &text)
                .with_context(|| format!("cannot write {}", public.display()))?;
        }
        Ok(mamori_app::Anchoring::new(
            key,
            dir,
            self.anchor_mail.clone(),
        ))
    }
}

/// Sign-in with the office's directory over OpenID Connect (Entra ID, AD FS, Keycloak).
/// Without an issuer, only mamori's own accounts sign in.
#[derive(Args)]
struct OidcArgs {
    /// The directory's issuer URL; mamori reads `{issuer}/.well-known/openid-configuration`
    /// at the first sign-in (not at start, so that mamori starts while it is down).
    #[arg(long, env = "MAMORI_OIDC_ISSUER", requires = "oidc_client_id")]
    oidc_issuer: Option<String>,
    /// mamori's client id at the directory.
    #[arg(long, env = "MAMORI_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// mamori's client secret at the directory (none: a public client, PKCE only).
    #[arg(long, env = "MAMORI_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// The text of the sign-in button.
    #[arg(
        long,
        env = "MAMORI_OIDC_LABEL",
        default_value = "組織のアカウントでログイン"
    )]
    oidc_label: String,
    /// How a first sign-in finds its person: `email` (the ID token's verified e-mail
    /// against the login e-mail; the subject is then bound) or `subject` (bound subjects only).
    #[arg(long, env = "MAMORI_OIDC_MATCH", default_value = "email", value_parser = ["email", "subject"])]
    oidc_match: String,
    /// Organisation (UUID) where a person unknown to mamori is created at their first
    /// sign-in, with no roles. Unset: nobody is created.
    #[arg(long, env = "MAMORI_OIDC_CREATE_IN")]
    oidc_create_in: Option<uuid::Uuid>,
    /// PEM file of the office's own certificate authority, trusted for the directory's
    /// TLS besides the system's roots.
    #[arg(long, env = "MAMORI_OIDC_CA_FILE")]
    oidc_ca_file: Option<PathBuf>,
    /// Let the ID token's `amr` claim stand for mamori's second factor when it shows a
    /// multi-factor sign-in (`mfa`, or two kinds of factor such as `pwd` + `otp`).
    #[arg(long, env = "MAMORI_OIDC_TRUST_AMR")]
    oidc_trust_amr: bool,
}

impl OidcArgs {
    fn settings(self) -> anyhow::Result<Option<mamori_app::OidcSettings>> {
        let (Some(issuer), Some(client_id)) = (self.oidc_issuer, self.oidc_client_id) else {
            return Ok(None);
        };
        let options = mamori_app::OidcOptions {
            issuer,
            client_id,
            client_secret: self.oidc_client_secret,
            label: self.oidc_label,
            matching: if self.oidc_match == "subject" {
                mamori_app::OidcMatch::Subject
            } else {
                mamori_app::OidcMatch::Email
            },
            create_in: self.oidc_create_in,
            ca_file: self.oidc_ca_file,
            trust_amr: self.oidc_trust_amr,
        };
        Ok(Some(options.into_settings()?))
    }
}

// The command line is parsed once; the large variant (every server option) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the web application and the API.
    Serve {
        #[command(flatten)]
        data: DataOptions,
        /// Address to listen on.
        #[arg(long, env = "MAMORI_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Serve HTTPS with this certificate chain (PEM, leaf first), for offices without a
        /// reverse proxy; read again on SIGHUP. Needs --tls-key.
        #[arg(long, env = "MAMORI_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, env = "MAMORI_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve `/metrics` (Prometheus text format) on this address, and only there;
        /// off when not given.
        #[arg(long, env = "MAMORI_METRICS_BIND")]
        metrics_bind: Option<SocketAddr>,
        /// The address people use (e.g. https://mamori.example.go.jp); https makes cookies Secure.
        #[arg(long, env = "MAMORI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Failed logins in a row that lock an account.
        #[arg(long, env = "MAMORI_LOCKOUT_THRESHOLD", default_value_t = 10)]
        lockout_threshold: i64,
        /// Minutes an account stays locked.
        #[arg(long, env = "MAMORI_LOCKOUT_MINUTES", default_value_t = 15)]
        lockout_minutes: i64,
        /// Minutes of inactivity that end a session.
        #[arg(long, env = "MAMORI_SESSION_IDLE_MINUTES", default_value_t = 60)]
        session_idle_minutes: i64,
        /// The largest file that may be attached to a case, in megabytes.
        #[arg(long, env = "MAMORI_ATTACHMENT_MAX_MB", default_value_t = 20,
              value_parser = clap::value_parser!(u32).range(1..=1024))]
        attachment_max_mb: u32,
        /// Database connections (readers on SQLite).
        #[arg(long, env = "MAMORI_DB_CONNECTIONS", default_value_t = 8)]
        connections: u32,
        /// Client connections served at once; more wait until one closes. Keep the
        /// descriptor limit (`ulimit -n`, systemd `LimitNOFILE`) well above it.
        #[arg(long, env = "MAMORI_MAX_CONNECTIONS", default_value_t = 512,
              value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// Addresses of reverse proxies in front of mamori, comma-separated: their
        /// `X-Forwarded-For` then names the client for the per-address limits and the audit trail.
        #[arg(long, env = "MAMORI_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Key that seals second-factor secrets and attached files, as 64 hex characters. Every server of one
        /// installation needs the same key. Default: the file `secret.key` in the data
        /// folder, created on first start.
        #[arg(long, env = "MAMORI_SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
        /// A library folder of this installation's own, used beside the built-in ones
        /// (repeat it, or separate folders with commas). Each is checked at start: mamori
        /// does not start with a library that `mamori library check` refuses.
        #[arg(long = "library", env = "MAMORI_LIBRARIES", value_delimiter = ',')]
        libraries: Vec<PathBuf>,
        /// The installation's own figures for a library, as `LIBRARY=FILE`: a YAML file of
        /// `deadlines` and `schedules` in the form of an adaptation (ATLA's own durations
        /// for the gateway's steps, say). Every case opens under them (repeat it, or
        /// separate with commas).
        #[arg(long = "adapt", env = "MAMORI_ADAPTATIONS", value_delimiter = ',')]
        adapt: Vec<String>,
        #[command(flatten)]
        mail: MailOptions,
        #[command(flatten)]
        anchors: AnchorOptions,
        // Boxed: the largest variant by far, and read once.
        #[command(flatten)]
        oidc: Box<OidcArgs>,
    },
    /// Create or update the database schema, then exit.
    Migrate {
        #[command(flatten)]
        data: DataOptions,
    },
    /// Administrator accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit trail (証跡).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the SQLite database while the server runs.
    Backup {
        #[command(flatten)]
        data: DataOptions,
        /// The file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Procedure libraries.
    Library {
        #[command(subcommand)]
        command: LibraryCommand,
    },
    /// Check an installation: data folder and key permissions, database reachable and
    /// migrated, clock, audit chain head and its latest anchor, e-mail settings. Changes
    /// nothing; exit 1 if any check fails.
    Doctor {
        #[command(flatten)]
        data: DataOptions,
        /// Whether the sealing key is given instead of the key file (its value is not read).
        #[arg(long, env = "MAMORI_SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
        #[command(flatten)]
        anchors: AnchorOptions,
        #[command(flatten)]
        mail: MailOptions,
        /// Send a test e-mail to this address through the configured mail server.
        #[arg(long)]
        test_mail: Option<String>,
    },
    /// Print the OpenAPI document of the JSON API.
    Openapi,
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// Check a library folder; print every problem with its file and line, exit 1 if any.
    Check {
        /// The library's folder (holding library.yaml).
        dir: PathBuf,
    },
    /// List the libraries built into this mamori.
    List,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a system administrator (the first account).
    Create {
        #[command(flatten)]
        data: DataOptions,
        /// E-mail address (the login).
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The organisation that operates mamori (created at the top level if missing).
        #[arg(long, default_value = "mamori 運用管理")]
        organisation: String,
        /// Read the password from standard input (required: never put it on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-walk the hash chain; exit 0 if intact, 1 naming the first bad event otherwise.
    /// With `--anchors`, also check that the chain still holds every anchored head.
    Verify {
        #[command(flatten)]
        data: DataOptions,
        /// A folder of anchors (files written by mamori, or saved anchor e-mails).
        #[arg(long)]
        anchors: Option<PathBuf>,
        /// The public key the anchors must be signed with (`ed25519:…`, or a file holding
        /// it, such as `audit-anchor.pub`). Default: the public half of the anchor key file.
        #[arg(long)]
        anchor_public_key: Option<String>,
        /// The anchor key file, when no public key is given. Default: `audit-anchor.key`
        /// in the data folder.
        #[arg(long, env = "MAMORI_ANCHOR_KEY")]
        anchor_key: Option<PathBuf>,
    },
    /// Sign the chain's head now: write an anchor (and mail it, when configured).
    Anchor {
        #[command(flatten)]
        data: DataOptions,
        #[command(flatten)]
        anchors: AnchorOptions,
        #[command(flatten)]
        mail: MailOptions,
    },
}

fn main() -> ExitCode {
    // The command line over the environment over the file of `--config` over the defaults.
    let cli = match config_file::parse::<Cli>() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("mamori: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // Each line carries its spans, so a collector can group a request's lines by id.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
    // Checking a library compiles its PDF templates too.
    mamori_library::document::set_pdf_check(mamori_documents::check_case_template);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mamori: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mamori: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data,
            bind,
            tls_cert,
            tls_key,
            metrics_bind,
            public_url,
            lockout_threshold,
            lockout_minutes,
            session_idle_minutes,
            attachment_max_mb,
            connections,
            max_connections,
            trusted_proxies,
            secret_key,
            libraries,
            adapt,
            mail,
            anchors,
            oidc,
        } => {
            // A library that does not load stops mamori before anything is written.
            let libraries = libraries_in_use(&libraries, &adapt)?;
            let sealer = load_sealer(secret_key.as_deref(), &data.data_dir)?;
            if !anchors.anchor_mail.is_empty() && mail.smtp_url.is_none() {
                bail!(
                    "--anchor-mail needs --smtp-url / アンカーのメール送信には --smtp-url が必要です"
                );
            }
            let anchoring = anchors.open(&data.data_dir)?;
            let settings = Settings {
                lockout_threshold,
                lockout_minutes,
                session_idle_minutes,
                sealer,
                email: mail.smtp_url.is_some(),
                attachment_max_bytes: attachment_max_mb as usize * 1024 * 1024,
                edge: mamori_app::EdgeLimits {
                    max_connections: max_connections as usize,
                    trusted_proxies,
                    ..mamori_app::EdgeLimits::default()
                },
                oidc: (*oidc).settings()?,
                ..Settings::default()
            };
            serve(
                data,
                Listen {
                    bind,
                    tls: tls_cert.zip(tls_key),
                    metrics_bind,
                    public_url,
                },
                settings,
                connections,
                libraries,
                mail,
                anchoring,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { data } => {
            let db = data.open(1).await?;
            println!("migrated ({})", db.backend());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    data,
                    email,
                    name,
                    organisation,
                    password_stdin,
                },
        } => {
            debug_assert!(password_stdin);
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            // One trailing newline is what `echo` adds; anything else is part of the password.
            let password = password
                .strip_suffix('\n')
                .map(|p| p.strip_suffix('\r').unwrap_or(p))
                .unwrap_or(&password);
            let db = data.open(2).await?;
            let app = App::new(db.clone(), system_clock(), Settings::default())?;
            let input = FirstAdmin {
                organisation,
                name,
                email,
                password: password.to_owned(),
            };
            match app
                .create_system_admin(&input, false, "mamori admin create")
                .await
            {
                Ok(made) => {
                    println!(
                        "created system administrator {} ({})",
                        input.email.trim(),
                        made.person
                    );
                    if made.joined_existing {
                        // Said aloud: the organisation's administrators see the new account
                        // among their people (though they may not manage it).
                        println!(
                            "placed in the existing top-level organisation {:?} ({}); \
                             give another --organisation name for a new one",
                            input.organisation.trim(),
                            made.organisation
                        );
                    } else {
                        println!(
                            "created the organisation {:?} ({})",
                            input.organisation.trim(),
                            made.organisation
                        );
                    }
                    db.close().await;
                    Ok(ExitCode::SUCCESS)
                }
                Err(mamori_app::AppError::Invalid(errors)) => {
                    let tr = mamori_web::Tr::default();
                    for (field, message) in tr.field_errors(&errors) {
                        eprintln!("mamori: {field}: {message}");
                    }
                    Ok(ExitCode::from(2))
                }
                Err(mamori_app::AppError::Conflict { field }) => {
                    bail!("{field}: already in use (すでに使われています)")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    data,
                    anchors,
                    anchor_public_key,
                    anchor_key,
                },
        } => {
            // The trusted key is settled before anything is read: a typo fails at once.
            let trusted = match &anchors {
                None => None,
                Some(_) => Some(trusted_anchor_key(
                    anchor_public_key.as_deref(),
                    anchor_key.as_deref(),
                    &data.data_dir,
                )?),
            };
            let db = data.open(2).await?;
            let app = App::new(db.clone(), system_clock(), Settings::default())?;
            let started = std::time::Instant::now();
            let result = app.verify_audit_chain_at_console().await?;
            let seconds = started.elapsed().as_secs_f64();
            let mut intact = match result {
                Ok(last) => {
                    // The rate is for operators sizing a check of a long trail.
                    let rate = if seconds > 0.0 {
                        last as f64 / seconds
                    } else {
                        0.0
                    };
                    println!(
                        "audit trail intact: {last} events verified in {seconds:.3} s ({rate:.0} events/s)"
                    );
                    true
                }
                Err(e) => {
                    eprintln!("audit trail BROKEN at event {}: {e}", e.seq());
                    false
                }
            };
            if let (Some(dir), Some(trusted)) = (&anchors, &trusted) {
                intact &= check_anchors(&app, dir, trusted).await?;
            }
            db.close().await;
            Ok(if intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Audit {
            command:
                AuditCommand::Anchor {
                    data,
                    anchors,
                    mail,
                },
        } => {
            if !anchors.anchor_mail.is_empty() && mail.smtp_url.is_none() {
                bail!(
                    "--anchor-mail needs --smtp-url / アンカーのメール送信には --smtp-url が必要です"
                );
            }
            let anchoring = anchors.open(&data.data_dir)?;
            let db = data.open(2).await?;
            let app = App::new(db.clone(), system_clock(), Settings::default())?;
            let (anchor, file) = app.anchor_audit_chain(&anchoring).await?;
            db.close().await;
            println!("anchor written to {}\n", file.display());
            print!("{}", anchor.to_text());
            if let Some(url) = &mail.smtp_url
                && !anchoring.mail_to.is_empty()
            {
                let mailer = Mailer::new(url, &mail.mail_from, "")?;
                mamori_app::mail_anchor(&mailer, &anchoring.mail_to, &anchor).await?;
                println!("\nmailed to {}", anchoring.mail_to.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Library {
            command: LibraryCommand::Check { dir },
        } => match mamori_library::load_dir(&dir) {
            Ok(lib) => {
                let (procedures, forms, registers) =
                    (lib.procedures.len(), lib.forms.len(), lib.registers.len());
                let mut counts =
                    format!("{procedures} procedures, {forms} forms, {registers} registers");
                for m in lib.matrices.values() {
                    counts += &format!(", matrix {} with {} rows", m.id.value, m.rows.len());
                }
                println!("{} {}: OK ({counts})", lib.id(), lib.version());
                for w in &lib.warnings {
                    eprintln!("{}/{w} (注意 / warning)", dir.display());
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{}/{p}", dir.display());
                }
                eprintln!("{} problem(s) / {}件の問題", problems.len(), problems.len());
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Library {
            command: LibraryCommand::List,
        } => {
            let libs = mamori_library::shipped().map_err(library_problems)?;
            for lib in libs {
                println!("{} {}\t{}", lib.id(), lib.version(), lib.manifest.title.ja);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { data, out } => {
            let db = data.open(1).await?;
            mamori_storage::backup(&db, &out).await?;
            db.close().await;
            println!("backup written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor {
            data,
            secret_key,
            anchors,
            mail,
            test_mail,
        } => {
            let installation = doctor::Installation {
                data_dir: &data.data_dir,
                database_url: data.database_url.as_deref(),
                secret_key_given: secret_key.is_some(),
                anchor_key: anchors.key_path(&data.data_dir),
                anchor_dir: anchors.dir_path(&data.data_dir),
                smtp_url: mail.smtp_url.as_deref(),
                mail_from: &mail.mail_from,
                test_mail: test_mail.as_deref(),
            };
            Ok(match doctor::run(&installation).await {
                doctor::Verdict::Fail => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            })
        }
        Command::Openapi => {
            println!("{}", mamori_web::openapi().to_pretty_json()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The sealing key: given, or read from (or first written to) `secret.key` in the data
/// folder, readable by the owner only.
fn load_sealer(given: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Sealer> {
    if let Some(hex) = given {
        return Sealer::from_hex(hex).context("MAMORI_SECRET_KEY");
    }
    let path = data_dir.join("secret.key");
    if !path.exists() {
        create_private_dir(data_dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        std::io::Write::write_all(&mut file, Sealer::new_key_hex().as_bytes())?;
        tracing::info!(path = %path.display(), "created a new key for second-factor secrets and attached files; back it up with the database");
    }
    let hex = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Sealer::from_hex(&hex).with_context(|| format!("{}", path.display()))
}

/// Creates a folder for key files, readable by its owner only (on PostgreSQL the data
/// folder holds nothing but keys and anchors, and nothing else creates it).
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// The anchor key in `path`; when `create`, a new one is written there (owner-only) if
/// the file does not exist yet.
fn load_anchor_key(
    path: &std::path::Path,
    create: bool,
) -> anyhow::Result<mamori_auth::anchor::AnchorKey> {
    use mamori_auth::anchor::AnchorKey;
    if create && !path.exists() {
        if let Some(parent) = path.parent() {
            create_private_dir(parent)?;
        }
        let key = AnchorKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        std::io::Write::write_all(&mut file, key.to_hex().as_bytes())?;
        tracing::info!(path = %path.display(), public = %key.public().to_text(), "created the key that signs the audit trail's anchors; give its public half to the auditors");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the anchor key {}", path.display()))?;
    AnchorKey::from_hex(&text).with_context(|| format!("{}", path.display()))
}

/// The public key anchors are checked against: given (as text or a file), or the public
/// half of the anchor key file.
fn trusted_anchor_key(
    given: Option<&str>,
    key_file: Option<&std::path::Path>,
    data_dir: &std::path::Path,
) -> anyhow::Result<mamori_auth::anchor::AnchorPublicKey> {
    use mamori_auth::anchor::AnchorPublicKey;
    if let Some(given) = given {
        let text = if std::path::Path::new(given).is_file() {
            std::fs::read_to_string(given).with_context(|| format!("cannot read {given}"))?
        } else {
            given.to_owned()
        };
        return AnchorPublicKey::parse(&text).context("--anchor-public-key");
    }
    let path = key_file
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join("audit-anchor.key"));
    if !path.exists() {
        bail!(
            "no anchor key at {}: give the auditors' copy with --anchor-public-key \
             / 公開鍵を --anchor-public-key で指定してください",
            path.display()
        );
    }
    Ok(load_anchor_key(&path, false)?.public())
}

/// Checks every anchor in `dir` against the chain, printing one line each; true when all
/// hold. An empty folder fails: an auditor who pointed at the wrong one must be told.
async fn check_anchors(
    app: &App,
    dir: &std::path::Path,
    trusted: &mamori_auth::anchor::AnchorPublicKey,
) -> anyhow::Result<bool> {
    use mamori_app::AnchorStatus;
    let anchors = mamori_app::read_anchors(dir)
        .with_context(|| format!("cannot read the anchors in {}", dir.display()))?;
    if anchors.is_empty() {
        eprintln!("no anchors in {} / アンカーがありません", dir.display());
        return Ok(false);
    }
    let mut holding = 0;
    for (file, anchor) in &anchors {
        let name = file.display();
        let anchor = match anchor {
            Ok(a) => a,
            Err(e) => {
                eprintln!("anchor {name}: UNREADABLE: {e}");
                continue;
            }
        };
        match app.check_anchor(anchor, trusted).await? {
            AnchorStatus::Holds => holding += 1,
            AnchorStatus::Unsigned(e) => eprintln!("anchor {name}: NOT VALID: {e}"),
            AnchorStatus::Missing { head } => eprintln!(
                "anchor {name}: BROKEN: the trail ends at event {head}, before the anchored event {} \
                 (events were removed) / アンカーの第{}件がありません",
                anchor.seq, anchor.seq
            ),
            AnchorStatus::Rewritten { found } => eprintln!(
                "anchor {name}: BROKEN: event {} has the hash {found}, but the anchor signed {} \
                 (the trail was rewritten after {}) / 第{}件が署名後に書き換えられています",
                anchor.seq,
                mamori_auth::anchor::hex(&anchor.hash),
                anchor.signed_at,
                anchor.seq
            ),
        }
    }
    println!(
        "anchors: {holding} of {} hold (key {})",
        anchors.len(),
        trusted.to_text()
    );
    Ok(holding == anchors.len())
}

/// The problems of a built-in library, as one error.
fn library_problems(problems: Vec<mamori_library::Problem>) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("a built-in library does not load:\n{}", lines.join("\n"))
}

/// The built-in libraries and the installation's own folders, each checked, with the
/// installation's own figures applied.
fn libraries_in_use(
    dirs: &[PathBuf],
    adapt: &[String],
) -> anyhow::Result<Vec<mamori_library::Library>> {
    let mut all = mamori_library::shipped().map_err(library_problems)?;
    for dir in dirs {
        let lib = mamori_library::load_dir(dir).map_err(|problems| {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}/{p}", dir.display()))
                .collect();
            anyhow::anyhow!(
                "the library in {} does not load / ライブラリを読み込めません:\n{}",
                dir.display(),
                lines.join("\n")
            )
        })?;
        if all.iter().any(|l| l.id() == lib.id()) {
            anyhow::bail!(
                "{}: a library with the id `{}` is already in use; an organisation changes a \
                 built-in library through an adaptation / 同じ id のライブラリが既にあります",
                dir.display(),
                lib.id()
            );
        }
        tracing::info!(library = lib.id(), version = lib.version(), dir = %dir.display(), "library of this installation");
        all.push(lib);
    }
    for given in adapt {
        let Some((id, file)) = given.split_once('=') else {
            anyhow::bail!("--adapt takes LIBRARY=FILE (mod-dsg=atla.yaml), not `{given}`");
        };
        let spec = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the installation's figures in {file}"))?;
        let Some(slot) = all.iter_mut().find(|l| l.id() == id) else {
            anyhow::bail!(
                "--adapt {given}: no library `{id}` is in use / ライブラリ「{id}」はありません"
            );
        };
        let adapted = mamori_app::adapt_installation(slot, &spec).map_err(|problems| {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{file}:{}:{}: {}", p.line, p.column, p.message))
                .collect();
            anyhow::anyhow!(
                "the installation's figures for {id} do not apply / 設置者の調整を適用できません:\n{}",
                lines.join("\n")
            )
        })?;
        tracing::info!(
            library = id,
            version = adapted.version(),
            file,
            "the installation's own figures"
        );
        *slot = adapted;
    }
    Ok(all)
}

/// Where a server listens and how people reach it.
struct Listen {
    bind: SocketAddr,
    /// Certificate chain and key files, when mamori serves HTTPS itself.
    tls: Option<(PathBuf, PathBuf)>,
    metrics_bind: Option<SocketAddr>,
    public_url: Option<String>,
}

async fn serve(
    data: DataOptions,
    Listen {
        bind,
        tls,
        metrics_bind,
        public_url,
    }: Listen,
    settings: Settings,
    connections: u32,
    libraries: Vec<mamori_library::Library>,
    mail: MailOptions,
    anchoring: mamori_app::Anchoring,
) -> anyhow::Result<()> {
    let db = data.open(connections).await?;
    let app = App::new(db.clone(), system_clock(), settings)?
        .install_libraries(libraries)
        .await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    // Read before anything listens: a certificate that does not load stops the start.
    let tls = match &tls {
        Some((cert, key)) => Some(std::sync::Arc::new(
            mamori_web::tls::Tls::load(cert, key).map_err(|e| anyhow::anyhow!("TLS: {e}"))?,
        )),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_origin = public_url
        .unwrap_or_else(|| format!("{scheme}://{bind}"))
        .trim_end_matches('/')
        .to_owned();

    let first_run = if app.has_system_admin().await? {
        None
    } else {
        let token = mamori_auth::token::random_token();
        println!();
        println!("  mamori has no administrator yet. Open this address once to create one:");
        println!("  管理者が未登録です。次のアドレスを開いて最初の管理者を登録してください:");
        println!();
        println!("    {public_origin}/first-run?token={token}");
        println!();
        println!("  (or run: mamori admin create --email … --name … --password-stdin)");
        println!();
        Some(token)
    };
    let state = AppState::new(
        app.clone(),
        WebConfig {
            public_origin: public_origin.clone(),
        },
        first_run,
    );
    // The figures for monitoring, on an address of their own when asked for.
    let metrics = match metrics_bind {
        None => None,
        Some(at) => {
            let metrics = std::sync::Arc::new(mamori_web::metrics::Metrics::new());
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("cannot listen on {at} for metrics"))?;
            let router = mamori_web::metrics::router(state.clone(), metrics.clone());
            tokio::spawn(async move {
                if let Err(e) = axum_serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics address stopped");
                }
            });
            tracing::info!(%at, "metrics served at /metrics");
            Some(metrics)
        }
    };
    let state = match &metrics {
        Some(m) => state.with_metrics(m.clone()),
        None => state,
    };

    // Expired sessions are removed in the background; a failure is logged and retried.
    let sweeper = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.sweep_sessions().await {
                tracing::warn!(error = %e, "session sweep failed");
            }
        }
    });

    // Deadlines fire and e-mails leave on every server; each timer and each message is
    // claimed in the database, so running several servers sends nothing twice.
    let mailer = match &mail.smtp_url {
        Some(url) => Some(Mailer::new(url, &mail.mail_from, &public_origin)?),
        None => None,
    };
    let ticker = app.clone();
    let tick_metrics = metrics.clone();
    tokio::spawn(async move {
        let metrics = tick_metrics;
        // Retention is counted in days: what ran out is deleted once an hour, not each tick.
        let mut ticks: u64 = 0;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            ticks += 1;
            let run_started = std::time::Instant::now();
            if let Err(e) = ticker.fire_due_timers().await {
                tracing::warn!(error = %e, "deadline timers failed");
            }
            // Rounds of recurring procedures open on their first day (or as soon as a target
            // appears), and are reminded of and called overdue like deadlines.
            let started = std::time::Instant::now();
            match ticker.open_rounds().await {
                Ok(0) => {}
                Ok(opened) => tracing::info!(
                    opened,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "opened rounds of recurring procedures"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "opening rounds of recurring procedures failed")
                }
            }
            if let Err(e) = ticker.send_round_notices().await {
                tracing::warn!(error = %e, "notices of recurring rounds failed");
            }
            // Register rows' dates; closed cases and rows whose retention ran out.
            if let Err(e) = ticker.send_row_notices().await {
                tracing::warn!(error = %e, "notices of register rows' dates failed");
            }
            if ticks % 240 == 1 {
                match ticker.purge_expired_cases().await {
                    Ok(0) => {}
                    Ok(purged) => {
                        tracing::info!(purged, "deleted closed cases past their retention")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "deleting closed cases past their retention failed")
                    }
                }
                match ticker.purge_expired_rows().await {
                    Ok(0) => {}
                    Ok(purged) => {
                        tracing::info!(purged, "deleted register rows past their retention")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "deleting register rows past their retention failed")
                    }
                }
            }
            // Counts of repeated refused requests are written once their window closes.
            if let Err(e) = ticker.flush_refusals().await {
                tracing::warn!(error = %e, "writing counts of refused requests failed");
            }
            if let Some(mailer) = &mailer
                && let Err(e) = ticker.deliver_mail(mailer).await
            {
                tracing::warn!(error = %e, "e-mail delivery failed");
            }
            // The day's anchor of the audit trail (the first tick of each day writes it).
            if let Err(e) = ticker.anchor_if_due(&anchoring, mailer.as_ref()).await {
                tracing::warn!(error = %e, "anchoring the audit trail failed");
            }
            if let Some(metrics) = &metrics {
                metrics.scheduler_ran(run_started.elapsed());
            }
        }
    });

    tracing::info!(%bind, backend = db.backend(), origin = %public_origin, "mamori is listening");
    reload_on_hangup(tls.clone());
    mamori_web::serve_with(listener, state, tls, shutdown_signal()).await?;
    db.close().await;
    tracing::info!("mamori stopped");
    Ok(())
}

/// Serves a small internal router (the metrics address) with axum's own loop: only the
/// office's monitoring connects there.
async fn axum_serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> std::io::Result<()> {
    axum::serve(listener, router).await
}

/// SIGHUP reads the TLS certificate and key again (a renewal); a reload that fails keeps
/// the certificate in use. Without TLS there is nothing to reload, and SIGHUP (which would
/// otherwise end the process) is only noted.
fn reload_on_hangup(tls: Option<std::sync::Arc<mamori_web::tls::Tls>>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            match &tls {
                None => tracing::info!("SIGHUP: no TLS certificate to reload"),
                Some(tls) => match tls.reload() {
                    Ok(()) => tracing::info!("SIGHUP: reloaded the TLS certificate"),
                    Err(e) => {
                        tracing::error!(error = %e, "SIGHUP: the TLS certificate did not load; the previous one stays in use")
                    }
                },
            }
        }
    });
    #[cfg(not(unix))]
    let _ = tls;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
