//! One sync round as plain steps, with no I/O: what a device sends next and
//! what it does with the answer. The browser's sync loop and the simulation
//! both drive their replicas through this, so the simulation proves the
//! code reps run.
//!
//! A round first sends the outbox a batch at a time, then pulls pages until
//! the server has nothing newer. A refused batch never blocks the queue (the
//! server answers per mutation); a sequence gap from a restored server is
//! settled by renumbering; anything else ends the round for the caller to
//! retry later.

use super::{Cookie, PullPage, PushReply};
use crate::Mutation;
use crate::ids::ClientId;
use crate::replica::{Replica, Shelf};

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A batch of the outbox, oldest first.
    Push {
        /// This device.
        client: ClientId,
        /// The mutations.
        batch: Vec<Mutation>,
    },
    /// The next page of changes after `cookie` (none: from the start).
    Pull {
        /// Where the device is.
        cookie: Option<Cookie>,
    },
}

/// What came back, as much as the round needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The push was taken (each mutation applied or refused).
    Pushed(PushReply),
    /// A page of changes.
    Pulled(PullPage),
    /// The server expects this sequence number next.
    SequenceGap {
        /// The number it expects.
        expected: u64,
    },
    /// The request did not get through or was refused whole.
    Failed(Problem),
}

/// Why a round ended short. The outbox is always kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The server cannot be reached.
    Offline,
    /// The session ended: sign in again.
    SignedOut,
    /// The device's storage is full even after evicting what could go.
    Full,
    /// The server answered with an error code.
    Server(String),
}

/// How a round goes on after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Ask [`Round::next`] for the next request.
    Continue,
    /// The outbox is sent and the device has everything the server had.
    Done,
}

/// One round in progress.
#[derive(Debug, Clone)]
pub struct Round {
    batch: usize,
    page: u32,
    pulling: bool,
}

impl Round {
    /// A round sending up to `batch` mutations per push and asking for up
    /// to `page` changes per pull.
    pub fn new(batch: usize, page: u32) -> Self {
        Self { batch: batch.max(1), page: page.max(1), pulling: false }
    }

    /// Changes asked for per pull page.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// What to send next: the oldest waiting batch while the outbox has
    /// any, then pull pages.
    pub fn next<S: Shelf>(&mut self, replica: &Replica<S>) -> Request {
        if !self.pulling {
            let batch = replica.outgoing(self.batch);
            if !batch.is_empty() {
                return Request::Push { client: replica.sequencer().client, batch };
            }
            self.pulling = true;
        }
        Request::Pull { cookie: replica.meta().cookie.clone() }
    }

    /// The request that will follow `answer` once it is taken, when that
    /// is known before taking it: after a page with more behind it, the page
    /// that starts where it ends. A device sends it while it stores this
    /// page, so the server reads the next page meanwhile; it uses the answer
    /// only if [`Round::next`] then asks for exactly that request.
    pub fn ahead(&self, answer: &Answer) -> Option<Request> {
        match answer {
            Answer::Pulled(page) if self.pulling && page.more => {
                Some(Request::Pull { cookie: Some(page.cookie.clone()) })
            }
            _ => None,
        }
    }

    /// Takes the answer to `request` into `replica`.
    pub fn take<S: Shelf>(
        &mut self,
        replica: &mut Replica<S>,
        request: &Request,
        answer: Answer,
        now: i64,
    ) -> Result<Progress, Problem> {
        match (answer, request) {
            (Answer::Pushed(reply), _) => {
                replica.acknowledge(&reply).map_err(|_| Problem::Full)?;
                Ok(Progress::Continue)
            }
            // The server lost track of earlier numbers (its data was
            // restored): carry on from the number it expects.
            (Answer::SequenceGap { expected }, Request::Push { batch, .. })
                if batch.first().is_some_and(|m| expected < m.seq) =>
            {
                replica.renumber_from(expected).map_err(|_| Problem::Full)?;
                Ok(Progress::Continue)
            }
            (Answer::SequenceGap { .. }, _) => Err(Problem::Server("sequence_gap".into())),
            (Answer::Pulled(page), _) => {
                let more = page.more;
                replica.take_page(page, now).map_err(|_| Problem::Full)?;
                Ok(if more { Progress::Continue } else { Progress::Done })
            }
            (Answer::Failed(problem), _) => Err(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CustomerId;
    use crate::replica::testing::{Server, create, phone_edit, rep, today};
    use crate::replica::{MemoryShelf, Replica};
    use crate::time::Timestamp;

    /// Plays a round against `server` to its end; the requests it made.
    fn play(round: &mut Round, replica: &mut Replica<MemoryShelf>, server: &mut Server) -> Vec<Request> {
        let mut sent = Vec::new();
        loop {
            let request = round.next(replica);
            let answer = match &request {
                Request::Push { batch, .. } => Answer::Pushed(server.push(batch)),
                Request::Pull { cookie } => {
                    Answer::Pulled(server.pull_page(cookie.as_ref().map_or(0, |c| c.version), round.page()))
                }
            };
            sent.push(request.clone());
            if round.take(replica, &request, answer, 1_000).unwrap() == Progress::Done {
                return sent;
            }
            assert!(sent.len() < 100, "the round never ended");
        }
    }

    fn replica_with(changes: usize) -> Replica<MemoryShelf> {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        for n in 0..changes {
            let id = CustomerId::new();
            replica.record(id, create(&format!("客户{n}")), Timestamp(n as i64), today()).unwrap();
        }
        replica
    }

    #[test]
    fn a_round_sends_the_outbox_in_batches_then_pulls_every_page() {
        let mut replica = replica_with(5);
        let mut server = Server::default();
        let sent = play(&mut Round::new(2, 2), &mut replica, &mut server);

        let pushes: Vec<usize> = sent
            .iter()
            .filter_map(|r| match r {
                Request::Push { batch, .. } => Some(batch.len()),
                Request::Pull { .. } => None,
            })
            .collect();
        assert_eq!(pushes, [2, 2, 1], "oldest first, a batch at a time");
        assert!(matches!(sent[3], Request::Pull { cookie: None }), "then a pull from the start");
        assert_eq!(sent.len(), 3 + 3, "five archives in pages of two");
        assert!(replica.pending().is_empty());
        assert_eq!(replica.customers().count(), 5);
        assert_eq!(replica.meta().cookie.as_ref().map(|c| c.version), Some(5));
        assert_eq!(replica.meta().last_synced, Some(1_000));

        // Nothing new: the next round is a single pull.
        let quiet = play(&mut Round::new(2, 2), &mut replica, &mut server);
        assert!(matches!(quiet.as_slice(), [Request::Pull { cookie: Some(c) }] if c.version == 5));
    }

    #[test]
    fn the_page_read_ahead_is_the_one_the_round_asks_for_next() {
        let mut server = Server::default();
        server.push(&replica_with(5).outgoing(10));
        let mut replica = replica_with(0);
        let mut round = Round::new(10, 2);
        let mut read_ahead = Vec::new();
        loop {
            let request = round.next(&replica);
            if let Some(expected) = read_ahead.last() {
                assert_eq!(&request, expected, "the next request is the one read ahead");
            }
            let Request::Pull { cookie } = &request else { panic!("nothing to push") };
            let page = server.pull_page(cookie.as_ref().map_or(0, |c| c.version), round.page());
            let answer = Answer::Pulled(page);
            let ahead = round.ahead(&answer);
            if round.take(&mut replica, &request, answer, 0).unwrap() == Progress::Done {
                assert_eq!(ahead, None, "nothing is read ahead of the last page");
                break;
            }
            read_ahead.push(ahead.expect("a page with more behind it reads the next ahead"));
        }
        assert_eq!(read_ahead.len(), 2, "five archives in pages of two: two pages read ahead");
        assert_eq!(replica.customers().count(), 5);

        // Pushes are never sent ahead: what the next one holds depends on
        // what the server made of this one.
        let replica = replica_with(3);
        let mut round = Round::new(1, 2);
        let request = round.next(&replica);
        let Request::Push { batch, .. } = &request else { panic!("pushes first") };
        let answer = Answer::Pushed(server.push(batch));
        assert_eq!(round.ahead(&answer), None);
    }

    #[test]
    fn a_restored_server_asking_for_earlier_numbers_gets_the_outbox_renumbered() {
        let mut replica = replica_with(3);
        let mut round = Round::new(10, 10);
        // The server took numbers 1 to 3 once, then was restored from a
        // backup that knew none of them: it expects 1 again. Here the
        // device's outbox had moved on to 4..6.
        replica.renumber_from(4).unwrap();
        let request = round.next(&replica);
        let progress = round.take(&mut replica, &request, Answer::SequenceGap { expected: 1 }, 0);
        assert_eq!(progress, Ok(Progress::Continue));
        let Request::Push { batch, .. } = round.next(&replica) else { panic!("pushes again") };
        assert_eq!(batch.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3]);

        // A gap the device cannot settle (the server wants a later number) ends the round.
        let request = round.next(&replica);
        let stuck = round.take(&mut replica, &request, Answer::SequenceGap { expected: 9 }, 0);
        assert_eq!(stuck, Err(Problem::Server("sequence_gap".into())));
        assert_eq!(replica.pending().len(), 3, "the outbox is kept");
    }

    #[test]
    fn a_failed_request_ends_the_round_and_keeps_everything() {
        let mut replica = replica_with(2);
        for problem in [Problem::Offline, Problem::SignedOut, Problem::Server("internal".into())] {
            let mut round = Round::new(10, 10);
            let request = round.next(&replica);
            let answer = Answer::Failed(problem.clone());
            assert_eq!(round.take(&mut replica, &request, answer, 0), Err(problem));
            assert_eq!(replica.pending().len(), 2);
        }
    }

    #[test]
    fn a_refused_change_moves_aside_and_the_round_goes_on_to_pull() {
        let mut replica = Replica::open(MemoryShelf::default(), &rep());
        let id = CustomerId::new();
        replica.record(id, create("张三"), Timestamp(1), today()).unwrap();
        replica.record(id, phone_edit("13800138000", 0), Timestamp(2), today()).unwrap();
        // A server that took the create once and then lost the archive: the
        // create is answered from its log, the edit finds nothing to edit.
        let mut server = Server { last_seq: 1, ..Server::default() };
        let mut round = Round::new(10, 10);
        let request = round.next(&replica);
        let Request::Push { batch, .. } = &request else { panic!("pushes first") };
        let answer = Answer::Pushed(server.push(batch));
        assert_eq!(round.take(&mut replica, &request, answer, 0), Ok(Progress::Continue));
        assert_eq!(replica.refused().len(), 1, "refused, kept for the rep to see");
        assert!(replica.pending().is_empty(), "and the queue behind it is not blocked");
        assert!(matches!(round.next(&replica), Request::Pull { .. }));
    }
}
