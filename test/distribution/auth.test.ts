import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { htpasswdLine } from '../../src/registry/auth/htpasswd.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers.js';
import { mustRun, runCommand } from './helpers.js';

let d: TestDaemon;
let work: string;
let htpasswd: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-dist-auth-'));
  htpasswd = join(work, 'htpasswd');
  await writeFile(htpasswd, `${htpasswdLine('alice', 's3cret')}\n`);
  d = await startTestDaemon();
  await importBusybox(d.client);
});

after(async () => {
  await d?.stop();
  await rm(work, { recursive: true, force: true });
});

const docker = (...args: string[]) => runCommand('docker', args, d.dockerEnv());
const login = (host: string, password: string) => runCommand('docker', ['login', host, '-u', 'alice', '--password-stdin'], d.dockerEnv(), password);

for (const mode of ['basic', 'token'] as const) {
  describe(`registry with ${mode} auth`, () => {
    let reg: TestRegistry;
    let host: string;
    before(async () => {
      reg = await startTestRegistry(mode === 'basic' ? { htpasswd } : { htpasswd, token: {} });
      host = reg.url.replace('http://', '');
    });
    after(async () => {
      await docker('logout', host);
      await reg?.cleanup();
    });

    test('push without login is refused', async () => {
      const name = `${host}/private/bb:1`;
      await mustRun('docker', ['tag', 'busybox', name], d.dockerEnv());
      const r = await docker('push', name);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unauthorized|authentication required/i);
    });

    test('a wrong password is refused with an unauthorized error', async () => {
      const r = await login(host, 'wrong');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unauthorized/i);
    });

    test('login, push, pull; after logout pull access is denied', async () => {
      const ok = await login(host, 's3cret');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Login Succeeded/);
      const config = JSON.parse(await readFile(join(d.root, 'docker-config', 'config.json'), 'utf8')) as { auths: Record<string, { auth?: string }> };
      assert.equal(Buffer.from(config.auths[host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');

      const name = `${host}/private/bb:1`;
      const pushed = await docker('push', name);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, /1: digest: sha256:/);
      await mustRun('docker', ['rmi', name], d.dockerEnv());
      const pulled = await docker('pull', name);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.match(pulled.stdout, /Status: (Downloaded newer image|Image is up to date) for /);

      await mustRun('docker', ['logout', host], d.dockerEnv());
      await mustRun('docker', ['rmi', name], d.dockerEnv());
      const denied = await docker('pull', name);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /pull access denied for 127\.0\.0\.1:\d+\/private\/bb, repository does not exist or may require 'docker login'/);
    });
  });
}
