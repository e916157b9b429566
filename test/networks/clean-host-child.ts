/**
 * Child of clean-host.test.ts, run inside a fresh network namespace (no legacy iptables tables,
 * br_netfilter switched off after reconcile): a member reaches its own and a neighbour's
 * published port through a host address. Prints one JSON line with what each client got.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSysctl } from '../../src/sys/sysctl.js';
import { bbOk, hostAddress, httpGet, startHttpd, startService, waitFor } from './helpers.js';

const h = await startService();
try {
  await h.svc.reconcile();
  await writeSysctl('net.bridge.bridge-nf-call-iptables', '0');
  await h.svc.create({ Name: 'pub' });
  const member = async (name: string) => {
    const id = randomBytes(32).toString('hex');
    const s = await h.svc.setupSandbox(id, { name }, [{ network: 'pub', config: {} }]);
    return { id, netns: s.netnsPath, ip: s.endpoints.pub!.IPAddress };
  };
  const web = await member('web');
  const client = await member('client');
  const www = join(h.root, 'www');
  await mkdir(www);
  await writeFile(join(www, 'index.html'), 'hi\n');
  const httpd = startHttpd(web.netns, www);
  try {
    await waitFor(() => bbOk(client.netns, 'wget', '-q', '-O', '/dev/null', `http://${web.ip}/`), 'httpd');
    const ports = await h.svc.publishPorts(web.id, { '80/tcp': [{ HostPort: '' }] }, ['80/tcp']);
    const url = `http://${await hostAddress()}:${ports['80/tcp']![0]!.HostPort}/`;
    const get = (netns: string) => httpGet(netns, url).catch((e: Error) => e.message);
    console.log(JSON.stringify({ self: await get(web.netns), neighbour: await get(client.netns) }));
  } finally {
    httpd.kill('SIGKILL');
  }
} finally {
  await h.close();
}
