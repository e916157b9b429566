import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../util/errors.js';

/**
 * An exclusive lock on a directory for the life of this process. It is an fcntl lock taken
 * by SQLite (locking_mode=EXCLUSIVE inside an open transaction), so the kernel drops it when
 * the process dies, even by SIGKILL: no stale lock files to clean up after a crash.
 */
export class DirectoryLock {
  private constructor(private readonly db: Database.Database) {}

  static acquire(dir: string, what: string): DirectoryLock {
    const file = join(dir, 'berthd.lock');
    const db = new Database(file);
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('busy_timeout = 0');
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch {
      db.close();
      let holder = '';
      try {
        holder = readFileSync(`${file}.pid`, 'utf8').trim();
      } catch {
        /* no pid recorded */
      }
      throw new ConflictError(`${what} ${dir} is in use by another berthd${holder ? ` (pid ${holder})` : ''}: give this instance its own --data-root and --exec-root`);
    }
    writeFileSync(`${file}.pid`, String(process.pid));
    return new DirectoryLock(db);
  }

  release(): void {
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}
