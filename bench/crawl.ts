// `npm run bench:crawl`: crawl billing throughput over HTTP, the batched gateway against the one-at-a-time
// handler, every figure verified from the escrow stream. What it measures, its options and its checks are
// described at the top of crawl/main.ts; the other files in crawl/ are listed there.
//
// This file is also the load generator's process: main.ts starts it again with --clients-spec.
import { run } from './crawl/main.ts';

run();
