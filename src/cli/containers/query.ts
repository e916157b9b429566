/** Read-only container commands: ps, logs, top, diff, port, events, stats, export, cp. */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { filtersQuery } from '../filters.js';
import { containerListFormat, containerRows, type ContainerSummary } from '../format/containers.js';
import { renderList, renderObject } from '../format/output.js';
import { tabwrite } from '../format/tabwriter.js';
import { parseGoDuration } from '../../util/go-duration.js';
import { FrameDemuxer } from './streams.js';

const enc = encodeURIComponent;

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  last?: string;
  latest?: boolean;
  size?: boolean;
  noTrunc?: boolean;
  filter: string[];
  format?: string;
}

export async function listContainers(cli: Cli, o: PsOptions): Promise<void> {
  const limit = o.latest ? 1 : o.last !== undefined ? Number(o.last) : undefined;
  const list = await cli.client.get<ContainerSummary[]>('/containers/json', {
    all: o.all || (limit !== undefined && limit > 0) || undefined,
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    size: o.size || undefined,
    filters: filtersQuery(o.filter),
  });
  cli.out(renderList(containerRows(list, { noTrunc: o.noTrunc }), containerListFormat(o)));
}

/** docker accepts RFC 3339, unix seconds or a Go duration (relative to now) for --since/--until. */
export function timestampParam(value: string | undefined, now = Date.now()): string | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return String(Math.floor(date / 1000));
  try {
    return String(Math.floor((now - parseGoDuration(value) / 1e6) / 1000));
  } catch {
    throw new CliError(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  }
}

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  details?: boolean;
}

export async function showLogs(cli: Cli, name: string, o: LogsOptions): Promise<void> {
  const info = await cli.client.get<{ Config: { Tty: boolean } }>(`/containers/${enc(name)}/json`);
  const res = await cli.client.call('GET', `/containers/${enc(name)}/logs`, {
    query: { stdout: true, stderr: true, follow: o.follow || undefined, since: timestampParam(o.since), until: timestampParam(o.until), tail: o.tail ?? 'all', timestamps: o.timestamps || undefined, details: o.details || undefined },
  });
  if (info.Config.Tty) await pipeline(res, cli.stdout, { end: false });
  else await pipeline(res, new FrameDemuxer(cli.stdout, cli.stderr));
}

export async function showTop(cli: Cli, name: string, psArgs: string[]): Promise<void> {
  const top = await cli.client.get<{ Titles: string[]; Processes: string[][] }>(`/containers/${enc(name)}/top`, { ps_args: psArgs.length ? psArgs.join(' ') : undefined });
  const lines = [top.Titles.join('\t'), ...(top.Processes ?? []).map((p) => p.join('\t'))];
  cli.out(tabwrite(`${lines.join('\n')}\n`, { minWidth: 20, padding: 3 }));
}

const KIND = ['C', 'A', 'D'];
export async function showDiff(cli: Cli, name: string): Promise<void> {
  const changes = await cli.client.get<Array<{ Kind: number; Path: string }> | null>(`/containers/${enc(name)}/changes`);
  for (const c of changes ?? []) cli.out(`${KIND[c.Kind] ?? '?'} ${c.Path}\n`);
}

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
export async function showPorts(cli: Cli, name: string, privatePort?: string): Promise<void> {
  const info = await cli.client.get<{ NetworkSettings: { Ports: PortMap | null } }>(`/containers/${enc(name)}/json`);
  const ports = info.NetworkSettings.Ports ?? {};
  if (privatePort) {
    const key = privatePort.includes('/') ? privatePort : `${privatePort}/tcp`;
    const bindings = ports[key];
    if (!bindings?.length) throw new CliError(`Error: No public port '${key}' published for ${name}`);
    for (const b of bindings) cli.out(`${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}\n`);
    return;
  }
  for (const key of Object.keys(ports).sort()) for (const b of ports[key] ?? []) cli.out(`${key} -> ${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}\n`);
}

export async function exportContainer(cli: Cli, name: string, output?: string): Promise<void> {
  if (!output && cli.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const res = await cli.client.call('GET', `/containers/${enc(name)}/export`);
  if (output) await pipeline(res, createWriteStream(output));
  else await pipeline(res, cli.stdout, { end: false });
}

export interface EventsOptions {
  since?: string;
  until?: string;
  filter: string[];
  format?: string;
}

/** NDJSON events; docker's default line: `TIME TYPE ACTION ID (attr=value, ...)`. */
export async function streamEvents(cli: Cli, o: EventsOptions): Promise<void> {
  const res = await cli.client.call('GET', '/events', { query: { since: timestampParam(o.since), until: timestampParam(o.until), filters: filtersQuery(o.filter) } });
  let buf = '';
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const ev = JSON.parse(line) as { Type: string; Action: string; Actor: { ID: string; Attributes?: Record<string, string> }; time: number; timeNano?: number };
      if (o.format) {
        cli.out(`${renderObject(ev, o.format)}\n`);
        continue;
      }
      const when = new Date(Math.floor((ev.timeNano ?? ev.time * 1e9) / 1e6)).toISOString().replace('Z', '000000Z');
      const attrs = Object.entries(ev.Actor.Attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ');
      cli.out(`${when} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`);
    }
  }
}
