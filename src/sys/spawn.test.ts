import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SeqpacketServer } from 'node-unix-socket';
import { libc } from './libc.js';
import { findBinary, runCaptured, spawnProcess, SpawnError } from './spawn.js';

const sh = findBinary('sh')!;

function readAll(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.once('close', () => resolve(text));
  });
}

/** This process's fds without O_CLOEXEC (e.g. left open by whatever started the test). */
function inheritableFds(): number[] {
  const O_CLOEXEC = 0o2000000;
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      try {
        const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
        return (Number.parseInt(flags, 8) & O_CLOEXEC) === 0;
      } catch {
        return false; // the directory listing's own fd, closed by now
      }
    });
}

describe('spawnProcess / runCaptured', () => {
  it('uses posix_spawn here (koffi has a build for this host)', () => {
    assert.ok(libc(), 'without koffi the child_process fallback would be what these tests exercise');
  });

  it('finds programs by name in the system directories, and takes a path as it is', () => {
    assert.match(findBinary('sh') ?? '', /^\/(usr\/)?bin\/sh$/);
    assert.equal(findBinary('/bin/sh'), '/bin/sh');
    assert.equal(findBinary('no-such-program-here'), undefined);
    assert.equal(findBinary('/no/such/program'), undefined);
  });

  it('keeps stdout and stderr apart, feeds stdin, and reports the exit code', async () => {
    const r = await runCaptured(sh, ['-c', 'cat; echo to-err >&2; exit 7'], { input: 'hello\n' });
    assert.deepEqual(r, { code: 7, signal: null, stdout: 'hello\n', stderr: 'to-err\n' });
  });

  it('passes the environment and working directory it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-spawn-'));
    try {
      const r = await runCaptured(sh, ['-c', 'echo "$GREETING $(pwd)"; env | wc -l'], { env: { GREETING: 'hi' }, cwd: dir });
      const [first, count] = r.stdout.trim().split('\n');
      assert.equal(first, `hi ${dir}`);
      assert.ok(Number(count) <= 3, `only the given variables (and what sh sets itself): ${r.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the signal that ended the process', async () => {
    const r = await runCaptured(sh, ['-c', 'kill -TERM $$']);
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM');
  });

  it('refuses a missing or non-executable program with its errno', async () => {
    await assert.rejects(spawnProcess('/nonexistent/program', [], { stdio: ['ignore'] }), (err: unknown) => err instanceof SpawnError && err.code === 'ENOENT');
    const dir = mkdtempSync(join(tmpdir(), 'berth-spawn-'));
    try {
      writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
      await assert.rejects(spawnProcess(join(dir, 'not-executable'), [], { stdio: ['ignore'] }), (err: unknown) => err instanceof SpawnError && err.code === 'EACCES');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the child pipes on fds beyond 2, /dev/null for ignored ones, and no other fd of ours', async () => {
    // The attach sockets' addon opens its sockets without close-on-exec: one is listening here.
    const dir = mkdtempSync(join(tmpdir(), 'spawn-fds-'));
    const server = new SeqpacketServer();
    server.listen(join(dir, 'sock'));
    try {
      assert.ok(inheritableFds().some((fd) => fd > 4), 'the test holds an fd without close-on-exec');
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const child = await spawnProcess(sh, ['-c', 'read line <&4; echo "got $line" >&3; cat; ls /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe', 'pipe'] });
      const out = readAll(child.stdio[1]!);
      const three = readAll(child.stdio[3]!);
      child.stdio[4]!.end('ping\n');
      const [status, stdout, fd3] = await Promise.all([child.exited, out, three]);
      assert.deepEqual(status, { code: 0, signal: null });
      assert.equal(fd3, 'got ping\n');
      // `cat` read end of file at once from /dev/null; sh holds the five fds it was given and no
      // other, not even one of ours opened without close-on-exec.
      assert.deepEqual(stdout.trim().split('\n').map(Number).sort((a, b) => a - b), [0, 1, 2, 3, 4]);
      assert.equal(readdirSync('/proc/self/fd').length, fdsBefore, 'the parent closed the child ends and the streams closed ours');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the child with default signal handling and, when detached, in a session of its own', async () => {
    // Node ignores SIGPIPE; a child that kept ignoring it would not die writing to a closed pipe.
    const r = await runCaptured(sh, ['-c', "grep -E '^Sig(Ign|Blk)' /proc/self/status; cut -d' ' -f6 /proc/self/stat"]);
    const ignored = BigInt(`0x${/SigIgn:\s*(\w+)/.exec(r.stdout)![1]}`);
    assert.equal(ignored & (1n << 12n), 0n, 'SIGPIPE is not ignored');
    assert.equal(BigInt(`0x${/SigBlk:\s*(\w+)/.exec(r.stdout)![1]}`), 0n);
    const detached = await spawnProcess(sh, ['-c', "cut -d' ' -f6 /proc/self/stat"], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const session = Number(await readAll(detached.stdio[1]!));
    await detached.exited;
    assert.equal(session, detached.pid, 'the child leads its own session');
  });

  it('reaps every child, also when many exit at once', async () => {
    const children = await Promise.all(Array.from({ length: 30 }, (_, i) => spawnProcess(sh, ['-c', `exit ${i}`], { stdio: ['ignore', 'ignore', 'ignore'] })));
    const statuses = await Promise.all(children.map((c) => c.exited));
    assert.deepEqual(
      statuses.map((s) => s.code),
      Array.from({ length: 30 }, (_, i) => i),
    );
    for (const c of children) assert.equal(existsSync(`/proc/${c.pid}`), false, `pid ${c.pid} was reaped`);
  });

  it('lets the event loop end while an unref’d child lives on', () => {
    const script = `
      import { spawnProcess } from ${JSON.stringify(new URL('./spawn.js', import.meta.url).href)};
      const child = await spawnProcess('/bin/sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
      child.unref();
      console.log(child.pid);
    `;
    const pid = Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
    try {
      // Had node waited for it, the 30 s sleep would be over by now.
      assert.ok(existsSync(`/proc/${pid}`), 'node exited while its child lives on');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});
