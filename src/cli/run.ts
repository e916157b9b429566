// Entry point for `bin/berth` and for tests that run the CLI from source.
import { main } from './main.js';

await main(process.argv);
