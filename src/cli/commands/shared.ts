/** Helpers for defining commands: every command gets the Cli through `CliFactory`. */
import { Help, type Command } from 'commander';
import type { Cli } from '../cli.js';

export type CliFactory = () => Cli;

/** Repeatable string option: `-f a -f b` → ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Definitions not run yet. Defining every command's flags took ~10 ms of each CLI start (the
 * create flags alone are defined four times: create and run, under `container` and at the top),
 * and a run needs one command. Names and aliases are there from the start, which is all that
 * finding a command (and suggesting one) needs; a command is defined when it is dispatched to
 * or its help is shown (see defineCommand's callers).
 */
const pending = new WeakMap<Command, (cmd: Command) => void>();
const hooked = new WeakSet<Command>();

/** Runs `cmd`'s pending definition, and with `deep` those of every command under it. */
export function defineCommand(cmd: Command, deep = false): void {
  const define = pending.get(cmd);
  if (define) {
    pending.delete(cmd);
    define(cmd);
  }
  if (deep) for (const sub of cmd.commands) defineCommand(sub, true);
}

/** Adds a subcommand built by `define` to `parent`, under `name` (with aliases); defined when first needed. */
export function addCommand(parent: Command, name: string, define: (cmd: Command) => void, aliases: string[] = []): Command {
  const cmd = parent.command(name);
  for (const a of aliases) cmd.alias(a);
  pending.set(cmd, define);
  if (!hooked.has(parent)) {
    hooked.add(parent);
    parent.hook('preSubcommand', (_parent, sub) => defineCommand(sub));
  }
  return cmd;
}

/**
 * Help settings for the root, which every command copies when it is made: a help text lists the
 * subcommands with their arguments and descriptions, so they and the command are defined first.
 */
export function defineBeforeHelp(program: Command): void {
  program.configureHelp({
    formatHelp(cmd, helper) {
      defineCommand(cmd);
      for (const sub of cmd.commands) defineCommand(sub);
      return Help.prototype.formatHelp.call(helper, cmd, helper);
    },
  });
}
