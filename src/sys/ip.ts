/**
 * The adapter around iproute2's `ip`. Reads use `ip -j` (JSON); writes are batched through
 * `ip -batch -` so one attach costs one process per namespace instead of one per command.
 * Commands inside a network namespace run as `nsenter --net=PATH ip ...` because `ip -n` only
 * knows names under /run/netns, and our namespaces live under the daemon's exec root.
 */
import { spawn } from 'node:child_process';
import { SystemError } from '../util/errors.js';

export interface RunOptions {
  /** Written to the process's stdin (for -batch and iptables-restore). */
  input?: string;
  /** Run inside this network namespace (a bind-mounted nsfs file). */
  netns?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one system tool and collects its output; a non-zero exit becomes a SystemError that
 * names the command and repeats its stderr. Shared by the sys/ network adapters.
 */
export function runTool(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = opts.netns ? ['nsenter', `--net=${opts.netns}`, '--', cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `${argv[0]} is not installed` : err.message;
      reject(new SystemError(`${argv.join(' ')}: ${why}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const shown = opts.input ? `${argv.join(' ')} <<${JSON.stringify(opts.input.slice(0, 2000))}` : argv.join(' ');
      reject(new SystemError(`${shown}: ${(stderr || `exit ${code ?? signal}`).trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address?: string;
  flags: string[];
  operstate?: string;
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string };
}

export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface IpAddr extends IpLink {
  addr_info: IpAddrInfo[];
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
}

async function ipJSON<T>(args: string[], netns?: string): Promise<T> {
  const { stdout } = await runTool('ip', ['-j', ...args], { netns });
  return (stdout.trim() ? JSON.parse(stdout) : []) as T;
}

export function listLinks(netns?: string): Promise<IpLink[]> {
  return ipJSON<IpLink[]>(['-d', 'link', 'show'], netns);
}

export function listAddresses(netns?: string): Promise<IpAddr[]> {
  return ipJSON<IpAddr[]>(['addr', 'show'], netns);
}

/** IPv4 routes of every table, so policy-routed ranges count as used too. */
export function listRoutes(netns?: string): Promise<IpRoute[]> {
  return ipJSON<IpRoute[]>(['-4', 'route', 'show', 'table', 'all'], netns);
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  try {
    await runTool('ip', ['link', 'show', 'dev', name], { netns });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `ip -batch -` with one command per line (without the leading `ip`). With `force`, ip
 * goes on after a failing line (used for best-effort cleanup) and the error is swallowed.
 */
export async function ipBatch(lines: string[], opts: { netns?: string; force?: boolean } = {}): Promise<void> {
  if (lines.length === 0) return;
  const args = opts.force ? ['-force', '-batch', '-'] : ['-batch', '-'];
  try {
    await runTool('ip', args, { input: lines.join('\n') + '\n', netns: opts.netns });
  } catch (err) {
    if (!opts.force) throw err;
  }
}
