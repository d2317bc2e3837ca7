// `npm run bench:http`: votes per second through the real platform's processes, against a bare fastify floor,
// and the results route under that load. What it measures, its options and its checks are described at the
// top of http/main.ts; the other files in http/ are listed there.
//
// This file is also the floor's server process (--floor-server) and the load generator's (--load-spec).
import { run } from './http/main.ts';

run();
