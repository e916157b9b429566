/** version, info and the generic inspect. */
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { inspectObjects, type ObjectType } from '../images/inspect.js';
import { showInfo, showVersion } from '../system/system.js';
import { addCommand, type CliFactory } from './shared.js';

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
  addCommand(program, 'inspect', (cmd) =>
    cmd
      .description('Return low-level information on berth objects')
      .argument('<NAME|ID...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-s, --size', 'Display total file sizes if the type is container')
      .option('--type <string>', 'Only inspect objects of the given type (container, image)')
      .action((names: string[], o: { format?: string; size?: boolean; type?: string }) => {
        if (o.type && o.type !== 'container' && o.type !== 'image') throw new CliError(`"${o.type}" is not a valid value for --type`);
        return inspectObjects(cli(), names, { format: o.format, size: o.size, type: o.type as ObjectType | undefined });
      }),
  );
}
