/**
 * `berth pull`, `push`, `login`, `logout`, `search`. Credentials come from the docker CLI's
 * config.json (auths, credsStore, credHelpers) and travel as X-Registry-Auth; progress shows
 * as bars on a terminal and as plain lines otherwise.
 */
import type { IncomingMessage } from 'node:http';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { JSONMessage } from '../../client/client.js';
import { DockerConfig, registryAuthHeader, registryOfImage } from '../../registry/client/docker-config.js';
import { createCli, type Cli, type GlobalOptions } from '../cli.js';
import { CliError } from '../errors.js';
import { addCommand, type CliFactory } from './shared.js';

/** Docker's wording for a host in messages: Docker Hub's index URL for docker.io. */
function loginTarget(server: string | undefined): string {
  if (!server) return 'docker.io';
  return server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') || 'docker.io';
}

async function authHeaderFor(image: string): Promise<string> {
  return registryAuthHeader(await new DockerConfig().get(registryOfImage(image)));
}

/** Renders a JSON progress stream: one bar per layer on a TTY, docker's plain lines otherwise. */
async function renderProgress(cli: Cli, res: IncomingMessage, opts: { quiet?: boolean } = {}): Promise<JSONMessage[]> {
  const seen: JSONMessage[] = [];
  const tty = Boolean(cli.stdout.isTTY) && !opts.quiet;
  const multi = tty
    ? new cliProgress.MultiBar({ format: '{id}: {status} [{bar}] {size}', hideCursor: true, clearOnComplete: false, stream: cli.stdout }, cliProgress.Presets.shades_classic)
    : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  try {
    for await (const msg of cli.client.messages(res)) {
      seen.push(msg);
      if (opts.quiet || msg.status === undefined) continue;
      if (!msg.id || !multi) {
        if (multi) multi.log(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
        else cli.out(msg.id ? `${msg.id}: ${msg.status}\n` : `${msg.status}\n`);
        continue;
      }
      const total = msg.progressDetail?.total ?? 0;
      const current = msg.progressDetail?.current ?? 0;
      const payload = { id: msg.id, status: msg.status.padEnd(18), size: total ? msg.progress?.replace(/^\[.*\]\s*/, '') ?? '' : '' };
      let bar = bars.get(msg.id);
      if (!bar) {
        bar = multi.create(Math.max(total, 1), current, payload);
        bars.set(msg.id, bar);
      } else {
        if (total) bar.setTotal(total);
        bar.update(total ? current : bar.getTotal(), payload);
      }
    }
  } finally {
    multi?.stop();
  }
  return seen;
}

export interface PullOptions {
  platform?: string;
  quiet?: boolean;
}

export async function pullImage(cli: Cli, image: string, opts: PullOptions): Promise<void> {
  let name = image;
  let tag: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) [name, tag] = [name.slice(0, at), name.slice(at + 1)];
  else {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) [name, tag] = [name.slice(0, colon), name.slice(colon + 1)];
  }
  if (!tag) {
    tag = 'latest';
    if (!opts.quiet) cli.out('Using default tag: latest\n');
  }
  const res = await cli.client.call('POST', '/images/create', {
    query: { fromImage: name, tag, platform: opts.platform },
    headers: { 'X-Registry-Auth': await authHeaderFor(name) },
  });
  await renderProgress(cli, res, { quiet: opts.quiet });
  cli.out(`${at >= 0 ? `${name}@${tag}` : `${name}:${tag}`}\n`);
}

export async function pushImage(cli: Cli, image: string, opts: { quiet?: boolean; allTags?: boolean }): Promise<void> {
  let name = image;
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) [name, tag] = [name.slice(0, colon), name.slice(colon + 1)];
  if (!tag && !opts.allTags) tag = 'latest';
  const res = await cli.client.call('POST', `/images/${encodeURIComponent(name)}/push`, {
    query: { tag },
    headers: { 'X-Registry-Auth': await authHeaderFor(name) },
  });
  const messages = await renderProgress(cli, res, { quiet: opts.quiet });
  if (opts.quiet) cli.out(`${image}\n`);
  if (!messages.some((m) => m.aux)) throw new CliError('push finished without a manifest digest');
}

export interface LoginOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

async function readStdin(cli: Cli): Promise<string> {
  let text = '';
  for await (const chunk of cli.stdin as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

export async function login(cli: Cli, server: string | undefined, opts: LoginOptions): Promise<void> {
  const host = loginTarget(server);
  const config = new DockerConfig();
  let { username, password } = opts;
  if (opts.passwordStdin) {
    if (opts.password) throw new CliError('--password and --password-stdin are mutually exclusive');
    if (!username) throw new CliError('Must provide --username with --password-stdin');
    password = await readStdin(cli);
  }
  if (!username || password === undefined) {
    const stored = await config.get(host);
    if (!stored) throw new CliError('Error: Cannot perform an interactive login from a non TTY device: use --username and --password-stdin');
    username ??= stored.username;
    password ??= stored.password;
  }
  if (opts.password) cli.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  const serveraddress = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
  await cli.client.json('POST', '/auth', { body: { username, password, serveraddress } });
  const where = await config.store(host, username, password);
  if (where.endsWith('config.json')) cli.err(`WARNING! Your password will be stored unencrypted in ${where}.\n`);
  cli.out('Login Succeeded\n');
}

export async function logout(cli: Cli, server: string | undefined): Promise<void> {
  const host = loginTarget(server);
  const shown = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
  if (!(await new DockerConfig().erase(host))) cli.out(`Not logged in to ${shown}\n`);
  else cli.out(`Removing login credentials for ${shown}\n`);
}

interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
}

export async function search(cli: Cli, term: string, opts: { limit?: string; format?: string }): Promise<void> {
  const limit = opts.limit ? Number(opts.limit) : 25;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CliError('limit must be between 1 and 100');
  const results = await cli.client.json<SearchResult[]>('GET', '/images/search', { query: { term, limit }, headers: { 'X-Registry-Auth': await authHeaderFor(term) } });
  if (opts.format === 'json') {
    for (const r of results) cli.out(`${JSON.stringify(r)}\n`);
    return;
  }
  const width = Math.max(4, ...results.map((r) => r.name.length)) + 3;
  cli.out(`${'NAME'.padEnd(width)}${'DESCRIPTION'.padEnd(40)}${'STARS'.padEnd(8)}OFFICIAL\n`);
  for (const r of results) cli.out(`${r.name.padEnd(width)}${r.description.slice(0, 37).padEnd(40)}${String(r.star_count).padEnd(8)}${r.is_official ? '[OK]' : ''}\n`);
}

/** Adds pull, push, login, logout and search (also under `image`: `image pull`, `image push`). */
export function registerDistributionCommands(program: Command, cliFactory?: CliFactory): void {
  let own: Cli | undefined;
  const cli: CliFactory = cliFactory ?? (() => (own ??= createCli(program.opts<GlobalOptions>())));
  const definePull = (cmd: Command) =>
    cmd
      .description('Download an image from a registry')
      .argument('<NAME[:TAG|@DIGEST]>')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      .option('-q, --quiet', 'Suppress verbose output')
      .action((image: string, o: PullOptions) => pullImage(cli(), image, o));
  const definePush = (cmd: Command) =>
    cmd
      .description('Upload an image to a registry')
      .argument('<NAME[:TAG]>')
      .option('-a, --all-tags', 'Push all tags of an image to the repository')
      .option('-q, --quiet', 'Suppress verbose output')
      .action((image: string, o: { quiet?: boolean; allTags?: boolean }) => pushImage(cli(), image, o));
  addCommand(program, 'pull', definePull);
  addCommand(program, 'push', definePush);
  const imageGroup = program.commands.find((c) => c.name() === 'image');
  if (imageGroup) {
    addCommand(imageGroup, 'pull', definePull);
    addCommand(imageGroup, 'push', definePush);
  }
  addCommand(program, 'login', (cmd) =>
    cmd
      .description('Authenticate to a registry')
      .argument('[SERVER]')
      .option('-u, --username <string>', 'Username')
      .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
      .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
      .action((server: string | undefined, o: LoginOptions) => login(cli(), server, o)),
  );
  addCommand(program, 'logout', (cmd) =>
    cmd
      .description('Log out from a registry')
      .argument('[SERVER]')
      .action((server: string | undefined) => logout(cli(), server)),
  );
  addCommand(program, 'search', (cmd) =>
    cmd
      .description('Search a registry for images (REGISTRY/TERM searches its v2 catalog)')
      .argument('<TERM>')
      .option('--limit <int>', 'Max number of search results')
      .option('--format <string>', "Output format: 'table' (default) or 'json'")
      .action((term: string, o: { limit?: string; format?: string }) => search(cli(), term, o)),
  );
}
