/**
 * The /volumes API through the docker CLI and raw requests: create (named, anonymous,
 * existing), inspect, list filters, rm refusal, prune, local driver options (tmpfs, bind)
 * (events are checked in service.test.ts: the daemon has no /events route yet). Everything is removed in `after`, and nothing may stay mounted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { docker, dockerOk, mountsUnder, removeEverything, runToEnd, startVolumeDaemon } from './helpers.js';

let d: TestDaemon;
let hostDir: string;

before(async () => {
  d = await startVolumeDaemon();
  hostDir = await mkdtemp(join(tmpdir(), 'berth-vol-api-'));
});

after(async () => {
  try {
    if (d) assert.deepEqual(await removeEverything(d), [], 'mounts left after removing all containers and volumes');
  } finally {
    await d?.stop();
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  }
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await d.client.request(method, path, body === undefined ? {} : { body });
  let text = '';
  for await (const c of res) text += c.toString();
  return { status: res.statusCode ?? 0, json: text.trim() ? JSON.parse(text) : undefined };
}

describe('volumes API', { timeout: 120_000 }, () => {
  test('create, inspect, create again returns the same volume', async () => {
    assert.equal(await dockerOk(d, ['volume', 'create', '--label', 'team=a', 'apivol']), 'apivol');
    const [v] = JSON.parse(await dockerOk(d, ['volume', 'inspect', 'apivol'])) as Record<string, unknown>[];
    assert.equal(v?.Name, 'apivol');
    assert.equal(v?.Driver, 'local');
    assert.equal(v?.Scope, 'local');
    assert.equal(v?.Mountpoint, join(d.dataRoot, 'volumes', 'apivol', '_data'));
    assert.deepEqual(v?.Labels, { team: 'a' });
    assert.match(String(v?.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await api('POST', '/volumes/create', { Name: 'apivol' });
    assert.equal(again.status, 201);
    assert.equal((again.json as { CreatedAt: string }).CreatedAt, v?.CreatedAt);
    const missing = await docker(d, ['volume', 'inspect', 'nosuchvol']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /get nosuchvol: no such volume/);
    const usage = await api('GET', '/volumes/apivol?usage=1');
    assert.deepEqual((usage.json as { UsageData: unknown }).UsageData, { Size: 0, RefCount: 0 });
    await dockerOk(d, ['volume', 'rm', 'apivol']);
  });

  test('an unnamed create gets a random 64-hex name; bad names and options are 400', async () => {
    const r = await api('POST', '/volumes/create', {});
    assert.equal(r.status, 201);
    assert.match((r.json as { Name: string }).Name, /^[0-9a-f]{64}$/);
    assert.equal((await api('POST', '/volumes/create', { Name: 'bad/name' })).status, 400);
    const badOpt = await api('POST', '/volumes/create', { Name: 'badopt', DriverOpts: { colour: 'red' } });
    assert.equal(badOpt.status, 400);
    assert.match((badOpt.json as { message: string }).message, /invalid option: "colour"/);
    const missing = await api('POST', '/volumes/create', { Name: 'badopt', DriverOpts: { type: 'tmpfs' } });
    assert.match((missing.json as { message: string }).message, /missing required option: "device"/);
    await dockerOk(d, ['volume', 'rm', (r.json as { Name: string }).Name]);
  });

  test('list filters: name, label, driver, dangling', async () => {
    await dockerOk(d, ['volume', 'create', '--label', 'env=prod', 'flt-used']);
    await dockerOk(d, ['volume', 'create', '--label', 'env=dev', 'flt-free']);
    const c = await dockerOk(d, ['create', '-v', 'flt-used:/x', 'busybox', 'true']);
    const ls = async (...f: string[]) => (await dockerOk(d, ['volume', 'ls', '-q', ...f.flatMap((x) => ['--filter', x])])).split('\n').filter((n) => n.startsWith('flt-')).sort();
    assert.deepEqual(await ls('name=flt'), ['flt-free', 'flt-used']);
    assert.deepEqual(await ls('label=env=prod'), ['flt-used']);
    assert.deepEqual(await ls('label=env'), ['flt-free', 'flt-used']);
    assert.deepEqual(await ls('driver=local', 'name=flt'), ['flt-free', 'flt-used']);
    assert.deepEqual(await ls('dangling=true'), ['flt-free']);
    assert.deepEqual(await ls('dangling=false'), ['flt-used']);
    const bad = await docker(d, ['volume', 'ls', '--filter', 'colour=red']);
    assert.match(bad.stderr, /invalid filter 'colour'/);
    await dockerOk(d, ['rm', c]);
    await dockerOk(d, ['volume', 'rm', 'flt-used', 'flt-free']);
  });

  test('rm of a volume in use is a 409 naming the containers; -f does not override it', async () => {
    const c = await dockerOk(d, ['create', '-v', 'inuse:/x', 'busybox', 'true']);
    const r = await api('DELETE', '/volumes/inuse?force=1');
    assert.equal(r.status, 409);
    assert.equal((r.json as { message: string }).message, `remove inuse: volume is in use - [${c}]`);
    await dockerOk(d, ['rm', c]);
    assert.equal((await api('DELETE', '/volumes/inuse')).status, 204);
    assert.equal((await api('DELETE', '/volumes/inuse')).status, 404);
    assert.equal((await api('DELETE', '/volumes/inuse?force=1')).status, 204);
  });

  test('prune removes unused anonymous volumes; all=true also named ones; used ones stay', async () => {
    await dockerOk(d, ['volume', 'create', 'prune-named']);
    await dockerOk(d, ['volume', 'create', '--label', 'keep=yes', 'prune-labelled']);
    const anon = await dockerOk(d, ['create', '-v', '/a', 'busybox', 'true']);
    await dockerOk(d, ['start', anon]);
    await dockerOk(d, ['wait', anon]);
    const anonName = String((JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .Mounts}}', anon])) as { Name: string }[])[0]?.Name);
    const used = await dockerOk(d, ['create', '-v', 'prune-used:/u', 'busybox', 'true']);
    // Write something so SpaceReclaimed counts it.
    await writeFile(join(d.dataRoot, 'volumes', anonName, '_data', 'blob'), Buffer.alloc(4096, 1));
    await dockerOk(d, ['rm', anon]);
    const first = await api('POST', '/volumes/prune');
    assert.deepEqual((first.json as { VolumesDeleted: string[] }).VolumesDeleted, [anonName]);
    assert.equal((first.json as { SpaceReclaimed: number }).SpaceReclaimed, 4096);
    const second = await api('POST', `/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['true'], 'label!': ['keep'] }))}`);
    assert.deepEqual((second.json as { VolumesDeleted: string[] }).VolumesDeleted, ['prune-named']);
    const cli = await dockerOk(d, ['volume', 'prune', '-af']);
    assert.match(cli, /prune-labelled/);
    const left = (await dockerOk(d, ['volume', 'ls', '-q'])).split('\n');
    assert.ok(left.includes('prune-used'));
    await dockerOk(d, ['rm', '-v', used]);
    await dockerOk(d, ['volume', 'rm', 'prune-used']);
  });

  test('a local volume with type=tmpfs options is a tmpfs while in use, unmounted after', async () => {
    await dockerOk(d, ['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=16m,uid=1000', 'tmpvol']);
    const [v] = JSON.parse(await dockerOk(d, ['volume', 'inspect', 'tmpvol'])) as { Options: Record<string, string> }[];
    assert.deepEqual(v?.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=16m,uid=1000' });
    const r = await runToEnd(d, ['-v', 'tmpvol:/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; stat -c %u /t; echo x > /t/f']);
    assert.equal(r.code, 0, r.logs);
    assert.match(r.logs, /^tmpfs \/t tmpfs \S*size=16384k/m);
    assert.match(r.logs, /^1000$/m);
    const data = join(d.dataRoot, 'volumes', 'tmpvol', '_data');
    assert.ok(!(await mountsUnder(d)).includes(data), 'unmounted once the container exited');
    await dockerOk(d, ['rm', r.id]);
    await dockerOk(d, ['volume', 'rm', 'tmpvol']);
  });

  test('a bind-backed local volume (type=none,o=bind) shows the host directory; rm keeps the data', async () => {
    await writeFile(join(hostDir, 'seed'), 'seeded\n');
    await dockerOk(d, ['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${hostDir}`, 'bindvol']);
    const r = await runToEnd(d, ['-v', 'bindvol:/b', 'busybox', 'sh', '-c', 'cat /b/seed; echo back > /b/out']);
    assert.equal(r.code, 0, r.logs);
    assert.match(r.logs, /seeded/);
    assert.equal(await readFile(join(hostDir, 'out'), 'utf8'), 'back\n');
    await dockerOk(d, ['rm', r.id]);
    await dockerOk(d, ['volume', 'rm', 'bindvol']);
    assert.equal(await readFile(join(hostDir, 'seed'), 'utf8'), 'seeded\n', 'host data survives volume rm');
  });
});
