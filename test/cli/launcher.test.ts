/**
 * bin/berth as users run it: the bundle in dist/cli (scripts/bundle-cli.mjs), run through V8's
 * code cache, behind a launcher that keeps NODE_EXTRA_CA_CERTS from Node's startup and hands it
 * to the CLI's TLS client.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BERTH_VERSION } from '../../src/api/version.js';
import { startDaemonWithBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from './helpers.js';

const berth = [join(repoRoot, 'bin/berth')];

describe('bin/berth', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemonWithBusybox();
  });
  after(async () => {
    await d?.stop();
  });

  it('runs a container through the bundle and exits with its code', async () => {
    const hello = await runCli(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello'], { host: d.host, command: berth });
    assert.equal(hello.stderr, '');
    assert.equal(hello.stdout, 'hello\n');
    assert.equal(hello.code, 0);
    const three = await runCli(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3'], { host: d.host, command: berth });
    assert.equal(three.code, 3);
  });

  it('runs through a symlink to it and through a symlinked directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-launcher-links-'));
    try {
      await symlink(join(repoRoot, 'bin/berth'), join(dir, 'berth'));
      await symlink(join(repoRoot, 'bin'), join(dir, 'bin'));
      for (const command of [join(dir, 'berth'), join(dir, 'bin/berth')]) {
        const r = await runCli(['--version'], { host: d.host, command: [command] });
        assert.equal(r.stdout, `berth version ${BERTH_VERSION}\n`, `${command}: ${r.stderr}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a lazily imported command group', async () => {
    const r = await runCli(['compose', 'version'], { host: d.host, command: berth });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^berth compose version \d/);
  });

  it('hands NODE_EXTRA_CA_CERTS to the CLI past Node\'s startup and back to the programs it starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-launcher-'));
    try {
      // A credential helper that records what it was given (berth pull asks it for the registry's login).
      const seen = join(dir, 'seen');
      await writeFile(join(dir, 'docker-credential-record'), `#!/bin/sh\nprintf '%s %s' "$NODE_EXTRA_CA_CERTS" "$BERTH_EXTRA_CA_CERTS" > ${seen}\necho '{"Username":"u","Secret":"p"}'\n`);
      await chmod(join(dir, 'docker-credential-record'), 0o755);
      await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'record' }));
      await runCli(['pull', '127.0.0.1:1/nothing:here'], {
        host: d.host,
        command: berth,
        env: { PATH: `${dir}:${process.env.PATH}`, DOCKER_CONFIG: dir, NODE_EXTRA_CA_CERTS: '/etc/hostname' },
      });
      // Handed over (so Node did not parse it at startup), then given back.
      assert.equal(await readFile(seen, 'utf8'), '/etc/hostname /etc/hostname');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/berth verifying a daemon with a CA from NODE_EXTRA_CA_CERTS', () => {
  let dir: string;
  let d: TestDaemon;
  let host: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-extra-ca-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth extra CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=localhost');
    await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
    const port = await freePort();
    host = `tcp://127.0.0.1:${port}`;
    // Server-side TLS only: the client verifies the daemon, the daemon asks for no certificate.
    d = await startTestDaemon({ extraArgs: ['-H', host, '--tls', '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')] });
  });
  after(async () => {
    await d?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const info = (extraCa: string | undefined) =>
    runCli(['info', '--format', '{{.ServerVersion}}'], {
      host,
      command: berth,
      env: { BERTH_TLS_VERIFY: '1', BERTH_CERT_PATH: '', NODE_EXTRA_CA_CERTS: extraCa },
    });

  it('trusts the daemon signed by that CA', async () => {
    const r = await info(join(dir, 'ca.pem'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), BERTH_VERSION);
  });

  it('refuses it without the CA', async () => {
    const r = await info(undefined);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /certificate/i);
  });
});

describe('the code cache bin/berth runs the CLI through', () => {
  // A copy of the bundle and its launcher, so that the caches written here are the test's own.
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-code-cache-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshCopy(name: string): Promise<string> {
    const copy = join(dir, name);
    await mkdir(copy);
    for (const f of ['launch.cjs', 'berth.cjs']) await copyFile(join(repoRoot, 'dist/cli', f), join(copy, f));
    return copy;
  }
  async function version(copy: string, nodeOptions = ''): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [join(copy, 'launch.cjs'), '--version'], { env: { ...process.env, NODE_OPTIONS: nodeOptions } });
    return stdout;
  }
  const caches = async (copy: string) => (await readdir(copy)).filter((f) => f.endsWith('.cache')).sort();
  /** A cache's content and mtime: a cache V8 turns down is written again. */
  const snapshot = async (file: string) => ({ data: await readFile(file), mtime: (await stat(file)).mtimeMs });

  it('is written by the first run and used, not rewritten, by the next', async () => {
    const copy = await freshCopy('first');
    assert.deepEqual(await caches(copy), []);
    assert.equal(await version(copy), `berth version ${BERTH_VERSION}\n`);
    const [cache] = await caches(copy);
    assert.ok(cache, 'a cache was written');
    const written = await snapshot(join(copy, cache));
    assert.ok(written.data.length > 10_000);
    assert.equal(await version(copy), `berth version ${BERTH_VERSION}\n`);
    assert.deepEqual(await snapshot(join(copy, cache)), written);
    assert.deepEqual(await caches(copy), [cache], 'no partial file left behind');
  });

  it('keeps a cache per set of node flags, so that they do not turn each other\'s down', async () => {
    const copy = await freshCopy('flags');
    await version(copy);
    const [plain] = await caches(copy);
    const before = await snapshot(join(copy, plain!));
    await version(copy, '--max-semi-space-size=8');
    assert.equal((await caches(copy)).length, 2);
    await version(copy);
    assert.deepEqual(await snapshot(join(copy, plain!)), before);
  });

  it('replaces a cache V8 turns down, and the command still runs', async () => {
    const copy = await freshCopy('garbage');
    await version(copy);
    const [cache] = await caches(copy);
    const file = join(copy, cache!);
    await writeFile(file, Buffer.alloc((await stat(file)).size, 0x5a));
    assert.equal(await version(copy), `berth version ${BERTH_VERSION}\n`);
    const replaced = await snapshot(file);
    assert.notEqual(replaced.data[0], 0x5a);
    await version(copy);
    assert.deepEqual(await snapshot(file), replaced, 'the new cache is used');
  });

  it('runs without a cache where it cannot write one', async () => {
    const copy = await freshCopy('read-only');
    execFileSync('mount', ['--bind', copy, copy]);
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', copy]);
      assert.equal(await version(copy), `berth version ${BERTH_VERSION}\n`);
      assert.deepEqual(await readdir(copy), ['berth.cjs', 'launch.cjs']);
    } finally {
      execFileSync('umount', [copy]);
    }
  });
});
