/** Byte sizes as Compose takes them from docker/go-units (`64m`); durations are util/go-duration.ts. */

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: `64m`, `1.5g`, `512kb`, `1GiB`, or a plain number of bytes. */
export function parseBytes(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid size ${value}`);
    return Math.floor(value);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!match) throw new Error(`invalid size "${value}"`);
  const unit = match[2]!.toLowerCase();
  if (unit === '' && match[3] && match[3].toLowerCase() === 'ib') throw new Error(`invalid size "${value}"`);
  return Math.floor(parseFloat(match[1]!) * BYTE_UNITS[unit]!);
}
