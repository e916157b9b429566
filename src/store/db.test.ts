import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from './db.js';

describe('openDatabase: statements are compiled once per SQL text', () => {
  const withDb = (fn: (db: ReturnType<typeof openDatabase>) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-db-'));
    const db = openDatabase(join(dir, 'test.db'), [{ version: 1, description: 'a table', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)' }]);
    try {
      fn(db);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('hands back the statement it compiled before', () => {
    withDb((db) => {
      assert.equal(db.prepare('SELECT * FROM t WHERE id = ?'), db.prepare('SELECT * FROM t WHERE id = ?'));
      assert.notEqual(db.prepare('SELECT * FROM t WHERE id = ?'), db.prepare('SELECT id FROM t WHERE id = ?'));
    });
  });

  it('a kept statement sees a schema change and other rows each time', () => {
    withDb((db) => {
      db.prepare('INSERT INTO t (name) VALUES (?)').run('a');
      assert.deepEqual(db.prepare('SELECT * FROM t').all(), [{ id: 1, name: 'a' }]);
      db.exec('ALTER TABLE t ADD COLUMN extra TEXT');
      db.prepare('INSERT INTO t (name) VALUES (?)').run('b');
      assert.deepEqual(db.prepare('SELECT * FROM t').all(), [
        { id: 1, name: 'a', extra: null },
        { id: 2, name: 'b', extra: null },
      ]);
    });
  });

  it('keeps working past the size of the cache', () => {
    withDb((db) => {
      for (let i = 0; i < 1200; i++) assert.deepEqual(db.prepare(`SELECT ${i} AS n`).get(), { n: i });
      assert.deepEqual(db.prepare('SELECT 7 AS n').get(), { n: 7 });
    });
  });
});
