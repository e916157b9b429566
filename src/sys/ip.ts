/**
 * The adapter around iproute2's `ip`. Reads use `ip -j` (JSON); writes are batched through
 * `ip -batch -` so one attach costs one process per namespace instead of one per command.
 * Commands inside a network namespace run as `nsenter --net=PATH ip ...` because `ip -n` only
 * knows names under /run/netns, and our namespaces live under the daemon's exec root.
 */
import { SystemError } from '../util/errors.js';
import { findBinary, runCaptured, SpawnError } from './spawn.js';

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
export async function runTool(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = opts.netns ? ['nsenter', `--net=${opts.netns}`, '--', cmd, ...args] : [cmd, ...args];
  const file = findBinary(argv[0]!);
  if (!file) throw new SystemError(`${argv.join(' ')}: ${argv[0]} is not installed`);
  let r;
  try {
    r = await runCaptured(file, argv.slice(1), { input: opts.input });
  } catch (err) {
    const why = err instanceof SpawnError && err.code === 'ENOENT' ? `${argv[0]} is not installed` : (err as Error).message;
    throw new SystemError(`${argv.join(' ')}: ${why}`, { cause: err });
  }
  if (r.code === 0) return r;
  const shown = opts.input ? `${argv.join(' ')} <<${JSON.stringify(opts.input.slice(0, 2000))}` : argv.join(' ');
  throw new SystemError(`${shown}: ${(r.stderr || `exit ${r.code ?? r.signal}`).trim()}`);
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
