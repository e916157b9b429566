// The directories behind RUN --mount=type=cache and their three sharing modes, on a real temp dir.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CacheMountManager } from '../../src/engine/build/cache/mounts.js';

describe('build cache mounts', () => {
  let root: string;
  let caches: CacheMountManager;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cache-mounts-'));
    caches = new CacheMountManager(join(root, 'cache-mounts'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('shared: concurrent users get the same directory, made with the mode and owner asked for', async () => {
    const [a, b] = await Promise.all([caches.acquire({ id: 'shared', sharing: 'shared', mode: 0o700, uid: 1000, gid: 1000 }), caches.acquire({ id: 'shared', sharing: 'shared' })]);
    assert.equal(a.path, b.path);
    const st = await stat(a.path);
    assert.deepEqual([st.mode & 0o777, st.uid, st.gid], [0o700, 1000, 1000]);
    await Promise.all([a.release(), b.release()]);
  });

  it('private: a concurrent user gets a fresh directory of its own, removed on release', async () => {
    const a = await caches.acquire({ id: 'private', sharing: 'private' });
    const b = await caches.acquire({ id: 'private', sharing: 'private' });
    assert.notEqual(a.path, b.path);
    await b.release();
    assert.equal(existsSync(b.path), false);
    await a.release();
    assert.equal(existsSync(a.path), true, 'the cache itself stays');
  });

  it('locked: the next user waits for the release', async () => {
    const order: string[] = [];
    const first = await caches.acquire({ id: 'locked', sharing: 'locked' });
    const second = caches.acquire({ id: 'locked', sharing: 'locked' }).then((lease) => {
      order.push('second acquired');
      return lease;
    });
    await new Promise((r) => setTimeout(r, 50));
    order.push('first released');
    await first.release();
    await (await second).release();
    assert.deepEqual(order, ['first released', 'second acquired']);
  });

  it('locked: a user whose directory cannot be made lets the next one in', async () => {
    await assert.rejects(caches.acquire({ id: 'locked-bad', sharing: 'locked', mode: -1 }), /mode/);
    const next = await Promise.race([caches.acquire({ id: 'locked-bad', sharing: 'locked' }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]);
    assert.ok(next, 'the lock was released');
    await next.release();
  });
});
