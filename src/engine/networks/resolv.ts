/**
 * /etc/resolv.conf and /etc/hosts contents for a container, with Docker's semantics:
 * - user networks: the embedded DNS (here: the network's gateway) is the only nameserver; the
 *   container's `--dns` servers become its upstreams instead;
 * - default bridge and host mode: the host's resolv.conf minus loopback nameservers (which a
 *   container cannot reach), or the `--dns` servers when given;
 * - `--dns-search` and `--dns-option` replace the host's search and options lines.
 */
import { readFileSync } from 'node:fs';

export interface ParsedResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function isLoopbackResolver(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** The host's resolv.conf; behind systemd-resolved's stub, the real upstream list. */
export function readHostResolvConf(path = '/etc/resolv.conf'): ParsedResolvConf {
  const read = (p: string) => {
    try {
      return parseResolvConf(readFileSync(p, 'utf8'));
    } catch {
      return { nameservers: [], search: [], options: [] };
    }
  };
  const conf = read(path);
  if (conf.nameservers.length > 0 && conf.nameservers.every((n) => n === '127.0.0.53')) {
    const real = read('/run/systemd/resolve/resolv.conf');
    if (real.nameservers.length) return { ...real, search: conf.search, options: conf.options };
  }
  return conf;
}

export interface ResolvConfInput {
  host: ParsedResolvConf;
  /** The embedded DNS address when the container is on a user network. */
  embeddedDns?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

/** Google's resolvers are Docker's fallback when the host leaves none a container can use. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export function renderResolvConf(input: ResolvConfInput): string {
  let nameservers: string[];
  if (input.embeddedDns) nameservers = [input.embeddedDns];
  else if (input.dns?.length) nameservers = input.dns;
  else {
    nameservers = input.host.nameservers.filter((n) => !isLoopbackResolver(n));
    if (nameservers.length === 0) nameservers = FALLBACK_NAMESERVERS;
  }
  const search = input.dnsSearch?.length ? input.dnsSearch.filter((s) => s !== '.') : input.host.search;
  const options = input.dnsOptions?.length ? input.dnsOptions : input.host.options;
  const lines = nameservers.map((n) => `nameserver ${n}`);
  if (search.length) lines.push(`search ${search.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export interface HostsInput {
  /** The container's own addresses with its hostname (first endpoint first). */
  self: { ip: string; names: string[] }[];
  /** Legacy links on the default bridge: ip and the names/aliases to show. */
  links: { ip: string; names: string[] }[];
  /** `--add-host` entries after host-gateway substitution. */
  extraHosts: { ip: string; name: string }[];
}

export function renderHosts(input: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of input.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  for (const l of input.links) lines.push(`${l.ip}\t${l.names.join(' ')}`);
  for (const s of input.self) lines.push(`${s.ip}\t${s.names.join(' ')}`);
  return lines.join('\n') + '\n';
}
