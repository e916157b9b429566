import type { DB } from '../../store/db.js';
import type { Digest } from '../../util/digest.js';

/**
 * Which registry repositories are known to hold a blob: recorded on pull and push, read on
 * push to try a cross-repository mount before uploading (`Mounted from team/other`).
 */
export class BlobSources {
  constructor(private readonly db: DB) {}

  record(registry: string, repository: string, digests: Digest[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO distribution_sources (digest, registry, repository, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(digest, registry, repository) DO UPDATE SET updated_at = excluded.updated_at`,
    );
    const now = Date.now();
    this.db.transaction(() => {
      for (const d of digests) stmt.run(d, registry, repository, now);
    })();
  }

  /** Other repositories on the same registry that hold the blob, newest first. */
  repositoriesWith(digest: Digest, registry: string, except: string, limit = 3): string[] {
    const rows = this.db
      .prepare('SELECT repository FROM distribution_sources WHERE digest = ? AND registry = ? AND repository != ? ORDER BY updated_at DESC LIMIT ?')
      .all(digest, registry, except, limit) as { repository: string }[];
    return rows.map((r) => r.repository);
  }

  /** Forgets a source that turned out not to hold the blob. */
  forget(digest: Digest, registry: string, repository: string): void {
    this.db.prepare('DELETE FROM distribution_sources WHERE digest = ? AND registry = ? AND repository = ?').run(digest, registry, repository);
  }
}
