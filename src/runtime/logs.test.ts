import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { formatLogRecord, parseLogRecord, readLogs, type LogEntry } from './logs.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));

async function all(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.stream}:${e.line}${e.complete ? '' : '…'}`);
  return out;
}

describe('k8s-file logs', () => {
  test('parses conmon records, including nanosecond timestamps with offsets', () => {
    assert.deepEqual(parseLogRecord('2026-11-22T15:20:50.137621727+00:00 stdout F hi there'), {
      timestamp: '2026-11-22T15:20:50.137621727+00:00',
      stream: 'stdout',
      partial: false,
      content: 'hi there',
    });
    assert.equal(parseLogRecord('2026-11-22T15:20:50Z stderr P ')?.partial, true);
    assert.equal(parseLogRecord('garbage'), undefined);
  });

  test('joins partial lines per stream; filters by stream, since/until and tail', async () => {
    const file = path.join(dir, 'a.log');
    await writeFile(
      file,
      formatLogRecord(t(1), 'stdout', 'hel', true) +
        formatLogRecord(t(1), 'stderr', 'warn') +
        formatLogRecord(t(2), 'stdout', 'lo') +
        formatLogRecord(t(3), 'stdout', 'second') +
        formatLogRecord(t(4), 'stdout', 'no newline', true),
    );
    assert.deepEqual(await all(readLogs({ path: file })), ['stderr:warn', 'stdout:hello', 'stdout:second', 'stdout:no newline…']);
    assert.deepEqual(await all(readLogs({ path: file, stderr: false, tail: 2 })), ['stdout:second', 'stdout:no newline…']);
    assert.deepEqual(await all(readLogs({ path: file, since: t(3), until: t(3) })), ['stdout:second']);
    assert.deepEqual(await all(readLogs({ path: file, tail: 0 })), []);
    assert.deepEqual(await all(readLogs({ path: path.join(dir, 'missing.log') })), []);
  });

  test('follow yields appended records and stops when told', async () => {
    const file = path.join(dir, 'b.log');
    await writeFile(file, formatLogRecord(t(1), 'stdout', 'first'));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const seen: string[] = [];
    const reader = (async () => {
      for await (const e of readLogs({ path: file, follow: true, stop: stopped })) {
        seen.push(e.line);
        if (e.line === 'first') await appendFile(file, formatLogRecord(t(2), 'stdout', 'sec', true) + formatLogRecord(t(2), 'stdout', 'ond'));
        if (e.line === 'second') {
          await appendFile(file, formatLogRecord(t(3), 'stderr', 'last'));
          stop();
        }
      }
    })();
    await reader;
    assert.deepEqual(seen, ['first', 'second', 'last']);
  });
});

test('rotated files come first, compressed ones too', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-logs-rot-'));
  try {
    const file = path.join(dir, 'container.log');
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await writeFile(`${file}.2.gz`, gzipSync(formatLogRecord(at(1), 'stdout', 'oldest')));
    await writeFile(`${file}.1`, formatLogRecord(at(2), 'stdout', 'older'));
    await writeFile(file, formatLogRecord(at(3), 'stdout', 'live'));
    const lines: string[] = [];
    for await (const e of readLogs({ path: file })) lines.push(e.line);
    assert.deepEqual(lines, ['oldest', 'older', 'live']);
    const tail: string[] = [];
    for await (const e of readLogs({ path: file, tail: 2 })) tail.push(e.line);
    assert.deepEqual(tail, ['older', 'live']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
