/** `berth save`, `berth load` and `berth import`: archives stream through, never buffered. */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { splitReference } from '../format/ids.js';
import { showMessages } from '../progress.js';

export interface SaveOptions {
  output?: string;
}

/** GET /images/get?names=… into a file (via a temp file, renamed when whole) or stdout. */
export async function saveImages(cli: Cli, names: string[], opts: SaveOptions): Promise<void> {
  if (!opts.output && cli.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  if (opts.output) await checkWritableDir(opts.output);
  const res = await cli.client.call('GET', '/images/get', { query: { names } });
  if (!opts.output) {
    await pipeline(res, cli.stdout, { end: false });
    return;
  }
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.berth-${process.pid}.tmp`);
  try {
    await pipeline(res, createWriteStream(tmp));
    await rename(tmp, opts.output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function checkWritableDir(file: string): Promise<void> {
  const dir = dirname(file);
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) throw new CliError(`failed to save image: invalid output path: directory "${dir}" does not exist`);
}

export interface LoadOptions {
  input?: string;
  quiet?: boolean;
}

/** POST /images/load with the archive from -i FILE or stdin. */
export async function loadImages(cli: Cli, opts: LoadOptions): Promise<void> {
  let body: Readable;
  if (opts.input) body = await openFile(opts.input);
  else {
    if (cli.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
    body = cli.stdin;
  }
  const res = await cli.client.call('POST', '/images/load', { query: { quiet: opts.quiet || undefined }, body });
  await showMessages(cli, res, { quiet: opts.quiet });
}

export interface ImportOptions {
  change: string[];
  message?: string;
  platform?: string;
}

/** POST /images/create?fromSrc=… from a file, stdin (`-`) or a URL the daemon downloads. */
export async function importImage(cli: Cli, source: string, reference: string | undefined, opts: ImportOptions): Promise<void> {
  const isUrl = /^https?:\/\//.test(source);
  let body: Readable | undefined;
  if (source === '-') body = cli.stdin;
  else if (!isUrl) body = await openFile(source);
  const ref = reference ? splitReference(reference) : undefined;
  if (ref?.digest) throw new CliError(`invalid reference format: import cannot create a digest reference "${reference}"`);
  const res = await cli.client.call('POST', '/images/create', {
    query: {
      fromSrc: isUrl ? source : '-',
      repo: ref?.repo,
      tag: ref?.tag,
      message: opts.message,
      changes: opts.change.length ? opts.change : undefined,
      platform: opts.platform,
    },
    body,
  });
  await showMessages(cli, res);
}

/** Opens a file for streaming, with docker's message when it is missing. */
async function openFile(path: string): Promise<Readable> {
  const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(err.code === 'ENOENT' ? `open ${path}: no such file or directory` : `open ${path}: ${err.message}`);
  });
  if (s.isDirectory()) throw new CliError(`open ${path}: is a directory`);
  return createReadStream(path);
}
