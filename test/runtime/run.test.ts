/**
 * Real containers through runc + conmon: output, exit codes, signals, users, security
 * settings and cgroup limits. Every container is force-deleted and every file removed in
 * `after`, also when a test fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readLogs } from '../../src/runtime/logs.js';
import { collect, setupEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await setupEnv();
});
after(async () => {
  await env?.cleanup();
});

async function run(config: Parameters<TestEnv['create']>[0]) {
  const c = await env.create(config);
  const exited = env.rt.wait(c.id);
  await env.rt.start(c.id);
  const exit = await exited;
  const lines: { stream: string; line: string }[] = [];
  for await (const e of readLogs({ path: c.logPath })) lines.push({ stream: e.stream, line: e.line });
  return { ...c, exit, lines, stdout: lines.filter((l) => l.stream === 'stdout').map((l) => l.line) };
}

describe('runtime: run', { timeout: 60_000 }, () => {
  test('echo hi: log and exit code 0', async () => {
    const r = await run({ config: { Cmd: ['echo', 'hi'] } });
    assert.equal(r.exit.exitCode, 0);
    assert.equal(r.exit.oomKilled, false);
    assert.deepEqual(r.lines, [{ stream: 'stdout', line: 'hi' }]);
    assert.ok(r.pid > 0);
  });

  test('exit code propagates and stderr is logged separately', async () => {
    const r = await run({ config: { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] } });
    assert.equal(r.exit.exitCode, 3);
    assert.deepEqual(
      r.lines.sort((a, b) => a.stream.localeCompare(b.stream)),
      [
        { stream: 'stderr', line: 'err' },
        { stream: 'stdout', line: 'out' },
      ],
    );
  });

  test('signals reach the process (trap in sh)', async () => {
    const c = await env.create({ config: { Cmd: ['sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do sleep 0.05; done'] } });
    const io = await env.rt.attach(c.id);
    const exited = env.rt.wait(c.id);
    await env.rt.start(c.id);
    // Signal only once the trap is installed (the process said so).
    await new Promise<void>((resolve) => {
      let seen = '';
      io.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('ready')) resolve();
      });
    });
    await env.rt.kill(c.id, 'TERM');
    const exit = await exited;
    assert.equal(exit.exitCode, 42);
    await io.closed;
  });

  test('--user user runs as uid 1000 with its groups', async () => {
    const r = await run({ config: { Cmd: ['id'], User: 'user' } });
    assert.equal(r.exit.exitCode, 0);
    assert.match(r.stdout[0] ?? '', /^uid=1000\(user\) gid=1000\(user\) groups=.*1000\(user\)/);
    assert.match(r.stdout[0] ?? '', /10\(wheel\)/);
  });

  test('environment: PATH default, HOSTNAME, image env overridden by container env', async () => {
    const r = await run({ config: { Cmd: ['env'], Env: ['FOO=bar'], Hostname: 'box1' } });
    assert.ok(r.stdout.includes('HOSTNAME=box1'));
    assert.ok(r.stdout.includes('FOO=bar'));
    assert.ok(r.stdout.some((l) => l.startsWith('PATH=/usr/local/sbin:')));
  });

  test('read-only rootfs refuses writes', async () => {
    const r = await run({ config: { Cmd: ['sh', '-c', 'touch /x && echo wrote || echo refused; touch /dev/shm/ok && echo shm-ok'] }, hostConfig: { ReadonlyRootfs: true } });
    assert.deepEqual(r.stdout, ['refused', 'shm-ok']);
  });

  test('cap-drop CHOWN makes chown fail; default caps allow it', async () => {
    const dropped = await run({ config: { Cmd: ['sh', '-c', 'chown 1000 /tmp && echo ok || echo denied'] }, hostConfig: { CapDrop: ['chown'] } });
    assert.deepEqual(dropped.stdout, ['denied']);
    const normal = await run({ config: { Cmd: ['sh', '-c', 'chown 1000 /tmp && echo ok || echo denied'] } });
    assert.deepEqual(normal.stdout, ['ok']);
  });

  test('default seccomp profile blocks unshare, privileged allows it', async () => {
    const confined = await run({ config: { Cmd: ['sh', '-c', 'unshare -u true && echo allowed || echo blocked'] } });
    assert.deepEqual(confined.stdout, ['blocked']);
    const privileged = await run({ config: { Cmd: ['sh', '-c', 'unshare -u true && echo allowed || echo blocked'] }, hostConfig: { Privileged: true } });
    assert.deepEqual(privileged.stdout, ['allowed']);
  });

  test('ulimit nofile above the host hard limit is clamped, not refused', async () => {
    const r = await run({ config: { Cmd: ['sh', '-c', 'ulimit -n; ulimit -Hn'] }, hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 10_000_000 }] } });
    assert.equal(r.exit.exitCode, 0);
    assert.equal(r.stdout[0], '1024');
    assert.ok(Number(r.stdout[1]) <= 20000 && Number(r.stdout[1]) >= 1024, `hard ${r.stdout[1]}`);
  });

  test('--init runs the process under tini/catatonit as pid 1', async () => {
    const r = await run({ config: { Cmd: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo $$'] }, hostConfig: { Init: true } });
    assert.equal(r.exit.exitCode, 0);
    assert.match(r.stdout[0] ?? '', /^\/sbin\/docker-init -- sh/);
    assert.notEqual(r.stdout[1], '1');
  });

  test('pids limit stops a fork bomb', async () => {
    // The bomb runs in a subshell (busybox sh gives up at the first failed fork); counting
    // uses only builtins (a glob over /proc), since no fork succeeds once the limit is hit.
    // When pid 1 exits the kernel kills the leftover sleeps with the PID namespace.
    const r = await run({
      config: { Cmd: ['sh', '-c', '(i=0; while [ $i -lt 60 ]; do sleep 5 & i=$((i+1)); done); n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs=$n; exit 0'] },
      hostConfig: { PidsLimit: 20 },
    });
    const procs = Number((r.stdout.find((l) => l.startsWith('procs=')) ?? 'procs=999').slice(6));
    assert.ok(procs <= 20, `expected at most 20 processes, saw ${procs}`);
    assert.ok(procs >= 5, `fork bomb did not run at all (${procs})`);
    assert.ok(r.lines.some((l) => l.stream === 'stderr' && /fork/i.test(l.line)), 'no fork failure was reported');
  });

  test('memory limit OOM-kills a memory hog and OOM is reported', async () => {
    const r = await run({
      config: { Cmd: ['sh', '-c', 'x=a; while true; do x="$x$x"; done'] },
      hostConfig: { Memory: 16 * 1024 * 1024 },
    });
    assert.equal(r.exit.exitCode, 137);
    assert.equal(r.exit.oomKilled, true);
  });

  test('attach streams stdout/stderr and feeds stdin', async () => {
    const c = await env.create({
      config: { Cmd: ['sh', '-c', 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo done'], OpenStdin: true, StdinOnce: true },
      openStdin: true,
      stdinOnce: true,
    });
    const io = await env.rt.attach(c.id);
    const out = collect(io.stdout);
    const err = collect(io.stderr);
    const exited = env.rt.wait(c.id);
    await env.rt.start(c.id);
    io.stdin.write('one\ntwo\n');
    io.stdin.end();
    assert.equal((await exited).exitCode, 0);
    assert.equal(await out, 'out:one\nout:two\ndone\n');
    assert.equal(await err, 'err:one\nerr:two\n');
  });

  test('TTY session: output, input and resize through conmon', async () => {
    const c = await env.create({ config: { Cmd: ['sh', '-c', 'stty size; read x; stty size; echo "x=$x"'], Tty: true, OpenStdin: true }, openStdin: true });
    const io = await env.rt.attach(c.id);
    let text = '';
    let resized = false;
    io.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      if (!resized && text.includes('24 80')) {
        resized = true;
        void io.resize(40, 100).then(() => io.stdin.write('hello\r'));
      }
    });
    assert.equal(io.stderr.readableLength, 0);
    const exited = env.rt.wait(c.id);
    await io.resize(24, 80);
    await env.rt.start(c.id);
    assert.equal((await exited).exitCode, 0);
    await io.closed;
    assert.match(text, /24 80\r\n/);
    assert.match(text, /40 100\r\n/);
    assert.match(text, /x=hello\r\n/);
  });
});
