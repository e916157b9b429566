import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { populateInitLayer } from './init-layer.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-init-layer-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const mode = async (p: string) => (await lstat(p)).mode & 0o7777;

test('an empty root gets every mount point, /.dockerenv and /etc/mtab, all 0755', async () => {
  const root = join(dir, 'empty');
  await mkdir(root);
  const umask = process.umask(0o077);
  try {
    await populateInitLayer(root);
  } finally {
    process.umask(umask);
  }
  for (const d of ['dev', 'dev/pts', 'dev/shm', 'proc', 'sys', 'etc']) {
    assert.ok((await lstat(join(root, d))).isDirectory(), d);
    assert.equal(await mode(join(root, d)), 0o755, d);
  }
  for (const f of ['.dockerenv', 'etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'dev/console']) {
    const st = await lstat(join(root, f));
    assert.ok(st.isFile() && st.size === 0, f);
    assert.equal(await mode(join(root, f)), 0o755, f);
  }
  assert.equal(await readlink(join(root, 'etc/mtab')), '/proc/mounts');
});

test("the image's own files on those paths are replaced, its directories kept", async () => {
  const root = join(dir, 'image');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'proc'), { mode: 0o555 });
  await chmod(join(root, 'proc'), 0o555);
  await writeFile(join(root, 'etc/hosts'), '10.0.0.1 image-host\n', { mode: 0o600 });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await symlink('/elsewhere', join(root, 'etc/mtab'));
  await symlink('/nowhere', join(root, '.dockerenv'));
  await mkdir(join(root, 'etc/hostname'));

  await populateInitLayer(root);
  assert.equal(await readFile(join(root, 'etc/hosts'), 'utf8'), '');
  assert.equal(await mode(join(root, 'etc/hosts')), 0o755);
  assert.equal(await readlink(join(root, 'etc/mtab')), '/proc/mounts');
  assert.ok((await lstat(join(root, '.dockerenv'))).isFile());
  assert.equal(await mode(join(root, 'proc')), 0o555, 'a directory of the image is kept as it is');
  assert.ok((await lstat(join(root, 'etc/hostname'))).isDirectory(), 'as Docker: a directory is not unlinked');
  assert.equal(await readFile(join(root, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n', 'other files untouched');
});
