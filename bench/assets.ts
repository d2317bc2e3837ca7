// `npm run bench:assets`: asset purchases per second over HTTP across 1,000 assets and 1,000 wallets, with the
// assets read model kept current. What it measures, its options and its checks are described at the top of
// assets/main.ts; the other files in assets/ are listed there.
//
// This file is also the load generator's process: main.ts starts it again with --load-spec.
import { run } from './assets/main.ts';

run();
