import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { cleanup, dockerOk, opsDaemon } from './helpers.js';

let d: TestDaemon;
let metricsPort: number;
before(async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  metricsPort = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  d = await opsDaemon(['--metrics-addr', `127.0.0.1:${metricsPort}`]);
});
after(() => cleanup(d));

/** Parses the exposition text; every line must be a comment or a valid sample. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      assert.match(type!, /^(counter|gauge|histogram|summary|untyped)$/, line);
      typed.add(name!);
      continue;
    }
    const m = sample.exec(line);
    assert.ok(m, `invalid exposition line: ${line}`);
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]!) || typed.has(base), `sample before its TYPE: ${line}`);
    samples.set(m[1]! + (m[2] ?? ''), Number(m[3]!.replace('+Inf', 'Infinity')));
  }
  return samples;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

test('/metrics is valid exposition text and request counters grow', async () => {
  const before = await scrape();
  const key = 'berth_api_requests_total{method="GET",route="/containers/json",status="200"}';
  const n0 = before.get(key) ?? 0;
  await dockerOk(d, ['ps']);
  await dockerOk(d, ['ps']);
  await dockerOk(d, ['run', '-d', '--name', 'm1', 'busybox', 'sleep', '600']);
  const m = await scrape();
  assert.equal(m.get(key), n0 + 2);
  assert.ok((m.get('berth_api_request_duration_seconds_count{method="GET",route="/containers/json"}') ?? 0) >= 2);
  assert.equal(m.get('berth_containers{state="running"}'), 1);
  assert.equal(m.get('berth_images'), 1);
  assert.ok((m.get('berth_process_resident_memory_bytes') ?? 0) > 0);
  assert.ok(m.has('berth_event_loop_lag_seconds'));
  const id = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'm1'])).trim();
  assert.ok((m.get(`berth_container_memory_bytes{id="${id}",name="m1"}`) ?? 0) > 0);
  assert.ok((m.get(`berth_container_cpu_seconds_total{id="${id}",name="m1"}`) ?? -1) >= 0);
  for (const name of ['network_rx_bytes_total', 'network_tx_bytes_total', 'blkio_read_bytes_total', 'blkio_write_bytes_total']) {
    assert.ok(m.has(`berth_container_${name}{id="${id}",name="m1"}`), name);
  }
  assert.ok(m.has('berth_pulls_total') && m.has('berth_builds_total'));
});

interface DiskUsage {
  Containers: { Id: string; SizeRw: number; State: string }[];
  Images: { Size: number; SharedSize: number; Containers: number }[];
  LayersSize: number;
}

async function df(): Promise<DiskUsage> {
  const res = await d.client.request('GET', '/system/df');
  let body = '';
  for await (const c of res) body += (c as Buffer).toString();
  return JSON.parse(body) as DiskUsage;
}

test('container prune reclaims exactly what df reported for the stopped containers', async () => {
  for (const [i, kb] of [[1, 100], [2, 200], [3, 300]] as const) {
    await dockerOk(d, ['run', '--name', `dead${i}`, '--label', i === 3 ? 'keep=yes' : 'keep=no', 'busybox', 'dd', 'if=/dev/zero', 'of=/blob', 'bs=1024', `count=${kb}`]);
  }
  const before = await df();
  const stopped = before.Containers.filter((c) => c.State === 'exited');
  assert.equal(stopped.length, 3);
  const sizes = new Map(stopped.map((c) => [c.Id, c.SizeRw]));
  for (const s of sizes.values()) assert.ok(s >= 100 * 1024, `SizeRw ${s}`);
  assert.ok(before.LayersSize > 0);
  assert.equal(before.Images[0]!.Containers, 4);

  // Label filter first: only keep=no goes.
  const out = await dockerOk(d, ['container', 'prune', '-f', '--filter', 'label=keep=no']);
  const mid = await df();
  const gone = [...sizes.keys()].filter((id) => !mid.Containers.some((c) => c.Id === id));
  assert.equal(gone.length, 2);
  const expected = gone.reduce((a, id) => a + sizes.get(id)!, 0);
  for (const id of gone) assert.match(out, new RegExp(id));
  assert.match(out, new RegExp(`Total reclaimed space: ${humanSize(expected).replace('.', '\\.')}`));

  // docker system prune removes the rest (and reports it) but keeps the running container.
  const sys = await dockerOk(d, ['system', 'prune', '-f']);
  assert.match(sys, /Deleted Containers:/);
  const after = await df();
  assert.deepEqual(after.Containers.map((c) => c.State), ['running']);
});

/** docker's units.HumanSize (decimal, 4 significant digits). */
function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}
