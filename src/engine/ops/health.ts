/**
 * Health checks, with Docker's semantics (moby `daemon/health.go`):
 *
 * - A running container whose merged Config.Healthcheck has a `CMD`/`CMD-SHELL` test gets a
 *   monitor; `NONE` (what `--no-healthcheck` sends) disables it.
 * - On start, State.Health becomes `starting`. Every probe runs the test through the runtime's
 *   exec; exit 0 is a success, anything else (or a timeout) a failure.
 * - A success makes the container `healthy` and resets FailingStreak. A failure increments the
 *   streak, except while still `starting` inside StartPeriod; at `Retries` failures in a row it
 *   becomes `unhealthy`. Each change of status publishes `health_status: <status>`.
 * - Probes run every Interval; inside StartPeriod (while not yet healthy) every StartInterval.
 * - Log keeps the last 5 probes, each output cut to 4096 bytes.
 *
 * The monitor follows the EventBus (start → monitor; die/destroy → stop) and `resume()`
 * picks up containers that kept running across a berthd restart.
 */
import { randomBytes } from 'node:crypto';
import type { HealthConfig } from '../../api/types/container.js';
import type { ContainerService } from '../containers/service.js';
import type { Container, HealthLogEntry, HealthState } from '../containers/model.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../../util/log.js';
import { errorMessage } from '../../util/errors.js';

const NS_PER_MS = 1_000_000;
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 };
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT_BYTES = 4096;

export interface HealthPlan {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** What to run and how often, or undefined when the container has no (enabled) health check. */
export function healthPlan(hc: HealthConfig | null | undefined, shell: string[] | null | undefined): HealthPlan | undefined {
  const test = hc?.Test;
  if (!hc || !test || test.length === 0 || test[0] === 'NONE') return undefined;
  let cmd: string[];
  if (test[0] === 'CMD') cmd = test.slice(1);
  else if (test[0] === 'CMD-SHELL') cmd = [...(shell && shell.length ? shell : ['/bin/sh', '-c']), test.slice(1).join(' ')];
  else return undefined;
  if (cmd.length === 0) return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? ns / NS_PER_MS : fallback);
  return {
    cmd,
    intervalMs: ms(hc.Interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(hc.Timeout, HEALTH_DEFAULTS.timeoutMs),
    startPeriodMs: ms(hc.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
    startIntervalMs: ms(hc.StartInterval, HEALTH_DEFAULTS.startIntervalMs),
    retries: hc.Retries && hc.Retries > 0 ? hc.Retries : HEALTH_DEFAULTS.retries,
  };
}

export interface ProbeResult {
  start: Date;
  end: Date;
  exitCode: number;
  output: string;
}

/** The next health state after one probe (pure: the rules above). */
export function applyProbe(prev: HealthState, result: ProbeResult, plan: HealthPlan, startedAt: Date): HealthState {
  const next: HealthState = { Status: prev.Status, FailingStreak: prev.FailingStreak, Log: [...prev.Log] };
  if (result.exitCode === 0) {
    next.FailingStreak = 0;
    next.Status = 'healthy';
  } else {
    const inStartPeriod = prev.Status === 'starting' && result.start.getTime() - startedAt.getTime() < plan.startPeriodMs;
    if (!inStartPeriod) {
      next.FailingStreak++;
      if (next.FailingStreak >= plan.retries) next.Status = 'unhealthy';
    }
  }
  const entry: HealthLogEntry = { Start: result.start.toISOString(), End: result.end.toISOString(), ExitCode: result.exitCode, Output: truncateOutput(result.output) };
  next.Log.push(entry);
  if (next.Log.length > MAX_LOG_ENTRIES) next.Log.splice(0, next.Log.length - MAX_LOG_ENTRIES);
  return next;
}

function truncateOutput(s: string): string {
  const b = Buffer.from(s);
  return b.length <= MAX_OUTPUT_BYTES ? s : b.subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
}

export interface HealthMonitorDeps {
  containers: ContainerService;
  events: EventBus;
  log: Logger;
}

interface Monitor {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  abort: AbortController;
}

export class HealthMonitor {
  private readonly monitors = new Map<string, Monitor>();
  private unsubscribe?: () => void;

  constructor(private readonly deps: HealthMonitorDeps) {}

  /** Follows container lifecycle events and monitors the containers running now. */
  start(): void {
    this.unsubscribe = this.deps.events.subscribe((e) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'start') void this.begin(e.Actor.ID, true);
      else if (e.Action === 'die' || e.Action === 'destroy') this.end(e.Actor.ID);
    });
    for (const c of this.deps.containers.store.all()) if (c.state.Running) void this.begin(c.id, false);
  }

  close(): void {
    this.unsubscribe?.();
    for (const id of [...this.monitors.keys()]) this.end(id);
  }

  get monitored(): number {
    return this.monitors.size;
  }

  private async begin(id: string, fresh: boolean): Promise<void> {
    this.end(id);
    const c = this.deps.containers.store.get(id);
    const plan = c && healthPlan(c.config.Healthcheck, c.config.Shell);
    if (!c || !plan) return;
    const m: Monitor = { stopped: false, abort: new AbortController() };
    this.monitors.set(id, m);
    // A fresh start begins "starting" with an empty streak; a resumed monitor keeps its state.
    if (fresh || !c.state.Health) {
      await this.deps.containers
        .mutate(id, (cur) => {
          cur.state.Health = { Status: 'starting', FailingStreak: 0, Log: fresh ? [] : (cur.state.Health?.Log ?? []) };
        })
        .catch(() => undefined);
    }
    this.schedule(id, m, plan);
  }

  private end(id: string): void {
    const m = this.monitors.get(id);
    if (!m) return;
    m.stopped = true;
    if (m.timer) clearTimeout(m.timer);
    m.abort.abort();
    this.monitors.delete(id);
  }

  private schedule(id: string, m: Monitor, plan: HealthPlan): void {
    if (m.stopped) return;
    const c = this.deps.containers.store.get(id);
    if (!c) return;
    const sinceStart = Date.now() - Date.parse(c.state.StartedAt);
    const starting = c.state.Health?.Status === 'starting' && sinceStart < plan.startPeriodMs;
    const delay = starting && plan.startIntervalMs > 0 ? plan.startIntervalMs : plan.intervalMs;
    m.timer = setTimeout(() => {
      void this.probeOnce(id, m, plan).finally(() => this.schedule(id, m, plan));
    }, delay);
    m.timer.unref();
  }

  private async probeOnce(id: string, m: Monitor, plan: HealthPlan): Promise<void> {
    const c = this.deps.containers.store.get(id);
    if (!c || !c.state.Running || m.stopped) return;
    if (c.state.Paused) return;
    const result = await this.probe(c, plan, m.abort.signal);
    if (m.stopped) return;
    let before: HealthState['Status'] | undefined;
    let after: HealthState['Status'] | undefined;
    try {
      const saved = await this.deps.containers.mutate(id, (cur) => {
        if (!cur.state.Running) return;
        const prev = cur.state.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
        before = prev.Status;
        cur.state.Health = applyProbe(prev, result, plan, new Date(cur.state.StartedAt));
        after = cur.state.Health.Status;
      });
      if (after && before !== after) {
        this.deps.containers.event(saved, `health_status: ${after}`);
      }
    } catch (err) {
      this.deps.log.debug('health state not saved', { id: id.slice(0, 12), err: errorMessage(err) });
    }
  }

  /** Runs the test once through the runtime's exec, with the timeout; never throws. */
  private async probe(c: Container, plan: HealthPlan, signal: AbortSignal): Promise<ProbeResult> {
    const start = new Date();
    const rt = this.deps.containers.deps.runtime;
    let output = '';
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const session = await rt.exec(c.id, {
        execId: `health-${randomBytes(8).toString('hex')}`,
        cmd: plan.cmd,
        env: c.config.Env ?? undefined,
        attachStdout: true,
        attachStderr: true,
      });
      const collect = (chunk: Buffer) => {
        if (output.length < MAX_OUTPUT_BYTES * 2) output += chunk.toString('utf8');
      };
      session.io?.stdout.on('data', collect);
      session.io?.stderr.on('data', collect);
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), plan.timeoutMs);
        onAbort = () => resolve('timeout');
        signal.addEventListener('abort', onAbort, { once: true });
      });
      const outcome = await Promise.race([session.exit, timedOut]);
      if (outcome === 'timeout') {
        killQuietly(session.pid);
        session.io?.close();
        void session.exit.catch(() => undefined);
        return { start, end: new Date(), exitCode: -1, output: `Health check exceeded timeout (${formatSeconds(plan.timeoutMs)})` };
      }
      return { start, end: new Date(), exitCode: outcome, output };
    } catch (err) {
      return { start, end: new Date(), exitCode: -1, output: errorMessage(err) };
    } finally {
      if (timer) clearTimeout(timer);
      // The signal lives as long as the monitor: one listener left per probe would pile up.
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/** Kills the timed-out probe process (its conmon then records the exit and cleans up). */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Go's Duration.String for whole and fractional seconds: `30s`, `1.5s`, `500ms`. */
function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}
