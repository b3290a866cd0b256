//! A small incremental parser of server-sent events (`text/event-stream`).
//!
//! Feed it the body chunks as they arrive ([`SseParser::push`]); it returns each complete
//! event. It follows the WHATWG rules the Windmill server relies on: lines end with `\n`,
//! `\r\n` or `\r`; a blank line ends an event; `data:` lines are joined with `\n`; one space
//! after the colon is dropped; lines starting with `:` are comments; `event:` and `id:` are
//! kept; other fields are ignored; an event without data is not dispatched.
//!
//! ```
//! use wmill_http::sse::SseParser;
//!
//! let mut p = SseParser::new();
//! assert!(p.push(b"data: {\"type\":").is_empty()); // incomplete
//! let events = p.push(b"\"ping\"}\n\n: comment\n\ndata: a\ndata: b\n\n");
//! assert_eq!(events.len(), 2);
//! assert_eq!(events[0].data, "{\"type\":\"ping\"}");
//! assert_eq!(events[1].data, "a\nb");
//! ```

/// One event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
}

/// The incremental parser. See the [module docs](self).
#[derive(Debug, Default, Clone)]
pub struct SseParser {
    /// Bytes of an incomplete line.
    pending: Vec<u8>,
    /// The event being assembled.
    current: SseEvent,
    /// Whether a `data:` field was seen in the current event.
    has_data: bool,
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    skip_lf: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held for the line and the event not complete yet (what a stream that never ends
    /// a line would grow).
    pub fn buffered(&self) -> usize {
        self.pending.len() + self.current.data.len()
    }

    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if chunk.is_empty() {
            // Nothing to read, and a `\r` at the end of the previous chunk may still be
            // followed by the `\n` that belongs to it.
            return out;
        }
        let mut bytes = chunk;
        if self.skip_lf {
            self.skip_lf = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                self.pending.extend_from_slice(&bytes[start..i]);
                let line = std::mem::take(&mut self.pending);
                self.line(&line, &mut out);
                if b == b'\r' {
                    if i + 1 < bytes.len() {
                        if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    } else {
                        self.skip_lf = true;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.pending
            .extend_from_slice(&bytes[start.min(bytes.len())..]);
        out
    }

    /// Ends the stream: an unterminated last line and an event still being assembled are
    /// dropped (the format requires a line end, then a blank line, to dispatch).
    pub fn finish(&mut self) {
        self.pending.clear();
        self.current = SseEvent::default();
        self.has_data = false;
        self.skip_lf = false;
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                let mut ev = std::mem::take(&mut self.current);
                if ev.data.ends_with('\n') {
                    ev.data.pop();
                }
                out.push(ev);
            } else {
                self.current = SseEvent::default();
            }
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                self.current.data.push_str(value);
                self.current.data.push('\n');
                self.has_data = true;
            }
            "event" => self.current.event = Some(value.to_owned()),
            "id" => self.current.id = Some(value.to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
