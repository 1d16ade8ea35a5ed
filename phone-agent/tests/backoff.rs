//! Reconnect delays: they grow from 1 s, double, stop at 60 s, and the jitter stays in bounds.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use ringlink_agent::backoff::{Backoff, FIRST_DELAY, JITTER_DIVISOR, MAX_DELAY};

// covers DIAL-3: the agent keeps coming back so the page can show it connected again.
#[test]
fn delays_double_up_to_the_cap_with_bounded_jitter() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut b = Backoff::new();
    let mut steps = Vec::new();
    for _ in 0..12 {
        let step = b.step();
        let delay = b.next_delay_with(&mut rng);
        assert!(delay >= step, "{delay:?} < {step:?}");
        assert!(
            delay <= step + step / JITTER_DIVISOR,
            "{delay:?} too long for {step:?}"
        );
        steps.push(step.as_secs());
    }
    assert_eq!(steps, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]);
    assert_eq!(FIRST_DELAY, Duration::from_secs(1));
    assert_eq!(MAX_DELAY, Duration::from_secs(60));
    assert_eq!(b.failures(), 12);
    b.reset();
    assert_eq!((b.step(), b.failures()), (FIRST_DELAY, 0));
}

// covers DIAL-3
#[test]
fn jitter_actually_varies() {
    let mut rng = StdRng::seed_from_u64(1);
    let delays: std::collections::HashSet<_> = (0..20)
        .map(|_| {
            let mut b = Backoff::new();
            for _ in 0..6 {
                b.next_delay_with(&mut rng);
            }
            b.next_delay_with(&mut rng)
        })
        .collect();
    assert!(delays.len() > 1, "the same delay every time: {delays:?}");
    assert!(delays
        .iter()
        .all(|d| *d >= MAX_DELAY && *d <= MAX_DELAY + MAX_DELAY / JITTER_DIVISOR));
}
