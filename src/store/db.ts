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
  reuseStatements(db);
  return db;
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Makes `db.prepare` hand back the statement it compiled before for the same SQL. The stores
 * prepare at the point of use, and compiling is most of the cost of a small query: a
 * `docker run` reads and writes its container row a dozen times. A statement is reusable
 * as long as nobody iterates it while using it again, and no store iterates or changes
 * a statement's mode (pluck, raw, expand). SQLite recompiles a cached statement by itself
 * after a schema change. SQL built with a varying number of parameters would fill the cache
 * without end, so it starts over once full.
 */
function reuseStatements(db: DB): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      statement = compile(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as DB['prepare'];
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
