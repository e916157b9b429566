import type { Digest } from '../../util/digest.js';
import { isDigest } from '../../util/digest.js';
import { DigestMismatchError, SizeMismatchError } from '../storage/blob-store.js';
import { RangeError416, type UploadSession } from '../storage/uploads.js';
import type { RequestContext } from './context.js';
import { RegistryError } from './errors.js';
import { parseContentRange, send, uploadRange } from './http.js';
import { parseDigestParam } from './names.js';

function sessionHeaders(repo: string, session: UploadSession): Record<string, string | number> {
  return {
    Location: `/v2/${repo}/blobs/uploads/${session.id}`,
    'Docker-Upload-UUID': session.id,
    Range: uploadRange(session.offset),
  };
}

function created(ctx: RequestContext, repo: string, digest: Digest): void {
  ctx.services.gc.protect([digest]);
  ctx.services.meta.linkBlob(repo, digest);
  send(ctx.res, 201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

function translate(err: unknown): unknown {
  if (err instanceof DigestMismatchError) return new RegistryError('DIGEST_INVALID', err.message, { expected: err.expected, actual: err.actual });
  if (err instanceof SizeMismatchError) return new RegistryError('SIZE_INVALID', err.message, { expected: err.expected, actual: err.actual });
  if (err instanceof RangeError416) return new RegistryError('RANGE_INVALID', err.message, { offset: err.offset }, 416);
  return err;
}

function declaredLength(ctx: RequestContext): number | undefined {
  const v = ctx.req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

/**
 * POST /v2/<name>/blobs/uploads/: a cross-repository mount (`mount` + `from`), an automatic
 * mount (`mount` alone, when the blob exists anywhere), a monolithic upload (`digest`), or a
 * new session.
 */
export async function startUpload(ctx: RequestContext, repo: string, canPullFrom: (repo: string) => Promise<boolean>): Promise<void> {
  const { meta, blobs, uploads } = ctx.services;
  const mount = ctx.query.get('mount');
  if (mount !== null && isDigest(mount)) {
    const from = ctx.query.get('from');
    // Without `from` (automatic mount), only from a repository the caller may pull: a digest
    // alone must not give access to content the caller could not read otherwise.
    const sources = from ? (meta.hasBlobLink(from, mount) ? [from] : []) : meta.reposLinking(mount);
    let available = false;
    for (const source of sources) {
      if (await canPullFrom(source)) {
        available = true;
        break;
      }
    }
    if (available && (await blobs.stat(mount))) {
      ctx.req.resume();
      created(ctx, repo, mount);
      return;
    }
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null) {
    const expected = parseDigestParam(digestParam);
    try {
      const { digest, size } = await blobs.ingest(ctx.req, { expected, expectedSize: declaredLength(ctx) });
      ctx.bytesIn += size;
      created(ctx, repo, digest);
    } catch (err) {
      throw translate(err);
    }
    return;
  }
  ctx.req.resume();
  const session = await uploads.create(repo);
  send(ctx.res, 202, { ...sessionHeaders(repo, session), 'OCI-Chunk-Min-Length': 0 });
}

async function findSession(ctx: RequestContext, repo: string, id: string): Promise<UploadSession> {
  const session = await ctx.services.uploads.get(id, repo);
  if (!session) {
    ctx.req.resume();
    throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not known to ${repo}`, { uuid: id });
  }
  return session;
}

/** Appends the request body, honouring Content-Range when present. */
async function appendBody(ctx: RequestContext, session: UploadSession): Promise<void> {
  const range = parseContentRange(ctx.req.headers['content-range']);
  if (range === null) {
    ctx.req.resume();
    throw new RegistryError('RANGE_INVALID', `invalid Content-Range ${ctx.req.headers['content-range']}`, undefined, 416);
  }
  const length = declaredLength(ctx);
  if (range && length !== undefined && range.end - range.start + 1 !== length) {
    ctx.req.resume();
    throw new RegistryError('RANGE_INVALID', 'Content-Range does not match Content-Length', { range, length }, 416);
  }
  const before = session.offset;
  try {
    await ctx.services.uploads.append(session, ctx.req, { start: range?.start });
  } catch (err) {
    ctx.bytesIn += session.offset - before;
    throw translate(err);
  }
  const received = session.offset - before;
  ctx.bytesIn += received;
  if (range && received !== range.end - range.start + 1) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `chunk was ${received} bytes, Content-Range declared ${range.end - range.start + 1}`);
  }
}

/** PATCH /v2/<name>/blobs/uploads/<uuid>: a chunk (Content-Range) or a streamed body. */
export async function patchUpload(ctx: RequestContext, repo: string, id: string): Promise<void> {
  const session = await findSession(ctx, repo, id);
  await appendBody(ctx, session);
  send(ctx.res, 202, sessionHeaders(repo, session));
}

/** PUT /v2/<name>/blobs/uploads/<uuid>?digest=: the optional last chunk, then verify and commit. */
export async function finishUpload(ctx: RequestContext, repo: string, id: string): Promise<void> {
  const session = await findSession(ctx, repo, id);
  const digestParam = ctx.query.get('digest');
  if (digestParam === null || !isDigest(digestParam)) {
    ctx.req.resume();
    throw new RegistryError('DIGEST_INVALID', `missing or invalid digest parameter "${digestParam ?? ''}"`);
  }
  const length = declaredLength(ctx);
  if (length !== 0 || ctx.req.headers['transfer-encoding']) await appendBody(ctx, session);
  else ctx.req.resume();
  try {
    const { digest } = await ctx.services.uploads.finish(session, digestParam, (d) => ctx.services.gc.protect([d]));
    created(ctx, repo, digest);
  } catch (err) {
    throw translate(err);
  }
}

/** GET /v2/<name>/blobs/uploads/<uuid>: how much has arrived (to resume). */
export async function uploadStatus(ctx: RequestContext, repo: string, id: string): Promise<void> {
  const session = await findSession(ctx, repo, id);
  send(ctx.res, 204, sessionHeaders(repo, session));
}

/** DELETE /v2/<name>/blobs/uploads/<uuid>: cancel. */
export async function cancelUpload(ctx: RequestContext, repo: string, id: string): Promise<void> {
  const session = await findSession(ctx, repo, id);
  await ctx.services.uploads.cancel(session);
  send(ctx.res, 204);
}
