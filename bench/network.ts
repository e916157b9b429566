/**
 * Network benchmark (not a test): TCP throughput between two namespaces over a berth bridge
 * versus a hand-made veth pair, and the cost of a bridge sandbox versus a none-mode one.
 * Run as root: node --import tsx -e "import('./bench/network.ts').then(m => m.main())"
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ipBatch } from '../src/sys/ip.js';
import { createNetns, deleteNetns } from '../src/sys/netns.js';
import { BUSYBOX, startService } from '../test/networks/helpers.js';

const BYTES = 512 * 1024 * 1024;

/** Seconds to push BYTES from `from` to `toIp` with busybox nc. */
async function throughput(from: string, to: string, toIp: string): Promise<number> {
  const server = spawn('nsenter', [`--net=${to}`, '--', BUSYBOX, 'sh', '-c', `${BUSYBOX} nc -l -p 5001 > /dev/null`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const c = spawn('nsenter', [`--net=${from}`, '--', BUSYBOX, 'sh', '-c', `${BUSYBOX} head -c ${BYTES} /dev/zero | ${BUSYBOX} nc ${toIp} 5001`], { stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nc exited ${code}`))));
  });
  const secs = (performance.now() - started) / 1000;
  server.kill();
  return BYTES / secs / 1e6;
}

export async function main(): Promise<void> {
  const h = await startService();
  const tmp = h.root;
  const a = join(tmp, 'veth-a');
  const b = join(tmp, 'veth-b');
  try {
    await h.svc.reconcile();
    await h.svc.create({ Name: 'bench' });
    const ids = [0, 1].map(() => randomBytes(32).toString('hex'));
    const t0 = performance.now();
    const s1 = await h.svc.prepareSandbox(ids[0]!, { name: 'b1' });
    const e1 = await h.svc.attach(ids[0]!, s1.netnsPath, 'bench');
    const bridgeSetup = performance.now() - t0;
    const s2 = await h.svc.prepareSandbox(ids[1]!, { name: 'b2' });
    const e2 = await h.svc.attach(ids[1]!, s2.netnsPath, 'bench');
    const t1 = performance.now();
    const noneId = randomBytes(32).toString('hex');
    await h.svc.prepareSandbox(noneId, { name: 'n', mode: 'none' });
    const noneSetup = performance.now() - t1;

    await createNetns(a, { loopbackUp: true });
    await createNetns(b, { loopbackUp: true });
    await ipBatch([`link add name eth0 type veth peer name eth0 netns ${b}`], { netns: a });
    await ipBatch(['addr add 10.254.254.1/30 dev eth0', 'link set eth0 up'], { netns: a });
    await ipBatch(['addr add 10.254.254.2/30 dev eth0', 'link set eth0 up'], { netns: b });

    const viaBridge = await throughput(s1.netnsPath, s2.netnsPath, e2.IPAddress);
    const viaVeth = await throughput(a, b, '10.254.254.2');
    void e1;
    console.log(`throughput: bridge ${viaBridge.toFixed(0)} MB/s, plain veth ${viaVeth.toFixed(0)} MB/s, ratio ${(viaBridge / viaVeth).toFixed(2)}`);
    console.log(`sandbox setup: bridge endpoint ${bridgeSetup.toFixed(1)} ms, none mode ${noneSetup.toFixed(1)} ms`);
  } finally {
    await deleteNetns(a);
    await deleteNetns(b);
    await h.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
