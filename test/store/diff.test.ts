/**
 * A container's changes, made through a real overlay mount, read back from the upper dir as a
 * layer: applying that layer over the same base must give the merged tree again.
 */
import assert from 'node:assert/strict';
import { chmod, chown, link, mkdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar-stream';
import { ChangeKind, changes, diffUpperDir } from '../../src/store/layers/diff.js';
import { unpackLayer } from '../../src/store/layers/unpack.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { LayerApplier } from '../../src/store/snapshots/apply-layer.js';
import { OverlaySnapshotter } from '../../src/store/snapshots/overlay.js';
import { mountRootfs, unmountRootfs } from '../../src/store/snapshots/rootfs.js';
import type { Digest } from '../../src/util/digest.js';
import { Scratch, collect, describeTree, makeTar, streamOf, type TarEntry } from './helpers.js';

const BASE: TarEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0\n' },
  { name: 'etc/hosts', content: '127.0.0.1 localhost\n' },
  { name: 'var/', type: 'directory' },
  { name: 'var/log/', type: 'directory' },
  { name: 'var/log/old', content: 'log', mode: 0o644 },
  { name: 'dir/', type: 'directory' },
  { name: 'dir/a', content: 'a' },
  { name: 'dir/b', content: 'b' },
  { name: 'keep', content: 'unchanged' },
];

const scratch = new Scratch();
let db: DB;
let snapshotter: OverlaySnapshotter;
let applier: LayerApplier;
let baseChain: Digest;
let baseTar: Buffer;
let mergedTree: string[];
let upper: string;

before(async () => {
  const root = await scratch.dir();
  db = openDatabase(join(root, 'meta.db'));
  snapshotter = new OverlaySnapshotter({ db, root });
  applier = new LayerApplier(snapshotter);
  baseTar = await makeTar(BASE);
  baseChain = (await applier.applyLayer({ stream: streamOf(baseTar) })).chainId;

  const merged = join(root, 'merged');
  await mkdir(merged);
  await snapshotter.prepare('c1', baseChain);
  scratch.mounted(merged);
  await mountRootfs(snapshotter.mounts('c1'), merged);
  // What a container might do.
  await writeFile(join(merged, 'etc/passwd'), 'root:x:0:0\nuser:x:1000:1000\n');
  await unlink(join(merged, 'etc/hosts'));
  await writeFile(join(merged, 'newfile'), 'new');
  await rm(join(merged, 'dir'), { recursive: true });
  await mkdir(join(merged, 'dir'));
  await writeFile(join(merged, 'dir/c'), 'c');
  await writeFile(join(merged, 'h1'), 'linked');
  await link(join(merged, 'h1'), join(merged, 'h2'));
  await chown(join(merged, 'var/log/old'), 33, 33);
  await chmod(join(merged, 'var/log/old'), 0o600);
  await symlink('/etc/passwd', join(merged, 'newlink'));
  mergedTree = await describeTree(merged);
  await unmountRootfs(merged);
  upper = snapshotter.upperDir('c1');
});

after(async () => {
  await scratch.cleanup();
  db?.close();
});

describe('diff of an upper dir', () => {
  it('is recorded by overlay as an opaque dir and whiteouts', async () => {
    const tarBytes = await collect(diffUpperDir(upper));
    const names: string[] = [];
    const extract = tar.extract();
    const reading = (async () => {
      for await (const e of extract) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    extract.end(tarBytes);
    await reading;
    assert.ok(names.includes('etc/.wh.hosts'), names.join(' '));
    assert.ok(names.includes('dir/.wh..wh..opq'), names.join(' '));
    // A directory comes first, then its opaque marker, then its content.
    const at = (n: string) => names.indexOf(n);
    assert.ok(at('dir/') < at('dir/.wh..wh..opq') && at('dir/.wh..wh..opq') < at('dir/c'), names.join(' '));
  });

  it('round-trips onto a plain copy of the base', async () => {
    const target = await scratch.dir();
    await unpackLayer(streamOf(baseTar), { target, mode: 'plain' });
    await unpackLayer(diffUpperDir(upper), { target, mode: 'plain' });
    assert.deepEqual(await describeTree(target), mergedTree);
  });

  it('round-trips as a new overlay snapshot', async () => {
    const applied = await applier.applyLayer({ stream: diffUpperDir(upper), parentChainId: baseChain });
    const mnt = await scratch.dir();
    await snapshotter.view('check', applied.chainId);
    scratch.mounted(mnt);
    await mountRootfs(snapshotter.mounts('check'), mnt);
    assert.deepEqual(await describeTree(mnt), mergedTree);
    const lines = await describeTree(mnt);
    assert.ok(lines.some((l) => l.startsWith('h1 ') && l.includes('link-group=h1')));
    assert.ok(lines.some((l) => l.startsWith('h2 ') && l.includes('link-group=h1')));
    await unmountRootfs(mnt);
  });

  it('is deterministic and honours SOURCE_DATE_EPOCH', async () => {
    const a = await collect(diffUpperDir(upper, { sourceDateEpoch: 1000 }));
    const b = await collect(diffUpperDir(upper, { sourceDateEpoch: 1000 }));
    assert.ok(a.equals(b));
    const extract = tar.extract();
    const mtimes: number[] = [];
    const reading = (async () => {
      for await (const e of extract) {
        mtimes.push(e.header.mtime.getTime());
        e.resume();
      }
    })();
    extract.end(a);
    await reading;
    assert.ok(mtimes.length > 5);
    assert.ok(mtimes.every((m) => m <= 1_000_000), `mtimes ${mtimes.join(',')}`);
  });

  it('lists Docker-style changes', async () => {
    const list = await changes(upper, snapshotter.lowerDirs('c1'));
    const { Modified: C, Added: A, Deleted: D } = ChangeKind;
    assert.deepEqual(list, [
      { Path: '/dir', Kind: C },
      { Path: '/dir/c', Kind: A },
      { Path: '/etc', Kind: C },
      { Path: '/etc/hosts', Kind: D },
      { Path: '/etc/passwd', Kind: C },
      { Path: '/h1', Kind: A },
      { Path: '/h2', Kind: A },
      { Path: '/newfile', Kind: A },
      { Path: '/newlink', Kind: A },
      { Path: '/var', Kind: C },
      { Path: '/var/log', Kind: C },
      { Path: '/var/log/old', Kind: C },
    ]);
  });
});
