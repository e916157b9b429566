import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import type { Credentials, RegistryClient, RepositoryClient } from '../../registry/client/index.js';
import { RegistryResponseError } from '../../registry/client/index.js';
import { shortId, type Digest } from '../../util/digest.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ImageRecord } from '../images/image-store.js';
import { MediaTypes, type Descriptor, type Manifest } from '../images/oci.js';
import { familiarName, familiarRepository, formatReference, parseReference, repositoryName, validateTag, type Reference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { forEachLimited, LayerProgress, type ProgressSink } from './progress.js';
import type { BlobSources } from './sources.js';

export interface PushDeps {
  images: ImageService;
  registry: RegistryClient;
  sources: BlobSources;
  maxConcurrentUploads: number;
  log: Logger;
}

export interface PushOptions {
  /** The repository (maybe with a tag): `127.0.0.1:5000/team/bb`. */
  image: string;
  /** A tag; when absent and the name has none, every local tag of the repository is pushed. */
  tag?: string;
  credentials?: Credentials;
  progress: ProgressSink;
}

export interface PushedTag {
  tag: string;
  digest: Digest;
  size: number;
}

/** Which local tags a push covers; fails (before anything is streamed) when there are none. */
function tagsToPush(images: ImageService, ref: Reference, tag: string | undefined): { tag: string; record: ImageRecord }[] {
  const repo = repositoryName(ref);
  let tags: string[];
  if (tag) {
    validateTag(tag);
    tags = [tag];
  } else if (ref.tag) tags = [ref.tag];
  else {
    tags = [...images.images.allTags().values()]
      .flat()
      .filter((t) => t.startsWith(`${repo}:`))
      .map((t) => t.slice(repo.length + 1))
      .sort();
    if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarRepository(ref)}`);
  }
  return tags.map((t) => {
    const record = images.images.resolve(formatReference({ ...ref, tag: t }));
    if (!record) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(formatReference({ ...ref, tag: t }))}`);
    return { tag: t, record };
  });
}

/**
 * `docker push`: for each layer, skip it when the registry has it, mount it from another
 * repository of the same registry that is known to hold it, or upload it (streamed from the
 * content store, as stored: layers keep their media type). Then the config and the manifest,
 * byte for byte as stored, so the pushed digest is the local one.
 */
export async function pushImage(deps: PushDeps, opts: PushOptions): Promise<PushedTag[]> {
  const ref = parseReference(opts.image);
  if (ref.digest) throw new InvalidParameterError('cannot push a digest reference');
  const targets = tagsToPush(deps.images, ref, opts.tag);
  opts.progress.write({ status: `The push refers to repository [${repositoryName(ref)}]` });
  const repo = await deps.registry.repository({ host: ref.domain, path: ref.path, credentials: opts.credentials, actions: ['pull', 'push'] });
  const pushed: PushedTag[] = [];
  for (const { tag, record } of targets) pushed.push(await pushTag(deps, repo, ref, tag, record, opts.progress));
  return pushed;
}

async function pushTag(deps: PushDeps, repo: RepositoryClient, ref: Reference, tag: string, record: ImageRecord, sink: ProgressSink): Promise<PushedTag> {
  const images = deps.images;
  const manifestBytes = await images.content.readBuffer(record.manifestDigest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  const layers = uniqueByDigest(manifest.layers);
  const progress = new Map(layers.map((l) => [l.digest, new LayerProgress(sink, shortId(l.digest))]));
  for (const p of progress.values()) p.status('Preparing');
  const limit = Math.max(1, deps.maxConcurrentUploads);
  layers.slice(limit).forEach((l) => progress.get(l.digest)!.status('Waiting'));

  await forEachLimited(layers, limit, async (layer) => {
    await pushBlob(deps, repo, ref, layer, progress.get(layer.digest));
  });
  await pushBlob(deps, repo, ref, manifest.config);

  const mediaType = manifest.mediaType ?? MediaTypes.ociManifest;
  const digest = await repo.putManifest(tag, mediaType, manifestBytes);
  images.images.add(record, [], [{ name: repositoryName(ref), digest }]);
  deps.sources.record(ref.domain, ref.path, [manifest.config.digest, ...layers.map((l) => l.digest)]);
  images.emit({ action: 'push', id: record.id, name: familiarName(formatReference({ ...ref, tag })) });
  sink.write({ status: `${tag}: digest: ${digest} size: ${manifestBytes.length}` });
  sink.write({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifestBytes.length } });
  return { tag, digest, size: manifestBytes.length };
}

function uniqueByDigest(descs: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descs.filter((d) => (seen.has(d.digest) ? false : (seen.add(d.digest), true)));
}

async function pushBlob(deps: PushDeps, repo: RepositoryClient, ref: Reference, desc: Descriptor, progress?: LayerProgress): Promise<void> {
  if ((await repo.statBlob(desc.digest)) !== undefined) {
    progress?.status('Layer already exists');
    return;
  }
  let location: URL | undefined;
  for (const from of deps.sources.repositoriesWith(desc.digest, ref.domain, ref.path)) {
    try {
      const mount = await repo.mountBlob(desc.digest, from);
      if (mount.mounted) {
        progress?.status(`Mounted from ${from}`);
        return;
      }
      location = mount.location;
      break;
    } catch (err) {
      if (!(err instanceof RegistryResponseError)) throw err;
      deps.log.debug('cross-repository mount refused', { digest: desc.digest, from, err: err.message });
    }
  }
  location ??= await repo.startUpload();
  const path = deps.images.content.path(desc.digest);
  const size = desc.size;
  const body = (): Readable => {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    if (!progress) return file;
    let sent = 0;
    const counter = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        progress.bytes('Pushing', sent, size);
        cb(null, chunk);
      },
    });
    file.on('error', (err) => counter.destroy(err));
    return file.pipe(counter);
  };
  await repo.putBlob(location, desc.digest, size, body);
  progress?.status('Pushed');
}
