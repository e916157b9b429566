import { existsSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { API_VERSION, BERTH_VERSION } from '../api/version.js';
import type { Engine } from './engine.js';

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osName(): string {
  const rel = readTrim('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel);
  return m?.[1] ?? 'Linux';
}

/** "1" for pure v1 or hybrid hosts (controllers on v1), "2" for a unified hierarchy. */
export function cgroupVersion(): '1' | '2' {
  try {
    return statfsSync('/sys/fs/cgroup').type === 0x63677270 ? '2' : '1';
  } catch {
    return '1';
  }
}

/** `GET /info` in Docker's shape, filled with what this host and daemon really have. */
export async function engineInfo(engine: Engine): Promise<Record<string, unknown>> {
  const counts = engine.containers?.countsByState() ?? { running: 0, paused: 0, stopped: 0 };
  const cg = cgroupVersion();
  const kernel = os.release();
  return {
    ID: readTrim('/etc/machine-id') || os.hostname(),
    Containers: counts.running + counts.paused + counts.stopped,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: engine.images.images.list().length,
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
    ],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none', 'macvlan'], Authorization: null, Log: ['json-file', 'local', 'none', 'syslog', 'fluentd', 'gelf', 'journald'] },
    MemoryLimit: true,
    SwapLimit: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') || cg === '2',
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: readTrim('/proc/sys/net/ipv4/ip_forward') === '1',
    BridgeNfIptables: readTrim('/proc/sys/net/bridge/bridge-nf-call-iptables') === '1',
    BridgeNfIp6tables: readTrim('/proc/sys/net/bridge/bridge-nf-call-ip6tables') === '1',
    Debug: engine.config.logLevel === 'debug',
    NFd: 0,
    OomKillDisable: cg === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: engine.config.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg,
    NEventsListener: engine.events.listenerCount,
    KernelVersion: kernel,
    OperatingSystem: osName(),
    OSVersion: /^VERSION_ID="?([^"\n]*)"?/m.exec(readTrim('/etc/os-release'))?.[1] ?? '',
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: {},
      Mirrors: engine.config.registryMirrors,
    },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: engine.config.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: { runc: { path: 'runc' }, crun: { path: 'crun' } },
    // What containers get when they ask for none: runc if crun was asked for but cannot run here.
    DefaultRuntime: engine.runtime.runtimeName,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: null,
    ApiVersion: API_VERSION,
  };
}
