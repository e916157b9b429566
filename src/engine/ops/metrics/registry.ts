/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4). Other modules bump the shared counters through
 * `berthMetrics` (e.g. `berthMetrics.pulls.inc()` after a pull) without knowing about HTTP.
 *
 *   # HELP berth_api_requests_total API requests served.
 *   # TYPE berth_api_requests_total counter
 *   berth_api_requests_total{method="GET",route="/_ping",status="200"} 3
 */
export type Labels = Record<string, string>;

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return '{' + keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',') + '}';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export class Counter implements Metric {
  readonly type = 'counter';
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const k = key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(key(labels))?.value ?? 0;
  }

  render(): string[] {
    if (this.values.size === 0) return [`${this.name} 0`];
    return [...this.values.values()].map((v) => `${this.name}${formatLabels(v.labels)} ${formatValue(v.value)}`);
  }
}

/** A gauge whose samples are computed at scrape time (or set directly). */
export class Gauge implements Metric {
  readonly type = 'gauge';
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect?: () => { labels?: Labels; value: number }[],
  ) {}

  set(value: number, labels: Labels = {}): void {
    this.values.set(key(labels), { labels, value });
  }

  render(): string[] {
    const samples = this.collect ? this.collect() : [...this.values.values()];
    return samples.map((s) => `${this.name}${formatLabels(s.labels ?? {})} ${formatValue(s.value)}`);
  }
}

/** Counters whose values come from elsewhere at scrape time (e.g. cgroup CPU time). */
export class CollectedCounter implements Metric {
  readonly type = 'counter';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect: () => { labels?: Labels; value: number }[],
  ) {}
  render(): string[] {
    return this.collect().map((s) => `${this.name}${formatLabels(s.labels ?? {})} ${formatValue(s.value)}`);
  }
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram implements Metric {
  readonly type = 'histogram';
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets = DEFAULT_BUCKETS,
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: formatValue(b) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  register<M extends Metric>(m: M): M {
    if (!NAME.test(m.name)) throw new Error(`invalid metric name ${m.name}`);
    const existing = this.metrics.get(m.name);
    if (existing) return existing as M;
    this.metrics.set(m.name, m);
    return m;
  }

  unregister(name: string): void {
    this.metrics.delete(name);
  }

  /** The whole registry in the text exposition format. */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) {
      let samples: string[];
      try {
        samples = m.render();
      } catch {
        continue; // a failing collector must not break the scrape
      }
      lines.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${m.name} ${m.type}`, ...samples);
    }
    return lines.join('\n') + '\n';
  }
}

/** The daemon's registry and the counters any module may bump. */
export const registry = new MetricsRegistry();

export const berthMetrics = {
  pulls: registry.register(new Counter('berth_pulls_total', 'Image pulls completed.')),
  builds: registry.register(new Counter('berth_builds_total', 'Image builds completed.')),
  logLinesDropped: registry.register(new Counter('berth_log_lines_dropped_total', 'Container log lines a shipping log driver dropped.')),
  logLinesShipped: registry.register(new Counter('berth_log_lines_shipped_total', 'Container log lines delivered by shipping log drivers.')),
};
