import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers.js';
import { mustRun, runCommand, sha256Hex, startCuttingProxy, startLyingRegistry } from './helpers.js';

let d: TestDaemon;
let reg: TestRegistry;
let host: string;

before(async () => {
  d = await startTestDaemon();
  await importBusybox(d.client);
  reg = await startTestRegistry();
  host = reg.url.replace('http://', '');
});

after(async () => {
  await reg?.cleanup();
  await d?.stop();
});

const docker = (...args: string[]) => mustRun('docker', args, d.dockerEnv());
const blobsDir = () => join(d.dataRoot, 'content/blobs/sha256');

describe('pull failures and recovery', () => {
  test('a blob download cut in the middle is resumed and verifies', async () => {
    const name = `${host}/resume/bb:1`;
    await docker('tag', 'busybox', name);
    const pushed = await docker('push', name);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed)![1]!;
    const manifest = JSON.parse(await readFile(join(blobsDir(), digest.slice(7)), 'utf8')) as { layers: { digest: string; size: number }[] };
    const layer = manifest.layers[0]!;
    assert.ok(layer.size > 1_000_000, 'the layer must be large enough to be cut in the middle');
    const id = (await docker('image', 'inspect', '--format', '{{.Id}}', 'busybox')).trim();
    await docker('rmi', '-f', id);
    assert.deepEqual(await readdir(blobsDir()), []);

    const proxy = await startCuttingProxy({ host: '127.0.0.1', port: reg.reg.port }, Math.floor(layer.size / 2));
    try {
      const viaProxy = `${proxy.host}/resume/bb:1`;
      const out = await docker('pull', viaProxy);
      assert.equal(proxy.cuts(), 1, 'the proxy cut one connection');
      assert.match(out, /Pull complete/);
      const stored = await readFile(join(blobsDir(), layer.digest.slice(7)));
      assert.equal(stored.length, layer.size);
      assert.equal(`sha256:${sha256Hex(stored)}`, layer.digest);
      assert.match(d.logs(), /blob download interrupted; resuming/);
      await docker('tag', viaProxy, 'busybox');
      await docker('rmi', viaProxy);
    } finally {
      await proxy.close();
    }
  });

  test('a registry serving wrong bytes: the pull fails and nothing is stored', async () => {
    const before = (await readdir(blobsDir())).sort();
    const snapshotsBefore = (await readdir(join(d.dataRoot, 'snapshots'))).sort();
    const liar = await startLyingRegistry();
    try {
      const r = await runCommand('docker', ['pull', `${liar.host}/evil/app`], d.dockerEnv());
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, new RegExp(`failed to pull layer ${liar.layerDigest}: digest mismatch: expected ${liar.layerDigest}`));
      assert.deepEqual((await readdir(blobsDir())).sort(), before);
      const images = await docker('images', '--format', '{{.Repository}}');
      assert.doesNotMatch(images, /evil/);
      assert.deepEqual(await readdir(join(d.dataRoot, 'content/ingest')), []);
      assert.deepEqual((await readdir(join(d.dataRoot, 'snapshots'))).sort(), snapshotsBefore, 'the unpacked layer is not kept');
    } finally {
      await liar.close();
    }
  });

  test('an unknown repository with no registry behind it fails before streaming', async () => {
    const r = await runCommand('docker', ['pull', '127.0.0.1:1/nothing/here:1'], d.dockerEnv());
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: .*127\.0\.0\.1:1.*(ECONNREFUSED|connection refused)/);
  });

  test('search lists matching repositories from a registry catalog', async () => {
    const found = await d.client.get<{ name: string }[]>('/images/search', { term: `${host}/resume` });
    assert.deepEqual(found.map((f) => f.name), [`${host}/resume/bb`]);
    const hub = await runCommand('docker', ['search', 'busybox'], d.dockerEnv());
    assert.notEqual(hub.code, 0);
    assert.match(hub.stderr, /searching Docker Hub is not supported/);
  });
});
