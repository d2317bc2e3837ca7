// `npm run bench:impact`: verified quest completions per second over HTTP with the impact read model (players,
// leaderboards) kept current, and the leaderboard's freshness. What it measures, its options and its checks
// are described at the top of impact/main.ts; the other files in impact/ are listed there.
//
// This file is also the load generator's process: main.ts starts it again with --load-spec.
import { run } from './impact/main.ts';

run();
