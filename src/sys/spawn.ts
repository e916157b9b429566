/**
 * Starting programs from berthd: conmon, runc and crun, ip, iptables.
 *
 * Node's child_process forks the whole daemon. fork(2) copies berthd's page tables on the
 * event loop's thread: 3–5 ms at 100–150 MB resident, and two or three spawns stand in the
 * way of every `docker run`. Here glibc's posix_spawn(3) starts the child without copying
 * them (0.2 ms), through koffi (sys/libc.ts).
 *
 * What Node's spawn does besides, this module does too:
 * - stdio: each 'pipe' is one end of an AF_UNIX socketpair, as in Node, so one kind of pipe
 *   works in either direction; 'ignore' is /dev/null. No other fd of berthd's reaches the
 *   child: Node opens its own close-on-exec, and the child closes every fd above its stdio
 *   before it execs, for those a native addon opened without (the attach sockets).
 * - reaping: libuv waits only for the pids it started itself. Ours are collected on SIGCHLD
 *   (and by a slow poll, in case one was missed) with waitpid(pid, WNOHANG), so none is left
 *   a zombie. A child keeps the event loop alive until it exits or is `unref`'d.
 *
 * Where koffi has no build, Node's child_process does the same job behind the same interface.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import os from 'node:os';
import { libc, LibcError, type FileAction, type Libc } from './libc.js';

export type StdioSpec = 'ignore' | 'pipe';

export interface SpawnOptions {
  /** What the child's fds 0, 1, 2, 3... get. */
  stdio: StdioSpec[];
  /** The child's whole environment (default: berthd's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A session of its own, so it lives on without berthd (Node's `detached`). */
  detached?: boolean;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  pid: number;
  /** berthd's end of each 'pipe' in `stdio`, by the child's fd; undefined for 'ignore'. */
  stdio: (Socket | undefined)[];
  exited: Promise<ExitStatus>;
  /** Let berthd's event loop end without waiting for this child. */
  unref(): void;
}

/** The program could not be started (errno in `code`: ENOENT, EACCES...). */
export class SpawnError extends Error {
  readonly code: string;
  constructor(file: string, code: string, message: string) {
    super(`spawn ${file}: ${message}`);
    this.code = code;
  }
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Where a program is: the sbin and bin directories first, then berthd's PATH; a path is taken as it is. */
export function findBinary(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  const dirs = [...SYSTEM_DIRS, ...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))];
  return dirs.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

/** Starts `file` (an absolute path) with `args`; rejects with a SpawnError if it cannot start. */
export async function spawnProcess(file: string, args: string[], opts: SpawnOptions): Promise<SpawnedProcess> {
  const c = libc();
  return c ? posixSpawnProcess(c, file, args, opts) : nodeSpawnProcess(file, args, opts);
}

export interface CapturedRun extends ExitStatus {
  stdout: string;
  stderr: string;
}

/** Runs `file` to its end with `input` on stdin and collects stdout and stderr. */
export async function runCaptured(file: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CapturedRun> {
  const child = await spawnProcess(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
  const [stdin, stdout, stderr] = child.stdio as [Socket, Socket, Socket];
  const collect = (s: Socket) =>
    new Promise<string>((resolve) => {
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.once('close', () => resolve(text));
    });
  const out = collect(stdout);
  const err = collect(stderr);
  stdin.end(opts.input ?? '');
  const [status, outText, errText] = await Promise.all([child.exited, out, err]);
  return { ...status, stdout: outText, stderr: errText };
}

// ------------------------------------------------------------------ posix_spawn backend

const REAP_POLL_MS = 1000;
const waiting = new Map<number, { done: (status: ExitStatus) => void; keepsAlive: boolean }>();
let poll: NodeJS.Timeout | undefined;

function posixSpawnProcess(c: Libc, file: string, args: string[], opts: SpawnOptions): SpawnedProcess {
  const ours: (number | undefined)[] = [];
  const theirs: (number | undefined)[] = [];
  try {
    opts.stdio.forEach((spec, fd) => {
      if (spec === 'ignore') return;
      [ours[fd], theirs[fd]] = c.socketpair();
    });
    const env = Object.entries(opts.env ?? process.env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const pid = c.posixSpawn(file, [file, ...args], env, { fileActions: stdioActions(opts.stdio, theirs), closeFrom: opts.stdio.length, cwd: opts.cwd, setsid: opts.detached });
    const exited = new Promise<ExitStatus>((done) => waitFor(pid, done));
    return {
      pid,
      stdio: ours.map((fd) => (fd === undefined ? undefined : socketOn(fd))),
      exited,
      unref: () => {
        const w = waiting.get(pid);
        if (w) w.keepsAlive = false;
        refreshPoll();
      },
    };
  } catch (err) {
    for (const fd of ours) if (fd !== undefined) c.close(fd);
    if (err instanceof LibcError) throw new SpawnError(file, err.code, err.message.replace(/^[^:]*: /, ''));
    throw err;
  } finally {
    for (const fd of theirs) if (fd !== undefined) c.close(fd);
  }
}

/**
 * Puts the child's ends of the pipes on fds 0, 1, 2... A child end may itself have a low
 * number that another one must land on, so all of them move out of the way first.
 */
function stdioActions(stdio: StdioSpec[], childEnds: (number | undefined)[]): FileAction[] {
  const parked = Math.max(stdio.length, ...childEnds.filter((fd) => fd !== undefined)) + 1;
  const actions: FileAction[] = [];
  childEnds.forEach((fd, i) => fd !== undefined && actions.push({ dup2: fd, to: parked + i }));
  stdio.forEach((spec, fd) => actions.push(spec === 'ignore' ? { open: '/dev/null', fd } : { dup2: parked + fd, to: fd }));
  childEnds.forEach((fd, i) => fd !== undefined && actions.push({ close: parked + i }));
  return actions;
}

function socketOn(fd: number): Socket {
  const s = new Socket({ fd, readable: true, writable: true });
  // A child that dies mid-write shows up as end of stream and as its exit status.
  s.on('error', () => undefined);
  return s;
}

function waitFor(pid: number, done: (status: ExitStatus) => void): void {
  if (waiting.size === 0) process.on('SIGCHLD', reapExited);
  waiting.set(pid, { done, keepsAlive: true });
  refreshPoll();
}

function reapExited(): void {
  const c = libc()!;
  for (const [pid, w] of waiting) {
    let status: number | undefined;
    try {
      status = c.reap(pid);
    } catch {
      status = 0; // ECHILD: somebody else reaped it; nothing more will come.
    }
    if (status === undefined) continue;
    waiting.delete(pid);
    w.done(decodeWaitStatus(status));
  }
  if (waiting.size === 0) process.off('SIGCHLD', reapExited);
  refreshPoll();
}

function refreshPoll(): void {
  if (waiting.size === 0) {
    clearInterval(poll);
    poll = undefined;
    return;
  }
  poll ??= setInterval(reapExited, REAP_POLL_MS);
  const keepsAlive = [...waiting.values()].some((w) => w.keepsAlive);
  if (keepsAlive) poll.ref();
  else poll.unref();
}

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function decodeWaitStatus(status: number): ExitStatus {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: SIGNAL_NAMES.get(signal) ?? 'SIGKILL' };
}

// ------------------------------------------------------------------ child_process backend

function nodeSpawnProcess(file: string, args: string[], opts: SpawnOptions): Promise<SpawnedProcess> {
  return new Promise((resolve, reject) => {
    const child = nodeSpawn(file, args, { stdio: opts.stdio, env: opts.env, cwd: opts.cwd, detached: opts.detached });
    const exited = new Promise<ExitStatus>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    child.once('error', (err: NodeJS.ErrnoException) => reject(new SpawnError(file, err.code ?? 'EIO', err.message)));
    child.once('spawn', () =>
      resolve({
        pid: child.pid!,
        stdio: child.stdio.map((s) => (s instanceof Socket ? s : undefined)),
        exited,
        unref: () => child.unref(),
      }),
    );
  });
}
