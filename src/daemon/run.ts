// Entry point for `bin/berthd` and for tests that start berthd from source.
import { main } from './main.js';

await main(process.argv);
