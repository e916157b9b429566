import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers.js';
import { mustRun, runCommand, runInContainer, startDistributionRegistry, type ExternalRegistry } from './helpers.js';

let d: TestDaemon;
let berthRegistry: TestRegistry;
let distRegistry: ExternalRegistry;

before(async () => {
  d = await startTestDaemon();
  await importBusybox(d.client);
  berthRegistry = await startTestRegistry();
  distRegistry = await startDistributionRegistry();
});

after(async () => {
  await berthRegistry?.cleanup();
  await distRegistry?.stop();
  await d?.stop();
});

const docker = (...args: string[]) => mustRun('docker', args, d.dockerEnv());

for (const kind of ['berth registry', 'docker-registry'] as const) {
  describe(`docker CLI through berthd against ${kind}`, () => {
    const host = () => (kind === 'berth registry' ? berthRegistry.url.replace('http://', '') : distRegistry.host);

    test('push, rmi, pull and run', async () => {
      const name = `${host()}/team/bb:1`;
      await docker('tag', 'busybox', name);
      const pushed = await docker('push', name);
      assert.match(pushed, /The push refers to repository \[127\.0\.0\.1:\d+\/team\/bb\]/);
      assert.match(pushed, /: Pushed/);
      const digest = /1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(pushed)?.[1];
      assert.ok(digest, pushed);

      // Remove the image with every reference so the pull starts from nothing.
      await docker('rmi', name);
      const id = (await docker('image', 'inspect', '--format', '{{.Id}}', 'busybox')).trim();
      await docker('rmi', '-f', id);
      assert.equal((await docker('images', '-q')).trim(), '');
      const pulled = await docker('pull', name);
      assert.match(pulled, /1: Pulling from team\/bb/);
      assert.match(pulled, /Pull complete/);
      assert.match(pulled, new RegExp(`Digest: ${digest}`));
      assert.match(pulled, new RegExp(`Status: Downloaded newer image for ${name.replace(/\./g, '\\.')}`));

      const repoDigests = await docker('image', 'inspect', '--format', '{{json .RepoDigests}}', name);
      assert.ok(repoDigests.includes(`${host()}/team/bb@${digest}`), repoDigests);
      const out = await runInContainer(d.dockerEnv(), name, ['echo', 'pulled-and-running']);
      assert.match(out, /pulled-and-running/);

      const again = await docker('pull', name);
      assert.match(again, /Status: Image is up to date/);
      await docker('tag', name, 'busybox');
    });

    test('a second push skips blobs the registry has; another repository mounts them', async () => {
      const name = `${host()}/team/skip:1`;
      await docker('tag', 'busybox', name);
      await docker('push', name);
      const second = await docker('push', name);
      assert.match(second, /Layer already exists/);
      assert.doesNotMatch(second, /Pushed/);

      const other = `${host()}/other/mounted:1`;
      await docker('tag', 'busybox', other);
      const mounted = await docker('push', other);
      assert.match(mounted, /Mounted from (team\/skip|team\/bb)/);
    });

    test('unknown tag and unknown repository fail with clear errors', async () => {
      const tag = await runCommand('docker', ['pull', `${host()}/team/bb:nope`], d.dockerEnv());
      assert.notEqual(tag.code, 0);
      assert.match(tag.stderr, /manifest for 127\.0\.0\.1:\d+\/team\/bb:nope not found: manifest unknown/);
      const repo = await runCommand('docker', ['pull', `${host()}/nobody/here:1`], d.dockerEnv());
      assert.notEqual(repo.code, 0);
      assert.match(repo.stderr, /(manifest for|repository) 127\.0\.0\.1:\d+\/nobody\/here(:1)? not found/);
      const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
      assert.doesNotMatch(images, /nobody|:nope/);
    });
  });
}
