/**
 * The overlayfs snapshotter: snapshot metadata in the `snapshots` table, contents under
 * `<root>/snapshots/<dir_id>/{fs,work}`. A snapshot's `fs` is its own layer (for an active
 * snapshot, overlay's upperdir); its ancestors' `fs` dirs are the lowerdirs.
 *
 * Directory ids are small integers so that overlay's option string (at most one page) stays
 * short even for deep chains; `mountRootfs` falls back to relative paths when it does not.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DB } from '../db.js';
import { spreadSubdirectories } from '../../sys/dir-placement.js';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './types.js';

/** Label on the active snapshots that layer unpacking creates; `cleanup()` removes leftovers. */
export const EXTRACT_LABEL = 'berth.io/extract';

interface SnapshotRow {
  key: string;
  parent: string | null;
  kind: SnapshotKind;
  dir_id: string;
  size: number;
  labels: string;
  created_at: number;
}

export interface OverlaySnapshotterOptions {
  db: DB;
  /** berth's state directory; snapshots live in `<root>/snapshots`. */
  root: string;
}

/** The next snapshot directory's number; the schema's snapshots_dir_number index serves it. */
export const NEXT_DIR_ID_SQL = 'SELECT COALESCE(MAX(CAST(dir_id AS INTEGER)), 0) + 1 AS id FROM snapshots';

export class OverlaySnapshotter implements Snapshotter {
  private readonly db: DB;
  /** `<root>/snapshots`: the parent of every snapshot directory. */
  readonly snapshotsDir: string;

  constructor(opts: OverlaySnapshotterOptions) {
    this.db = opts.db;
    this.snapshotsDir = join(opts.root, 'snapshots');
    mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
    spreadSubdirectories(this.snapshotsDir);
  }

  prepare(key: string, parent?: string, opts: { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    return this.create('active', key, parent, opts.labels ?? {});
  }

  view(key: string, parent?: string, opts: { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    return this.create('view', key, parent, opts.labels ?? {});
  }

  mounts(key: string): Mount[] {
    const row = this.mustGet(key);
    const lowers = this.lowerDirs(key);
    const fs = this.fsDir(row.dir_id);
    if (row.kind === 'committed') {
      throw new InvalidParameterError(`snapshot ${key} is committed: make a view or an active snapshot of it to mount it`);
    }
    if (row.kind === 'view') {
      if (lowers.length === 0) return [{ type: 'bind', source: fs, options: ['ro', 'rbind'] }];
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }];
    }
    if (lowers.length === 0) return [{ type: 'bind', source: fs, options: ['rw', 'rbind'] }];
    return [
      {
        type: 'overlay',
        source: 'overlay',
        options: [`workdir=${this.workDir(row.dir_id)}`, `upperdir=${fs}`, `lowerdir=${lowers.join(':')}`],
      },
    ];
  }

  async commit(name: string, key: string, opts: { labels?: Record<string, string> } = {}): Promise<void> {
    const row = this.mustGet(key);
    if (row.kind !== 'active') throw new InvalidParameterError(`snapshot ${key} is ${row.kind}: only an active snapshot can be committed`);
    const { size } = await this.usage(key);
    const labels = { ...(JSON.parse(row.labels) as Record<string, string>), ...(opts.labels ?? {}) };
    delete labels[EXTRACT_LABEL];
    this.db.transaction(() => {
      if (this.get(name)) throw new ConflictError(`snapshot ${name} already exists`);
      // Active snapshots have no children, so renaming the key breaks no parent reference.
      this.db
        .prepare(`UPDATE snapshots SET key = ?, kind = 'committed', size = ?, labels = ? WHERE key = ? AND kind = 'active'`)
        .run(name, size, JSON.stringify(labels), key);
    })();
    // The work dir is overlay's scratch space; a committed snapshot is never an upper again.
    await rm(this.workDir(row.dir_id), { recursive: true, force: true });
  }

  async remove(key: string): Promise<void> {
    const row = this.mustGet(key);
    // The directory is renamed away in the same step that frees its id: a snapshot prepared
    // right after may get the same id, and the slow recursive delete must not touch it.
    const doomed = `${this.snapshotDir(row.dir_id)}.removing-${randomBytes(4).toString('hex')}`;
    let moved = false;
    this.db.transaction(() => {
      const children = this.db.prepare('SELECT key FROM snapshots WHERE parent = ? LIMIT 3').all(key) as Array<{ key: string }>;
      if (children.length > 0) {
        throw new ConflictError(`snapshot ${key} has children (${children.map((c) => c.key).join(', ')}): remove them first`);
      }
      this.db.prepare(`DELETE FROM lease_resources WHERE kind = 'snapshot' AND ref = ?`).run(key);
      this.db.prepare('DELETE FROM snapshots WHERE key = ?').run(key);
      try {
        renameSync(this.snapshotDir(row.dir_id), doomed);
        moved = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    })();
    if (moved) await rm(doomed, { recursive: true, force: true });
  }

  stat(key: string): SnapshotInfo | undefined {
    const row = this.get(key);
    return row && toInfo(row);
  }

  list(): SnapshotInfo[] {
    return (this.db.prepare('SELECT * FROM snapshots ORDER BY created_at, key').all() as SnapshotRow[]).map(toInfo);
  }

  /**
   * Apparent size and inode count of the snapshot's own directory, as Docker counts a layer:
   * file and symlink sizes, hard links once, directories and whiteouts (0/0 devices) as 0.
   * A running container changes its upper dir meanwhile: what vanishes mid-walk is skipped.
   */
  async usage(key: string): Promise<Usage> {
    const row = this.mustGet(key);
    const seen = new Set<number>();
    let size = 0;
    const vanished = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
      return undefined;
    };
    const walk = async (dir: string): Promise<void> => {
      for (const name of (await readdir(dir).catch(vanished)) ?? []) {
        const p = join(dir, name);
        const st = await lstat(p).catch(vanished);
        if (!st || seen.has(st.ino)) continue;
        seen.add(st.ino);
        if (st.isDirectory()) await walk(p);
        else size += st.size;
      }
    };
    await walk(this.fsDir(row.dir_id));
    return { size, inodes: seen.size };
  }

  upperDir(key: string): string {
    return this.fsDir(this.mustGet(key).dir_id);
  }

  lowerDirs(key: string): string[] {
    const dirs: string[] = [];
    let parent = this.mustGet(key).parent;
    while (parent !== null) {
      const row = this.mustGet(parent);
      dirs.push(this.fsDir(row.dir_id));
      parent = row.parent;
    }
    return dirs;
  }

  /** Records that `lease` holds snapshot `key` (the GC keeps leased snapshots). */
  addLeaseResource(lease: string, key: string): void {
    try {
      this.db.prepare(`INSERT OR IGNORE INTO lease_resources (lease_id, kind, ref) VALUES (?, 'snapshot', ?)`).run(lease, key);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new NotFoundError(`lease ${lease} not found`);
      throw err;
    }
  }

  /**
   * Start-up housekeeping: removes unpack snapshots a crash left active, and snapshot
   * directories that no row points to (a crash between the DB change and the rm).
   */
  async cleanup(): Promise<string[]> {
    const removed: string[] = [];
    for (const info of this.list()) {
      if (info.kind === 'active' && info.labels[EXTRACT_LABEL] !== undefined) {
        await this.remove(info.key);
        removed.push(info.key);
      }
    }
    const known = new Set((this.db.prepare('SELECT dir_id FROM snapshots').all() as Array<{ dir_id: string }>).map((r) => r.dir_id));
    for (const dirId of await readdir(this.snapshotsDir)) {
      if (!known.has(dirId)) await rm(this.snapshotDir(dirId), { recursive: true, force: true });
    }
    return removed;
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, labels: Record<string, string>): Promise<Mount[]> {
    if (key === '') throw new InvalidParameterError('snapshot key must not be empty');
    const dirId = this.db.transaction(() => {
      if (this.get(key)) throw new ConflictError(`snapshot ${key} already exists`);
      if (parent !== undefined) {
        const p = this.get(parent);
        if (!p) throw new NotFoundError(`parent snapshot ${parent} not found`);
        if (p.kind !== 'committed') throw new InvalidParameterError(`parent snapshot ${parent} is ${p.kind}: only committed snapshots can be parents`);
      }
      const next = this.db.prepare(NEXT_DIR_ID_SQL).get() as { id: number };
      const id = String(next.id);
      this.db
        .prepare('INSERT INTO snapshots (key, parent, kind, dir_id, size, labels, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)')
        .run(key, parent ?? null, kind, id, JSON.stringify(labels), Date.now());
      return id;
    })();
    try {
      await this.makeSnapshotDir(dirId);
      await Promise.all([mkdir(this.fsDir(dirId), { mode: 0o755 }), kind === 'active' ? mkdir(this.workDir(dirId), { mode: 0o700 }) : undefined]);
    } catch (err) {
      this.db.prepare('DELETE FROM snapshots WHERE key = ?').run(key);
      await rm(this.snapshotDir(dirId), { recursive: true, force: true });
      throw err;
    }
    return this.mounts(key);
  }

  /**
   * A directory of that id may be left from a crash after its row was deleted: it goes only
   * then, so the usual create costs one round trip to the thread pool, not two.
   */
  private async makeSnapshotDir(dirId: string): Promise<void> {
    try {
      await mkdir(this.snapshotDir(dirId), { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await rm(this.snapshotDir(dirId), { recursive: true, force: true });
      await mkdir(this.snapshotDir(dirId), { mode: 0o700 });
    }
  }

  private get(key: string): SnapshotRow | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE key = ?').get(key) as SnapshotRow | undefined;
  }

  private mustGet(key: string): SnapshotRow {
    const row = this.get(key);
    if (!row) throw new NotFoundError(`snapshot ${key} not found`);
    return row;
  }

  private snapshotDir(dirId: string): string {
    return join(this.snapshotsDir, dirId);
  }
  private fsDir(dirId: string): string {
    return join(this.snapshotsDir, dirId, 'fs');
  }
  private workDir(dirId: string): string {
    return join(this.snapshotsDir, dirId, 'work');
  }
}

function toInfo(row: SnapshotRow): SnapshotInfo {
  const info: SnapshotInfo = {
    key: row.key,
    kind: row.kind,
    labels: JSON.parse(row.labels) as Record<string, string>,
    createdAt: row.created_at,
    size: row.size,
  };
  if (row.parent !== null) info.parent = row.parent;
  return info;
}
