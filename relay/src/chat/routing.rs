//! Who gets a new visitor (CHAT-4), as rules alone: every agent in the normal state with room
//! is a candidate (never busy or offline ones, never one over capacity, and, if the site says
//! so, never one on a live phone call). Balanced routing gives the visitor to the agent with
//! the fewest open conversations, ties to the one idle longest; random picks any candidate.

use ringlink_protocol::console::AgentState;

use super::config::RoutingMode;

/// An agent as routing sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub staff_id: i64,
    pub state: AgentState,
    pub open: u32,
    /// When their last conversation was assigned or ended (ms): smaller is idle longer.
    pub idle_since_ms: i64,
    pub on_call: bool,
}

/// The order to try agents in: the first that still has room when the store is asked gets the
/// visitor (another relay may fill an agent between the read and the write). `exclude` is the
/// agent a conversation is moving away from.
pub fn ranked(
    agents: &[Candidate],
    capacity: u32,
    mode: RoutingMode,
    skip_on_call: bool,
    exclude: Option<i64>,
    seed: u64,
) -> Vec<i64> {
    let mut fit: Vec<&Candidate> = agents
        .iter()
        .filter(|a| a.state == AgentState::Normal && a.open < capacity)
        .filter(|a| !(skip_on_call && a.on_call))
        .filter(|a| Some(a.staff_id) != exclude)
        .collect();
    match mode {
        RoutingMode::Balanced => {
            fit.sort_by_key(|a| (a.open, a.idle_since_ms, a.staff_id));
        }
        RoutingMode::Random => {
            // A Fisher-Yates shuffle driven by `seed` (a splitmix64 stream), so tests can
            // repeat a draw.
            let mut s = seed;
            let mut next = || {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            for i in (1..fit.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                fit.swap(i, j);
            }
        }
    }
    fit.into_iter().map(|a| a.staff_id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn agent(id: i64, state: AgentState, open: u32, idle: i64) -> Candidate {
        Candidate {
            staff_id: id,
            state,
            open,
            idle_since_ms: idle,
            on_call: false,
        }
    }

    // covers CHAT-4: fewest open first, ties to the one idle longest
    #[test]
    fn balanced_routing_prefers_the_least_loaded_then_the_longest_idle() {
        let agents = [
            agent(1, AgentState::Normal, 2, 10),
            agent(2, AgentState::Normal, 1, 50),
            agent(3, AgentState::Normal, 1, 20),
            agent(4, AgentState::Busy, 0, 0),
            agent(5, AgentState::Offline, 0, 0),
        ];
        assert_eq!(
            ranked(&agents, 3, RoutingMode::Balanced, true, None, 0),
            vec![3, 2, 1]
        );
        assert_eq!(
            ranked(&agents, 2, RoutingMode::Balanced, true, Some(3), 0),
            vec![2]
        );
    }

    // covers CHAT-4: the option not to route to an agent on a live phone call
    #[test]
    fn agents_on_a_call_are_skipped_when_the_site_says_so() {
        let mut a = agent(1, AgentState::Normal, 0, 0);
        a.on_call = true;
        let agents = [a, agent(2, AgentState::Normal, 2, 0)];
        assert_eq!(
            ranked(&agents, 3, RoutingMode::Balanced, true, None, 0),
            vec![2]
        );
        assert_eq!(
            ranked(&agents, 3, RoutingMode::Balanced, false, None, 0),
            vec![1, 2]
        );
    }

    fn any_agent() -> impl Strategy<Value = Candidate> {
        (
            0i64..20,
            prop_oneof![
                Just(AgentState::Normal),
                Just(AgentState::Busy),
                Just(AgentState::Offline)
            ],
            0u32..6,
            0i64..1000,
            any::<bool>(),
        )
            .prop_map(|(id, state, open, idle, on_call)| Candidate {
                staff_id: id,
                state,
                open,
                idle_since_ms: idle,
                on_call,
            })
    }

    proptest! {
        // covers CHAT-4, CHAT-5: never over capacity, never to busy, offline or on-call agents
        #[test]
        fn never_over_capacity_never_to_busy_or_offline(
            agents in proptest::collection::vec(any_agent(), 0..12),
            capacity in 1u32..5,
            random in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mode = if random { RoutingMode::Random } else { RoutingMode::Balanced };
            // One row per agent, as the store gives them.
            let agents: Vec<Candidate> = agents
                .into_iter()
                .enumerate()
                .map(|(i, a)| Candidate { staff_id: i as i64, ..a })
                .collect();
            let ranked_ids = ranked(&agents, capacity, mode, true, None, seed);
            let mut unique = ranked_ids.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), ranked_ids.len(), "each agent once");
            for id in ranked(&agents, capacity, mode, true, None, seed) {
                let a = agents.iter().find(|a| a.staff_id == id).unwrap();
                prop_assert_eq!(a.state, AgentState::Normal);
                prop_assert!(a.open < capacity);
                prop_assert!(!a.on_call);
            }
        }

        // covers CHAT-4: routing a stream of visitors one by one keeps the load within one
        // conversation across agents who stay normal, and never overfills anyone
        #[test]
        fn balanced_routing_keeps_loads_within_one(
            n_agents in 1usize..8,
            visitors in 0usize..40,
            capacity in 1u32..6,
        ) {
            let mut agents: Vec<Candidate> = (0..n_agents)
                .map(|i| agent(i as i64, AgentState::Normal, 0, i as i64))
                .collect();
            for t in 0..visitors {
                let Some(&first) = ranked(&agents, capacity, RoutingMode::Balanced, true, None, 0).first()
                else { break };
                let a = agents.iter_mut().find(|a| a.staff_id == first).unwrap();
                a.open += 1;
                a.idle_since_ms = 1000 + t as i64;
                let max = agents.iter().map(|a| a.open).max().unwrap();
                let min = agents.iter().map(|a| a.open).min().unwrap();
                prop_assert!(max - min <= 1, "loads {:?}", agents.iter().map(|a| a.open).collect::<Vec<_>>());
                prop_assert!(max <= capacity);
            }
        }
    }
}
