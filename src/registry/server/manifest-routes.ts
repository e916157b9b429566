import { sha256, type Digest } from '../../util/digest.js';
import { errorMessage } from '../../util/errors.js';
import type { ManifestRecord } from '../storage/metadata.js';
import type { RequestContext } from './context.js';
import { RegistryError } from './errors.js';
import { readLimited, send, sendJson } from './http.js';
import { accepts, MANIFEST_TYPES, MEDIA, parseManifest } from './manifest.js';
import { parseDigestParam, parseReference } from './names.js';

export const MANIFEST_LIMIT = 4 * 1024 * 1024;

function unknown(repo: string, reference: string): RegistryError {
  return new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} is not known to ${repo}`, { name: repo, reference });
}

/** Resolves a tag or digest to a stored manifest, asking the upstream on a miss (pull-through). */
async function resolve(ctx: RequestContext, repo: string, reference: string): Promise<{ record: ManifestRecord; bytes: Buffer }> {
  const { meta, blobs } = ctx.services;
  const ref = parseReference(reference);
  const digest = ref.digest ?? (ref.tag !== undefined ? meta.resolveTag(repo, ref.tag) : undefined);
  const record = digest ? meta.getManifest(repo, digest) : undefined;
  const bytes = record ? await blobs.readSmall(record.digest) : undefined;
  if (record && bytes) return { record, bytes };
  if (ctx.services.upstream) {
    const fetched = await fetchUpstream(ctx, repo, reference, ref.tag);
    if (fetched) return fetched;
  }
  throw unknown(repo, reference);
}

async function fetchUpstream(ctx: RequestContext, repo: string, reference: string, tag: string | undefined): Promise<{ record: ManifestRecord; bytes: Buffer } | undefined> {
  const upstream = ctx.services.upstream;
  if (!upstream) return undefined;
  let got: { bytes: Buffer; mediaType: string } | undefined;
  try {
    got = await upstream.manifest(repo, reference, [...MANIFEST_TYPES].join(', '));
  } catch (err) {
    ctx.services.log.warn('upstream manifest fetch failed', { repo, reference, error: errorMessage(err) });
    return undefined;
  }
  if (!got) return undefined;
  const digest = sha256(got.bytes);
  if (reference.includes(':') && digest !== reference) throw new RegistryError('DIGEST_INVALID', `upstream manifest does not match ${reference}`);
  const parsed = parseManifest(got.bytes, got.mediaType);
  const release = ctx.services.gc.pin([digest]);
  try {
    await ctx.services.blobs.putSmall(got.bytes, digest);
    // Children (layers, index entries) are fetched on demand, so they are not checked here.
    const record: ManifestRecord = { repo, digest, mediaType: parsed.mediaType, artifactType: parsed.artifactType, subject: parsed.subject, size: got.bytes.length, annotations: parsed.annotations, createdAt: Date.now() };
    ctx.services.meta.putManifest(record, parsed.refs, tag);
    return { record, bytes: got.bytes };
  } finally {
    release();
  }
}

/** GET/HEAD /v2/<name>/manifests/<reference>. */
export async function getManifest(ctx: RequestContext, repo: string, reference: string): Promise<void> {
  const { record, bytes } = await resolve(ctx, repo, reference);
  if (!accepts(ctx.req.headers.accept, record.mediaType)) {
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} is a ${record.mediaType}, which the Accept header does not allow`, { mediaType: record.mediaType });
  }
  const headers = {
    'Content-Type': record.mediaType,
    'Docker-Content-Digest': record.digest,
    ETag: `"${record.digest}"`,
  };
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(200, { ...headers, 'Content-Length': bytes.length });
    ctx.res.end();
    return;
  }
  send(ctx.res, 200, headers, bytes);
}

/**
 * PUT /v2/<name>/manifests/<reference>. The exact bytes are stored; the digest is of those
 * bytes. Every blob and child manifest it references must already be in the repository. The
 * referenced digests are pinned against GC from before the checks until the DB row exists.
 */
export async function putManifest(ctx: RequestContext, repo: string, reference: string): Promise<void> {
  let ref: ReturnType<typeof parseReference>;
  // `?tag=` (distribution-spec 1.1.1): tags set by a push by digest, in the same transaction.
  const tags: string[] = [];
  try {
    ref = parseReference(reference, true);
    if (ref.tag !== undefined) tags.push(ref.tag);
    for (const t of ctx.query.getAll('tag')) {
      const p = parseReference(t, true);
      if (p.tag === undefined) throw new RegistryError('TAG_INVALID', `invalid tag "${t}"`, { tag: t });
      if (!tags.includes(p.tag)) tags.push(p.tag);
    }
  } catch (err) {
    ctx.req.resume();
    throw err;
  }
  const bytes = await readLimited(ctx.req, MANIFEST_LIMIT);
  ctx.bytesIn += bytes.length;
  const digest = sha256(bytes);
  if (ref.digest && ref.digest !== digest) throw new RegistryError('DIGEST_INVALID', `manifest digest ${digest} does not match ${ref.digest}`, { expected: ref.digest, actual: digest });
  const parsed = parseManifest(bytes, ctx.req.headers['content-type']);
  const { meta, blobs, gc } = ctx.services;
  const release = gc.pin([digest, ...parsed.refs.map((r) => r.child)]);
  try {
    for (const r of parsed.refs) {
      const present = r.kind === 'blob' ? meta.hasBlobLink(repo, r.child) : meta.getManifest(repo, r.child) !== undefined;
      if (!present) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `${r.kind === 'blob' ? 'blob' : 'manifest'} ${r.child} referenced by the manifest is not known to ${repo}`, { digest: r.child });
      }
    }
    await blobs.putSmall(bytes, digest);
    meta.putManifest(
      { repo, digest, mediaType: parsed.mediaType, artifactType: parsed.artifactType, subject: parsed.subject, size: bytes.length, annotations: parsed.annotations, createdAt: Date.now() },
      parsed.refs,
      tags,
    );
  } finally {
    release();
  }
  const headers: Record<string, string> = { Location: `/v2/${repo}/manifests/${digest}`, 'Docker-Content-Digest': digest };
  if (parsed.subject) headers['OCI-Subject'] = parsed.subject;
  if (ctx.query.has('tag')) headers['OCI-Tag'] = tags.join(',');
  send(ctx.res, 201, headers);
}

/** DELETE /v2/<name>/manifests/<reference>: by digest deletes the manifest (and its tags); by tag deletes the tag. */
export function deleteManifest(ctx: RequestContext, repo: string, reference: string): void {
  const ref = parseReference(reference);
  const { meta } = ctx.services;
  const ok = ref.digest ? meta.deleteManifest(repo, ref.digest) : meta.deleteTag(repo, ref.tag as string);
  if (!ok) throw unknown(repo, reference);
  send(ctx.res, 202);
}

/** GET /v2/<name>/referrers/<digest>[?artifactType=]: an OCI index of the manifests whose subject is <digest>. */
export function getReferrers(ctx: RequestContext, repo: string, rawDigest: string): void {
  const subject: Digest = parseDigestParam(rawDigest);
  const filter = ctx.query.get('artifactType');
  let list = ctx.services.meta.referrers(repo, subject);
  const headers: Record<string, string> = { 'Content-Type': MEDIA.ociIndex };
  if (filter !== null) {
    list = list.filter((m) => m.artifactType === filter);
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  const manifests = list.map((m) => ({
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.size,
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  }));
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }, headers);
}
