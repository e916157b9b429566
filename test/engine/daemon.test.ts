import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { entryCommand } from '../helpers/paths.js';

/** Runs berthd in the foreground and returns its exit code and stderr. */
function runDaemon(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const [cmd, ...rest] = entryCommand('daemon');
  return new Promise((resolve) => {
    const p = spawn(cmd!, [...rest, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('berthd process', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon();
  });
  after(() => d.stop());

  test('the unix socket is created with mode 0660', () => {
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);
  });

  test('a second instance on the same data root is refused with a clear error', async () => {
    const other = join(d.root, 'other.sock');
    const r = await runDaemon(['-H', `unix://${other}`, '--data-root', d.dataRoot, '--exec-root', join(d.root, 'exec2'), '--config-file', join(d.root, 'daemon.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data root .* is in use by another berthd \(pid \d+\)/);
    // the first instance keeps serving
    const res = await d.client.request('GET', '/_ping');
    res.resume();
    assert.equal(res.statusCode, 200);
  });

  test('the directories that get one per container, snapshot or build step spread them over the disk (ext4: chattr +T)', (t) => {
    const fsType = execFileSync('stat', ['-f', '-c', '%T', d.dataRoot], { encoding: 'utf8' }).trim();
    if (fsType !== 'ext2/ext3') return t.skip(`the data root is on ${fsType}, which has no TOPDIR flag`);
    const runtimeRoots = join(d.execRoot, 'runtime/runtime');
    const dirs = [
      join(d.dataRoot, 'containers'),
      join(d.dataRoot, 'snapshots'),
      join(d.dataRoot, 'tmp'),
      join(d.execRoot, 'rootfs'),
      join(d.execRoot, 'bundles'),
      join(d.execRoot, 'runtime/persist'),
      ...readdirSync(runtimeRoots).map((name) => join(runtimeRoots, name)),
    ];
    for (const dir of dirs) assert.match(execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }), /^\S*T\S* /, dir);
  });

  test('a second instance with its own roots runs side by side', async () => {
    const second = await startTestDaemon();
    try {
      const v = await second.client.get<{ ApiVersion: string }>('/version');
      assert.equal(v.ApiVersion, '1.45');
    } finally {
      await second.stop();
    }
  });
});

test('SIGTERM shuts down cleanly and removes the socket; the lock is released', async () => {
  const d = await startTestDaemon();
  try {
    const p = d.process;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(d.socket), false);
    await d.restart();
    const res = await d.client.request('GET', '/_ping');
    res.resume();
    assert.equal(res.statusCode, 200);
  } finally {
    await d.stop();
  }
});

test('kill -9 releases the lock: the next start on the same roots works', async () => {
  const d = await startTestDaemon();
  try {
    await d.kill9();
    await d.restart();
    const info = await d.client.get<{ DockerRootDir: string }>('/info');
    assert.equal(info.DockerRootDir, d.dataRoot);
  } finally {
    await d.stop();
  }
});

describe('configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('daemon.json is read and flags win over it', async () => {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'data-root': join(dir, 'from-file'), 'log-driver': 'local' }));
    const d = await startTestDaemon({ extraArgs: ['--config-file', cfg] });
    try {
      const info = await d.client.get<{ DockerRootDir: string; LoggingDriver: string }>('/info');
      // the harness passes --data-root, which wins; log-driver comes from the file
      assert.equal(info.DockerRootDir, d.dataRoot);
      assert.equal(info.LoggingDriver, 'local');
    } finally {
      await d.stop();
    }
  });

  test('an unknown key in daemon.json is a clear error', async () => {
    const cfg = join(dir, 'bad.json');
    await writeFile(cfg, JSON.stringify({ 'no-such-option': true }));
    const r = await runDaemon(['--config-file', cfg, '--data-root', join(dir, 'd1'), '--exec-root', join(dir, 'e1'), '-H', `unix://${join(dir, 's1.sock')}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown option "no-such-option"/);
  });

  test('malformed daemon.json is a clear error', async () => {
    const cfg = join(dir, 'malformed.json');
    await writeFile(cfg, '{ "log-level": ');
    const r = await runDaemon(['--config-file', cfg, '--data-root', join(dir, 'd2'), '--exec-root', join(dir, 'e2'), '-H', `unix://${join(dir, 's2.sock')}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not valid JSON/);
  });

  test('tcp:// without TLS is refused unless the insecure opt-in is given', async () => {
    await writeFile(join(dir, 'none.json'), '{}');
    const r = await runDaemon(['--config-file', join(dir, 'none.json'), '--data-root', join(dir, 'd3'), '--exec-root', join(dir, 'e3'), '-H', 'tcp://127.0.0.1:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:0 without TLS/);
    assert.equal(existsSync(join(dir, 'd3')), false, 'a refused start creates nothing');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const d = await startTestDaemon({ extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--allow-insecure-tcp-without-tls'] });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/_ping`);
      assert.equal(await res.text(), 'OK');
      assert.match(d.logs(), /WITHOUT TLS/);
    } finally {
      await d.stop();
    }
  });
});

describe('tcp with mutual TLS', () => {
  let dir: string;
  let d: TestDaemon;
  let port: number;
  const pem = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth test CA');
    for (const who of ['server', 'client', 'rogue']) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'localhost' : who}`);
    }
    await writeFile(pem('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'client.pem', '-days', '1');
    ssl('x509', '-req', '-in', 'rogue.csr', '-signkey', 'rogue-key.pem', '-out', 'rogue.pem', '-days', '1');
    port = 20000 + Math.floor(Math.random() * 20000);
    d = await startTestDaemon({
      extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('server.pem'), '--tlskey', pem('server-key.pem')],
    });
  });
  after(async () => {
    await d?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (cert: string, key: string) =>
    new Promise<number>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: '/_ping', ca: readFileSync(pem('ca.pem')), cert: readFileSync(pem(cert)), key: readFileSync(pem(key)) },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });

  test('a client certificate signed by the CA is accepted', async () => {
    assert.equal(await get('client.pem', 'client-key.pem'), 200);
  });

  test('a certificate from another CA is refused at the handshake', async () => {
    await assert.rejects(get('rogue.pem', 'rogue-key.pem'));
  });

  test('the docker CLI connects with --tlsverify', () => {
    const out = execFileSync('docker', ['--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('client.pem'), '--tlskey', pem('client-key.pem'), '-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.APIVersion}}'], {
      env: { ...process.env, DOCKER_CONFIG: dir },
    }).toString();
    assert.equal(out.trim(), '1.45');
  });
});
