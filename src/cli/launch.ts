// What bin/berth runs: scripts/bundle-cli.mjs makes it dist/cli/launch.cjs, beside the CLI's
// bundle, dist/cli/berth.cjs, which it runs through V8's code cache (see code-cache.ts).
import { dirname, join } from 'node:path';
import { runBundle } from './code-cache.js';

runBundle(join(dirname(process.argv[1]!), 'berth.cjs'));
