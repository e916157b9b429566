/** The overlay snapshotter's lifecycle rules, layer application per chain ID and crash cleanup. */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { openDatabase, type DB } from '../../src/store/db.js';
import { LayerApplier } from '../../src/store/snapshots/apply-layer.js';
import { chainId, chainIds } from '../../src/store/snapshots/chain-id.js';
import { EXTRACT_LABEL, NEXT_DIR_ID_SQL, OverlaySnapshotter } from '../../src/store/snapshots/overlay.js';
import { compactOverlayOptions, mountRootfs, unmountRootfs } from '../../src/store/snapshots/rootfs.js';
import { sha256 } from '../../src/util/digest.js';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../src/util/errors.js';
import { Scratch, makeTar, streamOf } from './helpers.js';

const scratch = new Scratch();
const dbs: DB[] = [];
after(async () => {
  for (const db of dbs) db.close();
  await scratch.cleanup();
});

let root: string;
let db: DB;
let sn: OverlaySnapshotter;
beforeEach(async () => {
  root = await scratch.dir();
  db = openDatabase(join(root, 'meta.db'));
  dbs.push(db);
  sn = new OverlaySnapshotter({ db, root });
});

describe('snapshot lifecycle', () => {
  it('prepare, commit, then prepare and view on top', async () => {
    const m0 = await sn.prepare('k0', undefined, { labels: { a: 'b' } });
    assert.deepEqual(m0, [{ type: 'bind', source: sn.upperDir('k0'), options: ['rw', 'rbind'] }]);
    assert.equal(sn.stat('k0')?.kind, 'active');
    await writeFile(join(sn.upperDir('k0'), 'f'), '12345');
    await sn.commit('base', 'k0');
    assert.equal(sn.stat('k0'), undefined, 'the key is gone after commit');
    const base = sn.stat('base');
    assert.equal(base?.kind, 'committed');
    assert.equal(base?.size, 5);
    assert.deepEqual(base?.labels, { a: 'b' });

    const m1 = await sn.prepare('k1', 'base');
    assert.equal(m1[0]!.type, 'overlay');
    assert.deepEqual(sn.lowerDirs('k1'), [sn.upperDir('base')]);
    assert.ok(m1[0]!.options.includes(`lowerdir=${sn.upperDir('base')}`));
    assert.ok(m1[0]!.options.includes(`upperdir=${sn.upperDir('k1')}`));

    const v = await sn.view('v1', 'base');
    assert.deepEqual(v, [{ type: 'bind', source: sn.upperDir('base'), options: ['ro', 'rbind'] }]);
    assert.deepEqual(sn.list().map((s) => [s.key, s.kind, s.parent]), [
      ['base', 'committed', undefined],
      ['k1', 'active', 'base'],
      ['v1', 'view', 'base'],
    ]);
    assert.deepEqual(await sn.usage('base'), { size: 5, inodes: 1 });
  });

  it('replaces a directory a crash left where the next snapshot goes', async () => {
    await sn.prepare('k0', undefined);
    // Snapshot directories are numbered; a crash after a row's deletion leaves the next one behind.
    const next = join(sn.upperDir('k0'), '..', '..', '2');
    await mkdir(join(next, 'fs', 'etc'), { recursive: true });
    await writeFile(join(next, 'fs', 'etc', 'stale'), 'from before the crash');
    await sn.prepare('k1', undefined);
    assert.equal(join(sn.upperDir('k1'), '..'), next);
    assert.deepEqual(await readdir(sn.upperDir('k1')), [], 'the new snapshot starts empty');
  });

  it('numbers a new directory from an index, without reading every snapshot', () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${NEXT_DIR_ID_SQL}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');
    assert.match(plan, /USING (COVERING )?INDEX snapshots_dir_number/);
  });

  it('refuses what containerd refuses', async () => {
    await sn.prepare('k0');
    await assert.rejects(sn.prepare('k0'), ConflictError);
    await assert.rejects(sn.prepare('k1', 'k0'), InvalidParameterError, 'an active snapshot is no parent');
    await assert.rejects(sn.prepare('k2', 'missing'), NotFoundError);
    await sn.commit('c0', 'k0');
    await assert.rejects(sn.commit('c1', 'c0'), InvalidParameterError, 'a committed snapshot cannot be committed again');
    await sn.prepare('k3', 'c0');
    await assert.rejects(sn.commit('c0', 'k3'), ConflictError, 'names are unique');
    await assert.rejects(sn.remove('c0'), ConflictError, 'a parent with children stays');
    assert.throws(() => sn.mounts('c0'), InvalidParameterError);
    await sn.remove('k3');
    await sn.remove('c0');
    assert.deepEqual(sn.list(), []);
    assert.deepEqual(await readdir(sn.snapshotsDir), []);
    await assert.rejects(sn.remove('c0'), NotFoundError);
  });
});

describe('applyLayer', () => {
  const layer = () => makeTar([{ name: 'bin/', type: 'directory' }, { name: 'bin/sh', content: 'sh', mode: 0o755 }]);

  it('computes chain IDs per the image spec', () => {
    const [a, b] = [sha256('a'), sha256('b')];
    assert.equal(chainId(undefined, a), a);
    assert.equal(chainId(a, b), sha256(`${a} ${b}`));
    assert.deepEqual(chainIds([a, b]), [a, sha256(`${a} ${b}`)]);
  });

  it('unpacks once per chain ID, also when applied concurrently', async () => {
    const applier = new LayerApplier(sn);
    const tarBytes = await layer();
    const diffId = sha256(tarBytes);
    const results = await Promise.all([1, 2, 3].map(() => applier.applyLayer({ stream: streamOf(tarBytes), diffId })));
    assert.deepEqual(results.map((r) => r.unpacked).sort(), [false, false, true]);
    assert.ok(results.every((r) => r.chainId === diffId));
    assert.deepEqual(sn.list().map((s) => s.key), [diffId]);

    // Known already: not a byte of the stream is read.
    let reads = 0;
    const untouched = new Readable({ read() { reads++; this.push(tarBytes); this.push(null); } });
    const again = await applier.applyLayer({ stream: untouched, diffId });
    assert.equal(again.unpacked, false);
    assert.equal(reads, 0);

    // Without a diff ID the layer is read, and the duplicate extraction is dropped.
    const blind = await applier.applyLayer({ stream: streamOf(tarBytes) });
    assert.deepEqual([blind.chainId, blind.unpacked], [diffId, false]);
    assert.equal(sn.list().length, 1);
    assert.equal((await readdir(sn.snapshotsDir)).length, 1);
  });

  it('checks the content against the promised diff ID', async () => {
    const applier = new LayerApplier(sn);
    await assert.rejects(applier.applyLayer({ stream: streamOf(await layer()), diffId: sha256('other') }), /diff ID/);
    assert.deepEqual(sn.list(), []);
  });

  it('holds the snapshot with a lease', async () => {
    db.prepare('INSERT INTO leases (id, expires_at) VALUES (?, ?)').run('pull-1', Date.now() + 60_000);
    const applied = await new LayerApplier(sn).applyLayer({ stream: streamOf(await layer()), lease: 'pull-1' });
    assert.deepEqual(db.prepare('SELECT kind, ref FROM lease_resources WHERE lease_id = ?').all('pull-1'), [{ kind: 'snapshot', ref: applied.chainId }]);
  });

  it('leaves nothing after a failed unpack', async () => {
    const bad = Buffer.concat([await makeTar([{ name: 'x', content: 'x' }]).then((b) => b.subarray(0, 600))]);
    await assert.rejects(new LayerApplier(sn).applyLayer({ stream: streamOf(bad) }));
    assert.deepEqual(sn.list(), []);
    assert.deepEqual(await readdir(sn.snapshotsDir), []);
  });

  it('cleanup() removes a half-done extraction and orphan directories', async () => {
    const applier = new LayerApplier(sn);
    const done = await applier.applyLayer({ stream: streamOf(await layer()) });
    // What a crash mid-unpack leaves behind: an active extraction with some files in it...
    await sn.prepare('extract-crashed', done.chainId, { labels: { [EXTRACT_LABEL]: '' } });
    await writeFile(join(sn.upperDir('extract-crashed'), 'partial'), 'half');
    // ...and a directory whose row was already deleted.
    await mkdir(join(sn.snapshotsDir, '99', 'fs'), { recursive: true });
    await sn.prepare('container', done.chainId);

    // A new process opens the same state.
    const reopened = new OverlaySnapshotter({ db, root });
    assert.deepEqual(await reopened.cleanup(), ['extract-crashed']);
    assert.deepEqual(reopened.list().map((s) => s.key).sort(), ['container', done.chainId].sort());
    assert.equal((await readdir(reopened.snapshotsDir)).length, 2);
  });
});

describe('overlay mount options', () => {
  it('mount a deep chain whose absolute paths exceed a page', async () => {
    // A long state directory makes 20 absolute lowerdirs longer than overlay accepts.
    const longRoot = join(root, 'x'.repeat(200));
    await mkdir(longRoot);
    const deep = new OverlaySnapshotter({ db, root: longRoot });
    let parent: string | undefined;
    for (let i = 0; i < 20; i++) {
      await deep.prepare(`k${i}`, parent);
      await writeFile(join(deep.upperDir(`k${i}`), `f${i}`), String(i));
      await deep.commit(`c${i}`, `k${i}`);
      parent = `c${i}`;
    }
    const mounts = await deep.prepare('top', parent);
    assert.ok(mounts[0]!.options.join(',').length > 4096);
    const target = join(root, 'mnt');
    await mkdir(target);
    scratch.mounted(target);
    await mountRootfs(mounts, target);
    assert.equal((await readdir(target)).length, 20);
    await writeFile(join(target, 'new'), 'n');
    await unmountRootfs(target);
    assert.deepEqual(await readdir(deep.upperDir('top')), ['new']);
  });

  it('fall back to paths relative to the snapshots dir when too long', () => {
    const lowers = Array.from({ length: 200 }, (_, i) => `/var/lib/berth/snapshots/${i + 10}/fs`);
    const long = ['workdir=/var/lib/berth/snapshots/9/work', 'upperdir=/var/lib/berth/snapshots/9/fs', `lowerdir=${lowers.join(':')}`];
    const { options, cwd } = compactOverlayOptions(long);
    assert.equal(cwd, '/var/lib/berth/snapshots');
    assert.equal(options[0], 'workdir=9/work');
    assert.ok(options[2]!.startsWith('lowerdir=10/fs:11/fs:'));
    assert.ok(options.join(',').length < 4000);
    assert.deepEqual(compactOverlayOptions(['lowerdir=/a:/b']), { options: ['lowerdir=/a:/b'] });
  });
});
