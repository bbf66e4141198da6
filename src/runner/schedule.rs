//! Which case (or cleanup) starts next. Cases are grouped by the collection they work on: the
//! cases of one group share that collection, the cases of two groups share nothing. Each group
//! runs its cases in batches ([`batch::cut`]); once every case of a batch has finished, what
//! they created is deleted, and only then does the group's next batch start — so a cleanup
//! DELETE (which a buggy server may get wrong, e.g. by deleting a neighbour) never runs while a
//! case of the same collection is being judged. Groups do not wait for each other: while one
//! group finishes a batch or cleans up after it, the cases of the next groups fill the
//! concurrency, so resources and checks run side by side.
//!
//! Within a batch the longest cases start first (by an estimate of their length, see
//! [`crate::runner::execute`]), and the cleanups with the most to delete: a batch lasts as long
//! as its longest chain of requests, so a long case started last would leave the other workers
//! idle at its end.
//!
//! Pure bookkeeping, no I/O: the executor asks for the next task whenever fewer than
//! `--concurrency` run, and reports each one's end. The earliest group (in plan order) with
//! something to start goes first, so which cases run together depends only on the plan, the
//! concurrency and the order in which cases finish.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::ops::Range;

use crate::runner::batch;

/// Something to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    /// Run the case at this position of the plan's case list.
    Case(usize),
    /// Delete what the (finished) case at this position created.
    CleanUp(usize),
}

/// The tasks of a run, group by group and batch by batch.
#[derive(Debug)]
pub(crate) struct Schedule {
    groups: Vec<Group>,
    /// The group of each case.
    group_of: Vec<usize>,
}

#[derive(Debug)]
struct Group {
    /// Case positions of each batch, in plan order.
    batches: Vec<Vec<usize>>,
    /// The batch under way.
    current: usize,
    /// Cases of the current batch started so far.
    started: usize,
    /// Cases of the current batch that finished and created something to delete, with how
    /// many resources each created; sorted, most first, when the cleanups begin.
    to_clean: Vec<(usize, usize)>,
    /// The cleanups of the current batch, in the order they start.
    cleanups: VecDeque<usize>,
    /// Tasks of this group running now (cases, then cleanups).
    running: usize,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Cases,
    /// The batch's cases are all finished; its cleanups run.
    Cleaning,
    Done,
}

impl Schedule {
    /// `groups_of_cases[n]` is the group of case `n`, `units[n]` its unit (the cases of a unit
    /// are consecutive in the plan) and `lengths[n]` an estimate of its length (any measure
    /// that orders cases; ties keep plan order); groups are numbered from 0 in order of first
    /// appearance.
    pub(crate) fn new(
        groups_of_cases: &[usize],
        units: &[usize],
        lengths: &[usize],
        concurrency: usize,
    ) -> Schedule {
        let count = groups_of_cases.iter().max().map_or(0, |last| last + 1);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (case, &group) in groups_of_cases.iter().enumerate() {
            members[group].push(case);
        }
        let groups = members
            .into_iter()
            .map(|cases| {
                let group_units: Vec<usize> = cases.iter().map(|&case| units[case]).collect();
                let batches = batch::cut(&group_units, concurrency)
                    .into_iter()
                    .map(|range: Range<usize>| longest_first(&cases[range], lengths))
                    .collect();
                Group::new(batches)
            })
            .collect();
        Schedule {
            groups,
            group_of: groups_of_cases.to_vec(),
        }
    }

    /// The next task that may start now, or `None` until a running task ends (or for good).
    pub(crate) fn next(&mut self) -> Option<Task> {
        self.groups.iter_mut().find_map(Group::start)
    }

    /// Case `case` finished, leaving `created` resources to delete.
    pub(crate) fn case_done(&mut self, case: usize, created: usize) {
        if let Some(group) = self.group_of(case) {
            group.running -= 1;
            if created > 0 {
                group.to_clean.push((case, created));
            }
            group.settle();
        }
    }

    /// The cleanup of case `case` finished.
    pub(crate) fn cleanup_done(&mut self, case: usize) {
        if let Some(group) = self.group_of(case) {
            group.running -= 1;
            group.settle();
        }
    }

    /// True when every task has started and ended.
    pub(crate) fn finished(&self) -> bool {
        self.groups.iter().all(|group| group.phase == Phase::Done)
    }

    fn group_of(&mut self, case: usize) -> Option<&mut Group> {
        let group = *self.group_of.get(case)?;
        self.groups.get_mut(group)
    }
}

impl Group {
    fn new(batches: Vec<Vec<usize>>) -> Group {
        let mut group = Group {
            batches,
            current: 0,
            started: 0,
            to_clean: Vec::new(),
            cleanups: VecDeque::new(),
            running: 0,
            phase: Phase::Cases,
        };
        group.settle();
        group
    }

    fn batch(&self) -> Option<&Vec<usize>> {
        self.batches.get(self.current)
    }

    fn start(&mut self) -> Option<Task> {
        let task = match self.phase {
            Phase::Cases => {
                let case = *self.batch()?.get(self.started)?;
                self.started += 1;
                Task::Case(case)
            }
            Phase::Cleaning => Task::CleanUp(self.cleanups.pop_front()?),
            Phase::Done => return None,
        };
        self.running += 1;
        Some(task)
    }

    /// Moves on when the current step is complete: from a batch's cases to its cleanups, from
    /// its cleanups to the next batch (or to the end).
    fn settle(&mut self) {
        loop {
            let batch_len = self.batch().map_or(0, Vec::len);
            match self.phase {
                Phase::Cases if self.batch().is_none() => self.phase = Phase::Done,
                Phase::Cases if self.started == batch_len && self.running == 0 => {
                    // Most to delete first; a stable sort keeps plan order among equals.
                    self.to_clean
                        .sort_by_key(|&(case, created)| (Reverse(created), case));
                    self.cleanups = self.to_clean.drain(..).map(|(case, _)| case).collect();
                    self.phase = Phase::Cleaning;
                }
                Phase::Cleaning if self.cleanups.is_empty() && self.running == 0 => {
                    self.current += 1;
                    self.started = 0;
                    self.phase = Phase::Cases;
                }
                _ => return,
            }
        }
    }
}

/// The cases of a batch, longest first; equal estimates keep plan order.
fn longest_first(cases: &[usize], lengths: &[usize]) -> Vec<usize> {
    let mut ordered = cases.to_vec();
    ordered.sort_by_key(|&case| (Reverse(lengths.get(case).copied().unwrap_or(0)), case));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the schedule to its end with at most `concurrency` tasks at once, finishing the
    /// oldest running task first; returns the tasks in the order they started, and checks the
    /// invariants on the way.
    fn drive(groups: &[usize], units: &[usize], concurrency: usize) -> Vec<Task> {
        let mut schedule = Schedule::new(groups, units, &vec![1; groups.len()], concurrency);
        let mut running: std::collections::VecDeque<Task> = Default::default();
        let mut started = Vec::new();
        loop {
            while running.len() < concurrency {
                let Some(task) = schedule.next() else { break };
                if let Task::CleanUp(case) = task {
                    let busy = running
                        .iter()
                        .any(|t| matches!(t, Task::Case(c) if groups[*c] == groups[case]));
                    assert!(!busy, "a cleanup started while a case of its group ran");
                }
                started.push(task);
                running.push_back(task);
            }
            let Some(task) = running.pop_front() else {
                break;
            };
            match task {
                Task::Case(case) => schedule.case_done(case, 1),
                Task::CleanUp(case) => schedule.cleanup_done(case),
            }
        }
        assert!(schedule.finished());
        started
    }

    fn cases(tasks: &[Task]) -> Vec<usize> {
        tasks
            .iter()
            .filter_map(|t| match t {
                Task::Case(c) => Some(*c),
                Task::CleanUp(_) => None,
            })
            .collect()
    }

    #[test]
    fn every_case_runs_once_and_is_cleaned_up_once() {
        let groups = [0, 0, 0, 1, 1, 2, 0, 0];
        let units = [0, 0, 1, 2, 2, 3, 4, 4];
        let tasks = drive(&groups, &units, 2);
        let mut ran = cases(&tasks);
        ran.sort_unstable();
        assert_eq!(ran, (0..8).collect::<Vec<_>>());
        let mut cleaned: Vec<usize> = tasks
            .iter()
            .filter_map(|t| match t {
                Task::CleanUp(c) => Some(*c),
                Task::Case(_) => None,
            })
            .collect();
        cleaned.sort_unstable();
        assert_eq!(cleaned, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn a_later_group_fills_the_concurrency_while_an_earlier_one_cleans_up() {
        // Group 0: one batch of 2 cases; group 1: 4 cases. With 3 at once, group 1's cases
        // start while group 0 still runs, and group 0's cleanups start between them.
        let tasks = drive(&[0, 0, 1, 1, 1, 1], &[0, 0, 1, 1, 1, 1], 3);
        assert_eq!(&tasks[..3], &[Task::Case(0), Task::Case(1), Task::Case(2)]);
        let first_cleanup = tasks
            .iter()
            .position(|t| matches!(t, Task::CleanUp(_)))
            .unwrap();
        let last_case = tasks
            .iter()
            .rposition(|t| matches!(t, Task::Case(_)))
            .unwrap();
        assert!(first_cleanup < last_case, "{tasks:?}");
    }

    #[test]
    fn a_group_s_next_batch_waits_for_its_cleanups() {
        // One group of 40 cases of one unit: batches of 32 (the minimum) and 8.
        let tasks = drive(&[0; 40], &[0; 40], 2);
        let case_32 = tasks.iter().position(|t| *t == Task::Case(32)).unwrap();
        let cleanups_before = tasks[..case_32]
            .iter()
            .filter(|t| matches!(t, Task::CleanUp(_)))
            .count();
        assert_eq!(cleanups_before, 32);
    }

    #[test]
    fn cases_without_anything_to_delete_need_no_cleanup() {
        let mut schedule = Schedule::new(&[0, 0], &[0, 0], &[1, 1], 4);
        assert_eq!(schedule.next(), Some(Task::Case(0)));
        assert_eq!(schedule.next(), Some(Task::Case(1)));
        assert_eq!(schedule.next(), None);
        schedule.case_done(1, 0);
        assert_eq!(schedule.next(), None, "case 0 still runs");
        schedule.case_done(0, 2);
        assert_eq!(schedule.next(), Some(Task::CleanUp(0)));
        assert_eq!(schedule.next(), None);
        schedule.cleanup_done(0);
        assert!(schedule.finished());
    }

    #[test]
    fn the_longest_cases_and_the_largest_cleanups_start_first() {
        // Three units of 2 cases in one batch; the middle unit is the longest.
        let mut schedule = Schedule::new(&[0; 6], &[0, 0, 1, 1, 2, 2], &[3, 3, 9, 9, 3, 3], 6);
        let order: Vec<Task> = std::iter::from_fn(|| schedule.next()).collect();
        let expected = [2, 3, 0, 1, 4, 5].map(Task::Case);
        assert_eq!(order, expected);
        for (case, created) in [(0, 1), (1, 0), (2, 1), (3, 4), (4, 2), (5, 1)] {
            schedule.case_done(case, created);
        }
        let cleanups: Vec<Task> = std::iter::from_fn(|| schedule.next()).collect();
        assert_eq!(cleanups, [3, 4, 0, 2, 5].map(Task::CleanUp));
    }

    #[test]
    fn an_empty_plan_is_finished_at_once() {
        let mut schedule = Schedule::new(&[], &[], &[], 4);
        assert_eq!(schedule.next(), None);
        assert!(schedule.finished());
    }
}
