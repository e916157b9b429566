/**
 * src/sys/mount.ts for real: the system-call path (overlay, binds, propagation, stacked
 * unmounts) and the option split it shares with mount(8).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libc, MS } from '../../src/sys/libc.js';
import { isMountPoint, listMountPoints, mount, parseMountOptions, unmount, unmountAll } from '../../src/sys/mount.js';

describe('mount options', () => {
  it('splits flags, filesystem data and propagation as mount(8) does', () => {
    const p = parseMountOptions(['ro', 'nosuid', 'nodev', 'lowerdir=/a:/b', 'userxattr', 'rprivate', 'rw']);
    assert.equal(p.flags, MS.NOSUID | MS.NODEV);
    assert.deepEqual(p.data, ['lowerdir=/a:/b', 'userxattr']);
    assert.deepEqual(p.propagation, [MS.PRIVATE | MS.REC]);
  });
});

describe('mounting by system call', () => {
  let dir: string;
  before(async () => {
    assert.ok(libc(), 'koffi loads libc on this host');
    dir = await mkdtemp(join(tmpdir(), 'berth-mount-'));
  });
  after(async () => {
    for (const m of (await listMountPoints()).filter((p) => p.startsWith(dir)).reverse()) await unmount(m, { lazy: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts an overlay whose writes land in the upper directory, and unmounts it', async () => {
    const [lower, upper, work, target] = ['lower', 'upper', 'work', 'merged'].map((n) => join(dir, n)) as [string, string, string, string];
    await Promise.all([lower, upper, work, target].map((d) => mkdir(d)));
    await writeFile(join(lower, 'from-lower'), 'L');
    await mount('overlay', 'overlay', target, [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`, 'nodev']);
    assert.ok(await isMountPoint(target));
    assert.equal(await readFile(join(target, 'from-lower'), 'utf8'), 'L');
    await writeFile(join(target, 'new'), 'N');
    assert.equal(await readFile(join(upper, 'new'), 'utf8'), 'N');
    await unmountAll(target);
    assert.equal(await isMountPoint(target), false);
  });

  it('reports a bad mount with the call and errno, and mounts nothing', async () => {
    const target = join(dir, 'bad');
    await mkdir(target);
    await assert.rejects(mount('overlay', 'overlay', target, [`lowerdir=${join(dir, 'missing')}`]), /mount -t overlay overlay .*bad: .*\(ENOENT\)/);
    assert.equal(await isMountPoint(target), false);
  });

  it('binds with propagation, and unmountAll takes off every stacked mount', async () => {
    const [src, target] = [join(dir, 'src'), join(dir, 'bound')];
    await Promise.all([mkdir(src), mkdir(target)]);
    await writeFile(join(src, 'f'), 'x');
    await mount('bind', src, target, ['rbind', 'rprivate']);
    await mount('tmpfs', 'tmpfs', target, ['size=1m', 'mode=755']);
    const info = await readFile('/proc/self/mountinfo', 'utf8');
    assert.equal(info.split('\n').filter((l) => l.split(' ')[4] === target).length, 2);
    await unmountAll(target);
    assert.equal(await isMountPoint(target), false);
    await unmountAll(target); // nothing mounted: not an error
    await unmountAll(join(dir, 'no-such-dir'));
  });

  it('a read-only bind goes through mount(8), which remounts it read-only', async () => {
    const [src, target] = [join(dir, 'ro-src'), join(dir, 'ro')];
    await Promise.all([mkdir(src), mkdir(target)]);
    await mount('bind', src, target, ['ro']);
    await assert.rejects(writeFile(join(target, 'f'), 'x'), /EROFS/);
    await unmountAll(target);
  });
});
