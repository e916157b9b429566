/**
 * Published ports: Docker's PortBindings/ExposedPorts/PublishAllPorts → concrete host ports.
 * The CLI expands `-p 8000-8010:80-90` into one binding per container port; a binding whose
 * HostPort is itself a range (`8000-8010:80`) gets the first free port of that range, and an
 * empty HostPort (or `-P`) an ephemeral one from 32768-60999 that nothing on the host listens on.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ConflictError, InvalidParameterError } from '../../util/errors.js';
import type { PortBindings, PortMap, PublishedPort } from './types.js';

export const EPHEMERAL_FIRST = 32768;
export const EPHEMERAL_LAST = 60999;

function parsePortKey(key: string): { port: number; proto: PublishedPort['proto'] } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !['tcp', 'udp', 'sctp'].includes(proto)) {
    throw new InvalidParameterError(`invalid port specification: "${key}"`);
  }
  return { port, proto: proto as PublishedPort['proto'] };
}

/** True if nothing on the host holds `port` (tried on the wildcard address). */
export function portIsFree(proto: PublishedPort['proto'], port: number, hostIp = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, hostIp, () => s.close(() => resolve(true)));
      return;
    }
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: hostIp, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface PortRequest {
  bindings: PortBindings;
  exposed: string[];
  publishAll: boolean;
}

/**
 * Resolves the request to concrete ports. `taken` are host ports already published by this
 * daemon (`proto/hostIp/port`), which the host cannot see since nothing listens on them.
 */
export async function resolvePorts(req: PortRequest, taken: Set<string>): Promise<PublishedPort[]> {
  const out: PublishedPort[] = [];
  const used = (proto: string, ip: string, port: number) =>
    taken.has(`${proto}/${ip}/${port}`) || taken.has(`${proto}/0.0.0.0/${port}`) || (ip === '0.0.0.0' && [...taken].some((t) => t.startsWith(`${proto}/`) && t.endsWith(`/${port}`)));
  const claim = (p: PublishedPort) => {
    taken.add(`${p.proto}/${p.hostIp}/${p.hostPort}`);
    out.push(p);
  };
  const pick = async (proto: PublishedPort['proto'], ip: string, first: number, last: number): Promise<number | undefined> => {
    for (let port = first; port <= last; port++) {
      if (!used(proto, ip, port) && (await portIsFree(proto, port, ip))) return port;
    }
    return undefined;
  };
  const entries: [string, { HostIp?: string; HostPort?: string }[]][] = Object.entries(req.bindings).map(([k, v]) => [k, v ?? []]);
  if (req.publishAll) {
    for (const key of req.exposed) if (!(key in req.bindings) || !req.bindings[key]?.length) entries.push([key, [{}]]);
  }
  for (const [key, list] of entries) {
    const { port: containerPort, proto } = parsePortKey(key);
    for (const b of list) {
      const hostIp = b.HostIp || '0.0.0.0';
      if (net.isIPv6(hostIp)) continue; // IPv4 only for now
      if (!net.isIPv4(hostIp)) throw new InvalidParameterError(`invalid host IP address: ${hostIp}`);
      const spec = b.HostPort ?? '';
      let hostPort: number | undefined;
      if (spec === '' || spec === '0') {
        hostPort = await pick(proto, hostIp, EPHEMERAL_FIRST, EPHEMERAL_LAST);
      } else {
        const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
        if (!m) throw new InvalidParameterError(`invalid hostPort: ${spec}`);
        const first = Number(m[1]);
        const last = m[2] ? Number(m[2]) : first;
        if (first < 1 || last > 65535 || last < first) throw new InvalidParameterError(`invalid hostPort: ${spec}`);
        if (first === last) {
          if (used(proto, hostIp, first)) throw new ConflictError(`Bind for ${hostIp}:${first} failed: port is already allocated`);
          hostPort = first;
        } else hostPort = await pick(proto, hostIp, first, last);
      }
      if (hostPort === undefined) throw new ConflictError(`Bind for ${hostIp}:${spec || 'ephemeral'} failed: port is already allocated`);
      claim({ proto, containerPort, hostIp, hostPort });
    }
  }
  return out;
}

/** Docker's NetworkSettings.Ports: every exposed or published port, null when not published. */
export function portMap(published: PublishedPort[], exposed: string[]): PortMap {
  const map: PortMap = {};
  for (const key of exposed) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of published) {
    const key = `${p.containerPort}/${p.proto}`;
    (map[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return map;
}
