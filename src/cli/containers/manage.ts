/** The container lifecycle verbs that act on several names and report each: start, stop, kill, … */
import { ApiError } from '../../client/client.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';

const enc = encodeURIComponent;

/** Runs `action` for each name, printing the name on success; errors are collected (exit 1). */
export async function forEach(cli: Cli, names: string[], action: (name: string) => Promise<void>, echo = true): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await action(name);
      if (echo) cli.out(`${name}\n`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push(`Error response from daemon: ${err.message}`);
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
}

async function post(cli: Cli, path: string, query?: Record<string, string | number | boolean | undefined>): Promise<void> {
  const res = await cli.client.call('POST', path, { query });
  res.resume();
}

export const stopContainers = (cli: Cli, names: string[], o: { time?: string; signal?: string }) =>
  forEach(cli, names, (n) => post(cli, `/containers/${enc(n)}/stop`, { t: o.time, signal: o.signal }));
export const restartContainers = (cli: Cli, names: string[], o: { time?: string; signal?: string }) =>
  forEach(cli, names, (n) => post(cli, `/containers/${enc(n)}/restart`, { t: o.time, signal: o.signal }));
export const killContainers = (cli: Cli, names: string[], o: { signal?: string }) =>
  forEach(cli, names, (n) => post(cli, `/containers/${enc(n)}/kill`, { signal: o.signal }));
export const pauseContainers = (cli: Cli, names: string[]) => forEach(cli, names, (n) => post(cli, `/containers/${enc(n)}/pause`));
export const unpauseContainers = (cli: Cli, names: string[]) => forEach(cli, names, (n) => post(cli, `/containers/${enc(n)}/unpause`));
export const renameContainer = (cli: Cli, from: string, to: string) => post(cli, `/containers/${enc(from)}/rename`, { name: to });

export async function removeContainers(cli: Cli, names: string[], o: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void> {
  await forEach(cli, names, async (n) => {
    const res = await cli.client.call('DELETE', `/containers/${enc(n)}`, { query: { force: o.force || undefined, v: o.volumes || undefined, link: o.link || undefined } });
    res.resume();
  });
}

/** Prints each container's exit code; blocks until they stop. */
export async function waitContainers(cli: Cli, names: string[]): Promise<void> {
  await forEach(
    cli,
    names,
    async (n) => {
      const r = await cli.client.json<{ StatusCode: number }>('POST', `/containers/${enc(n)}/wait`);
      cli.out(`${r.StatusCode}\n`);
    },
    false,
  );
}

/** `berth update`: resources and restart policy of running containers. */
export async function updateContainers(cli: Cli, names: string[], body: Record<string, unknown>): Promise<void> {
  await forEach(cli, names, async (n) => {
    const r = await cli.client.json<{ Warnings?: string[] | null }>('POST', `/containers/${enc(n)}/update`, { body });
    for (const w of r?.Warnings ?? []) cli.err(`WARNING: ${w}\n`);
  });
}
