/** `berth volume …`: flags → options → the Docker volume API. */
import type { Command } from 'commander';
import type { Cli } from '../cli.js';
import { forEach } from '../containers/manage.js';
import { filtersQuery, parseFilters } from '../filters.js';
import { renderList } from '../format/output.js';
import { volumeListFormat, volumeRows, type VolumeSummary } from '../format/networks.js';
import { humanSize } from '../format/units.js';
import { inspectObjects } from '../images/inspect.js';
import { confirm } from '../prompt.js';
import { keyValues } from './networks.js';
import { addCommand, collect, type CliFactory } from './shared.js';

const enc = encodeURIComponent;

async function createVolume(cli: Cli, name: string | undefined, o: { driver: string; opt: string[]; label: string[] }): Promise<void> {
  const v = await cli.client.json<{ Name: string }>('POST', '/volumes/create', { body: { Name: name ?? '', Driver: o.driver, DriverOpts: keyValues(o.opt), Labels: keyValues(o.label) } });
  cli.out(`${v.Name}\n`);
}

async function listVolumes(cli: Cli, o: { filter: string[]; format?: string; quiet?: boolean }): Promise<void> {
  const r = await cli.client.get<{ Volumes: VolumeSummary[] | null }>('/volumes', { filters: filtersQuery(o.filter) });
  const list = (r.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
  cli.out(renderList(volumeRows(list), volumeListFormat(o)));
}

/** POST /volumes/prune; `all` also takes named volumes (API ≥ 1.42). Returns the report text. */
export async function pruneVolumesReport(cli: Cli, o: { all?: boolean; filter: string[] }): Promise<{ text: string; reclaimed: number }> {
  const filters = parseFilters(o.filter);
  if (o.all) filters.all = { true: true };
  const r = await cli.client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
    query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  const deleted = r.VolumesDeleted ?? [];
  return { text: deleted.length ? `Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n` : '', reclaimed: r.SpaceReclaimed ?? 0 };
}

async function pruneVolumes(cli: Cli, o: { all?: boolean; force?: boolean; filter: string[] }): Promise<void> {
  const warning = o.all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  if (!o.force && !(await confirm(cli, warning))) return;
  const r = await pruneVolumesReport(cli, o);
  cli.out(`${r.text}Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}

export function registerVolumeCommands(program: Command, cli: CliFactory): void {
  const volume = program.command('volume').description('Manage volumes');
  addCommand(volume, 'create', (cmd) =>
    cmd
      .description('Create a volume')
      .argument('[VOLUME]')
      .option('-d, --driver <string>', 'Specify volume driver name', 'local')
      .option('-o, --opt <map>', 'Set driver specific options', collect, [])
      .option('--label <list>', 'Set metadata for a volume', collect, [])
      .option('--name <string>', 'Specify volume name')
      .action((name: string | undefined, o: { driver: string; opt: string[]; label: string[]; name?: string }) => createVolume(cli(), name ?? o.name, o)),
  );
  addCommand(
    volume,
    'ls',
    (cmd) =>
      cmd
        .description('List volumes')
        .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', collect, [])
        .option('--format <string>', 'Format output using a custom template')
        .option('-q, --quiet', 'Only display volume names')
        .action((o: { filter: string[]; format?: string; quiet?: boolean }) => listVolumes(cli(), o)),
    ['list'],
  );
  addCommand(volume, 'inspect', (cmd) =>
    cmd
      .description('Display detailed information on one or more volumes')
      .argument('<VOLUME...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .action((names: string[], o: { format?: string }) => inspectObjects(cli(), names, { format: o.format, type: 'volume' })),
  );
  addCommand(
    volume,
    'rm',
    (cmd) =>
      cmd
        .description('Remove one or more volumes')
        .argument('<VOLUME...>')
        .option('-f, --force', 'Force the removal of one or more volumes')
        .action((names: string[], o: { force?: boolean }) =>
          forEach(cli(), names, async (n) => {
            (await cli().client.call('DELETE', `/volumes/${enc(n)}`, { query: { force: o.force || undefined } })).resume();
          }),
        ),
    ['remove'],
  );
  addCommand(volume, 'prune', (cmd) =>
    cmd
      .description('Remove unused local volumes')
      .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
      .action((o: { all?: boolean; force?: boolean; filter: string[] }) => pruneVolumes(cli(), o)),
  );
}
