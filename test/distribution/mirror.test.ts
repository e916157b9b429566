import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseChallenge } from '../../src/registry/client/auth.js';
import { endpointsFor, isInsecure, registryHost } from '../../src/registry/client/endpoints.js';
import { pickManifest } from '../../src/engine/distribution/platform.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers.js';
import { mustRun } from './helpers.js';

describe('registry client pieces', () => {
  test('WWW-Authenticate challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
  });

  test('loopback and configured registries are insecure; others use TLS', () => {
    const settings = { insecureRegistries: ['reg.internal:5000', '10.1.0.0/16'], registryMirrors: ['http://127.0.0.1:9/'] };
    assert.ok(isInsecure('127.0.0.1:5000', settings));
    assert.ok(isInsecure('[::1]:5000', settings));
    assert.ok(isInsecure('localhost:5000', settings));
    assert.ok(isInsecure('reg.internal:5000', settings));
    assert.ok(isInsecure('10.1.2.3:443', settings));
    assert.ok(!isInsecure('10.2.0.1:443', settings));
    assert.ok(!isInsecure('registry.example.com', settings));
    assert.deepEqual(endpointsFor('127.0.0.1:5000', settings, 'pull').map((e) => e.base.href), ['https://127.0.0.1:5000/', 'http://127.0.0.1:5000/']);
    assert.deepEqual(endpointsFor('registry.example.com', settings, 'pull').map((e) => e.base.href), ['https://registry.example.com/']);
    assert.deepEqual(endpointsFor('docker.io', settings, 'pull').map((e) => e.base.href), ['http://127.0.0.1:9/', 'https://registry-1.docker.io/']);
    assert.deepEqual(endpointsFor('docker.io', settings, 'push').map((e) => e.base.href), ['https://registry-1.docker.io/']);
    assert.equal(registryHost('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryHost('http://127.0.0.1:5000'), '127.0.0.1:5000');
  });

  test('platform selection skips attestation entries and honours arm64 variants', () => {
    const d = (digest: string, platform: { os: string; architecture: string; variant?: string }) => ({ mediaType: 'm', digest: `sha256:${digest.repeat(64)}` as `sha256:${string}`, size: 1, platform });
    const entries = [d('a', { os: 'unknown', architecture: 'unknown' }), d('b', { os: 'linux', architecture: 'arm64', variant: 'v8' }), d('c', { os: 'linux', architecture: 'amd64' })];
    assert.equal(pickManifest(entries, { os: 'linux', architecture: 'amd64' })?.digest, entries[2]!.digest);
    assert.equal(pickManifest(entries, { os: 'linux', architecture: 'arm64' })?.digest, entries[1]!.digest);
    assert.equal(pickManifest(entries, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, entries[1]!.digest);
    assert.equal(pickManifest(entries, { os: 'linux', architecture: 's390x' }), undefined);
  });
});

describe('registry mirrors', () => {
  let reg: TestRegistry;
  let pusher: TestDaemon;
  let puller: TestDaemon;
  before(async () => {
    reg = await startTestRegistry();
    pusher = await startTestDaemon();
    puller = await startTestDaemon({ extraArgs: ['--registry-mirror', reg.url] });
  });
  after(async () => {
    await puller?.stop();
    await pusher?.stop();
    await reg?.cleanup();
  });

  test('docker.io pulls go to the mirror', async () => {
    await importBusybox(pusher.client);
    const host = reg.url.replace('http://', '');
    await mustRun('docker', ['tag', 'busybox', `${host}/library/busybox:latest`], pusher.dockerEnv());
    await mustRun('docker', ['push', `${host}/library/busybox:latest`], pusher.dockerEnv());
    const out = await mustRun('docker', ['pull', 'busybox'], puller.dockerEnv());
    assert.match(out, /latest: Pulling from library\/busybox/);
    assert.match(out, /Status: Downloaded newer image for busybox:latest/);
    assert.match(await mustRun('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', 'busybox'], puller.dockerEnv()), /"busybox@sha256:[a-f0-9]{64}"/);
  });
});
