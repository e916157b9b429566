/**
 * A container's sizes, as `docker ps -s`, `docker inspect -s` and `docker system df` show them:
 *
 * - SizeRw: the bytes of the container's writable layer, the upper directory of its snapshot
 *   (what it added or changed; a deletion is a whiteout of 0 bytes);
 * - SizeRootFs: the bytes of all files the container sees in its root filesystem: its image's
 *   layers plus SizeRw (like Docker, a file changed in the container counts in both).
 *
 * The writable layer is walked on every request (it changes all the time), so callers only ask
 * when the user did. The layers below are committed snapshots whose size was recorded when
 * they were unpacked, so they cost nothing.
 */
import type { Snapshotter } from '../../store/snapshots/types.js';
import { INIT_LAYER_LABEL } from './init-layer.js';
import type { Container } from './model.js';

export interface ContainerSizes {
  SizeRw: number;
  SizeRootFs: number;
}

/** Bytes in the writable layer of snapshot `key` (0 when the snapshot is gone). */
export async function writableLayerSize(snapshots: Pick<Snapshotter, 'usage'>, key: string): Promise<number> {
  try {
    return (await snapshots.usage(key)).size;
  } catch {
    return 0;
  }
}

/** Bytes in the committed layers below snapshot `key`, from their recorded sizes. */
export function layersBelowSize(snapshots: Pick<Snapshotter, 'stat'>, key: string): number {
  let size = 0;
  let parent = snapshots.stat(key)?.parent;
  while (parent !== undefined) {
    const info = snapshots.stat(parent);
    if (!info) break;
    // The init layer is not part of the image, and Docker counts only the image's layers.
    if (!info.labels[INIT_LAYER_LABEL]) size += info.size;
    parent = info.parent;
  }
  return size;
}

export async function containerSizes(snapshots: Pick<Snapshotter, 'usage' | 'stat'>, c: Pick<Container, 'snapshotKey'>): Promise<ContainerSizes> {
  const sizeRw = await writableLayerSize(snapshots, c.snapshotKey);
  return { SizeRw: sizeRw, SizeRootFs: layersBelowSize(snapshots, c.snapshotKey) + sizeRw };
}
