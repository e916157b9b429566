/**
 * Choosing the OCI runtime with the docker CLI: `--runtime runc` next to the default crun
 * in one berthd, the name pinned at create, unknown names refused, crun's failures mapped to
 * the exit codes Docker gives, its compiled seccomp filters reused only for the same
 * profile, and containers on both runtimes surviving `kill -9` of berthd.
 *
 * crun needs a host whose cgroup v2 hierarchy holds no controller when v1 is mounted too:
 * scripts/install-system-deps.sh sees to that, so crun must work here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SECCOMP_BPF_ANNOTATION } from '../../src/runtime/seccomp-cache.js';
import { startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';
import { containerDaemon, docker, dockerOk } from './helpers.js';

let d: TestDaemon;
let scratch: string;
before(async () => {
  d = await containerDaemon();
  scratch = await mkdtemp(join(tmpdir(), 'berth-runtimes-'));
});
after(async () => {
  await d?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const bundleConfig = (id: string) => JSON.parse(readFileSync(join(d.execRoot, 'bundles', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };

test('crun unless asked; --runtime runc runs the container with runc; the name stays with the container', async () => {
  assert.equal((await dockerOk(d, ['info', '--format', '{{.DefaultRuntime}}'])).trim(), 'crun');
  const onCrun = (await dockerOk(d, ['run', '-d', 'busybox', 'sleep', '300'])).trim();
  const onRunc = (await dockerOk(d, ['run', '-d', '--runtime', 'runc', 'busybox', 'sleep', '300'])).trim();
  for (const [id, runtime] of [[onCrun, 'crun'], [onRunc, 'runc']] as const) {
    assert.equal((await dockerOk(d, ['inspect', '-f', '{{.HostConfig.Runtime}}', id])).trim(), runtime);
    const stateFile = runtime === 'runc' ? 'state.json' : 'status';
    assert.equal(existsSync(join(d.execRoot, 'runtime', 'runtime', runtime, id, stateFile)), true, `${runtime} state of the container`);

    // The verbs go to the container's own runtime.
    assert.equal(await dockerOk(d, ['exec', id, 'echo', `in ${runtime}`]), `in ${runtime}\n`);
    await dockerOk(d, ['update', '--memory', '48m', '--memory-swap', '96m', id]);
    assert.equal((await dockerOk(d, ['exec', id, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'])).trim(), String(48 << 20));
    await dockerOk(d, ['pause', id]);
    assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', id])).trim(), 'paused');
    await dockerOk(d, ['unpause', id]);
    assert.match(await dockerOk(d, ['top', id]), /sleep 300/);
    await dockerOk(d, ['rm', '-f', id]);
    assert.equal(existsSync(join(d.execRoot, 'runtime', 'runtime', runtime, id)), false, `rm removed the ${runtime} state`);
  }
});

test('--default-runtime runc puts new containers on runc', async () => {
  const rd = await startDaemonWithBusybox({ extraArgs: ['--default-runtime', 'runc'] });
  try {
    assert.equal((await dockerOk(rd, ['info', '--format', '{{.DefaultRuntime}}'])).trim(), 'runc');
    const id = (await dockerOk(rd, ['create', 'busybox', 'true'])).trim();
    assert.equal((await dockerOk(rd, ['inspect', '-f', '{{.HostConfig.Runtime}}', id])).trim(), 'runc');
    assert.equal(await dockerOk(rd, ['run', '--rm', 'busybox', 'echo', 'on runc']), 'on runc\n');
  } finally {
    await rd.stop();
  }
});

test('an unknown runtime is refused at create and nothing is made', async () => {
  const before = (await dockerOk(d, ['ps', '-aq'])).trim();
  const r = await docker(d, ['run', '--name', 'bogus-rt', '--runtime', 'nosuch', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /unknown or invalid runtime name: nosuch/);
  assert.equal((await dockerOk(d, ['ps', '-aq'])).trim(), before);
});

test('on either runtime, a command that cannot start exits 127 (not found) or 126 (not executable), in Docker\'s words', async () => {
  const cases = [
    { cmd: 'nosuchcmd', code: 127, says: 'exec: "nosuchcmd": executable file not found in $PATH' },
    { cmd: '/nonexistent', code: 127, says: 'exec: "/nonexistent": stat /nonexistent: no such file or directory' },
    { cmd: '/etc/passwd', code: 126, says: 'exec: "/etc/passwd": permission denied' },
    { cmd: '/etc', code: 126, says: 'exec: "/etc": permission denied' },
  ];
  for (const runtime of ['crun', 'runc']) {
    const keeper = (await dockerOk(d, ['run', '-d', '--runtime', runtime, 'busybox', 'sleep', '300'])).trim();
    for (const c of cases) {
      const r = await docker(d, ['run', '--rm', '--runtime', runtime, 'busybox', c.cmd]);
      assert.equal(r.code, c.code, `${runtime} run ${c.cmd}: ${r.stderr}`);
      assert.ok(r.stderr.includes(c.says), `${runtime} run ${c.cmd}: ${r.stderr}`);
      const e = await docker(d, ['exec', keeper, c.cmd]);
      assert.equal(e.code, c.code, `${runtime} exec ${c.cmd}: ${e.stdout}${e.stderr}`);
      assert.ok(`${e.stdout}${e.stderr}`.includes(`OCI runtime exec failed: exec failed: unable to start container process: ${c.says}: unknown`), `${runtime} exec ${c.cmd}: ${e.stdout}${e.stderr}`);
    }
    // dockerd's words for a working directory that is not there, and for a user it cannot find
    // (its own refusal, with no runtime prefix).
    const noDir = await docker(d, ['exec', '-w', '/nonexistent', keeper, 'pwd']);
    assert.equal(noDir.stdout, 'OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory: unknown\r\n', runtime);
    const noUser = await docker(d, ['exec', '-u', 'nosuchuser', keeper, 'id']);
    assert.equal(noUser.stdout, 'unable to find user nosuchuser: no matching entries in passwd file\r\n', runtime);
    assert.equal((await docker(d, ['run', '--rm', '--runtime', runtime, 'busybox', 'sh', '-c', 'exit 7'])).code, 7);
    await dockerOk(d, ['rm', '-f', keeper]);
  }
});

test('HOME is the same on either runtime: the user\'s from passwd, `/` for a uid without an entry, also in exec', async () => {
  const home = 'echo "[$HOME]"';
  for (const runtime of ['crun', 'runc']) {
    const run = (args: string[]) => dockerOk(d, ['run', '--rm', '--runtime', runtime, ...args, 'busybox', 'sh', '-c', home]);
    assert.equal(await run([]), '[/root]\n', runtime);
    assert.equal(await run(['-u', 'nobody']), '[/nonexistent]\n', runtime);
    assert.equal(await run(['-u', '5000']), '[/]\n', runtime);
    assert.equal(await run(['-u', '5000', '-e', 'HOME=/mine']), '[/mine]\n', runtime);
    const uid5000 = (await dockerOk(d, ['run', '-d', '--runtime', runtime, '-u', '5000', 'busybox', 'sleep', '300'])).trim();
    assert.equal(await dockerOk(d, ['exec', uid5000, 'sh', '-c', home]), '[/]\n', runtime);
    assert.equal(await dockerOk(d, ['exec', '-u', 'root', uid5000, 'sh', '-c', home]), '[/root]\n', runtime);
    assert.equal(await dockerOk(d, ['exec', '-u', '6000', uid5000, 'sh', '-c', home]), '[/]\n', runtime);
    await dockerOk(d, ['rm', '-f', uid5000]);
  }
});

test('a compiled seccomp filter is reused for the same profile only', async () => {
  // A profile that refuses mkdir, and one that differs only in refusing rmdir.
  const profile = (denied: string[]) =>
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: denied, action: 'SCMP_ACT_ERRNO' }],
    });
  const noMkdir = join(scratch, 'no-mkdir.json');
  const noRmdir = join(scratch, 'no-rmdir.json');
  await writeFile(noMkdir, profile(['mkdir', 'mkdirat']));
  await writeFile(noRmdir, profile(['rmdir']));
  const runWith = (file: string, script: string) => docker(d, ['run', '--rm', '--runtime', 'crun', '--security-opt', `seccomp=${file}`, 'busybox', 'sh', '-c', script]);

  for (let i = 0; i < 2; i++) {
    const r = await runWith(noMkdir, 'mkdir /x');
    assert.notEqual(r.code, 0, `run ${i + 1}: mkdir must be refused`);
    assert.match(r.stderr, /Operation not permitted/);
  }
  const other = await runWith(noRmdir, 'mkdir /x && rmdir /x');
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /rmdir.*Operation not permitted/, 'the rmdir profile, not the cached mkdir one');
  assert.equal((await runWith(noRmdir, 'mkdir /y && echo made')).stdout, 'made\n');

  // Docker's default profile: the second container carries the filter the first compiled.
  const first = (await dockerOk(d, ['run', '-d', '--runtime', 'crun', 'busybox', 'sleep', '300'])).trim();
  const second = (await dockerOk(d, ['run', '-d', '--runtime', 'crun', 'busybox', 'sleep', '300'])).trim();
  assert.ok(bundleConfig(second).annotations?.[SECCOMP_BPF_ANNOTATION], 'the second container loads the kept filter');
  assert.match(await dockerOk(d, ['exec', second, 'grep', 'Seccomp:', '/proc/self/status']), /Seccomp:\s+2/);
  const unconfined = await dockerOk(d, ['run', '--rm', '--runtime', 'crun', '--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
  assert.match(unconfined, /Seccomp:\s+0/);
  await dockerOk(d, ['rm', '-f', first, second]);
});

test('containers on either runtime survive kill -9 of berthd: same process, exec works, stop is recorded', async () => {
  const ids = new Map<string, string>();
  for (const runtime of ['crun', 'runc']) {
    ids.set(runtime, (await dockerOk(d, ['run', '-d', '--runtime', runtime, 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'])).trim());
  }
  const pids = new Map<string, string>();
  for (const [runtime, id] of ids) pids.set(runtime, (await dockerOk(d, ['inspect', '-f', '{{.State.Pid}}', id])).trim());
  await d.kill9();
  await d.restart();
  for (const [runtime, id] of ids) {
    assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Pid}} {{.State.Running}}', id])).trim(), `${pids.get(runtime)} true`, runtime);
    assert.equal(await dockerOk(d, ['exec', id, 'echo', 'back']), 'back\n');
    await dockerOk(d, ['stop', '-t', '5', id]);
    assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.ExitCode}}', id])).trim(), '0');
    await dockerOk(d, ['rm', id]);
    assert.equal(existsSync(join(d.execRoot, 'runtime', 'runtime', runtime, id)), false, `rm removed the ${runtime} state`);
  }
});
