import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError, type BerthClient } from '../../src/client/client.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Paused: boolean; Pid: number; ExitCode: number; OOMKilled: boolean; Restarting: boolean };
  RestartCount: number;
  Config: { Cmd: string[]; Env: string[]; Labels: Record<string, string>; Image: string; Hostname: string };
  HostConfig: Record<string, unknown>;
  GraphDriver: { Data: { MergedDir: string } };
}

let d: TestDaemon;
let c: BerthClient;
before(async () => {
  d = await startTestDaemon();
  c = d.client;
  await importBusybox(c, 'busybox:latest', ['ENV FROM_IMAGE=yes', 'CMD ["sh"]']);
});
after(async () => {
  for (const ct of await c.get<{ Id: string }[]>('/containers/json', { all: true })) {
    await c.call('DELETE', `/containers/${ct.Id}`, { query: { force: true } }).catch(() => undefined);
  }
  await d.stop();
});

async function create(body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await c.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body: { Image: 'busybox', ...body } });
  return r.Id;
}
const inspect = (id: string) => c.get<Inspect>(`/containers/${id}/json`);
const post = (path: string, query?: Record<string, string | number | boolean>) => c.call('POST', path, { query }).then((r) => r.resume());
const wait = (id: string, condition = 'not-running') => c.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, { query: { condition } });

async function rejectsWith(p: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, status, e.message);
    assert.match(e.message, message);
    return true;
  });
}

/** Processes whose cgroup is this container's (none may survive rm). */
function processesOf(id: string): string[] {
  const out = spawnSync('sh', ['-c', `grep -l ${id} /proc/[0-9]*/cgroup 2>/dev/null || true`]).stdout.toString();
  return out.split('\n').filter(Boolean);
}

describe('create: validation and errors', () => {
  test('the image config is merged into the container config', async () => {
    const id = await create({ Env: ['MINE=1'], Labels: { team: 'a' } }, 'merged');
    const i = await inspect(id);
    assert.deepEqual(i.Config.Cmd, ['sh']);
    assert.ok(i.Config.Env.includes('FROM_IMAGE=yes'));
    assert.ok(i.Config.Env.includes('MINE=1'));
    assert.equal(i.Config.Hostname, id.slice(0, 12));
    assert.equal(i.Name, '/merged');
    assert.equal(i.State.Status, 'created');
  });

  test('create fills HostConfig as Docker does: the docker CLI\'s "not set", swap, masked paths; GraphDriver names the overlay', async () => {
    const mib = 1024 * 1024;
    const id = await create({ Cmd: ['true'], HostConfig: { Memory: 64 * mib, MemorySwappiness: -1, PidsLimit: 0 } });
    const i = (await c.get<{ HostConfig: Record<string, unknown>; Config: Record<string, unknown>; GraphDriver: { Data: Record<string, string> } }>(`/containers/${id}/json`));
    assert.deepEqual([i.HostConfig.MemorySwap, i.HostConfig.MemorySwappiness, i.HostConfig.PidsLimit], [128 * mib, null, null]);
    assert.ok((i.HostConfig.MaskedPaths as string[]).includes('/proc/kcore'));
    assert.ok((i.HostConfig.ReadonlyPaths as string[]).includes('/proc/sys'));
    assert.equal('StopSignal' in i.Config, false);
    assert.equal(i.Config.Volumes, null, 'no volumes: null, as Docker');
    for (const dir of ['LowerDir', 'UpperDir', 'WorkDir']) assert.ok(existsSync(i.GraphDriver.Data[dir]!.split(':')[0]!), `${dir}: ${i.GraphDriver.Data[dir]}`);
    const unconfined = await c.get<{ HostConfig: Record<string, unknown> }>(`/containers/${await create({ Cmd: ['true'], HostConfig: { SecurityOpt: ['systempaths=unconfined'] } })}/json`);
    assert.deepEqual([unconfined.HostConfig.MaskedPaths, unconfined.HostConfig.ReadonlyPaths], [[], []]);
    const privileged = await c.get<{ HostConfig: Record<string, unknown> }>(`/containers/${await create({ Cmd: ['true'], HostConfig: { Privileged: true } })}/json`);
    assert.equal(privileged.HostConfig.MaskedPaths ?? null, null);
  });

  test('a conflicting name is a 409 with Docker\'s message and changes nothing', async () => {
    const before = (await c.get<unknown[]>('/containers/json', { all: true })).length;
    await rejectsWith(create({}, 'merged'), 409, /Conflict. The container name "\/merged" is already in use by container/);
    assert.equal((await c.get<unknown[]>('/containers/json', { all: true })).length, before);
  });

  test('bad input gets 400s that say what is wrong, and creates nothing', async () => {
    const before = (await c.get<unknown[]>('/containers/json', { all: true })).length;
    await rejectsWith(create({}, 'bad name!'), 400, /Invalid container name \(bad name!\)/);
    await rejectsWith(create({ StopSignal: 'SIGFOO' }), 400, /Invalid signal: SIGFOO/);
    await rejectsWith(create({ HostConfig: { Memory: 1024 } }), 400, /Minimum memory limit allowed is 6MB/);
    await rejectsWith(create({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'abc' }] } } }), 400, /invalid port specification/);
    await rejectsWith(create({ HostConfig: { RestartPolicy: { Name: 'sometimes' } } }), 400, /invalid restart policy/);
    await rejectsWith(create({ Env: 'A=B' }), 400, /Env/);
    await rejectsWith(create({ HostConfig: { CapAdd: ['NOT_A_CAP'] } }), 400, /capabilit/i);
    await rejectsWith(c.json('POST', '/containers/create', { body: { Image: 'nosuchimage:1' } }), 404, /No such image: nosuchimage:1/);
    const res = await c.request('POST', '/containers/create', { body: undefined, headers: { 'Content-Type': 'application/json' } });
    res.resume();
    assert.equal(res.statusCode, 400);
    assert.equal((await c.get<unknown[]>('/containers/json', { all: true })).length, before);
  });

  test("a platform the image is not for is a 404 in Docker's words (the CLI then pulls); its own is taken", async () => {
    const count = (await c.get<unknown[]>('/containers/json', { all: true })).length;
    const created = (platform: string) => c.json<{ Id: string }>('POST', '/containers/create', { query: { platform }, body: { Image: 'busybox', Cmd: ['true'] } });
    await rejectsWith(created('linux/arm64'), 404, /^image with reference busybox was found but its platform \(linux\/amd64\) does not match the specified platform \(linux\/arm64\)$/);
    assert.equal((await c.get<unknown[]>('/containers/json', { all: true })).length, count);
    for (const platform of ['linux/amd64', 'linux/x86_64', 'linux']) {
      const { Id } = await created(platform);
      await c.call('DELETE', `/containers/${Id}`).then((x) => x.resume());
    }
  });

  test('malformed JSON is a 400', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method: 'POST', path: '/containers/create', headers: { 'Content-Type': 'application/json' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"Image": "busybox", ');
    });
    assert.equal(status, 400);
  });
});

describe('lifecycle', () => {
  test('start, wait, exit code and state', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'exit 3'] });
    await post(`/containers/${id}/start`);
    assert.equal((await wait(id)).StatusCode, 3);
    const i = await inspect(id);
    assert.equal(i.State.Status, 'exited');
    assert.equal(i.State.ExitCode, 3);
    assert.equal(i.State.Running, false);
  });

  test('stop sends the stop signal, then SIGKILL after the timeout', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done'] });
    await post(`/containers/${id}/start`);
    assert.equal((await inspect(id)).State.Running, true);
    await post(`/containers/${id}/stop`, { t: 5 });
    assert.equal((await inspect(id)).State.ExitCode, 7);
    const stubborn = await create({ Cmd: ['sleep', '1000'] });
    await post(`/containers/${stubborn}/start`);
    await post(`/containers/${stubborn}/stop`, { t: 1 });
    assert.equal((await inspect(stubborn)).State.ExitCode, 137);
    // stopping a stopped container is a 304, not an error
    const res = await c.request('POST', `/containers/${stubborn}/stop`);
    res.resume();
    assert.equal(res.statusCode, 304);
  });

  test('kill with a signal, pause and unpause, rename, restart', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] }, 'lifecycle1');
    await post(`/containers/${id}/start`);
    await post(`/containers/${id}/pause`);
    let i = await inspect(id);
    assert.equal(i.State.Status, 'paused');
    assert.equal(i.State.Paused, true);
    await rejectsWith(c.call('POST', `/containers/${id}/start`), 409, /cannot start a paused container/);
    await post(`/containers/${id}/unpause`);
    assert.equal((await inspect(id)).State.Status, 'running');
    await post(`/containers/${id}/rename`, { name: 'lifecycle2' });
    assert.equal((await inspect('lifecycle2')).Id, id);
    await rejectsWith(c.call('POST', `/containers/${id}/rename`, { query: { name: 'bad name' } }), 400, /^Error when allocating new name: Invalid container name \(\/bad name\), only/);
    assert.equal((await inspect(id)).Name, '/lifecycle2');
    const pid = (await inspect(id)).State.Pid;
    await post(`/containers/${id}/restart`, { t: 0 });
    i = await inspect(id);
    assert.equal(i.State.Running, true);
    assert.notEqual(i.State.Pid, pid);
    // Docker 26+: every kill failure is "cannot kill container: <as named>: …"; the signal is checked first.
    const kill = (ref: string, signal?: string) => c.call('POST', `/containers/${ref}/kill`, { query: signal === undefined ? {} : { signal } });
    await rejectsWith(kill('lifecycle2', 'SIGNOPE'), 400, /^cannot kill container: lifecycle2: Invalid signal: SIGNOPE$/);
    await rejectsWith(kill('lifecycle2', '0'), 400, /^cannot kill container: lifecycle2: Invalid signal: 0$/);
    await rejectsWith(kill('lifecycle2', '99'), 400, /^cannot kill container: lifecycle2: the linux daemon does not support signal 99$/);
    await rejectsWith(kill('nosuchcontainer', 'SIGNOPE'), 400, /Invalid signal/);
    await rejectsWith(kill('nosuchcontainer'), 404, /^cannot kill container: nosuchcontainer: No such container: nosuchcontainer$/);
    assert.equal((await inspect(id)).State.Running, true, 'a refused kill sends nothing');
    await post(`/containers/${id}/kill`, { signal: 'KILL' });
    i = await inspect(id);
    assert.equal(i.State.Running, false);
    assert.equal(i.State.ExitCode, 137);
    await rejectsWith(kill(id.slice(0, 12)), 409, new RegExp(`^cannot kill container: ${id.slice(0, 12)}: container ${id} is not running$`));
    await rejectsWith(c.call('POST', `/containers/${id}/pause`), 409, new RegExp(`^container ${id} is not running$`));
    await rejectsWith(c.call('GET', `/containers/${id}/top`), 409, new RegExp(`^container ${id} is not running$`));
  });

  test('rm refuses a running container without force; rm -f leaves no process, mount or runtime state', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await post(`/containers/${id}/start`);
    await rejectsWith(c.call('DELETE', `/containers/${id}`), 409, /You cannot remove a running container/);
    const removed = wait(id, 'removed');
    await c.call('DELETE', `/containers/${id}`, { query: { force: true } }).then((r) => r.resume());
    assert.equal((await removed).StatusCode, 137);
    await rejectsWith(inspect(id), 404, /No such container/);
    assert.deepEqual(processesOf(id), []);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(id), false);
    assert.equal(existsSync(`${d.execRoot}/bundles/${id}`), false);
    assert.equal(spawnSync('runc', ['--root', `${d.execRoot}/runtime/runtime`, 'list', '-q']).stdout.toString().includes(id), false);
  });

  test('a rootfs still held from outside the container after its exit is detached, not left mounted', async () => {
    const id = await create({ Cmd: ['sleep', '1000'] });
    await post(`/containers/${id}/start`);
    const rootfs = (await inspect(id)).GraphDriver.Data.MergedDir;
    // A host process (this one) keeps a file of the rootfs open: killing the container frees nothing of it.
    const held = await open(join(rootfs, 'etc', 'passwd'));
    try {
      await post(`/containers/${id}/kill`, { signal: 'KILL' });
      assert.equal((await wait(id)).StatusCode, 137);
      assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(rootfs), false);
      assert.match(d.logs(), /rootfs still busy; detaching it/);
      assert.match((await held.readFile('utf8')).split('\n')[0]!, /^root:/, 'the holder keeps reading what it opened');
    } finally {
      await held.close();
    }
    await post(`/containers/${id}/start`);
    assert.equal((await inspect(id)).State.Running, true, 'and the container starts again on a fresh mount');
  });

  test('a command that does not exist fails start with 127 semantics', async () => {
    const id = await create({ Cmd: ['nosuchcommand'] });
    await assert.rejects(c.call('POST', `/containers/${id}/start`), (e: ApiError) => /executable file not found|no such file/.test(e.message));
    const i = await inspect(id);
    assert.equal(i.State.ExitCode, 127);
    assert.equal(i.State.Running, false);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(id), false);
  });
});

describe('list filters', () => {
  test('ps filters by status, name, label, ancestor, exited, id', async () => {
    const a = await create({ Cmd: ['sleep', '1000'], Labels: { role: 'web' } }, 'filter-web');
    const b = await create({ Cmd: ['sh', '-c', 'exit 2'], Labels: { role: 'job' } }, 'filter-job');
    await post(`/containers/${a}/start`);
    await post(`/containers/${b}/start`);
    await wait(b);
    const ids = async (filters: Record<string, string[]>, all = true) =>
      (await c.get<{ Id: string }[]>('/containers/json', { all, filters: JSON.stringify(filters) })).map((x) => x.Id);
    assert.ok((await ids({ status: ['running'] })).includes(a));
    assert.ok(!(await ids({ status: ['running'] })).includes(b));
    assert.deepEqual(await ids({ name: ['filter-'] , label: ['role=job'] }), [b]);
    assert.deepEqual(await ids({ exited: ['2'], name: ['filter-job'] }), [b]);
    await rejectsWith(ids({ exited: ['abc'] }), 400, /^invalid filter 'exited=abc': strconv.Atoi: parsing "abc": invalid syntax$/);
    assert.ok((await ids({ ancestor: ['busybox'] })).includes(a));
    assert.deepEqual(await ids({ id: [a.slice(0, 10)] }), [a]);
    const running = await c.get<{ Id: string; Names: string[]; State: string; Status: string }[]>('/containers/json');
    const web = running.find((x) => x.Id === a)!;
    assert.deepEqual(web.Names, ['/filter-web']);
    assert.equal(web.State, 'running');
    assert.match(web.Status, /^Up /);
    await rejectsWith(c.get('/containers/json', { filters: JSON.stringify({ status: ['sleeping'] }) }), 400, /invalid filter 'status=sleeping'/);
  });
});

describe('limits', () => {
  test('a fork bomb is stopped by the pids limit', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; echo started $i'], HostConfig: { PidsLimit: 20 } });
    await post(`/containers/${id}/start`);
    const r = await wait(id);
    const log = readFileSync(`${d.dataRoot}/containers/${id}/container.log`, 'utf8');
    assert.notEqual(r.StatusCode, 0);
    assert.match(log, /can't fork|Resource temporarily unavailable/);
    assert.doesNotMatch(log, /started 200/);
    assert.deepEqual(processesOf(id), [], 'the sleeps died with the container');
  });

  test('a memory hog is OOM-killed and reported', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'], HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 } });
    await post(`/containers/${id}/start`);
    const r = await wait(id);
    assert.equal(r.StatusCode, 137);
    assert.equal((await inspect(id)).State.OOMKilled, true);
  });
});

describe('restart policies', () => {
  test('on-failure:2 restarts twice, then stays exited', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'exit 1'], HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await post(`/containers/${id}/start`);
    let i = await inspect(id);
    for (let n = 0; n < 100 && !(i.RestartCount === 2 && i.State.Status === 'exited'); n++) {
      await new Promise((r) => setTimeout(r, 100));
      i = await inspect(id);
    }
    assert.equal(i.RestartCount, 2);
    assert.equal(i.State.Status, 'exited');
    assert.equal(i.State.ExitCode, 1);
  });

  test('always restarts a container that exits; stop ends it', async () => {
    const id = await create({ Cmd: ['sh', '-c', 'sleep 0.2; exit 0'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await post(`/containers/${id}/start`);
    let i = await inspect(id);
    for (let n = 0; n < 100 && i.RestartCount < 1; n++) {
      await new Promise((r) => setTimeout(r, 100));
      i = await inspect(id);
    }
    assert.ok(i.RestartCount >= 1);
    await c.call('POST', `/containers/${id}/stop`, { query: { t: 1 } }).then((r) => r.resume()).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const after = await inspect(id);
    assert.equal(after.State.Running, false);
    assert.equal(after.State.Restarting, false);
  });

  test('a container waiting to restart reads as Docker shows it: running and restarting, no process; exec, pause and top say so', async () => {
    // Exits at once: Docker's backoff then waits 100 ms, 200 ms, … before each start.
    const id = await create({ Cmd: ['sh', '-c', 'exit 3'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await post(`/containers/${id}/start`);
    let i = await inspect(id);
    for (let n = 0; n < 250 && !(i.State.Restarting && i.RestartCount >= 2); n++) {
      await new Promise((r) => setTimeout(r, 20));
      i = await inspect(id);
    }
    assert.deepEqual([i.State.Status, i.State.Running, i.State.Restarting, i.State.Pid], ['restarting', true, true, 0]);
    const restarting = new RegExp(`^Container ${id} is restarting, wait until the container is running$`);
    await rejectsWith(c.call('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'] } }), 409, restarting);
    await rejectsWith(c.call('POST', `/containers/${id}/pause`), 409, restarting);
    await c.call('DELETE', `/containers/${id}`, { query: { force: true } }).then((r) => r.resume());
  });
});

describe('live restore', () => {
  test('containers survive kill -9 of berthd: same PID after restart, exits during the outage are recorded, leftovers swept', async () => {
    const victim = await startTestDaemon();
    try {
      const vc = victim.client;
      await importBusybox(vc);
      const mk = async (cmd: string[]) => {
        const { Id } = await vc.json<{ Id: string }>('POST', '/containers/create', { body: { Image: 'busybox', Cmd: cmd } });
        await vc.call('POST', `/containers/${Id}/start`).then((r) => r.resume());
        return Id;
      };
      const long = await mk(['sleep', '1000']);
      const short = await mk(['sh', '-c', 'sleep 1; exit 5']);
      const pid = (await vc.get<Inspect>(`/containers/${long}/json`)).State.Pid;
      await victim.kill9();
      assert.ok(existsSync(`/proc/${pid}`), 'the container process outlived berthd');
      await new Promise((r) => setTimeout(r, 1500)); // the short one exits while berthd is down
      // What a runtime delete cut short by the kill leaves (a bundle of no live container) is swept.
      const stray = `${victim.execRoot}/bundles/${'f'.repeat(64)}`;
      mkdirSync(stray, { recursive: true });
      await victim.restart();
      assert.equal(existsSync(stray), false, 'the stray bundle was swept');
      const l = await victim.client.get<Inspect>(`/containers/${long}/json`);
      assert.equal(l.State.Running, true);
      assert.equal(l.State.Pid, pid);
      const s = await victim.client.get<Inspect>(`/containers/${short}/json`);
      assert.equal(s.State.Running, false);
      assert.equal(s.State.ExitCode, 5);
      // berthd still controls the survivor
      await victim.client.call('POST', `/containers/${long}/stop`, { query: { t: 1 } }).then((r) => r.resume());
      assert.equal((await victim.client.get<Inspect>(`/containers/${long}/json`)).State.Running, false);
    } finally {
      for (const ct of await victim.client.get<{ Id: string }[]>('/containers/json', { all: true }).catch(() => [])) {
        await victim.client.call('DELETE', `/containers/${ct.Id}`, { query: { force: true } }).catch(() => undefined);
      }
      await victim.stop();
    }
  });
});
