/** The busybox fixture as a real-world layer: unpacked into a snapshot it equals the rootfs. */
import { fixturesDir } from '../helpers/paths.js';
import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { openDatabase, type DB } from '../../src/store/db.js';
import { LayerApplier } from '../../src/store/snapshots/apply-layer.js';
import { OverlaySnapshotter } from '../../src/store/snapshots/overlay.js';
import { mountRootfs } from '../../src/store/snapshots/rootfs.js';
import { isMountPoint, mount, unmount } from '../../src/sys/mount.js';
import { SystemError } from '../../src/util/errors.js';
import { Scratch, describeTree } from './helpers.js';

const fixtures = fixturesDir;
const layerTar = join(fixtures, 'busybox-rootfs.tar');
const scratch = new Scratch();
let db: DB | undefined;
after(async () => {
  await scratch.cleanup();
  db?.close();
});

it('applies the busybox layer and mounts it as a container rootfs', { skip: !existsSync(layerTar) && 'run scripts/make-fixtures.sh first' }, async (t) => {
  const root = await scratch.dir();
  db = openDatabase(join(root, 'meta.db'));
  const sn = new OverlaySnapshotter({ db, root });
  const started = process.hrtime.bigint();
  const applied = await new LayerApplier(sn).applyLayer({ stream: createReadStream(layerTar) });
  t.diagnostic(`busybox layer applied in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  assert.ok(applied.unpacked && applied.size > 1_000_000);
  const target = join(root, 'rootfs');
  await mkdir(target);
  await sn.prepare('c', applied.chainId);
  scratch.mounted(target);
  await mountRootfs(sn.mounts('c'), target);
  assert.equal(await isMountPoint(target), true);
  assert.deepEqual(await describeTree(target), await describeTree(join(fixtures, 'busybox-rootfs')));
});

it('the mount adapter mounts, reports and unmounts', async () => {
  const target = await scratch.dir();
  scratch.mounted(target);
  assert.equal(await isMountPoint(target), false);
  await mount('tmpfs', 'tmpfs', target, ['size=1m', 'mode=0700']);
  assert.equal(await isMountPoint(target), true);
  await unmount(target);
  assert.equal(await isMountPoint(target), false);
  await assert.rejects(mount('nosuchfs', 'none', target), (err: unknown) => err instanceof SystemError && /mount -t nosuchfs/.test(err.message));
});
