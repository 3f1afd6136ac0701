//! `VecEnv`: N envs stepped together, on worker threads, with results in env order.
//!
//! With T threads, the caller's thread steps the first block of envs and T − 1 worker threads
//! step the others; each owns a contiguous block for its whole life (no per-step thread spawn,
//! no work stealing), so the numbers never depend on scheduling: the same seed gives the same
//! results with 1, 2 or 8 threads. Episodes that end are reset automatically with a seed
//! derived from `(base seed, env index, episode number)`.
//!
//! Training drives episodes itself: [`VecEnv::start`] begins chosen episodes (task and reset
//! seed given, in parallel) and [`VecEnv::step_active`] steps only the envs whose episode is
//! running, with no automatic reset.
//!
//! Hand-offs spin briefly before blocking: an env step takes tens of microseconds, about what a
//! thread wake-up costs on a virtual machine, so blocking at every step would waste a third of
//! the second core (measured: 1.3× instead of 1.8× with 2 threads).

use std::ops::Range;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use super::contract::{Env, Reset, Step};
use super::task::Task;
use crate::error::{Error, Result};

/// One env's result of a `VecEnv::step`.
#[derive(Clone, Debug, PartialEq)]
pub struct VecStep {
    /// The step as the env returned it (its `obs` is the episode's last when it ended).
    pub step: Step,
    /// When the episode ended: the automatic reset into the next episode.
    pub reset: Option<Reset>,
}

/// Seed of episode `episode` of env `env_index`: SplitMix64 of the three, so neighbouring
/// envs and episodes get unrelated streams.
pub fn episode_seed(base: u64, env_index: usize, episode: u64) -> u64 {
    let mut z = base
        ^ (env_index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ episode.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Slot {
    env: Box<dyn Env>,
    index: usize,
    episode: u64,
}

impl Slot {
    fn reset(&mut self, base: u64) -> Result<Reset> {
        let r = self.env.reset(episode_seed(base, self.index, self.episode));
        self.episode += 1;
        r
    }

    fn set_task(&mut self, task: Task, base: u64) -> Result<Reset> {
        self.env.set_task(task)?;
        self.reset(base)
    }

    /// Switches to `task` if it differs and resets with an explicit seed.
    fn start(&mut self, task: Task, seed: u64) -> Result<Reset> {
        if *self.env.task() != task {
            self.env.set_task(task)?;
        }
        self.env.reset(seed)
    }

    fn step(&mut self, action: &[f32], base: u64) -> Result<VecStep> {
        let step = self.env.step(action)?;
        let reset = if step.done() {
            Some(self.reset(base)?)
        } else {
            None
        };
        Ok(VecStep { step, reset })
    }
}

enum Cmd {
    Reset,
    Step(Vec<f32>),
    SetTask(usize, Task),
    Start(Vec<Option<(Task, u64)>>),
    StepActive(Vec<f32>, Vec<bool>),
}

enum Reply {
    Resets(Result<Vec<Reset>>),
    Steps(Result<Vec<VecStep>>),
    Started(Result<Vec<Option<Reset>>>),
    SteppedActive(Result<Vec<Option<Step>>>),
}

/// `start` over a block: envs with `Some((task, seed))` begin a new episode.
fn start_block(slots: &mut [Slot], starts: Vec<Option<(Task, u64)>>) -> Result<Vec<Option<Reset>>> {
    slots
        .iter_mut()
        .zip(starts)
        .map(|(s, st)| st.map(|(task, seed)| s.start(task, seed)).transpose())
        .collect()
}

/// `step_active` over a block: `actions` holds one action per env of the block (ignored for
/// inactive ones).
fn step_block(
    slots: &mut [Slot],
    actions: &[f32],
    active: &[bool],
    ad: usize,
) -> Result<Vec<Option<Step>>> {
    slots
        .iter_mut()
        .enumerate()
        .map(|(k, s)| {
            active[k]
                .then(|| s.env.step(&actions[k * ad..(k + 1) * ad]))
                .transpose()
        })
        .collect()
}

struct Worker {
    tx: Option<Sender<Cmd>>,
    rx: Receiver<Reply>,
    join: Option<JoinHandle<()>>,
    range: Range<usize>,
}

enum Backend {
    Inline(Vec<Slot>),
    /// The caller's block, then the workers' blocks.
    Threads(Vec<Slot>, Vec<Worker>),
}

/// How long a hand-off spins before it blocks.
const SPIN: std::time::Duration = std::time::Duration::from_micros(300);

/// Receives with a short spin first (see the module docs).
fn recv_spin<T>(rx: &Receiver<T>) -> Option<T> {
    let t0 = std::time::Instant::now();
    loop {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                if t0.elapsed() > SPIN {
                    return rx.recv().ok();
                }
                std::hint::spin_loop();
            }
        }
    }
}

/// N envs of the same observation and action layout.
pub struct VecEnv {
    backend: Backend,
    n_envs: usize,
    obs_dim: usize,
    act_dim: usize,
    base_seed: u64,
}

impl VecEnv {
    /// Spreads `envs` over `n_threads` threads, the caller's included (1 = all on the caller's).
    pub fn new(envs: Vec<Box<dyn Env>>, n_threads: usize, base_seed: u64) -> Result<Self> {
        let n_envs = envs.len();
        if n_envs == 0 {
            return Err(Error::argument("envs", "need at least one env"));
        }
        if n_threads == 0 {
            return Err(Error::argument("threads", "must be ≥ 1"));
        }
        let obs_dim = envs[0].observation_space().dim();
        let act_dim = envs[0].action_space().dim();
        if envs
            .iter()
            .any(|e| e.observation_space().dim() != obs_dim || e.action_space().dim() != act_dim)
        {
            return Err(Error::argument(
                "envs",
                "all envs must share observation and action sizes",
            ));
        }
        let mut slots: Vec<Slot> = envs
            .into_iter()
            .enumerate()
            .map(|(index, env)| Slot {
                env,
                index,
                episode: 0,
            })
            .collect();
        let n_threads = n_threads.min(n_envs);
        let backend = if n_threads == 1 {
            Backend::Inline(slots)
        } else {
            // Blocks differ in size by at most one env; block 0 is the caller's, and the
            // larger blocks go to the workers, since the caller also runs the policy and
            // records the steps between physics steps (5 envs on 2 threads: 2 + 3).
            let extra = n_envs % n_threads;
            let block_len = |w: usize| n_envs / n_threads + usize::from(w >= n_threads - extra);
            let local: Vec<Slot> = slots.drain(..block_len(0)).collect();
            let mut start = local.len();
            let mut workers = Vec::with_capacity(n_threads - 1);
            for w in 1..n_threads {
                let len = block_len(w);
                let block: Vec<Slot> = slots.drain(..len).collect();
                workers.push(spawn_worker(block, start..start + len, act_dim, base_seed)?);
                start += len;
            }
            Backend::Threads(local, workers)
        };
        Ok(VecEnv {
            backend,
            n_envs,
            obs_dim,
            act_dim,
            base_seed,
        })
    }

    /// Number of envs.
    pub fn len(&self) -> usize {
        self.n_envs
    }

    /// Always false (a `VecEnv` has at least one env).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Observation size.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action size.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }

    /// Number of threads stepping envs, the caller's included.
    pub fn n_threads(&self) -> usize {
        match &self.backend {
            Backend::Inline(_) => 1,
            Backend::Threads(_, w) => w.len() + 1,
        }
    }

    /// The envs' physics profiles summed, when every env is stepped on the caller's thread
    /// (one thread; a split over threads would not add up to wall time) and has one.
    pub fn physics_profile(&self) -> Option<crate::sim::PhysicsProfile> {
        let Backend::Inline(slots) = &self.backend else {
            return None;
        };
        slots
            .iter()
            .try_fold(crate::sim::PhysicsProfile::default(), |acc, s| {
                Some(acc.merged(&s.env.physics_profile()?))
            })
    }

    /// Resets every env (starting a new episode of each).
    pub fn reset(&mut self) -> Result<Vec<Reset>> {
        let base = self.base_seed;
        match &mut self.backend {
            Backend::Inline(slots) => slots.iter_mut().map(|s| s.reset(base)).collect(),
            Backend::Threads(local, workers) => {
                for w in workers.iter() {
                    send(w, Cmd::Reset)?;
                }
                let mut out = Vec::with_capacity(self.n_envs);
                for s in local.iter_mut() {
                    out.push(s.reset(base)?);
                }
                for w in workers.iter() {
                    match recv_spin(&w.rx) {
                        Some(Reply::Resets(r)) => out.extend(r?),
                        _ => return Err(worker_gone()),
                    }
                }
                Ok(out)
            }
        }
    }

    /// Steps every env with its slice of `actions` (`len × act_dim`, env-major); ended
    /// episodes are reset automatically.
    pub fn step(&mut self, actions: &[f32]) -> Result<Vec<VecStep>> {
        let ad = self.act_dim;
        if actions.len() != self.n_envs * ad {
            return Err(Error::Action(format!(
                "expected {} × {ad} = {} values, got {}",
                self.n_envs,
                self.n_envs * ad,
                actions.len()
            )));
        }
        let base = self.base_seed;
        match &mut self.backend {
            Backend::Inline(slots) => slots
                .iter_mut()
                .enumerate()
                .map(|(k, s)| s.step(&actions[k * ad..(k + 1) * ad], base))
                .collect(),
            Backend::Threads(local, workers) => {
                for w in workers.iter() {
                    let a = actions[w.range.start * ad..w.range.end * ad].to_vec();
                    send(w, Cmd::Step(a))?;
                }
                let mut out = Vec::with_capacity(self.n_envs);
                for (k, s) in local.iter_mut().enumerate() {
                    out.push(s.step(&actions[k * ad..(k + 1) * ad], base)?);
                }
                for w in workers.iter() {
                    match recv_spin(&w.rx) {
                        Some(Reply::Steps(r)) => out.extend(r?),
                        _ => return Err(worker_gone()),
                    }
                }
                Ok(out)
            }
        }
    }

    /// Begins a new episode in every env `k` with `starts[k] = Some((task, seed))` (switching
    /// task when it differs, resetting with that seed), all blocks in parallel; the others are
    /// left as they are. Returns the resets in env order.
    pub fn start(&mut self, starts: Vec<Option<(Task, u64)>>) -> Result<Vec<Option<Reset>>> {
        if starts.len() != self.n_envs {
            return Err(Error::argument(
                "starts",
                format!("expected {} entries, got {}", self.n_envs, starts.len()),
            ));
        }
        match &mut self.backend {
            Backend::Inline(slots) => start_block(slots, starts),
            Backend::Threads(local, workers) => {
                let mut starts = starts;
                let rest = starts.split_off(local.len());
                let mut rest = rest.into_iter();
                for w in workers.iter() {
                    let block: Vec<_> = rest.by_ref().take(w.range.len()).collect();
                    send(w, Cmd::Start(block))?;
                }
                let mut out = start_block(local, starts)?;
                for w in workers.iter() {
                    match recv_spin(&w.rx) {
                        Some(Reply::Started(r)) => out.extend(r?),
                        _ => return Err(worker_gone()),
                    }
                }
                Ok(out)
            }
        }
    }

    /// Steps only the envs with `active[k]` (their episodes must be running), with their
    /// slices of `actions` (`len × act_dim`, env-major; inactive envs' slices are ignored).
    /// Nothing is reset automatically. Returns each active env's step in env order.
    pub fn step_active(&mut self, actions: &[f32], active: &[bool]) -> Result<Vec<Option<Step>>> {
        // The actions are all given already: nothing to fill.
        self.step_active_with(&mut actions.to_vec(), active, |_, _| Ok(()))
    }

    /// [`VecEnv::step_active`] with the actions computed block by block as the steps go out:
    /// `fill(envs, slice)` writes the actions of the env range `envs` into its slice of
    /// `actions`. It is called for each worker's block first, which then starts stepping,
    /// and last for the caller's own block, so the caller computes its actions while the
    /// workers step (with one thread: once, for all envs). Blocks without an active env are
    /// skipped.
    pub fn step_active_with(
        &mut self,
        actions: &mut [f32],
        active: &[bool],
        mut fill: impl FnMut(Range<usize>, &mut [f32]) -> Result<()>,
    ) -> Result<Vec<Option<Step>>> {
        let ad = self.act_dim;
        if actions.len() != self.n_envs * ad || active.len() != self.n_envs {
            return Err(Error::Action(format!(
                "expected {} × {ad} action values and {} flags, got {} and {}",
                self.n_envs,
                self.n_envs,
                actions.len(),
                active.len()
            )));
        }
        let any = |r: &Range<usize>| active[r.clone()].iter().any(|&a| a);
        match &mut self.backend {
            Backend::Inline(slots) => {
                fill(0..slots.len(), actions)?;
                step_block(slots, actions, active, ad)
            }
            Backend::Threads(local, workers) => {
                let mut sent = vec![false; workers.len()];
                let mut filled = Ok(());
                for (w, sent) in workers.iter().zip(&mut sent) {
                    let r = w.range.clone();
                    if !any(&r) {
                        continue;
                    }
                    let a = &mut actions[r.start * ad..r.end * ad];
                    filled = fill(r.clone(), a);
                    if filled.is_err() {
                        break;
                    }
                    send(w, Cmd::StepActive(a.to_vec(), active[r].to_vec()))?;
                    *sent = true;
                }
                let n = local.len();
                if filled.is_ok() && any(&(0..n)) {
                    filled = fill(0..n, &mut actions[..n * ad]);
                }
                let mut out = match filled {
                    Ok(()) => step_block(local, &actions[..n * ad], &active[..n], ad),
                    Err(e) => Err(e),
                };
                // Every sent block's reply is read, even after an error, so that the next
                // call does not read a stale one.
                for (w, &sent) in workers.iter().zip(&sent) {
                    if !sent {
                        if let Ok(o) = out.as_mut() {
                            o.extend((0..w.range.len()).map(|_| None));
                        }
                        continue;
                    }
                    let reply = match recv_spin(&w.rx) {
                        Some(Reply::SteppedActive(r)) => r,
                        _ => Err(worker_gone()),
                    };
                    match (out.as_mut(), reply) {
                        (Ok(o), Ok(r)) => o.extend(r),
                        (Ok(_), Err(e)) => out = Err(e),
                        (Err(_), _) => {}
                    }
                }
                out
            }
        }
    }

    /// Switches env `index` to `task` and starts a new episode of it.
    pub fn set_task(&mut self, index: usize, task: Task) -> Result<Reset> {
        if index >= self.n_envs {
            return Err(Error::argument(
                "index",
                format!("{index} ≥ {} envs", self.n_envs),
            ));
        }
        let base = self.base_seed;
        match &mut self.backend {
            Backend::Inline(slots) => slots[index].set_task(task, base),
            Backend::Threads(local, _) if index < local.len() => local[index].set_task(task, base),
            Backend::Threads(_, workers) => {
                let w = workers
                    .iter()
                    .find(|w| w.range.contains(&index))
                    .expect("worker ranges cover 0..n_envs");
                send(w, Cmd::SetTask(index - w.range.start, task))?;
                match w.rx.recv() {
                    Ok(Reply::Resets(r)) => Ok(r?.remove(0)),
                    _ => Err(worker_gone()),
                }
            }
        }
    }
}

fn send(w: &Worker, cmd: Cmd) -> Result<()> {
    w.tx.as_ref()
        .expect("sender lives until drop")
        .send(cmd)
        .map_err(|_| worker_gone())
}

fn worker_gone() -> Error {
    Error::Worker("a worker thread stopped (an env panicked?)".into())
}

fn spawn_worker(mut slots: Vec<Slot>, range: Range<usize>, ad: usize, base: u64) -> Result<Worker> {
    let (tx, cmd_rx) = channel::<Cmd>();
    let (reply_tx, rx) = channel::<Reply>();
    let join = std::thread::Builder::new()
        .name(format!("drat-env-{}", range.start))
        .spawn(move || {
            while let Some(cmd) = recv_spin(&cmd_rx) {
                let reply = match cmd {
                    Cmd::Reset => Reply::Resets(slots.iter_mut().map(|s| s.reset(base)).collect()),
                    Cmd::Step(a) => Reply::Steps(
                        slots
                            .iter_mut()
                            .enumerate()
                            .map(|(k, s)| s.step(&a[k * ad..(k + 1) * ad], base))
                            .collect(),
                    ),
                    Cmd::SetTask(k, t) => {
                        Reply::Resets(slots[k].set_task(t, base).map(|r| vec![r]))
                    }
                    Cmd::Start(starts) => Reply::Started(start_block(&mut slots, starts)),
                    Cmd::StepActive(a, active) => {
                        Reply::SteppedActive(step_block(&mut slots, &a, &active, ad))
                    }
                };
                if reply_tx.send(reply).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| Error::Worker(format!("could not start a thread: {e}")))?;
    Ok(Worker {
        tx: Some(tx),
        rx,
        join: Some(join),
        range,
    })
}

impl Drop for VecEnv {
    fn drop(&mut self) {
        if let Backend::Threads(_, workers) = &mut self.backend {
            for w in workers.iter_mut() {
                w.tx.take(); // closing the channel ends the worker loop
            }
            for w in workers.iter_mut() {
                if let Some(j) = w.join.take() {
                    let _ = j.join();
                }
            }
        }
    }
}
