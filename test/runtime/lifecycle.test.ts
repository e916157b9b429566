/**
 * Runtime selection and the runc adapter's lifecycle verbs on a real container:
 * pause/resume, update --resources, ps, delete refusing a running container, force delete
 * of a paused one leaving no process, file or runc state behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ConflictError } from '../../src/util/errors.js';
import { selectRuntime } from '../../src/runtime/oci-runtime.js';
import { detectCgroupMode } from '../../src/runtime/spec/host-info.js';
import { setupEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await setupEnv();
});
after(async () => {
  await env?.cleanup();
});

describe('runtime: lifecycle', { timeout: 60_000 }, () => {
  test('runc by default; crun only where the host allows it, else a logged fallback', async () => {
    assert.equal((await selectRuntime()).name, 'runc');
    const crun = await selectRuntime('crun');
    if (detectCgroupMode() === 'hybrid') {
      assert.equal(crun.name, 'runc');
      assert.match(crun.fallbackReason ?? '', /hybrid/);
    } else {
      assert.equal(crun.name, 'crun');
    }
    assert.equal(env.rt.runtimeName, 'runc');
  });

  test('pause, resume, update, ps, and delete', async () => {
    const c = await env.create({ config: { Cmd: ['sleep', '300'] }, hostConfig: { Memory: 64 << 20 } });
    await env.rt.start(c.id);
    assert.equal((await env.rt.state(c.id)).status, 'running');
    assert.deepEqual(await env.rt.processes(c.id), [c.pid]);

    await env.rt.update(c.id, { memory: { limit: 32 << 20, swap: 64 << 20 }, pids: { limit: 50 } });
    const cgroup = readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').match(/:memory:(.*)/)?.[1];
    assert.ok(cgroup);
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${cgroup}/memory.limit_in_bytes`, 'utf8').trim(), String(32 << 20));

    await env.rt.pause(c.id);
    assert.equal((await env.rt.state(c.id)).status, 'paused');
    assert.equal((await env.rt.recover(c.id)).status, 'paused');
    await env.rt.resume(c.id);
    assert.equal((await env.rt.state(c.id)).status, 'running');

    await assert.rejects(env.rt.delete(c.id), (err: unknown) => err instanceof ConflictError);
    await env.rt.pause(c.id);
    await env.rt.delete(c.id, { force: true });
    assert.throws(() => process.kill(c.pid, 0), /ESRCH/);
    const p = env.rt.paths(c.id);
    for (const f of [p.bundleDir, p.persistDir, p.exitFile]) assert.equal(existsSync(f), false, f);
    assert.deepEqual(await env.rt.ociRuntime.list(), []);
  });
});
