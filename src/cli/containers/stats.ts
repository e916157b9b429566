/** `berth stats`: docker's columns from `GET /containers/{id}/stats?stream=false` (one-shot samples). */
import type { Cli } from '../cli.js';
import type { ContainerSummary } from '../format/containers.js';
import { truncateId } from '../format/ids.js';
import { renderList, type Row } from '../format/output.js';
import { bytesSize, humanSizeWithPrecision } from '../format/units.js';

interface StatsSample {
  id?: string;
  name?: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  pids_stats?: { current?: number };
}

/** docker's calculateCPUPercentUnix and memory usage minus page cache (cgroup v1/v2). */
export function statsRow(id: string, name: string, s: StatsSample, noTrunc = false): Row {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const cache = s.memory_stats.stats?.total_inactive_file ?? s.memory_stats.stats?.inactive_file ?? 0;
  const mem = Math.max(0, (s.memory_stats.usage ?? 0) - cache);
  const limit = s.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    if (e.op.toLowerCase() === 'write') write += e.value;
  }
  const h = (n: number) => humanSizeWithPrecision(n, 3);
  return {
    ID: noTrunc ? id : truncateId(id),
    Container: noTrunc ? id : truncateId(id),
    Name: name.replace(/^\//, ''),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${h(rx)} / ${h(tx)}`,
    BlockIO: `${h(read)} / ${h(write)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

export async function showStats(cli: Cli, names: string[], o: { all?: boolean; format?: string; noStream: boolean; noTrunc: boolean }): Promise<void> {
  const spec = {
    format: o.format,
    defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
    quietFormat: '{{.ID}}',
    headers: { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' },
  };
  for (;;) {
    const targets = names.length ? names : (await cli.client.get<ContainerSummary[]>('/containers/json', { all: o.all || undefined })).map((c) => c.Id);
    const rows: Row[] = [];
    for (const t of targets) {
      const s = await cli.client.get<StatsSample>(`/containers/${encodeURIComponent(t)}/stats`, { stream: false });
      rows.push(statsRow(s.id ?? t, s.name ?? t, s, o.noTrunc));
    }
    const text = renderList(rows, spec);
    if (o.noStream) {
      cli.out(text);
      return;
    }
    // Redraw in place on a terminal, like docker.
    cli.out(cli.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
