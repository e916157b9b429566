import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, docker, dockerOk, eventually } from './helpers.js';

let d: TestDaemon;
before(async () => {
  d = await containerDaemon();
});
after(() => d?.stop()); // removes every container first

test('docker run prints the output and exits with the container code', async () => {
  const hi = await docker(d, ['run', 'busybox', 'echo', 'hi']);
  assert.equal(hi.code, 0, hi.stderr);
  assert.equal(hi.stdout, 'hi\n');
  const three = await docker(d, ['run', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(three.code, 3);
});

test('stdout and stderr stay apart', async () => {
  const r = await docker(d, ['run', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('stdin is piped to the process and closed at EOF', async () => {
  assert.equal(await dockerOk(d, ['run', '-i', 'busybox', 'cat'], { input: 'hello\n' }), 'hello\n');
  const big = 'x'.repeat(200_000) + '\n';
  assert.equal((await dockerOk(d, ['run', '-i', 'busybox', 'wc', '-c'], { input: big })).trim(), String(big.length));
});

test('a command that cannot start exits 127 (not found) or 126 (not executable)', async () => {
  const missing = await docker(d, ['run', 'busybox', 'nosuchcmd']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found/);
  const notExec = await docker(d, ['run', 'busybox', '/etc/passwd']);
  assert.equal(notExec.code, 126);
  assert.match(notExec.stderr, /permission denied/);
});

test('docker run --rm removes the container', async () => {
  const r = await docker(d, ['run', '--rm', '--name', 'gone', 'busybox', 'echo', 'bye']);
  assert.equal(r.stdout, 'bye\n');
  const ps = await dockerOk(d, ['ps', '-a', '--filter', 'name=gone', '--format', '{{.Names}}']);
  assert.equal(ps.trim(), '');
});

test('docker stop delivers SIGTERM to a trapping process; kill -s delivers other signals', async () => {
  const script = 'trap "echo got TERM; exit 0" TERM; trap "echo got USR1" USR1; echo ready; while true; do sleep 0.1; done';
  await dockerOk(d, ['run', '-d', '--name', 'sig', 'busybox', 'sh', '-c', script]);
  await eventually('ready', async () => ((await dockerOk(d, ['logs', 'sig'])).includes('ready') ? true : undefined));
  await dockerOk(d, ['kill', '-s', 'USR1', 'sig']);
  await eventually('USR1 handled', async () => ((await dockerOk(d, ['logs', 'sig'])).includes('got USR1') ? true : undefined));
  await dockerOk(d, ['stop', 'sig']);
  assert.match(await dockerOk(d, ['logs', 'sig']), /got TERM/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.ExitCode}}', 'sig'])).trim(), '0');
});

test('docker start -a attaches to a stopped container and replays nothing twice', async () => {
  await dockerOk(d, ['create', '--name', 'again', 'busybox', 'echo', 'once']);
  assert.equal(await dockerOk(d, ['start', '-a', 'again']), 'once\n');
  assert.equal(await dockerOk(d, ['start', '-a', 'again']), 'once\n');
  assert.equal(await dockerOk(d, ['logs', 'again']), 'once\nonce\n');
});

test('logs: --tail, -t, --since/--until, stdout and stderr apart', async () => {
  await dockerOk(d, ['run', '--name', 'lg', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2']);
  const all = await docker(d, ['logs', 'lg']);
  assert.equal(all.stdout, 'line1\nline2\nline3\nline4\nline5\n');
  assert.equal(all.stderr, 'oops\n');
  assert.equal(await dockerOk(d, ['logs', '--tail', '2', 'lg']), 'line5\n');
  const tail3 = await docker(d, ['logs', '--tail', '3', 'lg']);
  assert.equal(tail3.stdout, 'line4\nline5\n');
  assert.equal(tail3.stderr, 'oops\n');
  // As Docker: a tail that is not a number, or is negative, means every line.
  for (const tail of ['abc', '-1', 'all']) assert.equal((await docker(d, ['logs', '--tail', tail, 'lg'])).stdout, all.stdout, `--tail ${tail}`);
  const stamped = (await dockerOk(d, ['logs', '-t', '--tail', '1', 'lg'])) + (await docker(d, ['logs', '-t', 'lg'])).stdout;
  for (const line of stamped.trim().split('\n')) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line\d$/);
  assert.equal((await dockerOk(d, ['logs', '--since', '1h', 'lg'])).split('\n').filter(Boolean).length, 5);
  assert.equal(await dockerOk(d, ['logs', '--until', '2000-01-01T00:00:00Z', 'lg']), '');
  assert.equal(await dockerOk(d, ['logs', '--since', '2999-01-01T00:00:00Z', 'lg']), '');
});

test('logs -f follows a running container and ends when it stops', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'lf', 'busybox', 'sh', '-c', 'echo first; sleep 1000']);
  const child = spawn('docker', ['logs', '-f', 'lf'], { env: d.dockerEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  try {
    await eventually('the follower to print the first line', async () => (out === 'first\n' ? true : undefined));
    assert.equal(child.exitCode, null, 'still following while the container runs');
    await dockerOk(d, ['stop', '-t', '1', 'lf']);
    assert.equal(await exited, 0);
    assert.equal(out, 'first\n');
  } finally {
    child.kill();
  }
});

test('logs -f sees lines written while following', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'lf2', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo n$i; sleep 0.2; done']);
  const r = await docker(d, ['logs', '-f', 'lf2']);
  assert.equal(r.stdout, 'n1\nn2\nn3\n');
});

test('--device maps a host device with its permissions on either runtime; a missing one is refused at create; --privileged gets the host devices', async () => {
  for (const runtime of ['crun', 'runc']) {
    const mapped = await dockerOk(d, ['run', '--rm', '--runtime', runtime, '--device', '/dev/null:/dev/mynull', 'busybox', 'sh', '-c', 'stat -c "%F %t,%T" /dev/mynull; echo x > /dev/mynull && echo wrote']);
    assert.equal(mapped, 'character special file 1,3\nwrote\n', runtime);
    // The permissions go to the device cgroup: opening for writing (`true >` writes nothing) is
    // allowed by the default rwm and refused by `:r`. /dev/kmsg, unlike /dev/null, is not
    // among the devices every container may use.
    const opened = await docker(d, ['run', '--rm', '--runtime', runtime, '--device', '/dev/kmsg:/dev/mykmsg', 'busybox', 'sh', '-c', '(true > /dev/mykmsg) && echo opened']);
    assert.equal(opened.stdout, 'opened\n', `${runtime}: ${opened.stderr}`);
    const readOnly = await docker(d, ['run', '--rm', '--runtime', runtime, '--device', '/dev/kmsg:/dev/mykmsg:r', 'busybox', 'sh', '-c', '(true > /dev/mykmsg) 2>/dev/null || echo refused']);
    assert.equal(readOnly.stdout, 'refused\n', `${runtime}: ${readOnly.stderr}`);
  }
  const before = (await dockerOk(d, ['ps', '-aq'])).trim();
  const missing = await docker(d, ['create', '--device', '/dev/berth-nope', 'busybox', 'true']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/berth-nope": no such file or directory/);
  assert.equal((await dockerOk(d, ['ps', '-aq'])).trim(), before);
  // /dev/kmsg is the host's, not one of the devices every container gets.
  assert.equal((await docker(d, ['run', '--rm', 'busybox', 'test', '-c', '/dev/kmsg'])).code, 1);
  assert.equal((await docker(d, ['run', '--rm', '--privileged', 'busybox', 'test', '-c', '/dev/kmsg'])).code, 0);
  // A directory brings every device under it, as Docker's (`--device /dev/snd`).
  assert.equal(await dockerOk(d, ['run', '--rm', '--device', '/dev/net:/dev/vnet', 'busybox', 'stat', '-c', '%F %t,%T', '/dev/vnet/tun']), 'character special file a,c8\n');
});
