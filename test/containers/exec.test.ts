import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, docker, dockerOk, eventually } from './helpers.js';

let d: TestDaemon;
before(async () => {
  d = await containerDaemon();
  await dockerOk(d, ['run', '-d', '--name', 'ec', 'busybox', 'sleep', '1000']);
});
after(() => d?.stop()); // removes every container first

test('exec runs commands with user, workdir and env', async () => {
  assert.equal(await dockerOk(d, ['exec', 'ec', 'echo', 'hi']), 'hi\n');
  assert.equal(await dockerOk(d, ['exec', '-u', 'user', 'ec', 'id', '-u']), '1000\n');
  assert.equal(await dockerOk(d, ['exec', '-w', '/tmp', 'ec', 'pwd']), '/tmp\n');
  assert.equal(await dockerOk(d, ['exec', '-e', 'A=B', 'ec', 'sh', '-c', 'echo $A']), 'B\n');
  assert.equal(await dockerOk(d, ['exec', '-i', 'ec', 'cat'], { input: 'piped\n' }), 'piped\n');
  const split = await docker(d, ['exec', 'ec', 'sh', '-c', 'echo out; echo err >&2']);
  assert.deepEqual([split.stdout, split.stderr], ['out\n', 'err\n']);
});

test('exec exit codes: the command, 127 not found, 126 not executable', async () => {
  assert.equal((await docker(d, ['exec', 'ec', 'sh', '-c', 'exit 5'])).code, 5);
  const missing = await docker(d, ['exec', 'ec', 'nosuchcmd']);
  assert.equal(missing.code, 127);
  assert.match(missing.stdout + missing.stderr, /executable file not found/);
  assert.equal((await docker(d, ['exec', 'ec', '/etc/passwd'])).code, 126);
});

test('exec -d runs in the background; inspect shows the exec', async () => {
  await dockerOk(d, ['exec', '-d', 'ec', 'sh', '-c', 'echo bg > /tmp/bg']);
  const created = await d.client.json<{ Id: string }>('POST', '/containers/ec/exec', { body: { Cmd: ['true'], AttachStdout: false } });
  const before = await d.client.json<{ Running: boolean; ExitCode: number | null; ContainerID: string; ProcessConfig: { entrypoint: string } }>('GET', `/exec/${created.Id}/json`);
  assert.equal(before.Running, false);
  assert.equal(before.ProcessConfig.entrypoint, 'true');
  const start = await d.client.call('POST', `/exec/${created.Id}/start`, { body: { Detach: true } });
  start.resume();
  assert.equal(start.statusCode, 200);
  for (;;) {
    const info = await d.client.json<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${created.Id}/json`);
    if (!info.Running && info.ExitCode !== null) {
      assert.equal(info.ExitCode, 0);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await dockerOk(d, ['exec', 'ec', 'cat', '/tmp/bg']), 'bg\n');
});

test('exec into a stopped or paused container is refused', async () => {
  await dockerOk(d, ['pause', 'ec']);
  try {
    const paused = await docker(d, ['exec', 'ec', 'true']);
    assert.notEqual(paused.code, 0);
    assert.match(paused.stderr, /Container ec is paused, unpause the container before exec/, 'named as the client named it');
  } finally {
    await dockerOk(d, ['unpause', 'ec']);
  }
  await dockerOk(d, ['create', '--name', 'stopped', 'busybox', 'true']);
  const r = await docker(d, ['exec', 'stopped', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /is not running/);
});

/** How many sockets berthd holds open. */
const socketsOfBerthd = async () => (await d.openFiles()).filter((t) => t.startsWith('socket:')).length;

test('finished execs and health probes leave no socket behind in berthd', async () => {
  const before = await socketsOfBerthd();
  for (let i = 0; i < 10; i++) assert.equal(await dockerOk(d, ['exec', 'ec', 'echo', String(i)]), `${i}\n`);
  await dockerOk(d, ['run', '-d', '--name', 'probed', '--health-cmd', 'echo x >> /tmp/probes', '--health-interval', '100ms', 'busybox', 'sleep', '1000']);
  const probes = async () => Number((await docker(d, ['exec', 'probed', 'cat', '/tmp/probes'])).stdout.split('\n').length - 1);
  await eventually('ten health probes', async () => ((await probes()) >= 10 ? true : undefined));
  await dockerOk(d, ['rm', '-f', 'probed']);
  // Each session's attach socket is let go when conmon hangs up; the CLI's connections close too.
  await eventually('berthd to hold no more sockets than before', async () => ((await socketsOfBerthd()) <= before ? true : undefined), 5000).catch(async () =>
    assert.fail(`berthd holds ${await socketsOfBerthd()} sockets, ${before} before the execs`),
  );
});
