/** docker cp through a container's volumes, bind mounts and tmpfs mounts, with the docker CLI. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, docker, dockerOk } from './helpers.js';

let d: TestDaemon;
let work: string;
let bind: string;
let roBind: string;
before(async () => {
  d = await containerDaemon();
  work = join(d.root, 'work');
  bind = join(d.root, 'bind');
  roBind = join(d.root, 'ro-bind');
  for (const dir of [work, bind, roBind]) await mkdir(dir);
  await writeFile(join(work, 'f'), 'from the host\n');
  await dockerOk(d, [
    'run', '-d', '--name', 'mc',
    '-v', 'cpdata:/data',
    '-v', 'nested:/srv/tree/vol',
    '-v', `${bind}:/bind`,
    '-v', `${roBind}:/robind:ro`,
    '--tmpfs', '/scratch',
    'busybox', 'sleep', '1000',
  ]);
});
after(() => d?.stop()); // removes every container first

async function volumeDir(name: string): Promise<string> {
  return (await dockerOk(d, ['volume', 'inspect', '-f', '{{.Mountpoint}}', name])).trim();
}

test('docker cp into and out of a named volume goes to the volume, not the rootfs below it', async () => {
  await dockerOk(d, ['cp', join(work, 'f'), 'mc:/data/']);
  assert.equal(await dockerOk(d, ['exec', 'mc', 'cat', '/data/f']), 'from the host\n');
  assert.equal(await readFile(join(await volumeDir('cpdata'), 'f'), 'utf8'), 'from the host\n');

  await dockerOk(d, ['exec', 'mc', 'sh', '-c', 'mkdir -p /data/dir && echo out > /data/dir/o']);
  await dockerOk(d, ['cp', 'mc:/data/dir', join(work, 'dir-back')]);
  assert.equal(await readFile(join(work, 'dir-back/o'), 'utf8'), 'out\n');
  await dockerOk(d, ['cp', 'mc:/data/dir/o', join(work, 'o-back')]);
  assert.equal(await readFile(join(work, 'o-back'), 'utf8'), 'out\n');
});

test('docker cp into and out of a bind mount reaches the host directory', async () => {
  await dockerOk(d, ['cp', join(work, 'f'), 'mc:/bind/renamed']);
  assert.equal(await readFile(join(bind, 'renamed'), 'utf8'), 'from the host\n');
  await dockerOk(d, ['exec', 'mc', 'sh', '-c', 'echo written inside > /bind/inside']);
  await dockerOk(d, ['cp', 'mc:/bind/inside', join(work, 'inside')]);
  assert.equal(await readFile(join(work, 'inside'), 'utf8'), 'written inside\n');
});

test('a read-only bind mount refuses the copy with Docker\'s error, and reads still work', async () => {
  await writeFile(join(roBind, 'present'), 'ro content\n');
  const r = await docker(d, ['cp', join(work, 'f'), 'mc:/robind/']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /mounted volume is marked read-only/);
  assert.equal(existsSync(join(roBind, 'f')), false);
  await dockerOk(d, ['cp', 'mc:/robind/present', join(work, 'present')]);
  assert.equal(await readFile(join(work, 'present'), 'utf8'), 'ro content\n');
});

test('a running container\'s tmpfs is reached through its mount namespace', async () => {
  await dockerOk(d, ['cp', join(work, 'f'), 'mc:/scratch/']);
  assert.equal(await dockerOk(d, ['exec', 'mc', 'cat', '/scratch/f']), 'from the host\n');
  await dockerOk(d, ['exec', 'mc', 'sh', '-c', 'echo in tmpfs > /scratch/t']);
  await dockerOk(d, ['cp', 'mc:/scratch/t', join(work, 't')]);
  assert.equal(await readFile(join(work, 't'), 'utf8'), 'in tmpfs\n');
});

test('symlinks resolve as in the container: from the rootfs into a volume and out of a volume, never to the host', async () => {
  const marker = `berth-cp-mount-escape-${process.pid}-${Date.now()}`;
  await writeFile(join(work, marker), 'escape\n');
  await dockerOk(d, ['exec', 'mc', 'sh', '-c', 'ln -s /data /tmp/tovol && ln -s / /data/toroot && ln -s ../../../.. /data/updir && ln -s ../etc /data/etc-up']);
  // rootfs link -> volume
  await dockerOk(d, ['cp', join(work, 'f'), 'mc:/tmp/tovol/via-link']);
  assert.equal(await readFile(join(await volumeDir('cpdata'), 'via-link'), 'utf8'), 'from the host\n');
  // volume links -> the container's root, never the host's (nor the volume's host directory's parents)
  await dockerOk(d, ['cp', join(work, marker), 'mc:/data/toroot/']);
  await dockerOk(d, ['cp', join(work, marker), `mc:/data/updir/${marker}.2`]);
  for (const name of [marker, `${marker}.2`]) {
    assert.equal(existsSync(join('/', name)), false, `${name} was written on the host`);
    assert.equal(await dockerOk(d, ['exec', 'mc', 'cat', `/${name}`]), 'escape\n');
  }
  // `..` at the top of a mount is the mount point's parent in the container
  await dockerOk(d, ['cp', join(work, 'f'), 'mc:/data/etc-up/from-volume-link']);
  assert.equal(await dockerOk(d, ['exec', 'mc', 'cat', '/etc/from-volume-link']), 'from the host\n');
  await dockerOk(d, ['cp', 'mc:/data/etc-up/passwd', join(work, 'passwd')]);
  assert.match(await readFile(join(work, 'passwd'), 'utf8'), /^root:/);
});

test('a tree copied over a directory holding a mount point fills the mount; archiving it includes the mount', async () => {
  await mkdir(join(work, 'tree/vol'), { recursive: true });
  await writeFile(join(work, 'tree/top'), 'top\n');
  await writeFile(join(work, 'tree/vol/deep'), 'deep\n');
  await dockerOk(d, ['cp', `${join(work, 'tree')}/.`, 'mc:/srv/tree/']);
  assert.equal(await readFile(join(await volumeDir('nested'), 'deep'), 'utf8'), 'deep\n');
  assert.equal(await dockerOk(d, ['exec', 'mc', 'cat', '/srv/tree/top', '/srv/tree/vol/deep']), 'top\ndeep\n');

  await dockerOk(d, ['exec', 'mc', 'sh', '-c', 'echo made inside > /srv/tree/vol/inside']);
  await dockerOk(d, ['cp', 'mc:/srv/tree', join(work, 'tree-back')]);
  assert.equal(await readFile(join(work, 'tree-back/top'), 'utf8'), 'top\n');
  assert.equal(await readFile(join(work, 'tree-back/vol/inside'), 'utf8'), 'made inside\n');
});

test('the network files come from the container\'s directory', async () => {
  await dockerOk(d, ['cp', 'mc:/etc/hostname', join(work, 'hostname')]);
  const id = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'mc'])).trim();
  assert.equal((await readFile(join(work, 'hostname'), 'utf8')).trim(), id.slice(0, 12));
});

test('a stopped container: its volume is reached, its tmpfs is refused (it has no content)', async () => {
  await dockerOk(d, ['create', '--name', 'cold', '-v', 'colddata:/data', '--tmpfs', '/scratch', 'busybox', 'cat', '/data/put']);
  await writeFile(join(work, 'put'), 'into a stopped container\n');
  await dockerOk(d, ['cp', join(work, 'put'), 'cold:/data/put']);
  assert.equal(await readFile(join(await volumeDir('colddata'), 'put'), 'utf8'), 'into a stopped container\n');
  assert.equal(await dockerOk(d, ['start', '-a', 'cold']), 'into a stopped container\n');
  await dockerOk(d, ['cp', 'cold:/data/put', join(work, 'put-back')]);
  assert.equal(await readFile(join(work, 'put-back'), 'utf8'), 'into a stopped container\n');

  const r = await docker(d, ['cp', join(work, 'f'), 'cold:/scratch/']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /\/scratch is a tmpfs mount of container cold: its content exists only while the container runs/);
  const read = await docker(d, ['cp', 'cold:/scratch/anything', join(work, 'nothing')]);
  assert.notEqual(read.code, 0);
  assert.match(read.stderr, /\/scratch is a tmpfs mount of container cold/);
  const mounts = await readFile('/proc/mounts', 'utf8');
  assert.equal(mounts.includes('.files-'), false, 'temporary mounts are gone');
});

test('a read-only rootfs refuses copies to it, but not to a writable volume', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'rofs', '--read-only', '-v', 'rofsdata:/data', 'busybox', 'sleep', '1000']);
  await dockerOk(d, ['cp', join(work, 'f'), 'rofs:/data/']);
  assert.equal(await dockerOk(d, ['exec', 'rofs', 'cat', '/data/f']), 'from the host\n');
  const r = await docker(d, ['cp', join(work, 'f'), 'rofs:/tmp/']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /container rootfs is marked read-only/);
});
