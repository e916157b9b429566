import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Credentials, RegistryClient, RepositoryClient, FetchedManifest } from '../../registry/client/index.js';
import { RegistryResponseError } from '../../registry/client/index.js';
import { isDigest, shortId, type Digest } from '../../util/digest.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { chainIds } from '../images/layers.js';
import { MediaTypes, type Descriptor, type ImageConfig, type Index, type Manifest } from '../images/oci.js';
import { DEFAULT_TAG, familiarName, familiarRepository, formatReference, parseReference, repositoryName, validateTag, type Reference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { formatPlatform, hostPlatform, pickManifest, type WantedPlatform } from './platform.js';
import { LayerProgress, type ProgressSink } from './progress.js';
import type { BlobSources } from './sources.js';

export interface PullDeps {
  images: ImageService;
  registry: RegistryClient;
  sources: BlobSources;
  maxConcurrentDownloads: number;
  log: Logger;
}

export interface PullOptions {
  /** `fromImage`: a name, maybe with tag or digest. */
  image: string;
  /** `tag`: a tag or a digest (the docker CLI sends digests here too). */
  tag?: string;
  platform?: WantedPlatform;
  credentials?: Credentials;
  progress: ProgressSink;
}

export interface PullResult {
  imageId: Digest;
  /** The digest the registry knows the image by (the index's, for multi-platform images). */
  digest: Digest;
  upToDate: boolean;
}

/** `fromImage` + `tag` → a reference with exactly one of tag or digest. */
export function pullReference(image: string, tag?: string): Reference {
  const ref = parseReference(image);
  if (tag) {
    if (isDigest(tag)) ref.digest = tag;
    else {
      validateTag(tag);
      ref.tag = tag;
    }
  }
  if (ref.digest) ref.tag = undefined;
  else ref.tag ??= DEFAULT_TAG;
  return ref;
}

function isIndex(mediaType: string): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

/** Docker's wording for registry refusals during a pull (moby distribution/errors.go). */
export function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryResponseError)) return err;
  const familiar = familiarName(formatReference(ref));
  const repo = familiarRepository(ref);
  if (err.hasCode('MANIFEST_UNKNOWN') || (err.httpStatus === 404 && err.errors.length === 0)) {
    return new NotFoundError(`manifest for ${familiar} not found: ${err.errors.length ? err.message : 'manifest unknown: manifest unknown'}`);
  }
  if (err.hasCode('NAME_UNKNOWN')) return new NotFoundError(`repository ${repo} not found: ${err.message}`);
  if (err.hasCode('DENIED', 'UNAUTHORIZED') || err.httpStatus === 401 || err.httpStatus === 403) {
    return new NotFoundError(`pull access denied for ${repo}, repository does not exist or may require 'docker login': ${err.message}`);
  }
  return err;
}

interface LayerState {
  desc: Descriptor;
  diffId: Digest;
  chainId: Digest;
  parentChainId?: Digest;
  progress: LayerProgress;
  needsBlob: boolean;
  needsUnpack: boolean;
  /** Set when the layer was unpacked while downloading. */
  unpacking?: Promise<unknown>;
}

/** A counting semaphore: at most `n` downloads at once. */
class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * `docker pull`: manifest (and index) → config → layers, each layer verified by digest while it
 * streams into the content store, then unpacked in order. Layers whose parent is already
 * unpacked when their download starts are unpacked while downloading (the bytes go to the
 * store and the unpacker at once; the unpacker checks the diff ID). The image becomes visible
 * only when everything is stored; a failure leaves nothing referenced (the caller's GC sweeps).
 */
export async function pullImage(deps: PullDeps, opts: PullOptions): Promise<PullResult> {
  const ref = pullReference(opts.image, opts.tag);
  const want = opts.platform ?? hostPlatform();
  const reference = ref.digest ?? ref.tag!;
  let repo: RepositoryClient;
  let top: FetchedManifest;
  try {
    repo = await deps.registry.repository({ host: ref.domain, path: ref.path, credentials: opts.credentials, actions: ['pull'] });
    top = await repo.getManifest(reference);
  } catch (err) {
    throw translatePullError(err, ref);
  }
  opts.progress.write({ status: `Pulling from ${ref.path}`, id: reference });

  let manifestBlob = top;
  if (isIndex(top.mediaType)) {
    const index = JSON.parse(top.body.toString('utf8')) as Index;
    const chosen = pickManifest(index.manifests ?? [], want);
    if (!chosen) throw new NotFoundError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
    manifestBlob = await repo.getManifest(chosen.digest).catch((err: unknown) => {
      throw translatePullError(err, ref);
    });
    if (isIndex(manifestBlob.mediaType)) throw new InvalidParameterError(`nested image index ${chosen.digest} is not supported`);
  }
  const manifest = JSON.parse(manifestBlob.body.toString('utf8')) as Manifest;
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new InvalidParameterError(`unsupported manifest ${manifestBlob.digest} (${manifestBlob.mediaType})`);

  const images = deps.images;
  const tagName = ref.tag ? formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }) : undefined;
  const familiar = familiarName(formatReference(ref));
  const result = await images.writing(async () => {
    const content = images.content;
    if (top !== manifestBlob) await content.writeBuffer(top.body, top.digest);
    await content.writeBuffer(manifestBlob.body, manifestBlob.digest);
    const configDigest = manifest.config.digest;
    const configBytes = (await content.has(configDigest)) ? await content.readBuffer(configDigest) : await repo.fetchBlob(configDigest);
    await content.writeBuffer(configBytes, configDigest);
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidParameterError(`image config lists ${diffIds.length} layers but the manifest has ${manifest.layers.length}`);
    }
    const downloaded = await fetchLayers(deps, repo, manifest.layers, diffIds, opts.progress);

    const previous = tagName ? images.images.resolve(tagName) : images.images.resolve(`${repositoryName(ref)}@${top.digest}`);
    const upToDate = previous?.id === configDigest && !downloaded;
    const record = images.register({
      config,
      configDigest,
      manifestDigest: manifestBlob.digest,
      tags: tagName ? [tagName] : [],
      repoDigests: [{ name: repositoryName(ref), digest: top.digest }],
    });
    deps.sources.record(ref.domain, ref.path, [configDigest, ...manifest.layers.map((l) => l.digest)]);
    images.emit({ action: 'pull', id: record.id, name: familiar });
    return { imageId: record.id, digest: top.digest, upToDate };
  });
  opts.progress.write({ status: `Digest: ${result.digest}` });
  opts.progress.write({ status: result.upToDate ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}` });
  return result;
}

/** Downloads and unpacks the layers; returns whether any byte had to be fetched. */
async function fetchLayers(deps: PullDeps, repo: RepositoryClient, descs: Descriptor[], diffIds: Digest[], sink: ProgressSink): Promise<boolean> {
  const { content, deps: imageDeps } = deps.images;
  const layers = imageDeps.layers;
  const chains = chainIds(diffIds);
  const states: LayerState[] = [];
  for (const [i, desc] of descs.entries()) {
    const needsUnpack = !layers.hasChain(chains[i]!);
    states.push({
      desc,
      diffId: diffIds[i]!,
      chainId: chains[i]!,
      parentChainId: i > 0 ? chains[i - 1] : undefined,
      progress: new LayerProgress(sink, shortId(desc.digest)),
      needsBlob: !(await content.has(desc.digest)),
      needsUnpack,
    });
  }
  const limit = Math.max(1, deps.maxConcurrentDownloads);
  let queued = 0;
  for (const s of states) {
    if (!s.needsBlob && !s.needsUnpack) s.progress.status('Already exists');
    else s.progress.status('Pulling fs layer');
  }
  for (const s of states) if (s.needsBlob && queued++ >= limit) s.progress.status('Waiting');

  const active = new Set<Readable>();
  let failed = false;
  const semaphore = new Semaphore(limit);
  const download = async (s: LayerState): Promise<void> => {
    if (failed) return;
    const size = s.desc.size;
    const source = repo.blobStream(s.desc.digest, { size, onBytes: (n) => s.progress.bytes('Downloading', n, size) });
    active.add(source);
    try {
      // Unpack while downloading when the layer below is already in place.
      const parentReady = s.parentChainId === undefined || layers.hasChain(s.parentChainId);
      if (s.needsUnpack && parentReady) {
        const toStore = new PassThrough({ highWaterMark: 1 << 20 });
        const toUnpack = new PassThrough({ highWaterMark: 1 << 20 });
        source.on('error', (err) => {
          toStore.destroy(err);
          toUnpack.destroy(err);
        });
        source.pipe(toStore);
        source.pipe(toUnpack);
        // If the unpacker fails or stops early, the store side still reads to the end, so a
        // corrupt blob is reported as the digest mismatch it is; leftovers are discarded.
        // The store verifies the blob digest; the unpacker commits only after that verdict.
        const stored = content.ingest(toStore, { digest: s.desc.digest, size });
        stored.catch(() => undefined);
        s.unpacking = layers
          .applyLayer({ stream: toUnpack, parentChainId: s.parentChainId, diffId: s.diffId, verified: { digest: s.desc.digest, done: stored } })
          .finally(() => toUnpack.resume());
        s.unpacking.catch(() => undefined);
        await stored;
      } else {
        await content.ingest(source, { digest: s.desc.digest, size });
      }
    } catch (err) {
      throw new InvalidParameterError(`failed to pull layer ${s.desc.digest}: ${(err as Error).message}`, { cause: err });
    } finally {
      active.delete(source);
    }
    s.progress.status('Verifying Checksum');
    s.progress.status('Download complete');
  };
  const downloads = states.map((s) => (s.needsBlob ? semaphore.run(() => download(s)) : Promise.resolve()));
  for (const d of downloads) d.catch(() => undefined);

  try {
    for (const [i, s] of states.entries()) {
      await downloads[i];
      if (!s.needsBlob && !s.needsUnpack) continue;
      if (s.unpacking) {
        s.progress.bytes('Extracting', s.desc.size, s.desc.size);
        await s.unpacking;
      } else if (s.needsUnpack && !layers.hasChain(s.chainId)) {
        const counter = countingStream((n) => s.progress.bytes('Extracting', n, s.desc.size));
        const blob = await content.read(s.desc.digest);
        blob.on('error', (err) => counter.destroy(err));
        const stream = blob.pipe(counter);
        await layers.applyLayer({ stream, parentChainId: s.parentChainId, diffId: s.diffId });
      }
      s.progress.status('Pull complete');
    }
  } catch (err) {
    failed = true;
    for (const stream of active) stream.destroy();
    await Promise.allSettled([...downloads, ...states.map((s) => s.unpacking)]);
    throw err;
  }
  return states.some((s) => s.needsBlob);
}

function countingStream(onBytes: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}
