/**
 * The gelf driver: GELF 1.1 JSON over UDP, gzip (default) or zlib compressed, split into
 * GELF chunks when a message is larger than one datagram should be: each chunk starts with
 * 0x1e 0x0f, an 8-byte message id, its sequence number and the chunk count (at most 128).
 */
import { randomBytes } from 'node:crypto';
import { gzipSync, deflateSync } from 'node:zlib';
import { DeliveryQueue } from '../queue.js';
import type { LogSource, ShippedRecord } from '../record.js';
import { parseAddress, UdpTransport } from './transport.js';
import { queuedShipper, type LogShipper, type ShipperFactory } from './types.js';

const CHUNK_SIZE = 1420;
const CHUNK_HEADER = 12;
const MAX_CHUNKS = 128;

export function gelfMessage(src: LogSource, r: ShippedRecord): Record<string, unknown> {
  return {
    version: '1.1',
    host: src.host,
    short_message: r.line,
    // Seconds with the fraction: GELF's timestamp; _timestamp_ns keeps full precision.
    timestamp: Number(r.timeNs / 1000n) / 1e6,
    level: r.stream === 'stderr' ? 3 : 6,
    _container_id: src.containerId,
    _container_name: src.containerName.replace(/^\//, ''),
    _image_id: src.imageId,
    _image_name: src.imageName,
    _tag: src.tag,
    _timestamp_ns: r.timeNs.toString(),
  };
}

/** The datagrams for one (compressed) message: itself, or its GELF chunks. */
export function gelfDatagrams(payload: Buffer): Buffer[] {
  if (payload.length <= CHUNK_SIZE) return [payload];
  const body = CHUNK_SIZE - CHUNK_HEADER;
  const count = Math.ceil(payload.length / body);
  if (count > MAX_CHUNKS) return []; // GELF cannot carry it: dropped (counted by the caller)
  const id = randomBytes(8);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const header = Buffer.from([0x1e, 0x0f, ...id, i, count]);
    out.push(Buffer.concat([header, payload.subarray(i * body, (i + 1) * body)]));
  }
  return out;
}

export const createGelfShipper: ShipperFactory = (src, opts, hooks): LogShipper => {
  const a = parseAddress(opts['gelf-address'] ?? 'udp://127.0.0.1:12201', 12201);
  const transport = new UdpTransport(a.host, a.port);
  const type = opts['gelf-compression-type'] ?? 'gzip';
  const level = opts['gelf-compression-level'] !== undefined ? Number(opts['gelf-compression-level']) : 1;
  const compress = (b: Buffer) => (type === 'none' ? b : type === 'zlib' ? deflateSync(b, { level }) : gzipSync(b, { level }));
  const queue = new DeliveryQueue({
    ...hooks,
    deliver: (batch) => {
      const datagrams: Buffer[] = [];
      for (const r of batch) {
        const parts = gelfDatagrams(compress(Buffer.from(JSON.stringify(gelfMessage(src, r)))));
        if (parts.length === 0) hooks.onDropped?.(1, 'message too large for GELF');
        datagrams.push(...parts);
      }
      return transport.send(datagrams);
    },
  });
  return queuedShipper(queue, transport);
};
