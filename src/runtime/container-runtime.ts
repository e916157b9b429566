/**
 * ContainerRuntime: runs OCI bundles through runc/crun under conmon. This is the whole
 * surface the container service uses; it never touches runc or conmon itself.
 *
 * Lifecycle (what the container service does):
 *
 *   const rt = await ConmonRuntime.open({ runRoot, bundleRoot });       // once per daemon
 *   const { spec } = generateSpec({...});                                // spec/generate.ts
 *   const { pid } = await rt.create({ id, spec, logPath, openStdin });   // runc create under conmon
 *   const io = await rt.attach(id);         // optional; before start to lose no output
 *   const exited = rt.wait(id);             // fs.watch on the exit dir
 *   await rt.start(id);                     // the process runs now (runc's exec fifo)
 *   const { exitCode, oomKilled } = await exited;
 *   await rt.delete(id);                    // runc state, bundle, exit file, sockets: all gone
 *
 *   rt.exec(id, { execId, cmd, tty, attachStdout: true, ... })  -> { pid, io?, exit }
 *   rt.recover(id)   after a berthd restart: running / paused / created / exited (+ code, OOM)
 *
 * Files live under the two roots of RuntimeLayout (see paths.ts), so several daemons can
 * run side by side. conmon is detached: the container keeps running when berthd exits.
 */
import { existsSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { makeSpreadDirectories } from '../sys/dir-placement.js';
import { ConflictError, NotFoundError, SystemError } from '../util/errors.js';
import { log } from '../util/log.js';
import { attach, resizeTerminal, type AttachStream } from './attach.js';
import { startConmon } from './conmon.js';
import { execFifoPath, startThroughCrunExecFifo, startThroughExecFifo } from './exec-fifo.js';
import { ExitWatcher, readExitFile, type ExitInfo } from './exit-watcher.js';
import { OciRuntime, RUNTIME_NAMES, selectRuntime, type OciState, type RuntimeName } from './oci-runtime.js';
import { containerPaths, execPaths, persistRoot, runtimeRoot, type ContainerPaths, type RuntimeLayout } from './paths.js';
import { SECCOMP_BPF_ANNOTATION, SeccompBpfCache } from './seccomp-cache.js';
import { hostCapabilities } from './spec/caps.js';
import { mergeEnv, serializeSpec } from './spec/generate.js';
import type { OciProcess, OciResources, OciSpec } from './spec/oci-types.js';
import { readUserDatabase, resolveUser, withHomeFallback, withoutHomeFallback } from './spec/user.js';

export type { AttachStream } from './attach.js';
export type { ExitInfo } from './exit-watcher.js';

export interface ConmonRuntimeOptions extends RuntimeLayout {
  /** Default runtime of containers (default: crun where this host can run it, else runc). */
  runtime?: RuntimeName;
  conmonPath?: string;
  /** conmon's --log-size-max in bytes (default: unlimited). */
  logSizeMax?: number;
  /** Program conmon runs when a container exits (e.g. to notify berthd); optional. */
  exitCommand?: { path: string; args: string[] };
  /** Pass --no-pivot to the runtime (rootfs on ramfs). */
  noPivot?: boolean;
}

export interface CreateOptions {
  id: string;
  name?: string;
  /** The config.json content (generateSpec). Its rootfs must already be mounted. */
  spec: OciSpec;
  /** The OCI runtime to run it with (Docker's HostConfig.Runtime); the default if unset. */
  runtime?: RuntimeName;
  /** Where conmon writes the k8s-file log. */
  logPath: string;
  /** Docker's OpenStdin: give the process a stdin pipe (TTY containers always have one). */
  openStdin?: boolean;
  /** Docker's StdinOnce: close stdin when the first attached client detaches. */
  stdinOnce?: boolean;
  // --- ops hook (log rotation, src/engine/logging): per-container conmon --log-size-max ---
  /** conmon's --log-size-max for this container; overrides the runtime-wide default. */
  logSizeMax?: number;
  // --- end ops hook ---
}

export interface ExecOptions {
  /** Unique per exec session (Docker's exec id). */
  execId: string;
  cmd: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  tty?: boolean;
  privileged?: boolean;
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  consoleSize?: { height: number; width: number };
}

export interface ExecSession {
  pid: number;
  /** Present when any stream was attached. */
  io?: AttachStream;
  /** Resolves with the exit code; the session's files are removed by then. */
  exit: Promise<number>;
  resize(height: number, width: number): Promise<void>;
}

export type RecoveredStatus = 'created' | 'running' | 'paused' | 'exited' | 'missing';

export interface RecoveredState {
  status: RecoveredStatus;
  pid?: number;
  conmonPid?: number;
  /** For `exited`: what conmon recorded (exit code -1 and now if conmon died without a record). */
  exit?: ExitInfo;
}

export interface ContainerRuntime {
  /** The runtime containers get when they ask for none (runc if crun was asked for but cannot run here). */
  readonly runtimeName: RuntimeName;
  create(opts: CreateOptions): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string | number): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  update(id: string, resources: OciResources): Promise<void>;
  state(id: string): Promise<OciState>;
  processes(id: string): Promise<number[]>;
  attach(id: string): Promise<AttachStream>;
  resize(id: string, height: number, width: number): Promise<void>;
  wait(id: string, signal?: AbortSignal): Promise<ExitInfo>;
  exec(id: string, opts: ExecOptions): Promise<ExecSession>;
  /**
   * Runs a short-lived process to its end without conmon (a build step): its output goes to
   * `io`, the exit code is returned, and nothing of it is left behind. `kill` works meanwhile.
   */
  runToExit(opts: { id: string; spec: OciSpec; stdout: Writable; stderr: Writable }): Promise<number>;
  recover(id: string): Promise<RecoveredState>;
  /**
   * Deletes what the runtime still holds for containers that are neither live nor kept
   * (stopped runc states, bundle directories): a berthd killed in the middle of deletes
   * leaves them. Returns the ids swept.
   */
  sweep(keep: (id: string) => boolean): Promise<string[]>;
  close(): void;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and really a conmon (pids get reused). */
async function isConmon(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0]?.endsWith('conmon') ?? false;
  } catch {
    return false;
  }
}

export class ConmonRuntime implements ContainerRuntime {
  readonly runtimeName: RuntimeName;
  private readonly exits: ExitWatcher;
  /** The runtimes containers use, each with its own `--root`; crun only once it is known to work. */
  private readonly runtimes = new Map<RuntimeName, Promise<OciRuntime>>();
  /** Which runtime runs which container, learnt at create or from the runtime roots. */
  private readonly runtimeOf = new Map<string, OciRuntime>();
  /** crun's compiled seccomp filters (runc has no way to take one). */
  private crunSeccomp?: SeccompBpfCache;

  private constructor(
    private readonly opts: ConmonRuntimeOptions,
    private readonly oci: OciRuntime,
  ) {
    this.runtimeName = oci.name;
    this.runtimes.set(oci.name, Promise.resolve(oci));
    this.exits = new ExitWatcher(path.join(opts.runRoot, 'exits'));
  }

  static async open(opts: ConmonRuntimeOptions): Promise<ConmonRuntime> {
    const sel = await selectRuntime(opts.runtime);
    const root = path.join(runtimeRoot(opts), sel.name);
    // Each gets a directory per container: spread them over the disk (sys/dir-placement.ts).
    await makeSpreadDirectories([root, opts.bundleRoot, persistRoot(opts)]);
    return new ConmonRuntime(opts, await OciRuntime.open({ path: sel.path, name: sel.name, root }));
  }

  /** The default runtime's adapter, for callers that need a raw call. */
  get ociRuntime(): OciRuntime {
    return this.oci;
  }

  /** The adapter of runtime `name`; asking for crun where it cannot run is an error, not a fallback. */
  private runtimeNamed(name: RuntimeName): Promise<OciRuntime> {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = (async () => {
        const sel = await selectRuntime(name, { quiet: true });
        if (sel.name !== name) throw new SystemError(sel.fallbackReason ?? `${name} cannot run containers here`);
        const root = path.join(runtimeRoot(this.opts), name);
        await makeSpreadDirectories([root]);
        return OciRuntime.open({ path: sel.path, name, root });
      })();
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  /** The runtime of container `id`: the one that created it, found by its state directory after a restart. */
  private async runtimeFor(id: string): Promise<OciRuntime> {
    const known = this.runtimeOf.get(id);
    if (known) return known;
    for (const name of RUNTIME_NAMES) {
      if (name !== this.oci.name && (await exists(path.join(runtimeRoot(this.opts), name, id)))) {
        const rt = await this.runtimeNamed(name);
        this.runtimeOf.set(id, rt);
        return rt;
      }
    }
    return this.oci;
  }

  private seccompCache(rt: OciRuntime): SeccompBpfCache | undefined {
    if (rt.name !== 'crun') return undefined;
    // There is one crun adapter per ConmonRuntime (runtimeNamed keeps it), so one cache.
    this.crunSeccomp ??= new SeccompBpfCache(path.join(this.opts.runRoot, 'seccomp-bpf'), rt.path);
    return this.crunSeccomp;
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.opts, id);
  }

  async create(o: CreateOptions): Promise<{ pid: number }> {
    const p = this.paths(o.id);
    if (await exists(p.configFile)) throw new ConflictError(`container ${o.id} already has a bundle`);
    const oci = o.runtime ? await this.runtimeNamed(o.runtime) : this.oci;
    const seccomp = this.seccompCache(oci);
    const compiled = await seccomp?.compiledFor(o.spec);
    const spec = compiled ? { ...o.spec, annotations: { ...o.spec.annotations, [SECCOMP_BPF_ANNOTATION]: compiled } } : o.spec;
    await Promise.all([
      mkdir(p.bundleDir, { recursive: true }),
      mkdir(p.persistDir, { recursive: true }),
      mkdir(p.exitDir, { recursive: true }),
      mkdir(p.socketDir, { recursive: true }),
      mkdir(path.dirname(o.logPath), { recursive: true }),
    ]);
    await Promise.all([writeFile(p.configFile, serializeSpec(spec)), rm(p.exitFile, { force: true })]);
    const tty = spec.process.terminal === true;
    try {
      const handle = await startConmon({
        conmonPath: this.opts.conmonPath,
        containerId: o.id,
        uuid: o.id,
        name: o.name,
        executable: spec.process.args?.[0],
        runtimePath: oci.execPath,
        runtimeArgs: oci.globalArgs(),
        bundleDir: p.bundleDir,
        pidFile: p.pidFile,
        conmonPidFile: p.conmonPidFile,
        exitDir: p.exitDir,
        persistDir: p.persistDir,
        socketDir: p.socketDir,
        logDriver: `k8s-file:${o.logPath}`,
        logSizeMax: o.logSizeMax ?? this.opts.logSizeMax, // ops hook: per-container log limit
        terminal: tty,
        stdin: o.openStdin === true || tty,
        leaveStdinOpen: o.openStdin === true && !o.stdinOnce,
        noPivot: this.opts.noPivot,
        exitCommand: this.opts.exitCommand,
      });
      handle.detach();
      this.runtimeOf.set(o.id, oci);
      if (seccomp && !compiled) {
        await seccomp.keep(spec, path.join(oci.root, o.id, 'seccomp.bpf')).catch((err: unknown) => log.warn('cannot keep a compiled seccomp filter', { err: (err as Error).message }));
      }
      return { pid: handle.pid };
    } catch (err) {
      await this.removeFiles(o.id);
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    // The runtime's own start protocol, without its process (see exec-fifo.ts).
    const oci = await this.runtimeFor(id);
    const fifo = execFifoPath(oci.root, id);
    if (await exists(fifo)) {
      if (oci.name === 'crun') return startThroughCrunExecFifo(fifo);
      const pid = await readPid(this.paths(id).pidFile);
      if (pid) return startThroughExecFifo(fifo, pid);
    }
    await oci.start(id);
  }

  async runToExit(o: { id: string; spec: OciSpec; stdout: Writable; stderr: Writable }): Promise<number> {
    const p = this.paths(o.id);
    if (await exists(p.configFile)) throw new ConflictError(`container ${o.id} already has a bundle`);
    await mkdir(p.bundleDir, { recursive: true });
    try {
      await writeFile(p.configFile, serializeSpec(o.spec));
      return await this.oci.runToExit(o.id, p.bundleDir, { stdout: o.stdout, stderr: o.stderr });
    } finally {
      await rm(p.bundleDir, { recursive: true, force: true });
    }
  }

  async kill(id: string, signal: string | number): Promise<void> {
    await (await this.runtimeFor(id)).kill(id, signal);
  }

  async pause(id: string): Promise<void> {
    await (await this.runtimeFor(id)).pause(id);
  }

  async resume(id: string): Promise<void> {
    await (await this.runtimeFor(id)).resume(id);
  }

  async update(id: string, resources: OciResources): Promise<void> {
    await (await this.runtimeFor(id)).update(id, resources);
  }

  async state(id: string): Promise<OciState> {
    return (await this.runtimeFor(id)).state(id);
  }

  async processes(id: string): Promise<number[]> {
    return (await this.runtimeFor(id)).ps(id);
  }

  attach(id: string): Promise<AttachStream> {
    const p = this.paths(id);
    return attach({ socketPath: p.attachSocket, ctlFifo: p.ctlFifo });
  }

  resize(id: string, height: number, width: number): Promise<void> {
    return resizeTerminal(this.paths(id).ctlFifo, height, width);
  }

  wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const p = this.paths(id);
    return this.exits.waitFor(id, () => readExitFile(p.exitFile, p.oomFiles), signal);
  }

  /**
   * Removes the container from the runtime and every file berth's runtime layer made for it.
   * Without `force` a running container is a conflict; with it the container is killed.
   * Waits for conmon to finish so that no process outlives the call.
   */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const p = this.paths(id);
    // One runtime call on the common path: `delete` refuses a live container by itself.
    try {
      await (await this.runtimeFor(id)).delete(id, opts.force === true);
    } catch (err) {
      if (err instanceof NotFoundError) {
        // Never created, or already deleted: only files may be left.
      } else if (!opts.force && /not stopped|running|paused|not in .created. or .stopped. state/i.test((err as Error).message)) {
        throw new ConflictError(`cannot remove container ${id}: container is running: stop the container before removing or force remove`, { cause: err });
      } else {
        throw err;
      }
    }
    const conmonPid = await readPid(p.conmonPidFile);
    if (conmonPid && (await isConmon(conmonPid))) {
      // conmon exits right after writing the exit file; give it that moment, then insist.
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 5000);
      await this.wait(id, ac.signal).catch(() => undefined);
      clearTimeout(timer);
      await waitGone(conmonPid);
    }
    await this.removeFiles(id);
    this.runtimeOf.delete(id);
  }

  private async removeFiles(id: string): Promise<void> {
    const p = this.paths(id);
    await Promise.all([
      rm(p.bundleDir, { recursive: true, force: true }),
      rm(p.persistDir, { recursive: true, force: true }),
      rm(p.exitFile, { force: true }),
      rm(path.join(p.socketDir, id), { force: true }),
    ]);
  }

  async exec(id: string, o: ExecOptions): Promise<ExecSession> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(o.execId)) throw new SystemError(`invalid exec id ${o.execId}`);
    const cp = this.paths(id);
    let spec: OciSpec;
    try {
      spec = JSON.parse(await readFile(cp.configFile, 'utf8')) as OciSpec;
    } catch {
      throw new NotFoundError(`No such container: ${id}`);
    }
    const oci = await this.runtimeFor(id);
    const state = await oci.state(id);
    if (state.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    const ep = execPaths(cp, id, o.execId);
    await Promise.all([mkdir(ep.exitDir, { recursive: true }), mkdir(ep.persistDir, { recursive: true })]);

    const base = spec.process;
    const users = o.user ? readUserDatabase(spec.root.path) : undefined;
    const user = o.user ? resolveUser(o.user, [], users!) : undefined;
    const caps = o.privileged ? hostCapabilities() : undefined;
    const proc: OciProcess = {
      ...base,
      terminal: o.tty === true,
      args: o.cmd,
      env: user ? withHomeFallback(mergeEnv(withoutHomeFallback(base.env, base.user.uid, users!), o.env), user.uid, users!) : mergeEnv(base.env, o.env),
      cwd: o.workdir || base.cwd,
      user: user
        ? { uid: user.uid, gid: user.gid, umask: base.user.umask, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) }
        : base.user,
      ...(caps ? { capabilities: { bounding: caps, effective: caps, permitted: caps } } : {}),
    };
    if (o.tty && o.consoleSize) proc.consoleSize = o.consoleSize;
    else delete proc.consoleSize;
    await writeFile(ep.processFile, JSON.stringify(proc));

    const attachAny = o.attachStdin === true || o.attachStdout === true || o.attachStderr === true;
    let io: AttachStream | undefined;
    const exitWatch = new ExitWatcher(ep.exitDir);
    const cleanup = async () => {
      exitWatch.close();
      await rm(ep.bundleDir, { recursive: true, force: true });
      await rm(path.join(ep.socketDir, o.execId), { force: true });
    };
    try {
      const handle = await startConmon(
        {
          conmonPath: this.opts.conmonPath,
          containerId: id,
          uuid: o.execId,
          executable: o.cmd[0],
          runtimePath: oci.execPath,
          runtimeArgs: oci.globalArgs(),
          bundleDir: ep.bundleDir,
          pidFile: ep.pidFile,
          conmonPidFile: ep.conmonPidFile,
          exitDir: ep.exitDir,
          persistDir: ep.persistDir,
          socketDir: ep.socketDir,
          logDriver: 'none',
          terminal: o.tty === true,
          stdin: o.attachStdin === true,
          execProcessSpec: ep.processFile,
          execAttach: attachAny,
        },
        attachAny
          ? async () => {
              io = await attach({ socketPath: ep.attachSocket, ctlFifo: ep.ctlFifo });
            }
          : undefined,
      );
      handle.detach();
      const exit = exitWatch
        .waitFor(id, () => readExitFile(ep.exitFile))
        .then(async (info) => {
          if (io) await io.closed;
          await cleanup();
          return info.exitCode;
        });
      return { pid: handle.pid, io, exit, resize: (h, w) => resizeTerminal(ep.ctlFifo, h, w) };
    } catch (err) {
      io?.close();
      await cleanup();
      throw err;
    }
  }

  /**
   * What happened to a container while berthd was away, from conmon's files and runc's
   * state: an exit file means it exited (code, time, OOM); otherwise a live conmon plus
   * runc's status tells created/running/paused. A dead conmon without an exit file means
   * the record is lost: reported as exited with code -1 (and the container killed if runc
   * still runs it, since nothing would collect its output or exit code any more).
   */
  async recover(id: string): Promise<RecoveredState> {
    const p = this.paths(id);
    const exit = await readExitFile(p.exitFile, p.oomFiles);
    if (exit) return { status: 'exited', exit };
    const conmonPid = await readPid(p.conmonPidFile);
    const conmonAlive = conmonPid !== undefined && (await isConmon(conmonPid));
    const oci = await this.runtimeFor(id);
    let state: OciState | undefined;
    try {
      state = await oci.state(id);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (conmonAlive && state && state.status !== 'stopped') {
      return { status: state.status === 'creating' ? 'created' : state.status, pid: state.pid, conmonPid };
    }
    if (conmonAlive && state?.status === 'stopped') {
      // The exit file is about to be written.
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 2000);
      try {
        return { status: 'exited', exit: await this.wait(id, ac.signal), conmonPid };
      } catch {
        // fall through
      } finally {
        clearTimeout(timer);
      }
    }
    if (!state && !(await exists(p.configFile))) return { status: 'missing' };
    if (state && state.status !== 'stopped') {
      log.warn('container lost its conmon; killing it', { id });
      await oci.kill(id, 'KILL').catch(() => undefined);
    }
    return { status: 'exited', exit: { exitCode: -1, exitedAt: new Date(), oomKilled: (await Promise.all(p.oomFiles.map(exists))).some(Boolean) } };
  }

  async sweep(keep: (id: string) => boolean): Promise<string[]> {
    // Every runtime that has a root here, whether or not this start of berthd used it yet.
    const names = RUNTIME_NAMES.filter((n) => n === this.oci.name || existsSync(path.join(runtimeRoot(this.opts), n)));
    const runtimes = await Promise.all(names.map((n) => this.runtimeNamed(n).catch(() => undefined)));
    const lists = await Promise.all(runtimes.map((rt) => rt?.list() ?? []));
    const states = lists.flat();
    const bundles = await readdir(this.opts.bundleRoot).catch(() => [] as string[]);
    const live = new Set(states.filter((s) => s.status !== 'stopped').map((s) => s.id));
    const candidates = new Set([...states.map((s) => s.id), ...bundles]);
    const swept = [...candidates].filter((id) => !live.has(id) && !keep(id));
    for (const id of swept) await this.delete(id, { force: true });
    return swept;
  }

  close(): void {
    this.exits.close();
  }
}

/** Resolves once `pid` no longer exists (conmon exits within milliseconds of its exit file). */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (!(await isConmon(pid))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
