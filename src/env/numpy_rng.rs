//! NumPy's legacy global random stream (`np.random.seed(s)`, `np.random.shuffle`), bit for bit,
//! so a benchmark whose reference code draws its goals that way gets exactly the reference's
//! goals: MT19937 seeded as `mt19937_seed` does (Knuth's initialisation, the integer seed
//! itself, not `init_by_array`), and `shuffle` as `RandomState.shuffle`: Fisher–Yates from the
//! back, each index drawn by `random_interval` (32-bit draws masked to the next power of two
//! less one, redrawn while above the bound); `uniform` as `random_sample` (53-bit doubles from
//! two draws). `tests/data/reference_goals.json`, written by
//! NumPy itself (`scripts/anchors/reference-goals`), pins it.

/// MT19937 with NumPy's legacy seeding.
pub struct NumpyRandomState {
    key: [u32; 624],
    pos: usize,
}

impl NumpyRandomState {
    /// `np.random.seed(seed)`.
    pub fn seed(seed: u32) -> Self {
        let mut key = [0u32; 624];
        key[0] = seed;
        for i in 1..624 {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        NumpyRandomState { key, pos: 624 }
    }

    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..624 {
            let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.key[i] = self.key[(i + 397) % 624] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next 32-bit output (tempered).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `np.random.random_sample()`: a double in [0, 1) from two 32-bit draws (27 + 26 bits).
    pub fn random_sample(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }

    /// `np.random.uniform(low, high)`: `low + (high − low)·random_sample()`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// NumPy's `random_interval(max)`: uniform in `0..=max` (`max` < 2³²).
    pub fn random_interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16] {
            mask |= mask >> shift;
        }
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `np.random.shuffle(x)` on the first axis.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.random_interval(i as u32) as usize;
            x.swap(i, j);
        }
    }
}

/// `np.linspace(start, stop, num)` (endpoint included and set exactly, as NumPy does).
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

/// The goal set of oyster's `SparsePointEnv` and HFR's `AntGoalEnv.sample_tasks`: `num` points
/// at angles `linspace(0, π, num)` on a circle of `radius` about the origin, shuffled by
/// `np.random.shuffle` right after `np.random.seed(seed)`.
pub fn shuffled_half_circle(radius: f64, num: usize, seed: u32) -> Vec<[f64; 2]> {
    let mut goals: Vec<[f64; 2]> = linspace(0.0, std::f64::consts::PI, num)
        .into_iter()
        .map(|a| [radius * a.cos(), radius * a.sin()])
        .collect();
    NumpyRandomState::seed(seed).shuffle(&mut goals);
    goals
}

/// HFR's cheetah-vel-sparse target velocities (`HalfCheetahVelEnvSparse.sample_tasks`):
/// `np.random.seed(seed)`, then `np.random.uniform(low, high, size=(count,))`.
pub fn seeded_uniform(low: f64, high: f64, count: usize, seed: u32) -> Vec<f64> {
    let mut r = NumpyRandomState::seed(seed);
    (0..count).map(|_| r.uniform(low, high)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MT19937's published check value: the 10000th output for seed 5489 is 4123659995.
    #[test]
    fn mt19937_matches_its_reference_value() {
        let mut r = NumpyRandomState::seed(5489);
        let v = (0..10_000).map(|_| r.next_u32()).last().unwrap();
        assert_eq!(v, 4_123_659_995);
    }

    #[test]
    fn random_interval_stays_inside_and_shuffle_permutes() {
        let mut r = NumpyRandomState::seed(1);
        for max in [0u32, 1, 2, 5, 99, 1 << 20] {
            for _ in 0..200 {
                assert!(r.random_interval(max) <= max);
            }
        }
        let mut x: Vec<usize> = (0..50).collect();
        r.shuffle(&mut x);
        let mut sorted = x.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(x, sorted);
    }

    #[test]
    fn linspace_ends_exactly() {
        let v = linspace(0.0, std::f64::consts::PI, 100);
        assert_eq!(v.len(), 100);
        assert_eq!(v[0], 0.0);
        assert_eq!(v[99], std::f64::consts::PI);
    }
}
