import { join } from 'node:path';
import type { Digest } from '../../util/digest.js';
import { openDatabase, type DB } from '../../store/db.js';
import type { Migration } from '../../store/schema.js';

/**
 * The registry's metadata: which repositories exist, which manifests and blobs each one links,
 * and its tags. Bytes live in the blob store; this SQLite file (WAL) only says who uses what.
 *
 *   repositories(name)
 *   repo_blobs(repo, digest)          a blob pushed/mounted into a repo (repo-scoped access)
 *   manifests(repo, digest, media_type, artifact_type, subject, size, annotations)
 *        └── manifest_refs(repo, digest, child, kind)   kind = 'blob' (config, layers) | 'manifest' (index children)
 *   tags(repo, tag) ──▶ manifests.digest
 *
 * Update this drawing when the structure changes, and add a migration.
 */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'registry repositories, manifests, tags, blob links',
    sql: `
      CREATE TABLE repositories (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE repo_blobs (
        repo TEXT NOT NULL, digest TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, digest));
      CREATE INDEX repo_blobs_digest ON repo_blobs(digest);
      CREATE TABLE manifests (
        repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,
        artifact_type TEXT, subject TEXT, size INTEGER NOT NULL, annotations TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, digest));
      CREATE INDEX manifests_subject ON manifests(repo, subject);
      CREATE INDEX manifests_digest ON manifests(digest);
      CREATE TABLE manifest_refs (
        repo TEXT NOT NULL, digest TEXT NOT NULL, child TEXT NOT NULL, kind TEXT NOT NULL,
        PRIMARY KEY (repo, digest, child));
      CREATE INDEX manifest_refs_child ON manifest_refs(child);
      CREATE TABLE tags (
        repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (repo, tag));
    `,
  },
];

export interface ManifestRecord {
  repo: string;
  digest: Digest;
  mediaType: string;
  artifactType?: string;
  subject?: Digest;
  size: number;
  annotations?: Record<string, string>;
  createdAt: number;
}

export interface ManifestRef {
  child: Digest;
  kind: 'blob' | 'manifest';
}

interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  size: number;
  annotations: string | null;
  created_at: number;
}

function toRecord(r: ManifestRow): ManifestRecord {
  return {
    repo: r.repo,
    digest: r.digest as Digest,
    mediaType: r.media_type,
    artifactType: r.artifact_type ?? undefined,
    subject: (r.subject ?? undefined) as Digest | undefined,
    size: r.size,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : undefined,
    createdAt: r.created_at,
  };
}

/** All calls are synchronous (better-sqlite3): a check and the write that depends on it run in one tick. */
export class RegistryMetadata {
  readonly db: DB;

  constructor(root: string) {
    this.db = openDatabase(join(root, 'registry.db'), MIGRATIONS);
  }

  close(): void {
    this.db.close();
  }

  private ensureRepo(repo: string): void {
    this.db.prepare('INSERT OR IGNORE INTO repositories (name, created_at) VALUES (?, ?)').run(repo, Date.now());
  }

  linkBlob(repo: string, digest: Digest): void {
    this.ensureRepo(repo);
    this.db.prepare('INSERT OR IGNORE INTO repo_blobs (repo, digest, created_at) VALUES (?, ?, ?)').run(repo, digest, Date.now());
  }

  hasBlobLink(repo: string, digest: Digest): boolean {
    return this.db.prepare('SELECT 1 FROM repo_blobs WHERE repo = ? AND digest = ?').get(repo, digest) !== undefined;
  }

  /** Repositories that link a blob (at most `limit`). */
  reposLinking(digest: Digest, limit = 100): string[] {
    return (this.db.prepare('SELECT repo FROM repo_blobs WHERE digest = ? LIMIT ?').all(digest, limit) as Array<{ repo: string }>).map((r) => r.repo);
  }

  unlinkBlob(repo: string, digest: Digest): boolean {
    return this.db.prepare('DELETE FROM repo_blobs WHERE repo = ? AND digest = ?').run(repo, digest).changes > 0;
  }

  /** Forgets every link to a blob (GC deleted its bytes). */
  dropBlob(digest: Digest): void {
    this.db.prepare('DELETE FROM repo_blobs WHERE digest = ?').run(digest);
  }

  /** Is the digest used by any manifest row or reference, in any repository? */
  isReferenced(digest: Digest): boolean {
    return (
      this.db.prepare('SELECT 1 FROM manifests WHERE digest = ? LIMIT 1').get(digest) !== undefined ||
      this.db.prepare('SELECT 1 FROM manifest_refs WHERE child = ? LIMIT 1').get(digest) !== undefined
    );
  }

  putManifest(rec: ManifestRecord, refs: ManifestRef[], tags?: string | readonly string[]): void {
    this.db.transaction(() => {
      this.ensureRepo(rec.repo);
      this.db
        .prepare(
          `INSERT INTO manifests (repo, digest, media_type, artifact_type, subject, size, annotations, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (repo, digest) DO UPDATE SET created_at = excluded.created_at`,
        )
        .run(rec.repo, rec.digest, rec.mediaType, rec.artifactType ?? null, rec.subject ?? null, rec.size, rec.annotations ? JSON.stringify(rec.annotations) : null, rec.createdAt);
      const insertRef = this.db.prepare('INSERT OR IGNORE INTO manifest_refs (repo, digest, child, kind) VALUES (?, ?, ?, ?)');
      for (const r of refs) insertRef.run(rec.repo, rec.digest, r.child, r.kind);
      // The manifest's own bytes are a blob of this repository too.
      this.db.prepare('INSERT OR IGNORE INTO repo_blobs (repo, digest, created_at) VALUES (?, ?, ?)').run(rec.repo, rec.digest, Date.now());
      const setTag = this.db.prepare(
        'INSERT INTO tags (repo, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at',
      );
      for (const tag of tags === undefined ? [] : typeof tags === 'string' ? [tags] : tags) setTag.run(rec.repo, tag, rec.digest, Date.now());
    })();
  }

  getManifest(repo: string, digest: Digest): ManifestRecord | undefined {
    const row = this.db.prepare('SELECT * FROM manifests WHERE repo = ? AND digest = ?').get(repo, digest) as ManifestRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  resolveTag(repo: string, tag: string): Digest | undefined {
    const row = this.db.prepare('SELECT digest FROM tags WHERE repo = ? AND tag = ?').get(repo, tag) as { digest: string } | undefined;
    return row?.digest as Digest | undefined;
  }

  deleteTag(repo: string, tag: string): boolean {
    return this.db.prepare('DELETE FROM tags WHERE repo = ? AND tag = ?').run(repo, tag).changes > 0;
  }

  /** Deletes a manifest and every tag pointing at it. */
  deleteManifest(repo: string, digest: Digest): boolean {
    return this.db.transaction(() => {
      const n = this.db.prepare('DELETE FROM manifests WHERE repo = ? AND digest = ?').run(repo, digest).changes;
      if (n === 0) return false;
      this.db.prepare('DELETE FROM manifest_refs WHERE repo = ? AND digest = ?').run(repo, digest);
      this.db.prepare('DELETE FROM tags WHERE repo = ? AND digest = ?').run(repo, digest);
      this.db.prepare('DELETE FROM repo_blobs WHERE repo = ? AND digest = ?').run(repo, digest);
      return true;
    })();
  }

  repoExists(repo: string): boolean {
    return this.db.prepare('SELECT 1 FROM repositories WHERE name = ?').get(repo) !== undefined;
  }

  /** Tags in lexical (byte) order after `last`, at most `limit`. */
  listTags(repo: string, opts: { last?: string; limit?: number }): string[] {
    const rows = this.db
      .prepare('SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag COLLATE BINARY LIMIT ?')
      .all(repo, opts.last ?? '', opts.limit ?? -1) as Array<{ tag: string }>;
    return rows.map((r) => r.tag);
  }

  listRepositories(opts: { last?: string; limit?: number }): string[] {
    const rows = this.db
      .prepare('SELECT name FROM repositories WHERE name > ? ORDER BY name COLLATE BINARY LIMIT ?')
      .all(opts.last ?? '', opts.limit ?? -1) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  referrers(repo: string, subject: Digest): ManifestRecord[] {
    const rows = this.db.prepare('SELECT * FROM manifests WHERE repo = ? AND subject = ? ORDER BY digest').all(repo, subject) as ManifestRow[];
    return rows.map(toRecord);
  }

  allManifests(): ManifestRecord[] {
    return (this.db.prepare('SELECT * FROM manifests').all() as ManifestRow[]).map(toRecord);
  }

  allTags(): Array<{ repo: string; tag: string; digest: Digest }> {
    return this.db.prepare('SELECT repo, tag, digest FROM tags').all() as Array<{ repo: string; tag: string; digest: Digest }>;
  }

  allRefs(): Array<{ repo: string; digest: Digest; child: Digest; kind: 'blob' | 'manifest' }> {
    return this.db.prepare('SELECT repo, digest, child, kind FROM manifest_refs').all() as Array<{ repo: string; digest: Digest; child: Digest; kind: 'blob' | 'manifest' }>;
  }
}
