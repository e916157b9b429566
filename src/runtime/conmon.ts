/**
 * conmon adapter: starts one conmon per container (or exec session) the way podman does.
 *
 * conmon forks twice and detaches (own session, stdio on /dev/null), so it outlives berthd.
 * It runs `<runtime> create` (or `exec`), holds the container's stdio, writes the k8s-file
 * log, serves the attach socket, and finally writes the exit code to `<exit-dir>/<id>`.
 *
 * Handshake through inherited pipes (set up with spawnProcess's stdio array):
 *   fd 3 `_OCI_SYNCPIPE`   conmon -> us: `{"data": <pid>}` once the runtime created the
 *                          process (negative data + "message" on failure); for exec a second
 *                          message carries the exit code.
 *   fd 4 `_OCI_STARTPIPE`  us -> conmon: conmon waits for one write before it starts (podman
 *                          moves it into a cgroup there); for `--exec-attach` a second write
 *                          lets the exec'd process start once we are attached.
 *   fd 5 `_OCI_ATTACHPIPE` conmon -> us (exec-attach only): the attach socket is listening.
 */
import type { Readable } from 'node:stream';
import { findBinary, spawnProcess, type SpawnedProcess, type StdioSpec } from '../sys/spawn.js';
import { SystemError, errorMessage } from '../util/errors.js';
import { dockerRuntimeMessage } from './runtime-errors.js';

export interface ConmonOptions {
  conmonPath?: string;
  /** Container id (`-c`), and the unique id of this conmon (`-u`: the container id, or the exec id). */
  containerId: string;
  uuid: string;
  name?: string;
  runtimePath: string;
  /** `--runtime-arg` values, e.g. `--root=/run/berth/runtime`. */
  runtimeArgs: string[];
  bundleDir: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  persistDir?: string;
  socketDir: string;
  /** `k8s-file:/path`, `none`, `journald`, ...; a bare path means k8s-file. */
  logDriver: string;
  logSizeMax?: number;
  terminal?: boolean;
  stdin?: boolean;
  /** Keep the container's stdin open when an attached client disconnects (Docker's !StdinOnce). */
  leaveStdinOpen?: boolean;
  noPivot?: boolean;
  exitCommand?: { path: string; args: string[] };
  /** The program the process runs: crun leaves it out of some of its errors (see runtime-errors.ts). */
  executable?: string;
  /** Exec mode: the process.json path. */
  execProcessSpec?: string;
  /** Exec mode: wait for `attached()` before the process starts. */
  execAttach?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads newline-delimited JSON messages from conmon's sync pipe. */
class SyncReader {
  private buffer = '';
  private queue: SyncMessage[] = [];
  private waiters: { resolve: (m: SyncMessage) => void; reject: (e: Error) => void }[] = [];
  private ended: Error | undefined;

  constructor(stream: Readable, describe: () => string) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        try {
          this.push(JSON.parse(line) as SyncMessage);
        } catch {
          this.push({ data: -1, message: `unparsable conmon message: ${line}` });
        }
      }
    });
    const finish = () => {
      this.ended ??= new SystemError(`conmon exited without reporting: ${describe()}`);
      for (const w of this.waiters.splice(0)) w.reject(this.ended);
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  }

  private push(m: SyncMessage): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  next(): Promise<SyncMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

export function conmonArgs(o: ConmonOptions): string[] {
  const args = [
    '--api-version', '1',
    '-c', o.containerId,
    '-u', o.uuid,
    '-n', o.name ?? o.containerId,
    '-r', o.runtimePath,
    '-b', o.bundleDir,
    '-p', o.pidFile,
    '-P', o.conmonPidFile,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '--full-attach',
    '-l', o.logDriver,
  ];
  if (o.persistDir) args.push('--persist-dir', o.persistDir);
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (o.noPivot) args.push('--no-pivot');
  if (o.logLevel) args.push('--log-level', o.logLevel);
  for (const a of o.runtimeArgs) args.push('--runtime-arg', a);
  if (o.exitCommand) {
    args.push('--exit-command', o.exitCommand.path);
    for (const a of o.exitCommand.args) args.push('--exit-command-arg', a);
  }
  if (o.execProcessSpec) {
    args.push('-e', '--exec-process-spec', o.execProcessSpec);
    if (o.execAttach) args.push('--exec-attach');
  }
  return args;
}

/** A started conmon, before and after the runtime created the process. */
export interface ConmonHandle {
  /** Host PID of the container's (or exec's) first process. */
  pid: number;
  /** Exec only: the exit code conmon reports on the sync pipe (undefined if berthd restarted). */
  execExit(): Promise<number>;
  /** Let go of the pipes so the Node process may exit while conmon lives on. */
  detach(): void;
}

/**
 * Spawns conmon and waits until the runtime created the process (`runc create` or
 * `runc exec -d`). For exec-attach, `onAttachReady` runs once the attach socket listens and
 * must resolve before the process is allowed to run.
 */
export async function startConmon(o: ConmonOptions, onAttachReady?: () => Promise<void>): Promise<ConmonHandle> {
  const conmon = o.conmonPath ?? findBinary('conmon') ?? '/usr/bin/conmon';
  const withAttach = o.execAttach === true;
  const stdio: StdioSpec[] = ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'];
  if (withAttach) stdio.push('pipe');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    _OCI_SYNCPIPE: '3',
    _OCI_STARTPIPE: '4',
    ...(withAttach ? { _OCI_ATTACHPIPE: '5' } : {}),
  };
  if (process.env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = process.env.XDG_RUNTIME_DIR;
  let child: SpawnedProcess;
  try {
    // conmon writes its `oom` marker into its working directory: keep it in the bundle.
    child = await spawnProcess(conmon, conmonArgs(o), { stdio, env, detached: true, cwd: o.bundleDir });
  } catch (err) {
    throw new SystemError(`cannot run conmon: ${errorMessage(err)}`, { cause: err });
  }
  let stderr = '';
  let exitCode: number | null = null;
  void child.exited.then((s) => (exitCode = s.code));
  const [, , stderrStream, syncStream, startStream, attachStream] = child.stdio;
  stderrStream!.setEncoding('utf8');
  stderrStream!.on('data', (d: string) => (stderr += d));
  const sync = new SyncReader(syncStream!, () => stderr.trim() || `exit code ${exitCode ?? 'unknown'}`);
  const detach = () => {
    for (const s of child.stdio) s?.destroy();
    child.unref();
  };

  try {
    startStream!.write('0');
    if (withAttach) {
      const attachSync = new SyncReader(attachStream!, () => stderr.trim());
      const ready = await attachSync.next();
      if (ready.data < 0) throw new SystemError(`conmon: ${ready.message ?? 'attach failed'}`);
      if (onAttachReady) await onAttachReady();
      startStream!.write('0');
    }
    const created = await sync.next();
    if (created.data <= 0) {
      throw new SystemError(dockerRuntimeMessage((created.message ?? 'the OCI runtime failed').trim().replace(/^.*msg="?([^"]*)"?$/s, '$1'), o.executable));
    }
    let execExit: Promise<number> | undefined;
    return {
      pid: created.data,
      execExit: () => {
        execExit ??= sync.next().then((m) => {
          if (m.message) throw new SystemError(`exec failed: ${m.message}`);
          return m.data;
        });
        return execExit;
      },
      detach,
    };
  } catch (err) {
    detach();
    throw err;
  }
}
