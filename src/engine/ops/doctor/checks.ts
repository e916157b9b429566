/**
 * `berth doctor`: a security and health self-check in the spirit of Docker Bench for
 * Security. Each check looks at one thing (the API socket, listeners, containers' configs,
 * the host) and returns findings with a severity, the reason it matters and the fix.
 * Checks are pure over a `DoctorInput` gathered once (from the API and the host), so they can
 * be tested with made-up inputs.
 */
export type Severity = 'info' | 'warn' | 'critical';

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  reason: string;
  fix: string;
  /** The objects concerned (container names, paths). */
  subjects?: string[];
}

export interface ContainerFacts {
  name: string;
  privileged: boolean;
  user: string;
  capAdd: string[];
  securityOpt: string[];
  memory: number;
  pidsLimit: number;
  logDriver: string;
  logOpts: Record<string, string>;
  networkMode: string;
  running: boolean;
}

export interface DoctorInput {
  /** unix sockets the CLI talks to, with mode/uid/gid (undefined when not local). */
  socket?: { path: string; mode: number; uid: number; gid: number };
  /** tcp:// hosts the daemon listens on and whether TLS is on. */
  tcpListeners: { address: string; tls: boolean }[];
  containers: ContainerFacts[];
  /** Free and total bytes on the filesystem of the data root. */
  disk?: { path: string; free: number; total: number };
  runtimes: { name: string; version?: string }[];
  cgroupMode: string;
  daemonReachable: boolean;
}

const MB = 1024 * 1024;

export function runChecks(input: DoctorInput): Finding[] {
  return [
    ...checkSocket(input),
    ...checkTcp(input),
    ...checkContainers(input),
    ...checkDisk(input),
    ...checkRuntimes(input),
    ...checkCgroups(input),
  ];
}

function checkSocket(i: DoctorInput): Finding[] {
  const s = i.socket;
  if (!s) return [];
  const out: Finding[] = [];
  if (s.mode & 0o002) {
    out.push({
      id: 'socket-world-writable',
      severity: 'critical',
      title: `API socket ${s.path} is writable by everyone`,
      reason: 'Anyone who can write to the socket controls the daemon, which is root on this host.',
      fix: `chmod 660 ${s.path} and give access through its group only`,
    });
  }
  if (s.uid !== 0) {
    out.push({ id: 'socket-owner', severity: 'warn', title: `API socket ${s.path} is owned by uid ${s.uid}, not root`, reason: 'That user controls the daemon.', fix: `chown root ${s.path}` });
  }
  if (s.gid === 0 && !(s.mode & 0o020)) {
    out.push({ id: 'socket-ok', severity: 'info', title: `API socket ${s.path} is reachable by root only`, reason: 'Mode and owner are as tight as they can be.', fix: 'nothing to do' });
  }
  return out;
}

function checkTcp(i: DoctorInput): Finding[] {
  return i.tcpListeners
    .filter((l) => !l.tls)
    .map((l) => ({
      id: 'tcp-without-tls',
      severity: 'critical' as const,
      title: `the daemon listens on ${l.address} without TLS`,
      reason: 'Anyone who reaches that port can run privileged containers, i.e. is root on this host.',
      fix: 'listen on tcp only with --tlsverify --tlscacert --tlscert --tlskey, or use the unix socket (ssh for remote access)',
    }));
}

function checkContainers(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  const names = (pred: (c: ContainerFacts) => boolean) => i.containers.filter(pred).map((c) => c.name);
  const add = (f: Omit<Finding, 'subjects'>, subjects: string[]) => {
    if (subjects.length) out.push({ ...f, subjects });
  };
  add(
    { id: 'privileged', severity: 'critical', title: 'containers run privileged', reason: 'A privileged container has every capability, all devices and no seccomp/AppArmor: it can take over the host.', fix: 'run without --privileged; add only the capabilities or devices needed (--cap-add, --device)' },
    names((c) => c.privileged),
  );
  add(
    { id: 'root-user', severity: 'warn', title: 'containers run as root', reason: 'Root in a container is root on the host if it escapes (no user namespace remapping).', fix: 'set USER in the image or run with --user <uid>:<gid>' },
    names((c) => !c.privileged && (c.user === '' || c.user === 'root' || c.user === '0' || c.user.startsWith('0:') || c.user.startsWith('root:'))),
  );
  add(
    { id: 'seccomp-unconfined', severity: 'warn', title: 'containers run without the default seccomp profile', reason: 'seccomp=unconfined allows every system call, including ones used in kernel exploits.', fix: 'remove --security-opt seccomp=unconfined (or give a custom profile)' },
    names((c) => c.securityOpt.some((o) => /^seccomp[=:]unconfined$/.test(o))),
  );
  add(
    { id: 'extra-capabilities', severity: 'warn', title: 'containers add powerful capabilities', reason: 'SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE or ALL widen what an escaped process can do.', fix: 'drop the --cap-add, or limit it to the one capability needed' },
    names((c) => c.capAdd.some((cap) => /^(CAP_)?(ALL|SYS_ADMIN|NET_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH)$/i.test(cap))),
  );
  add(
    { id: 'host-network', severity: 'warn', title: 'containers share the host network namespace', reason: 'They can bind any host port and see all host traffic.', fix: 'use a bridge network and publish ports with -p' },
    names((c) => c.networkMode === 'host'),
  );
  add(
    { id: 'no-memory-limit', severity: 'warn', title: 'containers have no memory limit', reason: 'One container can take all host memory and make the kernel kill other processes.', fix: 'run with -m/--memory' },
    names((c) => c.running && !(c.memory > 0)),
  );
  add(
    { id: 'no-pids-limit', severity: 'warn', title: 'containers have no pids limit', reason: 'A fork bomb in one container exhausts the host\'s process table.', fix: 'run with --pids-limit (e.g. 512)' },
    names((c) => c.running && !(c.pidsLimit > 0)),
  );
  add(
    { id: 'log-rotation-off', severity: 'warn', title: 'json-file logs grow without limit', reason: 'Without max-size a chatty container fills the data root\'s disk.', fix: 'run with --log-opt max-size=10m --log-opt max-file=3, or set log-opts in daemon.json' },
    names((c) => c.logDriver === 'json-file' && !c.logOpts['max-size']),
  );
  return out;
}

function checkDisk(i: DoctorInput): Finding[] {
  const d = i.disk;
  if (!d) return [];
  const pct = d.total > 0 ? (d.free / d.total) * 100 : 100;
  if (d.free < 1024 * MB || pct < 10) {
    return [{ id: 'disk-space', severity: d.free < 256 * MB || pct < 5 ? 'critical' : 'warn', title: `only ${Math.round(d.free / MB)} MB (${pct.toFixed(1)}%) free under ${d.path}`, reason: 'Pulls, builds and container writes fail when the data root\'s filesystem is full.', fix: 'berth system prune -a (and --volumes if safe), or grow the filesystem' }];
  }
  return [{ id: 'disk-space', severity: 'info', title: `${Math.round(d.free / MB)} MB (${pct.toFixed(1)}%) free under ${d.path}`, reason: 'Enough room.', fix: 'nothing to do' }];
}

function checkRuntimes(i: DoctorInput): Finding[] {
  return i.runtimes.map((r) =>
    r.version
      ? { id: `runtime-${r.name}`, severity: 'info' as const, title: `${r.name} ${r.version}`, reason: 'Present.', fix: 'keep it updated for security fixes' }
      : { id: `runtime-${r.name}`, severity: 'critical' as const, title: `${r.name} is not installed`, reason: `berth needs ${r.name} to run containers.`, fix: `apt-get install ${r.name}` },
  );
}

function checkCgroups(i: DoctorInput): Finding[] {
  if (i.cgroupMode === 'v2') return [{ id: 'cgroups', severity: 'info', title: 'cgroup v2 (unified)', reason: 'Full resource control and accounting.', fix: 'nothing to do' }];
  return [{ id: 'cgroups', severity: 'info', title: `cgroup ${i.cgroupMode}`, reason: 'cgroup v1 works; some newer limits (memory.high, io weights) need v2.', fix: 'boot with systemd.unified_cgroup_hierarchy=1 to use cgroup v2' }];
}

/** 0 when nothing needs attention, 1 otherwise (the CLI's exit code). */
export function exitCodeFor(findings: Finding[]): number {
  return findings.some((f) => f.severity !== 'info') ? 1 : 0;
}
