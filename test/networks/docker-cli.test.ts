/**
 * Networking through the real docker CLI against berthd: user networks with DNS, published
 * ports, internal/icc isolation, connect/disconnect, host/none modes, resolv.conf/hosts
 * options, macvlan, a berthd crash, a second berthd and a dockerd side by side, no leaks.
 * Run as root: node --import tsx --test test/networks/docker-cli.test.ts
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Firewall } from '../../src/engine/networks/firewall.js';
import { instanceNames } from '../../src/engine/networks/naming.js';
import { ipBatch, listLinks, runTool } from '../../src/sys/ip.js';
import { openIptables } from '../../src/sys/iptables.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { BUSYBOX, hostAddress, makeOutside, waitFor, type Outside } from './helpers.js';
import { createNetns, deleteNetns, execInNetns } from '../../src/sys/netns.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function docker(d: TestDaemon, ...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', args, { env: d.dockerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (x: string) => (stdout += x));
    p.stderr.setEncoding('utf8').on('data', (x: string) => (stderr += x));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** docker that must succeed; returns trimmed stdout. */
async function dk(d: TestDaemon, ...args: string[]): Promise<string> {
  const r = await docker(d, ...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

const ok = async (d: TestDaemon, ...args: string[]) => (await docker(d, ...args)).code === 0;

/**
 * The IPs an nslookup run inside `container` prints for `name` (server lines excluded).
 * busybox nslookup gives up after one lost UDP answer, which a loaded 2-core CI machine can
 * cause: an empty answer is asked again a few times before it counts.
 */
async function lookup(d: TestDaemon, container: string, name: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const r = await docker(d, 'exec', container, 'nslookup', name);
    const answer = r.code === 0 ? r.stdout.split(/\nName:/).slice(1).join('\n') : '';
    const ips = [...answer.matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
    if (ips.length > 0 || attempt >= 3) return ips;
  }
}

/** The first address nslookup prints for `name` (the one a client would use). */
async function firstAnswer(d: TestDaemon, container: string, name: string): Promise<string> {
  const out = await dk(d, 'exec', container, 'nslookup', '-type=a', name);
  return /\nName:[^\n]*\nAddress(?: \d+)?:\s*([\d.]+)/.exec(out)?.[1] ?? '';
}

/**
 * A one-record DNS server (UDP, A queries) for the "outside" upstream: busybox here has no
 * dnsd. Answers `name` with `ip`, other A queries with NXDOMAIN, anything else with no data.
 */
const UPSTREAM_DNS = `
const dgram = require('node:dgram');
const [bind, name, ip] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('message', (q, from) => {
  let o = 12, labels = [];
  while (q[o]) { labels.push(q.subarray(o + 1, o + 1 + q[o]).toString()); o += q[o] + 1; }
  const qtype = q.readUInt16BE(o + 1), qend = o + 5, hit = labels.join('.').toLowerCase() === name && qtype === 1;
  const head = Buffer.from(q.subarray(0, qend)); head.writeUInt16BE(0x8180 | (qtype === 1 && !hit ? 3 : 0), 2);
  head.writeUInt16BE(hit ? 1 : 0, 6); head.writeUInt32BE(0, 8);
  const ans = hit ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip.split('.').map(Number)]) : Buffer.alloc(0);
  s.send(Buffer.concat([head, ans]), from.port, from.address);
});
s.bind(53, bind);
`;

async function ipOf(d: TestDaemon, container: string, network: string): Promise<string> {
  return dk(d, 'inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

async function httpText(url: string): Promise<string> {
  return (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
}

interface KernelState {
  links: string[];
  rules: string[];
  mounts: string[];
}

/**
 * This test's share of the host's kernel state: links named in `ours` or enslaved to them,
 * rules of the instance chains `tags`, netns mounts under `roots`. Other engineers' tests run
 * at the same time, so nothing else is compared.
 */
async function kernelState(ours: Set<string>, tags: string[], roots: string[]): Promise<KernelState> {
  const ipt = await openIptables();
  const [links, nat, filter, mounts] = await Promise.all([listLinks(), ipt.save('nat'), ipt.save('filter'), readFile('/proc/self/mountinfo', 'utf8')]);
  return {
    links: links.filter((l) => ours.has(l.ifname) || (l.master !== undefined && ours.has(l.master))).map((l) => l.ifname).sort(),
    rules: [...nat.split('\n'), ...filter.split('\n')].filter((l) => tags.some((t) => l.includes(`BERTH-${t}`))).sort(),
    mounts: mounts.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => roots.some((r) => m.startsWith(r)) && m.includes('/netns/')).sort(),
  };
}

/** What a berthd leaves on purpose when it stops (live restore): its default bridge and chains. */
async function removeInstanceLeftovers(d: TestDaemon): Promise<void> {
  const names = instanceNames({ dataRoot: d.dataRoot });
  await new Firewall(names).remove();
  await ipBatch([`link del dev ${names.defaultBridge}`], { force: true });
}

describe('networking through the docker CLI', () => {
  let d: TestDaemon;
  let d2: TestDaemon | undefined;
  let tag: string;
  let baseline: KernelState;
  let outside: Outside | undefined;
  let dockerd: ChildProcess | undefined;
  let dockerdRoot: string | undefined;
  const scratch: string[] = [];

  /** Links this test's daemons made: bridges (default and br-<network>) and endpoint veths. */
  const ours = new Set<string>();
  const track = async (x: TestDaemon) => {
    ours.add(instanceNames({ dataRoot: x.dataRoot }).defaultBridge);
    for (const id of (await docker(x, 'network', 'ls', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean)) ours.add(`br-${id.slice(0, 12)}`);
    const ids = (await docker(x, 'ps', '-aq')).stdout.split('\n').filter(Boolean);
    const eps = ids.length ? (await docker(x, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.EndpointID}} {{end}}', ...ids)).stdout : '';
    for (const ep of eps.split(/\s+/).filter(Boolean)) ours.add(`vb${ep.slice(0, 8)}`);
  };

  before(async () => {
    d = await startTestDaemon();
    await importBusybox(d.client);
    tag = instanceNames({ dataRoot: d.dataRoot }).tag;
    await track(d);
    baseline = await kernelState(ours, [tag], [d.root]);
  });

  afterEach(async () => {
    for (const x of [d, d2]) if (x && x.process.exitCode === null && x.process.signalCode === null) await track(x).catch(() => undefined);
  });

  after(async () => {
    if (dockerd && dockerd.exitCode === null) {
      dockerd.kill('SIGTERM');
      await new Promise((r) => dockerd!.once('exit', r));
    }
    if (dockerdRoot) {
      await runTool('umount', ['-R', dockerdRoot]).catch(() => undefined);
      await rm(dockerdRoot, { recursive: true, force: true }).catch(() => undefined);
    }
    await outside?.remove();
    for (const p of scratch) await deleteNetns(p).catch(() => undefined);
    const daemons = [d2, d].filter((x): x is TestDaemon => x !== undefined);
    for (const x of daemons) await track(x).catch(() => undefined);
    for (const x of daemons) {
      const ids = (await docker(x, 'ps', '-aq')).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(x, 'rm', '-f', ...ids);
      await docker(x, 'network', 'prune', '-f');
    }
    const tags = daemons.map((x) => instanceNames({ dataRoot: x.dataRoot }).tag);
    const roots = daemons.map((x) => x.root);
    // While the daemons still run, only their default bridges and chains may remain.
    const running = await kernelState(ours, [tag], roots);
    for (const x of daemons) {
      await x.stop();
      await removeInstanceLeftovers(x);
    }
    const stopped = await kernelState(ours, tags, roots);
    assert.deepEqual(running, { ...baseline, links: [...baseline.links, ...(d2 ? [instanceNames({ dataRoot: d2.dataRoot }).defaultBridge] : [])].sort() }, 'after removing everything only the instances\' default bridges and chains remain');
    assert.deepEqual(stopped, { links: [], rules: [], mounts: [] }, 'and nothing once the instances are gone');
  });

  it('resolves containers by name, alias and round robin on a user network', async () => {
    await dk(d, 'network', 'create', 'app');
    await dk(d, 'run', '-d', '--name', 'a1', '--network', 'app', '--network-alias', 'svc', 'busybox', 'sleep', '600');
    await dk(d, 'run', '-d', '--name', 'a2', '--network', 'app', '--network-alias', 'svc', 'busybox', 'sleep', '600');
    const [ip1, ip2] = [await ipOf(d, 'a1', 'app'), await ipOf(d, 'a2', 'app')];
    assert.deepEqual(await lookup(d, 'a1', 'a2'), [ip2]);
    assert.deepEqual(await lookup(d, 'a2', 'a1'), [ip1]);
    assert.ok(await ok(d, 'exec', 'a1', 'ping', '-c1', '-W2', 'a2'));
    assert.deepEqual(await lookup(d, 'a1', 'svc'), [ip1, ip2].sort(), 'one alias, both containers');
    const firsts = new Set<string>();
    for (let i = 0; i < 4; i++) firsts.add(await firstAnswer(d, 'a2', 'svc'));
    assert.deepEqual([...firsts].sort(), [ip1, ip2].sort(), 'the first address rotates (round robin)');
  });

  it('forwards unknown names to the container\'s upstream resolvers', async () => {
    outside = await makeOutside(d.root, `bto${tag}`, '198.51.100.5/30', '198.51.100.6/30');
    const dnsd = spawn('nsenter', [`--net=${outside.netns}`, '--', process.execPath, '-e', UPSTREAM_DNS, outside.ip, 'upstream.example', '203.0.113.77'], { stdio: 'ignore' });
    const answers = async () => (await runTool(BUSYBOX, ['nslookup', '-type=a', 'upstream.example', outside!.ip]).catch(() => ({ stdout: '' }))).stdout.includes('203.0.113.77');
    try {
      await dk(d, 'run', '-d', '--name', 'fw', '--network', 'app', '--dns', outside.ip, 'busybox', 'sleep', '600');
      await waitFor(answers, 'the upstream DNS server', 40);
      assert.deepEqual(await lookup(d, 'fw', 'upstream.example'), ['203.0.113.77']);
      assert.deepEqual(await lookup(d, 'fw', 'a1'), [await ipOf(d, 'a1', 'app')], 'own names still answered locally');
    } finally {
      dnsd.kill('SIGKILL');
      await dk(d, 'rm', '-f', 'fw');
    }
  });

  it('publishes ports to the host (-p, -P, docker port)', async () => {
    await dk(d, 'run', '-d', '--name', 'web', '-p', '80', '--expose', '8080', '-P', '--hostname', 'webhost', 'busybox', 'sh', '-c', 'httpd -p 80 -h /etc; httpd -f -p 8080 -h /etc');
    const out = await dk(d, 'port', 'web', '80');
    const port = /0\.0\.0\.0:(\d+)/.exec(out)?.[1];
    assert.ok(port && Number(port) >= 32768, out);
    const port2 = /0\.0\.0\.0:(\d+)/.exec(await dk(d, 'port', 'web', '8080'))?.[1];
    assert.ok(port2 && port2 !== port);
    await waitFor(() => httpText(`http://127.0.0.1:${port}/hostname`).then((t) => t === 'webhost\n', () => false), 'httpd');
    assert.equal(await httpText(`http://${await hostAddress()}:${port}/hostname`), 'webhost\n');
    assert.equal(await httpText(`http://127.0.0.1:${port2}/hostname`), 'webhost\n');
    assert.equal(await dk(d, 'exec', 'web', 'wget', '-qO-', `http://${await hostAddress()}:${port}/hostname`), 'webhost', 'hairpin');
  });

  it('keeps --internal networks from the outside and members together', async () => {
    await dk(d, 'network', 'create', '--internal', 'sealed');
    await dk(d, 'run', '-d', '--name', 'i1', '--network', 'sealed', 'busybox', 'sleep', '600');
    await dk(d, 'run', '-d', '--name', 'i2', '--network', 'sealed', 'busybox', 'sleep', '600');
    assert.ok(outside);
    assert.ok(await ok(d, 'exec', 'a1', 'ping', '-c1', '-W2', outside.ip), 'a normal network reaches the outside host');
    assert.equal(await ok(d, 'exec', 'i1', 'ping', '-c1', '-W1', outside.ip), false);
    assert.ok(await ok(d, 'exec', 'i1', 'ping', '-c1', '-W2', 'i2'));
  });

  it('isolates containers with enable_icc=false', async () => {
    await dk(d, 'network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'noicc');
    await dk(d, 'run', '-d', '--name', 'n1', '--network', 'noicc', 'busybox', 'sleep', '600');
    await dk(d, 'run', '-d', '--name', 'n2', '--network', 'noicc', 'busybox', 'sleep', '600');
    const gw = await dk(d, 'inspect', '-f', '{{(index .NetworkSettings.Networks "noicc").Gateway}}', 'n1');
    assert.ok(await ok(d, 'exec', 'n1', 'ping', '-c1', '-W2', gw));
    assert.equal(await ok(d, 'exec', 'n1', 'ping', '-c1', '-W1', await ipOf(d, 'n2', 'noicc')), false);
  });

  it('connects and disconnects a running container', async () => {
    await dk(d, 'run', '-d', '--name', 'roamer', 'busybox', 'sleep', '600');
    await dk(d, 'network', 'connect', '--alias', 'wanderer', 'app', 'roamer');
    const ip = await ipOf(d, 'roamer', 'app');
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(await dk(d, 'exec', 'roamer', 'ip', '-o', '-4', 'addr'), new RegExp(`eth1 +inet ${ip.replace(/\./g, '\\.')}/`));
    assert.deepEqual(await lookup(d, 'a1', 'roamer'), [ip]);
    assert.deepEqual(await lookup(d, 'a1', 'wanderer'), [ip]);
    assert.match(await dk(d, 'network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'app'), /roamer/);
    await dk(d, 'network', 'disconnect', 'app', 'roamer');
    assert.doesNotMatch(await dk(d, 'exec', 'roamer', 'ip', '-o', '-4', 'addr'), /eth1/);
    assert.deepEqual(await lookup(d, 'a1', 'roamer'), []);
    assert.doesNotMatch(await dk(d, 'network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'app'), /roamer/);
    assert.equal(await dk(d, 'inspect', '-f', '{{len .NetworkSettings.Networks}}', 'roamer'), '1');
    // A connected network stays connected across a restart, as in Docker; a disconnected one stays away.
    await dk(d, 'network', 'connect', 'app', 'roamer');
    await dk(d, 'restart', '-t', '0', 'roamer');
    assert.match(await dk(d, 'exec', 'roamer', 'ip', '-o', '-4', 'addr'), /eth1 +inet /);
    await dk(d, 'network', 'disconnect', 'app', 'roamer');
    await dk(d, 'restart', '-t', '0', 'roamer');
    assert.doesNotMatch(await dk(d, 'exec', 'roamer', 'ip', '-o', '-4', 'addr'), /eth1/);
  });

  it('runs --network host and --network none', async () => {
    const hostLinks = (await listLinks()).map((l) => l.ifname);
    const inHost = await dk(d, 'run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link');
    assert.ok(hostLinks.every((l) => inHost.includes(` ${l}:`) || inHost.includes(` ${l}@`)), inHost);
    const inNone = await dk(d, 'run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link');
    assert.deepEqual(inNone.split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
    // The runtime makes a none container's namespace: its loopback is up, and inspect names it.
    const loopback = await dk(d, 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ip -o -4 addr show lo && ping -c 1 -W 1 127.0.0.1 >/dev/null && echo pinged');
    assert.match(loopback, /inet 127\.0\.0\.1\/8/);
    assert.match(loopback, /^pinged$/m);
    const id = await dk(d, 'run', '-d', '--network', 'none', '-p', '8089:80', 'busybox', 'sleep', '60');
    const [pid, key] = (await dk(d, 'inspect', '-f', '{{.State.Pid}} {{.NetworkSettings.SandboxKey}}', id)).split(' ');
    assert.equal(key, `/proc/${pid}/ns/net`);
    // As Docker: listed on the none (or host) network with an endpoint, no address, nothing published.
    for (const [mode, container] of [['none', id], ['host', await dk(d, 'run', '-d', '--network', 'host', 'busybox', 'sleep', '60')]] as const) {
      const settings = JSON.parse(await dk(d, 'inspect', '-f', '{{json .NetworkSettings}}', container)) as { Networks: Record<string, { NetworkID: string; EndpointID: string; IPAddress: string }>; Ports: object };
      assert.deepEqual(Object.keys(settings.Networks), [mode]);
      assert.equal(settings.Networks[mode]!.NetworkID, await dk(d, 'network', 'inspect', '-f', '{{.Id}}', mode));
      assert.match(settings.Networks[mode]!.EndpointID, /^[0-9a-f]{64}$/);
      assert.equal(settings.Networks[mode]!.IPAddress, '');
      assert.deepEqual(settings.Ports, {});
      assert.equal(await dk(d, 'ps', '--filter', `id=${container}`, '--format', '{{.Networks}}|{{.Ports}}'), `${mode}|`);
      await dk(d, 'rm', '-f', container);
    }

  });

  it('links containers on the default bridge as Docker: hosts entry, variables, checks', async () => {
    await dk(d, 'run', '-d', '--name', 'linkdb', '-e', 'SECRET=s', '--expose', '5432', 'busybox', 'sleep', '300');
    const dbIp = await dk(d, 'inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'linkdb');
    const dbHost = await dk(d, 'inspect', '-f', '{{.Config.Hostname}}', 'linkdb');
    const seen = await dk(d, 'run', '--name', 'linkapp', '--link', 'linkdb:database', 'busybox', 'sh', '-c', 'grep database /etc/hosts; env | grep ^DATABASE_ | sort; ping -c 1 -W 1 database >/dev/null && echo pinged');
    assert.deepEqual(seen.split('\n'), [
      `${dbIp}\tdatabase ${dbHost} linkdb`,
      'DATABASE_ENV_SECRET=s',
      'DATABASE_NAME=/linkapp/database',
      `DATABASE_PORT=tcp://${dbIp}:5432`,
      `DATABASE_PORT_5432_TCP=tcp://${dbIp}:5432`,
      `DATABASE_PORT_5432_TCP_ADDR=${dbIp}`,
      'DATABASE_PORT_5432_TCP_PORT=5432',
      'DATABASE_PORT_5432_TCP_PROTO=tcp',
      'pinged',
    ]);
    assert.equal(await dk(d, 'inspect', '-f', '{{json .HostConfig.Links}}', 'linkapp'), '["/linkdb:/linkapp/database"]');
    // Refused at create, nothing made; a 400, so the CLI does not go and pull the image.
    const missing = await docker(d, 'run', '--rm', '--link', 'nosuch:x', 'busybox', 'true');
    assert.equal(missing.stderr.split('\n')[0], 'docker: Error response from daemon: could not get container for nosuch: No such container: nosuch');
    const host = await docker(d, 'run', '--rm', '--network', 'host', '--link', 'linkdb', 'busybox', 'true');
    assert.match(host.stderr, /conflicting options: host type networking can't be used with links/);
    // A linked container must be running when the link is made.
    await dk(d, 'stop', '-t', '0', 'linkdb');
    const stopped = await docker(d, 'start', 'linkapp');
    assert.match(stopped.stderr, /Cannot link to a non running container: \/linkdb AS \/linkapp\/database/);
    await dk(d, 'rm', '-f', 'linkapp', 'linkdb');
  });

  it('honours --dns, --dns-search and --add-host host-gateway', async () => {
    const resolv = await dk(d, 'run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'corp.example', 'busybox', 'cat', '/etc/resolv.conf');
    assert.match(resolv, /^nameserver 192\.0\.2\.53$/m);
    assert.match(resolv, /^search corp\.example$/m);
    const hosts = await dk(d, 'run', '--rm', '--add-host', 'gw.example:host-gateway', 'busybox', 'cat', '/etc/hosts');
    const gw = await dk(d, 'network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge');
    assert.match(hosts, new RegExp(`^${gw.replace(/\./g, '\\.')}\\s+gw\\.example$`, 'm'));
  });

  it('attaches macvlan containers to a parent interface', async () => {
    const peer = join(d.root, 'mv-peer');
    scratch.push(peer);
    await createNetns(peer, { loopbackUp: true });
    const parent = `bmv${tag}`;
    await ipBatch([`link add name ${parent} type veth peer name eth0 netns ${peer}`, `link set dev ${parent} up`]);
    try {
      await execInNetns(peer, 'ip', ['-batch', '-'], 'addr add 198.51.100.130/26 dev eth0\nlink set dev eth0 up\n');
      await dk(d, 'network', 'create', '-d', 'macvlan', '--subnet', '198.51.100.128/26', '-o', `parent=${parent}`, 'mv');
      await dk(d, 'run', '-d', '--name', 'm1', '--network', 'mv', '--ip', '198.51.100.140', 'busybox', 'sleep', '600');
      await dk(d, 'run', '-d', '--name', 'm2', '--network', 'mv', 'busybox', 'sleep', '600');
      assert.ok(await ok(d, 'exec', 'm1', 'ping', '-c1', '-W2', '198.51.100.130'), 'reaches the host behind the parent');
      assert.ok(await ok(d, 'exec', 'm1', 'ping', '-c1', '-W2', await ipOf(d, 'm2', 'mv')), 'macvlan siblings (bridge mode)');
      await dk(d, 'rm', '-f', 'm1', 'm2');
      await dk(d, 'network', 'rm', 'mv');
    } finally {
      await ipBatch([`link del dev ${parent}`], { force: true });
    }
  });

  it('refuses to remove a network in use and prunes unused ones', async () => {
    const r = await docker(d, 'network', 'rm', 'app');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: error while removing network: network app has active endpoints \(name:"a1" id:"[0-9a-f]{12}"/);
    await dk(d, 'network', 'create', 'spare');
    const pruned = await dk(d, 'network', 'prune', '-f');
    assert.match(pruned, /spare/);
    assert.doesNotMatch(pruned, /\bapp\b/);
    const left = (await dk(d, 'network', 'ls', '--format', '{{.Name}}')).split('\n').sort();
    assert.ok(!left.includes('spare') && left.includes('app'));
  });

  it('keeps networking of running containers across kill -9 and restart', async () => {
    const port = /0\.0\.0\.0:(\d+)/.exec(await dk(d, 'port', 'web', '80'))![1]!;
    await d.kill9();
    assert.equal(await httpText(`http://127.0.0.1:${port}/hostname`), 'webhost\n', 'ports answer while berthd is down');
    await d.restart();
    assert.equal(await httpText(`http://127.0.0.1:${port}/hostname`), 'webhost\n');
    assert.deepEqual(await lookup(d, 'a1', 'a2'), [await ipOf(d, 'a2', 'app')]);
    assert.ok(await ok(d, 'exec', 'a1', 'ping', '-c1', '-W2', 'a2'));
  });

  it('runs beside a second berthd (--icc=false) and a dockerd', async () => {
    d2 = await startTestDaemon({ extraArgs: ['--icc=false'] });
    await importBusybox(d2.client);
    await dk(d2, 'run', '-d', '--name', 'x1', 'busybox', 'sleep', '600');
    await dk(d2, 'run', '-d', '--name', 'x2', 'busybox', 'sleep', '600');
    const x2 = await ipOf(d2, 'x2', 'bridge');
    assert.equal(await ok(d2, 'exec', 'x1', 'ping', '-c1', '-W1', x2), false, 'daemon --icc=false isolates the default bridge');
    assert.ok(await ok(d2, 'exec', 'x1', 'wget', '-qO-', `http://${await hostAddress()}:${/0\.0\.0\.0:(\d+)/.exec(await dk(d, 'port', 'web', '80'))![1]}/hostname`), 'reaches the other instance\'s published port');

    const foreignRules = async () => {
      const ipt = await openIptables();
      const text = (await ipt.save('nat')) + (await ipt.save('filter'));
      return text.split('\n').filter((l) => l && !l.startsWith('#') && !l.includes('BERTH-'));
    };
    const rulesBefore = await foreignRules();
    dockerdRoot = await mkdtemp(join(tmpdir(), 'bdk-'));
    const sock = join(dockerdRoot, 'docker.sock');
    dockerd = spawn('dockerd', ['-H', `unix://${sock}`, '--data-root', join(dockerdRoot, 'data'), '--exec-root', join(dockerdRoot, 'exec'), '--pidfile', join(dockerdRoot, 'pid'),
      '--bridge', 'none', '--iptables=false', '--ip-masq=false'], { stdio: 'ignore' });
    const dockerdEnv = { ...process.env, DOCKER_HOST: `unix://${sock}` };
    const dockerdUp = () => new Promise<boolean>((resolve) => spawn('docker', ['version'], { env: dockerdEnv, stdio: 'ignore' }).on('close', (c) => resolve(c === 0)));
    await waitFor(dockerdUp, 'dockerd', 400);

    const port = /0\.0\.0\.0:(\d+)/.exec(await dk(d, 'port', 'web', '80'))![1]!;
    assert.equal(await httpText(`http://127.0.0.1:${port}/hostname`), 'webhost\n', 'first berthd still serves');
    assert.deepEqual(await lookup(d, 'a1', 'a2'), [await ipOf(d, 'a2', 'app')]);
    assert.ok(await ok(d2, 'exec', 'x1', 'ping', '-c1', '-W2', await dk(d2, 'network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge')));
    await dk(d2, 'run', '--rm', 'busybox', 'true');
    assert.equal(await ok(d2, 'exec', 'x1', 'ping', '-c1', '-W1', x2), false);
    assert.ok(!(await listLinks()).some((l) => l.ifname === 'docker0'), 'dockerd made no bridge');
    assert.deepEqual(await foreignRules(), rulesBefore, 'dockerd (--iptables=false) left the host rules alone');
  });
});
