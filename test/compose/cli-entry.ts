/**
 * Runs the berth CLI with `compose` registered, for the compose tests while the command is not
 * yet wired into src/cli/main.ts. Same error → exit status mapping as main().
 */
import { CommanderError } from 'commander';
import { normalizeBoolFlags } from '../../src/cli/argv.js';
import { createCli, type Cli, type GlobalOptions } from '../../src/cli/cli.js';
import { registerComposeCommand } from '../../src/cli/commands/compose.js';
import { describeError, exitCodeOf } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/main.js';

let cli: Cli | undefined;
const program = buildProgram(() => (cli ??= createCli(program.opts<GlobalOptions>())));
if (!program.commands.some((c) => c.name() === 'compose')) registerComposeCommand(program, () => (cli ??= createCli(program.opts<GlobalOptions>())));
const exitOverride = (cmd: typeof program): void => {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverride);
};
exitOverride(program);
try {
  await program.parseAsync(normalizeBoolFlags(process.argv));
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 125;
  else {
    const message = describeError(err, cli?.host ?? '');
    if (message) process.stderr.write(`${message}\n`);
    process.exitCode = exitCodeOf(err);
  }
} finally {
  cli?.close();
}
