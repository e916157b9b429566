/**
 * Container streams: attach (hijacked or plain), logs, resize.
 *
 * `docker run` (not detached) does create → attach → wait(next-exit) → start: the attach
 * answers `101` at once and connects to the process' streams right after the runtime
 * creates it (ContainerService.attachStreams), so no output is lost.
 */
import type { ContainerService } from '../../engine/containers/service.js';
import { containerLogBatches, containerLogs, dockerTimestamp, parseLogTime, parseTail } from '../../engine/containers/logs.js';
import type { Container } from '../../engine/containers/model.js';
import type { AttachStream } from '../../runtime/attach.js';
import { ConflictError, InvalidParameterError } from '../../util/errors.js';
import { notRunning } from '../../engine/containers/errors.js';
import { log } from '../../util/log.js';
import { queryBool, queryInt, sendEmpty, type RequestContext } from '../http.js';
import type { ApiRouter } from '../router.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../streams/detach-keys.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, hijack } from '../streams/hijack.js';
import { STDERR, STDOUT, frameHeader, outputSink, writeWithBackpressure, type OutputSink } from '../streams/mux.js';
import { assertLogsReadable } from '../../engine/logging/options.js';
import { runSession } from '../streams/session.js';

export function registerContainerStreamRoutes(router: ApiRouter, containers: ContainerService): void {
  router.post('/containers/:id/attach', (ctx) => attachContainer(ctx, containers));

  router.get('/containers/:id/logs', (ctx) => containerLogsRoute(ctx, containers));

  router.post('/containers/:id/resize', async ({ res, params, query }) => {
    const c = containers.store.mustFind(params.id!);
    const h = queryInt(query, 'h', 0)!;
    const w = queryInt(query, 'w', 0)!;
    if (h < 0 || w < 0) throw new InvalidParameterError('invalid terminal size');
    if (!c.state.Running) throw notRunning(c.id);
    await containers.deps.runtime.resize(c.id, h, w);
    sendEmpty(res, 200);
  });
}

/** Sends the container's log (as written so far) into `sink`. */
async function replayLogs(containers: ContainerService, c: Container, sink: OutputSink, o: { stdout: boolean; stderr: boolean }): Promise<void> {
  for await (const e of containerLogs(containers, c.id, { follow: false, stdout: o.stdout, stderr: o.stderr })) {
    await sink(e.stream === 'stderr' ? STDERR : STDOUT, Buffer.from(e.line + (e.complete ? '\n' : '')));
  }
}

async function attachContainer(ctx: RequestContext, containers: ContainerService): Promise<void> {
  const { params, query } = ctx;
  const c = containers.store.mustFind(params.id!);
  const stream = queryBool(query, 'stream');
  const logs = queryBool(query, 'logs');
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  const detachKeys = parseDetachKeys(query.get('detachKeys') || DEFAULT_DETACH_KEYS);
  // Docker names the container as the client did here.
  if (c.state.Paused) throw new ConflictError(`container ${params.id} is paused, unpause the container before attach`);
  if (c.state.Restarting) throw new ConflictError(`container ${params.id} is restarting, wait until the container is running`);
  const tty = c.config.Tty === true;

  const client = hijack(ctx, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  containers.event(c, 'attach');
  try {
    if (logs) await replayLogs(containers, c, outputSink(client.output, { tty }), { stdout, stderr });
    if (!stream) {
      client.end();
      return;
    }
    const io = await Promise.race([containers.attachStreams(c.id), client.closed.then(() => undefined)]);
    if (!io) {
      // The client left before the container started: close the streams when they come.
      void containers.attachStreams(c.id).then((late: AttachStream) => late.close(), () => undefined);
      return;
    }
    await runSession({
      io,
      client,
      tty,
      stdin: stdin && c.config.OpenStdin === true,
      stdout,
      stderr,
      detachKeys,
      closeStdin: c.config.StdinOnce === true,
    });
  } catch (err) {
    // The start failed, or the process is already gone: the stream just ends.
    log.debug('attach ended with an error', { id: c.id, err: (err as Error).message });
    client.end();
  }
}

async function containerLogsRoute(ctx: RequestContext, containers: ContainerService): Promise<void> {
  const { res, params, query } = ctx;
  const c = containers.store.mustFind(params.id!);
  // `none` keeps no local log: Docker answers 501 rather than an empty stream.
  assertLogsReadable(c.hostConfig.LogConfig, { driver: 'json-file', opts: {} });
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
  const follow = queryBool(query, 'follow');
  const timestamps = queryBool(query, 'timestamps');
  const since = parseLogTime(query.get('since'), 'since');
  const until = parseLogTime(query.get('until'), 'until');
  const tail = parseTail(query.get('tail'));
  const tty = c.config.Tty === true;

  const ac = new AbortController();
  // 'close' on the response: finished, or the connection went away.
  res.once('close', () => ac.abort());
  const batches = containerLogBatches(containers, c.id, { follow, stdout, stderr, since, until, tail, signal: ac.signal });
  res.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM });
  res.flushHeaders();
  try {
    // One socket write per batch read from the log, whatever its number of lines.
    for await (const batch of batches) {
      if (ac.signal.aborted) break;
      const parts: Buffer[] = [];
      for (const e of batch) {
        const line = e.line + (e.complete ? '\n' : '');
        const data = Buffer.from(timestamps ? `${dockerTimestamp(e.timestamp)} ${line}` : line);
        if (!tty) parts.push(frameHeader(e.stream === 'stderr' ? STDERR : STDOUT, data.length));
        parts.push(data);
      }
      await writeWithBackpressure(res, Buffer.concat(parts));
    }
  } catch (err) {
    if (!ac.signal.aborted) log.debug('log stream failed', { id: c.id, err: (err as Error).message });
  }
  if (!res.writableEnded) res.end();
}
