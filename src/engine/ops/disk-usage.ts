/**
 * `GET /system/df`: what images, containers, volumes and the build cache occupy.
 *
 * - LayersSize: every committed layer snapshot, each counted once.
 * - Images: Size is the image's unpacked size; SharedSize the part of it in layers that
 *   other images use too (what removing this image alone would not free).
 * - Containers: SizeRw is the container's own writable layer; SizeRootFs adds the image.
 * - Volumes and BuildCache come from their services when those are wired in.
 */
import { chainIds } from '../images/layers.js';
import type { ImageService } from '../images/service.js';
import type { ContainerService } from '../containers/service.js';
import { listContainers } from '../containers/views.js';
import { INIT_LAYER_LABEL } from '../containers/init-layer.js';
import { writableLayerSize } from '../containers/sizes.js';
import { listImages } from '../images/views.js';
import type { OverlaySnapshotter } from '../../store/snapshots/overlay.js';
import type { Digest } from '../../util/digest.js';

/** What a volume service offers df (VolumeService satisfies it). */
export interface VolumeUsageSource {
  list(filters: Map<string, string[]>): Promise<{ Volumes: object[] }>;
  volumeUsage(): Promise<{ name: string; size: number; refCount: number }[]>;
}

/** Build cache records in Docker's `BuildCache` shape. */
export interface BuildCacheSource {
  records(): Promise<BuildCacheRecord[]>;
}

export interface BuildCacheRecord {
  ID: string;
  Parents?: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface DiskUsageDeps {
  containers: ContainerService;
  images: ImageService;
  snapshots: OverlaySnapshotter;
  volumes?: () => VolumeUsageSource | undefined;
  buildCache?: () => BuildCacheSource | undefined;
}

export type DiskUsageType = 'container' | 'image' | 'volume' | 'build-cache';

export async function diskUsage(deps: DiskUsageDeps, types: DiskUsageType[] = ['container', 'image', 'volume', 'build-cache']): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (types.includes('image')) Object.assign(out, await imageUsage(deps));
  if (types.includes('container')) out.Containers = await containerUsage(deps);
  if (types.includes('volume')) out.Volumes = await volumeUsage(deps);
  if (types.includes('build-cache')) out.BuildCache = (await deps.buildCache?.()?.records()) ?? [];
  return out;
}

async function imageUsage(deps: DiskUsageDeps): Promise<{ LayersSize: number; Images: object[] }> {
  let layersSize = 0;
  for (const s of deps.snapshots.list()) if (s.kind === 'committed' && !s.labels[INIT_LAYER_LABEL]) layersSize += s.size;
  const counts = deps.containers.countsByImage();
  const summaries = listImages(deps.images, { all: true, filters: new Map(), digests: false, containerCounts: counts });
  // Which images use each layer, to tell shared bytes from the image's own.
  const chainsOf = new Map<string, Digest[]>();
  const users = new Map<string, number>();
  for (const img of summaries) {
    const id = img.Id;
    const chains = await deps.images
      .configOf(id)
      .then(({ config }) => [...new Set(chainIds(config.rootfs.diff_ids))])
      .catch((): Digest[] => []);
    chainsOf.set(id, chains);
    for (const c of chains) users.set(c, (users.get(c) ?? 0) + 1);
  }
  const images = summaries.map((img) => {
    const shared = (chainsOf.get(img.Id) ?? []).filter((c) => (users.get(c) ?? 0) > 1).reduce((sum, c) => sum + deps.images.deps.layers.layerSize(c), 0);
    return { ...img, SharedSize: shared, Containers: counts.get(img.Id) ?? 0 };
  });
  return { LayersSize: layersSize, Images: images };
}

async function containerUsage(deps: DiskUsageDeps): Promise<Record<string, unknown>[]> {
  return listContainers(deps.containers, deps.images, { all: true, size: true, filters: new Map() });
}

/** Bytes in a container's writable layer (0 when its snapshot is gone). */
export async function containerSizeRw(deps: Pick<DiskUsageDeps, 'snapshots'>, snapshotKey: string): Promise<number> {
  return writableLayerSize(deps.snapshots, snapshotKey);
}

async function volumeUsage(deps: DiskUsageDeps): Promise<object[]> {
  const source = deps.volumes?.();
  if (!source) return [];
  const [{ Volumes }, usage] = await Promise.all([source.list(new Map()), source.volumeUsage()]);
  const byName = new Map(usage.map((u) => [u.name, u]));
  return Volumes.map((v) => {
    const name = (v as { Name?: string }).Name ?? '';
    const u = byName.get(name);
    return { ...v, UsageData: { Size: u?.size ?? -1, RefCount: u?.refCount ?? -1 } };
  });
}
