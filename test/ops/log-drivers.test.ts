import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeMultiStream, ExtData } from '@msgpack/msgpack';
import type { TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { cleanup, docker, dockerOk, eventually, opsDaemon } from './helpers.js';

let d: TestDaemon;
before(async () => {
  d = await opsDaemon();
});
after(() => cleanup(d));

const printLines = (n: number, prefix = 'line') => `i=0; while [ $i -lt ${n} ]; do echo ${prefix}-$i; i=$((i+1)); done; exec sleep 600`;

test('json-file max-size/max-file bounds disk use while logs returns the newest lines', async () => {
  const id = (await dockerOk(d, ['run', '-d', '--name', 'rot', '--log-opt', 'max-size=20k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', printLines(20_000)])).trim();
  await eventually('all lines written', async () => ((await dockerOk(d, ['logs', '--tail', '1', 'rot'])).trim() === 'line-19999' ? true : undefined));
  const dir = join(d.dataRoot, 'containers', id);
  const files = (await readdir(dir)).filter((f) => f.startsWith('container.log'));
  await eventually('two rotated files kept', async () => ((await readdir(dir)).filter((f) => /^container\.log\.\d$/.test(f)).length === 2 ? true : undefined));
  let total = 0;
  for (const f of await readdir(dir)) if (f.startsWith('container.log')) total += (await stat(join(dir, f))).size;
  // ~20k lines of ~50 bytes is ~1 MB of log; three files of at most 20 KiB are kept.
  assert.ok(total <= 3 * 20 * 1024, `log files hold ${total} bytes: ${files.join(' ')}`);
  assert.ok(!(await readdir(dir)).includes('container.log.3'));
  const tail = (await dockerOk(d, ['logs', '--tail', '3', 'rot'])).trim().split('\n');
  assert.deepEqual(tail, ['line-19997', 'line-19998', 'line-19999']);
});

test('unknown log options are refused at create like Docker', async () => {
  const r = await docker(d, ['create', '--log-opt', 'colour=blue', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown log opt 'colour' for json-file log driver/);
  const r2 = await docker(d, ['create', '--log-driver', 'nope', 'busybox', 'true']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /Error response from daemon: logger: no log driver named 'nope' is registered$/m);
  // Durations are Go's, in any unit Go takes; a number without one is refused.
  const r3 = await docker(d, ['create', '--log-driver', 'fluentd', '--log-opt', 'fluentd-retry-wait=10', 'busybox', 'true']);
  assert.notEqual(r3.code, 0);
  assert.match(r3.stderr, /invalid fluentd-retry-wait: 10/);
  const ok = await dockerOk(d, ['create', '--log-driver', 'fluentd', '--log-opt', 'fluentd-retry-wait=1h500us', 'busybox', 'true']);
  await dockerOk(d, ['rm', ok.trim()]);
});

test('syslog lines reach a UDP listener with the tag (RFC 5424)', async () => {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    const port = sock.address().port;
    const id = (
      await dockerOk(d, ['run', '-d', '--name', 'sys1', '--log-driver', 'syslog', '--log-opt', `syslog-address=udp://127.0.0.1:${port}`, '--log-opt', 'syslog-format=rfc5424micro', '--log-opt', 'tag={{.Name}}/{{.ID}}', '--log-opt', 'syslog-facility=local3', 'busybox', 'sh', '-c', 'echo hello-out; echo hello-err >&2; exec sleep 600'])
    ).trim();
    await eventually('two syslog messages', () => (got.length >= 2 ? true : undefined));
    const out = got.find((m) => m.endsWith('hello-out'))!;
    const err = got.find((m) => m.endsWith('hello-err'))!;
    // local3 = 19: info 19*8+6 = 158, err 19*8+3 = 155.
    assert.match(out, new RegExp(`^<158>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z \\S+ sys1/${id.slice(0, 12)} \\d+ ${id.slice(0, 12)} - hello-out$`));
    assert.match(err, /^<155>1 /);
    assert.equal((await dockerOk(d, ['logs', 'sys1'])).trim(), 'hello-out', 'docker logs still reads the local copy');
  } finally {
    sock.close();
  }
});

interface ForwardEntry {
  tag: string;
  time: ExtData;
  record: Record<string, string>;
}

/** A Forward-protocol receiver: decodes `[tag, [[time, record], ...]]` arrays from each connection. */
function startFluentReceiver(port: number, entries: ForwardEntry[]): Promise<Server> {
  const conns = new Set<import('node:net').Socket>();
  const server = createServer((conn) => {
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    void (async () => {
      for await (const msg of decodeMultiStream(conn)) {
        const [tag, batch] = msg as [string, [ExtData, Record<string, string>][]];
        for (const [time, record] of batch) entries.push({ tag, time, record });
      }
    })().catch(() => undefined);
  });
  // berthd keeps its connection open: closing the receiver closes it too.
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const c of conns) c.destroy();
    return close(cb);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}


test('fluentd: lines buffered while the collector is down all arrive once it is up; the container never waits', async () => {
  const port = await freePort();
  const entries: ForwardEntry[] = [];
  let server: Server | undefined;
  try {
    const id = (
      await dockerOk(d, ['run', '-d', '--name', 'fl1', '--log-driver', 'fluentd', '--log-opt', `fluentd-address=127.0.0.1:${port}`, '--log-opt', 'fluentd-retry-wait=100ms', '--log-opt', 'tag=app.{{.Name}}', 'busybox', 'sh', '-c', printLines(2000, 'msg')])
    ).trim();
    // With nobody listening, the container still writes every line (it is never blocked).
    await eventually('container printed everything', async () => ((await dockerOk(d, ['logs', '--tail', '1', 'fl1'])).trim() === 'msg-1999' ? true : undefined));
    assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'fl1'])).trim(), 'true');
    const failed = await dockerOk(d, ['events', '--since', '5m', '--until', (Date.now() / 1000).toFixed(9), '--filter', 'container=fl1', '--filter', 'event=log_delivery_failed', '--format', '{{.Actor.Attributes.driver}}']);
    assert.match(failed, /^fluentd$/m);
    assert.equal(entries.length, 0);
    server = await startFluentReceiver(port, entries);
    await eventually('all 2000 lines at the collector', () => (entries.length >= 2000 ? true : undefined));
    assert.deepEqual(
      entries.map((e) => e.record.log),
      Array.from({ length: 2000 }, (_, i) => `msg-${i}`),
    );
    const first = entries[0]!;
    assert.equal(first.tag, 'app.fl1');
    assert.equal(first.record.container_id, id);
    assert.equal(first.record.container_name, '/fl1');
    assert.equal(first.record.source, 'stdout');
    assert.equal(first.record.image_name, 'busybox');
    assert.ok(first.record.host);
    assert.equal(first.time.type, 0);
    assert.equal(first.time.data.length, 8);
  } finally {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  }
});

test('log driver none keeps no local log', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'nolog', '--log-driver', 'none', 'busybox', 'sh', '-c', 'echo hidden; exec sleep 600']);
  const inspect = JSON.parse(await dockerOk(d, ['inspect', 'nolog'])) as { Id: string }[];
  const dir = join(d.dataRoot, 'containers', inspect[0]!.Id);
  assert.ok(!(await readdir(dir)).includes('container.log'));
});
