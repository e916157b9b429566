/** exec, attach, start -a and commit: the commands that join a running container. */
import type { Cli } from '../cli.js';
import { CliError, ExitStatus } from '../errors.js';
import { splitReference } from '../format/ids.js';
import { consoleSize, streamSession } from './streams.js';

const enc = encodeURIComponent;

export interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  user?: string;
  workdir?: string;
  env: string[];
  privileged?: boolean;
  detachKeys?: string;
}

export async function execInContainer(cli: Cli, name: string, cmd: string[], o: ExecOptions): Promise<void> {
  const { Id } = await cli.client.json<{ Id: string }>('POST', `/containers/${enc(name)}/exec`, {
    body: { ConsoleSize: o.tty ? consoleSize(cli) : undefined, AttachStdin: Boolean(o.interactive) && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach, Tty: Boolean(o.tty), Cmd: cmd, Env: o.env, User: o.user ?? '', WorkingDir: o.workdir ?? '', Privileged: Boolean(o.privileged), DetachKeys: o.detachKeys ?? '' },
  });
  if (o.detach) {
    (await cli.client.call('POST', `/exec/${Id}/start`, { body: { Detach: true, Tty: Boolean(o.tty) } })).resume();
    return;
  }
  const session = await cli.client.hijack('POST', `/exec/${Id}/start`, { body: { Detach: false, Tty: Boolean(o.tty), ConsoleSize: o.tty ? consoleSize(cli) : undefined } });
  const end = await streamSession(cli, { ...session, tty: Boolean(o.tty), stdin: Boolean(o.interactive), detachKeys: o.detachKeys, resizePath: `/exec/${Id}/resize` });
  if (end === 'detached') return;
  const inspect = await cli.client.get<{ ExitCode: number | null }>(`/exec/${Id}/json`);
  if (inspect.ExitCode) throw new ExitStatus(inspect.ExitCode);
}

export interface AttachOptions {
  stdin: boolean;
  detachKeys?: string;
  sigProxy: boolean;
}

/** Attaches to a running container; exits with its code when it stops. */
export async function attachContainer(cli: Cli, name: string, o: AttachOptions): Promise<void> {
  const info = await cli.client.get<{ Id: string; Config: { Tty: boolean; OpenStdin: boolean }; State: { Running: boolean; Paused: boolean } }>(`/containers/${enc(name)}/json`);
  if (!info.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first');
  const stdin = o.stdin && info.Config.OpenStdin;
  const session = await cli.client.hijack('POST', `/containers/${info.Id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys } });
  // --sig-proxy: without a TTY, forward SIGINT/SIGTERM to the container.
  const proxy = (signal: NodeJS.Signals) => () => void cli.client.request('POST', `/containers/${info.Id}/kill`, { query: { signal } }).then((r) => r.resume(), () => {});
  const handlers = o.sigProxy && !info.Config.Tty ? (['SIGINT', 'SIGTERM'] as const).map((s) => [s, proxy(s)] as const) : [];
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const end = await streamSession(cli, { ...session, tty: info.Config.Tty, stdin, detachKeys: o.detachKeys, resizePath: `/containers/${info.Id}/resize` });
    if (end === 'detached') return;
    const r = await cli.client.json<{ StatusCode: number }>('POST', `/containers/${info.Id}/wait`);
    if (r.StatusCode) throw new ExitStatus(r.StatusCode);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

export async function startContainers(cli: Cli, names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<void> {
  if (!o.attach && !o.interactive) {
    const { forEach } = await import('./manage.js');
    await forEach(cli, names, async (n) => {
      (await cli.client.call('POST', `/containers/${enc(n)}/start`, { query: { detachKeys: o.detachKeys } })).resume();
    });
    return;
  }
  if (names.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
  const name = names[0]!;
  const info = await cli.client.get<{ Id: string; Config: { Tty: boolean } }>(`/containers/${enc(name)}/json`);
  const session = await cli.client.hijack('POST', `/containers/${info.Id}/attach`, { query: { stream: true, stdin: Boolean(o.interactive), stdout: true, stderr: true, detachKeys: o.detachKeys } });
  const streaming = streamSession(cli, { ...session, tty: info.Config.Tty, stdin: Boolean(o.interactive), detachKeys: o.detachKeys, resizePath: `/containers/${info.Id}/resize` });
  (await cli.client.call('POST', `/containers/${info.Id}/start`)).resume();
  if ((await streaming) === 'detached') return;
  const r = await cli.client.json<{ StatusCode: number }>('POST', `/containers/${info.Id}/wait`);
  if (r.StatusCode) throw new ExitStatus(r.StatusCode);
}

export async function commitContainer(cli: Cli, name: string, reference: string | undefined, o: { change: string[]; message?: string; author?: string; pause: boolean }): Promise<void> {
  const ref = reference ? splitReference(reference) : undefined;
  const r = await cli.client.json<{ Id: string }>('POST', '/commit', {
    query: { container: name, repo: ref?.repo, tag: ref?.tag, comment: o.message, author: o.author, pause: o.pause, changes: o.change.length ? o.change : undefined },
    body: {},
  });
  cli.out(`${r.Id}\n`);
}
