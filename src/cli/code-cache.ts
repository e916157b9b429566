// Runs a CommonJS bundle (the CLI's, for bin/berth) through V8's code cache.
//
// Compiling the bundle's functions was ~20 ms of every CLI start here. The cache holds them
// compiled; V8 checks it against the bundle and the node binary and flags, and turns a stale one
// down. A missing or turned-down cache is written anew when the command ends (the build writes
// the first), and only ever replaced whole: a reader sees the old file or the new one. Each
// node version and set of node flags has a cache of its own: with one file, two sets taking
// turns would each turn down the other's, and pay for writing it again (~60 ms) every time.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

type CommonJsBody = (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined; // not written yet
  }
}

function writeCache(file: string, data: Buffer): void {
  const partial = `${file}.${process.pid}`;
  try {
    writeFileSync(partial, data);
    renameSync(partial, file);
  } catch {
    // A read-only install runs without a cache, as fast as before it had one.
    try {
      unlinkSync(partial);
    } catch {
      /* never created */
    }
  }
}

/** FNV-1a, 32 bits: enough to tell sets of flags apart in a file name, without loading crypto. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** `<bundle>.<key>.cache`, the key naming node's version and the flags it runs with. */
function cacheFileFor(bundle: string): string {
  const key = fnv1a([process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0'));
  return `${bundle}.${key.toString(16).padStart(8, '0')}.cache`;
}

/** Runs the CommonJS bundle at `bundle`, which must be ASCII, with its code cache (cacheFileFor). */
export function runBundle(bundle: string): void {
  const cacheFile = cacheFileFor(bundle);
  const cachedData = readCache(cacheFile);
  // As Latin-1: a third of the time UTF-8 decoding takes, and the same text for ASCII.
  const source = readFileSync(bundle, 'latin1');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  // Written when the command is over, so that the functions it ran are in the cache compiled.
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(cacheFile, script.createCachedData()));
  const body = script.runInThisContext() as CommonJsBody;
  const module = { exports: {} };
  body(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}
