/**
 * The berth CLI: global options, the command tree, and error → exit status mapping.
 * Commands only parse flags; the work happens in the modules they call.
 */
import { Command, CommanderError, Option } from 'commander';
import { BERTH_VERSION } from '../api/version.js';
import { DEFAULT_HOST } from '../client/client.js';
import { normalizeBoolFlags } from './argv.js';
import { createCli, type Cli, type GlobalOptions } from './cli.js';
import { registerCompletionCommand } from './commands/completion.js';
import { defineBeforeHelp } from './commands/shared.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerImageCommands } from './commands/images.js';
import { registerNetworkCommands } from './commands/networks.js';
import { registerVolumeCommands } from './commands/volumes.js';
import { registerSystemCommands } from './commands/system.js';
import { describeError, exitCodeOf } from './errors.js';

/** Usage errors (unknown flag, missing argument) exit 125, like the docker CLI. */
const USAGE_EXIT = 125;

/**
 * Command groups whose modules are heavy to import (compose pulls in the compose engine, build
 * the context packer, distribution the registry client, registry the storage layer). They are
 * imported only when their command is the one being run; otherwise a light stub with the same
 * name and description stands in, so `berth --help` still lists them.
 */
interface LazyGroup {
  /** Top-level command → description (for the stub). */
  commands: Record<string, string>;
  /** Subcommands the module also adds under `image`. */
  image?: Record<string, string>;
  register(program: Command, getCli: () => Cli): Promise<void>;
}

const LAZY: LazyGroup[] = [
  {
    commands: { pull: 'Download an image from a registry', push: 'Upload an image to a registry', login: 'Authenticate to a registry', logout: 'Log out from a registry', search: 'Search a registry for images' },
    image: { pull: 'Download an image from a registry', push: 'Upload an image to a registry' },
    register: async (program, getCli) => (await import('./commands/distribution.js')).registerDistributionCommands(program, getCli),
  },
  {
    commands: { build: 'Build an image from a Dockerfile' },
    image: { build: 'Build an image from a Dockerfile' },
    register: async (program, getCli) => (await import('./commands/build.js')).registerBuildCommand(program, getCli),
  },
  { commands: { compose: 'Define and run multi-container applications' }, register: async (program, getCli) => (await import('./commands/compose.js')).registerComposeCommand(program, getCli) },
  { commands: { registry: 'Run an OCI distribution registry' }, register: async (program) => (await import('./commands/registry.js')).registerRegistryCommands(program) },
];

/** Global options that take a value: their value is not the command word. */
const VALUE_OPTIONS = new Set(['-H', '--host', '--tlscacert', '--tlscert', '--tlskey']);

/** The command path words (`['image', 'build']`) before any of the command's own options. */
export function commandWords(args: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 3; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (words.length) break;
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  return words[0] === 'help' ? words.slice(1) : words;
}

/** Whether `words` names a command of `group`. */
function wants(group: LazyGroup, words: string[]): boolean {
  const [first, second] = words;
  if (first !== undefined && Object.hasOwn(group.commands, first)) return true;
  return first === 'image' && second !== undefined && Object.hasOwn(group.image ?? {}, second);
}

/** Adds a stub that, when run, asks main() to load `group` and parse again. */
function addStub(parent: Command, name: string, description: string, onRun: () => void): void {
  parent
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(onRun);
}

export interface LazyOptions {
  /** Load every lazy group for real. */
  loadAll?: boolean;
  /** The command words being run: their groups are loaded for real. */
  words?: string[];
  /** Called when a stub runs (its group was not loaded). */
  onStub?: (group: number) => void;
}

/** The command tree without the lazy groups (see addLazyCommands). */
export function buildProgram(getCli: () => Cli): Command {
  const program = new Command('berth');
  defineBeforeHelp(program);
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
  registerNetworkCommands(program, getCli);
  registerVolumeCommands(program, getCli);
  registerCompletionCommand(program);
  return program;
}

/** Adds the lazy groups: for real when wanted (or all), as stubs otherwise. */
export async function addLazyCommands(program: Command, getCli: () => Cli, opts: LazyOptions = { loadAll: true }): Promise<void> {
  for (const [i, group] of LAZY.entries()) {
    if (opts.loadAll || wants(group, opts.words ?? [])) {
      await group.register(program, getCli);
      continue;
    }
    const stub = () => opts.onStub?.(i);
    for (const [name, desc] of Object.entries(group.commands)) addStub(program, name, desc, stub);
    const image = program.commands.find((c) => c.name() === 'image');
    for (const [name, desc] of Object.entries(group.image ?? {})) if (image) addStub(image, name, desc, stub);
  }
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

export async function main(argv: string[]): Promise<void> {
  let cli: Cli | undefined;
  let program!: Command;
  const getCli = () => (cli ??= createCli(program.opts<GlobalOptions>()));
  const args = normalizeBoolFlags(argv);
  let code = 0;
  try {
    let stubbed: number | undefined;
    program = buildProgram(getCli);
    await addLazyCommands(program, getCli, { words: commandWords(args.slice(2)), onStub: (g) => (stubbed = g) });
    await parse(program, args);
    if (stubbed !== undefined) {
      // A lazy command was reached in a way the word scan did not foresee: load everything, parse again.
      program = buildProgram(getCli);
      await addLazyCommands(program, getCli, { loadAll: true });
      await parse(program, args);
    }
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      code = err.exitCode === 0 ? 0 : USAGE_EXIT;
    } else {
      const message = describeError(err, cli?.host ?? program?.opts<GlobalOptions>().host ?? DEFAULT_HOST);
      if (message) process.stderr.write(`${message}\n`);
      code = exitCodeOf(err);
      if (cli?.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
  } finally {
    cli?.close();
  }
  process.exitCode = code || process.exitCode || 0;
}

async function parse(program: Command, args: string[]): Promise<void> {
  applyExitOverride(program);
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  await program.parseAsync(args);
}
