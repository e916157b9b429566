import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exitCodeFor, runChecks } from '../../src/engine/ops/doctor/checks.js';
import { gather } from '../../src/engine/ops/doctor/gather.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { cleanup, dockerOk, opsDaemon } from './helpers.js';

let d: TestDaemon;
before(async () => {
  d = await opsDaemon();
});
after(() => cleanup(d));

test('doctor flags privileged, root, unlimited and unrotated containers, and passes a hardened one', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'bad', '--privileged', 'busybox', 'sleep', '600']);
  await dockerOk(d, ['run', '-d', '--name', 'good', '--user', '1000:1000', '-m', '32m', '--pids-limit', '64', '--log-opt', 'max-size=1m', 'busybox', 'sleep', '600']);
  const input = await gather({ client: d.client, host: d.host });
  assert.equal(input.daemonReachable, true);
  assert.ok(input.socket, 'the unix socket was inspected');
  assert.ok(input.runtimes.every((r) => r.version), JSON.stringify(input.runtimes));
  const findings = runChecks(input);
  const subjectsOf = (id: string) => findings.find((f) => f.id === id)?.subjects ?? [];
  assert.deepEqual(subjectsOf('privileged'), ['bad']);
  assert.deepEqual(subjectsOf('no-memory-limit'), ['bad']);
  assert.deepEqual(subjectsOf('no-pids-limit'), ['bad']);
  assert.deepEqual(subjectsOf('log-rotation-off'), ['bad']);
  assert.ok(!subjectsOf('root-user').includes('good'));
  for (const f of findings) assert.ok(f.reason && f.fix && f.title, JSON.stringify(f));
  assert.equal(exitCodeFor(findings), 1);
});

test('doctor exits 0 when every finding is informational', () => {
  const findings = runChecks({ tcpListeners: [], containers: [], runtimes: [{ name: 'runc', version: '1.1' }], cgroupMode: 'v2', daemonReachable: true, disk: { path: '/', free: 50e9, total: 100e9 } });
  assert.equal(exitCodeFor(findings), 0);
  const tcp = runChecks({ tcpListeners: [{ address: 'tcp://0.0.0.0:2375', tls: false }], containers: [], runtimes: [], cgroupMode: 'v2', daemonReachable: true });
  assert.equal(tcp[0]!.id, 'tcp-without-tls');
  assert.equal(exitCodeFor(tcp), 1);
});
