/**
 * Log drivers at work: for each running container whose driver needs it, a LogFollower on
 * its local log keeps rotated files (json-file/local max-file) and feeds a shipper (syslog,
 * fluentd, gelf, journald). Follows the EventBus: `start` attaches, `die`/`destroy` drains
 * and detaches. Delivery problems are logged, published as `log_delivery_failed` container
 * events and counted (berth_log_lines_dropped_total); the container never waits on them.
 *
 * `prepareCreate` is the runtime hook: it gives conmon the container's size limit (or
 * /dev/null for `none`) and remembers where in the log the new run begins, so nothing the
 * process prints before `start` is published escapes the shipper.
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { CreateOptions } from '../../runtime/container-runtime.js';
import { errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ContainerService } from '../containers/service.js';
import type { Container } from '../containers/model.js';
import type { EventBus } from '../events/bus.js';
import { berthMetrics } from '../ops/metrics/registry.js';
import { createFluentdShipper } from './drivers/fluentd.js';
import { createGelfShipper } from './drivers/gelf.js';
import { createJournaldShipper } from './drivers/journald.js';
import { createSyslogShipper } from './drivers/syslog.js';
import type { LogShipper, ShipperFactory } from './drivers/types.js';
import { LogFollower } from './follower.js';
import { effectiveLogConfig, localLogPolicy, type EffectiveLogConfig, type LogDriverName } from './options.js';
import { expandTag, timestampToNs } from './record.js';

const FACTORIES: Partial<Record<LogDriverName, ShipperFactory>> = {
  syslog: createSyslogShipper,
  fluentd: createFluentdShipper,
  gelf: createGelfShipper,
  journald: createJournaldShipper,
};

export interface LogShippingDeps {
  containers: ContainerService;
  events: EventBus;
  log: Logger;
  defaultDriver: string;
  defaultOpts: Record<string, string>;
}

interface Attached {
  follower: LogFollower;
  shipper?: LogShipper;
}

export class LogShipping {
  private readonly attached = new Map<string, Attached>();
  private readonly startOffsets = new Map<string, number>();
  private unsubscribe?: () => void;

  constructor(private readonly deps: LogShippingDeps) {}

  effective(c: Pick<Container, 'hostConfig'>): EffectiveLogConfig {
    return effectiveLogConfig(c.hostConfig.LogConfig, { driver: this.deps.defaultDriver, opts: this.deps.defaultOpts });
  }

  /** Runtime create options for this container's log (see the module comment). */
  prepareCreate(o: CreateOptions): CreateOptions {
    const c = this.deps.containers.store.get(o.id);
    if (!c) return o;
    let policy;
    try {
      policy = localLogPolicy(this.effective(c));
    } catch {
      return o;
    }
    if (policy.disabled) return { ...o, logPath: '/dev/null' };
    try {
      this.startOffsets.set(o.id, statSync(o.logPath).size);
    } catch {
      this.startOffsets.set(o.id, 0);
    }
    return policy.maxSize ? { ...o, logSizeMax: policy.maxSize } : o;
  }

  start(): void {
    this.unsubscribe = this.deps.events.subscribe((e) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'start') void this.attach(e.Actor.ID, false);
      else if (e.Action === 'die' || e.Action === 'destroy') void this.detach(e.Actor.ID);
    });
    for (const c of this.deps.containers.store.all()) if (c.state.Running) void this.attach(c.id, true);
  }

  /** Lines shipped and dropped so far by a container's shipper (for tests and doctor). */
  counters(id: string): { delivered: number; dropped: number } | undefined {
    const s = this.attached.get(id)?.shipper;
    return s ? { delivered: s.delivered, dropped: s.dropped } : undefined;
  }

  private async attach(id: string, resumed: boolean): Promise<void> {
    await this.detach(id);
    const c = this.deps.containers.store.get(id);
    if (!c) return;
    let eff: EffectiveLogConfig;
    try {
      eff = this.effective(c);
    } catch {
      return;
    }
    const policy = localLogPolicy(eff);
    const factory = FACTORIES[eff.driver];
    if (policy.disabled || (!factory && policy.maxFiles <= 1)) return; // nothing to do beyond conmon's own limit
    let shipper: LogShipper | undefined;
    if (factory) {
      try {
        shipper = factory(this.source(c, eff), eff.opts, this.hooks(c, eff.driver));
      } catch (err) {
        this.failed(c, eff.driver, err);
      }
    }
    const startAt = resumed ? undefined : (this.startOffsets.get(id) ?? 0);
    this.startOffsets.delete(id);
    const follower = new LogFollower({
      path: this.deps.containers.logPath(id),
      startAt,
      maxFiles: policy.maxFiles,
      compress: policy.compress,
      onLine: shipper ? (l) => shipper.push({ timeNs: timestampToNs(l.timestamp), stream: l.stream, line: l.line }) : undefined,
      onError: (err) => this.deps.log.warn('log follower failed', { id: id.slice(0, 12), err: errorMessage(err) }),
    });
    this.attached.set(id, { follower, shipper });
    await follower.start().catch((err: unknown) => this.deps.log.warn('cannot follow container log', { id: id.slice(0, 12), err: errorMessage(err) }));
  }

  private async detach(id: string): Promise<void> {
    const a = this.attached.get(id);
    if (!a) return;
    this.attached.delete(id);
    await a.follower.finish();
    await a.shipper?.close();
  }

  private source(c: Container, eff: EffectiveLogConfig) {
    const base = { containerId: c.id, containerName: c.name, imageName: c.imageRef, imageId: c.imageId };
    return { ...base, host: hostname(), tag: expandTag(eff.opts.tag, base), daemonPid: process.pid };
  }

  private hooks(c: Container, driver: string) {
    return {
      onDropped: (n: number, reason: string) => {
        berthMetrics.logLinesDropped.inc({ driver }, n);
        this.deps.log.debug('log lines dropped', { id: c.id.slice(0, 12), driver, count: n, reason });
      },
      onDelivered: (n: number) => berthMetrics.logLinesShipped.inc({ driver }, n),
      onFailure: (err: unknown) => this.failed(c, driver, err),
      onRecovered: () => {
        this.deps.log.info('log delivery recovered', { id: c.id.slice(0, 12), driver });
        this.deps.events.publish('container', 'log_delivery_recovered', c.id, { name: c.name, image: c.imageRef, driver });
      },
    };
  }

  private failed(c: Container, driver: string, err: unknown): void {
    this.deps.log.warn('log delivery failed; lines are buffered and retried', { id: c.id.slice(0, 12), driver, err: errorMessage(err) });
    this.deps.events.publish('container', 'log_delivery_failed', c.id, { name: c.name, image: c.imageRef, driver, error: errorMessage(err) });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.attached.keys()].map((id) => this.detach(id)));
  }
}
