/** Rows for the listing commands: ps, ls, images, port. Rendering is the CLI's job. */
import type { ContainerSummary } from './api.js';
import type { ComposeApi } from './api.js';
import type { ComposeContext } from './context.js';
import { LABEL } from './labels.js';
import { nameOf, serviceOf } from './observed.js';

export interface PsRow {
  ID: string;
  Name: string;
  Names: string;
  Image: string;
  Command: string;
  Project: string;
  Service: string;
  Created: number;
  CreatedAt: string;
  RunningFor: string;
  State: string;
  Status: string;
  Health: string;
  ExitCode: number;
  Publishers: Array<{ URL: string; TargetPort: number; PublishedPort: number; Protocol: string }>;
  Ports: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Networks: string;
  Size: string;
}

export function portsText(c: ContainerSummary): string {
  const seen = new Set<string>();
  for (const p of [...(c.Ports ?? [])].sort((a, b) => a.PrivatePort - b.PrivatePort)) {
    const ip = p.IP ? (p.IP.includes(':') ? `[${p.IP}]` : p.IP) : '';
    seen.add(p.PublicPort ? `${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`);
  }
  return [...seen].join(', ');
}

function quote(cmd: string): string {
  return `"${cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd}"`;
}

export function psRow(c: ContainerSummary, project: string, runningFor: string, createdAt: string): PsRow {
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '';
  return {
    ID: c.Id,
    Name: nameOf(c),
    Names: nameOf(c),
    Image: c.Image,
    Command: quote(c.Command),
    Project: project,
    Service: serviceOf(c),
    Created: c.Created,
    CreatedAt: createdAt,
    RunningFor: runningFor,
    State: c.State,
    Status: c.Status,
    Health: health,
    ExitCode: Number(/Exited \((\d+)\)/.exec(c.Status)?.[1] ?? 0),
    Publishers: (c.Ports ?? []).map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
    Ports: portsText(c),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: '0',
    Mounts: '',
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Size: '0B',
  };
}

export interface ProjectRow {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

/** `ls`: projects found through the project label, with a count per container state. */
export async function listProjects(api: ComposeApi, all: boolean): Promise<ProjectRow[]> {
  const containers = await api.listContainers([LABEL.project], true);
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of containers) {
    const name = c.Labels?.[LABEL.project];
    if (!name) continue;
    const p = projects.get(name) ?? { states: new Map(), files: c.Labels?.[LABEL.configFiles] ?? '' };
    p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
    projects.set(name, p);
  }
  return [...projects.entries()]
    .filter(([, p]) => all || p.states.has('running'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, p]) => ({
      Name,
      Status: [...p.states.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}(${n})`).join(', '),
      ConfigFiles: p.files,
    }));
}

export interface ImageRow {
  Container: string;
  Repository: string;
  Tag: string;
  ID: string;
  Size: number;
}

export async function imageRows(ctx: Pick<ComposeContext, 'api'>, containers: ContainerSummary[]): Promise<ImageRow[]> {
  const rows: ImageRow[] = [];
  for (const c of containers) {
    const info = await ctx.api.inspectContainer(c.Id);
    const image = await ctx.api.inspectImage(info.Image);
    const ref = info.Config.Image;
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
    rows.push({ Container: nameOf(c), Repository: repo, Tag: tag, ID: image?.Id ?? info.Image, Size: image?.Size ?? 0 });
  }
  return rows;
}
