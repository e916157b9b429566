import type { Command } from 'commander';
import type { CliFactory } from './shared.js';
export function registerContainerCommands(_program: Command, _cli: CliFactory): void {}
