/**
 * Runtime selection and the runc and crun adapters' lifecycle verbs on a real container:
 * pause/resume, update --resources, ps, delete refusing a running container, force delete
 * of a paused one leaving no process, file or runtime state behind; start through the
 * runtime's exec fifo (also when init died first); the sweep of leftovers a killed berthd
 * leaves.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ConflictError, SystemError } from '../../src/util/errors.js';
import { execFifoPath, isGone } from '../../src/runtime/exec-fifo.js';
import { selectRuntime } from '../../src/runtime/oci-runtime.js';
import { detectCgroupMode } from '../../src/runtime/spec/host-info.js';
import { eventually } from '../helpers/daemon.js';
import { setupEnv, type TestEnv } from './helpers.js';

test('crun where the host allows it, else runc and the reason; runc when asked for', async () => {
  assert.equal((await selectRuntime('runc')).name, 'runc');
  // crun refuses a hybrid host whose v2 hierarchy holds a controller (install-system-deps.sh binds them to v1).
  const v2Controllers = detectCgroupMode() === 'hybrid' ? readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() : '';
  for (const preferred of [undefined, 'crun'] as const) {
    const sel = await selectRuntime(preferred);
    if (v2Controllers) {
      assert.equal(sel.name, 'runc');
      assert.match(sel.fallbackReason ?? '', /hybrid.*cgroupfs-mount/s);
    } else {
      assert.equal(sel.name, 'crun', `selectRuntime(${preferred})`);
    }
  }
});

for (const runtime of ['runc', 'crun'] as const) {
  describe(`runtime: lifecycle under ${runtime}`, { timeout: 60_000 }, () => {
    let env: TestEnv;
    before(async () => {
      env = await setupEnv({ runtime });
      assert.equal(env.rt.runtimeName, runtime, `${runtime} must run containers on this host`);
    });
    after(async () => {
      await env?.cleanup();
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

    test('start goes through the exec fifo: the process runs and the runtime reports it running', async () => {
      const c = await env.create({ config: { Cmd: ['sleep', '300'] } });
      const fifo = execFifoPath(env.rt.ociRuntime.root, c.id);
      assert.equal(existsSync(fifo), true);
      assert.equal((await env.rt.state(c.id)).status, 'created');
      await env.rt.start(c.id);
      assert.equal(existsSync(fifo), false);
      assert.equal((await env.rt.state(c.id)).status, 'running');
      assert.match(readFileSync(`/proc/${c.pid}/cmdline`, 'utf8'), /^sleep\x00300/);
      await env.rt.delete(c.id, { force: true });
    });

    test('start of a container whose init died fails instead of waiting forever', async () => {
      const c = await env.create({ config: { Cmd: ['sleep', '300'] } });
      process.kill(c.pid, 'SIGKILL');
      // kill(2) only sends the signal: until init has exited it still holds crun's fifo, and a
      // start then succeeds (the process dies right after, as if killed a moment later).
      await eventually('the killed init to exit', async () => ((await isGone(c.pid)) ? true : undefined));
      await assert.rejects(env.rt.start(c.id), (err: unknown) => err instanceof SystemError && /already dead/.test(err.message));
      await env.rt.delete(c.id, { force: true });
    });

    test('sweep deletes stopped states and stray bundles, and leaves live and kept containers', async () => {
      const live = await env.create({ config: { Cmd: ['sleep', '300'] } });
      await env.rt.start(live.id);
      const kept = await env.create({ config: { Cmd: ['true'] } });
      const exited = await env.create({ config: { Cmd: ['true'] } });
      for (const c of [kept, exited]) {
        const done = env.rt.wait(c.id);
        await env.rt.start(c.id);
        await done;
      }
      await mkdir(env.rt.paths('stray-bundle').bundleDir, { recursive: true });
      const swept = await env.rt.sweep((id) => id === kept.id);
      assert.deepEqual(swept.sort(), [exited.id, 'stray-bundle'].sort());
      assert.deepEqual((await env.rt.ociRuntime.list()).map((s) => s.id).sort(), [live.id, kept.id].sort());
      assert.equal(existsSync(env.rt.paths(exited.id).bundleDir), false);
      assert.equal(existsSync(env.rt.paths('stray-bundle').bundleDir), false);
      for (const c of [live, kept]) await env.rt.delete(c.id, { force: true });
    });
  });
}
