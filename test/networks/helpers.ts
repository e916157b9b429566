/**
 * Test scaffolding for the network layer: a NetworkService on a temp DB with a unique instance
 * name, "containers" that are bare network namespaces, busybox run from the host inside them,
 * and a snapshot of global kernel state to prove nothing leaked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkService, type NetworkServiceOptions } from '../../src/engine/networks/service.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { ipBatch, listAddresses, listLinks, runTool } from '../../src/sys/ip.js';
import { openIptables } from '../../src/sys/iptables.js';
import { createNetns, deleteNetns, execInNetns } from '../../src/sys/netns.js';
import { createLogger } from '../../src/util/log.js';

export const BUSYBOX = ((): string => {
  const fixture = new URL('../../fixtures/out/busybox-rootfs/bin/busybox', import.meta.url).pathname;
  return existsSync(fixture) ? fixture : '/bin/busybox';
})();

export function uniqueTag(): string {
  return 't' + randomBytes(3).toString('hex');
}

export interface Harness {
  root: string;
  db: DB;
  svc: NetworkService;
  tag: string;
  close(): Promise<void>;
}

export async function startService(extra: Partial<NetworkServiceOptions> = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'berth-net-'));
  const tag = extra.instanceName ?? uniqueTag();
  const db = openDatabase(join(root, 'berth.db'));
  const svc = new NetworkService({
    db, dataRoot: join(root, 'data'), execRoot: join(root, 'exec'), instanceName: tag,
    log: createLogger({ test: tag }), upstreamResolvers: [], hostResolvConf: join(root, 'resolv.conf'), ...extra,
  });
  return {
    root, db, svc, tag,
    async close() {
      await svc.teardown().catch(() => undefined);
      await svc.close().catch(() => undefined);
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs busybox inside a namespace; resolves with stdout, or rejects with stderr. */
export async function bb(netns: string, ...args: string[]): Promise<string> {
  return (await execInNetns(netns, BUSYBOX, args)).stdout;
}

/**
 * `busybox wget -O - url` from inside `netns`, killed after `seconds`. Debian's busybox 1.35
 * wget segfaults whenever `-T` is given, so the time limit comes from coreutils' timeout.
 */
export async function httpGet(netns: string, url: string, seconds = 5): Promise<string> {
  return (await execInNetns(netns, 'timeout', ['-s', 'KILL', String(seconds), BUSYBOX, 'wget', '-q', '-O', '-', url])).stdout;
}

/** The host's first global IPv4 address outside our bridges (the "host's own address"). */
export async function hostAddress(): Promise<string> {
  const links = await listAddresses();
  for (const l of links) {
    if (l.flags.includes('LOOPBACK') || /^(vb|br-|bth-|berth|docker)/.test(l.ifname) || l.linkinfo?.info_kind === 'bridge') continue;
    const a = l.addr_info.find((x) => x.family === 'inet');
    if (a) return a.local;
  }
  throw new Error('the host has no global IPv4 address');
}

export async function bbOk(netns: string, ...args: string[]): Promise<boolean> {
  return bb(netns, ...args).then(() => true, () => false);
}

/** `busybox httpd` serving `dir` on port 80 inside `netns` until killed. */
export function startHttpd(netns: string, dir: string, port = 80): ChildProcess {
  return spawn('nsenter', [`--net=${netns}`, '--', BUSYBOX, 'httpd', '-f', '-p', String(port), '-h', dir], { stdio: 'ignore' });
}

export async function waitFor(check: () => Promise<boolean>, what: string, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A host outside every container network: a netns behind its own veth pair. */
export interface Outside {
  netns: string;
  ip: string;
  remove(): Promise<void>;
}

export async function makeOutside(root: string, hostIf: string, hostCidr: string, outsideCidr: string): Promise<Outside> {
  const netns = join(root, 'outside-' + hostIf);
  await createNetns(netns, { loopbackUp: true });
  await ipBatch([`link add name ${hostIf} type veth peer name eth0 netns ${netns}`, `addr add ${hostCidr} dev ${hostIf}`, `link set dev ${hostIf} up`]);
  const hostIp = hostCidr.split('/')[0]!;
  await ipBatch([`addr add ${outsideCidr} dev eth0`, 'link set dev eth0 up', `route add default via ${hostIp}`], { netns });
  return {
    netns, ip: outsideCidr.split('/')[0]!,
    async remove() {
      await ipBatch([`link del dev ${hostIf}`], { force: true });
      await deleteNetns(netns);
    },
  };
}

export interface GlobalState {
  links: string[];
  rules: string[];
  netns: string;
  mounts: string[];
}

export async function globalState(): Promise<GlobalState> {
  const ipt = await openIptables();
  const [links, nat, filter, netns, mounts] = await Promise.all([
    listLinks(), ipt.save('nat'), ipt.save('filter'), runTool('ip', ['netns', 'list']), readFile('/proc/self/mountinfo', 'utf8'),
  ]);
  return {
    links: links.map((l) => l.ifname).sort(),
    rules: [...nat.split('\n'), ...filter.split('\n')].filter((l) => l.includes('BERTH-')).sort(),
    netns: netns.stdout,
    mounts: mounts.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.includes('berth-net-')).sort(),
  };
}

/** What appeared since `before` that a test of ours could have made (others may run tests too). */
export function leaked(before: GlobalState, after: GlobalState, tags: string[]): string[] {
  const out: string[] = [];
  for (const l of after.links) if (!before.links.includes(l) && (/^(vb|br-|bth-|bto)/.test(l) || tags.some((t) => l.includes(t)))) out.push(`link ${l}`);
  for (const r of after.rules) if (!before.rules.includes(r) && tags.some((t) => r.includes(`BERTH-${t}`))) out.push(`rule ${r}`);
  for (const m of after.mounts) if (!before.mounts.includes(m)) out.push(`mount ${m}`);
  if (after.netns !== before.netns) out.push(`ip netns changed: ${after.netns}`);
  return out;
}

export async function ourRules(tag: string): Promise<string[]> {
  return (await globalState()).rules.filter((r) => r.includes(`BERTH-${tag}`));
}
