import { readFile } from 'node:fs/promises';
import { DotenvError, parseDotenv } from './dotenv.js';
import { ComposeError } from './errors.js';
import { compact, Fields } from './fields.js';
import { posOf } from './positions.js';
import { shellSplit } from './shellwords.js';
import { isTreeMap } from './source.js';
import { errorAt } from './tree.js';
import type {
  BuildConfig,
  DeployConfig,
  DependsOnCondition,
  EnvFileRef,
  HealthCheck,
  ResourceSpec,
  Service,
  ServiceDependency,
  ServiceFileRef,
  ServiceNetwork,
  ServicePort,
  ServiceVolume,
  Ulimit,
  UpdateConfig,
} from './types.js';

/** What a service's normalization needs from the project. */
export interface ServiceContext {
  /** Variables for `KEY` entries without a value. */
  env: Record<string, string>;
  warnings: Set<string>;
}

const SERVICE_KEYS = [
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command', 'configs',
  'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpu_shares',
  'cpus', 'cpuset', 'credential_spec', 'depends_on', 'deploy', 'develop', 'device_cgroup_rules', 'devices', 'dns', 'dns_opt',
  'dns_search', 'domainname', 'entrypoint', 'env_file', 'environment', 'expose', 'extends', 'external_links', 'extra_hosts',
  'group_add', 'healthcheck', 'hostname', 'image', 'init', 'ipc', 'isolation', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'network_mode', 'networks', 'oom_kill_disable',
  'oom_score_adj', 'pid', 'pids_limit', 'platform', 'ports', 'privileged', 'profiles', 'pull_policy', 'read_only', 'restart',
  'runtime', 'scale', 'secrets', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt',
  'sysctls', 'tmpfs', 'tty', 'ulimits', 'user', 'userns_mode', 'uts', 'volumes', 'volumes_from', 'working_dir',
] as const;

const RESTART_RE = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const PULL_POLICIES = ['always', 'never', 'missing', 'if_not_present', 'build', 'daily', 'weekly'];
const CONDITIONS: readonly DependsOnCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

export async function normalizeService(name: string, f: Fields, ctx: ServiceContext): Promise<Service> {
  f.checkKeys(SERVICE_KEYS);
  if (!f.has('image') && !f.has('build')) f.fail('image', `service "${name}" has neither an image nor a build context specified`);
  const pullPolicy = f.str('pull_policy');
  if (pullPolicy !== undefined && !PULL_POLICIES.includes(pullPolicy) && !/^every_/.test(pullPolicy)) f.fail('pull_policy', `invalid pull policy "${pullPolicy}"`);
  const restart = f.str('restart');
  if (restart !== undefined && !RESTART_RE.test(restart)) f.fail('restart', `invalid restart policy "${restart}"`);
  const envFiles = envFileRefs(f);
  const service: Service = {
    name,
    profiles: f.strList('profiles'),
    image: f.str('image'),
    build: f.has('build') ? build(f.sub('build')!) : undefined,
    pull_policy: pullPolicy,
    platform: f.str('platform'),
    command: commandLike(f, 'command'),
    entrypoint: commandLike(f, 'entrypoint'),
    environment: await environment(f, envFiles, ctx),
    env_file: envFiles,
    labels: f.strMap('labels'),
    annotations: f.strMap('annotations'),
    ports: f.mapList('ports')?.map(port),
    expose: f.strList('expose'),
    volumes: f.mapList('volumes')?.map(volume),
    volumes_from: f.strList('volumes_from'),
    tmpfs: f.strList('tmpfs'),
    networks: networks(f),
    network_mode: f.str('network_mode'),
    depends_on: dependsOn(f),
    links: f.strList('links'),
    external_links: f.strList('external_links'),
    healthcheck: f.has('healthcheck') ? healthcheck(f.sub('healthcheck')!) : undefined,
    deploy: f.has('deploy') ? deploy(f.sub('deploy')!) : undefined,
    restart,
    scale: f.int('scale'),
    secrets: f.mapList('secrets')?.map(fileRef),
    configs: f.mapList('configs')?.map(fileRef),
    user: f.str('user'),
    working_dir: f.str('working_dir'),
    hostname: f.str('hostname'),
    domainname: f.str('domainname'),
    mac_address: f.str('mac_address'),
    init: f.bool('init'),
    read_only: f.bool('read_only'),
    privileged: f.bool('privileged'),
    tty: f.bool('tty'),
    stdin_open: f.bool('stdin_open'),
    cap_add: f.strList('cap_add'),
    cap_drop: f.strList('cap_drop'),
    ulimits: ulimits(f),
    logging: f.has('logging') ? logging(f.sub('logging')!) : undefined,
    stop_grace_period: f.duration('stop_grace_period'),
    stop_signal: f.str('stop_signal'),
    extra_hosts: extraHosts(f),
    dns: f.strList('dns'),
    dns_search: f.strList('dns_search'),
    dns_opt: f.strList('dns_opt'),
    sysctls: f.strMap('sysctls'),
    pid: f.str('pid'),
    ipc: f.str('ipc'),
    uts: f.str('uts'),
    userns_mode: f.str('userns_mode'),
    cgroup: f.str('cgroup'),
    cgroup_parent: f.str('cgroup_parent'),
    shm_size: f.bytes('shm_size'),
    mem_limit: f.bytes('mem_limit'),
    mem_reservation: f.bytes('mem_reservation'),
    memswap_limit: f.raw('memswap_limit') === -1 ? -1 : f.bytes('memswap_limit'),
    mem_swappiness: f.int('mem_swappiness'),
    cpus: f.num('cpus'),
    cpu_shares: f.int('cpu_shares'),
    cpu_quota: f.int('cpu_quota'),
    cpu_period: f.int('cpu_period'),
    cpuset: f.str('cpuset'),
    pids_limit: f.int('pids_limit'),
    oom_kill_disable: f.bool('oom_kill_disable'),
    oom_score_adj: f.int('oom_score_adj'),
    container_name: f.str('container_name'),
    devices: devices(f),
    device_cgroup_rules: f.strList('device_cgroup_rules'),
    security_opt: f.strList('security_opt'),
    group_add: f.strList('group_add'),
    storage_opt: f.strMap('storage_opt'),
    runtime: f.str('runtime'),
    isolation: f.str('isolation'),
    attach: f.bool('attach'),
    extensions: f.extensions(),
  };
  return compact(service);
}

function commandLike(f: Fields, key: 'command' | 'entrypoint'): string[] | null | undefined {
  const v = f.raw(key);
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'string') {
    try {
      return shellSplit(v);
    } catch (err) {
      f.fail(key, (err as Error).message);
    }
  }
  return f.strList(key);
}

function envFileRefs(f: Fields): EnvFileRef[] | undefined {
  return f.mapList('env_file')?.map((e) =>
    compact({ path: e.str('path')!, required: e.bool('required') ?? true, format: e.str('format') }),
  );
}

/** env_file values first, then `environment` on top; a bare `KEY` is looked up in the project environment. */
async function environment(f: Fields, envFiles: EnvFileRef[] | undefined, ctx: ServiceContext): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const [i, ref] of (envFiles ?? []).entries()) {
    let text: string;
    try {
      text = await readFile(ref.path, 'utf8');
    } catch (err) {
      if (!ref.required && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        ctx.warnings.add(`env file ${ref.path} not found, skipped`);
        continue;
      }
      throw errorAt(f.raw('env_file'), i, [...f.path, 'env_file', i], `env file ${ref.path} not found`, err);
    }
    try {
      Object.assign(out, parseDotenv(text, { lookup: (n) => ctx.env[n] ?? out[n] ?? undefined }));
    } catch (err) {
      if (err instanceof DotenvError) throw new ComposeError(err.message, { pos: { file: ref.path, line: err.line } });
      throw errorAt(f.raw('env_file'), i, [...f.path, 'env_file', i], (err as Error).message);
    }
  }
  for (const [key, value] of Object.entries(f.nullableMap('environment') ?? {})) {
    out[key] = value ?? ctx.env[key] ?? null;
  }
  return out;
}

function build(f: Fields): BuildConfig {
  f.checkKeys([
    'context', 'dockerfile', 'dockerfile_inline', 'args', 'target', 'labels', 'cache_from', 'cache_to', 'network', 'secrets',
    'ssh', 'tags', 'platforms', 'extra_hosts', 'additional_contexts', 'no_cache', 'pull', 'shm_size', 'privileged', 'isolation',
    'entitlements', 'ulimits',
  ]);
  if (f.has('dockerfile') && f.has('dockerfile_inline')) f.fail('dockerfile_inline', 'dockerfile and dockerfile_inline are mutually exclusive');
  return compact({
    context: f.str('context')!,
    dockerfile: f.str('dockerfile'),
    dockerfile_inline: f.str('dockerfile_inline'),
    args: f.nullableMap('args'),
    target: f.str('target'),
    labels: f.strMap('labels'),
    cache_from: f.strList('cache_from'),
    cache_to: f.strList('cache_to'),
    network: f.str('network'),
    secrets: f.mapList('secrets')?.map(fileRef),
    ssh: f.strList('ssh'),
    tags: f.strList('tags'),
    platforms: f.strList('platforms'),
    extra_hosts: extraHosts(f),
    additional_contexts: f.strMap('additional_contexts'),
    no_cache: f.bool('no_cache'),
    pull: f.bool('pull'),
    shm_size: f.bytes('shm_size'),
    privileged: f.bool('privileged'),
  });
}

function port(f: Fields): ServicePort {
  f.checkKeys(['name', 'mode', 'host_ip', 'target', 'published', 'protocol', 'app_protocol']);
  const target = f.int('target');
  if (target === undefined || target < 1 || target > 65535) f.fail('target', `invalid port: target must be 1-65535`);
  const published = f.str('published');
  if (published !== undefined && !/^\d+(-\d+)?$/.test(published)) f.fail('published', `invalid port "${published}"`);
  return compact({
    name: f.str('name'),
    mode: f.oneOf('mode', ['ingress', 'host'] as const) ?? 'ingress',
    host_ip: f.str('host_ip') || undefined,
    target,
    published,
    protocol: f.oneOf('protocol', ['tcp', 'udp', 'sctp'] as const) ?? 'tcp',
    app_protocol: f.str('app_protocol'),
  });
}

function volume(f: Fields): ServiceVolume {
  f.checkKeys(['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs', 'image']);
  const type = f.oneOf('type', ['bind', 'volume', 'tmpfs', 'npipe', 'image', 'cluster'] as const);
  if (!type) f.fail('type', 'invalid volume: type is required');
  const target = f.str('target');
  if (!target) f.fail('target', 'invalid volume: target is required');
  const source = f.str('source');
  if ((type === 'bind' || type === 'image') && !source) f.fail('source', `invalid volume: a ${type} mount needs a source`);
  if (type === 'tmpfs' && source) f.fail('source', 'invalid volume: a tmpfs mount has no source');
  const bind = f.sub('bind');
  const vol = f.sub('volume');
  const tmpfs = f.sub('tmpfs');
  const image = f.sub('image');
  bind?.checkKeys(['propagation', 'create_host_path', 'selinux', 'recursive']);
  vol?.checkKeys(['nocopy', 'subpath', 'labels']);
  tmpfs?.checkKeys(['size', 'mode']);
  return compact({
    type,
    source,
    target,
    read_only: f.bool('read_only'),
    consistency: f.str('consistency'),
    bind: bind && compact({ propagation: bind.str('propagation'), create_host_path: bind.bool('create_host_path'), selinux: bind.oneOf('selinux', ['z', 'Z'] as const) }),
    volume: vol && compact({ nocopy: vol.bool('nocopy'), subpath: vol.str('subpath') }),
    tmpfs: tmpfs && compact({ size: tmpfs.bytes('size'), mode: tmpfs.mode('mode') }),
    image: image && compact({ subpath: image.str('subpath') }),
  });
}

function networks(f: Fields): Record<string, ServiceNetwork | null> | undefined {
  const n = f.sub('networks');
  if (!n) return undefined;
  const out: Record<string, ServiceNetwork | null> = {};
  for (const name of Object.keys(n.map)) {
    const entry = n.sub(name);
    if (!entry) {
      out[name] = null;
      continue;
    }
    entry.checkKeys(['aliases', 'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'priority', 'driver_opts', 'gw_priority', 'interface_name']);
    out[name] = compact({
      aliases: entry.strList('aliases'),
      ipv4_address: entry.str('ipv4_address'),
      ipv6_address: entry.str('ipv6_address'),
      link_local_ips: entry.strList('link_local_ips'),
      mac_address: entry.str('mac_address'),
      priority: entry.int('priority'),
      driver_opts: entry.strMap('driver_opts'),
    });
  }
  return out;
}

function dependsOn(f: Fields): Record<string, ServiceDependency> | undefined {
  const d = f.sub('depends_on');
  if (!d) return undefined;
  const out: Record<string, ServiceDependency> = {};
  for (const name of Object.keys(d.map)) {
    const entry = d.sub(name);
    entry?.checkKeys(['condition', 'restart', 'required']);
    out[name] = {
      condition: entry?.oneOf('condition', CONDITIONS) ?? 'service_started',
      restart: entry?.bool('restart') ?? false,
      required: entry?.bool('required') ?? true,
    };
  }
  return out;
}

function healthcheck(f: Fields): HealthCheck {
  f.checkKeys(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
  let test: string[] | undefined;
  const raw = f.raw('test');
  if (typeof raw === 'string') test = ['CMD-SHELL', raw];
  else if (raw !== undefined && raw !== null) {
    test = f.strList('test')!;
    if (test.length === 0 || !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0]!)) f.fail('test', 'healthcheck test must start with NONE, CMD or CMD-SHELL');
  }
  return compact({
    test,
    interval: f.duration('interval'),
    timeout: f.duration('timeout'),
    retries: f.int('retries'),
    start_period: f.duration('start_period'),
    start_interval: f.duration('start_interval'),
    disable: f.bool('disable'),
  });
}

function resources(f: Fields | undefined): ResourceSpec | undefined {
  if (!f) return undefined;
  return compact({ cpus: f.num('cpus'), memory: f.bytes('memory'), pids: f.int('pids') });
}

function updateConfig(f: Fields | undefined): UpdateConfig | undefined {
  if (!f) return undefined;
  f.checkKeys(['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order']);
  return compact({
    parallelism: f.int('parallelism'),
    delay: f.duration('delay'),
    failure_action: f.str('failure_action'),
    monitor: f.duration('monitor'),
    max_failure_ratio: f.num('max_failure_ratio'),
    order: f.oneOf('order', ['start-first', 'stop-first'] as const),
  });
}

function deploy(f: Fields): DeployConfig {
  f.checkKeys(['mode', 'replicas', 'labels', 'resources', 'restart_policy', 'update_config', 'rollback_config', 'placement', 'endpoint_mode']);
  const res = f.sub('resources');
  res?.checkKeys(['limits', 'reservations']);
  const limits = res?.sub('limits');
  limits?.checkKeys(['cpus', 'memory', 'pids']);
  const reservations = res?.sub('reservations');
  reservations?.checkKeys(['cpus', 'memory', 'pids', 'devices', 'generic_resources']);
  const rp = f.sub('restart_policy');
  rp?.checkKeys(['condition', 'delay', 'max_attempts', 'window']);
  const placement = f.raw('placement');
  return compact({
    mode: f.oneOf('mode', ['replicated', 'global', 'replicated-job', 'global-job'] as const),
    replicas: f.int('replicas'),
    labels: f.strMap('labels'),
    resources: res && compact({ limits: resources(limits), reservations: resources(reservations) }),
    restart_policy:
      rp &&
      compact({
        condition: rp.oneOf('condition', ['none', 'on-failure', 'any'] as const),
        delay: rp.duration('delay'),
        max_attempts: rp.int('max_attempts'),
        window: rp.duration('window'),
      }),
    update_config: updateConfig(f.sub('update_config')),
    rollback_config: updateConfig(f.sub('rollback_config')),
    placement: isTreeMap(placement) ? (placement as Record<string, unknown>) : undefined,
    endpoint_mode: f.str('endpoint_mode'),
  });
}

function fileRef(f: Fields): ServiceFileRef {
  f.checkKeys(['source', 'target', 'uid', 'gid', 'mode']);
  const source = f.str('source');
  if (!source) f.fail('source', 'source is required');
  return compact({ source, target: f.str('target'), uid: f.str('uid'), gid: f.str('gid'), mode: f.mode('mode') });
}

function ulimits(f: Fields): Record<string, Ulimit> | undefined {
  const u = f.sub('ulimits');
  if (!u) return undefined;
  const out: Record<string, Ulimit> = {};
  for (const name of Object.keys(u.map)) {
    const entry: Fields = u.sub(name)!;
    entry.checkKeys(['soft', 'hard']);
    const soft = entry.int('soft');
    const hard = entry.int('hard');
    if (soft === undefined || hard === undefined) entry.fail('soft', `ulimit ${name} needs soft and hard`);
    if (soft > hard) entry.fail('soft', `ulimit ${name}: soft limit ${soft} is above hard limit ${hard}`);
    out[name] = { soft, hard };
  }
  return out;
}

function logging(f: Fields): { driver?: string; options?: Record<string, string> } {
  f.checkKeys(['driver', 'options']);
  return compact({ driver: f.str('driver'), options: f.strMap('options') });
}

function extraHosts(f: Fields): Record<string, string[]> | undefined {
  const h = f.sub('extra_hosts');
  if (!h) return undefined;
  const out: Record<string, string[]> = {};
  for (const host of Object.keys(h.map)) out[host] = h.strList(host) ?? [];
  return out;
}

function devices(f: Fields): string[] | undefined {
  const raw = f.raw('devices');
  if (!Array.isArray(raw)) return f.strList('devices');
  return raw.map((item, i) => {
    if (typeof item === 'string') return item;
    if (isTreeMap(item)) {
      const d = new Fields(item, [...f.path, 'devices', i]);
      const source = d.str('source');
      if (!source) d.fail('source', 'source is required');
      return [source, d.str('target') ?? source, d.str('permissions') ?? 'rwm'].join(':');
    }
    throw new ComposeError('must be a string or a mapping', { pos: posOf(raw, i), path: [...f.path, 'devices', i] });
  });
}
