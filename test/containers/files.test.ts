/** docker cp, commit, diff, export, top and update, through the docker CLI. */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, docker, dockerOk } from './helpers.js';

const execFileP = promisify(execFile);

let d: TestDaemon;
let work: string;
before(async () => {
  d = await containerDaemon();
  work = join(d.root, 'work');
  await mkdir(work);
  await dockerOk(d, ['run', '-d', '--name', 'fc', 'busybox', 'sleep', '1000']);
});
after(() => d?.stop()); // removes every container first

/** Lists a tar stream's entries with the host's tar. */
async function tarList(args: string[]): Promise<string[]> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const dockerProc = spawn('docker', args, { env: d.dockerEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-t'], { stdio: ['pipe', 'pipe', 'inherit'] });
    dockerProc.stdout.pipe(tar.stdin);
    let out = '';
    tar.stdout.on('data', (c: Buffer) => (out += c.toString()));
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean)) : reject(new Error(`tar exited ${code}`))));
  });
}

test('docker cp copies files and directories both ways', async () => {
  await writeFile(join(work, 'hostfile'), 'content\n');
  await dockerOk(d, ['cp', join(work, 'hostfile'), 'fc:/tmp/']);
  assert.equal(await dockerOk(d, ['exec', 'fc', 'cat', '/tmp/hostfile']), 'content\n');
  await dockerOk(d, ['cp', join(work, 'hostfile'), 'fc:/tmp/renamed']);
  assert.equal(await dockerOk(d, ['exec', 'fc', 'cat', '/tmp/renamed']), 'content\n');

  assert.deepEqual(await tarList(['cp', 'fc:/etc/passwd', '-']), ['passwd']);

  await mkdir(join(work, 'tree/sub'), { recursive: true });
  await writeFile(join(work, 'tree/sub/a'), 'A\n');
  await dockerOk(d, ['cp', join(work, 'tree'), 'fc:/tmp/']);
  assert.equal(await dockerOk(d, ['exec', 'fc', 'cat', '/tmp/tree/sub/a']), 'A\n');
  await dockerOk(d, ['exec', 'fc', 'sh', '-c', 'mkdir -p /srv/out/deep && echo B > /srv/out/deep/b']);
  await dockerOk(d, ['cp', 'fc:/srv/out', join(work, 'back')]);
  assert.equal(await readFile(join(work, 'back/deep/b'), 'utf8'), 'B\n');

  const missing = await docker(d, ['cp', 'fc:/no/such/file', join(work, 'x')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Could not find the file \/no\/such\/file/);
});

test("docker cp -a gives the files to the container's user, as Docker; without it, or without a user, the owners are the tar's", async () => {
  const file = join(work, 'owned');
  await writeFile(file, 'owned\n');
  await chown(file, 1234, 2345);
  await dockerOk(d, ['run', '-d', '--name', 'cpuser', '-u', 'user', 'busybox', 'sleep', '1000']);
  for (const [container, archived] of [['fc', '1234:2345'], ['cpuser', '1000:1000']] as const) {
    await dockerOk(d, ['cp', file, `${container}:/tmp/plain`]);
    await dockerOk(d, ['cp', '-a', file, `${container}:/tmp/archived`]);
    assert.equal(await dockerOk(d, ['exec', container, 'stat', '-c', '%u:%g', '/tmp/plain', '/tmp/archived']), `1234:2345\n${archived}\n`, container);
  }
  await dockerOk(d, ['rm', '-f', 'cpuser']);
});

test("docker cp right after a start whose process ends at once reads the container's files", async () => {
  // The exit's clean-up unmounts the rootfs before the state says "exited": cp waits for it.
  await dockerOk(d, ['create', '--name', 'brief', 'busybox', 'true']);
  for (let i = 0; i < 5; i++) {
    await dockerOk(d, ['start', 'brief']);
    assert.deepEqual(await tarList(['cp', 'brief:/etc/passwd', '-']), ['passwd'], `round ${i}`);
  }
  await dockerOk(d, ['rm', 'brief']);
});

test('symlinks in the container resolve inside its root, never on the host', async () => {
  const marker = `berth-cp-escape-${process.pid}-${Date.now()}`;
  await writeFile(join(work, marker), 'escape\n');
  await dockerOk(d, ['exec', 'fc', 'sh', '-c', 'ln -s / /tmp/toroot && ln -s ../../.. /tmp/updir && mkdir /tmp/d && ln -s ../../../../.. /tmp/d/deep']);
  await dockerOk(d, ['cp', join(work, marker), 'fc:/tmp/toroot/']);
  await dockerOk(d, ['cp', join(work, marker), `fc:/tmp/updir/${marker}.2`]);
  await dockerOk(d, ['cp', join(work, marker), `fc:/tmp/d/deep/${marker}.3`]);
  for (const name of [marker, `${marker}.2`, `${marker}.3`]) {
    assert.equal(existsSync(join('/', name)), false, `${name} was written on the host`);
    assert.equal(await dockerOk(d, ['exec', 'fc', 'cat', `/${name}`]), 'escape\n');
  }
  // Reading through a link gives the container's file, not the host's.
  await dockerOk(d, ['exec', 'fc', 'sh', '-c', 'echo inside > /etc/berth-marker']);
  await dockerOk(d, ['cp', 'fc:/tmp/updir/etc/berth-marker', join(work, 'read-through')]);
  assert.equal(await readFile(join(work, 'read-through'), 'utf8'), 'inside\n');
});

test('docker cp into and out of a stopped container', async () => {
  await dockerOk(d, ['create', '--name', 'cold', 'busybox', 'cat', '/tmp/put']);
  await writeFile(join(work, 'put'), 'cold copy\n');
  await dockerOk(d, ['cp', join(work, 'put'), 'cold:/tmp/put']);
  assert.deepEqual(await tarList(['cp', 'cold:/tmp/put', '-']), ['put']);
  assert.equal(await dockerOk(d, ['start', '-a', 'cold']), 'cold copy\n');
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').filter((m) => m.includes(d.execRoot));
  assert.equal(mounts.some((m) => m.includes('.files-')), false, 'temporary mounts are gone');
});

test('a client that leaves an archive or export half read leaves no file of the container open', async () => {
  await dockerOk(d, ['exec', 'fc', 'sh', '-c', 'mkdir /many && for i in $(seq 1 200); do head -c 4000 /dev/urandom > /many/f$i; done']);
  // Going away at once, after the headers, and after some of the tar: every moment a reader may leave.
  const leave = ['immediately', 'response', 'data'] as const;
  for (const path of [`/containers/fc/archive?path=/many`, '/containers/fc/export']) {
    for (const when of leave) {
      await new Promise<void>((resolve) => {
        const req = request({ socketPath: d.socket, path }, (res) => {
          if (when === 'response') req.destroy();
          res.once('data', () => req.destroy());
        });
        req.once('close', () => resolve());
        req.once('error', () => undefined);
        req.end();
        if (when === 'immediately') setImmediate(() => req.destroy());
      });
    }
  }
  assert.deepEqual(await d.filesHeldUnder(join(d.execRoot, 'rootfs')), [], 'files of the container left open');
});

test('diff lists A/C/D; commit makes a runnable image with the changes', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'cm', 'busybox', 'sleep', '1000']);
  assert.equal(await dockerOk(d, ['diff', 'cm']), '', 'a fresh container has no changes');
  await dockerOk(d, ['exec', 'cm', 'sh', '-c', 'echo committed > /x && rm /bin/vi && echo more >> /etc/profile.berth && touch /etc/passwd']);
  const diff = (await dockerOk(d, ['diff', 'cm'])).split('\n').filter(Boolean);
  assert.ok(diff.includes('A /x'), diff.join(','));
  assert.ok(diff.includes('D /bin/vi'), diff.join(','));
  assert.ok(diff.includes('C /etc/passwd'), diff.join(','));
  assert.ok(diff.includes('C /etc'), diff.join(','));

  const id = (await dockerOk(d, ['commit', '--change', 'CMD ["cat","/x"]', '-m', 'a message', 'cm', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await dockerOk(d, ['run', '--rm', 'committed:v1']), 'committed\n');
  assert.notEqual((await docker(d, ['run', '--rm', 'committed:v1', 'ls', '/bin/vi'])).code, 0, 'the deletion is in the layer');
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', 'cm'])).trim(), 'running', 'unpaused after commit');
  const history = await dockerOk(d, ['history', '--no-trunc', '--format', '{{.Comment}}', 'committed:v1']);
  assert.match(history, /a message/);
});

test('export is a tar of the whole root filesystem', async () => {
  await dockerOk(d, ['exec', 'fc', 'sh', '-c', 'echo e > /exported']);
  const entries = await tarList(['export', 'fc']);
  for (const e of ['bin/sh', 'etc/passwd', 'exported', 'tmp/hostfile']) assert.ok(entries.includes(e), `${e} in export`);
});

/** The `tar -tv` lines of a docker command's tar output, as "mode name[ -> target]". */
async function tarModes(args: string[]): Promise<string[]> {
  const { stdout } = await execFileP('sh', ['-c', `docker ${args.join(' ')} | tar -tv`], { env: d.dockerEnv(), maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
    .map((f) => [f[0], ...f.slice(5)].join(' '));
}

test("the init layer: /.dockerenv and the runtime's mount points are in the container and its export, never in diff or commit", async () => {
  assert.equal(await dockerOk(d, ['run', '--rm', 'busybox', 'sh', '-c', 'test -f /.dockerenv && readlink /etc/mtab']), '/proc/mounts\n');
  assert.equal(await dockerOk(d, ['run', '--rm', '--read-only', 'busybox', 'ls', '/.dockerenv']), '/.dockerenv\n');

  await dockerOk(d, ['create', '--name', 'il', 'busybox', 'true']);
  const exported = await tarModes(['export', 'il']);
  for (const line of ['-rwxr-xr-x .dockerenv', '-rwxr-xr-x etc/hosts', '-rwxr-xr-x etc/hostname', '-rwxr-xr-x etc/resolv.conf', '-rwxr-xr-x dev/console', 'drwxr-xr-x dev/pts/', 'drwxr-xr-x dev/shm/', 'lrwxrwxrwx etc/mtab -> /proc/mounts']) {
    assert.ok(exported.includes(line), `${line} in ${exported.filter((l) => /etc\/|dev\/|dockerenv/.test(l)).join(', ')}`);
  }
  await dockerOk(d, ['start', '-a', 'il']);
  assert.equal(await dockerOk(d, ['diff', 'il']), '', 'the runtime made no mount point in the writable layer');

  // The committed layer holds nothing: the mount points stayed below it.
  await dockerOk(d, ['commit', 'il', 'init-layer:v1']);
  const saved = join(work, 'init-layer-save');
  await mkdir(saved);
  await execFileP('sh', ['-c', `docker save init-layer:v1 | tar -x -C ${saved}`], { env: d.dockerEnv() });
  const manifest = JSON.parse(await readFile(join(saved, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  const layers = manifest[0]!.Layers;
  assert.equal(layers.length, 2);
  assert.deepEqual((await execFileP('tar', ['-tf', join(saved, layers[1]!)])).stdout, '');

  // The image's init layer goes with the image.
  await dockerOk(d, ['rm', 'il']);
  const initLayers = () => {
    const db = new Database(join(d.dataRoot, 'berth.db'), { readonly: true });
    try {
      return (db.prepare(`SELECT key FROM snapshots WHERE key LIKE 'init:%'`).all() as Array<{ key: string }>).map((r) => r.key);
    } finally {
      db.close();
    }
  };
  const existing = initLayers();
  await dockerOk(d, ['run', '--rm', 'init-layer:v1']);
  await dockerOk(d, ['run', '--rm', 'init-layer:v1']);
  const made = initLayers().filter((k) => !existing.includes(k));
  assert.equal(made.length, 1, 'one init layer for the image, shared by its containers');
  await dockerOk(d, ['rmi', 'init-layer:v1']);
  assert.deepEqual(initLayers().sort(), existing.sort(), "the image's init layer is removed with it");
});

test('top lists the container processes', async () => {
  const out = await dockerOk(d, ['top', 'fc']);
  const [titles, ...rows] = out.trim().split('\n');
  assert.match(titles!, /UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
  assert.ok(rows.some((r) => r.endsWith('sleep 1000')), out);
  assert.match(await dockerOk(d, ['top', 'fc', '-o', 'pid,comm']), /PID\s+COMMAND[\s\S]*sleep/);
  // ps's complaint is its first line, without the usage text after it (as dockerd).
  const bad = await docker(d, ['top', 'fc', '-o', 'bogus']);
  assert.equal(bad.stderr, 'Error response from daemon: ps: error: unknown user-defined format specifier "bogus"\n');
});

test('update changes the memory limit live and in HostConfig', async () => {
  await dockerOk(d, ['update', '--memory', '64m', '--memory-swap', '128m', 'fc']);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.HostConfig.Memory}}', 'fc'])).trim(), String(64 * 1024 * 1024));
  const spec = JSON.parse(await readFile(join(d.execRoot, 'bundles', (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'fc'])).trim(), 'config.json'), 'utf8')) as { linux: { cgroupsPath: string } };
  const v1 = join('/sys/fs/cgroup/memory', spec.linux.cgroupsPath, 'memory.limit_in_bytes');
  const v2 = join('/sys/fs/cgroup', spec.linux.cgroupsPath, 'memory.max');
  const limitFile = existsSync(v1) ? v1 : v2;
  assert.equal((await readFile(limitFile, 'utf8')).trim(), String(64 * 1024 * 1024));
  await dockerOk(d, ['update', '--restart', 'on-failure:3', 'fc']);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'fc'])).trim(), 'on-failure:3');
});

test('update keeps what it does not set, as Docker: an update then a restart loses no limit', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'upd', '-m', '64m', '--cpu-shares', '100', '--pids-limit', '40', '--ulimit', 'nofile=100:200', '--restart', 'always', 'busybox', 'sleep', '1000']);
  // (The docker CLI prints a template's JSON from a map: its keys come sorted.)
  const fields = '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}} {{json .HostConfig.Ulimits}}';
  const mib = 1024 * 1024;
  // Docker's default swap limit, twice the memory, is in HostConfig from create on.
  assert.equal((await dockerOk(d, ['inspect', '-f', fields, 'upd'])).trim(), `${64 * mib} ${128 * mib} 100 40 0 always [{"Hard":200,"Name":"nofile","Soft":100}]`);
  await dockerOk(d, ['update', '--cpus', '0.5', 'upd']);
  assert.equal((await dockerOk(d, ['inspect', '-f', fields, 'upd'])).trim(), `${64 * mib} ${128 * mib} 100 40 500000000 always [{"Hard":200,"Name":"nofile","Soft":100}]`);
  await dockerOk(d, ['restart', '-t', '0', 'upd']);
  const inside = await dockerOk(d, ['exec', 'upd', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; ulimit -n']);
  assert.equal(inside, `${64 * mib}\n40\n100\n`);

  // Refusals name the container, and change nothing.
  const id = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'upd'])).trim();
  const swap = await docker(d, ['update', '-m', '256m', 'upd']);
  assert.match(swap.stderr, new RegExp(`Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`));
  const period = await docker(d, ['update', '--cpu-period', '50000', 'upd']);
  assert.match(period.stderr, new RegExp(`Cannot update container ${id}: Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set`));
  assert.match((await docker(d, ['update', '--restart', 'sometimes', 'upd'])).stderr, /invalid restart policy: unknown policy 'sometimes'/);
  assert.equal((await dockerOk(d, ['inspect', '-f', fields, 'upd'])).trim(), `${64 * mib} ${128 * mib} 100 40 500000000 always [{"Hard":200,"Name":"nofile","Soft":100}]`);
  await dockerOk(d, ['update', '-m', '256m', '--memory-swap', '512m', 'upd']);
  assert.equal((await dockerOk(d, ['exec', 'upd', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'])).trim(), String(256 * mib));
  await docker(d, ['rm', '-f', 'upd']);
});
