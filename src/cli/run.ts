// Entry point for `bin/berth` and for tests that run the CLI from source.
import { main } from './main.js';

// `berth images | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await main(process.argv);
