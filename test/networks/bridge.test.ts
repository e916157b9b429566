/**
 * The bridge driver for real: namespaces stand in for containers, busybox runs inside them.
 * Run as root: node --import tsx --test test/networks/bridge.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { listLinks } from '../../src/sys/ip.js';
import { NetworkService } from '../../src/engine/networks/service.js';
import { bridgeNameFor } from '../../src/engine/networks/naming.js';
import { bb, bbOk, globalState, hostAddress, httpGet, leaked, makeOutside, ourRules, startHttpd, startService, waitFor, type GlobalState, type Harness, type Outside } from './helpers.js';
import { runTool } from '../../src/sys/ip.js';

const cid = () => randomBytes(32).toString('hex');

describe('bridge networks', () => {
  let h: Harness;
  let before0: GlobalState;
  let outside: Outside | undefined;
  const children: ChildProcess[] = [];
  let other: Harness | undefined;

  before(async () => {
    before0 = await globalState();
    h = await startService({ icc: true });
    await writeFile(join(h.root, 'resolv.conf'), 'nameserver 127.0.0.53\nnameserver 198.51.100.2\nsearch example.test\n');
    await h.svc.reconcile();
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await outside?.remove();
    await other?.close();
    await h.close();
    const problems = leaked(before0, await globalState(), [h.tag, other?.tag ?? 'none']);
    assert.deepEqual(problems, []);
  });

  async function container(name: string, network: string, cfg = {}) {
    const id = cid();
    const { netnsPath } = await h.svc.prepareSandbox(id, { name });
    const ep = await h.svc.attach(id, netnsPath, network, cfg);
    return { id, netns: netnsPath, ep };
  }

  it('creates the default bridge and predefined networks', async () => {
    const names = h.svc.list().map((n) => n.Name).sort();
    assert.deepEqual(names, ['bridge', 'host', 'none']);
    const bridge = h.svc.inspect('bridge');
    assert.equal(bridge.Options['com.docker.network.bridge.name'], `bth-${h.tag}`);
    assert.ok((await listLinks()).some((l) => l.ifname === `bth-${h.tag}`));
    await assert.rejects(h.svc.remove('bridge'), /pre-defined network/);
  });

  it('connects two containers that reach and resolve each other', async () => {
    await h.svc.create({ Name: 'front', Labels: { tier: 'web' } });
    const a = await container('alpha', 'front', { Aliases: ['web'] });
    const b = await container('beta', 'front', { Aliases: ['web'] });
    assert.equal(a.ep.IPPrefixLen, Number(String(h.svc.inspect('front').IPAM.Config[0]!.Subnet).split('/')[1]));
    assert.match(a.ep.IPAddress, /^\d+\.\d+\.\d+\.2$/);
    assert.notEqual(a.ep.IPAddress, b.ep.IPAddress);
    assert.ok(await bbOk(a.netns, 'ping', '-c1', '-W2', b.ep.IPAddress));
    const gw = a.ep.Gateway;
    assert.match(h.svc.resolvConf(a.id), new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}\n`));
    const byName = await bb(a.netns, 'nslookup', 'beta', gw);
    assert.match(byName, new RegExp(b.ep.IPAddress.replace(/\./g, '\\.')));
    const byAlias = await bb(b.netns, 'nslookup', 'web', gw);
    assert.ok(byAlias.includes(a.ep.IPAddress) && byAlias.includes(b.ep.IPAddress), byAlias);
    const scoped = await bb(b.netns, 'nslookup', 'alpha.front', gw);
    assert.ok(scoped.includes(a.ep.IPAddress));
    assert.equal(await bbOk(a.netns, 'nslookup', 'nosuchname', gw), false);
    const inspect = h.svc.inspect('front');
    assert.deepEqual(Object.keys(inspect.Containers).sort(), [a.id, b.id].sort());
    assert.equal(inspect.Containers[a.id]!.IPv4Address, `${a.ep.IPAddress}/${a.ep.IPPrefixLen}`);
    await assert.rejects(h.svc.remove('front'), /has active endpoints/);
    assert.equal(h.svc.list(new Map([['label', ['tier=web']]])).length, 1);
    await h.svc.releaseSandbox(a.id);
    await h.svc.releaseSandbox(b.id);
    await h.svc.remove('front');
    await assert.rejects(async () => h.svc.inspect('front'), /network front not found/);
  });

  it('keeps the gateway MAC fixed when ports with lower MACs join the bridge', async () => {
    await h.svc.create({ Name: 'steady' });
    const a = await container('first', 'steady');
    const dev = bridgeNameFor(h.svc.inspect('steady').Id);
    const macOf = async () => (await readFile(`/sys/class/net/${dev}/address`, 'utf8')).trim();
    const before = await macOf();
    assert.equal((await readFile(`/sys/class/net/${dev}/addr_assign_type`, 'utf8')).trim(), '3', 'the MAC is set, not inherited from a port');
    // The lowest locally administered unicast MAC: an inheriting bridge would take it at once.
    const low = `bl${h.tag}`;
    await runTool('ip', ['link', 'add', 'name', low, 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', `${low}p`]);
    try {
      await runTool('ip', ['link', 'set', 'dev', low, 'master', dev, 'up']);
      const b = await container('second', 'steady');
      assert.equal(await macOf(), before);
      assert.ok(await bbOk(a.netns, 'ping', '-c1', '-W2', a.ep.Gateway), 'members still reach the gateway');
      assert.ok(await bbOk(b.netns, 'ping', '-c1', '-W2', a.ep.IPAddress));
      for (const c of [a, b]) await h.svc.releaseSandbox(c.id);
    } finally {
      await runTool('ip', ['link', 'del', 'dev', low]).catch(() => undefined);
    }
    await h.svc.remove('steady');
  });

  it('honours static IPs and refuses overlaps', async () => {
    await h.svc.create({ Name: 'fixed', IPAM: { Config: [{ Subnet: '10.213.7.0/24', IPRange: '10.213.7.128/25' }] } });
    await assert.rejects(h.svc.create({ Name: 'fixed2', IPAM: { Config: [{ Subnet: '10.213.0.0/16' }] } }), /Pool overlaps/);
    await assert.rejects(h.svc.create({ Name: 'fixed' }), /already exists/);
    const a = await container('s1', 'fixed', { IPAMConfig: { IPv4Address: '10.213.7.9' } });
    assert.equal(a.ep.IPAddress, '10.213.7.9');
    const b = await container('s2', 'fixed');
    assert.equal(b.ep.IPAddress, '10.213.7.128');
    const id = cid();
    const { netnsPath } = await h.svc.prepareSandbox(id, { name: 's3' });
    await assert.rejects(h.svc.attach(id, netnsPath, 'fixed', { IPAMConfig: { IPv4Address: '10.213.7.9' } }), /already in use/);
    await assert.rejects(h.svc.attach(id, netnsPath, 'fixed', { IPAMConfig: { IPv4Address: '10.9.9.9' } }), /contain the IP address/);
    for (const c of [a.id, b.id, id]) await h.svc.releaseSandbox(c);
    await h.svc.remove('fixed');
  });

  it('publishes ports to loopback, the bridge address and back to itself (hairpin)', async () => {
    await h.svc.create({ Name: 'pub' });
    const web = await container('web', 'pub');
    const client = await container('client', 'pub');
    const www = join(h.root, 'www');
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.html'), 'hello from web\n');
    children.push(startHttpd(web.netns, www));
    await waitFor(() => bbOk(client.netns, 'wget', '-q', '-O', '/dev/null', `http://${web.ep.IPAddress}/`), 'httpd');
    const ports = await h.svc.publishPorts(web.id, { '80/tcp': [{ HostPort: '' }] }, ['80/tcp', '443/tcp']);
    assert.equal(ports['443/tcp'], null);
    const hostPort = ports['80/tcp']![0]!.HostPort;
    assert.ok(Number(hostPort) >= 32768);
    const get = async (from: string | undefined, url: string) =>
      from ? httpGet(from, url) : (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
    const hostIp = await hostAddress();
    assert.equal(await get(undefined, `http://127.0.0.1:${hostPort}/`), 'hello from web\n');
    assert.equal(await get(undefined, `http://${hostIp}:${hostPort}/`), 'hello from web\n');
    assert.equal(await get(web.netns, `http://${hostIp}:${hostPort}/`), 'hello from web\n', 'hairpin to itself via the host address');
    assert.equal(await get(client.netns, `http://${hostIp}:${hostPort}/`), 'hello from web\n', 'hairpin to a neighbour via the host address');
    assert.equal(await get(undefined, `http://${web.ep.Gateway}:${hostPort}/`), 'hello from web\n');
    assert.equal(await get(web.netns, `http://${web.ep.Gateway}:${hostPort}/`), 'hello from web\n');
    assert.equal(await get(client.netns, `http://${web.ep.Gateway}:${hostPort}/`), 'hello from web\n');
    await assert.rejects(h.svc.publishPorts(client.id, { '80/tcp': [{ HostPort: hostPort }] }), /port is already allocated/);
    const rules = await ourRules(h.tag);
    assert.ok(rules.some((r) => r.includes(`--dport ${hostPort} -j DNAT --to-destination ${web.ep.IPAddress}:80`)), rules.join('\n'));
    await h.svc.releaseSandbox(web.id);
    assert.ok(!(await ourRules(h.tag)).some((r) => r.includes('-j DNAT')));
    await h.svc.releaseSandbox(client.id);
    await h.svc.remove('pub');
  });

  it('isolates --internal networks from the outside, masquerades the others', async () => {
    outside = await makeOutside(h.root, `bto${h.tag}`, '198.51.100.1/30', '198.51.100.2/30');
    await h.svc.create({ Name: 'open' });
    await h.svc.create({ Name: 'sealed', Internal: true });
    const o = await container('o1', 'open');
    const s1 = await container('i1', 'sealed');
    const s2 = await container('i2', 'sealed');
    assert.ok(await bbOk(o.netns, 'ping', '-c1', '-W2', outside.ip), 'open network reaches the outside');
    assert.equal(await bbOk(s1.netns, 'ping', '-c1', '-W1', outside.ip), false, 'internal network must not');
    assert.ok(await bbOk(s1.netns, 'ping', '-c1', '-W2', s2.ep.IPAddress), 'inside the internal network');
    assert.equal(await bbOk(o.netns, 'ping', '-c1', '-W1', s1.ep.IPAddress), false, 'networks are isolated');
    for (const c of [o, s1, s2]) await h.svc.releaseSandbox(c.id);
    await h.svc.remove('open');
    await h.svc.remove('sealed');
    await outside.remove();
    outside = undefined;
  });

  it('drops traffic between containers when icc is off', async () => {
    await h.svc.create({ Name: 'noicc', Options: { 'com.docker.network.bridge.enable_icc': 'false' } });
    const a = await container('n1', 'noicc');
    const b = await container('n2', 'noicc');
    assert.ok(await bbOk(a.netns, 'ping', '-c1', '-W2', a.ep.Gateway), 'the gateway stays reachable');
    assert.equal(await bbOk(a.netns, 'ping', '-c1', '-W1', b.ep.IPAddress), false);
    for (const c of [a, b]) await h.svc.releaseSandbox(c.id);
    await h.svc.remove('noicc');
  });

  it('connects and disconnects a running container', async () => {
    await h.svc.create({ Name: 'one' });
    await h.svc.create({ Name: 'two' });
    const a = await container('runner', 'one');
    const peer = await container('peer', 'two');
    h.svc.setContainerLookup({
      resolve: (nameOrId) => {
        if (nameOrId !== 'runner' && nameOrId !== a.id) throw new Error('No such container');
        return { id: a.id, name: 'runner', netnsPath: a.netns, running: true };
      },
    });
    assert.equal(await bbOk(a.netns, 'ping', '-c1', '-W1', peer.ep.IPAddress), false);
    await h.svc.connect('two', 'runner', { Aliases: ['r'] });
    const eps = h.svc.endpoints(a.id);
    assert.deepEqual(Object.keys(eps).sort(), ['one', 'two']);
    assert.ok(await bbOk(a.netns, 'ping', '-c1', '-W2', peer.ep.IPAddress));
    assert.ok((await bb(peer.netns, 'nslookup', 'r', peer.ep.Gateway)).includes(eps.two!.IPAddress));
    await h.svc.disconnect('two', 'runner');
    const inside = (await runTool('ip', ['-j', 'link'], { netns: a.netns })).stdout;
    assert.ok(!inside.includes('"eth1"'));
    await assert.rejects(h.svc.disconnect('two', 'runner'), /is not connected/);
    for (const c of [a, peer]) await h.svc.releaseSandbox(c.id);
    await h.svc.remove('one');
    await h.svc.remove('two');
  });

  it('makes none-mode sandboxes with only loopback', async () => {
    const id = cid();
    const { netnsPath } = await h.svc.prepareSandbox(id, { name: 'lonely', mode: 'none', extraHosts: ['gw:host-gateway'] });
    await h.svc.attach(id, netnsPath, 'none');
    const links = JSON.parse((await runTool('ip', ['-j', 'link'], { netns: netnsPath })).stdout) as { ifname: string; flags: string[] }[];
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
    assert.ok(links[0]!.flags.includes('UP'));
    assert.ok(await bbOk(netnsPath, 'ping', '-c1', '-W1', '127.0.0.1'));
    assert.match(h.svc.hostsEntries(id), new RegExp(`${h.svc.hostGatewayIp().replace(/\./g, '\\.')}\tgw`));
    assert.match(h.svc.resolvConf(id), /^nameserver 198\.51\.100\.2\nsearch example\.test\n$/);
    await h.svc.releaseSandbox(id);
  });

  it('rebuilds exactly its rules after a crash', async () => {
    await h.svc.create({ Name: 'crashy' });
    const a = await container('cr', 'crashy');
    await h.svc.publishPorts(a.id, { '8080/tcp': [{ HostPort: '18080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '18053' }] });
    const expected = await ourRules(h.tag);
    // A crash leaves junk in our chains and a second jump; a new process reconciles.
    await runTool('iptables', ['-w', '-t', 'nat', '-A', `BERTH-${h.tag}`, '-p', 'tcp', '--dport', '1', '-j', 'RETURN']);
    await runTool('iptables', ['-w', '-I', 'FORWARD', '-j', `BERTH-${h.tag}-FORWARD`]);
    assert.notDeepEqual(await ourRules(h.tag), expected);
    await h.svc.close();
    h.svc = new NetworkService({ db: h.db, dataRoot: join(h.root, 'data'), execRoot: join(h.root, 'exec'), instanceName: h.tag, log: (await import('../../src/util/log.js')).log, upstreamResolvers: [] });
    await h.svc.reconcile();
    assert.deepEqual(await ourRules(h.tag), expected);
    await h.svc.releaseSandbox(a.id);
    await h.svc.remove('crashy');
  });

  it('runs side by side with a second instance without interfering', async () => {
    other = await startService();
    await other.svc.reconcile();
    const mine = await ourRules(h.tag);
    await other.svc.create({ Name: 'theirs' });
    await h.svc.create({ Name: 'mine' });
    assert.notEqual(h.svc.inspect('mine').IPAM.Config[0]!.Subnet, other.svc.inspect('theirs').IPAM.Config[0]!.Subnet);
    assert.notEqual(h.svc.inspect('bridge').IPAM.Config[0]!.Subnet, other.svc.inspect('bridge').IPAM.Config[0]!.Subnet);
    await other.svc.teardown();
    assert.equal((await ourRules(other.tag)).length, 0);
    await h.svc.remove('mine');
    assert.deepEqual(await ourRules(h.tag), mine);
  });
});
