import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tarPack } from '../../util/tar-pack.js';
import { hexOf, type Digest } from '../../util/digest.js';
import { NotFoundError } from '../../util/errors.js';
import type { ImageRecord } from './image-store.js';
import { MediaTypes, type Descriptor, type Index, type Manifest } from './oci.js';
import { familiarName, formatReference, parseReference, parseTaggedReference, repositoryName } from './reference.js';
import type { ImageService } from './service.js';

interface SaveItem {
  record: ImageRecord;
  /** Normalized tags to record for it (none when saved by ID). */
  tags: string[];
}

/**
 * Which images and tags `docker save NAME...` means: a tag saves that tag; a repository
 * without tag saves every tag of it; an ID saves the image untagged.
 */
export function resolveSaveNames(service: ImageService, names: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (record: ImageRecord, tag?: string) => {
    const item = items.get(record.id) ?? { record, tags: [] };
    if (tag && !item.tags.includes(tag)) item.tags.push(tag);
    items.set(record.id, item);
  };
  for (const name of names) {
    const record = service.images.resolve(name);
    if (!record) throw new NotFoundError(`No such image: ${name}`);
    let ref;
    try {
      ref = parseReference(name);
    } catch {
      ref = undefined;
    }
    const byId = !ref || record.id.slice(7).startsWith(name.replace(/^sha256:/, ''));
    if (byId) add(record);
    else if (ref!.tag || ref!.digest) add(record, ref!.digest ? undefined : formatReference(parseTaggedReference(name)));
    else {
      const repo = repositoryName(ref!);
      for (const [id, tags] of service.images.allTags()) {
        for (const t of tags) if (repositoryName(parseReference(t)) === repo) add(service.images.get(id)!, t);
      }
    }
  }
  return [...items.values()];
}

/**
 * Writes a `docker save` archive that is at once a docker-archive (manifest.json) and an OCI
 * image layout (oci-layout, index.json, blobs/sha256/...), as Docker 25+ does. Blobs are
 * written as stored, so a save/load round trip keeps the image ID and layer digests.
 */
export function saveImages(service: ImageService, items: SaveItem[]): Readable {
  const pack = tarPack();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const mtime = new Date(0);

  const addBuffer = (name: string, data: string | Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o644, mtime }, data, (err) => (err ? reject(err) : resolve())));
  const addBlob = async (digest: Digest) => {
    const info = await service.content.info(digest);
    if (!info) throw new NotFoundError(`blob ${digest} is missing from the content store`);
    // The blob is opened first and piped in the tick its entry is made: an entry the pack's
    // end destroyed while the blob was being opened would never let the pipeline settle, and
    // the blob would stay open.
    const blob = await service.content.read(digest);
    let entry;
    try {
      entry = pack.entry({ name: `blobs/sha256/${hexOf(digest)}`, size: info.size, mode: 0o644, mtime });
    } catch (err) {
      blob.destroy(); // the pack is gone already
      throw err;
    }
    await pipeline(blob, entry);
  };

  const produce = async () => {
    const written = new Set<string>();
    const once = async (d: Digest) => {
      if (written.has(d)) return;
      written.add(d);
      await addBlob(d);
    };
    const index: Index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
    const dockerManifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    for (const item of items) {
      const manifest = await service.content.readJSON<Manifest>(item.record.manifestDigest);
      await once(item.record.manifestDigest);
      await once(manifest.config.digest);
      for (const l of manifest.layers) await once(l.digest);
      const size = (await service.content.info(item.record.manifestDigest))!.size;
      const desc = (tag?: string): Descriptor => ({
        mediaType: manifest.mediaType ?? MediaTypes.ociManifest,
        digest: item.record.manifestDigest,
        size,
        ...(tag ? { annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': parseReference(tag).tag ?? 'latest' } } : {}),
      });
      if (item.tags.length === 0) index.manifests.push(desc());
      for (const t of item.tags) index.manifests.push(desc(t));
      dockerManifest.push({
        Config: `blobs/sha256/${hexOf(manifest.config.digest)}`,
        RepoTags: item.tags.length ? item.tags.map(familiarName) : null,
        Layers: manifest.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
      });
    }
    await addBuffer('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await addBuffer('index.json', JSON.stringify(index));
    await addBuffer('manifest.json', JSON.stringify(dockerManifest));
    pack.finalize();
  };
  // A reader that goes away (docker save cut short) ends `out`: the pipeline then destroys
  // the pack, which stops the blob being read. A failure while producing fails `out`.
  pipeline(Readable.from(pack, { objectMode: false }), out).catch((err: Error) => out.destroy(err));
  produce().catch((err: Error) => pack.destroy(err));
  return out;
}
