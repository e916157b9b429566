/** version, info and the generic inspect. */
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { inspectObjects, type ObjectType } from '../images/inspect.js';
import { showInfo, showVersion } from '../system/system.js';
import { addCommand, collect, type CliFactory } from './shared.js';

export function registerSystemCommands(program: Command, cli: CliFactory): void {
  addCommand(program, 'version', (cmd) =>
    cmd
      .description('Show the berth version information')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((o: { format?: string }) => showVersion(cli(), o)),
  );
  addCommand(program, 'info', (cmd) =>
    cmd
      .description('Display system-wide information')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((o: { format?: string }) => showInfo(cli(), o)),
  );
  const system = program.command('system').description('Manage berth');
  addCommand(system, 'info', (cmd) =>
    cmd
      .description('Display system-wide information')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((o: { format?: string }) => showInfo(cli(), o)),
  );
  addCommand(system, 'df', (cmd) =>
    cmd
      .description('Show berth disk usage')
      .option('--format <string>', 'Format output using a custom template')
      .option('-v, --verbose', 'Show detailed information on space usage')
      .action(async (o: { format?: string; verbose?: boolean }) => (await import('../containers/prune.js')).showDiskUsage(cli(), o)),
  );
  addCommand(system, 'prune', (cmd) =>
    cmd
      .description('Remove unused data')
      .option('-a, --all', 'Remove all unused images not just dangling ones')
      .option('--volumes', 'Prune anonymous volumes')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [])
      .action(async (o: { all?: boolean; volumes?: boolean; force?: boolean; filter: string[] }) => (await import('../containers/prune.js')).pruneSystem(cli(), o)),
  );
  const builder = program.command('builder').description('Manage builds');
  addCommand(builder, 'prune', (cmd) =>
    cmd
      .description('Remove build cache')
      .option('-a, --all', 'Remove all unused build cache, not just dangling ones')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "until=24h")', collect, [])
      .option('--keep-storage <bytes>', 'Amount of disk space to keep for cache')
      .action(async (o: { all?: boolean; force?: boolean; filter: string[]; keepStorage?: string }) => (await import('../containers/prune.js')).pruneBuildCache(cli(), o)),
  );
  addCommand(program, 'inspect', (cmd) =>
    cmd
      .description('Return low-level information on berth objects')
      .argument('<NAME|ID...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-s, --size', 'Display total file sizes if the type is container')
      .option('--type <string>', 'Only inspect objects of the given type (container, image, network, volume)')
      .action((names: string[], o: { format?: string; size?: boolean; type?: string }) => {
        if (o.type && !['container', 'image', 'network', 'volume'].includes(o.type)) throw new CliError(`"${o.type}" is not a valid value for --type`);
        return inspectObjects(cli(), names, { format: o.format, size: o.size, type: o.type as ObjectType | undefined });
      }),
  );
}
