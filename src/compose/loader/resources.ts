import { compact, Fields } from './fields.js';
import type { ConfigConfig, NetworkConfig, SecretConfig, VolumeConfig } from './types.js';

/**
 * Top-level networks, volumes, secrets and configs. Each gets its engine-side `name`:
 * `<project>_<key>` unless `name:` is set; external objects keep their key as name.
 */

function engineName(f: Fields, key: string, project: string, external: boolean | undefined): string {
  return f.str('name') ?? (external ? key : `${project}_${key}`);
}

/** Legacy `external: {name: x}` form. */
function external(f: Fields): { external?: boolean; name?: string } {
  const raw = f.raw('external');
  if (raw !== null && typeof raw === 'object') {
    const sub = f.sub('external')!;
    sub.checkKeys(['name']);
    return { external: true, name: sub.str('name') };
  }
  return { external: f.bool('external') };
}

export function normalizeNetwork(key: string, f: Fields | undefined, project: string): NetworkConfig {
  if (!f) return { name: `${project}_${key}` };
  f.checkKeys(['name', 'driver', 'driver_opts', 'ipam', 'external', 'internal', 'attachable', 'enable_ipv4', 'enable_ipv6', 'labels']);
  const ext = external(f);
  const ipam = f.sub('ipam');
  ipam?.checkKeys(['driver', 'config', 'options']);
  if (ext.external) f.checkKeys(['name', 'external']);
  return compact({
    name: ext.name ?? engineName(f, key, project, ext.external),
    driver: f.str('driver'),
    driver_opts: f.strMap('driver_opts'),
    ipam:
      ipam &&
      compact({
        driver: ipam.str('driver'),
        config: ipam.mapList('config')?.map((c) => {
          c.checkKeys(['subnet', 'ip_range', 'gateway', 'aux_addresses']);
          return compact({ subnet: c.str('subnet'), ip_range: c.str('ip_range'), gateway: c.str('gateway'), aux_addresses: c.strMap('aux_addresses') });
        }),
        options: ipam.strMap('options'),
      }),
    external: ext.external,
    internal: f.bool('internal'),
    attachable: f.bool('attachable'),
    enable_ipv4: f.bool('enable_ipv4'),
    enable_ipv6: f.bool('enable_ipv6'),
    labels: f.strMap('labels'),
    extensions: f.extensions(),
  });
}

export function normalizeVolume(key: string, f: Fields | undefined, project: string): VolumeConfig {
  if (!f) return { name: `${project}_${key}` };
  f.checkKeys(['name', 'driver', 'driver_opts', 'external', 'labels']);
  const ext = external(f);
  if (ext.external) f.checkKeys(['name', 'external']);
  return compact({
    name: ext.name ?? engineName(f, key, project, ext.external),
    driver: f.str('driver'),
    driver_opts: f.strMap('driver_opts'),
    external: ext.external,
    labels: f.strMap('labels'),
    extensions: f.extensions(),
  });
}

export function normalizeSecret(key: string, f: Fields | undefined, project: string, kind: 'secret' | 'config'): SecretConfig | ConfigConfig {
  if (!f) throw new Error('unreachable');
  f.checkKeys(['name', 'file', 'environment', 'content', 'external', 'labels', 'driver', 'driver_opts', 'template_driver']);
  const ext = external(f);
  const sources = ['file', 'environment', 'content'].filter((k) => f.has(k));
  if (ext.external) sources.push('external');
  if (sources.length !== 1) {
    f.fail(sources[1] ?? 'file', `${kind} "${key}" must have exactly one of file, environment, content or external`);
  }
  return compact({
    name: ext.name ?? engineName(f, key, project, ext.external),
    file: f.str('file'),
    environment: f.str('environment'),
    content: f.str('content'),
    external: ext.external,
    labels: f.strMap('labels'),
    driver: f.str('driver'),
    driver_opts: f.strMap('driver_opts'),
    template_driver: f.str('template_driver'),
    extensions: f.extensions(),
  });
}
