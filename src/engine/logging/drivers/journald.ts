/**
 * The journald driver: the journal's native protocol (`KEY=value` lines, one datagram per
 * entry) on /run/systemd/journal/socket. Only offered when that socket exists; create fails
 * otherwise (options.ts). Values with a newline use the binary length-prefixed form.
 */
import { DeliveryQueue } from '../queue.js';
import type { LogSource, ShippedRecord } from '../record.js';
import { JOURNAL_SOCKET } from '../options.js';
import { UnixDatagramTransport } from './transport.js';
import { queuedShipper, type LogShipper, type ShipperFactory } from './types.js';

function field(key: string, value: string): Buffer {
  if (!value.includes('\n')) return Buffer.from(`${key}=${value}\n`);
  const v = Buffer.from(value);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(v.length));
  return Buffer.concat([Buffer.from(`${key}\n`), len, v, Buffer.from('\n')]);
}

export function journalEntry(src: LogSource, r: ShippedRecord): Buffer {
  return Buffer.concat([
    field('MESSAGE', r.line),
    field('PRIORITY', r.stream === 'stderr' ? '3' : '6'),
    field('SYSLOG_IDENTIFIER', src.tag),
    field('CONTAINER_ID', src.containerId.slice(0, 12)),
    field('CONTAINER_ID_FULL', src.containerId),
    field('CONTAINER_NAME', src.containerName.replace(/^\//, '')),
    field('CONTAINER_TAG', src.tag),
    field('IMAGE_NAME', src.imageName),
    field('SYSLOG_TIMESTAMP', r.timeNs.toString()),
  ]);
}

export const createJournaldShipper: ShipperFactory = (src, _opts, hooks): LogShipper => {
  const transport = new UnixDatagramTransport(JOURNAL_SOCKET);
  const queue = new DeliveryQueue({ ...hooks, deliver: (batch) => transport.send(batch.map((r) => journalEntry(src, r))) });
  return queuedShipper(queue, transport);
};
