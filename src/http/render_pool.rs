//! The threads renders and resources run on: a few of the host's own, the most
//! recently idle one first.
//!
//! A render is CPU work over one snapshot, so it runs off the async workers. Tokio's
//! blocking pool would do, but it grows a thread whenever none is idle and wakes its
//! idle threads oldest first: after a burst the host had some forty of them, each
//! render went to the one that had waited longest, and its stack and its allocator's
//! free lists had gone cold in the meantime. On the bench's home point (100,000
//! people, 64 connections) a tenth of the host's time was cache misses in `malloc`,
//! and capping the blocking pool at four threads raised the rate by a third. Here a
//! fixed set of threads takes jobs, and the next job goes to the thread that was idle
//! last, which is the warmest.
//!
//! The pool holds two jobs per thread at most: one running, and the next queued for
//! when it ends, so that a thread which finishes a job finds the next one instead of
//! sleeping until it is woken for it. With one place per thread, each render cost a
//! thread's sleep and wake-up: in alternating runs of the home point, one place per
//! thread averaged about 6,900 renders a second, two about 7,800. A caller
//! waits for a place as a future; a job whose caller gave up before it started does
//! not run, and one given up after it started keeps its place until it ends.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// What a job does once it has run: hand its place back and answer its caller.
type Delivery = Box<dyn FnOnce() + Send>;
type Job = Box<dyn FnOnce() -> Delivery + Send>;

/// A job that did not come back: it panicked, or the pool was closed under it.
#[derive(Debug, thiserror::Error)]
#[error("the render thread gave no answer")]
pub struct NoAnswer;

/// One job running on each thread and one waiting for it.
const PLACES_PER_THREAD: usize = 2;

pub struct RenderPool {
    shared: Arc<Shared>,
    places: Arc<Semaphore>,
    threads: usize,
}

struct Shared {
    state: Mutex<State>,
    /// One per thread, so that a job wakes the thread it was given to.
    wake: Vec<Condvar>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Idle threads, the most recently idle last.
    idle: Vec<usize>,
    /// Threads waiting for a job now. A thread is listed idle a moment before it
    /// waits (it answers its caller in between): the tests that need every thread
    /// settled wait for this count.
    asleep: usize,
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing runs under the lock that can panic halfway: a poisoned state is whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl RenderPool {
    /// A pool of `threads` threads (at least one), named `render-N`, and twice as many
    /// places.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: (0..threads).map(|_| Condvar::new()).collect(),
        });
        let pool = Self {
            shared: Arc::clone(&shared),
            places: Arc::new(Semaphore::new(threads * PLACES_PER_THREAD)),
            threads,
        };
        for me in 0..threads {
            let shared = Arc::clone(&shared);
            // On an error `pool` drops here, which closes the threads already started.
            std::thread::Builder::new()
                .name(format!("render-{me}"))
                .spawn(move || work(&shared, me))?;
        }
        Ok(pool)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Places no job holds now: for tests that fill the pool.
    #[cfg(test)]
    pub fn free_places(&self) -> usize {
        self.places.available_permits()
    }

    /// Runs `job` on one of the pool's threads once a place is free, and answers what
    /// it returned.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, NoAnswer> {
        let place = Arc::clone(&self.places)
            .acquire_owned()
            .await
            .map_err(|_| NoAnswer)?;
        let (answer, answered) = oneshot::channel();
        // A job that panics drops its place and its sender as it unwinds (`work` catches
        // it): the place comes back, and the caller hears no answer.
        self.submit(Box::new(move || {
            // Nobody waits for it any more: a request given up at its timeout.
            if answer.is_closed() {
                return deliver(place, answer, None);
            }
            let value = job();
            deliver(place, answer, Some(value))
        }));
        answered.await.ok().flatten().ok_or(NoAnswer)
    }

    /// Resolves once no job holds a place: everything submitted has run, or was
    /// skipped for a caller that had gone. For a stopping host; the places it takes
    /// are given back at once.
    pub async fn finished(&self) {
        let all = u32::try_from(self.threads * PLACES_PER_THREAD).unwrap_or(u32::MAX);
        let _ = self.places.acquire_many(all).await;
    }

    fn submit(&self, job: Job) {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        if let Some(thread) = state.idle.pop() {
            self.shared.wake[thread].notify_one();
        }
    }
}

fn deliver<T: Send + 'static>(
    place: OwnedSemaphorePermit,
    answer: oneshot::Sender<Option<T>>,
    value: Option<T>,
) -> Delivery {
    Box::new(move || {
        // A caller that gave up has dropped its receiver; the work is done either way.
        // What it would have had (a widget, and through it the store) is let go
        // before the place: a stopping host goes on to close the database once every
        // place is back (`finished`).
        if answer.is_closed() {
            drop(value);
            drop(place);
            return;
        }
        // Otherwise the place first: a caller waiting for one submits its job before
        // this thread looks for the next, which it would otherwise find missing and
        // sleep. (Answering first measured a tenth fewer renders on the bench's home
        // point, in alternating 10 s runs; a rebuild of this order measured as much
        // against the same binary, so the runs cannot tell them apart, and this order
        // stays for the reason above.) A caller that leaves after the look above has
        // the value dropped here (the answer fails) or by its receiver, a moment after
        // the place is back: a stopping host may find the pool finished in that moment.
        drop(place);
        let _ = answer.send(value);
    })
}

/// Thread `me`: jobs from the queue until the pool closes and the queue is empty.
fn work(shared: &Shared, me: usize) {
    yield_to_the_rest();
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            // Listed idle (back from a job, or woken for one another thread took), it
            // must not stay listed while busy: a job given to it would wait.
            if let Some(at) = state.idle.iter().position(|&t| t == me) {
                state.idle.remove(at);
            }
            drop(state);
            // A panic in a render, or in dropping what it leaves, must not end the
            // thread; the caller learns of it from its dropped sender.
            // A payload whose own drop panicked would end the thread: it is leaked.
            let delivery = std::panic::catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|p| {
                std::mem::forget(p);
                Box::new(|| ())
            });
            state = shared.lock();
            // Idle before the caller hears and its place is free: the next job, often
            // that caller's own, finds this thread first.
            if state.queue.is_empty() {
                state.idle.push(me);
            }
            drop(state);
            if let Err(p) = std::panic::catch_unwind(AssertUnwindSafe(delivery)) {
                std::mem::forget(p);
            }
            state = shared.lock();
        } else if state.closed {
            return;
        } else if state.idle.contains(&me) {
            state.asleep += 1;
            state = shared.wake[me]
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
            state.asleep -= 1;
        } else {
            // Woken for a job another thread took first, or back from one that found
            // the queue not yet empty.
            state.idle.push(me);
        }
    }
}

/// How much nicer than the rest of the host a render thread runs.
#[cfg(target_os = "linux")]
const NICER_BY: i32 = 5;

/// Lowers this thread's scheduling priority by [`NICER_BY`] (Linux: a thread's nice
/// value is its own). On a machine whose cores the renders keep busy, the writer and
/// the async workers (connections, hyper, the actions' futures) are then given a
/// core first when they wake: a render can wait a moment, an action waiting for its
/// commit should not wait behind renders as well. In alternating 30 s runs of the
/// bench's mix at 64 connections, actions' p50 went from 9–10 ms to 4–5 ms and their
/// p99 from 31–39 ms to 21–24 ms, with renders no slower; at nice +10 the actions'
/// p99 rose again and renders lost a sixth. Measured again with `bench --point` (10 s
/// runs): at nice 0 home alone made about a tenth more renders, but the mix's actions
/// waited twice as long at p50 (6.3–6.9 ms against 3.3–4.3); at nice 2, 7% more
/// renders, and the actions' p50 was 5.5–6.1 ms against 3.5–4.2 and their p99 21 ms
/// against 16–18. Raising a nice value needs no privilege; when it fails the thread
/// runs as it is.
fn yield_to_the_rest() {
    #[cfg(target_os = "linux")]
    {
        let me = Some(rustix::thread::gettid());
        let lowered = rustix::process::getpriority_process(me)
            .and_then(|now| rustix::process::setpriority_process(me, (now + NICER_BY).min(19)));
        if let Err(error) = lowered {
            tracing::debug!(%error, "a render thread keeps the host's priority");
        }
    }
}

impl Drop for RenderPool {
    /// The threads finish what was queued and end; nothing waits for them here.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        for wake in &self.shared.wake {
            wake.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::time::Duration;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or("").to_owned()
    }

    #[tokio::test]
    async fn a_job_runs_on_a_render_thread_and_answers() {
        let pool = RenderPool::new(2).expect("pool");
        let (sum, name) = pool
            .run(|| ((1..=10).sum::<u32>(), thread_name()))
            .await
            .expect("answer");
        assert_eq!(sum, 55);
        assert!(name.starts_with("render-"), "{name}");
    }

    /// The point of the pool: one caller's jobs in turn all land on the thread that
    /// ran the one before, however many threads are idle (tokio's pool would hand each
    /// to the idle thread that had waited longest).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_in_turn_go_to_the_thread_idle_last() {
        let pool = Arc::new(RenderPool::new(4).expect("pool"));
        // Wake all four first, so each has been idle once.
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let mut started = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (pool, barrier) = (Arc::clone(&pool), Arc::clone(&barrier));
            started.spawn(async move {
                pool.run(move || {
                    barrier.wait();
                    thread_name()
                })
                .await
            });
        }
        let mut names = HashSet::new();
        while let Some(name) = started.join_next().await {
            names.insert(name.expect("task").expect("answer"));
        }
        assert_eq!(names.len(), 4, "{names:?}");
        // Every thread back on the idle stack and waiting: one still answering its
        // caller could take the next job from the queue before the thread it was given
        // to wakes.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while {
            let state = pool.shared.lock();
            state.idle.len() < 4 || state.asleep < 4
        } {
            assert!(std::time::Instant::now() < deadline, "threads never idle");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut seen = HashSet::new();
        for _ in 0..50 {
            seen.insert(pool.run(thread_name).await.expect("answer"));
        }
        assert_eq!(seen.len(), 1, "{seen:?}");
    }

    /// A crowd of callers takes two places per thread (one job running on each, one
    /// queued), no more, and every place comes back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crowd_of_callers_holds_two_places_per_thread_and_gives_them_back() {
        let pool = Arc::new(RenderPool::new(3).expect("pool"));
        // Every job waits at the gate until the test has looked.
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let (pool, gate) = (Arc::clone(&pool), Arc::clone(&gate));
            tasks.spawn(async move {
                pool.run(move || {
                    let (open, opened) = &*gate;
                    let mut open = open.lock().expect("gate");
                    while !*open {
                        open = opened.wait(open).expect("gate");
                    }
                })
                .await
                .expect("answer")
            });
        }
        // Three jobs running at the gate and three queued behind them: every place
        // taken, the other callers waiting for one.
        // Waited for exactly: until each thread has taken its job from the queue, it
        // holds more than three for a moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while pool.places.available_permits() > 0 || pool.shared.lock().queue.len() != 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "places never all taken"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // And it stays so: no caller past the places gets in.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(pool.shared.lock().queue.len(), 3);
        assert_eq!(pool.places.available_permits(), 0);
        *gate.0.lock().expect("gate") = true;
        gate.1.notify_all();
        while let Some(done) = tasks.join_next().await {
            done.expect("task");
        }
        // Each place comes back before its answer; waited for all the same.
        tokio::time::timeout(Duration::from_secs(10), pool.finished())
            .await
            .expect("every place came back");
        assert_eq!(pool.places.available_permits(), 6);
    }

    /// A thread is never listed idle while it runs a job: a job given to a listed
    /// thread would wait for it while others sleep. Many short jobs from a few callers
    /// make the thread that was woken for a job and the one that took it differ.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thread_running_a_job_is_not_listed_idle() {
        let pool = Arc::new(RenderPool::new(4).expect("pool"));
        let mut tasks = tokio::task::JoinSet::new();
        // Fewer callers than threads: threads go idle and are woken all the time.
        for _ in 0..3 {
            let pool = Arc::clone(&pool);
            tasks.spawn(async move {
                let mut listed = 0;
                for _ in 0..5000 {
                    let shared = Arc::clone(&pool.shared);
                    let me: usize = pool
                        .run(move || {
                            let name = thread_name();
                            let me = name.trim_start_matches("render-").parse().expect("index");
                            usize::from(shared.lock().idle.contains(&me)) * 1000 + me
                        })
                        .await
                        .expect("answer");
                    listed += me / 1000;
                }
                listed
            });
        }
        let mut listed = 0;
        while let Some(n) = tasks.join_next().await {
            listed += n.expect("task");
        }
        assert_eq!(listed, 0, "jobs ran on threads listed idle");
        // And each idle thread is listed once.
        let idle = pool.shared.lock().idle.clone();
        let distinct: HashSet<_> = idle.iter().collect();
        assert_eq!(distinct.len(), idle.len(), "{idle:?}");
    }

    /// Render threads run nicer than the thread that started the pool.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn render_threads_run_nicer_than_the_rest_of_the_host() {
        let here = rustix::process::getpriority_process(Some(rustix::thread::gettid()))
            .expect("own priority");
        let pool = RenderPool::new(1).expect("pool");
        let there = pool
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .expect("answer")
            .expect("render thread's priority");
        assert_eq!(there, (here + NICER_BY).min(19));
        let after = rustix::process::getpriority_process(Some(rustix::thread::gettid()))
            .expect("own priority");
        assert_eq!(after, here, "only the render threads are nicer");
    }

    #[tokio::test]
    async fn a_job_that_panics_answers_no_and_its_thread_goes_on() {
        let pool = RenderPool::new(1).expect("pool");
        let failed = pool.run(|| -> u8 { panic!("a render bug") }).await;
        assert!(failed.is_err());
        let after = tokio::time::timeout(Duration::from_secs(10), pool.run(|| 7))
            .await
            .expect("the one thread still takes jobs");
        assert_eq!(after.expect("answer"), 7);
    }

    /// A caller that gives up while its job runs leaves the job its place until it
    /// ends; one that gives up while its job waits in the queue never runs it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_given_up_keeps_a_started_job_in_its_place_and_an_unstarted_one_out() {
        let pool = Arc::new(RenderPool::new(1).expect("pool"));
        assert_eq!(pool.places.available_permits(), 2);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let ran_second = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (started, running) = oneshot::channel();
        let first = {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    let _ = held.recv();
                })
                .await
            })
        };
        running.await.expect("the first job started");
        first.abort();
        let _ = first.await;
        assert_eq!(
            pool.places.available_permits(),
            1,
            "the place of a started job stays taken after its caller left"
        );
        // The second job queues behind the first on the one thread; its caller gives up.
        let ran = Arc::clone(&ran_second);
        let second = pool.run(move || ran.store(true, std::sync::atomic::Ordering::SeqCst));
        assert!(
            tokio::time::timeout(Duration::from_millis(100), second)
                .await
                .is_err(),
            "the second job waits for the one thread"
        );
        release.send(()).expect("the first job is still running");
        let third = tokio::time::timeout(Duration::from_secs(10), pool.run(|| 3))
            .await
            .expect("the place came back when the first job ended");
        assert_eq!(third.expect("answer"), 3);
        assert!(!ran_second.load(std::sync::atomic::Ordering::SeqCst));
        // The third's place came back before its answer; waited for all the same.
        tokio::time::timeout(Duration::from_secs(10), pool.finished())
            .await
            .expect("every place came back");
    }

    /// What a job returns to a caller that has gone is dropped before its place comes
    /// back: `finished` does not resolve while it still holds anything.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_answer_nobody_takes_is_let_go_before_the_pool_is_finished() {
        struct SlowToLetGo(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for SlowToLetGo {
            fn drop(&mut self) {
                std::thread::sleep(Duration::from_millis(200));
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let pool = Arc::new(RenderPool::new(1).expect("pool"));
        let let_go = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let caller = {
            let pool = Arc::clone(&pool);
            let value = SlowToLetGo(Arc::clone(&let_go));
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    let _ = held.recv();
                    value
                })
                .await
                .map(|_| ())
            })
        };
        running.await.expect("the job started");
        caller.abort();
        let _ = caller.await;
        release.send(()).expect("the job is still running");
        tokio::time::timeout(Duration::from_secs(10), pool.finished())
            .await
            .expect("the place came back");
        assert!(
            let_go.load(std::sync::atomic::Ordering::SeqCst),
            "the pool was finished while the answer was still held"
        );
    }

    #[test]
    fn dropping_the_pool_ends_its_threads() {
        let pool = RenderPool::new(3).expect("pool");
        let shared = Arc::downgrade(&pool.shared);
        drop(pool);
        // Each thread holds the shared state until it returns.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while shared.strong_count() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "threads still running"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
