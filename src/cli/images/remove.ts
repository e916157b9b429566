/** `berth rmi` and `berth image prune`. */
import { ApiError } from '../../client/client.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { parseFilters } from '../filters.js';
import { humanSize } from '../format/units.js';
import { confirm } from '../prompt.js';

interface DeleteRecord {
  Untagged?: string;
  Deleted?: string;
}

export interface RemoveImagesOptions {
  force?: boolean;
  noPrune?: boolean;
}

/** Removes each name in turn; failures are reported at the end and make the exit status 1. */
export async function removeImages(cli: Cli, names: string[], opts: RemoveImagesOptions): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const records = await cli.client.json<DeleteRecord[]>('DELETE', `/images/${encodeURIComponent(name)}`, {
        query: { force: opts.force || undefined, noprune: opts.noPrune || undefined },
      });
      for (const r of records ?? []) {
        if (r.Untagged) cli.out(`Untagged: ${r.Untagged}\n`);
        if (r.Deleted) cli.out(`Deleted: ${r.Deleted}\n`);
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push(`Error response from daemon: ${err.message}`);
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
}

export interface PruneImagesOptions {
  all?: boolean;
  force?: boolean;
  filter: string[];
}

interface PruneReport {
  ImagesDeleted: DeleteRecord[] | null;
  SpaceReclaimed: number;
}

export async function pruneImages(cli: Cli, opts: PruneImagesOptions): Promise<void> {
  const warning = opts.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!opts.force && !(await confirm(cli, warning))) return;
  const filters = parseFilters(opts.filter);
  filters.dangling = { [String(!opts.all)]: true };
  const report = await cli.client.json<PruneReport>('POST', '/images/prune', { query: { filters: JSON.stringify(filters) } });
  const deleted = report.ImagesDeleted ?? [];
  if (deleted.length) {
    let text = 'Deleted Images:\n';
    for (const r of deleted) text += r.Untagged ? `untagged: ${r.Untagged}\n` : `deleted: ${r.Deleted}\n`;
    cli.out(`${text}\n`);
  }
  cli.out(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`);
}
