/**
 * The fluentd driver: Fluentd's Forward protocol over TCP (or a unix socket), msgpack-encoded
 * in Forward mode — `[tag, [[time, record], ...]]` — one array per batch. Time is an
 * EventTime (msgpack ext type 0: seconds and nanoseconds, big-endian) so sub-second precision
 * survives. The record carries Docker's fields (container_id, container_name, source, log)
 * plus image_name, image_id and host. While the collector is down, records wait in the
 * bounded queue (`fluentd-buffer-limit` records) and delivery is retried with backoff
 * (`fluentd-retry-wait`, doubling; `fluentd-max-retries` then the batch is dropped).
 */
import { encode, ExtData } from '@msgpack/msgpack';
import { parseGoDuration } from '../../../util/go-duration.js';
import { DeliveryQueue } from '../queue.js';
import type { LogSource, ShippedRecord } from '../record.js';
import { parseAddress, StreamTransport } from './transport.js';
import { queuedShipper, type LogShipper, type ShipperFactory } from './types.js';

export function eventTime(ns: bigint): ExtData {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Number(ns / 1_000_000_000n), 0);
  b.writeUInt32BE(Number(ns % 1_000_000_000n), 4);
  return new ExtData(0, b);
}

export function fluentdRecord(src: LogSource, r: ShippedRecord): Record<string, string> {
  return {
    container_id: src.containerId,
    container_name: `/${src.containerName.replace(/^\//, '')}`,
    source: r.stream,
    log: r.line,
    image_name: src.imageName,
    image_id: src.imageId,
    host: src.host,
  };
}

export function encodeForward(tag: string, src: LogSource, batch: ShippedRecord[]): Uint8Array {
  return encode([tag, batch.map((r) => [eventTime(r.timeNs), fluentdRecord(src, r)])]);
}

function target(address: string | undefined): { host: string; port: number } | { path: string } {
  if (!address) return { host: '127.0.0.1', port: 24224 };
  const withScheme = /^[a-z]+:\/\//.test(address) ? address : `tcp://${address}`;
  const a = parseAddress(withScheme, 24224);
  if (a.scheme === 'unix') return { path: a.path };
  if (a.scheme !== 'tcp') throw new Error(`fluentd-address: unsupported protocol ${a.scheme}`);
  return { host: a.host === 'localhost' ? '127.0.0.1' : a.host, port: a.port };
}

export const createFluentdShipper: ShipperFactory = (src, opts, hooks): LogShipper => {
  const transport = new StreamTransport(target(opts['fluentd-address']));
  const tag = src.tag;
  const queue = new DeliveryQueue({
    ...hooks,
    limit: opts['fluentd-buffer-limit'] ? Number(opts['fluentd-buffer-limit']) : undefined,
    retryWaitMs: opts['fluentd-retry-wait'] ? parseGoDuration(opts['fluentd-retry-wait']) / 1e6 : undefined,
    maxRetries: opts['fluentd-max-retries'] ? Number(opts['fluentd-max-retries']) : undefined,
    deliver: (batch) => transport.send([Buffer.from(encodeForward(tag, src, batch))]),
  });
  return queuedShipper(queue, transport);
};
