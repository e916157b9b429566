/**
 * What a build step starts from and produces: an image config (with history), its layer
 * descriptors, and the ID of the (intermediate) image it is stored as.
 *
 * Snapshot vocabulary (see store/snapshots): a step that changes files prepares an *active*
 * snapshot on the parent's top chain ID, mounts it, changes it (RUN, COPY...), and the upper
 * dir is both the layer (diffed into a tar for the content store) and, committed under the new
 * chain ID, the unpacked layer the next step and later builds stand on.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { storeImageBlobs } from '../../images/import.js';
import { chainIds } from '../../images/layers.js';
import { MediaTypes, type Descriptor, type HistoryEntry, type ImageConfig, type Manifest } from '../../images/oci.js';
import type { ImageService } from '../../images/service.js';
import { diffUpperDir } from '../../../store/layers/diff.js';
import { chainId as chainIdOf } from '../../../store/snapshots/chain-id.js';
import { EXTRACT_LABEL, type OverlaySnapshotter } from '../../../store/snapshots/overlay.js';
import { mountRootfs, unmountRootfs } from '../../../store/snapshots/rootfs.js';
import type { Mount } from '../../../store/snapshots/types.js';
import type { Digest } from '../../../util/digest.js';
import { ConflictError } from '../../../util/errors.js';
import { randomBytes } from 'node:crypto';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageState {
  /** Image ID (config digest); undefined for `scratch` before any step. */
  id?: Digest;
  config: ImageConfig;
  layers: Descriptor[];
}

export function topChain(state: ImageState): Digest | undefined {
  return chainIds(state.config.rootfs.diff_ids).at(-1);
}

export function scratchState(platform: { os: string; architecture: string; variant?: string }): ImageState {
  return {
    config: {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Env: [DEFAULT_PATH_ENV] },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    },
    layers: [],
  };
}

export async function loadImageState(images: ImageService, ref: string): Promise<ImageState> {
  const { record, manifest, config } = await images.load(ref);
  const cfg: ImageConfig = structuredClone(config);
  cfg.config ??= {};
  if (!cfg.config.Env?.length) cfg.config.Env = [DEFAULT_PATH_ENV];
  return { id: record.id, config: cfg, layers: manifest.layers };
}

export interface StepStore {
  images: ImageService;
  snapshots: OverlaySnapshotter;
  scratchDir: string;
}

let volatileOverlay = true;

/**
 * Mounts a step's snapshot. overlay's `volatile` (Linux 5.10+) skips the sync of the upper
 * dir at unmount, ~4 ms a step and more under load: a step's snapshot is committed or thrown
 * away right after, never mounted writable again (a killed berthd's are removed at start).
 * A kernel without it mounts without it.
 */
async function mountStepRootfs(mounts: Mount[], dir: string): Promise<void> {
  if (volatileOverlay && mounts.some((m) => m.type === 'overlay')) {
    try {
      await mountRootfs(mounts.map((m) => (m.type === 'overlay' ? { ...m, options: [...m.options, 'volatile'] } : m)), dir);
      return;
    } catch (err) {
      await mountRootfs(mounts, dir).catch(() => Promise.reject(err));
      volatileOverlay = false;
      return;
    }
  }
  await mountRootfs(mounts, dir);
}

/**
 * Prepares an active snapshot on `parentChain`, mounts it, lets `fn` change it, then turns the
 * upper dir into a layer blob and commits the snapshot under the new chain ID.
 */
export async function layerStep(store: StepStore, o: { parentChain?: Digest; sourceDateEpoch?: number }, fn: (rootfs: string) => Promise<void>): Promise<{ diffId: Digest; layer: Descriptor }> {
  const key = `build-${randomBytes(8).toString('hex')}`;
  const { snapshots } = store;
  await snapshots.prepare(key, o.parentChain, { labels: { [EXTRACT_LABEL]: 'build' } });
  let committed = false;
  try {
    const mountDir = await mkdtemp(join(store.scratchDir, 'build-rootfs-'));
    try {
      await mountStepRootfs(snapshots.mounts(key), mountDir);
      try {
        await fn(mountDir);
      } finally {
        await unmountRootfs(mountDir);
      }
    } finally {
      await rm(mountDir, { recursive: true, force: true });
    }
    const blob = await store.images.content.ingest(diffUpperDir(snapshots.upperDir(key), { sourceDateEpoch: o.sourceDateEpoch }));
    const diffId = blob.digest;
    const chain = chainIdOf(o.parentChain, diffId);
    if (!snapshots.stat(chain)) {
      try {
        await snapshots.commit(chain, key);
        committed = true;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return { diffId, layer: { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size } };
  } finally {
    if (!committed && snapshots.stat(key)) await snapshots.remove(key).catch(() => undefined);
  }
}

/** Runs `fn` with the image's root filesystem mounted read-only (an empty dir for scratch). */
export async function withImageRootfs<T>(store: StepStore, state: ImageState, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(store.scratchDir, 'build-view-'));
  const top = topChain(state);
  const key = `build-view-${randomBytes(8).toString('hex')}`;
  let mounted = false;
  try {
    if (top) {
      await store.snapshots.view(key, top, { labels: { [EXTRACT_LABEL]: 'build-view' } });
      await mountRootfs(store.snapshots.mounts(key), dir);
      mounted = true;
    }
    return await fn(dir);
  } finally {
    if (mounted) await unmountRootfs(dir).catch(() => undefined);
    if (top && store.snapshots.stat(key)) await store.snapshots.remove(key).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A view kept mounted until `release` (RUN --mount=type=bind,from=...). */
export async function mountImageRootfs(store: StepStore, state: ImageState): Promise<{ dir: string; release: () => Promise<void> }> {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  let ready!: (dir: string) => void;
  let failed!: (err: unknown) => void;
  const dirPromise = new Promise<string>((res, rej) => {
    ready = res;
    failed = rej;
  });
  const finished = withImageRootfs(store, state, async (dir) => {
    ready(dir);
    await done;
  }).catch((err: unknown) => failed(err));
  const dir = await dirPromise;
  return {
    dir,
    release: async () => {
      release();
      await finished;
    },
  };
}

/** Stores the config and manifest of a step's result and records it as an intermediate image. */
export async function commitImage(images: ImageService, state: Omit<ImageState, 'id'>, parent: Digest | undefined): Promise<ImageState> {
  const { configDigest, manifestDigest } = await storeImageBlobs(images, state.config, state.layers);
  images.register({ config: state.config, configDigest, manifestDigest, tags: [], parent });
  return { id: configDigest, config: state.config, layers: state.layers };
}

export function withHistory(config: ImageConfig, entry: HistoryEntry): ImageConfig {
  const next = structuredClone(config);
  next.history = [...(next.history ?? []), entry];
  return next;
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

export type { Manifest };
