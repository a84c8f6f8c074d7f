//! The few numerical tools the models need: the log-gamma function, the
//! Gaussian hypergeometric series and a derivative-free minimiser. Written
//! here because they are small and the browser build must stay lean.

/// ln Γ(x) for x > 0, by the Lanczos approximation (g = 7, nine terms),
/// accurate to about 1e-14 relative.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in the range where it is accurate.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The Gaussian hypergeometric function ₂F₁(a, b; c; z) for 0 <= z < 1 and
/// c > 0, summed as its power series. None when the series does not settle.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) || c <= 0.0 {
        return None;
    }
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 0..100_000 {
        let k = f64::from(k);
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-15 * sum.abs() {
            return sum.is_finite().then_some(sum);
        }
    }
    None
}

/// Where a minimisation ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub point: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Objective evaluations used.
    pub evaluations: usize,
    /// Whether the simplex shrank below the tolerance before the budget ran out.
    pub converged: bool,
}

/// Minimises `f` from `start` by the Nelder–Mead simplex method, restarting
/// once from the best point (a collapsed simplex can stall short of the
/// minimum). Non-finite values count as +∞, so the search steers away.
pub fn nelder_mead(f: impl Fn(&[f64]) -> f64, start: &[f64], step: f64, budget: usize) -> Minimum {
    let f = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut best = simplex_search(&f, start, step, budget);
    let restart = simplex_search(&f, &best.point, step / 4.0, budget.saturating_sub(best.evaluations));
    let evaluations = best.evaluations + restart.evaluations;
    if restart.value <= best.value {
        best = restart;
    }
    best.evaluations = evaluations;
    best
}

fn simplex_search(f: &impl Fn(&[f64]) -> f64, start: &[f64], step: f64, budget: usize) -> Minimum {
    let n = start.len();
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step;
        points.push(p);
    }
    let mut values: Vec<f64> = points.iter().map(|p| f(p)).collect();
    let mut evaluations = n + 1;
    let mut converged = false;
    while evaluations < budget {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        points = order.iter().map(|&i| points[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        let spread = (values[n] - values[0]).abs();
        let size = points[1..]
            .iter()
            .map(|p| p.iter().zip(&points[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
            .fold(0.0, f64::max);
        if spread <= 1e-12 * (values[0].abs() + 1e-12) && size <= 1e-8 {
            converged = true;
            break;
        }
        let centroid: Vec<f64> =
            (0..n).map(|d| points[..n].iter().map(|p| p[d]).sum::<f64>() / n as f64).collect();
        let towards =
            |t: f64| -> Vec<f64> { centroid.iter().zip(&points[n]).map(|(c, w)| c + t * (c - w)).collect() };
        let reflected = towards(1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < values[0] {
            let expanded = towards(2.0);
            let fe = f(&expanded);
            evaluations += 1;
            (points[n], values[n]) = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < values[n - 1] {
            (points[n], values[n]) = (reflected, fr);
        } else {
            let contracted = if fr < values[n] { towards(0.5) } else { towards(-0.5) };
            let fc = f(&contracted);
            evaluations += 1;
            if fc < values[n].min(fr) {
                (points[n], values[n]) = (contracted, fc);
            } else {
                for i in 1..=n {
                    points[i] = points[0].iter().zip(&points[i]).map(|(b, p)| b + 0.5 * (p - b)).collect();
                    values[i] = f(&points[i]);
                }
                evaluations += n;
            }
        }
    }
    let best = (0..=n).min_by(|&i, &j| values[i].total_cmp(&values[j])).unwrap_or(0);
    Minimum { point: points[best].clone(), value: values[best], evaluations, converged }
}

/// A small seeded generator (SplitMix64) for simulations: the same seed
/// gives the same customers on every machine.
#[derive(Debug, Clone)]
pub struct SeededRandom(u64);

impl SeededRandom {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal variate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// A Gamma(shape, scale 1) variate (Marsaglia and Tsang, 2000).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// A Beta(a, b) variate.
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }

    /// An exponential variate with rate `rate`.
    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!((ln_gamma(1.0)).abs() < 1e-13);
        assert!((ln_gamma(2.0)).abs() < 1e-13);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // Γ(x + 1) = x Γ(x), far from the small arguments above.
        assert!((ln_gamma(101.5) - ln_gamma(100.5) - 100.5f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(171.0) - (1..171).map(|k| f64::from(k).ln()).sum::<f64>()).abs() < 1e-9);
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = -ln(1 - z) / z
        let z = 0.7;
        assert!((hyp2f1(1.0, 1.0, 2.0, z).unwrap() - (-(1.0f64 - z).ln() / z)).abs() < 1e-12);
        // ₂F₁(a, b; b; z) = (1 - z)^-a
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.3).unwrap() - 0.7f64.powf(-2.5)).abs() < 1e-12);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), None);
    }

    #[test]
    fn nelder_mead_finds_the_bottom_of_a_valley() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let min = nelder_mead(rosenbrock, &[-1.2, 1.0], 0.5, 5000);
        assert!(min.converged, "{min:?}");
        assert!((min.point[0] - 1.0).abs() < 1e-4 && (min.point[1] - 1.0).abs() < 1e-4, "{min:?}");
    }

    #[test]
    fn the_seeded_generator_draws_the_right_moments() {
        let mut random = SeededRandom::new(7);
        let n = 200_000;
        let gammas: Vec<f64> = (0..n).map(|_| random.gamma(0.4)).collect();
        let mean = gammas.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.4).abs() < 0.01, "gamma mean {mean}");
        let betas: Vec<f64> = (0..n).map(|_| random.beta(2.0, 6.0)).collect();
        let mean = betas.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.25).abs() < 0.005, "beta mean {mean}");
    }
}
