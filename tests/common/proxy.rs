//! A loopback HTTP proxy in front of moto that answers the first few requests of one kind with
//! an error AWS gives and moto cannot be made to give (an IAM role Redshift cannot see yet, an
//! unauthorised call, S3 throttling), and passes everything else through, one request per
//! connection.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An awsQuery (Redshift, IAM) error reply: HTTP 400 with `code` and `message`.
pub fn query_error(code: &str, message: &str) -> String {
    let xml = format!(
        "<ErrorResponse xmlns=\"http://redshift.amazonaws.com/doc/2012-12-01/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>injected-by-the-test</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{xml}",
        xml.len()
    )
}

/// An S3 error reply: `503 SlowDown` (S3's throttling) or `500 InternalError`.
pub fn s3_error(status: u16) -> String {
    let (code, reason) = if status == 503 {
        ("SlowDown", "Slow Down")
    } else {
        ("InternalError", "Internal Server Error")
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>injected by the test</Message></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        xml.len()
    )
}

/// Which requests the proxy may answer itself, by request head and body.
pub type Matcher = Arc<dyn Fn(&str, &[u8]) -> bool + Send + Sync>;

/// The proxy's address, and how many requests whose body contains `marker` reached it. The
/// first `fail_first` of those get `answer`; the rest go to `upstream`.
pub fn injecting(
    upstream: &str,
    marker: &'static str,
    fail_first: usize,
    answer: String,
) -> (String, Arc<AtomicUsize>) {
    let matches: Matcher =
        Arc::new(move |_head, body| String::from_utf8_lossy(body).contains(marker));
    injecting_when(upstream, matches, fail_first, answer)
}

/// [`injecting`] for the requests `matches` picks.
pub fn injecting_when(
    upstream: &str,
    matches: Matcher,
    fail_first: usize,
    answer: String,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = upstream.trim_start_matches("http://").to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let upstream = upstream.clone();
            let counter = counter.clone();
            let answer = answer.clone();
            let matches = matches.clone();
            std::thread::spawn(move || {
                let Some((head, body)) = read_request(&mut client) else {
                    return;
                };
                let marked = matches(&head, &body);
                if marked && counter.fetch_add(1, Ordering::SeqCst) < fail_first {
                    let _ = client.write_all(answer.as_bytes());
                    return;
                }
                let mut lines: Vec<&str> = head
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .collect();
                lines.insert(1, "Connection: close");
                let Ok(mut server) = TcpStream::connect(&upstream) else {
                    return;
                };
                let _ = server.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes());
                let _ = server.write_all(&body);
                let mut reply = Vec::new();
                let _ = server.read_to_end(&mut reply);
                let _ = client.write_all(&reply);
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// The request head (up to the blank line, without it) and its body.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
    };
    let head = String::from_utf8_lossy(&data[..end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = data[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some((head, body))
}
