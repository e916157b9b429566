import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConflictError } from '../../util/errors.js';
import { ContainerView, ReadonlyMountError, ReadonlyRootfsError, resolveInView } from './fs-view.js';

let dir: string;
let root: string;
let vol: string;
let nested: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-fs-view-'));
  root = join(dir, 'root');
  vol = join(dir, 'vol');
  nested = join(dir, 'nested');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'data'));
  await writeFile(join(root, 'data', 'hidden'), 'under the mount');
  await writeFile(join(root, 'etc', 'passwd'), 'root');
  await mkdir(join(vol, 'sub'), { recursive: true });
  await mkdir(nested);
  await symlink('/', join(vol, 'toroot'));
  await symlink('../../../../..', join(vol, 'up'));
  await symlink('../etc', join(vol, 'etc-up'));
  await symlink('/data', join(root, 'tovol'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function view(readonlyRootfs = false): ContainerView {
  return new ContainerView(
    root,
    [
      { destination: '/data', source: vol, rw: true },
      { destination: '/data/sub', source: nested, rw: false },
      { destination: '/run', source: '', rw: true, unreachable: '/run is a tmpfs mount' },
      // Below a directory the rootfs does not have (a container never started).
      { destination: '/absent/deep', source: vol, rw: true },
    ],
    readonlyRootfs,
  );
}

test('the deepest mount at or above a path holds it', () => {
  const v = view();
  assert.equal(v.hostPath('/etc/passwd'), join(root, 'etc/passwd'));
  assert.equal(v.hostPath('/data'), vol);
  assert.equal(v.hostPath('/data/x'), join(vol, 'x'));
  assert.equal(v.hostPath('/data/sub/y'), join(nested, 'y'));
  assert.equal(v.hostPath('/database'), join(root, 'database'), 'a prefix of a name is not a parent');
  assert.deepEqual([...v.mountsBelow('/')], [['data', vol], ['data/sub', nested], ['absent/deep', vol]]);
  assert.deepEqual([...v.mountsBelow('/data')], [['sub', nested]]);
});

test('links resolve as in the container, into and out of mounts, never above the root', async () => {
  const v = view();
  assert.deepEqual(await resolveInView(v, '/tovol/x', { followFinal: true }), { inside: '/data/x', host: join(vol, 'x') });
  assert.deepEqual(await resolveInView(v, '/data/toroot/etc/passwd', { followFinal: true }), { inside: '/etc/passwd', host: join(root, 'etc/passwd') });
  assert.deepEqual(await resolveInView(v, '/data/up/etc', { followFinal: true }), { inside: '/etc', host: join(root, 'etc') });
  assert.deepEqual(await resolveInView(v, '/data/etc-up/passwd', { followFinal: true }), { inside: '/etc/passwd', host: join(root, 'etc/passwd') });
  assert.deepEqual(await resolveInView(v, '/data/toroot', { followFinal: false }), { inside: '/data/toroot', host: join(vol, 'toroot') });
  // A missing component does not end the walk: a mount (with links) may lie below it.
  assert.deepEqual(await resolveInView(v, '/absent/deep/toroot/etc', { followFinal: true }), { inside: '/etc', host: join(root, 'etc') });
  assert.deepEqual(await resolveInView(v, '/absent/deep/sub', { followFinal: true }), { inside: '/absent/deep/sub', host: join(vol, 'sub') });
});

test('an unreachable mount: its mount point is the directory below, what is in it is refused', async () => {
  const v = view();
  assert.equal(v.hostPath('/run'), join(root, 'run'));
  assert.throws(() => v.hostPath('/run/x'), ConflictError);
  await assert.rejects(resolveInView(v, '/run/x', { followFinal: true }), /tmpfs mount/);
  assert.throws(() => v.checkWritable('/run'), /tmpfs mount/);
  assert.equal(v.mountsBelow('/').has('run'), false);
});

test('writes: read-only mounts and a read-only rootfs refuse with Docker\'s errors', () => {
  const v = view();
  v.checkWritable('/data/x');
  v.checkWritable('/etc');
  assert.throws(() => v.checkWritable('/data/sub/y'), ReadonlyMountError);
  assert.throws(() => v.writableMountPoint('/data/sub'), /mounted volume is marked read-only/);
  assert.equal(v.writableMountPoint('/data'), vol);
  assert.equal(v.writableMountPoint('/data/x'), undefined);
  const ro = view(true);
  assert.throws(() => ro.checkWritable('/etc'), ReadonlyRootfsError);
  ro.checkWritable('/data/x');
});
