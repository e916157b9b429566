/**
 * The OCI runtime CLI adapter: every call berth makes to runc or crun goes through here.
 * `create` and `exec` are not here: conmon runs those (see conmon.ts) so that it can hold
 * the container's stdio; `runToExit` is for processes nobody attaches to later. `--root` is
 * per berthd instance so two daemons never share state.
 *
 * Choosing the binary: crun where the host can run it, else runc; a daemon option or a
 * container's `--runtime` may name either. crun creates a container in well under runc's
 * time: no Go runtime to start, and a compiled seccomp filter it can load (seccomp-cache.ts).
 * crun 1.8 refuses hybrid hosts (v1 controllers plus a v2 `unified` mount) whose v2
 * hierarchy still holds a controller, so on hybrid hosts crun is probed once with a
 * throwaway container and the answer is cached. When crun was named and cannot run, the
 * fallback to runc is logged as a warning.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { findBinary, runCaptured, spawnProcess } from '../sys/spawn.js';
import { log } from '../util/log.js';
import { NotFoundError, SystemError } from '../util/errors.js';
import type { OciResources } from './spec/oci-types.js';
import { removeEmptyCgroupParent } from './cgroup-parent.js';
import { sealedBinary, type SealedBinary } from './sealed-binary.js';
import { detectCgroupMode } from './spec/host-info.js';

export const RUNTIME_NAMES = ['runc', 'crun'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export function isRuntimeName(name: string): name is RuntimeName {
  return (RUNTIME_NAMES as readonly string[]).includes(name);
}

export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  /** creating | created | running | paused | stopped */
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  rootfs?: string;
  created?: string;
}

export interface OciRuntimeOptions {
  /** Absolute path of the runtime binary. */
  path: string;
  name: RuntimeName;
  /** State directory passed as `--root`. */
  root: string;
  /** Its sealed copy, run instead of `path` (see sealed-binary.ts). */
  sealed?: SealedBinary;
}

interface RunFailure extends Error {
  stderr: string;
}

/** Runs `file`; a failure names it `shownAs` (the binary on disk rather than its sealed copy). */
async function run(file: string, args: string[], shownAs = file): Promise<{ stdout: string; stderr: string }> {
  const r = await runCaptured(file, args);
  if (r.code === 0) return r;
  const e = new Error(`${shownAs} ${args.join(' ')}: exit ${r.code ?? r.signal}`) as RunFailure;
  e.stderr = r.stderr;
  throw e;
}

/** runc prints JSON log lines or plain text on failure; keep the human part. */
function runtimeMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  try {
    const parsed = JSON.parse(last) as { msg?: string };
    if (parsed.msg) return parsed.msg;
  } catch {
    // plain text
  }
  return last.replace(/^time="[^"]*" level=\w+ msg="?/, '').replace(/"$/, '');
}

export class OciRuntime {
  readonly path: string;
  readonly name: RuntimeName;
  readonly root: string;
  private readonly sealed?: SealedBinary;

  constructor(opts: OciRuntimeOptions) {
    this.path = opts.path;
    this.name = opts.name;
    this.root = opts.root;
    this.sealed = opts.sealed;
  }

  /** The runtime with its sealed copy where one runs here. */
  static async open(opts: Omit<OciRuntimeOptions, 'sealed'>): Promise<OciRuntime> {
    return new OciRuntime({ ...opts, sealed: await sealedBinary(opts.path) });
  }

  /** What to execute: the sealed copy, or the binary on disk. */
  get execPath(): string {
    return this.sealed?.execPath ?? this.path;
  }

  /** The global arguments conmon must pass too (`--runtime-arg`). */
  globalArgs(): string[] {
    return [`--root=${this.root}`];
  }

  private async call(args: string[], id: string): Promise<string> {
    try {
      const { stdout } = await run(this.execPath, [...this.globalArgs(), ...args], this.path);
      return stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      const msg = runtimeMessage(stderr) || (err as Error).message;
      // runc says the container does not exist; crun cannot open its state (`<root>/<id>/status`).
      const stateMissing = id !== '' && msg.includes(path.join(this.root, id)) && /No such file or directory/.test(msg);
      if (stateMissing || /does not exist|not exist|container not found/i.test(msg)) {
        throw new NotFoundError(`No such container: ${id}`, { cause: err });
      }
      throw new SystemError(`${this.name} ${args[0]} ${id}: ${msg}`, { cause: err });
    }
  }

  async state(id: string): Promise<OciState> {
    return JSON.parse(await this.call(['state', id], id)) as OciState;
  }

  async start(id: string): Promise<void> {
    await this.call(['start', id], id);
  }

  /** `all` signals every process of the container (needed when it shares a PID namespace). */
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.call(['kill', ...(all ? ['--all'] : []), id, String(signal)], id);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.call(['delete', ...(force ? ['--force'] : []), id], id);
  }

  async pause(id: string): Promise<void> {
    await this.call(['pause', id], id);
  }

  async resume(id: string): Promise<void> {
    await this.call(['resume', id], id);
  }

  /**
   * Applies new limits from the OCI linux.resources object. It goes in a file: crun opens
   * `/dev/stdin` for `-`, which fails on the socket Node gives a child as its stdin.
   */
  async update(id: string, resources: OciResources): Promise<void> {
    // A dot file beside the states: neither runtime takes it for a container.
    const file = path.join(this.root, `.update-${id}-${process.hrtime.bigint()}.json`);
    await writeFile(file, JSON.stringify(resources));
    try {
      await this.call(['update', '--resources', file, id], id);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Host PIDs of the container's processes. */
  async ps(id: string): Promise<number[]> {
    const out = await this.call(['ps', '--format', 'json', id], id);
    const parsed = JSON.parse(out || '[]') as number[] | null;
    return parsed ?? [];
  }

  /**
   * `run` in the foreground: create, start, wait and delete in one runtime process, with the
   * process's stdout and stderr on `io` (stdin is /dev/null). The runtime's own messages go to
   * a JSON log in the bundle, so a failure to start (an error there) is told apart from the
   * exit code of the process, which is returned.
   */
  async runToExit(id: string, bundleDir: string, io: { stdout: Writable; stderr: Writable }): Promise<number> {
    const logFile = path.join(bundleDir, 'runtime.log');
    const args = [...this.globalArgs(), '--log', logFile, '--log-format', 'json', 'run', '--bundle', bundleDir, id];
    const child = await spawnProcess(this.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }).catch((err: unknown) => {
      throw new SystemError(`cannot run ${this.name}: ${(err as Error).message}`, { cause: err });
    });
    child.stdio[1]!.pipe(io.stdout, { end: false });
    child.stdio[2]!.pipe(io.stderr, { end: false });
    const drained = Promise.all([1, 2].map((fd) => new Promise((done) => child.stdio[fd]!.once('close', done))));
    const [status] = await Promise.all([child.exited, drained]);
    const code = status.code ?? 128 + (status.signal ? (os.constants.signals[status.signal] ?? 0) : 0);
    const failure = (await readFile(logFile, 'utf8').catch(() => ''))
      .split('\n')
      .map((line) => {
        try {
          return JSON.parse(line) as { level?: string; msg?: string };
        } catch {
          return undefined;
        }
      })
      .find((entry) => entry?.level === 'error' || entry?.level === 'fatal');
    if (failure) throw new SystemError(`${this.name} run ${id}: ${failure.msg ?? 'failed'}`);
    return code;
  }

  async list(): Promise<OciState[]> {
    const out = await this.call(['list', '--format', 'json'], '');
    return (JSON.parse(out || 'null') as OciState[] | null) ?? [];
  }
}

export interface RuntimeSelection {
  /** `runc` unless `crun` was asked for and works here. */
  name: RuntimeName;
  path: string;
  /** Why the preferred runtime was not taken. */
  fallbackReason?: string;
}

let crunVerdict: Promise<string | undefined> | undefined;

/**
 * Why crun cannot run containers on this host, or undefined if it can. crun 1.8 refuses
 * hybrid cgroup hosts at create time ("cgroups in hybrid mode not supported"); v1-only and
 * v2-only hosts are fine. On hybrid hosts the answer comes from a real probe: `crun run` of
 * a throwaway bundle whose process does not exist. Reaching the exec step proves the cgroup
 * setup passed. Probed once per process.
 */
export function crunUnusableReason(crunPath: string): Promise<string | undefined> {
  crunVerdict ??= (async () => {
    if (detectCgroupMode() !== 'hybrid') return undefined;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-crun-probe-'));
    const id = `berth-probe-${process.pid}`;
    try {
      await mkdir(path.join(dir, 'rootfs'));
      const spec = {
        ociVersion: '1.0.2',
        process: { user: { uid: 0, gid: 0 }, args: ['/berth-probe-missing'], cwd: '/', env: [] },
        root: { path: path.join(dir, 'rootfs') },
        mounts: [],
        linux: { namespaces: [{ type: 'mount' }], cgroupsPath: `/berth-probe/${id}` },
      };
      await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec));
      try {
        await run(crunPath, ['--root', path.join(dir, 'state'), 'run', '--bundle', dir, id]);
        return undefined;
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        // Failing at the missing executable means everything before it, cgroups included, worked.
        if (/berth-probe-missing|No such file/i.test(stderr)) return undefined;
        const hint = /hybrid mode/.test(stderr) ? ' (cgroupfs-mount binds the controllers left on cgroup v2 to v1 hierarchies)' : '';
        return `crun cannot run containers here: ${stderr.trim() || (err as Error).message}${hint}`;
      } finally {
        await run(crunPath, ['--root', path.join(dir, 'state'), 'delete', '--force', id]).catch(() => undefined);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      removeEmptyCgroupParent('/berth-probe');
    }
  })();
  return crunVerdict;
}

/**
 * The runtime to use when `preferred` is asked for; undefined means the best this host can
 * run. `quiet`: the caller reports a fallback itself (it is an error for a container that
 * asked for crun).
 */
export async function selectRuntime(preferred?: RuntimeName, opts: { quiet?: boolean } = {}): Promise<RuntimeSelection> {
  const runc = findBinary('runc');
  if (preferred !== 'runc') {
    const crun = findBinary('crun');
    const reason = crun ? await crunUnusableReason(crun) : 'crun is not installed';
    if (crun && !reason) return { name: 'crun', path: crun };
    if (!runc) throw new SystemError(`no usable OCI runtime: ${reason}; runc is not installed`);
    if (preferred === 'crun' && !opts.quiet) log.warn('falling back to runc', { reason });
    else if (!opts.quiet) log.info('containers run on runc', { reason });
    return { name: 'runc', path: runc, fallbackReason: reason };
  }
  if (!runc) throw new SystemError('runc is not installed');
  return { name: 'runc', path: runc };
}
