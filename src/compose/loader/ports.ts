import type { Protocol, ServicePort } from './types.js';

const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];

interface PortRange {
  start: number;
  end: number;
}

function parseRange(text: string, what: string, spec: string): PortRange {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new Error(`invalid port "${spec}": invalid ${what} "${text}"`);
  const start = Number(match[1]);
  const end = match[2] !== undefined ? Number(match[2]) : start;
  if (start > 65535 || end > 65535 || end < start) throw new Error(`invalid port "${spec}": invalid ${what} "${text}"`);
  return { start, end };
}

/**
 * The short port syntax: `"80"`, `"8080:80"`, `"8080:80/udp"`, `"127.0.0.1:8080:80"`,
 * `"127.0.0.1::80"`, `"[::1]:80:80"`, `"8000-8010:8000-8010"`, `"9000-9010:80"` (a host range for
 * one container port). Ranges of equal size become one entry per port, as in compose.
 */
export function parsePortSpec(spec: string | number): ServicePort[] {
  const text = String(spec).trim();
  let rest = text;
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (!PROTOCOLS.includes(proto)) throw new Error(`invalid port "${text}": invalid protocol "${proto}"`);
    protocol = proto as Protocol;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (bracket) {
    hostIp = bracket[1];
    rest = bracket[2]!;
  }
  const parts = rest.split(':');
  const containerText = parts.pop()!;
  const hostText = parts.length > 0 ? parts.pop()! : '';
  if (parts.length > 0) {
    if (hostIp !== undefined) throw new Error(`invalid port "${text}": too many colons`);
    hostIp = parts.join(':');
  }
  if (containerText === '') throw new Error(`invalid port "${text}": no container port specified`);
  const container = parseRange(containerText, 'container port', text);
  if (hostIp !== undefined && hostIp !== '' && !isIpAddress(hostIp)) throw new Error(`invalid port "${text}": invalid host IP "${hostIp}"`);
  const base = { mode: 'ingress' as const, protocol, ...(hostIp ? { host_ip: hostIp } : {}) };
  if (hostText === '') {
    return rangeOf(container).map((target) => ({ ...base, target }));
  }
  const host = parseRange(hostText, 'host port', text);
  const containerSize = container.end - container.start;
  const hostSize = host.end - host.start;
  if (containerSize !== hostSize) {
    if (containerSize !== 0) throw new Error(`invalid port "${text}": host and container port ranges differ in size`);
    return [{ ...base, target: container.start, published: hostText }];
  }
  return rangeOf(container).map((target, i) => ({ ...base, target, published: String(host.start + i) }));
}

function rangeOf(range: PortRange): number[] {
  const out: number[] = [];
  for (let p = range.start; p <= range.end; p++) out.push(p);
  return out;
}

function isIpAddress(text: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text)) return text.split('.').every((n) => Number(n) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(text) && text.includes(':');
}
