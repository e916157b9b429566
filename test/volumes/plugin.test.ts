/**
 * The volume plugin protocol against a fake plugin: a tiny HTTP server on a unix socket in a
 * temp dir that keeps volumes as directories and records every call. First the client on its
 * own, then a berthd that finds the plugin through BERTH_PLUGIN_SOCKET_DIRS.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PluginVolumeDriver } from '../../src/engine/volumes/plugin-driver.js';
import { discoverPlugin } from '../../src/engine/volumes/plugin-discovery.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { docker, dockerOk, removeEverything, runToEnd, startVolumeDaemon } from './helpers.js';

interface Call {
  path: string;
  body: Record<string, unknown>;
  accept: string | undefined;
}

let dir: string;
let server: Server;
const calls: Call[] = [];
const volumes = new Map<string, Record<string, string>>();

function reply(path: string, body: Record<string, unknown>): Record<string, unknown> {
  const name = String(body.Name ?? '');
  const mountpoint = join(dir, 'data', name);
  switch (path) {
    case '/Plugin.Activate':
      return { Implements: ['VolumeDriver'] };
    case '/VolumeDriver.Create':
      if (name === 'refused') return { Err: 'the fake refuses this name' };
      volumes.set(name, (body.Opts as Record<string, string>) ?? {});
      return {};
    case '/VolumeDriver.Remove':
      volumes.delete(name);
      return {};
    case '/VolumeDriver.Mount':
    case '/VolumeDriver.Path':
      return volumes.has(name) ? { Mountpoint: mountpoint } : { Err: `no such volume ${name}` };
    case '/VolumeDriver.Unmount':
      return {};
    case '/VolumeDriver.Get':
      return volumes.has(name) ? { Volume: { Name: name, Mountpoint: mountpoint, Status: { opts: volumes.get(name) } } } : { Err: 'not found' };
    case '/VolumeDriver.List':
      return { Volumes: [...volumes.keys()].map((n) => ({ Name: n, Mountpoint: join(dir, 'data', n) })) };
    case '/VolumeDriver.Capabilities':
      return { Capabilities: { Scope: 'local' } };
    default:
      return { Err: `unknown call ${path}` };
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-plugin-'));
  await mkdir(join(dir, 'sockets'));
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', async () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      calls.push({ path: req.url ?? '', body, accept: req.headers.accept });
      const out = reply(req.url ?? '', body);
      if (req.url === '/VolumeDriver.Mount' && !out.Err) await mkdir(String(out.Mountpoint), { recursive: true });
      res.writeHead(out.Err ? 500 : 200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'sockets', 'fakeplug.sock'), resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('volume plugin protocol', { timeout: 120_000 }, () => {
  test('discovery: a socket, a .spec file, a .json file; unknown plugins are 404', async () => {
    const paths = { socketDirs: [join(dir, 'sockets')], specDirs: [join(dir, 'specs')] };
    assert.deepEqual(await discoverPlugin('fakeplug', paths), { socketPath: join(dir, 'sockets', 'fakeplug.sock') });
    await mkdir(join(dir, 'specs'), { recursive: true });
    await writeFile(join(dir, 'specs', 'viaspec.spec'), `unix://${join(dir, 'sockets', 'fakeplug.sock')}\n`);
    await writeFile(join(dir, 'specs', 'viajson.json'), JSON.stringify({ Name: 'viajson', Addr: 'tcp://127.0.0.1:9999' }));
    assert.deepEqual(await discoverPlugin('viaspec', paths), { socketPath: join(dir, 'sockets', 'fakeplug.sock') });
    assert.deepEqual(await discoverPlugin('viajson', paths), { host: '127.0.0.1', port: 9999 });
    await assert.rejects(discoverPlugin('nosuch', paths), /plugin "nosuch" not found/);
  });

  test('the client speaks the protocol: activate once, then VolumeDriver.* calls', async () => {
    calls.length = 0;
    const drv = new PluginVolumeDriver('viaspec', { paths: { socketDirs: [], specDirs: [join(dir, 'specs')] } });
    await drv.create('pv1', { size: '1g' });
    assert.equal(await drv.mount('pv1', 'c1'), join(dir, 'data', 'pv1'));
    assert.equal(await drv.path('pv1'), join(dir, 'data', 'pv1'));
    assert.deepEqual(await drv.get('pv1'), { Name: 'pv1', Mountpoint: join(dir, 'data', 'pv1'), Status: { opts: { size: '1g' } } });
    assert.equal(await drv.get('missing'), undefined);
    assert.deepEqual((await drv.list()).map((v) => v.Name), ['pv1']);
    assert.deepEqual(await drv.capabilities(), { Scope: 'local' });
    await drv.unmount('pv1', 'c1');
    await assert.rejects(drv.create('refused', {}), /VolumeDriver.Create: the fake refuses this name/);
    await drv.remove('pv1');
    assert.deepEqual(
      calls.map((c) => c.path),
      ['/Plugin.Activate', '/VolumeDriver.Create', '/VolumeDriver.Mount', '/VolumeDriver.Path', '/VolumeDriver.Get', '/VolumeDriver.Get', '/VolumeDriver.List', '/VolumeDriver.Capabilities', '/VolumeDriver.Unmount', '/VolumeDriver.Create', '/VolumeDriver.Remove'],
    );
    assert.deepEqual(calls[2]?.body, { Name: 'pv1', ID: 'c1' });
    assert.ok(calls.every((c) => c.accept === 'application/vnd.docker.plugins.v1.2+json'));
  });

  describe('through berthd and the docker CLI', () => {
    let d: TestDaemon;
    before(async () => {
      process.env.BERTH_PLUGIN_SOCKET_DIRS = join(dir, 'sockets');
      d = await startVolumeDaemon();
    });
    after(async () => {
      delete process.env.BERTH_PLUGIN_SOCKET_DIRS;
      try {
        if (d) assert.deepEqual(await removeEverything(d), []);
      } finally {
        await d?.stop();
      }
    });

    test('create -d fakeplug, run with it, inspect, rm: Create, Mount, Unmount, Remove reach the plugin', async () => {
      calls.length = 0;
      assert.equal(await dockerOk(d, ['volume', 'create', '-d', 'fakeplug', '-o', 'speed=fast', 'plugvol']), 'plugvol');
      const [v] = JSON.parse(await dockerOk(d, ['volume', 'inspect', 'plugvol'])) as Record<string, unknown>[];
      assert.equal(v?.Driver, 'fakeplug');
      assert.equal(v?.Mountpoint, join(dir, 'data', 'plugvol'));
      assert.deepEqual(v?.Status, { opts: { speed: 'fast' } });
      const r = await runToEnd(d, ['-v', 'plugvol:/p', 'busybox', 'sh', '-c', 'echo through-plugin > /p/f']);
      assert.equal(r.code, 0, r.logs);
      assert.equal(await readFile(join(dir, 'data', 'plugvol', 'f'), 'utf8'), 'through-plugin\n');
      await dockerOk(d, ['rm', r.id]);
      await dockerOk(d, ['volume', 'rm', 'plugvol']);
      const seen = calls.map((c) => c.path);
      for (const p of ['/Plugin.Activate', '/VolumeDriver.Create', '/VolumeDriver.Mount', '/VolumeDriver.Unmount', '/VolumeDriver.Remove']) assert.ok(seen.includes(p), `${p} in ${seen.join(' ')}`);
      const mount = calls.find((c) => c.path === '/VolumeDriver.Mount');
      assert.equal(mount?.body.ID, r.id);
      assert.ok(seen.indexOf('/VolumeDriver.Unmount') > seen.indexOf('/VolumeDriver.Mount'));
      assert.equal(volumes.has('plugvol'), false);
    });

    test('an unknown driver is an error that names it', async () => {
      const r = await docker(d, ['volume', 'create', '-d', 'nosuchplugin', 'x1']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /plugin "nosuchplugin" not found/);
    });
  });
});
