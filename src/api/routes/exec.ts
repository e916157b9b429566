/**
 * Exec: `POST /containers/{id}/exec` (create), `POST /exec/{id}/start` (hijacked unless
 * Detach), `GET /exec/{id}/json`, `POST /exec/{id}/resize`.
 *
 * The docker CLI reads the exit code from `GET /exec/{id}/json` right after the stream
 * ends, so the stream ends only once the exit code is recorded. A command that cannot start
 * is reported inside the stream (as dockerd does) with ExitCode 126/127.
 */
import { z } from 'zod';
import type { ContainerService } from '../../engine/containers/service.js';
import { ExecManager, type ExecConfig } from '../../engine/containers/exec.js';
import { dockerRuntimeMessage } from '../../runtime/runtime-errors.js';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';
import { queryInt, readJSON, sendEmpty, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../streams/detach-keys.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, hijack, readUpgradeJSON } from '../streams/hijack.js';
import { STDOUT, outputSink } from '../streams/mux.js';
import { runSession } from '../streams/session.js';

const consoleSize = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullish();

const CreateBody = z
  .object({
    AttachStdin: z.boolean().optional(),
    AttachStdout: z.boolean().optional(),
    AttachStderr: z.boolean().optional(),
    Tty: z.boolean().optional(),
    Env: z.array(z.string()).nullish(),
    Cmd: z.array(z.string()).nullish(),
    User: z.string().optional(),
    WorkingDir: z.string().optional(),
    Privileged: z.boolean().optional(),
    DetachKeys: z.string().optional(),
    ConsoleSize: consoleSize,
  })
  .passthrough();

const StartBody = z.object({ Detach: z.boolean().optional(), Tty: z.boolean().optional(), ConsoleSize: consoleSize }).passthrough();

export function registerExecRoutes(router: ApiRouter, containers: ContainerService): ExecManager {
  const execs = new ExecManager(containers);

  router.post('/containers/:id/exec', async ({ req, res, params }) => {
    const body = await readJSON(req, CreateBody);
    if (!body.Cmd || body.Cmd.length === 0) throw new InvalidParameterError('No exec command specified');
    if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
    if (body.WorkingDir && !body.WorkingDir.startsWith('/')) throw new InvalidParameterError(`the working directory '${body.WorkingDir}' is invalid, it needs to be an absolute path`);
    const config: ExecConfig = { ...body, Cmd: body.Cmd };
    sendJSON(res, 201, { Id: execs.create(params.id!, config) });
  });

  router.post('/exec/:id/start', async (ctx) => {
    const body = ctx.upgrade ? await readUpgradeJSON(ctx, StartBody) : await readJSON(ctx.req, StartBody);
    const r = execs.get(ctx.params.id!);
    if (body.Detach) {
      await execs.start(r.id, { tty: body.Tty, consoleSize: body.ConsoleSize, detach: true });
      sendEmpty(ctx.res, 200);
      return;
    }
    const tty = body.Tty ?? r.config.Tty === true;
    // Refuse before hijacking what can be refused with a status code.
    execs.assertStartable(r.id);
    const client = hijack(ctx, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
    try {
      const started = await execs.start(r.id, { tty, consoleSize: body.ConsoleSize });
      const io = started.session?.io;
      if (!io) {
        await execs.exited(r.id);
        client.end();
        return;
      }
      await runSession({
        io,
        client,
        tty,
        stdin: r.config.AttachStdin === true,
        stdout: r.config.AttachStdout !== false,
        stderr: r.config.AttachStderr !== false,
        detachKeys: parseDetachKeys(r.config.DetachKeys || DEFAULT_DETACH_KEYS),
        closeStdin: true,
        beforeEnd: async () => {
          await execs.exited(r.id);
        },
      });
    } catch (err) {
      await outputSink(client.output, { tty })(STDOUT, Buffer.from(`${execStartFailure(err)}\r\n`)).catch(() => undefined);
      client.end();
    }
  });

  router.get('/exec/:id/json', ({ res, params }) => {
    sendJSON(res, 200, execs.inspect(params.id!));
  });

  router.post('/exec/:id/resize', async ({ res, params, query }) => {
    const h = queryInt(query, 'h', 0)!;
    const w = queryInt(query, 'w', 0)!;
    if (h < 0 || w < 0) throw new InvalidParameterError('invalid terminal size');
    await execs.resize(params.id!, h, w);
    sendEmpty(res, 200);
  });

  return execs;
}

/**
 * What an exec that could not start prints, as dockerd: berthd's own refusal (a user or group
 * the container does not have) as it is; the runtime's in runc's words under containerd's prefix.
 */
function execStartFailure(err: unknown): string {
  if (err instanceof InvalidParameterError) return err.message;
  const m = dockerRuntimeMessage(errorMessage(err));
  const processFailed = /^(exec: |chdir to cwd )/.test(m);
  return `OCI runtime exec failed: ${processFailed ? `exec failed: unable to start container process: ${m}` : m}: unknown`;
}
