// Entry point of the CLI: bundled for `bin/berth` (scripts/bundle-cli.mjs), and run from
// dist/src by tests that run the CLI from source.
import { main } from './main.js';

// bin/berth hands NODE_EXTRA_CA_CERTS over as BERTH_EXTRA_CA_CERTS, for the client alone to read
// (see there); the programs the CLI starts, credential helpers among them, get it back.
if (process.env.BERTH_EXTRA_CA_CERTS !== undefined) process.env.NODE_EXTRA_CA_CERTS ??= process.env.BERTH_EXTRA_CA_CERTS;

// `berth images | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// Not awaited at the top: the bundle is CommonJS, which has no top-level await. main() settles
// every error itself, into process.exitCode.
void main(process.argv);
