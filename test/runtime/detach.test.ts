/**
 * conmon must outlive the process that started the container: a child Node process
 * creates and starts a container, is SIGKILLed, and the container is still running, its
 * conmon still supervising (the exit code is recorded when we stop it).
 */
import assert from 'node:assert/strict';
import { siblingScript } from '../helpers/paths.js';
import { spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURE_ROOTFS, setupEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await setupEnv();
});
after(async () => {
  await env?.cleanup();
});

test('container keeps running after the Node process that created it dies', { timeout: 30_000 }, async () => {
  const id = `detach${process.pid}`;
  env.ids.add(id);
  const rootfs = path.join(env.dir, 'rootfs', id);
  await cp(FIXTURE_ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true });
  const logPath = path.join(env.dir, 'logs', `${id}.log`);
  const [node, ...script] = siblingScript(import.meta.url, 'detached-child');
  const child = spawn(
    node!,
    [...script, path.join(env.dir, 'run'), path.join(env.dir, 'bundles'), id, rootfs, logPath, env.cgroupParent],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /started (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;

    const state = await env.rt.recover(id);
    assert.equal(state.status, 'running');
    assert.equal(state.pid, pid);
    process.kill(pid, 0); // throws if the container's process is gone

    const exited = env.rt.wait(id);
    await env.rt.kill(id, 'KILL');
    const exit = await exited;
    assert.equal(exit.exitCode, 137);
    await env.rt.delete(id);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
