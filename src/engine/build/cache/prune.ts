/**
 * `POST /build/prune`: forgets cache entries, removes the intermediate images only the cache
 * kept (untagged, no children, no containers) and empties the cache mounts not in use.
 */
import type { ImageService } from '../../images/service.js';
import { InvalidParameterError } from '../../../util/errors.js';
import type { CacheMountManager } from './mounts.js';
import type { BuildCacheStore } from './store.js';

export interface BuildPruneResult {
  CachesDeleted: string[];
  SpaceReclaimed: number;
}

/** `until` as Docker accepts it: a Go duration (`24h`, `90m`) or a timestamp. */
function untilToTime(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(h|m|s)$/.exec(value);
  if (m) return Date.now() - Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'h' | 'm' | 's'];
  const t = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid until filter: ${value}`);
  return t;
}

export async function pruneBuildCache(o: { cache: BuildCacheStore; cacheMounts: CacheMountManager; images: ImageService; all: boolean; filters: Map<string, string[]> }): Promise<BuildPruneResult> {
  const until = o.filters.get('until')?.[0];
  const entries = o.cache.prune({ before: until ? untilToTime(until) : undefined });
  let reclaimed = 0;
  // Newest first: a step's image is the parent of the next one.
  for (const e of [...entries].sort((a, b) => b.createdAt - a.createdAt)) {
    const img = o.images.images.get(e.imageId);
    if (!img || o.images.images.tagsOf(img.id).length > 0 || o.images.images.childrenOf(img.id).length > 0) continue;
    try {
      await o.images.remove(img.id, { force: false, prune: false, deferGc: true });
      reclaimed += img.size;
    } catch {
      // In use by a container or otherwise referenced: keep it.
    }
  }
  reclaimed += await o.cacheMounts.prune();
  await o.images.gc();
  return { CachesDeleted: entries.map((e) => e.key), SpaceReclaimed: reclaimed };
}
