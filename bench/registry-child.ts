// Runs `berth registry` in its own process for the benchmark (so its RSS is its own).
import { startRegistry } from '../src/registry/server/index.js';

const [root] = process.argv.slice(2);
if (!root) throw new Error('usage: registry-child.ts ROOT');
startRegistry({ addr: '127.0.0.1:0', root }).then((r) => {
  process.stdout.write(`${r.url}\n`);
  process.once('SIGTERM', () => void r.close().then(() => process.exit(0)));
});
