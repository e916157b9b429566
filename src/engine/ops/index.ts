/**
 * The operations services of one berthd: health checks, stats, metrics and log shipping.
 * Built by the Engine (construction only); `start()` begins the background work once the
 * containers are restored, `close()` ends it (containers keep running).
 */
import type { Server } from 'node:http';
import type { ContainerService } from '../containers/service.js';
import type { EventBus } from '../events/bus.js';
import type { ImageService } from '../images/service.js';
import type { Logger } from '../../util/log.js';
import { LogShipping } from '../logging/shipping.js';
import { HealthMonitor } from './health.js';
import { EngineMetrics, serveMetrics } from './metrics/engine-metrics.js';
import { StatsCollector } from './stats.js';

export interface OpsDeps {
  containers: ContainerService;
  images: ImageService;
  events: EventBus;
  log: Logger;
  cgroupParent: string;
  /** Daemon defaults for containers without their own LogConfig. */
  logDriver: string;
  logOpts: Record<string, string>;
}

export class OpsServices {
  readonly stats: StatsCollector;
  readonly health: HealthMonitor;
  readonly metrics: EngineMetrics;
  readonly logShipping: LogShipping;
  private metricsServer?: Server;

  constructor(private readonly deps: OpsDeps) {
    this.stats = new StatsCollector({ cgroupParent: deps.cgroupParent, lookup: (id) => deps.containers.store.get(id) });
    this.health = new HealthMonitor({ containers: deps.containers, events: deps.events, log: deps.log.child({ component: 'health' }) });
    this.metrics = new EngineMetrics({ containers: deps.containers, images: deps.images, stats: this.stats });
    this.logShipping = new LogShipping({
      containers: deps.containers,
      events: deps.events,
      log: deps.log.child({ component: 'logging' }),
      defaultDriver: deps.logDriver,
      defaultOpts: deps.logOpts,
    });
  }

  /** Health monitors and log shipping for running containers; the metrics listener if asked. */
  async start(opts: { metricsAddr?: string } = {}): Promise<void> {
    this.health.start();
    this.logShipping.start();
    if (opts.metricsAddr) this.metricsServer = await serveMetrics(opts.metricsAddr, this.metrics.registry, this.deps.log.child({ component: 'metrics' }));
  }

  async close(): Promise<void> {
    this.health.close();
    this.stats.close();
    this.metrics.close();
    await this.logShipping.close();
    const server = this.metricsServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
