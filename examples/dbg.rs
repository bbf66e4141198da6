use idemfuzz::fuzz::ops::Op;
use proptest::strategy::{Strategy, ValueTree};
fn main() {
    let env = idemfuzz::env::EnvSnapshot::default();
    let text = std::fs::read_to_string("scenarios/demo.toml").unwrap();
    let s = idemfuzz::scenario::load_str(std::path::Path::new("scenarios/demo.toml"), &text, &env)
        .unwrap();
    let r = &s.resources[0];
    let strat = idemfuzz::fuzz::strategy::case_strategy(r, 8);
    let mut hits = 0;
    let mut lens = 0;
    for seed in 0..1000u64 {
        let mut g = idemfuzz::scenario::generate::BodyGenerator::new(seed);
        let c = strat.new_tree(g.runner()).unwrap().current();
        lens += c.steps.len();
        let mut posted = [false; 2];
        let mut hit = false;
        for op in &c.steps {
            match op {
                Op::Post { slot, .. } => posted[*slot] = true,
                Op::Put {
                    slot,
                    partial: true,
                    ..
                } if posted[*slot] => hit = true,
                _ => {}
            }
        }
        if hit {
            hits += 1;
        }
    }
    println!("hits {hits}/1000 avg len {}", lens as f64 / 1000.0);
}
