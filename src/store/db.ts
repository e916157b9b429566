import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './schema.js';

export type DB = Database.Database;

/**
 * Opens (creating if needed) the metadata database in WAL mode and brings its schema up to
 * date. `synchronous=NORMAL` with WAL keeps commits durable across a process crash (the only
 * risk is the last transactions on power loss, which the content store's fsyncs cover).
 */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: DB, migrations: Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const pending = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
