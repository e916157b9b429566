import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { cleanup, docker, dockerOk, eventually, opsDaemon } from './helpers.js';

let d: TestDaemon;
/**
 * `--until 0s` is sent by the CLI as whole seconds (as Docker's is), which leaves out events
 * of the current second; a fractional Unix time bounds the range at "now" exactly.
 */
const now = () => (Date.now() / 1000).toFixed(9);
before(async () => {
  d = await opsDaemon();
});
after(() => cleanup(d));

test('a health check turns healthy, then unhealthy once its file is gone', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '1', 'busybox', 'sh', '-c', 'touch /tmp/ok; exec sleep 600']);
  const status = async () => (await dockerOk(d, ['inspect', '-f', '{{.State.Health.Status}}', 'hc'])).trim();
  await eventually('healthy', async () => ((await status()) === 'healthy' ? true : undefined));
  assert.match(await dockerOk(d, ['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']), /^hc Up .*\(healthy\)$/m);
  await dockerOk(d, ['exec', 'hc', 'rm', '/tmp/ok']);
  await eventually('unhealthy', async () => ((await status()) === 'unhealthy' ? true : undefined));
  const health = JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .State.Health}}', 'hc'])) as { FailingStreak: number; Log: { ExitCode: number }[] };
  assert.ok(health.FailingStreak >= 1);
  assert.ok(health.Log.length <= 5);
  assert.equal(health.Log.at(-1)!.ExitCode, 1);
  const events = await dockerOk(d, ['events', '--since', '5m', '--until', now(), '--filter', 'container=hc', '--filter', 'event=health_status', '--format', '{{.Action}}']);
  assert.deepEqual(events.trim().split('\n'), ['health_status: healthy', 'health_status: unhealthy']);
});

test('probes go on after unhealthy with the streak counting, and leave nothing behind each', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'hcfast', '--health-cmd', 'false', '--health-interval', '100ms', '--health-retries', '2', 'busybox', 'sleep', '600']);
  type Health = { Status: string; FailingStreak: number; Log: unknown[] };
  const health = await eventually('12 failed probes', async () => {
    const h = JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .State.Health}}', 'hcfast'])) as Health;
    return h.FailingStreak >= 12 ? h : undefined;
  });
  assert.equal(health.Status, 'unhealthy');
  assert.equal(health.Log.length, 5);
  // Each probe once added a listener to the monitor's abort signal and never took it off.
  assert.doesNotMatch(d.logs(), /MaxListenersExceededWarning/);
  await dockerOk(d, ['rm', '-f', 'hcfast']);
});

test('--no-healthcheck disables an image health check; no Health state appears', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'nohc', '--no-healthcheck', 'busybox', 'sleep', '600']);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{json .State.Health}}', 'nohc'])).trim(), 'null');
});

test('docker events filters by container and event over a closed time range', async () => {
  await dockerOk(d, ['run', '--name', 'ev1', 'busybox', 'true']);
  await dockerOk(d, ['run', '--name', 'ev2', 'busybox', 'true']);
  const out = await dockerOk(d, ['events', '--since', '5m', '--until', now(), '--filter', 'container=ev1', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  const lines = out.trim().split('\n');
  assert.ok(lines.includes('container create ev1'), out);
  assert.ok(lines.includes('container start ev1'), out);
  assert.ok(lines.includes('container die ev1'), out);
  assert.ok(lines.every((l) => l.endsWith(' ev1')), out);
  const starts = await dockerOk(d, ['events', '--since', '5m', '--until', now(), '--filter', 'event=start', '--filter', 'container=ev2', '--format', '{{json .}}']);
  const msg = JSON.parse(starts.trim()) as { status: string; id: string; from: string; Type: string; Action: string; timeNano: number };
  assert.equal(msg.status, 'start');
  assert.equal(msg.from, 'busybox');
  assert.equal(msg.Action, 'start');
  assert.match(msg.id, /^[0-9a-f]{64}$/);
  const bad = await docker(d, ['events', '--since', '1m', '--until', now(), '--filter', 'colour=red']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid filter 'colour'/);
});

test("a container's events as Docker records them: attach, kill with the signal's number, cp and export", async () => {
  const since = now();
  await dockerOk(d, ['run', '--name', 'evseq', 'busybox', 'true']);
  await dockerOk(d, ['start', 'evseq']);
  await dockerOk(d, ['cp', '/etc/hostname', 'evseq:/tmp/']);
  await dockerOk(d, ['cp', 'evseq:/tmp/hostname', '-']);
  await dockerOk(d, ['export', '-o', join(d.root, 'evseq.tar'), 'evseq']);
  await dockerOk(d, ['run', '-d', '--name', 'evkill', 'busybox', 'sh', '-c', 'trap "" TERM; sleep 600']);
  await dockerOk(d, ['kill', '-s', 'HUP', 'evkill']);
  await dockerOk(d, ['stop', '-t', '1', 'evkill']);
  await dockerOk(d, ['start', 'evkill']);
  await dockerOk(d, ['rm', '-f', 'evkill']);
  const events = async (name: string) =>
    (await dockerOk(d, ['events', '--since', since, '--until', now(), '--filter', `container=${name}`, '--format', '{{.Action}} {{.Actor.Attributes.signal}}'])).trim().split('\n');
  assert.deepEqual(await events('evseq'), [
    'create <no value>',
    'attach <no value>',
    'start <no value>',
    'die <no value>',
    'start <no value>',
    'die <no value>',
    'extract-to-dir <no value>',
    'archive-path <no value>',
    'export <no value>',
  ]);
  assert.deepEqual(await events('evkill'), ['create <no value>', 'start <no value>', 'kill 1', 'kill 15', 'kill 9', 'die <no value>', 'stop <no value>', 'start <no value>', 'kill 9', 'die <no value>', 'destroy <no value>']);
});

test('docker events follows live events until the client goes', async () => {
  const { spawn } = await import('node:child_process');
  const listeners = async () => (JSON.parse(await dockerOk(d, ['info', '--format', '{{json .}}'])) as { NEventsListener: number }).NEventsListener;
  const baseline = await listeners();
  // --since replays what happened between the call and the subscription: nothing is missed.
  const child = spawn('docker', ['events', '--since', now(), '--filter', 'container=live1', '--format', '{{.Action}}'], { env: d.dockerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await dockerOk(d, ['run', '--name', 'live1', 'busybox', 'true']);
    await eventually('live die event', () => (out.includes('die') ? true : undefined));
    assert.deepEqual(out.trim().split('\n').slice(0, 4), ['create', 'attach', 'start', 'die']);
  } finally {
    child.kill();
  }
  await eventually('events listener gone', async () => ((await listeners()) === baseline ? true : undefined));
});

test('docker stats --no-stream renders name and memory usage/limit', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'st', '-m', '64m', 'busybox', 'sleep', '600']);
  const out = await dockerOk(d, ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', 'st']);
  assert.match(out.trim(), /^st \d+(\.\d+)?(B|KiB|MiB) \/ 64MiB$/);
  const table = await dockerOk(d, ['stats', '--no-stream', 'st']);
  assert.match(table, /CPU %\s+MEM USAGE \/ LIMIT/);
  assert.match(table, /st\s+\d+\.\d+%/);
  const raw = await d.client.request('GET', `/containers/st/stats?stream=false&one-shot=true`);
  let body = '';
  for await (const c of raw) body += (c as Buffer).toString();
  const s = JSON.parse(body) as { cpu_stats: { cpu_usage: { total_usage: number }; online_cpus: number; system_cpu_usage: number }; memory_stats: { usage: number; limit: number }; pids_stats: { current: number } };
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(s.cpu_stats.online_cpus >= 1);
  assert.ok(s.cpu_stats.system_cpu_usage > 0);
  assert.equal(s.memory_stats.limit, 64 * 1024 * 1024);
  assert.ok(s.memory_stats.usage > 0);
  assert.equal(s.pids_stats.current, 1);
});

test('stats of a stopped container are zeroed like Docker', async () => {
  await dockerOk(d, ['run', '--name', 'stopped1', 'busybox', 'true']);
  const out = await dockerOk(d, ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}', 'stopped1']);
  assert.equal(out.trim(), 'stopped1 0.00% 0B / 0B');
});

test('an OOM kill shows in inspect and as an oom event', async () => {
  const id = (await dockerOk(d, ['run', '-d', '--name', 'oom', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while true; do x=$x$x; done'])).trim();
  await dockerOk(d, ['wait', 'oom']);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.OOMKilled}}', 'oom'])).trim(), 'true');
  const events = await dockerOk(d, ['events', '--since', '5m', '--until', now(), '--filter', `container=${id}`, '--filter', 'event=oom', '--format', '{{.Action}}']);
  assert.equal(events.trim(), 'oom');
});
