/**
 * Docker's legacy links (`docker run --link db:database`) on the default bridge network
 * (moby `daemon/links`): the linked container's address in /etc/hosts under the alias, its
 * name and its hostname, and the `<ALIAS>_PORT_…`, `<ALIAS>_NAME` and `<ALIAS>_ENV_…`
 * variables. HostConfig.Links holds them as Docker does, `/db:/app/database`. On a
 * user-defined network a link is a DNS alias instead, which the network service resolves.
 */
import { InvalidParameterError } from '../../util/errors.js';

export interface Link {
  /** The linked container's name, without the slash. */
  child: string;
  alias: string;
}

/** `name[:alias]`, or the stored `/child:/parent/alias` (moby's ParseLink). */
export function parseLink(spec: string): Link {
  const parts = spec.split(':');
  if (parts.length > 2 || !parts[0]) throw new InvalidParameterError(`bad format for links: ${spec}`);
  const child = parts[0].replace(/^\//, '');
  const alias = (parts[1] ?? child).split('/').pop()!;
  if (!alias) throw new InvalidParameterError(`bad format for links: ${spec}`);
  return { child, alias };
}

export function storedLink(parentName: string, link: Link): string {
  return `/${link.child}:/${parentName}/${link.alias}`;
}

/** Links on this network mode: the default bridge's (a user-defined network makes them aliases). */
export function usesLegacyLinks(networkMode: string | undefined): boolean {
  return !networkMode || networkMode === 'default' || networkMode === 'bridge';
}

interface Port {
  port: number;
  proto: string;
}

/** Exposed ports in Docker's order for links: by protocol, tcp first, then by number. */
function sortedPorts(exposed: Record<string, unknown> | null | undefined): Port[] {
  const ports = Object.keys(exposed ?? {}).map((k) => {
    const [port = '0', proto = 'tcp'] = k.split('/');
    return { port: Number(port), proto: proto.toLowerCase() };
  });
  const rank = (p: Port) => (p.proto === 'tcp' ? '' : p.proto);
  return ports.sort((a, b) => (rank(a) === rank(b) ? a.port - b.port : rank(a) < rank(b) ? -1 : 1));
}

/** The variables a link puts in the linking container (moby's Link.ToEnv). */
export function linkEnv(o: { alias: string; linkName: string; childIp: string; childEnv: readonly string[] | null | undefined; exposed: Record<string, unknown> | null | undefined }): string[] {
  const prefix = o.alias.toUpperCase().replaceAll('-', '_');
  const url = (p: Port) => `${p.proto}://${o.childIp}:${p.port}`;
  const env: string[] = [];
  const ports = sortedPorts(o.exposed);
  let start: Port | undefined;
  let end: Port | undefined;
  ports.forEach((p, i) => {
    if (i === 0) {
      start = end = p;
      env.push(`${prefix}_PORT=${url(p)}`);
    }
    const each = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${each}=${url(p)}`, `${each}_ADDR=${o.childIp}`, `${each}_PORT=${p.port}`, `${each}_PROTO=${p.proto}`);
    // A run of consecutive ports of one protocol is also given as a range.
    if (p.port === end!.port + 1 && p.proto === start!.proto) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (end !== start) {
      const range = `${prefix}_PORT_${start!.port}_${start!.proto.toUpperCase()}`;
      env.push(`${range}_START=${url(start!)}`, `${range}_PORT_START=${start!.port}`, `${range}_END=${url(end!)}`, `${range}_PORT_END=${end!.port}`);
    }
    start = end = p;
  });
  env.push(`${prefix}_NAME=${o.linkName}`);
  for (const kv of o.childEnv ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 0) continue;
    const name = kv.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${prefix}_ENV_${name}=${kv.slice(eq + 1)}`);
  }
  return env;
}

/** The /etc/hosts line for a link: the alias, the container's hostname, and its name if the alias is another. */
export function linkHostsLine(o: { alias: string; childName: string; childHostname: string; childIp: string }): string {
  const names = [o.alias, o.childHostname, ...(o.alias !== o.childName ? [o.childName] : [])].filter(Boolean);
  return `${o.childIp}\t${names.join(' ')}\n`;
}
