/** Container sizes (SizeRw, SizeRootFs) through `docker ps -s` and `docker inspect -s`. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, dockerOk } from './helpers.js';

let d: TestDaemon;
before(async () => {
  d = await containerDaemon();
});
after(() => d?.stop()); // removes every container first

async function sizes(name: string): Promise<{ rw: number; rootfs: number }> {
  const out = await dockerOk(d, ['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', name]);
  const [rw, rootfs] = out.trim().split(' ').map(Number);
  return { rw: rw!, rootfs: rootfs! };
}

test('inspect -s counts the writable layer: files, links once, symlinks by their own size, deletions as 0', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'sz', 'busybox', 'sleep', '1000']);
  const imageSize = Number(await dockerOk(d, ['image', 'inspect', '-f', '{{.Size}}', 'busybox']));
  const base = await sizes('sz');
  assert.ok(base.rw >= 0 && base.rw < 4096, `a fresh container's layer is (nearly) empty: ${base.rw}`);
  assert.equal(base.rootfs, imageSize + base.rw);

  // 1 MiB file, a hard link to it, a symlink of 4 bytes ("/big"), and a deletion (a whiteout).
  await dockerOk(d, ['exec', 'sz', 'sh', '-c', 'head -c 1048576 /dev/zero > /big && ln /big /big2 && ln -s /big /lnk && rm /bin/vi']);
  const after = await sizes('sz');
  assert.equal(after.rw - base.rw, 1048576 + 4);
  assert.equal(after.rootfs, imageSize + after.rw);

  // Without -s the sizes are not computed (nor shown), as in Docker.
  const plain = JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .}}', 'sz'])) as Record<string, unknown>;
  assert.equal('SizeRw' in plain, false);
  assert.equal('SizeRootFs' in plain, false);
});

test('ps -s shows the size and the virtual size, for stopped containers too', async () => {
  await dockerOk(d, ['run', '--name', 'sz-exited', 'busybox', 'sh', '-c', 'head -c 2000000 /dev/zero > /two']);
  const { rw, rootfs } = await sizes('sz-exited');
  assert.ok(rw >= 2_000_000 && rw < 2_004_096, String(rw));
  const shown = (await dockerOk(d, ['ps', '-a', '-s', '--filter', 'name=sz-exited', '--format', '{{.Size}}'])).trim();
  assert.match(shown, /^2MB \(virtual \d+(\.\d+)?MB\)$/);
  assert.equal(shown, `2MB (virtual ${(rootfs / 1e6).toPrecision(3).replace(/\.?0+$/, '')}MB)`);

  // The table has a SIZE column; `--format` naming .Size asks for sizes by itself.
  const table = await dockerOk(d, ['ps', '-a', '-s', '--filter', 'name=sz-exited']);
  assert.match(table.split('\n')[0]!, /SIZE/);
  assert.match(await dockerOk(d, ['ps', '-a', '--filter', 'name=sz-exited', '--format', '{{.Names}} {{.Size}}']), /^sz-exited 2MB \(virtual /);
});
