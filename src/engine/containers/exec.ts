/**
 * Exec sessions (`docker exec`): Docker's two-step create/start. `create` records what to
 * run; `start` runs it in the running container through the runtime (conmon exec) and
 * returns the session's streams. Records live in memory only — like dockerd, an exec does
 * not survive the daemon — and are dropped a while after they end and when their container
 * goes away.
 */
import { randomBytes } from 'node:crypto';
import type { ExecSession } from '../../runtime/container-runtime.js';
import { ConflictError, InvalidParameterError, NotFoundError, errorMessage } from '../../util/errors.js';
import { execPaused, isRestarting, notRunning } from './errors.js';
import type { Container } from './model.js';
import type { ContainerService } from './service.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  /** null until the process ended. */
  exitCode: number | null;
  pid: number;
  session?: ExecSession;
}

/** Docker's exit codes for a command that could not be started. */
export function execFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 126;
}

/** How long an ended exec stays inspectable. */
const KEEP_ENDED_MS = 5 * 60_000;

export class ExecManager {
  private readonly records = new Map<string, ExecRecord>();

  constructor(private readonly containers: ContainerService) {
    containers.deps.events.subscribe((e) => {
      if (e.Type === 'container' && e.Action === 'destroy') this.dropContainer(e.Actor.ID);
    });
  }

  create(ref: string, config: ExecConfig): string {
    const c = this.containers.store.mustFind(ref);
    this.mustBeRunning(c, ref);
    if (!config.Cmd || config.Cmd.length === 0) throw new InvalidParameterError('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.records.set(id, { id, containerId: c.id, config, running: false, started: false, exitCode: null, pid: 0 });
    this.event(c, `exec_create: ${config.Cmd.join(' ')}`, id);
    return id;
  }

  get(id: string): ExecRecord {
    const r = this.records.get(id);
    if (!r) throw new NotFoundError(`No such exec instance: ${id}`);
    return r;
  }

  /**
   * Starts the process. Resolves once it runs (with its streams when any was attached); a
   * command that cannot start rejects, and the record keeps Docker's 126/127 exit code.
   */
  /** Throws what `start` would throw before running anything. */
  assertStartable(id: string): void {
    const r = this.get(id);
    if (r.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    this.mustBeRunning(this.containers.store.mustFind(r.containerId), r.containerId);
  }

  async start(id: string, opts: { tty?: boolean; consoleSize?: [number, number] | null; detach?: boolean }): Promise<ExecRecord> {
    const r = this.get(id);
    if (r.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const c = this.containers.store.mustFind(r.containerId);
    this.mustBeRunning(c, c.id);
    r.started = true;
    r.running = true;
    const tty = opts.tty ?? r.config.Tty === true;
    const size = opts.consoleSize ?? r.config.ConsoleSize;
    const attach = !opts.detach;
    this.event(c, `exec_start: ${r.config.Cmd.join(' ')}`, id);
    let session: ExecSession;
    try {
      session = await this.containers.deps.runtime.exec(c.id, {
        execId: id,
        cmd: r.config.Cmd,
        env: r.config.Env ?? undefined,
        user: r.config.User || undefined,
        workdir: r.config.WorkingDir || undefined,
        tty,
        privileged: r.config.Privileged === true,
        attachStdin: attach && r.config.AttachStdin === true,
        attachStdout: attach && r.config.AttachStdout !== false,
        attachStderr: attach && r.config.AttachStderr !== false,
        ...(size && size[0] > 0 && size[1] > 0 ? { consoleSize: { height: size[0], width: size[1] } } : {}),
      });
    } catch (err) {
      this.ended(r, c, execFailureCode(errorMessage(err)));
      throw err;
    }
    r.session = session;
    r.pid = session.pid;
    session.exit.then(
      (code) => this.ended(r, c, code),
      () => this.ended(r, c, 126),
    );
    return r;
  }

  /** Resolves with the exit code once the process ended and the record shows it. */
  async exited(id: string): Promise<number> {
    const r = this.get(id);
    if (r.exitCode !== null) return r.exitCode;
    await r.session?.exit.catch(() => undefined);
    return r.exitCode ?? 126;
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const r = this.get(id);
    if (!r.running || !r.session) throw new ConflictError(`Exec ${id} is not running`);
    await r.session.resize(height, width);
  }

  /** `GET /exec/{id}/json`. */
  inspect(id: string): Record<string, unknown> {
    const r = this.get(id);
    const [entrypoint, ...args] = r.config.Cmd;
    return {
      ID: r.id,
      Running: r.running,
      ExitCode: r.exitCode,
      // Docker leaves an empty user out (omitempty).
      ProcessConfig: { privileged: r.config.Privileged === true, ...(r.config.User ? { user: r.config.User } : {}), tty: r.config.Tty === true, entrypoint, arguments: args },
      OpenStdin: r.config.AttachStdin === true,
      OpenStderr: r.config.AttachStderr === true,
      OpenStdout: r.config.AttachStdout === true,
      CanRemove: false,
      ContainerID: r.containerId,
      DetachKeys: r.config.DetachKeys ?? '',
      Pid: r.pid,
    };
  }

  /** Exec IDs of a container, for its inspect output. */
  idsOf(containerId: string): string[] {
    return [...this.records.values()].filter((r) => r.containerId === containerId && r.running).map((r) => r.id);
  }

  dropContainer(containerId: string): void {
    for (const [id, r] of this.records) if (r.containerId === containerId) this.records.delete(id);
  }

  private ended(r: ExecRecord, c: Container, code: number): void {
    if (r.exitCode !== null) return;
    r.running = false;
    r.exitCode = code;
    this.event(c, 'exec_die', r.id, { exitCode: String(code) });
    setTimeout(() => this.records.delete(r.id), KEEP_ENDED_MS).unref();
  }

  /** `ref`: how the paused error names the container (Docker: as asked at create, the ID at start). */
  private mustBeRunning(c: Container, ref: string): void {
    const cur = this.containers.store.get(c.id) ?? c;
    // A restarting container has no process; Docker, which counts it as running, says so.
    if (cur.state.Restarting) throw isRestarting(cur.id);
    if (!cur.state.Running) throw notRunning(cur.id);
    if (cur.state.Paused) throw execPaused(ref);
  }

  private event(c: Container, action: string, execId: string, extra: Record<string, string> = {}): void {
    this.containers.event(c, action, { execID: execId, ...extra });
  }
}
