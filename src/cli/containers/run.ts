/**
 * `create` and `run`, following the docker CLI's flow: create (pulling on "No such image"),
 * attach before start when not detached, start, wait, exit with the container's code.
 * Engine and CLI failures exit 125; "executable file not found" 127, "permission denied" 126.
 */
import { ApiError } from '../../client/client.js';
import type { Cli } from '../cli.js';
import { CliError, ExitStatus } from '../errors.js';
import { splitReference } from '../format/ids.js';
import { showMessages } from '../progress.js';
import { buildCreateBody, type CreateFlags } from './create-opts.js';
import { consoleSize, resizeTty, streamSession } from './streams.js';


/** Pulls `image` (docker prints "Unable to find image" first). */
async function pull(cli: Cli, image: string, platform?: string): Promise<void> {
  const { repo, tag, digest } = splitReference(image);
  const res = await cli.client.call('POST', '/images/create', { query: { fromImage: repo, tag: digest ?? tag ?? 'latest', platform } });
  await showMessages(cli, res, { quiet: false });
}

/** Creates the container; returns its ID. Warnings go to stderr as docker prints them. */
export async function createContainer(cli: Cli, image: string, command: string[], flags: CreateFlags): Promise<string> {
  const body = buildCreateBody(image, command, flags);
  const size = flags.tty ? consoleSize(cli) : undefined;
  if (size) body.HostConfig.ConsoleSize = size;
  const query = { name: flags.name, platform: flags.platform };
  const pullPolicy = flags.pull ?? 'missing';
  if (!['missing', 'always', 'never'].includes(pullPolicy)) throw new CliError(`invalid pull option: '${pullPolicy}': must be one of "always", "missing" or "never"`, 125);
  if (pullPolicy === 'always') await pull(cli, image, flags.platform);
  const create = () => cli.client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query, body });
  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await create();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404 || !/image/i.test(err.message) || pullPolicy === 'never') throw err;
    cli.err(`Unable to find image '${image}' locally\n`);
    await pull(cli, image, flags.platform);
    created = await create();
  }
  for (const w of created.Warnings ?? []) cli.err(`WARNING: ${w}\n`);
  return created.Id;
}

/** Maps a start failure to docker's exit codes. */
export function startExitCode(message: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(message)) return 127;
  if (/permission denied|cannot execute/i.test(message)) return 126;
  return 125;
}

async function toEngineError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(`Error response from daemon: ${err.message}`, 125);
    if (err instanceof CliError && err.exitCode === 1) throw new CliError(err.message, 125);
    throw err;
  }
}

export async function runContainer(cli: Cli, image: string, command: string[], flags: CreateFlags): Promise<void> {
  if (flags.detach && flags.rm === undefined) flags.rm = false;
  const id = await toEngineError(createContainer(cli, image, command, flags));
  if (flags.detach) {
    await startOrExit(cli, id);
    cli.out(`${id}\n`);
    return;
  }
  // Wait and attach are both in place before start, so a fast exit and its output are not
  // missed; with --rm wait for removal. They are independent: one round trip for both.
  const settled = await Promise.allSettled([
    cli.client.call('POST', `/containers/${id}/wait`, { query: { condition: flags.rm ? 'removed' : 'next-exit' } }),
    cli.client.hijack('POST', `/containers/${id}/attach`, {
      query: { stream: true, stdin: Boolean(flags.interactive), stdout: true, stderr: true, detachKeys: flags.detachKeys },
    }),
  ]);
  const [waiting, attaching] = settled;
  if (waiting.status === 'rejected' || attaching.status === 'rejected') {
    // The one that succeeded holds a connection: close it.
    if (waiting.status === 'fulfilled') waiting.value.destroy();
    if (attaching.status === 'fulfilled') attaching.value.socket.destroy();
    const failure = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    return toEngineError(Promise.reject(failure.reason));
  }
  const [waitRes, session] = [waiting.value, attaching.value];
  const waited = readWait(waitRes);
  waited.catch(() => undefined); // settled below, or abandoned when start fails
  const streaming = streamSession(cli, {
    ...session,
    tty: Boolean(flags.tty),
    stdin: Boolean(flags.interactive),
    detachKeys: flags.detachKeys,
    resizePath: `/containers/${id}/resize`,
  });
  try {
    await startOrExit(cli, id);
  } catch (err) {
    waitRes.destroy();
    session.socket.destroy();
    streaming.catch(() => undefined);
    throw err;
  }
  // The size sent on attach came before the process existed: send it again now, as docker does.
  if (flags.tty) for (let i = 0; i < 5 && !(await resizeTty(cli, `/containers/${id}/resize`)); i++) await new Promise((r) => setTimeout(r, 50 * (i + 1)));
  const end = await streaming;
  if (end === 'detached') {
    waitRes.destroy();
    return;
  }
  const code = await waited;
  if (code !== 0) throw new ExitStatus(code);
}

async function startOrExit(cli: Cli, id: string): Promise<void> {
  try {
    const res = await cli.client.call('POST', `/containers/${id}/start`);
    res.resume();
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(`Error response from daemon: ${err.message}`, startExitCode(err.message));
    throw err;
  }
}

async function readWait(res: import('node:http').IncomingMessage): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { StatusCode?: number; Error?: { Message?: string } | null };
  if (body.Error?.Message) throw new CliError(body.Error.Message, 125);
  return body.StatusCode ?? 0;
}
