/**
 * berthd's own metrics: API traffic (fed by ApiRouter.observe), event loop lag, memory, the
 * container and image counts, and per-container resource counters read from cgroups at
 * scrape time (so nothing is sampled when nobody scrapes).
 */
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RequestObserver } from '../../../api/router.js';
import type { ContainerService } from '../../containers/service.js';
import type { ImageService } from '../../images/service.js';
import type { Logger } from '../../../util/log.js';
import type { StatsCollector } from '../stats.js';
import { readNetDev } from '../procfs.js';
import { CollectedCounter, Counter, Gauge, Histogram, registry, type Labels, type MetricsRegistry } from './registry.js';

export interface EngineMetricsDeps {
  containers: ContainerService;
  images: ImageService;
  stats: StatsCollector;
  registry?: MetricsRegistry;
}

export class EngineMetrics {
  readonly registry: MetricsRegistry;
  private readonly requests: Counter;
  private readonly durations: Histogram;
  private readonly loop = monitorEventLoopDelay({ resolution: 20 });

  constructor(private readonly deps: EngineMetricsDeps) {
    const r = (this.registry = deps.registry ?? registry);
    this.loop.enable();
    this.requests = r.register(new Counter('berth_api_requests_total', 'Engine API requests served, by method, route and status.'));
    this.durations = r.register(new Histogram('berth_api_request_duration_seconds', 'Engine API request duration in seconds.'));
    r.register(
      new Gauge('berth_event_loop_lag_seconds', 'Mean event loop delay of berthd since the previous scrape.', () => {
        const v = Number.isNaN(this.loop.mean) ? 0 : this.loop.mean / 1e9;
        this.loop.reset();
        return [{ value: v }];
      }),
    );
    r.register(new Gauge('berth_process_resident_memory_bytes', 'Resident memory of berthd.', () => [{ value: process.memoryUsage.rss() }]));
    r.register(
      new Gauge('berth_containers', 'Containers by state.', () => {
        const counts = deps.containers.countsByState();
        return (['running', 'paused', 'stopped'] as const).map((state) => ({ labels: { state }, value: counts[state] }));
      }),
    );
    r.register(new Gauge('berth_images', 'Images in the store.', () => [{ value: deps.images.images.list().length }]));
    const perContainer = (pick: (c: { id: string; name: string; pid: number; sample: NonNullable<ReturnType<StatsCollector['raw']>> }) => number) => () => {
      const out: { labels: Labels; value: number }[] = [];
      for (const c of deps.containers.store.all()) {
        if (!c.state.Running) continue;
        const sample = deps.stats.raw(c);
        if (!sample) continue;
        out.push({ labels: { id: c.id, name: c.name }, value: pick({ id: c.id, name: c.name, pid: c.state.Pid, sample }) });
      }
      return out;
    };
    const blkio = (op: 'read' | 'write') => (s: NonNullable<ReturnType<StatsCollector['raw']>>) =>
      s.ioServiceBytes.filter((e) => e.op.toLowerCase() === op).reduce((a, e) => a + e.value, 0);
    const net = (dir: 'rx_bytes' | 'tx_bytes') => (pid: number) => Object.values(readNetDev(pid)).reduce((a, n) => a + n[dir], 0);
    r.register(new CollectedCounter('berth_container_cpu_seconds_total', 'CPU time used by the container.', perContainer((c) => c.sample.cpuTotalNs / 1e9)));
    r.register(new Gauge('berth_container_memory_bytes', 'Memory used by the container (cgroup usage).', perContainer((c) => c.sample.memoryUsage)));
    r.register(new CollectedCounter('berth_container_network_rx_bytes_total', 'Bytes received by the container.', perContainer((c) => net('rx_bytes')(c.pid))));
    r.register(new CollectedCounter('berth_container_network_tx_bytes_total', 'Bytes sent by the container.', perContainer((c) => net('tx_bytes')(c.pid))));
    r.register(new CollectedCounter('berth_container_blkio_read_bytes_total', 'Bytes read from block devices by the container.', perContainer((c) => blkio('read')(c.sample))));
    r.register(new CollectedCounter('berth_container_blkio_write_bytes_total', 'Bytes written to block devices by the container.', perContainer((c) => blkio('write')(c.sample))));
  }

  /** Hand this to `ApiRouter.observe`. */
  readonly observer: RequestObserver = ({ method, route, status, durationMs }) => {
    this.requests.inc({ method, route, status: String(status) });
    this.durations.observe(durationMs / 1000, { method, route });
  };

  close(): void {
    this.loop.disable();
  }
}

/** Serves `GET /metrics` on `addr` (`host:port`; IPv6 as `[::1]:9323`). */
export async function serveMetrics(addr: string, reg: MetricsRegistry, log: Logger): Promise<Server> {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid metrics address "${addr}": use HOST:PORT`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = Number(m[3]);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const body = reg.render();
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info('serving metrics', { addr: `${host}:${(server.address() as { port: number }).port}` });
  return server;
}
