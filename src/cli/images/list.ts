/** `berth images` and `berth history`. */
import type { Cli } from '../cli.js';
import { historyListFormat, historyRows, type HistoryEntry } from '../format/history.js';
import { imageListFormat, imageRows, type ImageSummary } from '../format/images.js';
import { renderList } from '../format/output.js';
import { filtersQuery } from '../filters.js';

export interface ListImagesOptions {
  all?: boolean;
  quiet?: boolean;
  digests?: boolean;
  noTrunc?: boolean;
  filter: string[];
  format?: string;
  /** `berth images REPOSITORY[:TAG]` narrows to a reference, as docker does. */
  reference?: string;
}

export async function listImages(cli: Cli, opts: ListImagesOptions): Promise<void> {
  const filters = [...opts.filter];
  if (opts.reference) filters.push(`reference=${opts.reference}`);
  const images = await cli.client.get<ImageSummary[]>('/images/json', {
    all: opts.all || undefined,
    digests: opts.digests || undefined,
    filters: filtersQuery(filters),
  });
  const rows = imageRows(images, { digests: opts.digests, noTrunc: opts.noTrunc });
  cli.out(renderList(rows, imageListFormat(opts)));
}

export interface HistoryOptions {
  human: boolean;
  noTrunc?: boolean;
  quiet?: boolean;
  format?: string;
}

export async function imageHistory(cli: Cli, image: string, opts: HistoryOptions): Promise<void> {
  const entries = await cli.client.get<HistoryEntry[]>(`/images/${encodeURIComponent(image)}/history`);
  cli.out(renderList(historyRows(entries, opts), historyListFormat(opts)));
}
