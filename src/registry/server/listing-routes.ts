import type { RequestContext } from './context.js';
import { RegistryError } from './errors.js';
import { sendJson } from './http.js';

/** Reads `n` and `last`; n is capped so one request cannot ask for the world. */
function page(ctx: RequestContext): { n?: number; last?: string } {
  const nRaw = ctx.query.get('n');
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    n = Number(nRaw);
    if (!Number.isInteger(n) || n < 0) throw new RegistryError('UNSUPPORTED', `invalid page size n=${nRaw}`, undefined, 400);
    n = Math.min(n, 10_000);
  }
  return { n, last: ctx.query.get('last') ?? undefined };
}

function linkHeader(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

/** GET /v2/<name>/tags/list?n=&last= — lexical order, Link header when more remain. */
export function listTags(ctx: RequestContext, repo: string): void {
  const { meta } = ctx.services;
  if (!meta.repoExists(repo)) throw new RegistryError('NAME_UNKNOWN', `repository ${repo} is not known`, { name: repo });
  const { n, last } = page(ctx);
  const rows = n === 0 ? [] : meta.listTags(repo, { last, limit: n === undefined ? undefined : n + 1 });
  const headers: Record<string, string> = {};
  if (n !== undefined && rows.length > n) {
    rows.length = n;
    headers.Link = linkHeader(`/v2/${repo}/tags/list`, n, rows[n - 1] as string);
  }
  sendJson(ctx.res, 200, { name: repo, tags: rows }, headers);
}

/**
 * GET /v2/_catalog?n=&last=, listing only the repositories `visible` says the caller may see.
 * Pages are filled by reading the table in batches, so a filtered page is still n long.
 */
export function listCatalog(ctx: RequestContext, visible: (repo: string) => boolean = () => true): void {
  const { n, last } = page(ctx);
  const want = n === undefined ? Infinity : n + 1;
  const rows: string[] = [];
  let after = last;
  while (rows.length < want && n !== 0) {
    const batch = ctx.services.meta.listRepositories({ last: after, limit: 1000 });
    for (const r of batch) if (visible(r) && rows.length < want) rows.push(r);
    if (batch.length < 1000) break;
    after = batch[batch.length - 1];
  }
  const headers: Record<string, string> = {};
  if (n !== undefined && rows.length > n) {
    rows.length = n;
    headers.Link = linkHeader('/v2/_catalog', n, rows[n - 1] as string);
  }
  sendJson(ctx.res, 200, { repositories: rows }, headers);
}
