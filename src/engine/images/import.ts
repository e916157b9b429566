import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';
import { applyChanges } from './changes.js';
import type { ImageRecord } from './image-store.js';
import { MediaTypes, type Descriptor, type ImageConfig, type Manifest } from './oci.js';
import { formatReference, parseReference, validateTag } from './reference.js';
import type { ImageService } from './service.js';

export interface ImportOptions {
  source: Readable;
  /** Repository (and maybe tag) to give the image: `repo` and `tag` query parameters. */
  repo?: string;
  tag?: string;
  /** Dockerfile instructions applied to the config (`--change`). */
  changes?: string[];
  message?: string;
  platform?: { os: string; architecture: string; variant?: string };
}

/** Which layer media type a blob is, from its first bytes. */
export async function sniffLayerMediaType(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return MediaTypes.ociLayerGzip;
    if (head.readUInt32LE(0) === 0xfd2fb528) return MediaTypes.ociLayerZstd;
    return MediaTypes.ociLayer;
  } finally {
    await fh.close();
  }
}

/** Builds the OCI manifest for a config and its layer descriptors, and stores both. */
export async function storeImageBlobs(service: ImageService, config: ImageConfig, layers: Descriptor[]): Promise<{ configDigest: Digest; manifestDigest: Digest }> {
  const configBlob = await service.content.writeBuffer(JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configBlob.digest, size: configBlob.size },
    layers,
  };
  const manifestBlob = await service.content.writeBuffer(JSON.stringify(manifest));
  return { configDigest: configBlob.digest, manifestDigest: manifestBlob.digest };
}

/**
 * `docker import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
 * The tarball is stored as it came, then unpacked from the store; the image becomes visible
 * only after both succeed.
 */
export async function importRootfs(service: ImageService, opts: ImportOptions): Promise<ImageRecord> {
  let tagName: string | undefined;
  if (opts.repo) {
    const ref = parseReference(opts.repo);
    if (ref.digest) throw new InvalidParameterError('cannot import to a digest reference');
    if (opts.tag) {
      validateTag(opts.tag);
      ref.tag = opts.tag;
    }
    ref.tag ??= 'latest';
    tagName = formatReference(ref);
  } else if (opts.tag) {
    throw new InvalidParameterError('a tag needs a repository');
  }
  const runtimeConfig = applyChanges({}, opts.changes ?? []);
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };

  try {
    return await service.writing(async () => {
    const blob = await service.content.ingest(opts.source);
    if (blob.size === 0) throw new InvalidParameterError('the imported archive is empty');
    let unpacked;
    try {
      unpacked = await service.deps.layers.applyLayer({ stream: await service.content.read(blob.digest) });
    } catch (err) {
      throw new InvalidParameterError(`the imported archive is not a valid tar archive: ${errorMessage(err)}`, { cause: err });
    }
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [unpacked.diffId] },
      history: [{ created, created_by: '', comment: opts.message || 'Imported from -' }],
    };
    const layer: Descriptor = { mediaType: await sniffLayerMediaType(service.content.path(blob.digest)), digest: blob.digest, size: blob.size };
    const { configDigest, manifestDigest } = await storeImageBlobs(service, config, [layer]);
    const rec = service.register({ config, configDigest, manifestDigest, tags: tagName ? [tagName] : [] });
    service.emit({ action: 'import', id: rec.id });
    return rec;
    });
  } catch (err) {
    // Whatever was stored before the failure is referenced by nothing: sweep it now.
    await service.gc();
    throw err;
  }
}
