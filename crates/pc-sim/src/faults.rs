//! Choosing the fault of each request: scripted faults first, then a seeded draw.

use crate::config::{FaultConfig, FaultKind};
use crate::route::Operation;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// The fault generator of one simulator.
#[derive(Debug)]
pub(crate) struct Faults {
    rng: StdRng,
    script: VecDeque<(Option<Operation>, FaultKind)>,
}

impl Faults {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            // Apart from the id generator's, so that faults never change the ids.
            rng: StdRng::seed_from_u64(seed ^ 0x6661_756c_7473),
            script: VecDeque::new(),
        }
    }

    pub(crate) fn script(&mut self, operation: Option<Operation>, kinds: &[FaultKind]) {
        self.script
            .extend(kinds.iter().map(|kind| (operation, *kind)));
    }

    pub(crate) fn clear_script(&mut self) {
        self.script.clear();
    }

    /// The fault for one request to `operation`, if any.
    pub(crate) fn next(&mut self, config: &FaultConfig, operation: Operation) -> Option<FaultKind> {
        let scripted = self
            .script
            .iter()
            .position(|(only, _)| only.is_none_or(|only| only == operation));
        if let Some(index) = scripted {
            return self.script.remove(index).map(|(_, kind)| kind);
        }
        let (rate, kinds) = config.rule_for(operation);
        draw(&mut self.rng, rate, kinds)
    }
}

/// One draw: a fault with probability `rate`, picked uniformly from `kinds`.
pub(crate) fn draw(rng: &mut impl Rng, rate: f64, kinds: &[FaultKind]) -> Option<FaultKind> {
    if rate <= 0.0 || kinds.is_empty() {
        return None;
    }
    if rng.random::<f64>() >= rate {
        return None;
    }
    kinds.get(rng.random_range(0..kinds.len())).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Whether `hits` out of `draws` is within five standard deviations of `rate`.
    fn within_binomial_bound(hits: usize, draws: usize, rate: f64) -> bool {
        let mean = draws as f64 * rate;
        let sd = (draws as f64 * rate * (1.0 - rate)).sqrt();
        (hits as f64 - mean).abs() <= 5.0 * sd
    }

    #[test]
    fn the_rate_holds_for_a_fixed_seed() {
        let config = FaultConfig {
            rate: 0.3,
            kinds: vec![FaultKind::Throttle, FaultKind::Unavailable],
            ..Default::default()
        };
        let mut faults = Faults::new(42);
        let drawn: Vec<_> = (0..1000)
            .map(|_| faults.next(&config, Operation::BatchStatus))
            .collect();
        let hits = drawn.iter().flatten().count();
        assert!(within_binomial_bound(hits, 1000, 0.3), "{hits} faults");
        let throttles = drawn
            .iter()
            .flatten()
            .filter(|kind| **kind == FaultKind::Throttle)
            .count();
        assert!(
            within_binomial_bound(throttles, hits, 0.5),
            "{throttles} 429s"
        );
        // The same seed draws the same faults.
        let mut again = Faults::new(42);
        let redrawn: Vec<_> = (0..1000)
            .map(|_| again.next(&config, Operation::BatchStatus))
            .collect();
        assert_eq!(drawn, redrawn);
    }

    #[test]
    fn per_operation_rules_replace_the_default() {
        let config = FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::InternalError],
            per_operation: BTreeMap::from([(
                Operation::Token,
                crate::FaultRule {
                    rate: 0.0,
                    kinds: vec![],
                },
            )]),
            ..Default::default()
        };
        let mut faults = Faults::new(1);
        for _ in 0..100 {
            assert_eq!(faults.next(&config, Operation::Token), None);
            assert_eq!(
                faults.next(&config, Operation::ListBatches),
                Some(FaultKind::InternalError)
            );
        }
    }

    #[test]
    fn scripted_faults_come_first_and_in_order() {
        let config = FaultConfig::default();
        let mut faults = Faults::new(1);
        faults.script(
            Some(Operation::CreateBatch),
            &[FaultKind::Reset, FaultKind::Throttle],
        );
        faults.script(None, &[FaultKind::Unavailable]);
        assert_eq!(
            faults.next(&config, Operation::Token),
            Some(FaultKind::Unavailable)
        );
        assert_eq!(faults.next(&config, Operation::Token), None);
        assert_eq!(
            faults.next(&config, Operation::CreateBatch),
            Some(FaultKind::Reset)
        );
        assert_eq!(
            faults.next(&config, Operation::CreateBatch),
            Some(FaultKind::Throttle)
        );
        assert_eq!(faults.next(&config, Operation::CreateBatch), None);
    }
}
