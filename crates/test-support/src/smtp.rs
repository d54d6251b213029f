//! A mail server for tests: it speaks enough SMTP on 127.0.0.1 for a real client to deliver
//! to it, keeps what it receives, and can be told to refuse (a mail server that is down).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message, headers and body, as sent.
    pub data: String,
}

impl Received {
    /// A header's value, with RFC 2047 encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        // Unfold continuation lines first.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| decode_words(l[prefix.len()..].trim()))
    }

    /// The body as text, decoded from base64 or quoted-printable.
    pub fn text(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .trim_end_matches("\r\n.\r\n");
        match self
            .header("Content-Transfer-Encoding")
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("base64") => String::from_utf8_lossy(&base64(body)).into_owned(),
            Some("quoted-printable") => {
                String::from_utf8_lossy(&quoted_printable(body)).into_owned()
            }
            _ => body.to_owned(),
        }
    }
}

/// The server; it stops when dropped.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT`, for a client's URL.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
    /// Milliseconds the server takes to accept each message.
    delay_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let refusing = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (r, f, d) = (received.clone(), refusing.clone(), delay_ms.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (r, f, d) = (r.clone(), f.clone(), d.clone());
                tokio::spawn(async move {
                    let _ = session(stream, r, f, d).await;
                });
            }
        });
        Self {
            url,
            received,
            refusing,
            delay_ms,
            task,
        }
    }

    /// Makes the server answer every message with a temporary failure (or stop doing so).
    pub fn refuse(&self, refuse: bool) {
        self.refusing.store(refuse, Ordering::SeqCst);
    }

    /// Makes the server take `per_message` to accept each message, as a loaded server
    /// does.
    pub fn slow(&self, per_message: std::time::Duration) {
        let ms = u64::try_from(per_message.as_millis()).unwrap_or(u64::MAX);
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") || command.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM") {
            if refusing.load(Ordering::SeqCst) {
                b"421 sink is refusing mail\r\n"
            } else {
                to.clear();
                b"250 OK\r\n"
            }
        } else if command.starts_with("RCPT TO") {
            let address = line.trim_end()[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            to.push(address);
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let delay = delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            received.lock().expect("lock").push(Received {
                to: std::mem::take(&mut to),
                data,
            });
            b"250 OK queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 OK\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// Decodes `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words, joining adjacent ones.
fn decode_words(value: &str) -> String {
    let mut out = Vec::new();
    for word in value.split(' ') {
        let lower = word.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("=?utf-8?")
            && word.ends_with("?=")
            && rest.len() > 4
        {
            let payload = &word[10..word.len() - 2];
            if rest.starts_with("b?") {
                out.extend(base64(payload));
            } else {
                out.extend(quoted_printable(&payload.replace('_', " ")));
            }
            continue;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend(word.as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len() + 1
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..(i + 3).min(bytes.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
