/**
 * Exec through conmon (`--exec --exec-process-spec`): exit codes, attached pipes, a TTY,
 * user resolution, and detached execs; plus recovery of a running and an exited container.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { collect, setupEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
let id: string;
before(async () => {
  env = await setupEnv();
  const c = await env.create({ config: { Cmd: ['sleep', '300'] } });
  id = c.id;
  await env.rt.start(id);
});
after(async () => {
  await env?.cleanup();
});

describe('runtime: exec', { timeout: 60_000 }, () => {
  test('attached exec: stdout, stderr, exit code, user', async () => {
    const s = await env.rt.exec(id, { execId: 'e-attached', cmd: ['sh', '-c', 'id -u; echo oops >&2; exit 7'], user: 'user', attachStdout: true, attachStderr: true });
    assert.ok(s.io, 'attach stream');
    const out = collect(s.io.stdout);
    const err = collect(s.io.stderr);
    assert.equal(await s.exit, 7);
    assert.equal(await out, '1000\n');
    assert.equal(await err, 'oops\n');
    assert.equal(existsSync(`${env.rt.paths(id).bundleDir}/exec/e-attached`), false, 'exec session files removed');
  });

  test('detached exec reports its exit code from the exit file', async () => {
    const s = await env.rt.exec(id, { execId: 'e-detached', cmd: ['sh', '-c', 'exit 4'] });
    assert.equal(s.io, undefined);
    assert.ok(s.pid > 0);
    assert.equal(await s.exit, 4);
  });

  test('exec with a TTY and stdin, env and workdir', async () => {
    const s = await env.rt.exec(id, {
      execId: 'e-tty',
      cmd: ['sh', '-c', 'read x; echo "got $x in $(pwd) as $GREETING"; tty'],
      tty: true,
      attachStdin: true,
      attachStdout: true,
      env: ['GREETING=hello'],
      workdir: '/tmp',
    });
    assert.ok(s.io);
    const out = collect(s.io.stdout);
    s.io.stdin.write('zz\r');
    assert.equal(await s.exit, 0);
    const text = await out;
    assert.match(text, /got zz in \/tmp as hello\r\n/);
    assert.match(text, /\/dev\/pts\/\d+\r\n/);
  });

  test('exec in a stopped container is a conflict', async () => {
    const c = await env.create({ config: { Cmd: ['true'] } });
    await assert.rejects(env.rt.exec(c.id, { execId: 'e-x', cmd: ['true'] }), /not running/);
  });

  test('recover: running, then exited with code after kill', async () => {
    const running = await env.rt.recover(id);
    assert.equal(running.status, 'running');
    assert.ok(running.pid && running.conmonPid);
    await env.rt.kill(id, 'KILL');
    await env.rt.wait(id);
    const exited = await env.rt.recover(id);
    assert.equal(exited.status, 'exited');
    assert.equal(exited.exit?.exitCode, 137);
    await env.rt.delete(id);
    assert.equal(existsSync(env.rt.paths(id).bundleDir), false);
    assert.equal((await env.rt.recover(id)).status, 'missing');
  });
});
