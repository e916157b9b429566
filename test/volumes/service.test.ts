/**
 * VolumeService in-process with a real database and real mounts: the events it publishes,
 * and re-adoption of a tmpfs volume still mounted for a container when berthd restarts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventBus } from '../../src/engine/events/bus.js';
import { VolumeService } from '../../src/engine/volumes/service.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { isMountPoint, unmount } from '../../src/sys/mount.js';
import { createLogger } from '../../src/util/log.js';

let dir: string;
let db: DB;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-volsvc-'));
  db = openDatabase(join(dir, 'berth.db'));
  // Refs point at containers; this test has none, so rows stand in for them.
  db.pragma('foreign_keys = OFF');
  db.prepare(`INSERT INTO containers (id, name, image_id, image_ref, created_at, config, host_config, state) VALUES ('c1', 'c1', 'i', 'i', 0, '{}', '{}', '{}')`).run();
});

after(async () => {
  const data = join(dir ?? '/nonexistent', 'volumes', 'tv', '_data');
  if (await isMountPoint(data)) await unmount(data);
  db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function service(events = new EventBus()): VolumeService {
  return new VolumeService({ db, root: join(dir, 'volumes'), events, log: createLogger() });
}

describe('volume service', () => {
  test('events: create, mount, unmount, destroy with driver and container', async () => {
    const events = new EventBus();
    const svc = service(events);
    await svc.create({ Name: 'ev', Labels: { a: 'b' } });
    svc.recordUse('c1', '/e', 'ev');
    await svc.mount('ev', { containerId: 'c1', destination: '/e', readWrite: true, propagation: '' });
    await svc.mount('ev', { containerId: 'c1', destination: '/e', readWrite: true, propagation: '' });
    await svc.release('c1');
    await svc.forgetContainer('c1', { removeAnonymous: false });
    await svc.remove('ev');
    const seen = events.past(0).map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes.driver, e.Actor.Attributes.container ?? '']);
    assert.deepEqual(seen, [
      ['volume', 'create', 'ev', 'local', ''],
      ['volume', 'mount', 'ev', 'local', 'c1'],
      ['volume', 'unmount', 'ev', 'local', 'c1'],
      ['volume', 'destroy', 'ev', 'local', ''],
    ]);
  });

  test('restore adopts a mount kept by a running container and releases it later', async () => {
    const first = service();
    await first.create({ Name: 'tv', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    first.recordUse('c1', '/t', 'tv');
    const data = await first.mount('tv', { containerId: 'c1', destination: '/t', readWrite: true, propagation: '' });
    assert.ok(await isMountPoint(data));
    // berthd restarts: a new service, the container is still running.
    const second = service();
    await second.restore((id) => id === 'c1');
    assert.ok(await isMountPoint(data), 'still mounted for the running container');
    await second.release('c1');
    assert.equal(await isMountPoint(data), false, 'the last user unmounted it');
    // Restored while the container is gone: nothing to adopt.
    await second.mount('tv', { containerId: 'c1', destination: '/t', readWrite: true, propagation: '' });
    const third = service();
    await third.restore(() => false);
    assert.equal(await isMountPoint(data), false, 'released because its container is not running');
    await third.forgetContainer('c1', { removeAnonymous: false });
    await third.remove('tv');
  });
});
