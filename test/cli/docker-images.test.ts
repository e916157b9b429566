// The same image flow through the real docker CLI 28 against berthd, compared with berth's output.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBusyboxFixture } from '../helpers/fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { runCli, type CliResult } from './helpers.js';

const DOCKER = '/usr/local/bin/docker';

describe('docker CLI 28 and berth agree on image commands', { skip: !existsSync(DOCKER) && 'docker CLI not installed' }, () => {
  let daemon: TestDaemon;
  let work: string;
  let tar: string;
  const docker = (args: string[], input?: string): Promise<CliResult> => runCli(args, { command: [DOCKER], env: daemon.dockerEnv(), input });
  const berth = (args: string[]): Promise<CliResult> => runCli(args, { host: daemon.host });
  const ok = async (p: Promise<CliResult>, what: string): Promise<string> => {
    const r = await p;
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    return r.stdout;
  };
  /**
   * Both CLIs, same arguments: identical stdout. Ages are masked (a second may tick between runs),
   * and with them the column padding they cause; images.test.ts checks the padding itself.
   */
  const same = async (args: string[]): Promise<string> => {
    const mask = (s: string) => s.replace(/(Less than a second|\d+ seconds?|About a minute) ago/g, 'AGO').replace(/ {3,}/g, '   ');
    const [d, b] = [await ok(docker(args), `docker ${args.join(' ')}`), await ok(berth(args), `berth ${args.join(' ')}`)];
    // docker prints the rows of one image in Go map order: compare the lines as sets.
    const sorted = (s: string) => mask(s).split('\n').sort().join('\n');
    assert.equal(sorted(b), sorted(d), `berth ${args.join(' ')}`);
    return d;
  };

  before(async () => {
    tar = ensureBusyboxFixture();
    daemon = await startTestDaemon();
    work = await mkdtemp(join(tmpdir(), 'berth-docker-cli-'));
  });
  after(async () => {
    await daemon?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('import, tag, list, inspect, history, save, rmi, load', async () => {
    const id = (await ok(docker(['import', '-m', 'via docker', tar, 'busybox:latest']), 'docker import')).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    await ok(docker(['tag', 'busybox', 'mirror/busybox:v1']), 'docker tag');
    await same(['images']);
    await same(['images', '--digests']);
    await same(['images', '-q']);
    await same(['images', '--no-trunc']);
    await same(['images', '--format', 'json']);
    await same(['images', '--format', 'table {{.Repository}}\\t{{.Size}}\\t{{.VirtualSize}}']);
    await same(['images', '-f', 'reference=mirror/*']);
    await same(['image', 'inspect', '-f', '{{.Id}} {{.Comment}} {{json .RepoTags}} {{.Os}}', 'busybox']);
    await same(['history', 'busybox']);
    await same(['history', '--no-trunc', 'busybox']);
    await same(['history', '--format', 'json', 'busybox']);

    // Archives written by berth load into docker's view and the other way round.
    const byBerth = join(work, 'berth.tar');
    await ok(berth(['save', '-o', byBerth, 'busybox']), 'berth save');
    const rmiDocker = await ok(docker(['rmi', 'busybox', 'mirror/busybox:v1']), 'docker rmi');
    assert.equal(rmiDocker, `Untagged: busybox:latest\nUntagged: mirror/busybox:v1\nDeleted: ${id}\n`);
    assert.equal(await ok(docker(['load', '-i', byBerth]), 'docker load'), 'Loaded image: busybox:latest\n');
    assert.equal((await ok(berth(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect')).trim(), id);
    const byDocker = join(work, 'docker.tar');
    await ok(docker(['save', '-o', byDocker, 'busybox']), 'docker save');
    assert.equal(await ok(berth(['rmi', 'busybox']), 'berth rmi'), `Untagged: busybox:latest\nDeleted: ${id}\n`);
    assert.equal(await ok(berth(['load', '-i', byDocker]), 'berth load'), 'Loaded image: busybox:latest\n');
    assert.equal((await ok(docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect')).trim(), id);
  });

  it('errors read the same', async () => {
    for (const args of [['image', 'inspect', 'nope'], ['rmi', 'nope'], ['images', '-f', 'bogus=1']]) {
      const [d, b] = [await docker(args), await berth(args)];
      assert.equal(b.code, d.code, args.join(' '));
      assert.equal(b.stderr, d.stderr, args.join(' '));
      assert.equal(b.stdout, d.stdout, args.join(' '));
    }
  });
});
