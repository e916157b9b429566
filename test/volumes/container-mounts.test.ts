/**
 * Container mounts through the real docker CLI: named volumes that persist, copy-up of image
 * content, nocopy, tmpfs, read-only binds, --volumes-from, anonymous volumes and rm -v, and
 * Docker's validation errors. Everything is removed in `after`, and nothing may stay mounted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBusybox, type TestDaemon } from '../helpers/daemon.js';
import { docker, dockerOk, mountsUnder, removeEverything, runToEnd, startVolumeDaemon } from './helpers.js';

let d: TestDaemon;
let hostDir: string;

before(async () => {
  d = await startVolumeDaemon();
  hostDir = await mkdtemp(join(tmpdir(), 'berth-vol-host-'));
});

after(async () => {
  try {
    if (d) assert.deepEqual(await removeEverything(d), [], 'mounts left after removing all containers and volumes');
  } finally {
    await d?.stop();
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  }
});

async function inspectMounts(id: string): Promise<Record<string, unknown>[]> {
  return JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .Mounts}}', id])) as Record<string, unknown>[];
}

describe('container mounts', { timeout: 120_000 }, () => {
  test('data written through a named volume is there for the next container', async () => {
    const w = await runToEnd(d, ['-v', 'persist:/data', 'busybox', 'sh', '-c', 'echo kept > /data/file']);
    assert.equal(w.code, 0, w.logs);
    const r = await runToEnd(d, ['-v', 'persist:/data', 'busybox', 'cat', '/data/file']);
    assert.equal(r.code, 0, r.logs);
    assert.equal(r.logs.trim(), 'kept');
    const [m] = await inspectMounts(r.id);
    assert.equal(m?.Type, 'volume');
    assert.equal(m?.Name, 'persist');
    assert.equal(m?.Destination, '/data');
    assert.equal(m?.Driver, 'local');
    assert.equal(m?.RW, true);
    assert.equal(m?.Source, join(d.dataRoot, 'volumes', 'persist', '_data'));
    const ps = await dockerOk(d, ['ps', '-a', '--filter', 'volume=persist', '--format', '{{.ID}}']);
    assert.equal(ps.split('\n').length, 2);
  });

  test('a new empty volume over /etc gets the image content, owners and modes kept', async () => {
    const r = await runToEnd(d, ['-v', 'etccopy:/etc', 'busybox', 'sh', '-c', 'grep ^root: /etc/passwd']);
    assert.equal(r.code, 0, r.logs);
    assert.match(r.logs, /^root:/);
    const data = join(d.dataRoot, 'volumes', 'etccopy', '_data');
    assert.ok((await readdir(data)).includes('passwd'));
    const st = await stat(join(data, 'passwd'));
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o644);
  });

  test('nocopy mounts the empty volume as it is', async () => {
    const r = await runToEnd(d, ['-v', 'etcnocopy:/etc:nocopy', 'busybox', 'ls', '-A', '/etc']);
    assert.equal(r.code, 0, r.logs);
    assert.equal(r.logs.trim(), '');
    assert.deepEqual(await readdir(join(d.dataRoot, 'volumes', 'etcnocopy', '_data')), []);
    const m = await runToEnd(d, ['--mount', 'type=volume,src=etcnocopy2,dst=/etc,volume-nocopy', 'busybox', 'ls', '-A', '/etc']);
    assert.equal(m.logs.trim(), '');
  });

  test('--tmpfs and --mount type=tmpfs are tmpfs with the size asked for', async () => {
    const r = await runToEnd(d, ['--tmpfs', '/tmpmnt:size=8m', '--mount', 'type=tmpfs,dst=/tmpmnt2,tmpfs-size=4m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'grep /tmpmnt /proc/mounts; stat -c %a /tmpmnt2']);
    assert.equal(r.code, 0, r.logs);
    assert.match(r.logs, /^tmpfs \/tmpmnt tmpfs \S*size=8192k/m);
    assert.match(r.logs, /^tmpfs \/tmpmnt2 tmpfs \S*size=4096k/m);
    assert.match(r.logs, /^1770$/m);
  });

  test('a read-only bind refuses writes; a writable bind writes to the host', async () => {
    await writeFile(join(hostDir, 'hello'), 'from host\n');
    const ro = await runToEnd(d, ['-v', `${hostDir}:/host:ro`, 'busybox', 'sh', '-c', 'cat /host/hello; touch /host/new']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.logs, /from host/);
    assert.match(ro.logs, /Read-only file system/);
    const m = await runToEnd(d, ['--mount', `type=bind,src=${hostDir},dst=/host,readonly`, 'busybox', 'touch', '/host/new']);
    assert.match(m.logs, /Read-only file system/);
    const [view] = await inspectMounts(m.id);
    assert.deepEqual(view, { Type: 'bind', Source: hostDir, Destination: '/host', Mode: '', RW: false, Propagation: 'rprivate' });
    const rw = await runToEnd(d, ['-v', `${hostDir}:/host`, 'busybox', 'sh', '-c', 'echo x > /host/written']);
    assert.equal(rw.code, 0, rw.logs);
    assert.ok((await readdir(hostDir)).includes('written'));
  });

  test('-v creates a missing host directory; --mount refuses it', async () => {
    const missing = join(hostDir, 'made', 'by', 'v');
    const r = await runToEnd(d, ['-v', `${missing}:/x`, 'busybox', 'true']);
    assert.equal(r.code, 0, r.logs);
    assert.ok((await stat(missing)).isDirectory());
    const bad = await docker(d, ['run', '-d', '--mount', `type=bind,src=${hostDir}/nope,dst=/x`, 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${hostDir}/nope`));
  });

  test('--volumes-from shares volumes and binds, :ro makes them read-only', async () => {
    const src = await dockerOk(d, ['create', '-v', 'shared:/shared', '-v', `${hostDir}:/host`, '-v', '/anon', 'busybox', 'true']);
    const w = await runToEnd(d, ['--volumes-from', src, 'busybox', 'sh', '-c', 'echo via-from > /shared/f && ls /host >/dev/null && touch /anon/x']);
    assert.equal(w.code, 0, w.logs);
    const r = await runToEnd(d, ['--volumes-from', `${src}:ro`, 'busybox', 'sh', '-c', 'cat /shared/f; ls /anon; touch /shared/g']);
    assert.match(r.logs, /via-from/);
    assert.match(r.logs, /^x$/m);
    assert.match(r.logs, /Read-only file system/);
    const views = await inspectMounts(r.id);
    assert.equal(views.length, 3);
    assert.ok(views.every((v) => v.RW === false));
    const srcViews = await inspectMounts(src);
    const anon = srcViews.find((v) => v.Destination === '/anon');
    assert.equal(views.find((v) => v.Destination === '/anon')?.Name, anon?.Name);
  });

  test('anonymous volumes (-v /dst, image VOLUME) go with rm -v and stay without it', async () => {
    // An image with a VOLUME: busybox imported again with a --change.
    await importBusybox(d.client, 'busybox-vol:latest', ['VOLUME /imgvol']);
    const a = await dockerOk(d, ['create', '-v', '/anon1', 'busybox-vol', 'true']);
    await dockerOk(d, ['start', a]);
    await dockerOk(d, ['wait', a]);
    const names = (await inspectMounts(a)).map((m) => String(m.Name));
    assert.deepEqual((await inspectMounts(a)).map((m) => m.Destination).sort(), ['/anon1', '/imgvol']);
    for (const n of names) assert.match(n, /^[0-9a-f]{64}$/);
    const anonLabel = await dockerOk(d, ['volume', 'inspect', '-f', '{{json .Labels}}', names[0]!]);
    assert.deepEqual(JSON.parse(anonLabel), { 'com.docker.volume.anonymous': '' });

    // Restarting keeps the same anonymous volume.
    await dockerOk(d, ['start', a]);
    await dockerOk(d, ['wait', a]);
    assert.deepEqual((await inspectMounts(a)).map((m) => String(m.Name)), names);

    await dockerOk(d, ['rm', a]);
    const kept = (await dockerOk(d, ['volume', 'ls', '-q'])).split('\n');
    for (const n of names) assert.ok(kept.includes(n), `${n} kept without -v`);
    await dockerOk(d, ['volume', 'rm', ...names]);

    const b = await dockerOk(d, ['create', '-v', '/anon2', '-v', 'named-survives:/named', 'busybox', 'true']);
    await dockerOk(d, ['start', b]);
    await dockerOk(d, ['wait', b]);
    const bAnon = String((await inspectMounts(b)).find((m) => m.Destination === '/anon2')?.Name);
    await dockerOk(d, ['rm', '-v', b]);
    const after = (await dockerOk(d, ['volume', 'ls', '-q'])).split('\n');
    assert.ok(!after.includes(bAnon), 'anonymous volume removed by rm -v');
    assert.ok(after.includes('named-survives'), 'named volume kept by rm -v');
  });

  test('volume rm is refused while any container uses it, running or not', async () => {
    const c = await dockerOk(d, ['create', '-v', 'busyvol:/data', 'busybox', 'true']);
    const r = await docker(d, ['volume', 'rm', 'busyvol']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`remove busyvol: volume is in use - \\[${c}\\]`));
    await dockerOk(d, ['rm', c]);
    assert.equal(await dockerOk(d, ['volume', 'rm', 'busyvol']), 'busyvol');
  });

  test('validation: bad specs, duplicate mount points, bad names', async () => {
    const cases: [string[], RegExp][] = [
      [['-v', 'data:relative'], /invalid volume specification: 'data:relative'/],
      // Docker's words, each checked against dockerd.
      [['-v', 'data:/x:bogus'], /daemon: invalid mode: bogus$/m],
      [['-v', '/data:ro'], /daemon: invalid volume specification: '\/data:ro'$/m],
      [['-v', 'myvol:/x:rshared'], /daemon: invalid volume specification: 'myvol:\/x:rshared': invalid mount config for type "volume": field BindOptions must not be specified$/m],
      [['-v', '/tmp:/x:nocopy'], /daemon: invalid volume specification: '\/tmp:\/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified$/m],
      [['--mount', 'type=volume,target=/v,readonly'], /daemon: invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes$/m],
      [['-v', 'va:/dup', '-v', 'vb:/dup'], /Duplicate mount point: \/dup/],
      [['-v', 'va:/dup2', '--mount', 'type=volume,src=vb,dst=/dup2'], /Duplicate mount point: \/dup2/],
      [['-v', 'a$b:/x'], /daemon: create a\$b: "a\$b" includes invalid characters for a local volume name/],
    ];
    for (const [args, want] of cases) {
      const r = await docker(d, ['run', '-d', ...args, 'busybox', 'true']);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, want, args.join(' '));
    }
  });

  test('nothing is left mounted once the containers have exited', async () => {
    const r = await runToEnd(d, ['-v', 'm1:/m1', '--tmpfs', '/t', 'busybox', 'true']);
    assert.equal(r.code, 0);
    const left = await mountsUnder(d);
    assert.deepEqual(left.filter((p) => p.includes('/volumes/')), []);
  });
});
