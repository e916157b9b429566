/**
 * `create`/`run` flags → the body of `POST /containers/create` (Docker's ContainerConfig with
 * HostConfig and NetworkingConfig). Pure: no I/O besides reading --env-file / --label-file, so
 * it is unit tested flag by flag. Invalid values give docker's messages.
 */
import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';
import { parseGoDuration } from '../../util/go-duration.js';
import { ramInBytes } from '../format/units.js';

/** The flags as commander hands them over (repeatables are arrays). */
export interface CreateFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  label: string[];
  labelFile: string[];
  entrypoint?: string;
  stopSignal?: string;
  stopTimeout?: string;
  user?: string;
  groupAdd: string[];
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  securityOpt: string[];
  readOnly?: boolean;
  ulimit: string[];
  init?: boolean;
  device: string[];
  sysctl: string[];
  ipc?: string;
  pid?: string;
  uts?: string;
  hostname?: string;
  domainname?: string;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
  blkioWeight?: string;
  shmSize?: string;
  restart?: string;
  runtime?: string;
  network?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  addHost: string[];
  volume: string[];
  mount: string[];
  tmpfs: string[];
  volumesFrom: string[];
  logDriver?: string;
  logOpt: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthcheck?: boolean; // false with --no-healthcheck
  detachKeys?: string;
  platform?: string;
  pull?: string;
  attach: string[];
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface CreateBody {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number };
  Image: string;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: HostConfig;
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases?: string[] }> };
}

export interface HostConfig {
  /** [rows, columns] of the local terminal with -t, so the process starts at the right size. */
  ConsoleSize?: [number, number];
  Binds: string[];
  ContainerIDFile: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  PortBindings: Record<string, PortBinding[]>;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  AutoRemove: boolean;
  VolumesFrom: string[];
  Mounts: Array<Record<string, unknown>>;
  CapAdd: string[];
  CapDrop: string[];
  Dns: string[];
  DnsOptions: string[];
  DnsSearch: string[];
  ExtraHosts: string[];
  GroupAdd: string[];
  IpcMode: string;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[];
  Tmpfs?: Record<string, string>;
  UTSMode: string;
  ShmSize?: number;
  Sysctls?: Record<string, string>;
  Runtime?: string;
  Init?: boolean;
  Memory: number;
  MemorySwap: number;
  MemoryReservation: number;
  NanoCpus: number;
  CpuShares: number;
  CpusetCpus: string;
  PidsLimit?: number;
  BlkioWeight: number;
  Devices: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
  Ulimits: Array<{ Name: string; Soft: number; Hard: number }>;
}

function invalid(flag: string, value: string, why: string): CliError {
  return new CliError(`invalid argument "${value}" for "${flag}" flag: ${why}`, 125);
}

function size(flag: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (value === '-1' && flag.includes('memory-swap')) return -1;
  try {
    return ramInBytes(value);
  } catch (err) {
    throw invalid(flag, value, (err as Error).message);
  }
}

function intFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw invalid(flag, value, `strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

/** Durations go over the wire in nanoseconds. */
function durationNs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    const ns = parseGoDuration(value);
    if (ns < 0) throw new Error(`${flag.replace(/^.*--/, '--')} cannot be negative`);
    return ns;
  } catch (err) {
    throw invalid(flag, value, (err as Error).message);
  }
}

/** `--cpus 1.5` → NanoCpus 1500000000. */
function nanoCpus(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !Number.isFinite(n)) throw invalid('--cpus', value, `failed to parse ${value} as a rational number`);
  return Math.round(n * 1e9);
}

/** KEY=VALUE lines; a bare KEY takes the value from this process's environment (docker's rule). */
function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, 125);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trimStart())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      if (l.includes('=')) {
        if (l.startsWith('=')) throw new CliError(`invalid environment variable: ${l}`, 125);
        return l;
      }
      return process.env[l] !== undefined ? `${l}=${process.env[l]}` : l;
    });
}

function envList(values: string[]): string[] {
  return values.map((v) => {
    if (v.startsWith('=')) throw new CliError(`invalid environment variable: ${v}`, 125);
    if (v.includes('=')) return v;
    return process.env[v] !== undefined ? `${v}=${process.env[v]}` : v;
  });
}

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq === 0) throw invalid(flag, item, `invalid key/value: '${item}'`);
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * `-p [ip:][hostPort:]containerPort[/proto]` with ranges (`8000-8001:80-81`). Returns the
 * exposed ports and their bindings.
 */
export function parsePublish(specs: string[]): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const spec of specs) {
    let rest = spec;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.slice(slash + 1).toLowerCase();
      rest = rest.slice(0, slash);
      if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalid('-p, --publish', spec, `invalid proto: ${proto}`);
    }
    let ip = '';
    // IPv6 host addresses are written in brackets: [::1]:8080:80
    const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
    if (v6) {
      ip = v6[1]!;
      rest = v6[2]!;
    }
    const parts = rest.split(':');
    let hostPart = '';
    let containerPart: string;
    if (v6) [hostPart, containerPart] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['', parts[0]!];
    else if (parts.length === 1) containerPart = parts[0]!;
    else if (parts.length === 2) [hostPart, containerPart] = [parts[0]!, parts[1]!];
    else if (parts.length === 3) [ip, hostPart, containerPart] = [parts[0]!, parts[1]!, parts[2]!];
    else throw invalid('-p, --publish', spec, `invalid port format`);
    const range = (s: string, what: string): [number, number] => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(s);
      if (!m) throw invalid('-p, --publish', spec, `invalid ${what} port: ${s}`);
      const lo = Number(m[1]);
      const hi = m[2] ? Number(m[2]) : lo;
      if (lo < 0 || hi > 65535 || hi < lo) throw invalid('-p, --publish', spec, `invalid ${what} port: ${s}`);
      return [lo, hi];
    };
    const [cLo, cHi] = range(containerPart, 'containerPort');
    const host = hostPart ? range(hostPart, 'hostPort') : undefined;
    if (host && host[1] - host[0] !== cHi - cLo && host[0] !== host[1]) throw invalid('-p, --publish', spec, 'invalid ranges specified for container and host Ports');
    for (let p = cLo; p <= cHi; p++) {
      const key = `${p}/${proto}`;
      exposed[key] = {};
      let hostPort = '';
      if (host) hostPort = host[0] === host[1] || host[1] - host[0] !== cHi - cLo ? (cLo === cHi ? `${host[0]}${host[1] !== host[0] ? `-${host[1]}` : ''}` : String(host[0])) : String(host[0] + (p - cLo));
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}

/** `--mount type=bind,source=/a,target=/b,readonly` → a Docker Mount object. */
export function parseMount(spec: string): Record<string, unknown> {
  const mount: Record<string, unknown> = { Type: 'volume' };
  const bindOptions: Record<string, unknown> = {};
  const volumeOptions: Record<string, unknown> = {};
  const tmpfsOptions: Record<string, unknown> = {};
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case 'type':
        mount.Type = value;
        break;
      case 'source':
      case 'src':
        mount.Source = value;
        break;
      case 'target':
      case 'destination':
      case 'dst':
        mount.Target = value;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = value === undefined || value === 'true' || value === '1';
        break;
      case 'consistency':
        mount.Consistency = value;
        break;
      case 'bind-propagation':
        bindOptions.Propagation = value;
        break;
      case 'volume-nocopy':
        volumeOptions.NoCopy = value === undefined || value === 'true';
        break;
      case 'volume-driver':
        volumeOptions.DriverConfig = { Name: value };
        break;
      case 'volume-label': {
        const [k, v = ''] = (value ?? '').split('=');
        volumeOptions.Labels = { ...(volumeOptions.Labels as object), [k!]: v };
        break;
      }
      case 'tmpfs-size':
        tmpfsOptions.SizeBytes = size('--mount', value);
        break;
      case 'tmpfs-mode':
        tmpfsOptions.Mode = parseInt(value ?? '', 8);
        break;
      default:
        throw invalid('--mount', spec, `unexpected key '${key}' in '${field}'`);
    }
  }
  if (!mount.Target) throw invalid('--mount', spec, 'target is required');
  if (Object.keys(bindOptions).length) mount.BindOptions = bindOptions;
  if (Object.keys(volumeOptions).length) mount.VolumeOptions = volumeOptions;
  if (Object.keys(tmpfsOptions).length) mount.TmpfsOptions = tmpfsOptions;
  return mount;
}

function parseUlimit(spec: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw invalid('--ulimit', spec, `invalid ulimit argument: ${spec}`);
  const soft = Number(m[2]);
  const hard = m[3] !== undefined ? Number(m[3]) : soft;
  if (soft > hard && hard !== -1) throw invalid('--ulimit', spec, `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: m[1]!, Soft: soft, Hard: hard };
}

function parseDevice(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = spec.split(':');
  const host = parts[0]!;
  let inContainer = host;
  let perms = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!;
    else inContainer = parts[1]!;
  } else if (parts.length === 3) {
    inContainer = parts[1]!;
    perms = parts[2]!;
  } else if (parts.length > 3) throw invalid('--device', spec, `invalid device specification: ${spec}`);
  return { PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms };
}

function parseRestart(value: string | undefined): { Name: string; MaximumRetryCount: number } {
  if (!value) return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = value.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name!)) throw invalid('--restart', value, `invalid restart policy '${name}'`);
  if (count !== undefined && name !== 'on-failure') throw invalid('--restart', value, `maximum retry count cannot be used with restart policy '${name}'`);
  return { Name: name!, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

/** Builds the create body. `command` is what follows IMAGE on the command line. */
export function buildCreateBody(image: string, command: string[], f: CreateFlags): CreateBody {
  if (f.rm && f.restart && f.restart !== 'no') throw new CliError('Conflicting options: --restart and --rm', 125);
  const { exposed, bindings } = parsePublish(f.publish);
  for (const e of f.expose) {
    const [port, proto = 'tcp'] = e.split('/');
    exposed[`${port}/${proto}`] = {};
  }
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of f.volume) {
    // A bare container path is an anonymous volume; anything with a source is a bind/named volume.
    const parts = v.split(':');
    if (parts.length === 1) volumes[v] = {};
    else if (parts.length <= 3 && parts[0] && parts[1]) binds.push(v);
    else throw invalid('-v, --volume', v, `invalid spec: ${v}`);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs) {
    const colon = t.indexOf(':');
    tmpfs[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }
  const healthcheck: CreateBody['Healthcheck'] = f.healthcheck === false ? { Test: ['NONE'] } : {};
  if (f.healthcheck === false && (f.healthCmd || f.healthInterval || f.healthTimeout || f.healthRetries)) {
    throw new CliError('--no-healthcheck conflicts with --health-* options', 125);
  }
  if (f.healthCmd) healthcheck.Test = ['CMD-SHELL', f.healthCmd];
  const interval = durationNs('--health-interval', f.healthInterval);
  const timeout = durationNs('--health-timeout', f.healthTimeout);
  const startPeriod = durationNs('--health-start-period', f.healthStartPeriod);
  const startInterval = durationNs('--health-start-interval', f.healthStartInterval);
  const retries = intFlag('--health-retries', f.healthRetries);
  if (retries !== undefined && retries < 0) throw new CliError('--health-retries cannot be negative', 125);
  if (interval) healthcheck.Interval = interval;
  if (timeout) healthcheck.Timeout = timeout;
  if (startPeriod) healthcheck.StartPeriod = startPeriod;
  if (startInterval) healthcheck.StartInterval = startInterval;
  if (retries) healthcheck.Retries = retries;

  const attach = new Set(f.attach.map((a) => a.toLowerCase()));
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw new CliError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, 125);
  const detached = Boolean(f.detach);
  const attachStdin = attach.size ? attach.has('stdin') : Boolean(f.interactive) && !detached;
  const attachStdout = attach.size ? attach.has('stdout') : !detached;
  const attachStderr = attach.size ? attach.has('stderr') : !detached;

  const labels = { ...Object.fromEntries(f.labelFile.flatMap(readEnvFile).map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)])), ...keyValues(f.label, '-l, --label') };
  const network = f.network ?? 'default';
  const endpoints: CreateBody['NetworkingConfig']['EndpointsConfig'] = {};
  if (f.networkAlias.length) {
    if (network === 'default' || network === 'bridge' || network === 'host' || network === 'none') throw new CliError('network-scoped aliases are only supported for user-defined networks', 125);
    endpoints[network] = { Aliases: f.networkAlias };
  }
  const stopTimeout = intFlag('--stop-timeout', f.stopTimeout);
  const pidsLimit = intFlag('--pids-limit', f.pidsLimit);
  const blkio = intFlag('--blkio-weight', f.blkioWeight) ?? 0;
  if (blkio !== 0 && (blkio < 10 || blkio > 1000)) throw new CliError('invalid --blkio-weight: range from 10 to 1000', 125);

  return {
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: Boolean(f.tty),
    OpenStdin: Boolean(f.interactive),
    StdinOnce: attachStdin,
    Env: [...f.envFile.flatMap(readEnvFile), ...envList(f.env)],
    Cmd: command.length ? command : null,
    ...(Object.keys(healthcheck).length ? { Healthcheck: healthcheck } : {}),
    Image: image,
    ...(Object.keys(volumes).length ? { Volumes: volumes } : {}),
    WorkingDir: f.workdir ?? '',
    // --entrypoint "" resets the image's entrypoint: docker sends [""] for that.
    Entrypoint: f.entrypoint === undefined ? null : f.entrypoint === '' ? [''] : [f.entrypoint],
    Labels: labels,
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: stopTimeout } : {}),
    HostConfig: {
      Binds: binds,
      ContainerIDFile: '',
      LogConfig: { Type: f.logDriver ?? '', Config: keyValues(f.logOpt, '--log-opt') },
      NetworkMode: network,
      PortBindings: bindings,
      RestartPolicy: parseRestart(f.restart),
      AutoRemove: Boolean(f.rm),
      VolumesFrom: f.volumesFrom,
      Mounts: f.mount.map(parseMount),
      CapAdd: f.capAdd,
      CapDrop: f.capDrop,
      Dns: f.dns,
      DnsOptions: f.dnsOption,
      DnsSearch: f.dnsSearch,
      ExtraHosts: f.addHost,
      GroupAdd: f.groupAdd,
      IpcMode: f.ipc ?? '',
      PidMode: f.pid ?? '',
      Privileged: Boolean(f.privileged),
      PublishAllPorts: Boolean(f.publishAll),
      ReadonlyRootfs: Boolean(f.readOnly),
      SecurityOpt: f.securityOpt,
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      UTSMode: f.uts ?? '',
      ...(f.shmSize ? { ShmSize: size('--shm-size', f.shmSize) } : {}),
      ...(f.sysctl.length ? { Sysctls: keyValues(f.sysctl, '--sysctl') } : {}),
      ...(f.runtime ? { Runtime: f.runtime } : {}),
      ...(f.init ? { Init: true } : {}),
      Memory: size('-m, --memory', f.memory),
      MemorySwap: size('--memory-swap', f.memorySwap),
      MemoryReservation: size('--memory-reservation', f.memoryReservation),
      NanoCpus: nanoCpus(f.cpus),
      CpuShares: intFlag('-c, --cpu-shares', f.cpuShares) ?? 0,
      CpusetCpus: f.cpusetCpus ?? '',
      ...(pidsLimit !== undefined ? { PidsLimit: pidsLimit } : {}),
      BlkioWeight: blkio,
      Devices: f.device.map(parseDevice),
      Ulimits: f.ulimit.map(parseUlimit),
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}
