/**
 * `berth build` (and `berth image build`): flags -> BuildOptions -> POST /build. Sends the
 * context as a tar (engine/build/context/tar.ts applies .dockerignore) and shows the classic
 * builder's messages: on a terminal the current step with a live timer and each finished step
 * with its duration or CACHED; otherwise the daemon's lines as they come.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { contextTar } from '../../engine/build/context/tar.js';
import { createCli, type Cli, type GlobalOptions } from '../cli.js';
import { CliError } from '../errors.js';
import { collect } from './shared.js';

export interface BuildOptions {
  tags: string[];
  file?: string;
  buildArgs: string[];
  labels: string[];
  target?: string;
  iidfile?: string;
  quiet?: boolean;
  network?: string;
  secrets: string[];
  noCache?: boolean;
  pull?: boolean;
  platform?: string;
}

/** `KEY=VALUE` (or `KEY`, taking the value from the environment as docker does). */
function keyValues(list: string[], fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (fromEnv && process.env[item] !== undefined) out[item] = process.env[item]!;
      else if (!fromEnv) out[item] = '';
    } else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `--secret id=token,src=./token.txt` (src may be `source`; `env=VAR` reads a variable). */
export function parseSecretFlag(flag: string): { id: string; src: string } {
  const fields = Object.fromEntries(flag.split(',').map((f) => {
    const eq = f.indexOf('=');
    return eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
  }));
  const id = fields.id;
  const src = fields.src ?? fields.source;
  if (!id || !src) throw new CliError(`invalid --secret "${flag}": expected id=<id>,src=<file>`, 125);
  return { id, src };
}

export async function runBuild(cli: Cli, path: string, o: BuildOptions): Promise<void> {
  const secrets = o.secrets.map(parseSecretFlag);
  let body: Readable;
  let dockerfileName = o.file ?? 'Dockerfile';
  if (path === '-') {
    if (secrets.length) throw new CliError('--secret needs a context directory, not -', 125);
    body = cli.stdin;
  } else {
    const tar = await contextTar({ contextDir: path, dockerfile: o.file, secrets });
    body = tar.stream;
    dockerfileName = tar.dockerfileName;
  }
  const query: Record<string, string | string[]> = {
    t: o.tags,
    dockerfile: dockerfileName,
    buildargs: JSON.stringify(keyValues(o.buildArgs, true)),
    labels: JSON.stringify(keyValues(o.labels, false)),
    version: '1',
    rm: '1',
  };
  if (o.target) query.target = o.target;
  if (o.quiet) query.q = '1';
  if (o.network) query.networkmode = o.network;
  if (o.noCache) query.nocache = '1';
  if (o.pull) query.pull = '1';
  if (o.platform) query.platform = o.platform;
  if (secrets.length) query.secrets = JSON.stringify(secrets.map((s) => s.id));
  const res = await cli.client.call('POST', '/build', { query, body });
  const view = cli.stdout.isTTY && !o.quiet ? new TtyView(cli) : undefined;
  let imageId = '';
  let failure: { message: string; code?: number } | undefined;
  let buf = '';
  const handle = (line: string) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line) as { stream?: string; aux?: { ID?: string }; errorDetail?: { message: string; code?: number }; error?: string };
    if (msg.errorDetail || msg.error) failure = { message: msg.errorDetail?.message ?? msg.error ?? 'build failed', code: msg.errorDetail?.code };
    else if (msg.aux?.ID) imageId = msg.aux.ID;
    else if (msg.stream !== undefined && !o.quiet) {
      if (view) view.text(msg.stream);
      else cli.out(msg.stream);
    }
  };
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  handle(buf);
  view?.finish();
  if (failure) throw new CliError(failure.message, failure.code ?? 1);
  if (o.quiet) cli.out(`${imageId}\n`);
  if (o.iidfile) await writeFile(o.iidfile, imageId);
}

/** Live step view: "Step 3/7 : RUN make   (2.1s)" rewritten in place, output below it. */
class TtyView {
  private current?: { title: string; started: number; cached: boolean };
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();
  private steps = 0;
  private cacheHits = 0;

  constructor(private readonly cli: Cli) {}

  text(text: string): void {
    for (const line of text.split(/(?<=\n)/)) this.line(line);
  }

  private line(line: string): void {
    const step = /^Step (\d+\/\d+) : (.*)\n?$/.exec(line);
    if (step) {
      this.endStep();
      this.steps++;
      this.current = { title: `[${step[1]}] ${step[2]}`, started: Date.now(), cached: false };
      this.render();
      this.timer = setInterval(() => this.render(), 100);
      return;
    }
    if (line.startsWith(' ---> Using cache')) {
      if (this.current) this.current.cached = true;
      this.cacheHits++;
      return;
    }
    if (line.startsWith(' ---> ')) return;
    this.clearLine();
    this.cli.out(`  ${line}`);
    this.render();
  }

  private clearLine(): void {
    this.cli.out('\r\x1b[2K');
  }

  private render(): void {
    if (!this.current) return;
    const secs = ((Date.now() - this.current.started) / 1000).toFixed(1);
    this.clearLine();
    this.cli.out(`${this.current.title.slice(0, (this.cli.stdout.columns ?? 100) - 20)}  ${secs}s`);
  }

  private endStep(): void {
    if (this.timer) clearInterval(this.timer);
    if (!this.current) return;
    const secs = ((Date.now() - this.current.started) / 1000).toFixed(1);
    this.clearLine();
    this.cli.out(`${this.current.title}  ${this.current.cached ? 'CACHED' : `${secs}s`}\n`);
    this.current = undefined;
  }

  finish(): void {
    this.endStep();
    this.cli.out(`Built in ${((Date.now() - this.started) / 1000).toFixed(1)}s: ${this.steps} steps, ${this.cacheHits} from cache\n`);
  }
}

function defineBuild(getCli: () => Cli) {
  return (cmd: Command) =>
    cmd
      .description('Build an image from a Dockerfile')
      .argument('<PATH|->')
      .option('-t, --tag <name>', 'Name and optionally a tag in the "name:tag" format', collect, [])
      .option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
      .option('--build-arg <list>', 'Set build-time variables', collect, [])
      .option('--label <list>', 'Set metadata for an image', collect, [])
      .option('--target <string>', 'Set the target build stage to build')
      .option('--iidfile <string>', 'Write the image ID to the file')
      .option('-q, --quiet', 'Suppress the build output and print image ID on success')
      .option('--network <string>', 'Set the networking mode for the RUN instructions during build (default, host, none)')
      .option('--secret <stringArray>', 'Secret to expose to the build: id=mysecret,src=/local/secret', collect, [])
      .option('--no-cache', 'Do not use cache when building the image')
      .option('--pull', 'Always attempt to pull a newer version of the image')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      .action((path: string, o: { tag: string[]; file?: string; buildArg: string[]; label: string[]; target?: string; iidfile?: string; quiet?: boolean; network?: string; secret: string[]; cache: boolean; pull?: boolean; platform?: string }) =>
        runBuild(getCli(), path, {
          tags: o.tag, file: o.file, buildArgs: o.buildArg, labels: o.label, target: o.target, iidfile: o.iidfile, quiet: o.quiet,
          network: o.network, secrets: o.secret, noCache: !o.cache, pull: o.pull, platform: o.platform,
        }),
      );
}

/** Registers `build` and `image build`. Without `getCli`, one is made from the program's global options. */
export function registerBuildCommand(program: Command, getCli?: () => Cli): void {
  let cli: Cli | undefined;
  const factory = getCli ?? (() => (cli ??= createCli(program.opts<GlobalOptions>())));
  defineBuild(factory)(program.command('build'));
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) defineBuild(factory)(image.command('build'));
}
