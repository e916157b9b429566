/** `berth system df`: docker's disk usage summary and its verbose tables. */
import { ellipsis, truncateId } from './ids.js';
import { renderList, type Row } from './output.js';
import { humanSize, humanSizeWithPrecision, timeAgo } from './units.js';

export interface DiskUsage {
  LayersSize?: number;
  Images?: Array<{ Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }> | null;
  Containers?: Array<{ Id: string; Names: string[]; Image: string; Command: string; Created: number; State: string; Status: string; SizeRw?: number; Mounts?: Array<{ Type?: string; Name?: string }> | null }> | null;
  Volumes?: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: Array<{ ID: string; Type: string; Size: number; CreatedAt: string; LastUsedAt?: string | null; UsageCount: number; InUse: boolean; Shared: boolean }> | null;
}

const withPercent = (reclaimable: number, total: number) => (total > 0 ? `${humanSize(reclaimable)} (${Math.floor((reclaimable * 100) / total)}%)` : humanSize(reclaimable));
const active = (state: string) => state === 'running' || state === 'paused';

export function diskUsageRows(df: DiskUsage): Row[] {
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const cache = df.BuildCache ?? [];
  const imagesSize = df.LayersSize ?? 0;
  let used = 0;
  for (const i of images) if (i.Containers > 0 && i.Size >= 0 && i.SharedSize >= 0) used += i.Size - i.SharedSize;
  const cSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const cUsed = containers.filter((c) => active(c.State)).reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const vSize = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vFree = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const bSize = cache.filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
  const bFree = cache.filter((b) => !b.Shared && !b.InUse).reduce((s, b) => s + b.Size, 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(imagesSize), Reclaimable: withPercent(imagesSize - used, imagesSize) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => active(c.State)).length), Size: humanSize(cSize), Reclaimable: withPercent(cSize - cUsed, cSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize), Reclaimable: withPercent(vFree, vSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(bSize), Reclaimable: humanSize(bFree) },
  ];
}

const HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export function renderDiskUsage(df: DiskUsage, opts: { format?: string; verbose?: boolean; now?: number }): string {
  if (!opts.verbose) return renderList(diskUsageRows(df), { format: opts.format, defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', quietFormat: '{{.Type}}', headers: HEADERS });
  const size = (n: number) => humanSizeWithPrecision(n, 3);
  const images = (df.Images ?? []).flatMap((i) => {
    const tags = i.RepoTags?.length ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const at = t.lastIndexOf(':');
      return { Repository: t.slice(0, at), Tag: t.slice(at + 1), ID: truncateId(i.Id), CreatedSince: timeAgo(i.Created, opts.now), Size: size(i.Size), SharedSize: i.SharedSize < 0 ? 'N/A' : size(i.SharedSize), UniqueSize: i.SharedSize < 0 ? 'N/A' : size(i.Size - i.SharedSize), Containers: String(i.Containers) };
    });
  });
  const containers = (df.Containers ?? []).map((c) => ({
    ID: truncateId(c.Id),
    Image: c.Image,
    Command: JSON.stringify(ellipsis(c.Command, 20)),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length),
    Size: size(c.SizeRw ?? 0),
    RunningFor: timeAgo(c.Created, opts.now),
    Status: c.Status,
    Names: (c.Names ?? []).map((n) => n.replace(/^\//, '')).join(','),
  }));
  const volumes = (df.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: size(Math.max(0, v.UsageData?.Size ?? 0)) }));
  const cache = (df.BuildCache ?? []).map((b) => ({
    ID: b.ID.slice(0, 12),
    CacheType: b.Type,
    Size: size(b.Size),
    CreatedSince: timeAgo(Date.parse(b.CreatedAt) / 1000, opts.now),
    LastUsedSince: b.LastUsedAt ? timeAgo(Date.parse(b.LastUsedAt) / 1000, opts.now) : '',
    UsageCount: String(b.UsageCount),
    Shared: String(b.Shared),
  }));
  const table = (rows: Row[], tmpl: string, headers: Record<string, string>) => renderList(rows, { defaultTable: tmpl, quietFormat: '', headers });
  const cacheTotal = (df.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
  return [
    'Images space usage:\n\n',
    table(images, 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' }),
    '\nContainers space usage:\n\n',
    table(containers, 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' }),
    '\nLocal Volumes space usage:\n\n',
    table(volumes, 'table {{.Name}}\t{{.Links}}\t{{.Size}}', { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }),
    `\nBuild cache usage: ${humanSize(cacheTotal)}\n\n`,
    table(cache, 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }),
  ].join('');
}
