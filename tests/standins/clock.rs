//! Time as servers write it: RFC 3339 with milliseconds, HTTP dates, epoch numbers, and the
//! second-resolution times of file systems and Eve.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `2026-01-02T03:04:05.678Z`.
pub(super) fn rfc3339_millis(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// `2026-01-02T03:04:05Z` (S3's `LastModified` has `.000Z`; see [`rfc3339_s3`]).
pub(super) fn rfc3339_seconds(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// `2026-01-02T03:04:05.000Z`, as S3 lists times.
pub(super) fn rfc3339_s3(time: SystemTime) -> String {
    rfc3339_millis(to_second(time))
}

/// `Fri, 02 Jan 2026 03:04:05 GMT` (`Last-Modified`, Eve's `_updated`).
pub(super) fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// Milliseconds since the epoch.
pub(super) fn epoch_millis(time: SystemTime) -> u64 {
    since_epoch(time).as_millis().try_into().unwrap_or(u64::MAX)
}

/// Whole seconds since the epoch.
pub(super) fn epoch_seconds(time: SystemTime) -> u64 {
    since_epoch(time).as_secs()
}

/// The time truncated to its second (file-system mtimes as nginx reports them).
pub(super) fn to_second(time: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch_seconds(time))
}

fn since_epoch(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}
