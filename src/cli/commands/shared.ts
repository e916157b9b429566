/** Helpers for defining commands: every command gets the Cli through `CliFactory`. */
import type { Command } from 'commander';
import type { Cli } from '../cli.js';

export type CliFactory = () => Cli;

/** Repeatable string option: `-f a -f b` → ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds a subcommand built by `define` to `parent`, under `name` (with aliases). */
export function addCommand(parent: Command, name: string, define: (cmd: Command) => void, aliases: string[] = []): Command {
  const cmd = parent.command(name);
  for (const a of aliases) cmd.alias(a);
  define(cmd);
  return cmd;
}
