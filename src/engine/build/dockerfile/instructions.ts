/**
 * AST -> typed instructions (the second stage of the pipeline, after parser.ts).
 *
 * Each instruction keeps `original` (the logical line, used for history `created_by` and the
 * classic "Step N/M : ..." output) and its line range. Values are stored as written: variable
 * expansion needs the build-time environment, so the builder calls `expandInstruction` just
 * before it executes each instruction (see expand.ts for which instructions expand).
 *
 * Example: `COPY --from=build --chmod=755 /out/app /usr/bin/` becomes
 *   { kind: 'COPY', line: 7, endLine: 7, original: 'COPY --from=build ...', from: 'build',
 *     chmod: '755', sources: ['/out/app'], heredocSources: [], dest: '/usr/bin/', link: false,
 *     parents: false, excludes: [] }
 */
import { DockerfileParseError } from './errors.js';
import { ShellLexer, type EscapeToken, type ShellEnv } from './expand.js';
import { parseGoDuration } from '../../../util/go-duration.js';
import { ParsedFlags, type FlagSpec } from './flags.js';
import { parseMount, type RunMount } from './mounts.js';
import {
  chompHeredocContent, parseDockerfile, parseHeredoc, type DockerfileAst, type DockerfileNode, type ParseOptions,
} from './parser.js';

interface Base {
  /** 1-based line range of the instruction in the Dockerfile. */
  line: number;
  endLine: number;
  /** The instruction as written (continuations joined). */
  original: string;
}

/** A command in shell form (`RUN echo hi` -> ['echo hi'], run through SHELL) or exec form. */
export interface CommandLine {
  args: string[];
  /** True for shell form: the builder prepends the image's SHELL (default `/bin/sh -c`). */
  prependShell: boolean;
}

/** A heredoc passed to RUN as a file (`RUN <<EOF`), or given to COPY/ADD as a source. */
export interface InlineFile {
  name: string;
  data: string;
  /** Whether build variables are expanded in `data` (delimiter not quoted). */
  expand: boolean;
  /** `<<-` (tabs already stripped for COPY/ADD sources, kept for RUN which handles them itself). */
  chomp: boolean;
}

export interface FromInstruction extends Base {
  kind: 'FROM';
  image: string;
  /** Lower-cased `AS` name. */
  stageName?: string;
  platform?: string;
}
export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandLine;
  /** Heredocs on the line; for `RUN <<EOF` (no other command) the first one is the script. */
  files: InlineFile[];
  /** `--mount` values as written, re-parsed with variables at build time. */
  mountSpecs: string[];
  mounts: RunMount[];
  network: 'default' | 'none' | 'host';
  security: 'sandbox' | 'insecure';
}
export interface CmdInstruction extends Base {
  kind: 'CMD';
  command: CommandLine;
}
export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}
export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}
export interface KeyValuePair {
  key: string;
  value: string;
}
export interface EnvInstruction extends Base {
  kind: 'ENV';
  env: KeyValuePair[];
}
export interface LabelInstruction extends Base {
  kind: 'LABEL';
  labels: KeyValuePair[];
}
export interface ArgDefinition {
  key: string;
  /** undefined for `ARG NAME` without a default. */
  defaultValue?: string;
}
export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}
export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: string[];
}
export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  volumes: string[];
}
export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}
export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}
export interface StopSignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}
export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}
interface CopyLike extends Base {
  sources: string[];
  heredocSources: InlineFile[];
  dest: string;
  chown?: string;
  /** As written (octal once expanded, e.g. `755`). */
  chmod?: string;
  link: boolean;
  excludes: string[];
}
export interface CopyInstruction extends CopyLike {
  kind: 'COPY';
  /** Stage name, stage index or image reference. */
  from?: string;
  parents: boolean;
}
export interface AddInstruction extends CopyLike {
  kind: 'ADD';
  checksum?: string;
  /** undefined when the flag was not given (then git sources drop .git, as Docker does). */
  keepGitDir?: boolean;
  unpack?: boolean;
}
/** Docker's HealthConfig; durations in nanoseconds, 0 meaning "inherit / default". */
export interface HealthConfig {
  /** ['NONE'], ['CMD', ...exec args] or ['CMD-SHELL', 'command line']. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  health: HealthConfig;
}
export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger text stored in the image config (`RUN make`), heredoc bodies appended. */
  expression: string;
  trigger: Instruction;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction
  | EnvInstruction | LabelInstruction | ArgInstruction | ExposeInstruction | VolumeInstruction
  | WorkdirInstruction | UserInstruction | StopSignalInstruction | MaintainerInstruction
  | CopyInstruction | AddInstruction | HealthcheckInstruction | OnbuildInstruction;

export type InstructionKind = Instruction['kind'];

const NO_FLAGS: FlagSpec = {};
const RUN_FLAGS: FlagSpec = { mount: 'strings', network: 'string', security: 'string' };
const COPY_FLAGS: FlagSpec = { chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' };
const ADD_FLAGS: FlagSpec = {
  chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool', exclude: 'strings',
};
const HEALTHCHECK_FLAGS: FlagSpec = {
  interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string',
};

const errAtLeastOne = (k: string): Error => new Error(`${k} requires at least one argument`);
const errExactlyOne = (k: string): Error => new Error(`${k} requires exactly one argument`);

export interface ParsedDockerfile {
  ast: DockerfileAst;
  instructions: Instruction[];
}

/** Text -> AST -> instructions, with errors located as `Dockerfile:N: ...`. */
export function parseInstructions(text: string, options: ParseOptions = {}): ParsedDockerfile {
  const ast = parseDockerfile(text, options);
  const fileName = options.fileName ?? 'Dockerfile';
  const instructions = ast.nodes.map((node) => instructionFromNode(node, { fileName, escapeToken: ast.escapeToken }));
  return { ast, instructions };
}

export function instructionFromNode(node: DockerfileNode, ctx: { fileName: string; escapeToken: EscapeToken }): Instruction {
  try {
    return buildInstruction(node, node.heredocs);
  } catch (err) {
    if (err instanceof DockerfileParseError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new DockerfileParseError({ fileName: ctx.fileName, line: node.startLine, endLine: node.endLine, detail, cause: err });
  }
}

function base(node: DockerfileNode): Base {
  return { line: node.startLine, endLine: node.endLine, original: node.original };
}

function commandLine(node: DockerfileNode): CommandLine {
  if (node.json) return { args: [...node.args], prependShell: false };
  return { args: node.args.length === 0 ? [] : [node.args.join(' ')], prependShell: true };
}

function buildInstruction(node: DockerfileNode, heredocs: DockerfileNode['heredocs']): Instruction {
  const flagsFor = (spec: FlagSpec): ParsedFlags => new ParsedFlags(spec, node.flags);
  const b = base(node);
  switch (node.keyword) {
    case 'FROM': {
      const flags = flagsFor({ platform: 'string' });
      const args = node.args;
      let stageName: string | undefined;
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        stageName = args[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
          throw new Error(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) {
        throw new Error('FROM requires either one or three arguments');
      }
      return { kind: 'FROM', ...b, image: args[0]!, stageName, platform: flags.string('platform') };
    }
    case 'RUN': {
      const flags = flagsFor(RUN_FLAGS);
      const network = flags.string('network') ?? 'default';
      if (network !== 'default' && network !== 'none' && network !== 'host') throw new Error(`invalid network mode "${network}"`);
      const security = flags.string('security') ?? 'sandbox';
      if (security !== 'sandbox' && security !== 'insecure') throw new Error(`security "${security}" is not valid`);
      const mountSpecs = flags.list('mount');
      return {
        kind: 'RUN', ...b, command: commandLine(node),
        files: heredocs.map((h) => ({ name: h.name, data: h.content, expand: h.expand, chomp: h.chomp })),
        mountSpecs, mounts: mountSpecs.map((spec) => parseMount(spec)), network, security,
      };
    }
    case 'CMD':
      flagsFor(NO_FLAGS);
      return { kind: 'CMD', ...b, command: commandLine(node) };
    case 'ENTRYPOINT':
      flagsFor(NO_FLAGS);
      return { kind: 'ENTRYPOINT', ...b, command: commandLine(node) };
    case 'SHELL':
      flagsFor(NO_FLAGS);
      if (node.args.length === 0) throw errAtLeastOne('SHELL');
      if (!node.json) throw new Error('SHELL requires the arguments to be in JSON form');
      return { kind: 'SHELL', ...b, shell: [...node.args] };
    case 'ENV':
    case 'LABEL': {
      flagsFor(NO_FLAGS);
      const pairs = node.keyValues ?? [];
      if (pairs.length === 0) throw errAtLeastOne(node.keyword);
      if (pairs.some((p) => p.key === '')) throw new Error(`${node.keyword} names can not be blank`);
      const kv = pairs.map((p) => ({ key: p.key, value: p.value }));
      return node.keyword === 'ENV' ? { kind: 'ENV', ...b, env: kv } : { kind: 'LABEL', ...b, labels: kv };
    }
    case 'ARG': {
      if (node.args.length === 0) throw errAtLeastOne('ARG');
      flagsFor(NO_FLAGS);
      const args = node.args.map((word): ArgDefinition => {
        const eq = word.indexOf('=');
        if (eq < 0) return { key: word };
        if (eq === 0) throw new Error('ARG names can not be blank');
        return { key: word.slice(0, eq), defaultValue: word.slice(eq + 1) };
      });
      return { kind: 'ARG', ...b, args };
    }
    case 'EXPOSE':
      if (node.args.length === 0) throw errAtLeastOne('EXPOSE');
      flagsFor(NO_FLAGS);
      return { kind: 'EXPOSE', ...b, ports: [...node.args].sort() };
    case 'VOLUME': {
      if (node.args.length === 0) throw errAtLeastOne('VOLUME');
      flagsFor(NO_FLAGS);
      const volumes = node.args.map((v) => v.trim());
      if (volumes.some((v) => v === '')) throw new Error('VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...b, volumes };
    }
    case 'WORKDIR':
      if (node.args.length !== 1) throw errExactlyOne('WORKDIR');
      flagsFor(NO_FLAGS);
      return { kind: 'WORKDIR', ...b, path: node.args[0]! };
    case 'USER':
      if (node.args.length !== 1) throw errExactlyOne('USER');
      flagsFor(NO_FLAGS);
      return { kind: 'USER', ...b, user: node.args[0]! };
    case 'STOPSIGNAL':
      if (node.args.length !== 1) throw errExactlyOne('STOPSIGNAL');
      return { kind: 'STOPSIGNAL', ...b, signal: node.args[0]! };
    case 'MAINTAINER':
      if (node.args.length !== 1) throw errExactlyOne('MAINTAINER');
      flagsFor(NO_FLAGS);
      return { kind: 'MAINTAINER', ...b, maintainer: node.args[0]! };
    case 'COPY': {
      if (node.args.length < 2) throw errNoDestination('COPY');
      const flags = flagsFor(COPY_FLAGS);
      const from = flags.string('from');
      if (from !== undefined && from.includes('$')) {
        throw new Error('variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround');
      }
      return {
        kind: 'COPY', ...b, ...sourcesAndDest(node, heredocs, 'COPY'), from, chown: flags.string('chown'),
        chmod: checkChmod(flags.string('chmod')), link: flags.bool('link') ?? false, parents: flags.bool('parents') ?? false,
        excludes: flags.list('exclude'),
      };
    }
    case 'ADD': {
      if (node.args.length < 2) throw errNoDestination('ADD');
      const flags = flagsFor(ADD_FLAGS);
      return {
        kind: 'ADD', ...b, ...sourcesAndDest(node, heredocs, 'ADD'), chown: flags.string('chown'),
        chmod: checkChmod(flags.string('chmod')), link: flags.bool('link') ?? false, excludes: flags.list('exclude'),
        checksum: flags.string('checksum'), keepGitDir: flags.bool('keep-git-dir'), unpack: flags.bool('unpack'),
      };
    }
    case 'HEALTHCHECK':
      return { kind: 'HEALTHCHECK', ...b, health: healthConfig(node) };
    case 'ONBUILD': {
      const child = node.child;
      if (!child) throw errAtLeastOne('ONBUILD');
      flagsFor(NO_FLAGS);
      if (child.keyword === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (child.keyword === 'FROM' || child.keyword === 'MAINTAINER') {
        throw new Error(`${child.keyword} isn't allowed as an ONBUILD trigger`);
      }
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of heredocs) expression += `\n${h.content}${h.name}`;
      return { kind: 'ONBUILD', ...b, expression, trigger: buildInstruction(child, heredocs) };
    }
    default:
      throw new Error(`unknown instruction: ${node.keyword}`);
  }
}

function errNoDestination(keyword: string): Error {
  return new Error(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
}

/** Octal permission bits (`755`, `0644`); values with variables are checked after expansion. */
function checkChmod(chmod: string | undefined): string | undefined {
  if (chmod === undefined || chmod.includes('$')) return chmod;
  parseChmod(chmod);
  return chmod;
}

export function parseChmod(chmod: string): number {
  if (!/^[0-7]+$/.test(chmod) || Number.parseInt(chmod, 8) > 0o7777) {
    throw new Error(`invalid chmod parameter: "${chmod}". it should be octal string like 755`);
  }
  return Number.parseInt(chmod, 8);
}

function sourcesAndDest(node: DockerfileNode, heredocs: DockerfileNode['heredocs'], keyword: string) {
  const srcs = node.args.slice(0, -1);
  const dest = node.args[node.args.length - 1]!;
  if (!node.json && parseHeredoc(dest)) throw new Error(`${keyword} cannot accept a heredoc as a destination`);
  const byName = new Map(heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const heredocSources: InlineFile[] = [];
  for (const src of srcs) {
    const doc = node.json ? undefined : parseHeredoc(src);
    if (doc) {
      const content = byName.get(doc.name)?.content ?? '';
      heredocSources.push({ name: doc.name, data: doc.chomp ? chompHeredocContent(content) : content, expand: doc.expand, chomp: doc.chomp });
    } else sources.push(src);
  }
  return { sources, heredocSources, dest };
}

function duration(flags: ParsedFlags, name: string): number {
  const value = flags.string(name);
  if (value === undefined || value === '') return 0;
  const ns = parseGoDuration(value);
  if (ns === 0) return 0;
  if (ns < 1e6) throw new Error(`Interval "${name}" cannot be less than 1ms`);
  return ns;
}

function healthConfig(node: DockerfileNode): HealthConfig {
  if (node.args.length === 0) throw errAtLeastOne('HEALTHCHECK');
  const type = node.args[0]!.toUpperCase();
  const rest = node.args.slice(1);
  if (type === 'NONE') {
    if (rest.length > 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  }
  const flags = new ParsedFlags(HEALTHCHECK_FLAGS, node.flags);
  if (type !== 'CMD') throw new Error(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const cmd = node.json ? rest : rest.length > 0 ? [rest.join(' ')] : [];
  if (cmd.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
  let retries = 0;
  const retriesText = flags.string('retries');
  if (retriesText !== undefined && retriesText !== '') {
    if (!/^[+-]?\d+$/.test(retriesText)) throw new Error(`strconv.ParseInt: parsing "${retriesText}": invalid syntax`);
    retries = Number.parseInt(retriesText, 10);
    if (retries < 0) throw new Error(`--retries cannot be negative (${retries})`);
  }
  return {
    test: [node.json ? 'CMD' : 'CMD-SHELL', ...cmd],
    interval: duration(flags, 'interval'),
    timeout: duration(flags, 'timeout'),
    startPeriod: duration(flags, 'start-period'),
    startInterval: duration(flags, 'start-interval'),
    retries,
  };
}

/** Expansion functions bound to one environment; see `createExpander`. */
export interface Expander {
  /** One word: quotes removed, variables expanded, spaces kept. */
  word(text: string): string;
  /** Expanded and split on unquoted whitespace. */
  words(text: string): string[];
  /** Heredoc bodies: variables expanded, quotes and backslashes left alone. */
  raw(text: string): string;
}

export function createExpander(env: ShellEnv, escapeToken: EscapeToken = '\\'): Expander {
  const lexer = new ShellLexer({ escapeToken });
  const rawLexer = new ShellLexer({ escapeToken: '\\', skipProcessQuotes: true });
  return {
    word: (text) => lexer.processWord(text, env),
    words: (text) => lexer.processWords(text, env),
    raw: (text) => rawLexer.processWord(text, env),
  };
}

/**
 * A copy of the instruction with build variables expanded, for the instructions Docker expands
 * (ADD ARG COPY ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR, RUN mount options; FROM is
 * expanded by the stage planner with the global ARGs). Other instructions come back unchanged.
 */
export function expandInstruction<T extends Instruction>(instruction: T, ex: Expander): T {
  const i: Instruction = instruction;
  const kv = (pairs: KeyValuePair[]): KeyValuePair[] => pairs.map((p) => ({ key: ex.word(p.key), value: ex.word(p.value) }));
  const opt = (v: string | undefined): string | undefined => (v === undefined ? undefined : ex.word(v));
  let out: Instruction;
  switch (i.kind) {
    case 'ENV':
      out = { ...i, env: kv(i.env) };
      break;
    case 'LABEL':
      out = { ...i, labels: kv(i.labels) };
      break;
    case 'ARG':
      out = { ...i, args: i.args.map((a) => ({ key: ex.word(a.key), defaultValue: opt(a.defaultValue) })) };
      break;
    case 'EXPOSE':
      out = { ...i, ports: i.ports.flatMap((p) => ex.words(p)) };
      break;
    case 'VOLUME':
      out = { ...i, volumes: i.volumes.map((v) => ex.word(v)) };
      break;
    case 'WORKDIR':
      out = { ...i, path: ex.word(i.path) };
      break;
    case 'USER':
      out = { ...i, user: ex.word(i.user) };
      break;
    case 'STOPSIGNAL':
      out = { ...i, signal: ex.word(i.signal) };
      break;
    case 'COPY':
    case 'ADD': {
      const common = {
        sources: i.sources.map((s) => ex.word(s)),
        dest: ex.word(i.dest),
        chown: opt(i.chown),
        chmod: opt(i.chmod),
        heredocSources: i.heredocSources.map((h) => (h.expand ? { ...h, data: ex.raw(h.data) } : h)),
      };
      if (common.chmod !== undefined && common.chmod !== '') parseChmod(common.chmod);
      out = i.kind === 'ADD' ? { ...i, ...common, checksum: opt(i.checksum) } : { ...i, ...common };
      break;
    }
    case 'RUN':
      out = { ...i, mounts: i.mountSpecs.map((spec) => parseMount(spec, (w) => ex.word(w))) };
      break;
    default:
      out = i;
  }
  return out as T;
}
