/**
 * Docker container configuration -> OCI runtime config.json, with Docker's defaults.
 *
 * `generateSpec` is pure: everything it needs from the host (rlimits, CPU list, cgroup
 * features, the rootfs' passwd/group, device nodes) arrives in its input, so it can be unit
 * tested and called on the hot path without subprocesses. Paths it writes into the spec
 * (rootfs, netns, /etc/hosts sources, init binary) come from the caller.
 */
import os from 'node:os';
import path from 'node:path';
import { InvalidParameterError } from '../../util/errors.js';
import type { ContainerConfig, HostConfig } from '../../api/types/container.js';
import { resolveCapabilities } from './caps.js';
import type { HostInfo } from './host-info.js';
import type { OciDevice, OciDeviceCgroup, OciMount, OciNamespace, OciSpec } from './oci-types.js';
import { buildResources } from './resources.js';
import { buildRlimits } from './rlimits.js';
import { parseSeccompProfile, toOciSeccomp } from './seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import { resolveUser, withHomeFallback, type UserDatabase } from './user.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's device cgroup allow list for unprivileged containers (after a deny-all rule). */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' }, // mknod of any char device
  { allow: true, type: 'b', access: 'm' }, // mknod of any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

/** sysctls that belong to a namespace, so a container may set them. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_SYSCTLS = new Set(['kernel.domainname', 'kernel.hostname']);

/** The image config fields that matter at run time. */
export interface ImageRunConfig {
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
}

/** A host device node, as found by the caller (stat of PathOnHost). */
export interface HostDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Absolute path of the already-mounted rootfs. */
  rootfsPath: string;
  imageConfig?: ImageRunConfig;
  /** Parsed /etc/passwd and /etc/group of the rootfs (readUserDatabase). */
  users: UserDatabase;
  /** Network namespace to join (`/run/netns/x` or `/proc/PID/ns/net`); absent = new empty netns, unless NetworkMode is host. */
  netnsPath?: string;
  /** Namespaces of other containers for `container:<id>` modes, resolved by the caller. */
  joinNamespaces?: { ipc?: string; pid?: string; uts?: string };
  /** A host directory to bind at /dev/shm (shareable or joined IPC); otherwise a private tmpfs. */
  shmPath?: string;
  hostsFile?: string;
  hostnameFile?: string;
  resolvConfFile?: string;
  /** Cgroup parent (`/berth`); HostConfig.CgroupParent wins when set. */
  cgroupParent: string;
  /** Already-resolved bind/volume/tmpfs mounts (Binds, Mounts, volumes). */
  extraMounts?: OciMount[];
  /** Variables of legacy links (`<ALIAS>_PORT`…): after the daemon's, before the image's and the container's. */
  linkEnv?: string[];
  /**
   * Host device nodes (devicesForHostConfig): for each HostConfig.Devices entry, in the same
   * order, the nodes at its PathOnHost (one, every node under a directory, or none where the
   * host has nothing); when privileged, one entry with all of /dev.
   */
  devices?: HostDevice[][];
  host: HostInfo;
}

export interface SpecResult {
  spec: OciSpec;
  warnings: string[];
}

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/** Later lists override earlier ones key by key, keeping first-seen order. */
export function mergeEnv(...lists: (readonly string[] | null | undefined)[]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list ?? []) map.set(envKey(e), e);
  return [...map.values()];
}

/** Docker's Entrypoint/Cmd resolution: a user entrypoint drops the image's cmd. */
export function resolveArgs(config: ContainerConfig, image: ImageRunConfig = {}): string[] {
  let entrypoint: string[];
  let cmd: string[];
  const userEntry = config.Entrypoint;
  const userCmd = config.Cmd ?? [];
  if (userEntry === undefined || userEntry === null) {
    entrypoint = image.Entrypoint ?? [];
    cmd = userCmd.length > 0 ? userCmd : image.Cmd ?? [];
  } else if (userEntry.length === 0) {
    // An explicit empty entrypoint resets the image's, but an empty Cmd still inherits.
    entrypoint = [];
    cmd = userCmd.length > 0 ? userCmd : image.Cmd ?? [];
  } else {
    entrypoint = userEntry.length === 1 && userEntry[0] === '' ? [] : userEntry;
    cmd = userCmd;
  }
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new InvalidParameterError('No command specified');
  return args;
}

interface SecurityOpts {
  noNewPrivileges: boolean;
  seccomp: 'default' | 'unconfined' | { profile: string };
  unconfinedSystemPaths: boolean;
}

export function parseSecurityOpts(opts: readonly string[]): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: false, seccomp: 'default', unconfinedSystemPaths: false };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // legacy `label:disable`
    let sep = opt.indexOf('=');
    // The old `key:value` form; a seccomp JSON profile always uses `=`.
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw new InvalidParameterError(`invalid --security-opt 1: "${opt}"`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw new InvalidParameterError(`invalid --security-opt 2: "${opt}"`);
        out.noNewPrivileges = value === 'true';
        break;
      case 'seccomp':
        out.seccomp = value === 'unconfined' ? 'unconfined' : value === 'builtin' || value === '' ? 'default' : { profile: value };
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw new InvalidParameterError(`invalid --security-opt 2: "${opt}"`);
        out.unconfinedSystemPaths = true;
        break;
      case 'apparmor':
      case 'label':
        break; // Neither AppArmor nor SELinux is driven by berth; accepted as Docker does when disabled.
      default:
        throw new InvalidParameterError(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return out;
}

function validateSysctls(sysctls: Record<string, string>, hc: HostConfig): void {
  for (const key of Object.keys(sysctls)) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (hc.IpcMode === 'host') throw new InvalidParameterError(`sysctl "${key}" is not allowed in host IPC namespace`);
    } else if (key.startsWith('net.')) {
      if (hc.NetworkMode === 'host') throw new InvalidParameterError(`sysctl "${key}" is not allowed in host network namespace`);
    } else if (UTS_SYSCTLS.has(key)) {
      if (hc.UTSMode === 'host') throw new InvalidParameterError(`sysctl "${key}" is not allowed in host UTS namespace`);
    } else {
      throw new InvalidParameterError(`sysctl "${key}" is not allowed: it is not namespaced`);
    }
  }
}

const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

export function parseDeviceCgroupRule(rule: string): OciDeviceCgroup {
  const m = DEVICE_RULE.exec(rule.trim());
  if (!m) throw new InvalidParameterError(`invalid device cgroup rule format: '${rule}'`);
  const out: OciDeviceCgroup = { allow: true, type: m[1] as 'a' | 'b' | 'c', access: m[4] };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  return out;
}

/** Parses `size=64m,mode=1777,noexec` style tmpfs options into OCI mount options. */
function tmpfsOptions(spec: string): string[] {
  const opts = ['noexec', 'nosuid', 'nodev'];
  for (const o of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const flag = o.split('=')[0] ?? o;
    const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev' };
    const opp = opposite[flag];
    if (opp) {
      const i = opts.indexOf(opp);
      if (i >= 0) opts.splice(i, 1);
    }
    if (!opts.includes(o)) opts.push(o);
  }
  return opts;
}

function namespaceFor(type: OciNamespace['type'], path?: string): OciNamespace {
  return path ? { type, path } : { type };
}

export function generateSpec(input: SpecInput): SpecResult {
  const { config, hostConfig: hc, host } = input;
  const image = input.imageConfig ?? {};
  const warnings: string[] = [];
  const privileged = hc.Privileged === true;
  const security = parseSecurityOpts(hc.SecurityOpt ?? []);

  if (hc.OomScoreAdj !== undefined && (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)) {
    throw new InvalidParameterError(`Invalid value ${hc.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw new InvalidParameterError('SHM size can not be less than 0');

  // --- process ------------------------------------------------------------------------
  const args = resolveArgs(config, image);
  const init = hc.Init === true;
  if (init && !host.initPath) throw new InvalidParameterError('no init binary (tini or catatonit) found on the host for --init');
  const workdir = config.WorkingDir || image.WorkingDir || '/';
  if (!path.posix.isAbsolute(workdir)) {
    throw new InvalidParameterError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  }
  const hostNet = hc.NetworkMode === 'host';
  const hostUts = hc.UTSMode === 'host';
  const hostname = hostUts || hostNet ? undefined : config.Hostname || input.id.slice(0, 12);
  const user = resolveUser(config.User || image.User, hc.GroupAdd ?? [], input.users);
  const daemonEnv = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname ?? os.hostname()}`];
  if (config.Tty) daemonEnv.push('TERM=xterm');
  const env = withHomeFallback(mergeEnv(daemonEnv, input.linkEnv, image.Env, config.Env), user.uid, input.users);

  const caps = resolveCapabilities({ capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged, allCapabilities: host.capabilities });
  const { rlimits, warnings: rlimitWarnings } = buildRlimits(hc.Ulimits ?? [], host.rlimits);
  warnings.push(...rlimitWarnings);

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: config.Tty === true,
      user: { uid: user.uid, gid: user.gid, umask: 0o022, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
      args: init ? [INIT_PATH_IN_CONTAINER, '--', ...args] : args,
      env,
      cwd: path.posix.normalize(workdir),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: security.noNewPrivileges,
      oomScoreAdj: hc.OomScoreAdj ?? 0,
    },
    root: { path: input.rootfsPath, readonly: hc.ReadonlyRootfs === true },
    mounts: [],
    linux: { namespaces: [] },
  };
  if (rlimits.length > 0) spec.process.rlimits = rlimits;
  if (config.Tty && hc.ConsoleSize && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0) {
    spec.process.consoleSize = { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] };
  }
  if (hostname !== undefined) spec.hostname = hostname;
  if (config.Domainname && !hostUts) spec.domainname = config.Domainname;

  // --- namespaces ---------------------------------------------------------------------
  const ns: OciNamespace[] = [{ type: 'mount' }];
  const pidMode = hc.PidMode ?? '';
  if (pidMode.startsWith('container:')) {
    if (!input.joinNamespaces?.pid) throw new InvalidParameterError(`cannot join PID of a non running container: ${pidMode.slice(10)}`);
    ns.push(namespaceFor('pid', input.joinNamespaces.pid));
  } else if (pidMode !== 'host') {
    if (pidMode !== '') throw new InvalidParameterError(`invalid PID mode: ${pidMode}`);
    ns.push({ type: 'pid' });
  }
  const ipcMode = hc.IpcMode ?? '';
  if (ipcMode.startsWith('container:')) {
    if (!input.joinNamespaces?.ipc) throw new InvalidParameterError(`cannot join IPC of a non running container: ${ipcMode.slice(10)}`);
    ns.push(namespaceFor('ipc', input.joinNamespaces.ipc));
  } else if (ipcMode !== 'host') {
    if (!['', 'private', 'shareable', 'none'].includes(ipcMode)) throw new InvalidParameterError(`invalid IPC mode: ${ipcMode}`);
    ns.push({ type: 'ipc' });
  }
  if (!hostUts) {
    if (hc.UTSMode && hc.UTSMode !== '') throw new InvalidParameterError(`invalid UTS mode: ${hc.UTSMode}`);
    ns.push(namespaceFor('uts', input.joinNamespaces?.uts));
  }
  if (!hostNet) ns.push(namespaceFor('network', input.netnsPath));
  const cgroupns = hc.CgroupnsMode || (host.cgroupMode === 'v2' ? 'private' : 'host');
  if (cgroupns === 'private') ns.push({ type: 'cgroup' });
  spec.linux.namespaces = ns;

  // --- mounts -------------------------------------------------------------------------
  const shmSize = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE;
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (ipcMode === 'host') {
    mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] });
  } else if (input.shmPath) {
    mounts.push({ destination: '/dev/shm', type: 'bind', source: input.shmPath, options: ['rbind', 'nosuid', 'noexec', 'nodev'] });
  } else if (ipcMode !== 'none') {
    mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] });
  }
  const netFileOpts = ['rbind', 'rprivate', ...(hc.ReadonlyRootfs ? ['ro'] : [])];
  if (input.resolvConfFile) mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: input.resolvConfFile, options: netFileOpts });
  if (input.hostnameFile) mounts.push({ destination: '/etc/hostname', type: 'bind', source: input.hostnameFile, options: netFileOpts });
  if (input.hostsFile) mounts.push({ destination: '/etc/hosts', type: 'bind', source: input.hostsFile, options: netFileOpts });
  if (init && host.initPath) {
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: host.initPath, options: ['bind', 'ro'] });
  }

  const userMounts: OciMount[] = [...(input.extraMounts ?? [])];
  for (const [target, options] of Object.entries(hc.Tmpfs ?? {})) {
    if (!path.posix.isAbsolute(target)) throw new InvalidParameterError(`invalid mount path: '${target}' mount path must be absolute`);
    userMounts.push({ destination: target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(options) });
  }
  // A user mount replaces a default one at the same place; parents mount before children.
  const userTargets = new Set(userMounts.map((m) => path.posix.normalize(m.destination)));
  const depth = (m: OciMount) => path.posix.normalize(m.destination).split('/').length;
  userMounts.sort((a, b) => depth(a) - depth(b));
  spec.mounts = [...mounts.filter((m) => !userTargets.has(m.destination)), ...userMounts];

  // --- security: seccomp, masked paths, devices ------------------------------------------
  if (!privileged) {
    if (security.seccomp === 'default') {
      spec.linux.seccomp = toOciSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: caps, missingAbis: host.missingSyscallAbis });
    } else if (security.seccomp !== 'unconfined') {
      spec.linux.seccomp = toOciSeccomp(parseSeccompProfile(security.seccomp.profile), { capabilities: caps, missingAbis: host.missingSyscallAbis });
    }
  }
  if (!privileged && !security.unconfinedSystemPaths) {
    spec.linux.maskedPaths = [...(hc.MaskedPaths ?? DEFAULT_MASKED_PATHS)];
    spec.linux.readonlyPaths = [...(hc.ReadonlyPaths ?? DEFAULT_READONLY_PATHS)];
  }

  const { resources, warnings: resourceWarnings } = buildResources(hc, host);
  warnings.push(...resourceWarnings);
  const devices: OciDevice[] = [];
  let deviceRules: OciDeviceCgroup[];
  if (privileged) {
    deviceRules = [{ allow: true, access: 'rwm' }];
    for (const d of (input.devices ?? []).flat()) devices.push({ ...d });
  } else {
    deviceRules = [...DEFAULT_DEVICE_RULES];
    const wanted = hc.Devices ?? [];
    const found = input.devices ?? [];
    wanted.forEach((mapping, i) => {
      const nodes = found[i] ?? [];
      if (nodes.length === 0) throw new InvalidParameterError(`error gathering device information while adding custom device "${mapping.PathOnHost}": no such file or directory`);
      const perms = mapping.CgroupPermissions || 'rwm';
      if (!/^[rwm]{1,3}$/.test(perms)) throw new InvalidParameterError(`invalid device mode: ${perms}`);
      // A directory's nodes keep their place under it: /dev/snd/pcmC0D0p → <PathInContainer>/pcmC0D0p.
      const inContainer = mapping.PathInContainer || mapping.PathOnHost;
      for (const d of nodes) {
        devices.push({ ...d, path: path.posix.join(inContainer, path.posix.relative(mapping.PathOnHost, d.path)) });
        deviceRules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: perms });
      }
    });
    for (const rule of hc.DeviceCgroupRules ?? []) deviceRules.push(parseDeviceCgroupRule(rule));
  }
  resources.devices = deviceRules;
  spec.linux.resources = resources;
  if (devices.length > 0) spec.linux.devices = devices;

  const sysctls = hc.Sysctls ?? {};
  validateSysctls(sysctls, hc);
  if (Object.keys(sysctls).length > 0) spec.linux.sysctl = { ...sysctls };

  const parent = hc.CgroupParent || input.cgroupParent;
  spec.linux.cgroupsPath = `${parent.replace(/\/+$/, '')}/${input.id}`;
  return { spec, warnings };
}

/** JSON text for config.json; bigint rlimits (RLIM_INFINITY) are written as exact integers. */
export function serializeSpec(spec: OciSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `__BIGINT__${v.toString()}__` : v)).replace(
    /"__BIGINT__(\d+)__"/g,
    '$1',
  );
}
