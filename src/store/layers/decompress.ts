/**
 * Layer blobs come gzip'd, zstd'd or plain; the media type is not always trustworthy (Docker
 * schema 2 says "tar.gzip" for everything), so the magic bytes decide.
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { zstdDecompress } from './zstd.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function detectCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Reads at least `n` bytes (or all, if shorter) and returns them with a stream of the whole input. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; whole: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  return { head, whole: Readable.from(replay(), { objectMode: false }) };
}

/** Returns the uncompressed content of a layer blob stream, whatever its compression. */
export async function decompress(input: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, whole } = await peek(input, 4);
  const compression = detectCompression(head);
  switch (compression) {
    case 'gzip':
      return { stream: pipeline(whole, createGunzip(), () => {}), compression };
    case 'zstd':
      return { stream: zstdDecompress(whole), compression };
    case 'none':
      return { stream: whole, compression };
  }
}
