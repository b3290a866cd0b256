//! Excerpts of bodies in errors: the one truncation rule and its limits.

/// The longest excerpt of a server's answer an error keeps ([`Error::Api`](super::Error::Api),
/// [`Error::Unauthorized`](super::Error::Unauthorized)), in bytes.
pub const MAX_ERROR_BODY: usize = 500;

/// The longest excerpt of a body a [`Error::Decode`](super::Error::Decode) keeps, in bytes.
pub const MAX_DECODE_EXCERPT: usize = 200;

/// Truncates `text` to at most `max` bytes on a char boundary, marking the cut with `…`: the
/// one rule every excerpt of this workspace follows.
///
/// ```
/// let mut text = String::from("héllo");
/// wmill_core::truncate_in_place(&mut text, 2);
/// assert_eq!(text, "h…");
/// ```
pub fn truncate_in_place(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
}

/// The first `max` bytes of `body` as text (lossy), cut on a char boundary and marked with `…`
/// when cut ([`truncate_in_place`]). Only the head of a large body is converted.
///
/// ```
/// assert_eq!(wmill_core::excerpt(b"abcd", 3), "abc…");
/// assert_eq!(wmill_core::excerpt(b"abc", 3), "abc");
/// ```
pub fn excerpt(body: &[u8], max: usize) -> String {
    // A cut body still gives more than `max` bytes of text (a lossy conversion never shrinks),
    // so the cut is marked.
    let head = &body[..body.len().min(max.saturating_add(4))];
    let mut text = String::from_utf8_lossy(head).into_owned();
    truncate_in_place(&mut text, max);
    text
}
