/**
 * A service's definition → the body of `POST /containers/create`, the way compose v2's
 * create.go maps it. The first network is joined at create (NetworkingConfig); the others are
 * returned separately so the caller can connect them before start.
 */
import path from 'node:path';
import type { Project, Service, ServiceFileRef, ServiceNetwork, ServiceVolume } from '../loader/index.js';
import { COMPOSE_VERSION, LABEL } from './labels.js';
import { containerName } from './names.js';

export interface EndpointSpec {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  MacAddress?: string;
  DriverOpts?: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  body: Record<string, unknown> & { Labels: Record<string, string>; HostConfig: Record<string, unknown> };
  /** Networks (engine names) to connect after create, before start. */
  extraNetworks: Array<{ network: string; endpoint: EndpointSpec }>;
}

export interface SpecContext {
  project: Project;
  service: Service;
  number: number;
  /** The image reference to run (built or pulled). */
  image: string;
  /** The image ID, recorded in `com.docker.compose.image` so a rebuilt image recreates. */
  imageId?: string;
  configHash: string;
  /** Container name or ID of another service's first container (network_mode / volumes_from). */
  resolveService: (service: string) => string | undefined;
  oneoff?: { slug: string; name: string };
  /** Extra aliases other services ask for through `links: [this:alias]`. */
  linkAliases?: string[];
}

const SECONDS = 1e9;

/** The network order compose uses: higher `priority` first, then by name. */
export function serviceNetworks(service: Service): Array<[string, ServiceNetwork | null]> {
  return Object.entries(service.networks ?? {}).sort(([a, na], [b, nb]) => (nb?.priority ?? 0) - (na?.priority ?? 0) || a.localeCompare(b));
}

function environment(service: Service): string[] {
  return Object.entries(service.environment)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
}

function ports(service: Service): { exposed: Record<string, object>; bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of service.ports ?? []) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of service.expose ?? []) {
    const [port, proto = 'tcp'] = e.split('/');
    exposed[`${port}/${proto}`] = {};
  }
  return { exposed, bindings };
}

function volumeMount(project: Project, v: ServiceVolume): Record<string, unknown> {
  switch (v.type) {
    case 'volume': {
      const source = v.source ? (project.volumes[v.source]?.name ?? v.source) : undefined;
      return { Type: 'volume', Source: source, Target: v.target, ReadOnly: Boolean(v.read_only), VolumeOptions: v.volume?.nocopy || v.volume?.subpath ? { NoCopy: Boolean(v.volume?.nocopy), Subpath: v.volume?.subpath } : undefined };
    }
    case 'tmpfs':
      return { Type: 'tmpfs', Target: v.target, ReadOnly: Boolean(v.read_only), TmpfsOptions: v.tmpfs ? { SizeBytes: v.tmpfs.size, Mode: v.tmpfs.mode } : undefined };
    default:
      return { Type: v.type, Source: v.source, Target: v.target, ReadOnly: Boolean(v.read_only), BindOptions: v.bind?.propagation ? { Propagation: v.bind.propagation } : undefined };
  }
}

/**
 * Binds (`src:dst[:opts]`) for bind mounts whose host path may be created (the short syntax's
 * default, as `docker run -v` does); Mounts for everything else.
 */
function mounts(project: Project, service: Service): { binds: string[]; mounts: Array<Record<string, unknown>> } {
  const binds: string[] = [];
  const list: Array<Record<string, unknown>> = [];
  for (const v of service.volumes ?? []) {
    if (v.type === 'bind' && v.bind?.create_host_path !== false && v.source) {
      const opts = [v.read_only ? 'ro' : '', v.bind?.propagation ?? '', v.bind?.selinux ?? ''].filter(Boolean);
      binds.push(`${v.source}:${v.target}${opts.length ? `:${opts.join(',')}` : ''}`);
    } else list.push(volumeMount(project, v));
  }
  const files = (refs: ServiceFileRef[] | undefined, kind: 'secrets' | 'configs') => {
    for (const ref of refs ?? []) {
      const def = project[kind][ref.source];
      if (!def?.file) continue; // environment/content sources are copied in after create (injected-files.ts)
      list.push({ Type: 'bind', Source: path.resolve(project.workingDir, def.file), Target: fileTarget(ref, kind), ReadOnly: true });
    }
  };
  files(service.secrets, 'secrets');
  files(service.configs, 'configs');
  return { binds, mounts: list };
}

/** Where a secret or config appears in the container. */
export function fileTarget(ref: ServiceFileRef, kind: 'secrets' | 'configs'): string {
  const target = ref.target ?? (kind === 'secrets' ? ref.source : `/${ref.source}`);
  return target.startsWith('/') ? target : kind === 'secrets' ? `/run/secrets/${target}` : `/${target}`;
}

function restartPolicy(service: Service): { Name: string; MaximumRetryCount: number } {
  if (service.restart) {
    const [name = 'no', count] = service.restart.split(':');
    return { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
  }
  const rp = service.deploy?.restart_policy;
  if (rp?.condition) {
    const name = rp.condition === 'any' ? 'always' : rp.condition === 'none' ? 'no' : 'on-failure';
    return { Name: name, MaximumRetryCount: rp.max_attempts ?? 0 };
  }
  return { Name: 'no', MaximumRetryCount: 0 };
}

function healthcheck(service: Service): Record<string, unknown> | undefined {
  const hc = service.healthcheck;
  if (!hc) return undefined;
  if (hc.disable) return { Test: ['NONE'] };
  return { Test: hc.test, Interval: hc.interval, Timeout: hc.timeout, Retries: hc.retries, StartPeriod: hc.start_period, StartInterval: hc.start_interval };
}

function devices(service: Service): Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> {
  return (service.devices ?? []).map((d) => {
    const [host = '', container = host, perms = 'rwm'] = d.split(':');
    return { PathOnHost: host, PathInContainer: container, CgroupPermissions: perms };
  });
}

function tmpfs(service: Service): Record<string, string> | undefined {
  if (!service.tmpfs?.length) return undefined;
  return Object.fromEntries(service.tmpfs.map((t) => {
    const colon = t.indexOf(':');
    return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
  }));
}

/** `service:x` / `container:x` / host / none / a network; undefined for compose networks. */
function networkMode(ctx: SpecContext): string | undefined {
  const mode = ctx.service.network_mode;
  if (!mode) return undefined;
  if (mode.startsWith('service:')) {
    const target = ctx.resolveService(mode.slice('service:'.length));
    if (!target) throw new Error(`service "${ctx.service.name}" uses network_mode ${mode}, but that service has no container`);
    return `container:${target}`;
  }
  return mode;
}

function volumesFrom(ctx: SpecContext): string[] {
  return (ctx.service.volumes_from ?? []).map((v) => {
    if (v.startsWith('container:')) return v.slice('container:'.length);
    const [name = '', mode] = v.split(':');
    const target = ctx.resolveService(name) ?? name;
    return mode ? `${target}:${mode}` : target;
  });
}

function endpoint(ctx: SpecContext, cfg: ServiceNetwork | null): EndpointSpec {
  const name = ctx.oneoff?.name ?? containerName(ctx.project, ctx.service, ctx.number);
  // compose: the container name always, the service name and configured aliases for service containers.
  const aliases = ctx.oneoff ? [name] : [name, ctx.service.name, ...(cfg?.aliases ?? []), ...(ctx.linkAliases ?? [])];
  const e: EndpointSpec = { Aliases: [...new Set(aliases)] };
  if (cfg?.ipv4_address || cfg?.ipv6_address || cfg?.link_local_ips) e.IPAMConfig = { IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address, LinkLocalIPs: cfg.link_local_ips };
  if (cfg?.mac_address) e.MacAddress = cfg.mac_address;
  if (cfg?.driver_opts) e.DriverOpts = cfg.driver_opts;
  return e;
}

/** compose v2's depends_on label: `svc:condition:restart,…`. */
export function dependsOnLabel(service: Service): string {
  return Object.entries(service.depends_on ?? {})
    .map(([name, d]) => `${name}:${d.condition}:${d.restart}`)
    .sort()
    .join(',');
}

export function composeLabels(ctx: SpecContext): Record<string, string> {
  const { project, service } = ctx;
  const labels: Record<string, string> = {
    ...(service.labels ?? {}),
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.containerNumber]: String(ctx.number),
    [LABEL.configHash]: ctx.configHash,
    [LABEL.oneoff]: ctx.oneoff ? 'True' : 'False',
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.composeFiles.join(','),
    [LABEL.version]: COMPOSE_VERSION,
    [LABEL.dependsOn]: dependsOnLabel(service),
  };
  if (ctx.imageId) labels[LABEL.image] = ctx.imageId;
  if (ctx.oneoff) labels[LABEL.slug] = ctx.oneoff.slug;
  return labels;
}

export function containerSpec(ctx: SpecContext): ContainerSpec {
  const { project, service } = ctx;
  const name = ctx.oneoff?.name ?? containerName(project, service, ctx.number);
  const { exposed, bindings } = ports(service);
  const { binds, mounts: mountList } = mounts(project, service);
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const nets = serviceNetworks(service);
  const explicitMode = networkMode(ctx);
  const [primary, ...rest] = explicitMode ? [] : nets;
  const engineName = (key: string) => project.networks[key]?.name ?? key;
  const cpus = limits?.cpus ?? service.cpus;

  const hostConfig: Record<string, unknown> = {
    Binds: binds,
    Mounts: mountList,
    PortBindings: bindings,
    NetworkMode: explicitMode ?? (primary ? engineName(primary[0]) : 'default'),
    RestartPolicy: restartPolicy(service),
    VolumesFrom: volumesFrom(ctx),
    CapAdd: service.cap_add,
    CapDrop: service.cap_drop,
    Dns: service.dns,
    DnsSearch: service.dns_search,
    DnsOptions: service.dns_opt,
    ExtraHosts: Object.entries(service.extra_hosts ?? {}).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`)),
    GroupAdd: service.group_add,
    IpcMode: service.ipc,
    PidMode: service.pid,
    UTSMode: service.uts,
    UsernsMode: service.userns_mode,
    Cgroup: service.cgroup,
    CgroupParent: service.cgroup_parent,
    Privileged: Boolean(service.privileged),
    ReadonlyRootfs: Boolean(service.read_only),
    SecurityOpt: service.security_opt,
    Tmpfs: tmpfs(service),
    ShmSize: service.shm_size,
    Sysctls: service.sysctls,
    Runtime: service.runtime,
    Init: service.init,
    LogConfig: service.logging ? { Type: service.logging.driver ?? '', Config: service.logging.options ?? {} } : undefined,
    Memory: limits?.memory ?? service.mem_limit,
    MemoryReservation: reservations?.memory ?? service.mem_reservation,
    MemorySwap: service.memswap_limit,
    MemorySwappiness: service.mem_swappiness,
    NanoCpus: cpus ? Math.round(cpus * SECONDS) : undefined,
    CpuShares: service.cpu_shares,
    CpuQuota: service.cpu_quota,
    CpuPeriod: service.cpu_period,
    CpusetCpus: service.cpuset,
    PidsLimit: limits?.pids ?? service.pids_limit,
    OomKillDisable: service.oom_kill_disable,
    OomScoreAdj: service.oom_score_adj,
    Devices: devices(service),
    DeviceCgroupRules: service.device_cgroup_rules,
    Ulimits: Object.entries(service.ulimits ?? {}).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
    StorageOpt: service.storage_opt,
    Isolation: service.isolation,
    AutoRemove: false,
  };

  const body = {
    Image: ctx.image,
    Cmd: service.command ?? undefined,
    Entrypoint: service.entrypoint ?? undefined,
    Env: environment(service),
    Labels: composeLabels(ctx),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Hostname: service.hostname,
    Domainname: service.domainname,
    MacAddress: service.mac_address,
    User: service.user,
    WorkingDir: service.working_dir,
    Tty: Boolean(service.tty),
    OpenStdin: Boolean(service.stdin_open),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    StdinOnce: false,
    Healthcheck: healthcheck(service),
    StopSignal: service.stop_signal,
    StopTimeout: service.stop_grace_period !== undefined ? Math.ceil(service.stop_grace_period / SECONDS) : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: primary ? { EndpointsConfig: { [engineName(primary[0])]: endpoint(ctx, primary[1]) } } : undefined,
  };
  return { name, body: dropUndefined(body), extraNetworks: rest.map(([key, cfg]) => ({ network: engineName(key), endpoint: endpoint(ctx, cfg) })) };
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? dropUndefined(v as Record<string, unknown>) : v;
  }
  return out as T;
}
