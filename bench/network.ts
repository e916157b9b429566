/**
 * Network benchmark (not a test): TCP throughput between two namespaces over a berth bridge
 * versus a hand-made veth pair, and the cost of a bridge sandbox versus a none-mode one.
 * Run as root: node --import tsx -e "import('./bench/network.ts').then(m => m.main())"
 *
 * Traffic comes from a tiny Node sender/receiver run inside each namespace (nsenter + node):
 * the receiver counts the bytes it really got and times them itself, so a sender that exits
 * early shows up as a short count instead of an impossible figure.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ipBatch } from '../src/sys/ip.js';
import { createNetns, deleteNetns, execInNetns } from '../src/sys/netns.js';
import { startService } from '../test/networks/helpers.js';

const BYTES = 2 * 1024 * 1024 * 1024;
const ROUNDS = 3;
const PORT = 5001;

/** Accepts one connection, prints `{bytes, seconds}` from first byte to the sender's FIN. */
const RECEIVER = `
const net = require('node:net');
const srv = net.createServer((s) => {
  let bytes = 0, first = 0;
  s.on('data', (d) => { if (!first) first = performance.now(); bytes += d.length; });
  s.on('end', () => { console.log(JSON.stringify({ bytes, seconds: (performance.now() - first) / 1000 })); srv.close(); s.destroy(); });
});
srv.listen(${PORT}, '0.0.0.0');
setTimeout(() => { console.error('receiver: no sender'); process.exit(2); }, 60000).unref();
`;

/** Connects (retrying while the receiver starts), writes argv[1] bytes of one buffer, ends. */
const SENDER = `
const net = require('node:net');
const [host, total] = [process.argv[1], Number(process.argv[2])];
const chunk = Buffer.alloc(1 << 20, 7);
function go(tries) {
  const s = net.connect(${PORT}, host);
  s.on('error', (e) => { if (tries > 0 && e.code === 'ECONNREFUSED') setTimeout(() => go(tries - 1), 20); else { console.error(e.message); process.exit(1); } });
  s.on('connect', () => {
    let left = total;
    const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump); } s.end(); };
    pump();
  });
}
go(250);
`;

/** MB/s of BYTES sent from namespace `from` to `toIp` inside `to`, as the receiver saw it. */
async function throughput(from: string, to: string, toIp: string): Promise<number> {
  const received = execInNetns(to, process.execPath, ['-e', RECEIVER]);
  await execInNetns(from, process.execPath, ['-e', SENDER, toIp, String(BYTES)]);
  const r = JSON.parse((await received).stdout) as { bytes: number; seconds: number };
  if (r.bytes !== BYTES) throw new Error(`receiver got ${r.bytes} bytes of ${BYTES}`);
  return r.bytes / r.seconds / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

export async function main(): Promise<void> {
  const h = await startService();
  const a = join(h.root, 'veth-a');
  const b = join(h.root, 'veth-b');
  try {
    await h.svc.reconcile();
    await h.svc.create({ Name: 'bench' });
    const bridgeTimes: number[] = [];
    const noneTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (const mode of ['bridge', 'none'] as const) {
        const id = randomBytes(32).toString('hex');
        const t = performance.now();
        await h.svc.setupSandbox(id, { name: `s${i}${mode}`, mode }, mode === 'bridge' ? [{ network: 'bench', config: {} }] : []);
        (mode === 'bridge' ? bridgeTimes : noneTimes).push(performance.now() - t);
        await h.svc.releaseSandbox(id);
      }
    }

    const ids = [0, 1].map(() => randomBytes(32).toString('hex'));
    const s1 = await h.svc.setupSandbox(ids[0]!, { name: 'b1' }, [{ network: 'bench', config: {} }]);
    const s2 = await h.svc.setupSandbox(ids[1]!, { name: 'b2' }, [{ network: 'bench', config: {} }]);
    await createNetns(a, { loopbackUp: true });
    await createNetns(b, { loopbackUp: true });
    await ipBatch([`link add name eth0 type veth peer name eth0 netns ${b}`, 'addr add 10.254.254.1/30 dev eth0', 'link set eth0 up'], { netns: a });
    await ipBatch(['addr add 10.254.254.2/30 dev eth0', 'link set eth0 up'], { netns: b });

    const viaBridge: number[] = [];
    const viaVeth: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      viaBridge.push(await throughput(s1.netnsPath, s2.netnsPath, s2.endpoints.bench!.IPAddress));
      viaVeth.push(await throughput(a, b, '10.254.254.2'));
    }
    const [mb, mv] = [median(viaBridge), median(viaVeth)];
    console.log(`throughput (median of ${ROUNDS} x ${BYTES / 2 ** 20} MiB): bridge ${mb.toFixed(0)} MB/s, plain veth ${mv.toFixed(0)} MB/s, ratio ${(mb / mv).toFixed(2)}`);
    console.log(`sandbox setup (median of 10): bridge endpoint ${median(bridgeTimes).toFixed(1)} ms, none mode ${median(noneTimes).toFixed(1)} ms`);
  } finally {
    await deleteNetns(a);
    await deleteNetns(b);
    await h.close();
  }
}
