/**
 * The berth CLI: global options, the command tree, and error → exit status mapping.
 * Commands only parse flags; the work happens in the modules they call.
 */
import { Command, CommanderError, Option } from 'commander';
import { BERTH_VERSION } from '../api/version.js';
import { DEFAULT_HOST } from '../client/client.js';
import { normalizeBoolFlags } from './argv.js';
import { createCli, type Cli, type GlobalOptions } from './cli.js';
import { registerBuildCommand } from './commands/build.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerComposeCommand } from './commands/compose.js';
import { registerDistributionCommands } from './commands/distribution.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerImageCommands } from './commands/images.js';
import { registerSystemCommands } from './commands/system.js';
import { describeError, exitCodeOf } from './errors.js';

/** Usage errors (unknown flag, missing argument) exit 125, like the docker CLI. */
const USAGE_EXIT = 125;

export function buildProgram(getCli: () => Cli): Command {
  const program = new Command('berth');
  program
    .description('A self-sufficient runtime for containers')
    .usage('[OPTIONS] COMMAND')
    .addOption(new Option('-H, --host <host>', 'Daemon socket to connect to').env('BERTH_HOST'))
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlsverify', 'Use TLS and verify the remote')
    .option('--tlscacert <file>', 'Trust certs signed only by this CA')
    .option('--tlscert <file>', 'Path to TLS certificate file')
    .option('--tlskey <file>', 'Path to TLS key file')
    .option('-D, --debug', 'Enable debug mode')
    .version(`berth version ${BERTH_VERSION}`, '-v, --version', 'Print version information and quit')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .addHelpText('after', `\nThe daemon is reached at BERTH_HOST or ${DEFAULT_HOST} unless -H is given.`);
  registerImageCommands(program, getCli);
  registerContainerCommands(program, getCli);
  registerSystemCommands(program, getCli);
  registerDistributionCommands(program, getCli);
  registerBuildCommand(program, getCli);
  registerComposeCommand(program, getCli);
  registerDoctorCommand(program);
  registerCompletionCommand(program);
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

export async function main(argv: string[]): Promise<void> {
  let cli: Cli | undefined;
  const program: Command = buildProgram(() => (cli ??= createCli(program.opts<GlobalOptions>())));
  // The registry server pulls in storage modules; load it only when it is asked for.
  if (argv.slice(2).find((a) => !a.startsWith('-')) === 'registry') {
    const { registerRegistryCommands } = await import('./commands/registry.js');
    registerRegistryCommands(program);
  }
  applyExitOverride(program);
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  try {
    await program.parseAsync(normalizeBoolFlags(argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      code = err.exitCode === 0 ? 0 : USAGE_EXIT;
    } else {
      const message = describeError(err, cli?.host ?? program.opts<GlobalOptions>().host ?? DEFAULT_HOST);
      if (message) process.stderr.write(`${message}\n`);
      code = exitCodeOf(err);
      if (cli?.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
  } finally {
    cli?.close();
  }
  process.exitCode = code || process.exitCode || 0;
}
