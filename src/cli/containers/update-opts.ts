/** Value parsing shared by `update` (same rules and messages as create). */
import { CliError } from '../errors.js';
import { ramInBytes } from '../format/units.js';

export function sizeOf(flag: string, value: string): number {
  if (value === '-1') return -1;
  try {
    return ramInBytes(value);
  } catch (err) {
    throw new CliError(`invalid argument "${value}" for "${flag}" flag: ${(err as Error).message}`);
  }
}

export function nanoCpusOf(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value)) throw new CliError(`invalid argument "${value}" for "--cpus" flag: failed to parse ${value} as a rational number`);
  return Math.round(n * 1e9);
}
