/** Rows for `berth network ls` and `berth volume ls`, like the docker CLI's formatters. */
import { goTimeString, truncateId } from './ids.js';
import type { ListFormat, Row } from './output.js';

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created?: string;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const labelsText = (labels?: Record<string, string> | null) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function networkRows(list: NetworkSummary[], opts: { noTrunc?: boolean }): Row[] {
  return list.map((n) => ({
    ID: opts.noTrunc ? n.Id : truncateId(n.Id),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(Boolean(n.EnableIPv6)),
    Internal: String(Boolean(n.Internal)),
    Labels: labelsText(n.Labels),
    CreatedAt: n.Created ? goTimeString(Date.parse(n.Created) / 1000) : '',
  }));
}

export function networkListFormat(opts: { format?: string; quiet?: boolean }): ListFormat {
  return {
    format: opts.format,
    quiet: opts.quiet,
    defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
    quietFormat: '{{.ID}}',
    headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
  };
}

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Scope: string;
  Labels?: Record<string, string> | null;
  CreatedAt?: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

export function volumeRows(list: VolumeSummary[]): Row[] {
  return list.map((v) => ({
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: labelsText(v.Labels),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData && v.UsageData.Size >= 0 ? String(v.UsageData.Size) : 'N/A',
  }));
}

export function volumeListFormat(opts: { format?: string; quiet?: boolean }): ListFormat {
  return {
    format: opts.format,
    quiet: opts.quiet,
    defaultTable: 'table {{.Driver}}\t{{.Name}}',
    quietFormat: '{{.Name}}',
    headers: { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' },
  };
}
