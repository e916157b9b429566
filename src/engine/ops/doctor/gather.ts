/**
 * What `berth doctor` looks at, gathered once: the API socket's mode and owner, the daemon's
 * listeners (the host the CLI uses), the containers' configs through the API,
 * free space under the data root, runc/crun/conmon versions and the cgroup mode.
 */
import { execFile } from 'node:child_process';
import { statfs, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { BerthClient } from '../../../client/client.js';
import { detectCgroupMode } from '../cgroups.js';
import type { ContainerFacts, DoctorInput } from './checks.js';

const execFileP = promisify(execFile);

async function version(bin: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP(bin, ['--version'], { timeout: 5000 });
    const m = /(\d+\.\d+(?:\.\d+)?(?:[-+.~\w]*)?)/.exec(stdout);
    return m ? m[1] : stdout.split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

interface InspectedContainer {
  Name: string;
  State: { Running: boolean };
  Config: { User?: string };
  HostConfig: { Privileged?: boolean; CapAdd?: string[] | null; SecurityOpt?: string[] | null; Memory?: number; PidsLimit?: number | null; LogConfig?: { Type?: string; Config?: Record<string, string> }; NetworkMode?: string };
}

export async function gather(o: { client: BerthClient; host: string; tls?: boolean; tcpHosts?: { address: string; tls: boolean }[] }): Promise<DoctorInput> {
  const input: DoctorInput = { tcpListeners: o.tcpHosts ?? [], containers: [], runtimes: [], cgroupMode: detectCgroupMode(), daemonReachable: false };
  if (o.host.startsWith('unix://')) {
    const path = o.host.slice('unix://'.length);
    const st = await stat(path).catch(() => undefined);
    if (st) input.socket = { path, mode: st.mode & 0o777, uid: st.uid, gid: st.gid };
  } else if (o.host.startsWith('tcp://')) {
    input.tcpListeners.push({ address: o.host, tls: o.tls === true });
  }
  let dataRoot = '/var/lib/berth';
  try {
    const info = await o.client.json<{ DockerRootDir?: string }>('GET', '/info');
    input.daemonReachable = true;
    if (info.DockerRootDir) dataRoot = info.DockerRootDir;
    const list = await o.client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: '1' } });
    for (const c of list) {
      const x = await o.client.json<InspectedContainer>('GET', `/containers/${c.Id}/json`).catch(() => undefined);
      if (x) input.containers.push(facts(x));
    }
  } catch {
    // Daemon down: host checks still run.
  }
  const fs = await statfs(dataRoot).catch(() => undefined);
  if (fs) input.disk = { path: dataRoot, free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
  input.runtimes = await Promise.all(['runc', 'conmon'].map(async (name) => ({ name, version: await version(name) })));
  return input;
}

function facts(x: InspectedContainer): ContainerFacts {
  const hc = x.HostConfig;
  return {
    name: x.Name.replace(/^\//, ''),
    privileged: hc.Privileged === true,
    user: x.Config.User ?? '',
    capAdd: hc.CapAdd ?? [],
    securityOpt: hc.SecurityOpt ?? [],
    memory: hc.Memory ?? 0,
    pidsLimit: hc.PidsLimit ?? 0,
    logDriver: hc.LogConfig?.Type || 'json-file',
    logOpts: hc.LogConfig?.Config ?? {},
    networkMode: hc.NetworkMode ?? 'default',
    running: x.State.Running,
  };
}
