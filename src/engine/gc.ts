import type { ContentStore } from '../store/content.js';
import type { Snapshotter } from '../store/snapshots/types.js';
import type { DB } from '../store/db.js';
import { isDigest, type Digest } from '../util/digest.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { INIT_LAYER_LABEL } from './containers/init-layer.js';
import type { ImageStore } from './images/image-store.js';
import { chainIds } from './images/layers.js';
import type { ImageConfig, Index, Manifest } from './images/oci.js';
import { MediaTypes } from './images/oci.js';

export interface GcResult {
  blobsRemoved: number;
  snapshotsRemoved: number;
  bytesFreed: number;
}

export interface GcDeps {
  db: DB;
  images: ImageStore;
  content: ContentStore;
  snapshots: Snapshotter;
  log: Logger;
  /** Snapshot keys that must survive: containers' rootfs, builds in progress. */
  snapshotRoots: () => string[];
}

/** Blobs and snapshots held by unexpired leases (work in progress). */
function leased(db: DB): { blobs: Set<string>; snapshots: Set<string> } {
  db.prepare('DELETE FROM leases WHERE expires_at < ?').run(Date.now());
  const rows = db.prepare('SELECT kind, ref FROM lease_resources').all() as { kind: string; ref: string }[];
  return {
    blobs: new Set(rows.filter((r) => r.kind === 'blob').map((r) => r.ref)),
    snapshots: new Set(rows.filter((r) => r.kind === 'snapshot').map((r) => r.ref)),
  };
}

/**
 * Mark and sweep. Roots: every image (its manifest, config and layers, plus stored indexes
 * named by repo digests), every lease, and the snapshots of containers and builds. Everything
 * else in the content store and every committed snapshot nobody stands on is removed.
 * Callers hold the image service's exclusive GC lock, so no write is half-recorded.
 */
export async function collectGarbage(deps: GcDeps): Promise<GcResult> {
  const result: GcResult = { blobsRemoved: 0, snapshotsRemoved: 0, bytesFreed: 0 };
  const lease = leased(deps.db);
  const liveBlobs = new Set<string>(lease.blobs);
  const liveSnapshots = new Set<string>(lease.snapshots);

  const markManifest = async (digest: Digest): Promise<void> => {
    if (liveBlobs.has(digest)) return;
    liveBlobs.add(digest);
    let doc: Manifest & Index;
    try {
      doc = await deps.content.readJSON<Manifest & Index>(digest);
    } catch {
      return;
    }
    if (doc.mediaType === MediaTypes.ociIndex || doc.mediaType === MediaTypes.dockerManifestList || Array.isArray(doc.manifests)) {
      for (const m of doc.manifests ?? []) if (await deps.content.has(m.digest)) await markManifest(m.digest);
      return;
    }
    if (doc.config) liveBlobs.add(doc.config.digest);
    for (const l of doc.layers ?? []) liveBlobs.add(l.digest);
  };

  for (const img of deps.images.list()) {
    liveBlobs.add(img.id);
    await markManifest(img.manifestDigest);
    for (const rd of deps.images.repoDigestsOf(img.id)) {
      const d = rd.slice(rd.lastIndexOf('@') + 1);
      if (isDigest(d) && (await deps.content.has(d))) await markManifest(d);
    }
    try {
      const config = await deps.content.readJSON<ImageConfig>(img.id);
      for (const c of chainIds(config.rootfs.diff_ids)) liveSnapshots.add(c);
    } catch (err) {
      deps.log.warn('gc: image config unreadable, keeping its snapshots unknown', { image: img.id, err: errorMessage(err) });
    }
  }
  for (const key of deps.snapshotRoots()) liveSnapshots.add(key);
  // An image's init layer lives as long as the image (an image without layers: always).
  const all = deps.snapshots.list();
  for (const s of all) {
    if (s.kind === 'committed' && s.labels[INIT_LAYER_LABEL] && (s.parent === undefined || liveSnapshots.has(s.parent))) liveSnapshots.add(s.key);
  }

  for (const blob of await deps.content.list()) {
    if (liveBlobs.has(blob.digest)) continue;
    if (await deps.content.delete(blob.digest)) {
      result.blobsRemoved++;
      result.bytesFreed += blob.size;
    }
  }

  // A snapshot stays if it is live or is an ancestor of a live one.
  const byKey = new Map(all.map((s) => [s.key, s]));
  const keep = new Set<string>();
  for (const s of all) {
    if (!liveSnapshots.has(s.key) && s.kind === 'committed') continue;
    for (let k: string | undefined = s.key; k && !keep.has(k); k = byKey.get(k)?.parent) keep.add(k);
  }
  // Remove from the leaves down: a child always before its parent.
  const depth = (s: { parent?: string }): number => (s.parent ? 1 + depth(byKey.get(s.parent) ?? {}) : 0);
  const doomed = all.filter((s) => !keep.has(s.key)).sort((a, b) => depth(b) - depth(a));
  for (const s of doomed) {
    try {
      await deps.snapshots.remove(s.key);
      result.snapshotsRemoved++;
      result.bytesFreed += s.size;
    } catch (err) {
      deps.log.warn('gc: cannot remove snapshot', { key: s.key, err: errorMessage(err) });
    }
  }
  if (result.blobsRemoved || result.snapshotsRemoved) deps.log.debug('gc done', { ...result });
  return result;
}
