// A berth CLI with only the build command, until the lead wires it into src/cli/main.ts.
import { Command } from 'commander';
import { registerBuildCommand } from '../../src/cli/commands/build.js';
import { CliError } from '../../src/cli/errors.js';

const program = new Command('berth');
registerBuildCommand(program);
program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
