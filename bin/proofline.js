#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step): tsx compiles them as they load.
import { register } from 'tsx/esm/api';

register();
await import('../gateways/cli/main.ts');
