/**
 * Instructions -> stage graph (the third stage of the pipeline, after instructions.ts).
 *
 * A stage is one FROM and the instructions up to the next FROM. Stages depend on each other
 * through `FROM <stage>`, `COPY --from=<stage|index>` and `RUN --mount=from=<stage|index>`;
 * a name that is no stage is an image reference. `--target` picks the final stage and only
 * the stages it needs are built, dependencies first.
 *
 * ARG scoping (as in Docker): ARGs before the first FROM are global; they and the predefined
 * platform args (TARGETPLATFORM, BUILDARCH, ...) may be used in FROM lines. Inside a stage an
 * ARG must be declared again to be visible; `ARG NAME` without a default then takes the
 * global value. The proxy args (HTTP_PROXY ...) reach RUN without any declaration.
 *
 * Example stage:
 *   { index: 1, name: 'app', from: <FromInstruction>, baseImage: 'alpine:3.20', platform: undefined,
 *     baseStage: undefined, instructions: [<RunInstruction>, <CopyInstruction>],
 *     dependencies: [0], externalImages: [] }
 */
import { DockerfileParseError, withSuggestion } from './errors.js';
import { ShellLexer, type EscapeToken, type ShellEnv } from './expand.js';
import {
  parseInstructions, type ArgInstruction, type FromInstruction, type Instruction,
} from './instructions.js';
import { parseMount } from './mounts.js';
import type { DockerfileAst } from './parser.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Stage {
  /** Position in the Dockerfile, 0-based (what `COPY --from=0` refers to). */
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  from: FromInstruction;
  /** The FROM image after global ARG expansion. */
  baseImage: string;
  /** The FROM --platform value after expansion. */
  platform?: string;
  /** Set when FROM names an earlier stage instead of an image. */
  baseStage?: number;
  /** Everything after FROM. */
  instructions: Instruction[];
  /** Stages this one needs, ascending. */
  dependencies: number[];
  /** Images used by COPY --from / RUN --mount from= that are not stages. */
  externalImages: string[];
}

export interface PlanBuildOptions {
  dockerfile: string;
  fileName?: string;
  buildArgs?: Readonly<Record<string, string>>;
  /** Stage name; the last stage when absent. */
  target?: string;
  /** Target platform; defaults to the build platform. */
  platform?: Platform;
  /** Where the build runs; defaults to linux/amd64. */
  buildPlatform?: Platform;
}

export interface BuildPlan {
  /** Every stage in the file, indexed by position. */
  stages: Stage[];
  targetIndex: number;
  /** Indices of the stages the target needs, dependencies first, ending with the target. */
  order: number[];
  /** `order` grouped by depth: stages in one group do not depend on each other. */
  parallelGroups: number[][];
  /** Build args nobody declared (Docker warns: "One or more build-args [...] were not consumed"). */
  unusedBuildArgs: string[];
  /** Global scope: predefined platform args, build args that override them, and meta ARGs. */
  globalArgs: Map<string, string>;
  /** ARGs declared before the first FROM. */
  metaArgs: ArgInstruction[];
  /** Proxy args given with --build-arg; passed to RUN without being declared. */
  proxyArgs: Map<string, string>;
  escapeToken: EscapeToken;
  ast: DockerfileAst;
  warnings: string[];
}

export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

export const PLATFORM_ARGS: readonly string[] = [
  'BUILDPLATFORM', 'BUILDOS', 'BUILDOSVERSION', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETOSVERSION', 'TARGETARCH', 'TARGETVARIANT', 'TARGETSTAGE',
];

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/** The predefined args of the global scope, overridable by build args. */
export function predefinedArgs(options: { buildPlatform?: Platform; platform?: Platform; target?: string; buildArgs?: Readonly<Record<string, string>> }): Map<string, string> {
  const bp = options.buildPlatform ?? DEFAULT_PLATFORM;
  const tp = options.platform ?? bp;
  const values: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(bp)], ['BUILDOS', bp.os], ['BUILDOSVERSION', ''], ['BUILDARCH', bp.architecture],
    ['BUILDVARIANT', bp.variant ?? ''], ['TARGETPLATFORM', formatPlatform(tp)], ['TARGETOS', tp.os], ['TARGETOSVERSION', ''],
    ['TARGETARCH', tp.architecture], ['TARGETVARIANT', tp.variant ?? ''], ['TARGETSTAGE', options.target || 'default'],
  ];
  const env = new Map<string, string>();
  for (const [k, v] of values) env.set(k, options.buildArgs?.[k] ?? v);
  return env;
}

/**
 * The value an ARG takes: the build arg when given, else its default expanded with the
 * current environment, else (inside a stage) the global value. undefined means unset.
 */
export function resolveArgValue(options: {
  key: string;
  defaultValue?: string;
  buildArgs: Readonly<Record<string, string>>;
  env: ShellEnv;
  globalArgs?: ShellEnv;
  escapeToken?: EscapeToken;
}): string | undefined {
  if (Object.hasOwn(options.buildArgs, options.key)) return options.buildArgs[options.key];
  if (options.defaultValue !== undefined) {
    return new ShellLexer({ escapeToken: options.escapeToken ?? '\\' }).processWord(options.defaultValue, options.env);
  }
  return options.globalArgs?.get(options.key);
}

export function planBuild(options: PlanBuildOptions): BuildPlan {
  const fileName = options.fileName ?? 'Dockerfile';
  const buildArgs = options.buildArgs ?? {};
  const { ast, instructions } = parseInstructions(options.dockerfile, { fileName });
  const lexer = new ShellLexer({ escapeToken: ast.escapeToken });
  const fail = (detail: string, at?: { line: number; endLine: number }): never => {
    throw new DockerfileParseError({ fileName, line: at?.line ?? 0, endLine: at?.endLine, detail });
  };
  const expand = (word: string, env: ShellEnv, at: { line: number; endLine: number }): string => {
    try {
      return lexer.processWord(word, env);
    } catch (err) {
      return fail((err as Error).message, at);
    }
  };

  // Global scope: predefined args, then ARGs before the first FROM.
  const globalArgs = predefinedArgs({ ...options, buildArgs });
  const metaArgs: ArgInstruction[] = [];
  const declared = new Set<string>();
  const warnings: string[] = [];
  const stages: Stage[] = [];

  for (const instruction of instructions) {
    if (instruction.kind === 'FROM') {
      const baseImage = expand(instruction.image, globalArgs, instruction);
      if (baseImage === '') fail(`base name (${instruction.image}) should not be blank`, instruction);
      let platform: string | undefined;
      if (instruction.platform !== undefined) {
        platform = expand(instruction.platform, globalArgs, instruction);
        if (platform === '') fail(`empty platform value from expression ${instruction.platform}`, instruction);
      }
      const lower = baseImage.toLowerCase();
      const base = stages.find((s) => s.name !== undefined && s.name === lower);
      if (instruction.stageName && stages.some((s) => s.name === instruction.stageName)) {
        warnings.push(`${fileName}:${instruction.line}: duplicate stage name "${instruction.stageName}"; references use the last one`);
      }
      stages.push({
        index: stages.length, name: instruction.stageName, from: instruction, baseImage, platform,
        baseStage: base?.index, instructions: [], dependencies: [], externalImages: [],
      });
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) {
      if (instruction.kind !== 'ARG') fail('no build stage in current context', instruction);
      const arg = instruction as ArgInstruction;
      metaArgs.push(arg);
      for (const a of arg.args) {
        declared.add(a.key);
        const value = Object.hasOwn(buildArgs, a.key)
          ? buildArgs[a.key]
          : a.defaultValue !== undefined ? expand(a.defaultValue, globalArgs, arg) : undefined;
        if (value !== undefined) globalArgs.set(a.key, value);
      }
      continue;
    }
    current.instructions.push(instruction);
  }
  if (stages.length === 0) fail('no build stage in current context');

  // Later stages with the same name win, as in BuildKit.
  const byName = new Map<string, number>();
  for (const s of stages) if (s.name) byName.set(s.name, s.index);
  const resolveRef = (ref: string, at: Instruction): number | undefined => {
    if (/^\d+$/.test(ref)) {
      const index = Number(ref);
      if (index >= stages.length) fail(`invalid stage index ${index}`, at);
      return index;
    }
    return byName.get(ref.toLowerCase());
  };

  for (const stage of stages) {
    const deps = new Set<number>();
    if (stage.baseStage !== undefined) deps.add(stage.baseStage);
    const addRef = (ref: string, at: Instruction): void => {
      const index = resolveRef(ref, at);
      if (index !== undefined) deps.add(index);
      else if (!stage.externalImages.includes(ref)) stage.externalImages.push(ref);
    };
    for (const instruction of stage.instructions) {
      if (instruction.kind === 'ARG') for (const a of instruction.args) declared.add(a.key);
      if (instruction.kind === 'COPY' && instruction.from !== undefined) addRef(instruction.from, instruction);
      if (instruction.kind === 'RUN') {
        for (const spec of instruction.mountSpecs) {
          let from: string | undefined;
          try {
            from = parseMount(spec).from;
          } catch (err) {
            fail((err as Error).message, instruction);
          }
          if (from !== undefined && from !== '') addRef(from, instruction);
        }
      }
    }
    stage.dependencies = [...deps].sort((a, b) => a - b);
  }

  let targetIndex = stages.length - 1;
  if (options.target) {
    const found = byName.get(options.target.toLowerCase());
    if (found === undefined) {
      fail(withSuggestion(`target stage "${options.target}" could not be found`, options.target, [...byName.keys()], true));
    }
    targetIndex = found!;
  }

  const order = topologicalOrder(stages, targetIndex, (detail) => fail(detail));
  const level = new Map<number, number>();
  for (const index of order) {
    const deps = stages[index]!.dependencies;
    level.set(index, deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => level.get(d)!)));
  }
  const parallelGroups: number[][] = [];
  for (const index of order) (parallelGroups[level.get(index)!] ??= []).push(index);

  const proxyArgs = new Map<string, string>();
  for (const key of PROXY_ARGS) if (Object.hasOwn(buildArgs, key)) proxyArgs.set(key, buildArgs[key]!);
  const builtin = new Set([...PROXY_ARGS, ...PLATFORM_ARGS]);
  const unusedBuildArgs = Object.keys(buildArgs).filter((k) => !declared.has(k) && !builtin.has(k)).sort();

  return {
    stages, targetIndex, order, parallelGroups, unusedBuildArgs, globalArgs, metaArgs, proxyArgs,
    escapeToken: ast.escapeToken, ast, warnings,
  };
}

const stageLabel = (s: Stage): string => s.name ?? `stage-${s.index}`;

/** Depth-first from the target; dependencies come first, ties broken by file order. */
function topologicalOrder(stages: Stage[], target: number, fail: (detail: string) => never): number[] {
  const state = new Map<number, 'visiting' | 'done'>();
  const order: number[] = [];
  const visit = (index: number): void => {
    const s = state.get(index);
    if (s === 'done') return;
    if (s === 'visiting') fail(`circular dependency detected on stage: ${stageLabel(stages[index]!)}`);
    state.set(index, 'visiting');
    for (const dep of stages[index]!.dependencies) visit(dep);
    state.set(index, 'done');
    order.push(index);
  };
  visit(target);
  return order;
}
