/**
 * The prune verbs and `system prune`: each POST …/prune returns what it deleted and the bytes
 * reclaimed; the CLI prints docker's "Deleted X:" blocks and one "Total reclaimed space" line.
 */
import type { Cli } from '../cli.js';
import { pruneNetworksReport } from '../commands/networks.js';
import { pruneVolumesReport } from '../commands/volumes.js';
import { filtersQuery, parseFilters } from '../filters.js';
import { renderDiskUsage, type DiskUsage } from '../format/system.js';
import { humanSize } from '../format/units.js';
import { confirm } from '../prompt.js';

interface Report {
  text: string;
  reclaimed: number;
}

const block = (title: string, items: string[]) => (items.length ? `${title}:\n${items.map((i) => `${i}\n`).join('')}\n` : '');

async function containersReport(cli: Cli, filter: string[]): Promise<Report> {
  const r = await cli.client.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters: filtersQuery(filter) } });
  return { text: block('Deleted Containers', r.ContainersDeleted ?? []), reclaimed: r.SpaceReclaimed ?? 0 };
}

async function imagesReport(cli: Cli, all: boolean, filter: string[]): Promise<Report> {
  const filters = parseFilters(filter);
  filters.dangling = { [String(!all)]: true };
  const r = await cli.client.json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', { query: { filters: JSON.stringify(filters) } });
  const items = (r.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`));
  return { text: block('Deleted Images', items), reclaimed: r.SpaceReclaimed ?? 0 };
}

async function buildCacheReport(cli: Cli, o: { all?: boolean; filter: string[]; keepStorage?: string }): Promise<Report> {
  const r = await cli.client.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', {
    query: { all: o.all || undefined, filters: filtersQuery(o.filter), 'keep-storage': o.keepStorage },
  });
  return { text: block('Deleted build cache objects', r.CachesDeleted ?? []), reclaimed: r.SpaceReclaimed ?? 0 };
}

const total = (cli: Cli, r: Report) => cli.out(`${r.text}Total reclaimed space: ${humanSize(r.reclaimed)}\n`);

export async function pruneContainers(cli: Cli, o: { force?: boolean; filter: string[] }): Promise<void> {
  if (!o.force && !(await confirm(cli, 'WARNING! This will remove all stopped containers.'))) return;
  total(cli, await containersReport(cli, o.filter));
}

export async function pruneBuildCache(cli: Cli, o: { all?: boolean; force?: boolean; filter: string[]; keepStorage?: string }): Promise<void> {
  const warning = o.all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.';
  if (!o.force && !(await confirm(cli, warning))) return;
  total(cli, await buildCacheReport(cli, o));
}

export interface SystemPruneOptions {
  all?: boolean;
  volumes?: boolean;
  force?: boolean;
  filter: string[];
}

export async function pruneSystem(cli: Cli, o: SystemPruneOptions): Promise<void> {
  const what = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(o.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    o.all ? 'all images without at least one container associated to them' : 'all dangling images',
    o.all ? 'all build cache' : 'unused build cache',
  ];
  if (!o.force && !(await confirm(cli, `WARNING! This will remove:\n${what.map((w) => `  - ${w}\n`).join('')}`))) return;
  const reports: Report[] = [await containersReport(cli, o.filter), { text: await pruneNetworksReport(cli, o.filter), reclaimed: 0 }];
  // `until` does not apply to volumes (docker refuses it there).
  if (o.volumes) reports.push(await pruneVolumesReport(cli, { filter: o.filter.filter((f) => !f.startsWith('until=')) }));
  reports.push(await imagesReport(cli, Boolean(o.all), o.filter));
  reports.push(await buildCacheReport(cli, { all: o.all, filter: o.filter }));
  total(cli, { text: reports.map((r) => r.text).join(''), reclaimed: reports.reduce((s, r) => s + r.reclaimed, 0) });
}

export async function showDiskUsage(cli: Cli, o: { verbose?: boolean; format?: string }): Promise<void> {
  const df = await cli.client.get<DiskUsage>('/system/df');
  cli.out(renderDiskUsage(df, o));
}
