/** Rows for `berth history`, like the docker CLI's history formatter. */
import { ellipsis, rfc3339, truncateId } from './ids.js';
import type { ListFormat, Row } from './output.js';
import { humanSizeWithPrecision, timeAgo } from './units.js';

/** One entry of `GET /images/{name}/history`. */
export interface HistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface HistoryRowOptions {
  human: boolean;
  noTrunc?: boolean;
  now?: number;
}

export function historyRows(entries: HistoryEntry[], opts: HistoryRowOptions): Row[] {
  return entries.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: h.Id.startsWith('<missing>') || opts.noTrunc ? h.Id : truncateId(h.Id),
      CreatedSince: opts.human ? timeAgo(h.Created, opts.now) : rfc3339(h.Created),
      CreatedAt: rfc3339(h.Created),
      CreatedBy: opts.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
    };
  });
}

export function historyListFormat(opts: { format?: string; quiet?: boolean; human: boolean }): ListFormat {
  const created = opts.human ? '{{.CreatedSince}}' : '{{.CreatedAt}}';
  return {
    format: opts.format,
    quiet: opts.quiet,
    defaultTable: `table {{.ID}}\t${created}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
    quietFormat: '{{.ID}}',
    headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT', Tags: 'TAGS' },
  };
}
