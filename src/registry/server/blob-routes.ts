import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Digest } from '../../util/digest.js';
import { errorMessage } from '../../util/errors.js';
import type { RequestContext } from './context.js';
import { RegistryError } from './errors.js';
import { parseRange, send } from './http.js';
import { parseDigestParam } from './names.js';
import { sendFile } from './send-file.js';

/** GET/HEAD /v2/<name>/blobs/<digest>, with single byte ranges. */
export async function getBlob(ctx: RequestContext, repo: string, rawDigest: string): Promise<void> {
  const { meta, blobs } = ctx.services;
  const digest = parseDigestParam(rawDigest);
  const head = ctx.req.method === 'HEAD';
  const info = meta.hasBlobLink(repo, digest) ? await blobs.stat(digest) : undefined;
  if (!info) {
    if (ctx.services.upstream && (await proxyBlob(ctx, repo, digest, head))) return;
    throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not known to ${repo}`, { digest });
  }
  const base = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRange(ctx.req.headers.range, info.size);
  if (range === null) {
    throw Object.assign(new RegistryError('RANGE_INVALID', `range ${ctx.req.headers.range} cannot be satisfied`, { size: info.size }, 416), {});
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : info.size;
  const headers: Record<string, string | number> = { ...base, 'Content-Length': length };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
  ctx.res.writeHead(status, headers);
  if (head || length === 0) {
    ctx.res.end();
    return;
  }
  await sendFile(ctx.res, blobs.pathOf(digest), range?.start ?? 0, range?.end ?? info.size - 1);
  ctx.res.end();
}

/**
 * Pull-through: serve a missing blob from upstream while storing it. The upstream body is
 * piped to the client and to the store at once; a client that goes away does not stop the
 * store from finishing, and the stored copy is only kept when its digest verifies.
 */
async function proxyBlob(ctx: RequestContext, repo: string, digest: Digest, head: boolean): Promise<boolean> {
  const upstream = ctx.services.upstream;
  if (!upstream) return false;
  const res = await upstream.blob(repo, digest, head ? 'HEAD' : 'GET');
  if (!res) return false;
  const size = res.headers.get('content-length');
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest };
  if (size) headers['Content-Length'] = size;
  if (head || !res.body) {
    await res.body?.cancel();
    ctx.res.writeHead(200, headers);
    ctx.res.end();
    return true;
  }
  const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>, { highWaterMark: 4 * 1024 * 1024 });
  const toStore = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  const stored = ctx.services.blobs.ingest(toStore, { expected: digest }).then(
    () => {
      ctx.services.gc.protect([digest]);
      ctx.services.meta.linkBlob(repo, digest);
    },
    (err: unknown) => ctx.services.log.warn('pull-through blob not cached', { repo, digest, error: errorMessage(err) }),
  );
  ctx.res.writeHead(200, headers);
  ctx.res.on('close', () => source.unpipe(ctx.res));
  source.pipe(toStore);
  source.pipe(ctx.res);
  await stored;
  return true;
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository; GC frees the bytes. */
export function deleteBlob(ctx: RequestContext, repo: string, rawDigest: string): void {
  const digest = parseDigestParam(rawDigest);
  if (!ctx.services.meta.unlinkBlob(repo, digest)) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not known to ${repo}`, { digest });
  send(ctx.res, 202, { 'Docker-Content-Digest': digest });
}
