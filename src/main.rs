//! The `po-intake` command line: clap -> library calls. Errors are printed with their chain.
//!
//! Exit codes: 0 success; 1 an operational error (config, store, I/O); 2 bad usage;
//! 3 an input was rejected (`extract`/`parse` on an unreadable file, `ingest` with at least
//! one failed file); 4 a conflict (e.g. approving an order someone else already handled).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use tracing::Level;

use po_intake::config::Config;
use po_intake::contract::{ContractOrder, Extraction};
use po_intake::domain::OrderState;
use po_intake::extract::Extractor;
use po_intake::intake::{folder, imap};
use po_intake::learn::approve;
use po_intake::logging::notice;
use po_intake::parse::{self, PartContent};
use po_intake::pipeline::{self, FileOutcome, FileStatus, Pipeline};
use po_intake::rules::{self, CheckContext};
use po_intake::store::{Store, StoreError};

const DEFAULT_CONFIG: &str = "config/po-intake.toml";

#[derive(Parser)]
#[command(
    name = "po-intake",
    about = "Purchase orders in, checked orders out",
    disable_version_flag = true,
    arg_required_else_help = true
)]
struct Cli {
    /// Print the version of po-intake and of the extraction model it would load.
    #[arg(short = 'V', long)]
    version: bool,
    /// Config file (TOML). The default path may be absent: embedded defaults then apply.
    #[arg(long, global = true, default_value = DEFAULT_CONFIG)]
    config: PathBuf,
    /// Where the store, the archive and the file outbox live (overrides the config).
    #[arg(long, global = true, env = "PO_INTAKE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    /// How log lines on stderr are written: `text`, or `json` (one object per line).
    /// `RUST_LOG` sets the level (default `warn`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    log_format: LogFormatArg,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the extraction of one file as JSON (no store needed).
    Extract { file: PathBuf },
    /// Print the parsed words (JSON) or the page text of one file (no store needed).
    Parse {
        file: PathBuf,
        /// Print the page text in reading order instead of JSON.
        #[arg(long)]
        text: bool,
    },
    /// Ingest every file in DIR once, then move each to processed/ or failed/.
    Ingest {
        dir: PathBuf,
        /// Leave the files where they are (for read-only or bundled folders).
        #[arg(long)]
        keep: bool,
    },
    /// Watch the configured drop folders and process files as they arrive.
    Watch,
    /// Run the reviewer web UI on the configured address (`[web] listen`).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the config).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Reviewer accounts for the web UI.
    User {
        #[command(subcommand)]
        action: UserCmd,
    },
    /// API tokens for uploads (`POST /api/documents` with `Authorization: Bearer`).
    Token {
        #[command(subcommand)]
        action: TokenCmd,
    },
    /// Work the review queue from the command line.
    Review {
        #[command(subcommand)]
        action: ReviewCmd,
    },
    /// Master data.
    Catalog {
        #[command(subcommand)]
        action: CatalogCmd,
    },
    /// Run the rules on an extraction-contract JSON file against the imported master data.
    Check {
        file: PathBuf,
        /// The sender's email address (for customer detection).
        #[arg(long)]
        sender: Option<String>,
    },
    /// Deliver pending outbox entries to the OMS once (retrying as configured), then stop.
    Push,
    /// Counts per state.
    Status,
    /// Per customer: orders, the share accepted without review (touchless), and which
    /// fields reviewers corrected.
    Stats,
    /// Copy the data folder to DEST while po-intake runs: the database through SQLite's
    /// online backup, then the archived originals DEST does not hold yet.
    Backup { dest: PathBuf },
    /// Layouts learned from approved orders (issue 18).
    Layouts {
        #[command(subcommand)]
        action: LayoutsCmd,
    },
    /// Score extraction against gold files (GOLD_DIR/<file name>.json, the extraction contract).
    Eval {
        docs_dir: PathBuf,
        gold_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReviewCmd {
    /// Orders waiting for review, oldest first.
    List,
    /// One order with its exceptions.
    Show { id: i64 },
    /// Approve an order (it goes to the outbox). An order flagged `duplicate_po` needs
    /// `--force`: approving it may deliver the same PO twice.
    Approve {
        id: i64,
        #[arg(long, default_value = "cli")]
        user: String,
        /// Approve even an order flagged as a possible duplicate.
        #[arg(long)]
        force: bool,
        /// The order as the reviewer corrected it: one order object of the extraction
        /// contract. Saved and checked first, as the web UI's save then approve; the
        /// layout is learned from it either way.
        #[arg(long)]
        order: Option<PathBuf>,
    },
    /// Orders whose delivery to the OMS failed and is parked for a person.
    Parked,
    /// Send a parked delivery again.
    Retry {
        id: i64,
        #[arg(long, default_value = "cli")]
        user: String,
    },
    /// Record that a parked delivery was entered in the OMS by hand.
    Delivered {
        id: i64,
        #[arg(long, default_value = "cli")]
        user: String,
    },
    /// Reject an order with a reason.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        user: String,
    },
}

#[derive(Subcommand)]
enum LayoutsCmd {
    /// Every learned layout: customer, sender, the order it was learned from, uses.
    List,
    /// One layout: what it reads and where.
    Show { id: i64 },
    /// How well FILE matches each learned layout: the share of its static words in place,
    /// and the ones that are not (why a document was not read with a layout).
    Match { file: PathBuf },
    /// Forget a layout: the customer's documents are read generically again.
    Forget {
        id: i64,
        #[arg(long, default_value = "cli")]
        user: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a reviewer (or set a new password). The password is read from the environment
    /// variable PO_INTAKE_PASSWORD, else from the first line of stdin; never from an argument.
    Add { name: String },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Make a token named NAME (a portal, a script) and print it once; only its hash is
    /// kept. A name that has a token gets a new one and the old one stops working.
    Add { name: String },
    /// Remove the token named NAME.
    Revoke { name: String },
    /// Every token's name, when it was made and when it was last used.
    List,
}

#[derive(Subcommand)]
enum CatalogCmd {
    /// Import catalog.csv, customers.csv, crossref.csv, contract_prices.csv from DIR.
    Import { dir: PathBuf },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

/// An error that maps to a specific exit code.
#[derive(Debug, thiserror::Error)]
enum Exit {
    #[error("{0}")]
    Rejected(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    po_intake::logging::init(match cli.log_format {
        LogFormatArg::Text => po_intake::logging::LogFormat::Text,
        LogFormatArg::Json => po_intake::logging::LogFormat::Json,
    });
    // Every panic is logged at ERROR with the thread and the document/order it was on, even
    // when it is caught (a reader crashing on one file): a panic is a bug to hear about.
    po_intake::supervise::install_panic_hook();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            notice(Level::ERROR, &format!("error: {e:#}"));
            if e.downcast_ref::<Exit>().is_some() {
                ExitCode::from(3)
            } else if matches!(
                e.downcast_ref::<StoreError>(),
                Some(StoreError::Conflict(_))
            ) {
                ExitCode::from(4)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    let explicit = cli.config.as_path() != Path::new(DEFAULT_CONFIG);
    let mut cfg = Config::load(&cli.config, explicit)?;
    if let Some(d) = &cli.data_dir {
        cfg.data_dir = d.clone();
    }
    Ok(cfg)
}

fn open_store(cfg: &Config) -> Result<Store> {
    Store::open(&cfg.data_dir)
        .with_context(|| format!("opening the store in {}", cfg.data_dir.display()))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = load_config(&cli)?;
    if cli.version {
        let model =
            Extractor::model_version(&cfg.extract).unwrap_or_else(|e| format!("not found ({e})"));
        println!("po-intake {} (model {model})", env!("CARGO_PKG_VERSION"));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(cmd) = &cli.cmd else {
        <Cli as clap::CommandFactory>::command()
            .error(
                clap::error::ErrorKind::MissingSubcommand,
                "a command is needed (see --help)",
            )
            .exit();
    };
    match cmd {
        Cmd::Extract { file } => cmd_extract(&cfg, file),
        Cmd::Parse { file, text } => cmd_parse(&cfg, file, *text),
        Cmd::Ingest { dir, keep } => cmd_ingest(&cfg, dir, *keep, cli.json),
        Cmd::Watch => cmd_watch(&cfg, cli.json),
        Cmd::Serve { listen } => cmd_serve(&cfg, listen.as_deref()),
        Cmd::User {
            action: UserCmd::Add { name },
        } => cmd_user_add(&cfg, name),
        Cmd::Token { action } => cmd_token(&cfg, action, cli.json),
        Cmd::Review { action } => cmd_review(&cfg, action, cli.json),
        Cmd::Catalog {
            action: CatalogCmd::Import { dir },
        } => cmd_catalog_import(&cfg, dir, cli.json),
        Cmd::Check { file, sender } => cmd_check(&cfg, file, sender.as_deref()),
        Cmd::Push => cmd_push(&cfg, cli.json),
        Cmd::Status => cmd_status(&cfg, cli.json),
        Cmd::Stats => cmd_stats(&cfg, cli.json),
        Cmd::Backup { dest } => cmd_backup(&cfg, dest, cli.json),
        Cmd::Eval { docs_dir, gold_dir } => cmd_eval(&cfg, docs_dir, gold_dir, cli.json),
        Cmd::Layouts { action } => cmd_layouts(&cfg, action, cli.json),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn cmd_extract(cfg: &Config, file: &Path) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let extractor = Extractor::from_config(&cfg.extract)?;
    let name = file_name(file);
    match pipeline::read_document(&bytes, &name, cfg, &extractor) {
        Ok((parsed, extracted)) => {
            let out = Extraction {
                file: name,
                kind: parsed.kind,
                orders: extracted
                    .orders
                    .iter()
                    .map(ContractOrder::with_sources)
                    .collect(),
                warnings: extracted.warnings,
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(r) => {
            Err(Exit::Rejected(format!("{}: {}: {}", file.display(), r.code, r.reason)).into())
        }
    }
}

fn cmd_parse(cfg: &Config, file: &Path, text: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = std::panic::catch_unwind(|| parse::parse(&bytes, &file_name(file), &cfg.limits))
        .map_err(|_| Exit::Rejected(format!("{}: malformed: the reader crashed", file.display())))?
        .map_err(|e| Exit::Rejected(format!("{}: {}: {e}", file.display(), e.code())))?;
    if text {
        for part in &parsed.parts {
            println!("=== {} ({:?})", part.name, part.kind);
            match &part.content {
                PartContent::Parsed { doc } => print!("{}", doc.text()),
                PartContent::Failed { code, reason } => println!("[failed: {code}: {reason}]"),
            }
        }
    } else {
        println!("{}", serde_json::to_string(&parsed)?);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Default, serde::Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    duplicates: usize,
    orders: usize,
    accepted: usize,
    to_review: usize,
    rejected: usize,
    seconds: f64,
}

impl Summary {
    fn add(&mut self, o: &FileOutcome) {
        self.files += 1;
        match o.status {
            FileStatus::Processed => self.documents += 1,
            FileStatus::Duplicate => self.duplicates += 1,
            FileStatus::Failed => self.rejected += 1,
        }
        if o.status == FileStatus::Processed {
            self.orders += o.orders.len();
            self.accepted += o.orders.iter().filter(|x| x.decision == "accept").count();
            self.to_review += o.orders.iter().filter(|x| x.decision == "review").count();
        }
    }

    fn print(&self) {
        let text = [
            String::new(),
            format!("  files       {:>6}", self.files),
            format!("  documents   {:>6}   (new)", self.documents),
            format!("  duplicates  {:>6}   (already stored)", self.duplicates),
            format!("  orders      {:>6}", self.orders),
            format!("  accepted    {:>6}", self.accepted),
            format!("  to review   {:>6}", self.to_review),
            format!("  rejected    {:>6}", self.rejected),
            format!("  seconds     {:>6.2}", self.seconds),
        ]
        .join("\n");
        notice(Level::INFO, &text);
    }
}

fn describe(o: &FileOutcome) -> String {
    let mut s = format!(
        "{:<9} {}",
        match o.status {
            FileStatus::Processed => "processed",
            FileStatus::Duplicate => "duplicate",
            FileStatus::Failed => "FAILED",
        },
        o.file
    );
    if let Some(id) = o.document_id {
        s.push_str(&format!("  [doc {id}]"));
    }
    for ord in &o.orders {
        s.push_str(&format!(
            "\n          order {} PO {} customer {} -> {}{}",
            ord.order_id,
            ord.po_number.as_deref().unwrap_or("?"),
            ord.customer_id.as_deref().unwrap_or("?"),
            ord.decision,
            if ord.exceptions.is_empty() {
                String::new()
            } else {
                format!(" ({})", ord.exceptions.join(", "))
            }
        ));
    }
    if let Some(r) = &o.reason {
        s.push_str(&format!("\n          {r}"));
    }
    s
}

fn cmd_ingest(cfg: &Config, dir: &Path, keep: bool, json: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let mut store = open_store(cfg)?;
    let extractor = Extractor::for_workers(&cfg.extract)?;
    let pipeline = Pipeline::new(&store, cfg, &extractor)?;
    let mut summary = Summary::default();
    // Documents a crash left half-done are finished first.
    for o in pipeline.resume(&mut store)? {
        summary.add(&o);
        if json {
            print_json(&o)?;
        }
    }
    let files = folder::scan(dir)?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut failure: Option<anyhow::Error> = None;
    let mut on_outcome = |file: &Path, res: Result<FileOutcome, folder::FolderError>| {
        bar.set_message(file_name(file));
        match res {
            Ok(o) => {
                summary.add(&o);
                if json {
                    if let Err(e) = print_json(&o) {
                        failure.get_or_insert(e);
                    }
                } else {
                    bar.suspend(|| println!("{}", describe(&o)));
                }
            }
            Err(e) => {
                // An unreadable file is reported and the batch goes on.
                summary.rejected += 1;
                summary.files += 1;
                let o = serde_json::json!({"file": file_name(file), "document_id": null,
                    "status": "failed", "reason": e.to_string(), "orders": []});
                if json {
                    if let Err(e) = print_json(&o) {
                        failure.get_or_insert(e);
                    }
                } else {
                    bar.suspend(|| {
                        notice(Level::WARN, &format!("FAILED    {}: {e}", file.display()))
                    });
                }
            }
        }
        bar.inc(1);
    };
    match folder::ingest_files(&pipeline, &mut store, dir, &files, !keep, &mut on_outcome) {
        Ok(()) => {}
        Err(folder::FolderError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(e.into()),
    }
    if let Some(e) = failure {
        return Err(e);
    }
    bar.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();
    if !json {
        summary.print();
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn cmd_watch(cfg: &Config, json: bool) -> Result<ExitCode> {
    if cfg.drop_folders.is_empty() && cfg.mailboxes.is_empty() {
        bail!("nothing to watch: add a [[drop_folders]] or a [[mailboxes]] table to the config");
    }
    // One model for every drop folder and mailbox, with a session per worker.
    let extractor = Arc::new(Extractor::for_workers(&cfg.extract)?);
    {
        // Finish documents a crash left half-done, once, before any source starts.
        let mut store = open_store(cfg)?;
        let pipeline = Pipeline::new(&store, cfg, &extractor)?;
        for o in pipeline.resume(&mut store)? {
            if json {
                print_json(&o)?;
            } else {
                println!("{}", describe(&o));
            }
        }
    }
    let _worker = spawn_delivery_worker(cfg)?;
    spawn_ack_sender(cfg);
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for folder_cfg in cfg.drop_folders.clone() {
        let cfg = cfg.clone();
        let stop = stop.clone();
        let extractor = extractor.clone();
        let name = format!("folder:{}", folder_cfg.path.display());
        let thread = std::thread::Builder::new().name(name.clone());
        let handle = thread.spawn(move || -> Result<()> {
            // Supervised: a panic or an error exit restarts the watcher with backoff (logged
            // at ERROR and counted in the store) until the process stops.
            let stopping = || stop.load(std::sync::atomic::Ordering::Relaxed);
            let backoff = po_intake::supervise::Backoff::default();
            po_intake::supervise::supervise_blocking(
                &name,
                &cfg.data_dir,
                &backoff,
                &stopping,
                || -> Result<()> {
                    let mut store = open_store(&cfg)?;
                    let pipeline = Pipeline::new(&store, &cfg, &extractor)?;
                    notice(
                        Level::INFO,
                        &format!(
                            "watching {} ({:?})",
                            folder_cfg.path.display(),
                            folder_cfg.mode
                        ),
                    );
                    folder::watch(
                        &pipeline,
                        &mut store,
                        &folder_cfg,
                        &stop,
                        &mut |file, res| match res {
                            Ok(o) if json => {
                                let _ = print_json(&o);
                            }
                            Ok(o) => println!("{}", describe(&o)),
                            Err(e) => {
                                notice(Level::WARN, &format!("FAILED    {}: {e}", file.display()))
                            }
                        },
                    )?;
                    Ok(())
                },
            );
            Ok(())
        });
        handles.push(handle.context("starting a drop-folder watcher")?);
    }
    if !cfg.mailboxes.is_empty() {
        let cfg = cfg.clone();
        let stop = stop.clone();
        for m in &cfg.mailboxes {
            notice(
                Level::INFO,
                &format!(
                    "watching mailbox {} ({}:{}, folder {})",
                    m.name, m.host, m.port, m.folder
                ),
            );
        }
        let thread = std::thread::Builder::new().name("mailboxes".into());
        handles.push(thread.spawn(move || -> Result<()> {
            let events: Arc<dyn Fn(imap::MailEvent) + Send + Sync> =
                Arc::new(move |e| print_mail_event(&e, json));
            imap::run_blocking_with(&cfg, Some(extractor), stop, events)?;
            Ok(())
        })?);
    }
    for h in handles {
        match h.join() {
            Ok(r) => r?,
            Err(_) => bail!("a watcher thread crashed"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_mail_event(e: &imap::MailEvent, json: bool) {
    use imap::MailEvent as E;
    match e {
        E::Connected { mailbox } => notice(Level::INFO, &format!("mailbox {mailbox}: connected")),
        E::Disconnected {
            mailbox,
            error,
            retry_in,
        } => notice(
            Level::WARN,
            &format!(
                "mailbox {mailbox}: {error}; reconnecting in {:.1} s",
                retry_in.as_secs_f64()
            ),
        ),
        E::UidValidityChanged { mailbox, old, new } => notice(
            Level::WARN,
            &format!(
                "mailbox {mailbox}: UIDVALIDITY changed {old} -> {new}; rescanning (known messages are only moved)"
            ),
        ),
        E::Message {
            mailbox,
            uid,
            target,
            outcome,
            note,
        } => {
            let to = target.as_deref().unwrap_or("(left in place)");
            match outcome {
                Some(o) if json => {
                    let _ = print_json(&serde_json::json!({"mailbox": mailbox, "uid": uid,
                        "moved_to": target, "outcome": o}));
                }
                Some(o) => println!("{}\n          mailbox {mailbox} uid {uid} -> {to}", describe(o)),
                None if json => {
                    let _ = print_json(&serde_json::json!({"mailbox": mailbox, "uid": uid,
                        "moved_to": target, "note": note}));
                }
                None => println!(
                    "mailbox {mailbox} uid {uid} -> {to}: {}",
                    note.as_deref().unwrap_or("")
                ),
            }
        }
    }
}

fn cmd_review(cfg: &Config, action: &ReviewCmd, json: bool) -> Result<ExitCode> {
    let mut store = open_store(cfg)?;
    match action {
        ReviewCmd::List => {
            let rows = store.orders_in_state(OrderState::Review)?;
            if json {
                for r in &rows {
                    print_json(
                        &serde_json::json!({"order_id": r.id, "document_id": r.document_id,
                        "po_number": r.po_number, "customer_id": r.customer_id, "created_at": r.created_at,
                        "exceptions": r.check.exceptions.iter().map(|e| e.code.as_str()).collect::<Vec<_>>()}),
                    )?;
                }
            } else {
                println!(
                    "{:>6}  {:<18} {:<12} {:<20} exceptions",
                    "order", "po", "customer", "received"
                );
                for r in &rows {
                    println!(
                        "{:>6}  {:<18} {:<12} {:<20} {}",
                        r.id,
                        r.po_number.as_deref().unwrap_or("-"),
                        r.customer_id.as_deref().unwrap_or("-"),
                        r.created_at.get(..19).unwrap_or(&r.created_at),
                        r.check
                            .exceptions
                            .iter()
                            .map(|e| e.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                println!("{} order(s) in review", rows.len());
            }
        }
        ReviewCmd::Show { id } => {
            let row = store
                .order(*id)?
                .ok_or_else(|| anyhow::anyhow!("order {id} not found"))?;
            if json {
                print_json(&row)?;
            } else {
                let c = ContractOrder::from(&row.order);
                println!(
                    "order {} (document {}), state {}, version {}",
                    row.id,
                    row.document_id,
                    row.state.as_str(),
                    row.version
                );
                println!(
                    "  PO {}  date {}  buyer {}  customer {}",
                    c.po_number.as_deref().unwrap_or("-"),
                    c.order_date.as_deref().unwrap_or("-"),
                    c.buyer.as_deref().unwrap_or("-"),
                    row.customer_id.as_deref().unwrap_or("-")
                );
                println!(
                    "  currency {}  total {}",
                    c.currency.as_deref().unwrap_or("-"),
                    c.total.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
                );
                for (l, m) in c.lines.iter().zip(
                    row.check
                        .lines
                        .iter()
                        .map(Some)
                        .chain(std::iter::repeat(None)),
                ) {
                    println!(
                        "  {:>3}. {:<16} qty {:>8} {:<4} @ {:>10}  = {:>10}  {} -> {}",
                        m.map(|m| m.line_no).unwrap_or(0),
                        l.sku.as_deref().unwrap_or("-"),
                        l.quantity
                            .map(|q| q.to_string())
                            .unwrap_or_else(|| "-".into()),
                        l.uom.as_deref().unwrap_or(""),
                        l.unit_price
                            .map(|q| q.to_string())
                            .unwrap_or_else(|| "-".into()),
                        l.amount
                            .map(|q| q.to_string())
                            .unwrap_or_else(|| "-".into()),
                        l.description.as_deref().unwrap_or(""),
                        m.and_then(|m| m.matched_sku.clone())
                            .unwrap_or_else(|| "unmatched".into())
                    );
                }
                for e in &row.check.exceptions {
                    let line = e
                        .line
                        .map(|l| format!("line {l}"))
                        .unwrap_or_else(|| "header".into());
                    print!("  ! {} [{line}] {}", e.code.as_str(), e.message);
                    if let Some(s) = &e.suggestion {
                        print!("  (suggest {} = {}: {})", s.field, s.value, s.label);
                    }
                    println!();
                }
            }
        }
        ReviewCmd::Approve {
            id,
            user,
            force,
            order,
        } => {
            let edited = match order {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let c: ContractOrder = serde_json::from_str(&text).with_context(|| {
                        format!(
                            "{} is not an order of the extraction contract",
                            path.display()
                        )
                    })?;
                    Some(c.to_order())
                }
                None => None,
            };
            let done = match approve::approve(&mut store, cfg, user, *id, None, edited, *force) {
                Ok(d) => d,
                Err(approve::ApproveError::Store(e)) => return Err(e.into()),
                Err(e) => return Err(Exit::Rejected(e.to_string()).into()),
            };
            if json {
                print_json(&done)?;
            } else {
                let learned = done
                    .layout
                    .map(|l| format!("; layout {l} learned"))
                    .unwrap_or_default();
                println!("order {id} approved and queued for delivery{learned}");
            }
        }
        ReviewCmd::Parked => {
            let parked = store.parked_deliveries()?;
            if json {
                for p in &parked {
                    print_json(p)?;
                }
            } else {
                println!(
                    "{:>6}  {:>8}  {:>6}  last error",
                    "order", "attempts", "status"
                );
                for p in &parked {
                    println!(
                        "{:>6}  {:>8}  {:>6}  {}",
                        p.order_id,
                        p.attempts,
                        p.last_status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                        p.last_error.as_deref().unwrap_or("")
                    );
                }
                println!("{} parked deliver(ies)", parked.len());
            }
        }
        ReviewCmd::Retry { id, user } => {
            store.retry_delivery(*id, user)?;
            println!("order {id}: delivery queued again");
        }
        ReviewCmd::Delivered { id, user } => {
            store.mark_delivered_by_hand(*id, user)?;
            println!("order {id}: marked as delivered by hand");
        }
        ReviewCmd::Reject { id, reason, user } => {
            store.reject_order(*id, None, user, reason)?;
            println!("order {id} rejected");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_layouts(cfg: &Config, action: &LayoutsCmd, json: bool) -> Result<ExitCode> {
    let mut store = open_store(cfg)?;
    match action {
        LayoutsCmd::List => {
            let rows = store.all_layouts()?;
            if json {
                for r in &rows {
                    print_json(r)?;
                }
            } else {
                println!(
                    "{:>4}  {:<12} {:<32} {:>6}  {:<12} {:<10} {:>5}",
                    "id", "customer", "sender", "order", "approved by", "learned", "uses"
                );
                for r in &rows {
                    println!(
                        "{:>4}  {:<12} {:<32} {:>6}  {:<12} {:<10} {:>5}",
                        r.id,
                        r.customer_id.as_deref().unwrap_or("-"),
                        r.sender.as_deref().unwrap_or("-"),
                        r.order_id,
                        r.approved_by,
                        r.learned_at.get(..10).unwrap_or(&r.learned_at),
                        r.uses
                    );
                }
                println!("{} layout(s)", rows.len());
            }
        }
        LayoutsCmd::Show { id } => {
            let row = store.layout(*id)?.ok_or(StoreError::NotFound {
                what: "layout",
                id: *id,
            })?;
            let layout = approve::parse(&row);
            if json {
                print_json(&serde_json::json!({"layout": row, "read": layout}))?;
            } else {
                println!(
                    "layout {} of customer {} (sender {}), learned from order #{} approved by {} on {}; used {} time(s)",
                    row.id,
                    row.customer_id.as_deref().unwrap_or("-"),
                    row.sender.as_deref().unwrap_or("-"),
                    row.order_id,
                    row.approved_by,
                    row.learned_at,
                    row.uses
                );
                let Some(l) = layout else {
                    println!("  (stored by another version; forget it and approve again)");
                    return Ok(ExitCode::SUCCESS);
                };
                println!("  {} static word(s) identify it", l.fingerprint.len());
                for f in &l.fields {
                    let at = if f.label.is_empty() {
                        "its place on the page".to_string()
                    } else {
                        format!("label '{}'", f.label.join(" "))
                    };
                    let below = if f.below_table {
                        ", below the items"
                    } else {
                        ""
                    };
                    println!("  {:<11} page {} after {at}{below}", f.field, f.page);
                }
                if let Some(t) = &l.table {
                    let head: Vec<&str> = t.header.iter().map(|a| a.text.as_str()).collect();
                    println!("  items under '{}':", head.join(" "));
                    for c in &t.columns {
                        println!(
                            "    {:>7.1}-{:<7.1} {}",
                            c.x0,
                            c.x1,
                            c.field.as_deref().unwrap_or("(not read)")
                        );
                    }
                }
            }
        }
        LayoutsCmd::Match { file } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let parsed = parse::parse(&bytes, &file_name(file), &cfg.limits)?;
            let doc = po_intake::learn::part_doc(&parsed, None)
                .context("the file has no words to match")?;
            for row in store.all_layouts()? {
                let Some(l) = approve::parse(&row) else {
                    continue;
                };
                let missing = po_intake::learn::missing(&l, &doc);
                let score = po_intake::learn::score(&l, &doc);
                let applied = po_intake::learn::overlay(&l, &doc, &Default::default());
                if json {
                    print_json(
                        &serde_json::json!({"layout": row.id, "customer_id": row.customer_id,
                        "score": score, "missing": missing, "read": applied.read, "changed": applied.changed,
                        "order": ContractOrder::from(&applied.order)}),
                    )?;
                } else {
                    println!(
                        "layout {:>4} ({}): {:.0}% in place; would read {}; changed {}; missing: {}",
                        row.id,
                        row.customer_id.as_deref().unwrap_or("-"),
                        score * 100.0,
                        applied.read.join(","),
                        applied.changed.join(","),
                        missing.join(" ")
                    );
                }
            }
        }
        LayoutsCmd::Forget { id, user } => {
            let row = store.forget_layout(*id, user)?;
            println!(
                "layout {id} (customer {}, learned from order #{}) forgotten",
                row.customer_id.as_deref().unwrap_or("-"),
                row.order_id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_serve(cfg: &Config, listen: Option<&str>) -> Result<ExitCode> {
    let addr: std::net::SocketAddr =
        listen.unwrap_or(&cfg.web.listen).parse().with_context(|| {
            format!(
                "--listen {:?} is not an address like 127.0.0.1:8080",
                listen
            )
        })?;
    drop(open_store(cfg)?);
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        // Approved orders are delivered while the UI runs (supervised: restarted if it stops).
        tokio::spawn(supervised_delivery_worker(cfg));
        spawn_ack_sender(cfg);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let bound = listener.local_addr().unwrap_or(addr);
        notice(
            Level::INFO,
            &format!("po-intake: reviewer UI on http://{bound}/"),
        );
        po_intake::web::serve(listener, cfg.clone())
            .await
            .context("serving the web UI")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_user_add(cfg: &Config, name: &str) -> Result<ExitCode> {
    let password = match std::env::var("PO_INTAKE_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                eprint!("password for {name}: ");
            }
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.is_empty() {
        bail!("no password: set PO_INTAKE_PASSWORD or pipe it on stdin");
    }
    let mut store = open_store(cfg)?;
    let user = store.upsert_user(name, &password)?;
    println!("reviewer '{}' can log in now", user.name);
    Ok(ExitCode::SUCCESS)
}

fn cmd_token(cfg: &Config, action: &TokenCmd, json: bool) -> Result<ExitCode> {
    let mut store = open_store(cfg)?;
    match action {
        TokenCmd::Add { name } => {
            let token = store.add_api_token(name)?;
            if json {
                print_json(&serde_json::json!({ "name": name.trim(), "token": token }))?;
            } else {
                println!("{token}");
                notice(
                    Level::INFO,
                    &format!(
                        "token '{}' made; it is shown only this once (send it as Authorization: Bearer)",
                        name.trim()
                    ),
                );
            }
        }
        TokenCmd::Revoke { name } => {
            if !store.revoke_api_token(name)? {
                bail!("no token named '{name}'");
            }
            println!("token '{name}' revoked");
        }
        TokenCmd::List => {
            let tokens = store.api_tokens()?;
            if json {
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|(n, c, u)| serde_json::json!({"name": n, "created_at": c, "last_used_at": u}))
                    .collect();
                print_json(&rows)?;
            } else {
                for (n, c, u) in &tokens {
                    println!(
                        "{n:<24} made {c}  last used {}",
                        u.as_deref().unwrap_or("never")
                    );
                }
                println!("{} token(s)", tokens.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_catalog_import(cfg: &Config, dir: &Path, json: bool) -> Result<ExitCode> {
    let mut store = open_store(cfg)?;
    match store.import_master(dir) {
        Ok(report) => {
            if json {
                print_json(&report)?;
            } else {
                println!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
        // Bad rows are a problem with the input: listed, nothing imported, exit 3.
        Err(e) if e.bad_rows().is_some() => Err(Exit::Rejected(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

fn cmd_check(cfg: &Config, file: &Path, sender: Option<&str>) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let ex: Extraction = serde_json::from_str(&text)
        .with_context(|| format!("{} is not extraction JSON", file.display()))?;
    let store = open_store(cfg)?;
    let master = store.load_master()?;
    for co in &ex.orders {
        let order = co.to_order();
        let dup = |p: &rules::DuplicateProbe<'_>| {
            store
                .find_duplicate(p, None)
                .map_err(|e| format!("store error: {e}"))
        };
        let ctx = CheckContext {
            sender,
            is_duplicate: &dup,
        };
        let res = rules::check(&order, &ctx, &master, &cfg.rules);
        print_json(&serde_json::json!({
            "po_number": co.po_number,
            "decision": res.decision().as_str(),
            "customer_id": res.customer_id,
            "exceptions": res.exceptions,
            "lines": res.lines,
        }))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_status(cfg: &Config, json: bool) -> Result<ExitCode> {
    let store = open_store(cfg)?;
    let docs = store.document_counts()?;
    let orders = store.order_counts()?;
    let exceptions = store.exception_counts()?;
    let mailboxes = store.mailbox_summaries()?;
    let workers = store.worker_health()?;
    if json {
        let m = |v: &[(String, i64)]| {
            v.iter()
                .cloned()
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        print_json(
            &serde_json::json!({"documents": m(&docs), "orders": m(&orders), "open_exceptions": m(&exceptions),
                "outbox": store.outbox_counts()?, "mailboxes": mailboxes, "workers": workers}),
        )?;
    } else {
        println!("store: {}", cfg.data_dir.display());
        println!("documents:");
        for (k, v) in &docs {
            println!("  {k:<16} {v:>6}");
        }
        println!("orders:");
        for (k, v) in &orders {
            println!("  {k:<16} {v:>6}");
        }
        let ob = store.outbox_counts()?;
        println!("outbox:");
        println!(
            "  pending          {:>6}   (of which retrying: {})",
            ob.pending, ob.retrying
        );
        println!("  delivered        {:>6}", ob.delivered);
        println!("  delivery_failed  {:>6}", ob.delivery_failed);
        if let Some(t) = &ob.oldest_pending_at {
            println!("  oldest pending since {t}");
        }
        if !exceptions.is_empty() {
            println!("open exceptions (orders in review):");
            for (k, v) in &exceptions {
                println!("  {k:<20} {v:>6}");
            }
        }
        if !mailboxes.is_empty() {
            println!("mailboxes:");
            for mb in &mailboxes {
                let h = &mb.health;
                println!(
                    "  {}: {} (as of {}), last sync {}, handled {}, pending move {}, failed {}",
                    mb.mailbox,
                    if h.connected {
                        "connected"
                    } else {
                        "NOT connected"
                    },
                    mb.updated_at,
                    h.last_sync.as_deref().unwrap_or("never"),
                    mb.handled,
                    mb.pending,
                    mb.failed
                );
                if let (Some(e), Some(at)) = (&h.last_error, &h.last_error_at) {
                    println!("      last error at {at}: {e}");
                }
            }
        }
        if !workers.is_empty() {
            println!("worker restarts (after a panic or an error exit):");
            for w in &workers {
                println!(
                    "  {:<20} {:>6}   last at {}: {}",
                    w.worker,
                    w.restarts,
                    w.last_restart_at,
                    w.last_error.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_stats(cfg: &Config, json: bool) -> Result<ExitCode> {
    let store = open_store(cfg)?;
    let customers = store.customer_stats()?;
    if json {
        print_json(&serde_json::json!({ "customers": customers }))?;
    } else if customers.is_empty() {
        println!("no orders yet");
    } else {
        print!("{}", po_intake::store::customer_table(&customers));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_eval(cfg: &Config, docs: &Path, gold: &Path, json: bool) -> Result<ExitCode> {
    let extractor = Extractor::from_config(&cfg.extract)?;
    let started = Instant::now();
    let report = po_intake::eval::evaluate_dir(docs, gold, cfg, &extractor)?;
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["model_version"] = extractor.version().into();
        v["header_f1"] = report.header_total.f1().into();
        v["lines_f1"] = report.lines_total.f1().into();
        v["exact_share"] = report.exact_share().into();
        v["seconds"] = started.elapsed().as_secs_f64().into();
        print_json(&v)?;
    } else {
        println!("model: {}", extractor.version());
        print!("{}", report.render());
        println!("({:.2} s)", started.elapsed().as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_backup(cfg: &Config, dest: &Path, json: bool) -> Result<ExitCode> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(dest, &cfg.data_dir) {
        bail!("{} is the data folder itself", dest.display());
    }
    let store = open_store(cfg)?;
    let report = store
        .backup_to(dest)
        .with_context(|| format!("backing up to {}", dest.display()))?;
    if json {
        print_json(&report)?;
    } else {
        println!(
            "backed up to {}: database {} bytes, {} originals copied ({} already there)",
            dest.display(),
            report.database_bytes,
            report.archive_copied,
            report.archive_kept
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_push(cfg: &Config, json: bool) -> Result<ExitCode> {
    // Make sure the store exists and is migrated before the delivery loop opens it.
    drop(open_store(cfg)?);
    let report = po_intake::oms::push_once_blocking(&cfg.data_dir, &cfg.oms)?;
    let acks = po_intake::ack::run_once(&mut open_store(cfg)?, &cfg.acknowledgements)?;
    if json {
        print_json(&report)?;
        if cfg.acknowledgements.enabled {
            print_json(&serde_json::json!({ "acknowledgements": acks }))?;
        }
    } else {
        println!("{report}");
        if cfg.acknowledgements.enabled {
            println!(
                "acknowledgements: {} sent, {} failed (tried again later)",
                acks.sent, acks.failed
            );
        }
    }
    Ok(if report.parked > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// The OMS delivery worker under supervision: a panic or an error exit (the store could not
/// be opened, the database thread died) is logged at ERROR, counted in the store and followed
/// by a restart with capped exponential backoff. It never returns on its own.
fn supervised_delivery_worker(cfg: &Config) -> impl std::future::Future<Output = ()> + Send {
    let (data_dir, oms) = (cfg.data_dir.clone(), cfg.oms.clone());
    let make = {
        let data_dir = data_dir.clone();
        move || {
            let (d, o) = (data_dir.clone(), oms.clone());
            async move {
                po_intake::oms::run_worker(d, o, std::future::pending::<()>())
                    .await
                    .map(|_| ())
            }
        }
    };
    po_intake::supervise::supervise(
        "oms-delivery".to_string(),
        data_dir,
        po_intake::supervise::Backoff::default(),
        make,
    )
}

/// Send acknowledgements every few seconds for the life of the process (serve, watch), when
/// they are enabled; a failed round is logged and the next one tries again.
fn spawn_ack_sender(cfg: &Config) {
    if !cfg.acknowledgements.enabled {
        return;
    }
    let cfg = cfg.clone();
    let spawned = std::thread::Builder::new()
        .name("acknowledgements".into())
        .spawn(move || loop {
            let round = po_intake::store::Store::open(&cfg.data_dir)
                .map_err(po_intake::ack::AckError::from)
                .and_then(|mut store| po_intake::ack::run_once(&mut store, &cfg.acknowledgements));
            if let Err(e) = round {
                tracing::error!(error = %e, "acknowledgements: the round failed");
            }
            std::thread::sleep(std::time::Duration::from_secs(5));
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "acknowledgements: cannot start the sender thread");
    }
}

/// Run the OMS delivery worker on its own thread for the life of the process (watch).
fn spawn_delivery_worker(cfg: &Config) -> Result<std::thread::JoinHandle<()>> {
    let worker = supervised_delivery_worker(cfg);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("oms-delivery")
        .enable_all()
        .build()
        .context("starting the delivery worker's runtime")?;
    std::thread::Builder::new()
        .name("oms-delivery".into())
        .spawn(move || rt.block_on(worker))
        .context("starting the delivery worker's thread")
}
