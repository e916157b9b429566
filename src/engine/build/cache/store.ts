/**
 * The build cache index: step cache key -> the image the step produced.
 *
 * As in Docker's classic builder, every step's result is an (untagged) intermediate image, so
 * the images table and GC keep its layers and snapshots alive; this table only remembers which
 * step made which image. An entry whose image is gone is a miss and is dropped.
 */
import type { DB } from '../../../store/db.js';
import type { Digest } from '../../../util/digest.js';

export interface CacheEntry {
  key: string;
  imageId: Digest;
  createdAt: number;
  lastUsed: number;
}

export class BuildCacheStore {
  constructor(private readonly db: DB) {}

  get(key: string): Digest | undefined {
    const row = this.db.prepare('SELECT image_id FROM build_cache WHERE key = ?').get(key) as { image_id: Digest } | undefined;
    if (row) this.db.prepare('UPDATE build_cache SET last_used = ? WHERE key = ?').run(Date.now(), key);
    return row?.image_id;
  }

  put(key: string, imageId: Digest): void {
    const now = Date.now();
    this.db
      .prepare('INSERT INTO build_cache (key, image_id, created_at, last_used) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id, last_used = excluded.last_used')
      .run(key, imageId, now, now);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
  }

  list(): CacheEntry[] {
    const rows = this.db.prepare('SELECT key, image_id, created_at, last_used FROM build_cache ORDER BY created_at').all() as {
      key: string; image_id: Digest; created_at: number; last_used: number;
    }[];
    return rows.map((r) => ({ key: r.key, imageId: r.image_id, createdAt: r.created_at, lastUsed: r.last_used }));
  }

  /** Removes entries (all, or those last used before `before`); returns them. */
  prune(opts: { before?: number } = {}): CacheEntry[] {
    const entries = this.list().filter((e) => opts.before === undefined || e.lastUsed < opts.before);
    const del = this.db.prepare('DELETE FROM build_cache WHERE key = ?');
    this.db.transaction(() => {
      for (const e of entries) del.run(e.key);
    })();
    return entries;
  }
}
