//! The input format of the `answer` fuzz target: a mode byte, the answer's
//! headers one a line (with escapes), an empty line, the body.

use envoy_lambda_policy::core::host::Headers;

/// `\r`, `\n`, `\0`, `\\` escapes; other bytes as they are.
fn unescape(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'0') => out.push(0),
            Some(&c) => out.push(c),
            None => out.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One decoded input: the configuration, whether the call timed out, the answer.
pub struct Input {
    pub config: usize,
    pub timed_out: bool,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// The input format of the module documentation of `answer.rs`.
pub fn decode(data: &[u8]) -> Option<Input> {
    let (&mode, rest) = data.split_first()?;
    let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let headers = head
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            // The name ends at the first ':' after its first byte (`:status: 200`).
            let colon = 1 + line.get(1..)?.iter().position(|&b| b == b':')?;
            let value = &line[colon + 1..];
            let value = value.strip_prefix(b" ").unwrap_or(value);
            Some((unescape(&line[..colon]), unescape(value)))
        })
        .take(16)
        .collect();
    Some(Input {
        config: usize::from(mode % 4),
        timed_out: mode & 0x08 != 0,
        headers,
        body: body.to_vec(),
    })
}
