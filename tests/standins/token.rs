//! Opaque continuation tokens (cursors, S3's `NextContinuationToken`): URL-safe base64 of a
//! tagged text, so clients cannot read or forge them by accident.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The token of `value` under `tag`.
pub(super) fn seal(tag: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{value}"))
}

/// The value a token sealed under `tag`; `None` for anything else.
pub(super) fn open(tag: &str, token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(tag)?
        .strip_prefix(':')
        .map(str::to_string)
}
