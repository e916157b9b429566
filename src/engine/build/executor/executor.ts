/**
 * The Dockerfile executor: runs a build plan (dockerfile/stages.ts) stage by stage, step by
 * step, the way Docker's classic builder does and reports it the same way ("Step 2/5 : RUN ...",
 * " ---> Using cache", " ---> 1a2b3c4d5e6f").
 *
 * - Stages run in dependency order; stages that do not depend on each other run in parallel
 *   (at most `maxParallelStages`), and only the stages `--target` needs run at all.
 * - Every step's result is stored as an untagged intermediate image, as the classic builder
 *   does; the build cache (cache/) maps a step's key to that image, so a hit is one lookup.
 * - RUN runs in a container on an active snapshot of the parent's layers (run.ts); COPY/ADD and
 *   WORKDIR change a mounted snapshot directly (copy.ts); the other instructions only change
 *   the config and make no layer (history `empty_layer`).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { lstat } from 'node:fs/promises';
import type { ContainerRuntime } from '../../../runtime/container-runtime.js';
import type { OciMount } from '../../../runtime/spec/oci-types.js';
import { readUserDatabase, resolveUser } from '../../../runtime/spec/user.js';
import type { OverlaySnapshotter } from '../../../store/snapshots/overlay.js';
import type { Digest } from '../../../util/digest.js';
import { InvalidParameterError, NotFoundError, NotImplementedError, errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/log.js';
import { applyConfigInstruction } from '../../images/changes.js';
import type { HistoryEntry, ImageConfig } from '../../images/oci.js';
import type { ImageService } from '../../images/service.js';
import type { BuildCacheStore } from '../cache/store.js';
import { cacheKey } from '../cache/key.js';
import type { CacheMountManager } from '../cache/mounts.js';
import { contentHash } from '../context/dockerignore.js';
import { envFromList } from '../dockerfile/expand.js';
import {
  createExpander, expandInstruction, parseChmod, parseInstructions,
  type AddInstruction, type CopyInstruction, type Instruction, type RunInstruction,
} from '../dockerfile/instructions.js';
import { withMountDefaults, type RunMount } from '../dockerfile/mounts.js';
import { PROXY_ARGS, planBuild, resolveArgValue, type BuildPlan, type Platform, type Stage } from '../dockerfile/stages.js';
import { download, matchSources, performCopy, type Ownership } from './copy.js';
import { BuildCancelledError, BuildStepFailedError } from './errors.js';
import {
  commitImage, layerStep, loadImageState, mountImageRootfs, scratchState, topChain, withHistory, withImageRootfs,
  type ImageState, type StepStore,
} from './image-state.js';
import type { BuildNetworkMode, BuildNetworks } from './network.js';
import { OrderedOutput, type BuildOutput } from './output.js';
import { newContainerId, runStep, stageSecret } from './run.js';
import { resolveInRoot } from './scoped-fs.js';

export interface BuildRequest {
  /** The unpacked context (after .dockerignore). */
  contextDir: string;
  /** sha256 (hex) of the context's files by path when known (taken while extracting). */
  contextFileHashes?: ReadonlyMap<string, string>;
  dockerfile: string;
  dockerfileName: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  networkMode: BuildNetworkMode;
  extraHosts: string[];
  /** Secret id -> host file (RUN --mount=type=secret). */
  secrets: Map<string, string>;
  resources?: { shmSize?: number; memory?: number; cpusetCpus?: string };
  platform?: Platform;
  signal?: AbortSignal;
}

export interface BuildResult {
  imageId: Digest;
  tags: string[];
  /** Steps that ran / came from the cache. */
  stepsRun: number;
  cacheHits: number;
}

export interface BuilderDeps {
  images: ImageService;
  snapshots: OverlaySnapshotter;
  runtime: ContainerRuntime;
  cache: BuildCacheStore;
  cacheMounts: CacheMountManager;
  networks: BuildNetworks;
  scratchDir: string;
  cgroupParent: string;
  log: Logger;
  /** Pulls an image; absent when this daemon has no registry client. */
  pull?: (ref: string) => Promise<void>;
  maxParallelStages?: number;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const short = (id: string | undefined): string => (id ?? '').replace(/^sha256:/, '').slice(0, 12);
const keywordRest = (original: string): string => original.replace(/^\s*\S+\s*/, '');

export class Builder {
  constructor(private readonly deps: BuilderDeps) {}

  async build(req: BuildRequest, out: BuildOutput): Promise<BuildResult> {
    const plan = planBuild({
      dockerfile: req.dockerfile, fileName: req.dockerfileName, buildArgs: req.buildArgs, target: req.target, platform: req.platform,
    });
    const labelStep = Object.keys(req.labels).length > 0;
    const total = plan.order.reduce((n, i) => n + 1 + plan.stages[i]!.instructions.length, 0) + (labelStep ? 1 : 0);
    const firstStep = new Map<number, number>();
    let n = 1;
    for (const i of plan.order) {
      firstStep.set(i, n);
      n += 1 + plan.stages[i]!.instructions.length;
    }
    const ordered = new OrderedOutput(out, plan.order);
    const results = new Map<number, Promise<ImageState>>();
    const counters = { run: 0, cached: 0 };
    const sourceDateEpoch = parseEpoch(req.buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH);
    const limit = new Semaphore(this.deps.maxParallelStages ?? 4);

    const runStageOnce = (index: number): Promise<ImageState> => {
      let p = results.get(index);
      if (!p) {
        const stage = plan.stages[index]!;
        p = (async () => {
          const deps = await Promise.all(stage.dependencies.map((d) => runStageOnce(d)));
          void deps;
          return limit.run(async () => {
            const runner = new StageRunner({
              builder: this.deps, plan, stage, req, write: ordered.writer(index), total, firstStep: firstStep.get(index)!,
              stageResult: (i) => runStageOnce(i), counters, sourceDateEpoch,
              extraLabels: index === plan.targetIndex && labelStep ? req.labels : undefined,
            });
            const state = await runner.run();
            ordered.finish(index);
            return state;
          });
        })();
        p.catch(() => undefined);
        results.set(index, p);
      }
      return p;
    };

    for (const w of plan.warnings) out.stream(`[WARNING]: ${w}\n`);
    let final: ImageState;
    try {
      // Start every needed stage now so independent ones overlap; await the target.
      for (const i of plan.order) void runStageOnce(i);
      final = await runStageOnce(plan.targetIndex);
    } catch (err) {
      ordered.flushAll();
      throw err;
    }
    if (!final.id) throw new InvalidParameterError('No image was generated. Is your Dockerfile empty?');
    if (plan.unusedBuildArgs.length > 0) {
      out.stream(`[Warning] One or more build-args [${plan.unusedBuildArgs.join(' ')}] were not consumed\n`);
    }
    for (const t of req.tags) this.deps.images.tag(final.id, t);
    return { imageId: final.id, tags: req.tags, stepsRun: counters.run, cacheHits: counters.cached };
  }
}

function parseEpoch(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new InvalidParameterError(`invalid SOURCE_DATE_EPOCH: ${v}`);
  return Number(v);
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

interface StageRunnerOptions {
  builder: BuilderDeps;
  plan: BuildPlan;
  stage: Stage;
  req: BuildRequest;
  write: (text: string) => void;
  total: number;
  firstStep: number;
  stageResult: (index: number) => Promise<ImageState>;
  counters: { run: number; cached: number };
  sourceDateEpoch?: number;
  extraLabels?: Record<string, string>;
}

/** Outcome of one step: a new state, from the cache or not. */
interface StepOutcome {
  state: ImageState;
  cached: boolean;
}

class StageRunner {
  private state!: ImageState;
  /** ARGs declared in this stage, with their values (undefined: declared without a value). */
  private readonly args = new Map<string, string | undefined>();
  private step: number;
  private readonly store: StepStore;

  constructor(private readonly o: StageRunnerOptions) {
    this.step = o.firstStep;
    this.store = { images: o.builder.images, snapshots: o.builder.snapshots, scratchDir: o.builder.scratchDir };
  }

  private get created(): string {
    return this.o.sourceDateEpoch !== undefined ? new Date(this.o.sourceDateEpoch * 1000).toISOString() : new Date().toISOString();
  }

  private checkCancelled(): void {
    if (this.o.req.signal?.aborted) throw new BuildCancelledError();
  }

  async run(): Promise<ImageState> {
    const { stage, write } = this.o;
    write(`Step ${this.step++}/${this.o.total} : ${stage.from.original.trim()}\n`);
    this.state = await this.baseState();
    write(` ---> ${short(this.state.id)}\n`);
    const triggers = this.state.config.config?.OnBuild ?? [];
    if (triggers.length > 0) {
      // The triggers run now and are not inherited by the new image.
      const cfg = structuredClone(this.state.config);
      cfg.config!.OnBuild = null;
      this.state = { ...this.state, config: cfg };
      write(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
      for (const text of triggers) {
        const { instructions } = parseInstructions(text, { fileName: `${this.o.req.dockerfileName} (ONBUILD)` });
        for (const instr of instructions) await this.execute(instr, false);
      }
    }
    for (const instr of this.o.stage.instructions) await this.execute(instr, true);
    if (this.o.extraLabels) {
      const pairs = Object.keys(this.o.extraLabels).sort().map((k) => `${JSON.stringify(k)}=${JSON.stringify(this.o.extraLabels![k])}`);
      const { instructions } = parseInstructions(`LABEL ${pairs.join(' ')}`, { fileName: '--label' });
      await this.execute(instructions[0]!, true);
    }
    return this.state;
  }

  private async baseState(): Promise<ImageState> {
    const { stage, req, builder } = this.o;
    if (stage.baseStage !== undefined) return this.o.stageResult(stage.baseStage);
    const ref = stage.baseImage;
    if (ref.toLowerCase() === 'scratch') return scratchState(req.platform ?? { os: 'linux', architecture: 'amd64' });
    return this.resolveImage(ref, req.pull);
    void builder;
  }

  private async resolveImage(ref: string, pull: boolean): Promise<ImageState> {
    const { builder } = this.o;
    const present = builder.images.images.resolve(ref) !== undefined;
    if (pull || !present) {
      if (!builder.pull) {
        if (pull) throw new NotImplementedError(`cannot pull ${ref} (--pull): this berthd has no registry client`);
        throw new NotFoundError(`pull access denied for ${ref}: no such image locally and this berthd has no registry client to pull it`);
      }
      await builder.pull(ref);
    }
    return loadImageState(builder.images, ref);
  }

  /** The variables visible to expansion: declared ARGs, overridden by the config's ENV. */
  private expansionEnv(): Map<string, string> {
    const env = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) env.set(k, v);
    for (const [k, v] of envFromList(this.state.config.config?.Env ?? [])) env.set(k, v);
    return env;
  }

  private async execute(instr: Instruction, numbered: boolean): Promise<void> {
    this.checkCancelled();
    const { write } = this.o;
    if (numbered) write(`Step ${this.step++}/${this.o.total} : ${instr.original.trim()}\n`);
    const ex = createExpander(this.expansionEnv(), this.o.plan.escapeToken);
    let expanded: Instruction;
    try {
      expanded = expandInstruction(instr, ex);
    } catch (err) {
      throw new InvalidParameterError(`${this.o.req.dockerfileName}:${instr.line}: ${errorMessage(err)}`);
    }
    let outcome: StepOutcome;
    const started = performance.now();
    switch (expanded.kind) {
      case 'RUN':
        outcome = await this.run_(expanded);
        break;
      case 'COPY':
      case 'ADD':
        outcome = await this.copy(expanded);
        break;
      case 'WORKDIR':
        outcome = await this.workdir(expanded.path);
        break;
      case 'ARG':
        outcome = await this.arg(expanded);
        break;
      case 'FROM':
        throw new InvalidParameterError(`${this.o.req.dockerfileName}:${instr.line}: FROM is not allowed here`);
      default:
        outcome = await this.configOnly(expanded);
    }
    this.state = outcome.state;
    this.o.builder.log.debug('build step', { stage: this.o.stage.index, instruction: expanded.kind, ms: Math.round(performance.now() - started), cached: outcome.cached });
    if (outcome.cached) {
      this.o.counters.cached++;
    } else this.o.counters.run++;
    write(` ---> ${short(this.state.id)}\n`);
  }

  /** Looks the key up; on a miss runs `make` and records its result. */
  private async cached(key: string, make: () => Promise<ImageState>): Promise<StepOutcome> {
    const { builder, req } = this.o;
    if (!req.noCache) {
      const id = builder.cache.get(key);
      if (id) {
        if (builder.images.images.get(id)) {
          try {
            const state = await loadImageState(builder.images, id);
            this.o.write(' ---> Using cache\n');
            return { state, cached: true };
          } catch (err) {
            builder.log.warn('build cache entry unusable', { key, image: id, err: errorMessage(err) });
          }
        }
        builder.cache.delete(key);
      }
    }
    const state = await make();
    builder.cache.put(key, state.id!);
    return { state, cached: false };
  }

  private parentKey(): string {
    return this.state.id ?? `scratch:${this.state.config.os}/${this.state.config.architecture}`;
  }

  private shell(): string[] {
    const s = this.state.config.config?.Shell;
    return s && s.length > 0 ? s : DEFAULT_SHELL;
  }

  /** Stores a config-only step: history entry with empty_layer, no new layer. */
  private async commitConfig(config: ImageConfig, createdBy: string): Promise<ImageState> {
    const next = withHistory(config, { created: this.created, created_by: createdBy, empty_layer: true });
    next.created = this.created;
    return commitImage(this.o.builder.images, { config: next, layers: this.state.layers }, this.state.id);
  }

  private nop(text: string): string {
    return `${this.shell().join(' ')} #(nop)  ${text}`;
  }

  // ------------------------------------------------------------------ config instructions

  private async configOnly(instr: Instruction): Promise<StepOutcome> {
    const config = structuredClone(this.state.config);
    config.config ??= {};
    const rc = config.config;
    let text: string;
    switch (instr.kind) {
      case 'ENV':
        for (const { key, value } of instr.env) rc.Env = [...(rc.Env ?? []).filter((e) => e.split('=', 1)[0] !== key), `${key}=${value}`];
        text = `ENV ${instr.env.map((p) => `${p.key}=${p.value}`).join(' ')}`;
        break;
      case 'LABEL':
        rc.Labels = { ...rc.Labels };
        for (const { key, value } of instr.labels) rc.Labels[key] = value;
        text = `LABEL ${instr.labels.map((p) => `${p.key}=${p.value}`).join(' ')}`;
        break;
      case 'MAINTAINER':
        config.author = instr.maintainer;
        text = `MAINTAINER ${instr.maintainer}`;
        break;
      case 'SHELL':
        rc.Shell = [...instr.shell];
        text = `SHELL ${JSON.stringify(instr.shell)}`;
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const hadCmd = rc.Cmd;
        applyConfigInstruction(rc, instr);
        // Docker: ENTRYPOINT resets a CMD inherited from the base image, not one set in this stage.
        if (instr.kind === 'ENTRYPOINT' && !this.cmdSetInStage) rc.Cmd = null;
        else if (instr.kind === 'ENTRYPOINT') rc.Cmd = hadCmd;
        if (instr.kind === 'CMD') this.cmdSetInStage = true;
        text = `${instr.kind} ${JSON.stringify(instr.kind === 'CMD' ? rc.Cmd : rc.Entrypoint)}`;
        break;
      }
      default:
        applyConfigInstruction(rc, instr);
        text = keywordRest(instr.original) === '' ? instr.kind : `${instr.kind} ${this.describe(instr)}`;
    }
    const key = cacheKey({ parent: this.parentKey(), instruction: text, inputs: { kind: instr.kind, epoch: this.o.sourceDateEpoch } });
    return this.cached(key, () => this.commitConfig(config, this.nop(text)));
  }

  private cmdSetInStage = false;

  private describe(instr: Instruction): string {
    switch (instr.kind) {
      case 'EXPOSE':
        return instr.ports.join(' ');
      case 'VOLUME':
        return `[${instr.volumes.join(' ')}]`;
      case 'USER':
        return instr.user;
      case 'STOPSIGNAL':
        return instr.signal;
      case 'ONBUILD':
        return instr.expression;
      default:
        return keywordRest(instr.original);
    }
  }

  private async arg(instr: Extract<Instruction, { kind: 'ARG' }>): Promise<StepOutcome> {
    const raw = this.o.stage.instructions.includes(instr) ? instr : instr;
    const env = this.expansionEnv();
    for (const a of raw.args) {
      const value = resolveArgValue({
        key: a.key, defaultValue: a.defaultValue, buildArgs: this.o.req.buildArgs, env, globalArgs: this.o.plan.globalArgs,
        escapeToken: this.o.plan.escapeToken,
      });
      this.args.set(a.key, value);
    }
    const text = `ARG ${raw.args.map((a) => (a.defaultValue !== undefined ? `${a.key}=${a.defaultValue}` : a.key)).join(' ')}`;
    const values = raw.args.map((a) => [a.key, this.args.get(a.key) ?? null]);
    const key = cacheKey({ parent: this.parentKey(), instruction: text, inputs: { values, epoch: this.o.sourceDateEpoch } });
    return this.cached(key, () => this.commitConfig(this.state.config, this.nop(text)));
  }

  private async workdir(path: string): Promise<StepOutcome> {
    const config = structuredClone(this.state.config);
    config.config ??= {};
    const dir = posix.resolve(config.config.WorkingDir || '/', path);
    config.config.WorkingDir = dir;
    const text = `WORKDIR ${dir}`;
    const key = cacheKey({ parent: this.parentKey(), instruction: text, inputs: { epoch: this.o.sourceDateEpoch } });
    return this.cached(key, async () => {
      if (await this.existsInImage(dir)) return this.commitConfig(config, this.nop(text));
      return this.commitLayer(config, this.nop(text), async (rootfs) => {
        await mkdirInRoot(rootfs, dir);
      });
    });
  }

  /** Whether a directory exists in the image, looking through the snapshot dirs top-down. */
  private async existsInImage(dir: string): Promise<boolean> {
    const top = topChain(this.state);
    if (!top) return dir === '/';
    const { snapshots } = this.o.builder;
    for (const layerDir of [snapshots.upperDir(top), ...snapshots.lowerDirs(top)]) {
      const st = await lstat(await resolveInRoot(layerDir, dir)).catch(() => undefined);
      if (st) return st.isDirectory();
    }
    return false;
  }

  /** Runs a file-changing step and stores its layer and image. */
  private async commitLayer(config: ImageConfig, createdBy: string, fn: (rootfs: string) => Promise<void>, comment?: string): Promise<ImageState> {
    const { builder } = this.o;
    return builder.images.writing(async () => {
      const { diffId, layer } = await layerStep(this.store, { parentChain: topChain(this.state), sourceDateEpoch: this.o.sourceDateEpoch }, fn);
      const next = withHistory(config, { created: this.created, created_by: createdBy, ...(comment ? { comment } : {}) } satisfies HistoryEntry);
      next.created = this.created;
      next.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, diffId] };
      return commitImage(builder.images, { config: next, layers: [...this.state.layers, layer] }, this.state.id);
    });
  }

  // ------------------------------------------------------------------ RUN

  private async run_(instr: RunInstruction): Promise<StepOutcome> {
    const { req } = this.o;
    if (instr.security === 'insecure') throw new InvalidParameterError('RUN --security=insecure is not allowed');
    const cmd = this.runCommand(instr);
    // Build args in scope are in the environment, and in the history (`|2 A=1 B=2 ...`).
    const argPairs = [...this.args].filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`).sort();
    const createdBy = argPairs.length > 0 ? `|${argPairs.length} ${argPairs.join(' ')} ${cmd.join(' ')}` : cmd.join(' ');
    const mounts = instr.mounts.map((m, i) => withMountDefaults(m, i));
    const network = instr.network === 'default' ? req.networkMode : instr.network;
    const key = cacheKey({
      parent: this.parentKey(), instruction: createdBy,
      inputs: { mounts: mounts.map((m) => ({ ...m, source: m.type === 'secret' ? undefined : m.source })), network, epoch: this.o.sourceDateEpoch, files: instr.files },
    });
    return this.cached(key, async () => {
      const env = this.runEnv();
      return this.commitLayer(this.state.config, createdBy, async (rootfs) => {
        await this.runInRootfs({ rootfs, cmd, env, mounts, network });
      });
    });
  }

  private runCommand(instr: RunInstruction): string[] {
    const { command, files } = instr;
    if (!command.prependShell) return [...command.args];
    const line = command.args.join(' ');
    if (files.length > 0) {
      const only = /^\s*<<(-?)["']?([A-Za-z0-9_.-]+)["']?\s*$/.exec(line);
      if (only && files.length === 1 && files[0]!.name === only[2]) {
        // `RUN <<EOF`: the heredoc is the script.
        const data = only[1] === '-' ? files[0]!.data.replace(/^\t+/gm, '') : files[0]!.data;
        return [...this.shell(), data];
      }
      // A command with heredocs: the shell reads them itself.
      let script = line;
      for (const f of files) script += `\n${f.data}${f.data.endsWith('\n') || f.data === '' ? '' : '\n'}${f.name}`;
      return [...this.shell(), script];
    }
    return [...this.shell(), line];
  }

  private runEnv(): string[] {
    const env = [...(this.state.config.config?.Env ?? [])];
    const has = new Set(env.map((e) => e.split('=', 1)[0]));
    for (const [k, v] of this.args) if (v !== undefined && !has.has(k)) env.push(`${k}=${v}`);
    for (const [k, v] of this.o.plan.proxyArgs) if (!has.has(k) && !this.args.has(k)) env.push(`${k}=${v}`);
    return env;
  }

  private async runInRootfs(o: { rootfs: string; cmd: string[]; env: string[]; mounts: RunMount[]; network: BuildNetworkMode }): Promise<void> {
    const { builder, req, write } = this.o;
    const id = newContainerId();
    const workDir = await mkdtemp(join(builder.scratchDir, 'build-step-'));
    const cleanups: (() => Promise<void>)[] = [];
    const env = [...o.env];
    try {
      const ociMounts: OciMount[] = [];
      for (const m of o.mounts) {
        const mount = await this.resolveRunMount(m, workDir, cleanups, env);
        if (mount) ociMounts.push(mount);
      }
      write(` ---> Running in ${short(id)}\n`);
      const output = new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          write(chunk.toString('utf8'));
          cb();
        },
      });
      const config = this.state.config.config ?? {};
      const onAbort = () => void builder.runtime.kill(id, 'KILL').catch(() => undefined);
      req.signal?.addEventListener('abort', onAbort);
      let code: number;
      try {
        code = await runStep({ runtime: builder.runtime }, {
          id, rootfs: o.rootfs, workDir, args: o.cmd, env, user: config.User, workingDir: config.WorkingDir,
          network: builder.networks[o.network], extraHosts: req.extraHosts, mounts: ociMounts, resources: req.resources,
          cgroupParent: builder.cgroupParent, output,
        });
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
      }
      this.checkCancelled();
      write(` ---> Removed intermediate container ${short(id)}\n`);
      if (code !== 0) throw new BuildStepFailedError(o.cmd.join(' '), code);
    } finally {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async resolveRunMount(m: RunMount, workDir: string, cleanups: (() => Promise<void>)[], env: string[]): Promise<OciMount | undefined> {
    const { builder, req } = this.o;
    const target = m.target ? posix.resolve(this.state.config.config?.WorkingDir || '/', m.target) : undefined;
    switch (m.type) {
      case 'cache': {
        const lease = await builder.cacheMounts.acquire({ id: m.id!, sharing: m.sharing ?? 'shared', uid: m.uid, gid: m.gid, mode: m.mode });
        cleanups.push(() => lease.release());
        return { destination: target!, type: 'bind', source: lease.path, options: ['rbind', m.readOnly ? 'ro' : 'rw'] };
      }
      case 'tmpfs':
        return { destination: target!, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size ? [`size=${m.size}`] : [])] };
      case 'secret': {
        const source = req.secrets.get(m.id!);
        if (!source) {
          if (m.required) throw new InvalidParameterError(`secret ${m.id} not found: pass it with --secret id=${m.id},src=<file>`);
          return undefined;
        }
        const staged = await stageSecret({ workDir, source, id: m.id!, mode: m.mode, uid: m.uid, gid: m.gid });
        if (m.env) {
          const { readFile } = await import('node:fs/promises');
          env.push(`${m.env}=${(await readFile(staged, 'utf8'))}`);
          if (!m.target) return undefined;
        }
        return { destination: target ?? `/run/secrets/${m.id}`, type: 'bind', source: staged, options: ['rbind', 'ro'] };
      }
      case 'bind': {
        let root: string;
        if (m.from) {
          const state = await this.sourceState(m.from);
          const view = await mountImageRootfs(this.store, state);
          cleanups.push(view.release);
          root = view.dir;
        } else root = req.contextDir;
        let source = await resolveInRoot(root, m.source ?? '/');
        if (!m.readOnly) {
          // Writes to a rw bind mount are thrown away after the step: give it a copy.
          const copy = join(workDir, `bind-${cleanups.length}`);
          await cp(source, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
          source = copy;
        }
        return { destination: target!, type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw'] };
      }
      case 'ssh':
        throw new NotImplementedError('RUN --mount=type=ssh is not supported by this builder');
    }
  }

  /** A stage (by name or index) or an image, for COPY --from and RUN --mount from=. */
  private async sourceState(from: string): Promise<ImageState> {
    const { plan } = this.o;
    let index: number | undefined;
    if (/^\d+$/.test(from)) index = Number(from);
    else index = [...plan.stages].reverse().find((s) => s.name === from.toLowerCase())?.index;
    if (index !== undefined) {
      if (index >= this.o.stage.index) throw new InvalidParameterError(`invalid --from: stage ${from} is not an earlier stage`);
      return this.o.stageResult(index);
    }
    return this.resolveImage(from, false);
  }

  // ------------------------------------------------------------------ COPY / ADD

  private async copy(instr: CopyInstruction | AddInstruction): Promise<StepOutcome> {
    const { req } = this.o;
    const from = instr.kind === 'COPY' ? instr.from : undefined;
    const workdir = this.state.config.config?.WorkingDir || '/';
    const destAbs = posix.resolve(workdir, instr.dest) + (instr.dest.endsWith('/') && instr.dest !== '/' ? '/' : '');
    const chmod = instr.chmod ? parseChmod(instr.chmod) : undefined;
    if (instr.kind === 'COPY' && instr.parents) throw new NotImplementedError('COPY --parents is not supported by this builder');
    const urls = instr.kind === 'ADD' ? instr.sources.filter((s) => /^https?:\/\//i.test(s)) : [];
    const locals = instr.sources.filter((s) => !urls.includes(s));
    if (instr.kind === 'ADD' && locals.some((s) => /^git@|\.git(#.*)?$/.test(s))) {
      throw new NotImplementedError('ADD of a git repository is not supported by this builder');
    }
    const stepDir = urls.length > 0 ? await mkdtemp(join(this.o.builder.scratchDir, 'build-add-')) : undefined;
    try {
      const downloads: { name: string; path: string }[] = [];
      for (const url of urls) downloads.push(await download(url, stepDir!));
      let sourceState: ImageState | undefined;
      const inputs: Record<string, unknown> = {
        dest: destAbs, chown: instr.chown, chmod, excludes: instr.excludes, heredocs: instr.heredocSources, link: instr.link,
      };
      let hashes: string[] = [];
      if (from !== undefined) {
        sourceState = await this.sourceState(from);
        inputs.from = sourceState.id ?? 'scratch';
        inputs.sources = locals;
      } else {
        const matches = await matchSources({ kind: instr.kind, sourceRoot: req.contextDir, fromContext: true, sources: locals, excludes: instr.excludes });
        hashes = await Promise.all(matches.map(async (m) => `${m}\0${await contentHash({ root: req.contextDir, target: m, fileHashes: req.contextFileHashes })}`));
        inputs.sources = hashes;
      }
      for (const d of downloads) inputs[`url:${d.name}`] = await contentHash({ root: stepDir!, target: posix.basename(d.path) });
      const srcHash = cacheKey({ parent: '', instruction: '', inputs }).slice(7);
      const kindWord = hashes.length + downloads.length + instr.heredocSources.length > 1 || from !== undefined ? 'multi' : 'file';
      const createdBy = `${this.shell().join(' ')} #(nop) ${instr.kind} ${kindWord}:${srcHash} in ${destAbs} `;
      const key = cacheKey({ parent: this.parentKey(), instruction: `${instr.kind} ${destAbs}`, inputs: { ...inputs, epoch: this.o.sourceDateEpoch } });
      return await this.cached(key, () =>
        this.commitLayer(this.state.config, createdBy, async (rootfs) => {
          const owner = instr.chown ? resolveChown(instr.chown, rootfs) : undefined;
          const request = {
            kind: instr.kind, fromContext: from === undefined, sources: locals, heredocs: instr.heredocSources, dest: destAbs,
            owner, chmod, excludes: instr.excludes, downloads,
          };
          if (sourceState) await withImageRootfs(this.store, sourceState, (dir) => performCopy(rootfs, { ...request, sourceRoot: dir }));
          else await performCopy(rootfs, { ...request, sourceRoot: req.contextDir });
        }),
      );
    } finally {
      if (stepDir) await rm(stepDir, { recursive: true, force: true });
    }
  }
}

/** `--chown=user:group`, names looked up in the destination image's /etc/passwd and /etc/group. */
function resolveChown(spec: string, rootfs: string): Ownership {
  const db = readUserDatabase(rootfs);
  const [user = '', group] = spec.split(':');
  const resolved = resolveUser(user, [], db);
  if (group === undefined || group === '') {
    // Docker: with only a user, the group is the user's primary group when it has an entry, else the same number.
    const entry = db.passwd.find((p) => p.name === user || String(p.uid) === user);
    return { uid: resolved.uid, gid: entry ? entry.gid : resolved.uid };
  }
  const gid = /^\d+$/.test(group) ? Number(group) : db.group.find((g) => g.name === group)?.gid;
  if (gid === undefined) throw new InvalidParameterError(`unable to find group ${group}: no matching entries in group file`);
  return { uid: resolved.uid, gid };
}

async function mkdirInRoot(rootfs: string, dir: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  let current = '/';
  for (const part of dir.split('/').filter(Boolean)) {
    current = posix.join(current, part);
    const host = await resolveInRoot(rootfs, current);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new InvalidParameterError(`cannot create WORKDIR ${dir}: ${current} is not a directory`);
    await mkdir(host, { mode: 0o755 });
  }
}

export { PROXY_ARGS };
