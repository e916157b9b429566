/**
 * Rows for `berth images`, built the way the docker CLI's image formatter builds them: one row
 * per repository:tag (and per digest with --digests), `<none>` for dangling images.
 */
import { goTimeString, splitReference, truncateId } from './ids.js';
import type { ListFormat, Row } from './output.js';
import { humanSize, humanSizeWithPrecision, timeAgo } from './units.js';

/** One entry of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ImageRowOptions {
  digests?: boolean;
  noTrunc?: boolean;
  now?: number;
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (!tags.length && !digests.length) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

function row(img: ImageSummary, repo: string, tag: string, digest: string, opts: ImageRowOptions): Row {
  const shared = img.SharedSize ?? -1;
  return {
    ID: opts.noTrunc ? img.Id : truncateId(img.Id),
    Repository: repo,
    Tag: tag,
    Digest: digest,
    CreatedSince: timeAgo(img.Created, opts.now),
    CreatedAt: goTimeString(img.Created),
    Size: humanSizeWithPrecision(img.Size, 3),
    Containers: img.Containers === undefined || img.Containers === -1 ? 'N/A' : String(img.Containers),
    VirtualSize: humanSize(img.VirtualSize ?? img.Size),
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
    UniqueSize: shared === -1 ? 'N/A' : humanSize(img.Size - shared),
  };
}

function groupByRepo(refs: string[], pick: 'tag' | 'digest'): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const ref of refs) {
    const parsed = splitReference(ref);
    const value = pick === 'tag' ? parsed.tag : parsed.digest;
    if (!value) continue;
    groups.set(parsed.repo, [...(groups.get(parsed.repo) ?? []), value]);
  }
  return groups;
}

export function imageRows(images: ImageSummary[], opts: ImageRowOptions = {}): Row[] {
  const rows: Row[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(row(img, '<none>', '<none>', '<none>', opts));
      continue;
    }
    const tags = groupByRepo(img.RepoTags ?? [], 'tag');
    const digests = groupByRepo(img.RepoDigests ?? [], 'digest');
    for (const [repo, repoTags] of tags) {
      const repoDigests = opts.digests ? (digests.get(repo) ?? []) : [];
      digests.delete(repo); // digests are not shown as rows of their own when a tag exists
      for (const tag of repoTags) {
        if (!repoDigests.length) rows.push(row(img, repo, tag, '<none>', opts));
        for (const d of repoDigests) rows.push(row(img, repo, tag, d, opts));
      }
    }
    for (const [repo, repoDigests] of digests) {
      if (opts.digests) for (const d of repoDigests) rows.push(row(img, repo, '<none>', d, opts));
      else rows.push(row(img, repo, '<none>', '<none>', opts));
    }
  }
  return rows;
}

export function imageListFormat(opts: { format?: string; quiet?: boolean; digests?: boolean }): ListFormat {
  return {
    format: opts.format,
    quiet: opts.quiet,
    defaultTable: opts.digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
    quietFormat: '{{.ID}}',
    headers: {
      ID: 'IMAGE ID',
      Repository: 'REPOSITORY',
      Tag: 'TAG',
      Digest: 'DIGEST',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      Size: 'SIZE',
      Containers: 'CONTAINERS',
      VirtualSize: 'SIZE', // docker kept the old header for this deprecated field
      SharedSize: 'SHARED SIZE',
      UniqueSize: 'UNIQUE SIZE',
    },
  };
}
