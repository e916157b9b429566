import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { isDigest, type Digest } from '../../util/digest.js';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';
import { chainIds } from './layers.js';
import { MediaTypes, type Descriptor, type ImageConfig, type Index, type Manifest } from './oci.js';
import { storeImageBlobs, sniffLayerMediaType } from './import.js';
import { familiarName, formatReference, parseTaggedReference } from './reference.js';
import type { ImageService } from './service.js';

export interface LoadedImage {
  id: Digest;
  tags: string[];
}

function corrupt(why: string): InvalidParameterError {
  return new InvalidParameterError(`invalid archive: ${why}`);
}

/** Archive entry names may not leave the archive: no absolute paths, no `..`. */
function safeName(name: string): string {
  const clean = posix.normalize(name.replace(/^\.\//, ''));
  if (clean.startsWith('/') || clean === '..' || clean.startsWith('../')) throw corrupt(`entry "${name}" points outside the archive`);
  return clean.replace(/\/$/, '');
}

/**
 * Unpacks the archive into a scratch directory (entries may come in any order: manifest.json
 * is often last). Symlinks, which old docker-archives use for shared layers, are recorded
 * and resolved inside the archive only.
 */
async function extractArchive(source: Readable, dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const extract = tar.extract();
  let entries = 0;
  const done = (async () => {
    for await (const entry of extract) {
      entries++;
      const name = safeName(entry.header.name);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        const target = join(dir, name);
        await mkdir(dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target));
      } else {
        if (entry.header.type === 'symlink' || entry.header.type === 'link') {
          const linkname = entry.header.linkname ?? '';
          const resolved = entry.header.type === 'symlink' ? posix.join(posix.dirname(name), linkname) : linkname;
          links.set(name, safeName(resolved));
        }
        entry.resume();
      }
    }
  })();
  try {
    await Promise.all([pipeline(source, extract), done]);
  } catch (err) {
    throw corrupt(`cannot read the tar stream: ${errorMessage(err)}`);
  }
  if (entries === 0) throw corrupt('the archive is empty');
  return links;
}

async function fileIn(dir: string, links: Map<string, string>, name: string): Promise<string> {
  let n = safeName(name);
  for (let hops = 0; links.has(n) && hops < 16; hops++) n = links.get(n)!;
  const p = join(dir, n);
  try {
    await stat(p);
  } catch {
    throw corrupt(`missing entry "${name}"`);
  }
  return p;
}

async function readJSONFile<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw corrupt(`${what} is not valid JSON: ${errorMessage(err)}`);
  }
}

interface ArchiveImage {
  configPath: string;
  layerPaths: string[];
  tags: string[];
  /** The OCI manifest from the layout, reused when it matches (keeps its digest). */
  manifestPath?: string;
}

function validateConfig(config: ImageConfig, layers: number): void {
  if (typeof config !== 'object' || config === null || !config.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
    throw corrupt('image config has no rootfs.diff_ids');
  }
  if (!config.rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) throw corrupt('image config has an invalid diff ID');
  if (config.rootfs.diff_ids.length !== layers) throw corrupt(`image config lists ${config.rootfs.diff_ids.length} layers but the archive has ${layers}`);
}

async function fromDockerManifest(dir: string, links: Map<string, string>): Promise<ArchiveImage[]> {
  const entries = await readJSONFile<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }[]>(join(dir, 'manifest.json'), 'manifest.json');
  if (!Array.isArray(entries)) throw corrupt('manifest.json is not a list');
  const out: ArchiveImage[] = [];
  for (const e of entries) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) throw corrupt('manifest.json entry lacks Config or Layers');
    const tags = Array.isArray(e.RepoTags) ? e.RepoTags.map(String) : [];
    out.push({
      configPath: await fileIn(dir, links, e.Config),
      layerPaths: await Promise.all(e.Layers.map((l) => fileIn(dir, links, String(l)))),
      tags,
    });
  }
  return out;
}

async function fromOciLayout(dir: string, links: Map<string, string>): Promise<ArchiveImage[]> {
  const blob = (d: Digest) => fileIn(dir, links, `blobs/sha256/${d.slice(7)}`);
  const index = await readJSONFile<Index>(join(dir, 'index.json'), 'index.json');
  if (!Array.isArray(index.manifests)) throw corrupt('index.json has no manifests');
  const out: ArchiveImage[] = [];
  const visit = async (desc: Descriptor, tag?: string): Promise<void> => {
    if (!isDigest(desc.digest)) throw corrupt(`invalid digest ${desc.digest}`);
    const path = await blob(desc.digest);
    if (desc.mediaType === MediaTypes.ociIndex || desc.mediaType === MediaTypes.dockerManifestList) {
      const nested = await readJSONFile<Index>(path, `index ${desc.digest}`);
      const pick = nested.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? nested.manifests[0];
      if (!pick) throw corrupt(`index ${desc.digest} is empty`);
      return visit(pick, tag);
    }
    const manifest = await readJSONFile<Manifest>(path, `manifest ${desc.digest}`);
    if (!manifest.config || !Array.isArray(manifest.layers)) throw corrupt(`manifest ${desc.digest} is not an image manifest`);
    out.push({
      configPath: await blob(manifest.config.digest),
      layerPaths: await Promise.all(manifest.layers.map((l) => blob(l.digest))),
      tags: tag ? [tag] : [],
      manifestPath: path,
    });
  };
  for (const m of index.manifests) {
    const name = m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'];
    let tag: string | undefined;
    if (name) {
      try {
        tag = formatReference(parseTaggedReference(name));
      } catch {
        tag = undefined; // a bare ref.name such as "latest" names no repository
      }
    }
    await visit(m, tag);
  }
  return out;
}

async function loadOne(service: ImageService, img: ArchiveImage): Promise<LoadedImage> {
  const configBytes = await readFile(img.configPath);
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw corrupt(`image config is not valid JSON: ${errorMessage(err)}`);
  }
  validateConfig(config, img.layerPaths.length);
  const chain = chainIds(config.rootfs.diff_ids);
  const layers: Descriptor[] = [];
  for (let i = 0; i < img.layerPaths.length; i++) {
    const expected = config.rootfs.diff_ids[i]!;
    const blob = await service.content.ingest(createReadStream(img.layerPaths[i]!, { highWaterMark: 1 << 20 }));
    const mediaType = await sniffLayerMediaType(service.content.path(blob.digest));
    if (mediaType === MediaTypes.ociLayer && blob.digest !== expected) {
      throw corrupt(`layer ${i} has digest ${blob.digest}, but the config expects ${expected}`);
    }
    if (!service.deps.layers.hasChain(chain[i]!)) {
      let unpacked;
      try {
        unpacked = await service.deps.layers.applyLayer({ stream: await service.content.read(blob.digest), parentChainId: i > 0 ? chain[i - 1] : undefined, diffId: expected });
      } catch (err) {
        throw corrupt(`layer ${i} cannot be unpacked: ${errorMessage(err)}`);
      }
      if (unpacked.diffId !== expected) throw corrupt(`layer ${i} has diff ID ${unpacked.diffId}, but the config expects ${expected}`);
    }
    layers.push({ mediaType, digest: blob.digest, size: blob.size });
  }
  const configBlob = await service.content.writeBuffer(configBytes);
  let manifestDigest: Digest | undefined;
  if (img.manifestPath) {
    const bytes = await readFile(img.manifestPath);
    const m = JSON.parse(bytes.toString('utf8')) as Manifest;
    if (m.config.digest === configBlob.digest && m.layers.every((l, i) => l.digest === layers[i]?.digest)) {
      manifestDigest = (await service.content.writeBuffer(bytes)).digest;
    }
  }
  if (!manifestDigest) {
    const stored = await storeImageBlobs(service, config, layers);
    manifestDigest = stored.manifestDigest;
  }
  const rec = service.register({ config, configDigest: configBlob.digest, manifestDigest, tags: img.tags });
  service.emit({ action: 'load', id: rec.id });
  return { id: rec.id, tags: img.tags.map((t) => familiarName(formatReference(parseTaggedReference(t)))) };
}

/**
 * `docker load`: accepts docker-archive (manifest.json) and OCI image layout archives. Every
 * layer is checked against the config's diff IDs before the image becomes visible; a bad
 * archive changes nothing.
 */
export async function loadImages(service: ImageService, source: Readable, scratchRoot: string): Promise<LoadedImage[]> {
  await mkdir(scratchRoot, { recursive: true });
  const dir = await mkdtemp(join(scratchRoot, 'load-'));
  try {
    return await service.writing(async () => {
      const links = await extractArchive(source, dir);
      let images: ArchiveImage[];
      if (await exists(join(dir, 'manifest.json'))) images = await fromDockerManifest(dir, links);
      else if (await exists(join(dir, 'index.json'))) images = await fromOciLayout(dir, links);
      else throw corrupt('neither manifest.json nor index.json found: not a docker save archive or OCI layout');
      if (images.length === 0) throw corrupt('the archive holds no image');
      const out: LoadedImage[] = [];
      for (const img of images) out.push(await loadOne(service, img));
      return out;
    });
  } catch (err) {
    await service.gc();
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
