import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The files berth manages inside each container: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, written under the container's directory and bind-mounted by the spec.
 */
export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export function etcPaths(containerDir: string): EtcFiles {
  return { hostname: join(containerDir, 'hostname'), hosts: join(containerDir, 'hosts'), resolvConf: join(containerDir, 'resolv.conf') };
}

/** The host's resolv.conf without loopback nameservers (unreachable from a container). */
export function hostResolvConf(path = '/etc/resolv.conf'): string {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n';
  }
  const lines = text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return lines.join('\n').replace(/\n*$/, '\n');
}

export function hostsFile(opts: { hostname: string; domainname?: string; ip?: string; aliases?: string[]; extraHosts?: string[] }): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
  for (const h of opts.extraHosts ?? []) {
    const sep = h.indexOf(':') >= 0 && !h.includes('=') ? h.indexOf(':') : h.indexOf('=');
    if (sep > 0) lines.push(`${h.slice(sep + 1)}\t${h.slice(0, sep)}`);
  }
  if (opts.ip) {
    const fqdn = opts.domainname ? `${opts.hostname}.${opts.domainname} ` : '';
    lines.push(`${opts.ip}\t${fqdn}${[opts.hostname, ...(opts.aliases ?? [])].join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export async function writeEtcFiles(paths: EtcFiles, content: { hostname: string; hosts: string; resolvConf: string }): Promise<void> {
  await Promise.all([writeFile(paths.hostname, content.hostname + '\n'), writeFile(paths.hosts, content.hosts), writeFile(paths.resolvConf, content.resolvConf)]);
}
