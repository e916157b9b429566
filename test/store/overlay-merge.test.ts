/**
 * Two layers unpacked into overlay snapshots and mounted for real: the merged tree must be what
 * applying the same layers to one plain directory gives, down to whiteouts, opaque directories,
 * hard links, devices, ownership, modes and xattrs.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getXattr } from '../../src/store/layers/xattr.js';
import { unpackLayer } from '../../src/store/layers/unpack.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { LayerApplier } from '../../src/store/snapshots/apply-layer.js';
import { chainId } from '../../src/store/snapshots/chain-id.js';
import { OverlaySnapshotter } from '../../src/store/snapshots/overlay.js';
import { mountRootfs } from '../../src/store/snapshots/rootfs.js';
import { sha256, type Digest } from '../../src/util/digest.js';
import { Scratch, describeTree, makeTar, streamOf, type TarEntry } from './helpers.js';

const L0: TarEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { name: 'del/', type: 'directory' },
  { name: 'del/gone', content: 'bye' },
  { name: 'del/stays', content: 'hi' },
  { name: 'deldir/', type: 'directory' },
  { name: 'deldir/a', content: 'a' },
  { name: 'deldir/sub/', type: 'directory' },
  { name: 'deldir/sub/b', content: 'b' },
  { name: 'opq/', type: 'directory' },
  { name: 'opq/old1', content: 'old' },
  { name: 'opq/sub/', type: 'directory' },
  { name: 'opq/sub/old2', content: 'old' },
  { name: 'shared/', type: 'directory' },
  { name: 'shared/orig', content: 'original', mode: 0o640, uid: 7, gid: 8 },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
  { name: 'usr/', type: 'directory' },
  { name: 'usr/lib/', type: 'directory' },
  { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
];

const L1: TarEntry[] = [
  { name: 'del/.wh.gone', content: '' },
  { name: '.wh.deldir', content: '' },
  { name: 'opq/', type: 'directory', mode: 0o750 },
  { name: 'opq/.wh..wh..opq', content: '' },
  { name: 'opq/new', content: 'new' },
  { name: 'bin/', type: 'directory' },
  { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755 },
  { name: 'bin/tool2', type: 'link', linkname: 'bin/tool' },
  { name: 'shared/copy', type: 'link', linkname: 'shared/orig' },
  { name: 'dev/', type: 'directory' },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/fifo', type: 'fifo', mode: 0o600 },
  { name: 'home/', type: 'directory' },
  { name: 'home/user/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
  { name: 'home/user/file', content: 'mine', uid: 1000, gid: 1000, mode: 0o600 },
  { name: 'sticky/', type: 'directory', mode: 0o1777 },
  { name: 'xattr', content: 'x', xattrs: { 'user.test': 'hello', 'trusted.overlay.opaque': 'y' } },
  { name: 'tmp/newfile', content: 'in tmp' },
  { name: 'usr/lib/libc.so', content: 'elf' },
  { name: 'sl', type: 'symlink', linkname: '/nonexistent' },
];

const scratch = new Scratch();
let db: DB;
let snapshotter: OverlaySnapshotter;
let merged: string;
let top: string;
let bottom: Digest;

before(async () => {
  const root = await scratch.dir();
  db = openDatabase(join(root, 'meta.db'));
  snapshotter = new OverlaySnapshotter({ db, root });
  const applier = new LayerApplier(snapshotter);
  const l0 = await makeTar(L0);
  const l1 = await makeTar(L1);
  const a0 = await applier.applyLayer({ stream: streamOf(l0) });
  const a1 = await applier.applyLayer({ stream: streamOf(l1), parentChainId: a0.chainId });
  assert.equal(a0.diffId, sha256(l0));
  assert.equal(a1.diffId, sha256(l1));
  assert.equal(a1.chainId, chainId(a0.chainId, a1.diffId));
  top = a1.chainId;
  bottom = a0.chainId;
  merged = join(root, 'merged');
  await mkdir(merged);
  await snapshotter.prepare('container', top);
  scratch.mounted(merged);
  await mountRootfs(snapshotter.mounts('container'), merged);
});

after(async () => {
  await scratch.cleanup();
  db?.close();
});

describe('overlay snapshots of a layer with whiteouts, links, devices and owners', () => {
  it('deletes whited-out files and directories', async () => {
    assert.deepEqual(await readdir(join(merged, 'del')), ['stays']);
    await assert.rejects(lstat(join(merged, 'deldir')), { code: 'ENOENT' });
  });

  it('shows only the new content of an opaque directory', async () => {
    assert.deepEqual(await readdir(join(merged, 'opq')), ['new']);
    assert.equal((await lstat(join(merged, 'opq'))).mode & 0o7777, 0o750);
  });

  it('keeps hard links within the layer and to a lower file as one inode', async () => {
    const [t1, t2] = [await lstat(join(merged, 'bin/tool')), await lstat(join(merged, 'bin/tool2'))];
    assert.equal(t1.ino, t2.ino);
    assert.equal(t1.mode & 0o7777, 0o4755);
    const [o, c] = [await lstat(join(merged, 'shared/orig')), await lstat(join(merged, 'shared/copy'))];
    assert.equal(o.ino, c.ino);
    assert.equal(o.nlink, 2);
    assert.deepEqual([o.uid, o.gid, o.mode & 0o7777], [7, 8, 0o640]);
    assert.equal(await readFile(join(merged, 'shared/copy'), 'utf8'), 'original');
  });

  it('creates devices and fifos', async () => {
    const dev = await lstat(join(merged, 'dev/null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, (1 << 8) | 3);
    assert.equal(dev.mode & 0o7777, 0o666);
    assert.ok((await lstat(join(merged, 'dev/fifo'))).isFIFO());
  });

  it('keeps ownership, sticky bits and the attributes of implicit parents', async () => {
    const home = await lstat(join(merged, 'home/user'));
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o700]);
    assert.equal((await lstat(join(merged, 'sticky'))).mode & 0o7777, 0o1777);
    // tmp/ is not in the second layer: its upper copy must keep the lower's 1777.
    assert.equal((await lstat(join(merged, 'tmp'))).mode & 0o7777, 0o1777);
    assert.deepEqual((await readdir(join(merged, 'tmp'))).sort(), ['newfile']);
  });

  it('sets xattrs but never trusted.overlay.* from the tar', async () => {
    assert.equal(getXattr(join(merged, 'xattr'), 'user.test')?.toString(), 'hello');
    const upperFile = join(snapshotter.lowerDirs('container')[0]!, 'xattr');
    assert.equal(getXattr(upperFile, 'trusted.overlay.opaque'), undefined);
  });

  it('stores symlinks and resolves them only when the container reads', async () => {
    assert.equal(await readFile(join(merged, 'lib/libc.so'), 'utf8'), 'elf');
    assert.equal((await lstat(join(merged, 'sl'))).isSymbolicLink(), true);
  });

  it('refuses a layer that writes through a symlink of a lower layer', async () => {
    const applier = new LayerApplier(snapshotter);
    const evil = await makeTar([{ name: 'lib/evil', content: 'x' }]);
    await assert.rejects(applier.applyLayer({ stream: streamOf(evil), parentChainId: bottom }), /through the symlink "lib"/);
    assert.equal(snapshotter.list().filter((s) => s.kind === 'active' && s.key.startsWith('extract-')).length, 0);
  });

  it('matches applying both layers to one plain directory', async () => {
    const plain = await scratch.dir();
    await unpackLayer(streamOf(await makeTar(L0)), { target: plain, mode: 'plain' });
    await unpackLayer(streamOf(await makeTar(L1)), { target: plain, mode: 'plain' });
    assert.deepEqual(await describeTree(merged), await describeTree(plain));
  });

  it('mounts a read-only view of a two-layer chain', async () => {
    const target = join(merged, '..', 'view');
    await mkdir(target);
    scratch.mounted(target);
    const mounts = await snapshotter.view('view', top);
    assert.equal(mounts[0]!.type, 'overlay');
    await mountRootfs(mounts, target);
    assert.deepEqual(await describeTree(target), await describeTree(merged));
  });
});
