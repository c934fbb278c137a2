//! Issue 22 item 4: a parse that runs past its time budget must not leave its worker thread
//! running on: the email walk checks the budget between parts. (A test binary of its own: it
//! counts this process's parse threads, which other tests would add to.)

use std::time::{Duration, Instant};

use po_intake::parse::{parse, Limits};

/// Threads of this process whose name starts with the parse workers' prefix (Linux truncates
/// thread names to 15 bytes: "po-intake-parse").
fn parse_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_to_string(e.path().join("comm"))
                        .is_ok_and(|c| c.starts_with("po-intake-parse"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// An email with `n` text attachments of `size` bytes of words each.
fn many_attachments(n: usize, size: usize) -> Vec<u8> {
    let line = "10 AB-100 Widget blue steel 4.50 45.00\r\n";
    let text = line.repeat(size / line.len());
    let mut out = String::from(
        "From: a@example.com\r\nSubject: many\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nsee attached\r\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "--b\r\nContent-Type: text/plain; name=\"po{i}.txt\"\r\n\
             Content-Disposition: attachment; filename=\"po{i}.txt\"\r\n\r\n{text}"
        ));
    }
    out.push_str("--b--\r\n");
    out.into_bytes()
}

#[test]
fn a_timed_out_email_parse_stops_its_worker() {
    let mail = many_attachments(150, 200_000);
    let limits = Limits {
        time_budget_ms: 200,
        max_words: usize::MAX,
        ..Limits::default()
    };
    let started = Instant::now();
    let err = parse(&mail, "many.eml", &limits).expect_err("over the budget");
    assert_eq!(err.code(), "timeout", "{err}");
    // The caller got its answer at the deadline; the worker must stop soon after (it checks
    // between parts) rather than read every remaining attachment.
    let deadline = Instant::now() + Duration::from_secs(3);
    while parse_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        parse_threads(),
        0,
        "a worker still runs {:?} after the parse started",
        started.elapsed()
    );
}
