import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { registerDistributionCommands } from '../../src/cli/commands/distribution.js';
import type { Cli } from '../../src/cli/cli.js';
import { htpasswdLine } from '../../src/registry/auth/htpasswd.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers.js';

let d: TestDaemon;
let reg: TestRegistry;
let host: string;
let work: string;
const savedEnv = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };

/** A Cli over the test daemon that captures output and takes stdin from a string. */
function testCli(stdin = ''): Cli & { output(): string } {
  let out = '';
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => (out += c));
  return {
    host: d.host,
    client: d.client,
    stdout,
    stderr: new PassThrough(),
    stdin: Readable.from([Buffer.from(stdin)]),
    debug: false,
    color: false,
    out: (t: string) => void (out += t),
    err: () => undefined,
    close: () => undefined,
    output: () => out,
  };
}

async function berth(args: string[], stdin = ''): Promise<string> {
  const cli = testCli(stdin);
  const program = new Command().exitOverride();
  registerDistributionCommands(program, () => cli);
  await program.parseAsync(['node', 'berth', ...args]);
  return cli.output();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-dist-cli-'));
  await writeFile(join(work, 'htpasswd'), `${htpasswdLine('bob', 'pw1')}\n`);
  d = await startTestDaemon();
  await importBusybox(d.client);
  reg = await startTestRegistry({ htpasswd: join(work, 'htpasswd') });
  host = reg.url.replace('http://', '');
});

after(async () => {
  process.env.DOCKER_CONFIG = savedEnv.DOCKER_CONFIG;
  process.env.PATH = savedEnv.PATH;
  await reg?.cleanup();
  await d?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('berth login, push, pull, logout', () => {
  test('credentials in config.json auths', async () => {
    process.env.DOCKER_CONFIG = join(work, 'plain');
    await assert.rejects(berth(['login', host, '-u', 'bob', '--password-stdin'], 'nope'), /unauthorized/i);
    assert.match(await berth(['login', host, '-u', 'bob', '--password-stdin'], 'pw1\n'), /Login Succeeded/);
    const cfg = JSON.parse(await readFile(join(work, 'plain', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(cfg.auths[host]!.auth, 'base64').toString(), 'bob:pw1');

    await d.client.call('POST', '/images/busybox/tag', { query: { repo: `${host}/cli/bb`, tag: '1' } }).then((r) => r.resume());
    const pushed = await berth(['push', `${host}/cli/bb:1`]);
    assert.match(pushed, /The push refers to repository/);
    assert.match(pushed, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    const pulled = await berth(['pull', `${host}/cli/bb:1`]);
    assert.match(pulled, /Status: Image is up to date for 127\.0\.0\.1:\d+\/cli\/bb:1/);

    assert.match(await berth(['logout', host]), /Removing login credentials/);
    await assert.rejects(berth(['pull', `${host}/cli/bb:1`]), /pull access denied/);
  });

  test('credentials through a credential helper (credsStore)', async () => {
    const bin = join(work, 'bin');
    const store = join(work, 'helper-store.json');
    await mkdir(bin, { recursive: true });
    // A helper that keeps one secret in a JSON file: get/store/erase per the helper protocol.
    await writeFile(
      join(bin, 'docker-credential-testhelper'),
      `#!/bin/sh\nset -e\ncase "$1" in\n  store) cat > ${store} ;;\n  get) read server || true; [ -f ${store} ] || { echo "credentials not found in native keychain"; exit 1; }; cat ${store} ;;\n  erase) read server || true; rm -f ${store} ;;\nesac\n`,
    );
    await chmod(join(bin, 'docker-credential-testhelper'), 0o755);
    process.env.PATH = `${bin}:${savedEnv.PATH}`;
    process.env.DOCKER_CONFIG = join(work, 'helper');
    await mkdir(join(work, 'helper'), { recursive: true });
    await writeFile(join(work, 'helper', 'config.json'), JSON.stringify({ credsStore: 'testhelper' }));

    assert.match(await berth(['login', host, '-u', 'bob', '--password-stdin'], 'pw1'), /Login Succeeded/);
    const kept = JSON.parse(await readFile(store, 'utf8')) as { ServerURL: string; Username: string; Secret: string };
    assert.deepEqual(kept, { ServerURL: host, Username: 'bob', Secret: 'pw1' });
    const cfg = await readFile(join(work, 'helper', 'config.json'), 'utf8');
    assert.doesNotMatch(cfg, /pw1/);
    assert.match(await berth(['pull', `${host}/cli/bb:1`]), /Pulling from cli\/bb/);
    assert.match(await berth(['logout', host]), /Removing login credentials/);
    await assert.rejects(readFile(store));
  });

  test('search a registry catalog', async () => {
    process.env.DOCKER_CONFIG = join(work, 'search');
    await berth(['login', host, '-u', 'bob', '--password-stdin'], 'pw1');
    const out = await berth(['search', `${host}/cli`]);
    assert.match(out, /^NAME/);
    assert.match(out, new RegExp(`${host.replace(/\./g, '\\.')}/cli/bb`));
  });
});
