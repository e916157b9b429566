/** Rows for `berth ps`, like the docker CLI's container formatter. */
import { ellipsis, goTimeString, truncateId } from './ids.js';
import type { ListFormat, Row } from './output.js';
import { humanSizeWithPrecision, timeAgo } from './units.js';
import type { ContainerPort, ContainerSummary } from '../../client/types.js';

export type { ContainerPort, ContainerSummary } from '../../client/types.js';

/** docker's DisplayablePorts, without range compaction: `0.0.0.0:8080->80/tcp, 443/tcp`. */
export function displayPorts(ports: ContainerPort[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const sorted = [...ports].sort((a, b) => a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0));
  for (const p of sorted) {
    const ip = p.IP ? (p.IP.includes(':') ? `[${p.IP}]` : p.IP) : '';
    const s = p.PublicPort ? `${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
    if (!seen.has(s)) out.push(s);
    seen.add(s);
  }
  return out.join(', ');
}

export function containerRows(list: ContainerSummary[], opts: { noTrunc?: boolean; now?: number }): Row[] {
  return list.map((c) => {
    const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
    return {
      ID: opts.noTrunc ? c.Id : truncateId(c.Id),
      Image: !opts.noTrunc && /^sha256:/.test(c.Image) ? truncateId(c.Image) : c.Image,
      Command: JSON.stringify(opts.noTrunc ? c.Command : ellipsis(c.Command, 20)),
      CreatedAt: goTimeString(c.Created),
      RunningFor: timeAgo(c.Created, opts.now),
      Ports: displayPorts(c.Ports ?? []),
      State: c.State,
      Status: c.Status,
      Size: c.SizeRw === undefined ? '0B' : `${humanSizeWithPrecision(c.SizeRw, 3)} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})`,
      // Links show up as extra names with a slash; docker hides them unless --no-trunc.
      Names: (opts.noTrunc ? names : names.filter((n) => !n.includes('/'))).join(','),
      Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      // `{{.Label "key"}}`: docker's container context has this method.
      Label: (key: string) => c.Labels?.[key] ?? '',
      Mounts: (c.Mounts ?? []).map((m) => m.Name ?? m.Source ?? '').join(','),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    };
  });
}

export function containerListFormat(opts: { format?: string; quiet?: boolean; size?: boolean }): ListFormat {
  return {
    format: opts.format,
    quiet: opts.quiet,
    defaultTable: `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${opts.size ? '\t{{.Size}}' : ''}`,
    quietFormat: '{{.ID}}',
    headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS' },
  };
}
