//! The planted bugs: their names and descriptions, and the set of bugs a demo server runs with.

use std::fmt;
use std::str::FromStr;

use crate::model::check::CheckId;

/// A realistic defect the demo API can be switched to exhibit (`--bug NAME`).
///
/// The clean API (no bugs) has none of these behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// `merge-put`: PUT on an existing thing merges: members the body omits survive (partial-put).
    MergePut,
    /// `put-counter`: every PUT on a thing, even an identical one, bumps a visible `revision`
    /// member (repeat-put).
    PutCounter,
    /// `delete-500`: DELETE of an already deleted thing answers 500 instead of 404 (repeat-delete).
    Delete500,
    /// `resurrect`: PUT after DELETE revives the deleted thing's old members under the new ones
    /// (put-after-delete).
    Resurrect,
    /// `delete-other`: DELETE of a thing also removes the thing whose id sorts right after it
    /// (repeat-delete).
    DeleteOther,
    /// `get-counter`: every GET of a thing bumps a visible `views` member (get-safety).
    GetCounter,
    /// `get-or-create`: GET of a missing thing creates it empty and answers 200 (get-safety,
    /// use-after-delete).
    GetOrCreate,
    /// `stale-read`: DELETE does not invalidate the read cache: GET and HEAD still answer 200
    /// (use-after-delete).
    StaleRead,
    /// `post-key-ignored`: POST ignores Idempotency-Key: a retry with the same key creates a
    /// duplicate (post-retry).
    PostKeyIgnored,
    /// `head-mismatch`: HEAD of a thing omits ETag and says Content-Type: text/plain, unlike GET
    /// (head-parity).
    HeadMismatch,
    /// `put-create-200`: PUT that creates a thing answers 200 instead of 201 (status-conformance).
    PutCreate200,
    /// `no-allow`: 405 answers carry no Allow header (status-conformance).
    NoAllow,
    /// `lamp-unbreak`: PUT ON/OFF to a BROKEN lamp succeeds and overwrites the system's state
    /// (lamps script).
    LampUnbreak,
    /// `reboot-repeat`: every accepted device PUT reboots, so a retried reboot reboots again
    /// (devices script).
    RebootRepeat,
    /// `put-race`: PUT to a new thing id checks, waits a 50 ms storage round trip, then inserts:
    /// concurrent PUTs insert duplicate rows (concurrent-put).
    PutRace,
    /// `key-race`: POST looks up the Idempotency-Key, then reserves it only after a 50 ms round
    /// trip: concurrent same-key POSTs all run (concurrent-post-key).
    KeyRace,
    /// `key-late-commit`: POST stores the Idempotency-Key only after its 50 ms of work, with no
    /// in-flight record: a quick retry runs again (lost-response-retry).
    KeyLateCommit,
    /// `ifmatch-ignored`: PUT and DELETE of things and notes ignore If-Match: stale writes
    /// overwrite (conditional-write, lost-update).
    IfMatchIgnored,
    /// `ifnonematch-ignored`: PUT of things and notes ignores If-None-Match: a create-only PUT
    /// overwrites (conditional-write).
    IfNoneMatchIgnored,
    /// `weak-etag-match`: If-Match on things and notes uses the weak comparison: W/ plus the
    /// current tag matches (conditional-write).
    WeakEtagMatch,
    /// `etag-churn`: a thing's ETag includes its write counter, so an identical PUT changes it
    /// (etag-stability).
    EtagChurn,
    /// `no-428`: notes require preconditions, yet accept an unconditional PUT instead of answering
    /// 428 (conditional-write).
    No428,
    /// `republish`: every PUT with content publishes a note again (`publications` grows), so a
    /// retried PUT repeats the side effect (post-put-creation).
    Republish,
    /// `post-put-merge`: PUT merges, but only on things created by POST (fuzz: POST, partial PUT).
    PostPutMerge,
    /// `tombstone-revive`: a GET of a deleted thing loads its tombstone into the cache; a later PUT
    /// revives the members it omits (fuzz: PUT, DELETE, GET, partial PUT).
    TombstoneRevive,
    /// `read-bump`: an identical PUT bumps a visible `version` when a GET came since the last write
    /// of an updated thing (fuzz: PUT, PUT, GET between, PUT).
    ReadBump,
}

impl Bug {
    /// Every bug, in the order they are listed.
    pub const ALL: &[Bug] = &[
        Bug::MergePut,
        Bug::PutCounter,
        Bug::Delete500,
        Bug::Resurrect,
        Bug::DeleteOther,
        Bug::GetCounter,
        Bug::GetOrCreate,
        Bug::StaleRead,
        Bug::PostKeyIgnored,
        Bug::HeadMismatch,
        Bug::PutCreate200,
        Bug::NoAllow,
        Bug::LampUnbreak,
        Bug::RebootRepeat,
        Bug::PutRace,
        Bug::KeyRace,
        Bug::KeyLateCommit,
        Bug::IfMatchIgnored,
        Bug::IfNoneMatchIgnored,
        Bug::WeakEtagMatch,
        Bug::EtagChurn,
        Bug::No428,
        Bug::Republish,
        Bug::PostPutMerge,
        Bug::TombstoneRevive,
        Bug::ReadBump,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Bug::MergePut => "merge-put",
            Bug::PutCounter => "put-counter",
            Bug::Delete500 => "delete-500",
            Bug::Resurrect => "resurrect",
            Bug::DeleteOther => "delete-other",
            Bug::GetCounter => "get-counter",
            Bug::GetOrCreate => "get-or-create",
            Bug::StaleRead => "stale-read",
            Bug::PostKeyIgnored => "post-key-ignored",
            Bug::HeadMismatch => "head-mismatch",
            Bug::PutCreate200 => "put-create-200",
            Bug::NoAllow => "no-allow",
            Bug::LampUnbreak => "lamp-unbreak",
            Bug::RebootRepeat => "reboot-repeat",
            Bug::PutRace => "put-race",
            Bug::KeyRace => "key-race",
            Bug::KeyLateCommit => "key-late-commit",
            Bug::IfMatchIgnored => "ifmatch-ignored",
            Bug::IfNoneMatchIgnored => "ifnonematch-ignored",
            Bug::WeakEtagMatch => "weak-etag-match",
            Bug::EtagChurn => "etag-churn",
            Bug::No428 => "no-428",
            Bug::Republish => "republish",
            Bug::PostPutMerge => "post-put-merge",
            Bug::TombstoneRevive => "tombstone-revive",
            Bug::ReadBump => "read-bump",
        }
    }

    /// One line: what the defect is, and which idemfuzz check should catch it.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Bug::MergePut => {
                "PUT on an existing thing merges: members the body omits survive (partial-put)"
            }
            Bug::PutCounter => {
                "every PUT on a thing, even an identical one, bumps a visible `revision` member (repeat-put)"
            }
            Bug::Delete500 => {
                "DELETE of an already deleted thing answers 500 instead of 404 (repeat-delete)"
            }
            Bug::Resurrect => {
                "PUT after DELETE revives the deleted thing's old members under the new ones (put-after-delete)"
            }
            Bug::DeleteOther => {
                "DELETE of a thing also removes the thing whose id sorts right after it (repeat-delete)"
            }
            Bug::GetCounter => "every GET of a thing bumps a visible `views` member (get-safety)",
            Bug::GetOrCreate => {
                "GET of a missing thing creates it empty and answers 200 (get-safety, use-after-delete)"
            }
            Bug::StaleRead => {
                "DELETE does not invalidate the read cache: GET and HEAD still answer 200 (use-after-delete)"
            }
            Bug::PostKeyIgnored => {
                "POST ignores Idempotency-Key: a retry with the same key creates a duplicate (post-retry)"
            }
            Bug::HeadMismatch => {
                "HEAD of a thing omits ETag and says Content-Type: text/plain, unlike GET (head-parity)"
            }
            Bug::PutCreate200 => {
                "PUT that creates a thing answers 200 instead of 201 (status-conformance)"
            }
            Bug::NoAllow => "405 answers carry no Allow header (status-conformance)",
            Bug::LampUnbreak => {
                "PUT ON/OFF to a BROKEN lamp succeeds and overwrites the system's state (lamps script)"
            }
            Bug::RebootRepeat => {
                "every accepted device PUT reboots, so a retried reboot reboots again (devices script)"
            }
            Bug::PutRace => {
                "PUT to a new thing id checks, waits a 50 ms storage round trip, then inserts: concurrent PUTs insert duplicate rows (concurrent-put)"
            }
            Bug::KeyRace => {
                "POST looks up the Idempotency-Key, then reserves it only after a 50 ms round trip: concurrent same-key POSTs all run (concurrent-post-key)"
            }
            Bug::KeyLateCommit => {
                "POST stores the Idempotency-Key only after its 50 ms of work, with no in-flight record: a quick retry runs again (lost-response-retry)"
            }
            Bug::IfMatchIgnored => {
                "PUT and DELETE of things and notes ignore If-Match: stale writes overwrite (conditional-write, lost-update)"
            }
            Bug::IfNoneMatchIgnored => {
                "PUT of things and notes ignores If-None-Match: a create-only PUT overwrites (conditional-write)"
            }
            Bug::WeakEtagMatch => {
                "If-Match on things and notes uses the weak comparison: W/ plus the current tag matches (conditional-write)"
            }
            Bug::EtagChurn => {
                "a thing's ETag includes its write counter, so an identical PUT changes it (etag-stability)"
            }
            Bug::No428 => {
                "notes require preconditions, yet accept an unconditional PUT instead of answering 428 (conditional-write)"
            }
            Bug::Republish => {
                "every PUT with content publishes a note again (`publications` grows), so a retried PUT repeats the side effect (post-put-creation)"
            }
            Bug::PostPutMerge => {
                "PUT merges, but only on things created by POST (fuzz: POST, partial PUT)"
            }
            Bug::TombstoneRevive => {
                "a GET of a deleted thing loads its tombstone into the cache; a later PUT revives the members it omits (fuzz: PUT, DELETE, GET, partial PUT)"
            }
            Bug::ReadBump => {
                "an identical PUT bumps a visible `version` when a GET came since the last write of an updated thing (fuzz: PUT, PUT, GET between, PUT)"
            }
        }
    }

    /// The checks whose findings show this bug (the ones its description names).
    pub(crate) fn caught_by(self) -> &'static [CheckId] {
        use CheckId as C;
        match self {
            Bug::MergePut => &[C::PartialPut],
            Bug::PutCounter => &[C::RepeatPut],
            Bug::Delete500 | Bug::DeleteOther => &[C::RepeatDelete],
            Bug::Resurrect => &[C::PutAfterDelete],
            Bug::GetCounter => &[C::GetSafety],
            Bug::GetOrCreate => &[C::GetSafety, C::UseAfterDelete],
            Bug::StaleRead => &[C::UseAfterDelete],
            Bug::PostKeyIgnored => &[C::PostRetry],
            Bug::HeadMismatch => &[C::HeadParity],
            Bug::PutCreate200 | Bug::NoAllow => &[C::StatusConformance],
            Bug::LampUnbreak | Bug::RebootRepeat => &[C::Script],
            Bug::PutRace => &[C::ConcurrentPut],
            Bug::KeyRace => &[C::ConcurrentPostKey],
            Bug::KeyLateCommit => &[C::LostResponseRetry],
            Bug::IfMatchIgnored => &[C::ConditionalWrite, C::LostUpdate],
            Bug::IfNoneMatchIgnored | Bug::WeakEtagMatch | Bug::No428 => &[C::ConditionalWrite],
            Bug::EtagChurn => &[C::EtagStability],
            Bug::Republish => &[C::PostPutCreation],
            Bug::PostPutMerge | Bug::TombstoneRevive | Bug::ReadBump => &[C::Fuzz],
        }
    }

    /// For a bug a script catches: the bundled scenario file that holds the script.
    pub(crate) fn script_file(self) -> Option<&'static str> {
        match self {
            Bug::LampUnbreak => Some("lamps.toml"),
            Bug::RebootRepeat => Some("devices.toml"),
            _ => None,
        }
    }

    /// Bugs no built-in check catches: only the sequence fuzzer (`--checks fuzz`) does.
    #[cfg(test)]
    pub(crate) fn sequence_only(self) -> bool {
        matches!(
            self,
            Bug::PostPutMerge | Bug::TombstoneRevive | Bug::ReadBump
        )
    }

    /// The bug's bit in a [`BugSet`] (64 bits: room for the bugs to come).
    fn bit(self) -> u64 {
        1 << (self as u64)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bug name that is not one of [`Bug::ALL`], with the list of known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bug `{name}`; known bugs: {known}")]
pub struct UnknownBug {
    pub(crate) name: String,
    pub(crate) known: String,
}

impl UnknownBug {
    fn new(name: &str) -> UnknownBug {
        let known: Vec<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
        UnknownBug {
            name: name.to_string(),
            known: known.join(", "),
        }
    }
}

impl FromStr for Bug {
    type Err = UnknownBug;

    fn from_str(s: &str) -> Result<Bug, UnknownBug> {
        let wanted = s.trim();
        Bug::ALL
            .iter()
            .copied()
            .find(|bug| bug.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownBug::new(wanted))
    }
}

/// The set of bugs a demo server runs with; empty means the correct API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u64);

impl BugSet {
    /// No bugs: the correct API.
    pub fn none() -> BugSet {
        BugSet(0)
    }

    /// Exactly one bug.
    #[cfg(test)]
    pub(crate) fn single(bug: Bug) -> BugSet {
        BugSet(bug.bit())
    }

    /// Adds a bug to the set.
    pub(crate) fn insert(&mut self, bug: Bug) {
        self.0 |= bug.bit();
    }

    /// True when the server runs with `bug`.
    pub(crate) fn contains(self, bug: Bug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// True when the set holds no bug.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bugs in the set, in [`Bug::ALL`] order.
    pub(crate) fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL
            .iter()
            .copied()
            .filter(move |bug| self.contains(*bug))
    }

    /// The names of the bugs in the set, in [`Bug::ALL`] order.
    pub(crate) fn names(self) -> Vec<&'static str> {
        self.iter().map(Bug::name).collect()
    }
}

impl FromIterator<Bug> for BugSet {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> BugSet {
        let mut set = BugSet::none();
        for bug in iter {
            set.insert(bug);
        }
        set
    }
}

impl fmt::Display for BugSet {
    /// A comma list of names, or `none`; parses back with [`BugSet::from_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&self.names().join(","))
        }
    }
}

impl FromStr for BugSet {
    type Err = UnknownBug;

    /// Parses a comma list of bug names; `none` (or an empty string) means no bug.
    fn from_str(s: &str) -> Result<BugSet, UnknownBug> {
        s.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty() && !item.eq_ignore_ascii_case("none"))
            .map(Bug::from_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_that_catch_a_bug_are_the_ones_its_description_names() {
        for bug in Bug::ALL.iter().copied() {
            let description = bug.description();
            for check in bug.caught_by() {
                let named = match check {
                    CheckId::Script => {
                        let file = bug.script_file().expect("a script bug names its file");
                        format!("({} script)", file.trim_end_matches(".toml"))
                    }
                    CheckId::Fuzz => "(fuzz:".to_string(),
                    check => check.name().to_string(),
                };
                assert!(
                    description.contains(&named),
                    "{bug}: {named} not in {description}"
                );
            }
            assert_eq!(
                bug.sequence_only(),
                bug.caught_by() == [CheckId::Fuzz],
                "{bug}"
            );
        }
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(*bug));
            assert!(!bug.description().is_empty());
        }
        let all: BugSet = Bug::ALL.iter().copied().collect();
        assert_eq!(all.names().len(), Bug::ALL.len());
    }

    #[test]
    fn unknown_bug_lists_the_known_ones() {
        let err = "nope".parse::<Bug>().unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("unknown bug `nope`; known bugs: merge-put, put-counter,"));
        assert!(message.ends_with("read-bump"));
    }

    #[test]
    fn parses_comma_lists_and_none() {
        assert_eq!("none".parse::<BugSet>(), Ok(BugSet::none()));
        assert_eq!("".parse::<BugSet>(), Ok(BugSet::none()));
        let set: BugSet = "merge-put, no-allow".parse().unwrap();
        assert!(set.contains(Bug::MergePut) && set.contains(Bug::NoAllow));
        assert!(!set.contains(Bug::PutCounter));
        assert_eq!(set.names(), vec!["merge-put", "no-allow"]);
        assert_eq!(set.to_string().parse::<BugSet>(), Ok(set));
        assert!("merge-put,bogus".parse::<BugSet>().is_err());
    }

    #[test]
    fn single_and_from_iter_agree() {
        let single = BugSet::single(Bug::StaleRead);
        assert_eq!(single, BugSet::from_iter([Bug::StaleRead]));
        assert_eq!(BugSet::none().to_string(), "none");
    }

    #[test]
    fn every_bug_has_a_bit_of_its_own() {
        assert!(Bug::ALL.len() <= 64, "BugSet is a u64 bitmask");
        let all: BugSet = Bug::ALL.iter().copied().collect();
        assert_eq!(all.0.count_ones() as usize, Bug::ALL.len());
    }
}
