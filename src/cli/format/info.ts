/** `berth info`: the server block of `docker info`, for the fields berthd reports. */
import { bytesSize } from './units.js';

export type SystemInfo = Record<string, unknown> & {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: Array<[string, string]> | null;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null };
  Swarm?: { LocalNodeState?: string };
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  InitBinary?: string;
  SecurityOptions?: string[] | null;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Name?: string;
  ID?: string;
  DockerRootDir?: string;
  Debug?: boolean;
  ExperimentalBuild?: boolean;
  Labels?: string[] | null;
  RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; Mirrors?: string[] | null };
  LiveRestoreEnabled?: boolean;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Warnings?: string[] | null;
};

export interface ClientInfo {
  Version: string;
  Host: string;
  Debug: boolean;
}

export function renderInfo(client: ClientInfo, info: SystemInfo | undefined): { out: string; warnings: string } {
  const lines: string[] = ['Client:', ` Version:    ${client.Version}`, ` Host:       ${client.Host}`, ` Debug Mode: ${client.Debug}`, ''];
  if (!info) return { out: `${lines.join('\n')}\n`, warnings: '' };
  const p = (indent: number, text: string) => lines.push(`${' '.repeat(indent)}${text}`);
  p(0, 'Server:');
  p(1, `Containers: ${info.Containers ?? 0}`);
  p(2, `Running: ${info.ContainersRunning ?? 0}`);
  p(2, `Paused: ${info.ContainersPaused ?? 0}`);
  p(2, `Stopped: ${info.ContainersStopped ?? 0}`);
  p(1, `Images: ${info.Images ?? 0}`);
  p(1, `Server Version: ${info.ServerVersion ?? ''}`);
  p(1, `Storage Driver: ${info.Driver ?? ''}`);
  for (const [k, v] of info.DriverStatus ?? []) p(2, `${k}: ${v}`);
  if (info.LoggingDriver) p(1, `Logging Driver: ${info.LoggingDriver}`);
  if (info.CgroupDriver) p(1, `Cgroup Driver: ${info.CgroupDriver}`);
  if (info.CgroupVersion) p(1, `Cgroup Version: ${info.CgroupVersion}`);
  p(1, 'Plugins:');
  p(2, `Volume: ${(info.Plugins?.Volume ?? []).join(' ')}`);
  p(2, `Network: ${(info.Plugins?.Network ?? []).join(' ')}`);
  if (info.Plugins?.Authorization?.length) p(2, `Authorization: ${info.Plugins.Authorization.join(' ')}`);
  p(2, `Log: ${(info.Plugins?.Log ?? []).join(' ')}`);
  p(1, `Swarm: ${info.Swarm?.LocalNodeState ?? 'inactive'}`);
  if (info.Runtimes) p(1, `Runtimes: ${Object.keys(info.Runtimes).sort().reverse().join(' ')}`);
  if (info.DefaultRuntime) p(1, `Default Runtime: ${info.DefaultRuntime}`);
  if (info.InitBinary) p(1, `Init Binary: ${info.InitBinary}`);
  if (info.SecurityOptions?.length) {
    p(1, 'Security Options:');
    for (const opt of info.SecurityOptions) {
      const kv = Object.fromEntries(opt.split(',').map((part) => part.split('=', 2) as [string, string]));
      p(2, kv.name ?? opt);
      for (const [k, v] of Object.entries(kv)) if (k !== 'name') p(3, `${k[0]!.toUpperCase()}${k.slice(1)}: ${v}`);
    }
  }
  p(1, `Kernel Version: ${info.KernelVersion ?? ''}`);
  p(1, `Operating System: ${info.OperatingSystem ?? ''}`);
  p(1, `OSType: ${info.OSType ?? ''}`);
  p(1, `Architecture: ${info.Architecture ?? ''}`);
  p(1, `CPUs: ${info.NCPU ?? 0}`);
  p(1, `Total Memory: ${bytesSize(info.MemTotal ?? 0)}`);
  p(1, `Name: ${info.Name ?? ''}`);
  p(1, `ID: ${info.ID ?? ''}`);
  p(1, `Docker Root Dir: ${info.DockerRootDir ?? ''}`);
  p(1, `Debug Mode: ${info.Debug ?? false}`);
  if (info.HttpProxy) p(1, `HTTP Proxy: ${info.HttpProxy}`);
  if (info.HttpsProxy) p(1, `HTTPS Proxy: ${info.HttpsProxy}`);
  if (info.NoProxy) p(1, `No Proxy: ${info.NoProxy}`);
  if (info.Labels?.length) {
    p(1, 'Labels:');
    for (const l of info.Labels) p(2, l);
  }
  p(1, `Experimental: ${info.ExperimentalBuild ?? false}`);
  const insecure = info.RegistryConfig?.InsecureRegistryCIDRs ?? [];
  if (insecure.length) {
    p(1, 'Insecure Registries:');
    for (const r of insecure) p(2, r);
  }
  const mirrors = info.RegistryConfig?.Mirrors ?? [];
  if (mirrors.length) {
    p(1, 'Registry Mirrors:');
    for (const m of mirrors) p(2, m);
  }
  p(1, `Live Restore Enabled: ${info.LiveRestoreEnabled ?? false}`);
  const warnings = (info.Warnings ?? []).map((w) => `${w}\n`).join('');
  return { out: `${lines.join('\n')}\n`, warnings };
}
