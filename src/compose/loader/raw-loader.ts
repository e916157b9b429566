import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { canonicalizeFile, resolveHostPath } from './canonical.js';
import { DotenvError, parseDotenv } from './dotenv.js';
import { ComposeError } from './errors.js';
import { interpolateTree } from './interpolate-tree.js';
import { mergeTrees } from './merge.js';
import { posOf } from './positions.js';
import { isTreeMap, parseComposeYaml } from './source.js';
import type { Tree, TreeMap } from './source.js';
import { deepEqual, errorAt, mapLike, stringOrList, stripTags } from './tree.js';

/**
 * Loads Compose files into one merged plain tree: per file parse → interpolate → long syntax →
 * include → extends, then the files are merged in order with the override rules. The result is
 * still untyped; normalize.ts turns it into the Project model.
 */
export interface RawLoadContext {
  /** Variables for interpolation. */
  env: Record<string, string>;
  /** The shell environment alone: included projects combine it with their own env files. */
  shellEnv: Record<string, string>;
  home: string;
  /** Directory file names in errors are shown relative to. */
  displayRoot: string;
  warnings: Set<string>;
  /** Parsed files by absolute path, so a file extended from many places is read once. */
  parsed: Map<string, TreeMap>;
  /** Files being included, outermost first, to report include cycles. */
  includeStack: string[];
}

export function displayName(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

export async function readComposeFile(file: string, ctx: RawLoadContext): Promise<TreeMap> {
  const cached = ctx.parsed.get(file);
  if (cached) return cached;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ComposeError(`cannot read compose file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const tree = parseComposeYaml({ text, displayName: displayName(file, ctx.displayRoot) });
  if (tree === null) return {};
  if (!isTreeMap(tree)) throw new ComposeError('top-level object must be a mapping', { pos: { file: displayName(file, ctx.displayRoot), line: 1 } });
  ctx.parsed.set(file, tree);
  return tree;
}

/** Parses, interpolates and canonicalizes one file (no include/extends yet). */
async function prepareFile(file: string, baseDir: string, ctx: RawLoadContext): Promise<TreeMap> {
  const parsed = await readComposeFile(file, ctx);
  const interpolated = interpolateTree(parsed, { lookup: (name) => ctx.env[name], warnings: ctx.warnings }) as TreeMap;
  return canonicalizeFile(interpolated, { baseDir, home: ctx.home });
}

export async function loadRawFiles(files: string[], projectDir: string, ctx: RawLoadContext): Promise<TreeMap> {
  let merged: Tree = {};
  for (const file of files) {
    // Paths in override files are relative to the project directory, not to their own folder.
    const canonical = await prepareFile(file, projectDir, ctx);
    const included = await applyIncludes(canonical, path.dirname(file), ctx);
    const extended = await applyExtends(included, file, ctx);
    merged = mergeTrees(merged, extended);
  }
  return stripTags(merged) as TreeMap;
}

const INCLUDED_SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'];

async function applyIncludes(tree: TreeMap, fileDir: string, ctx: RawLoadContext): Promise<TreeMap> {
  if (!('include' in tree)) return tree;
  const entries = tree.include;
  if (!Array.isArray(entries)) throw errorAt(tree, 'include', ['include'], 'must be a list');
  const out = mapLike(tree);
  Object.assign(out, tree);
  delete out.include;
  for (const [i, entry] of entries.entries()) {
    const at = ['include', i];
    const spec = typeof entry === 'string' ? { path: entry } : entry;
    if (!isTreeMap(spec) || spec.path === undefined) throw errorAt(entries, i, at, 'must be a path or a mapping with "path"');
    const paths = stringOrList(spec.path, spec, 'path', [...at, 'path']).map((p) => resolveHostPath(String(p), { baseDir: fileDir, home: ctx.home }));
    const projectDir =
      typeof spec.project_directory === 'string' ? resolveHostPath(spec.project_directory, { baseDir: fileDir, home: ctx.home }) : path.dirname(paths[0]!);
    if (paths.some((p) => ctx.includeStack.includes(p))) throw errorAt(entries, i, at, `include cycle: ${[...ctx.includeStack, paths[0]].join(' -> ')}`);
    const envFiles =
      spec.env_file !== undefined
        ? stringOrList(spec.env_file, spec, 'env_file', [...at, 'env_file']).map((p) => resolveHostPath(String(p), { baseDir: fileDir, home: ctx.home }))
        : [path.join(projectDir, '.env')].filter((p) => existsSync(p));
    const env = { ...(await readEnvFiles(envFiles, ctx.shellEnv, ctx.warnings)), ...ctx.shellEnv };
    const child: RawLoadContext = { ...ctx, env, includeStack: [...ctx.includeStack, ...paths] };
    const imported = await loadRawFiles(paths, projectDir, child);
    for (const section of INCLUDED_SECTIONS) {
      const defs = imported[section];
      if (!isTreeMap(defs)) continue;
      const current = isTreeMap(out[section]) ? (out[section] as TreeMap) : {};
      const merged = mapLike(current);
      Object.assign(merged, current);
      for (const [name, def] of Object.entries(defs)) {
        if (name in merged && !deepEqual(merged[name]!, def)) {
          throw new ComposeError(`${section.replace(/s$/, '')} "${name}" conflicts with the one imported from ${displayName(paths[0]!, ctx.displayRoot)}`, {
            pos: posOf(current, name) ?? posOf(defs, name),
            path: [section, name],
          });
        }
        merged[name] = def;
      }
      out[section] = merged;
    }
  }
  return out;
}

async function applyExtends(tree: TreeMap, file: string, ctx: RawLoadContext): Promise<TreeMap> {
  const services = tree.services;
  if (!isTreeMap(services)) return tree;
  const resolver = new ExtendsResolver(ctx);
  const out = mapLike(tree);
  Object.assign(out, tree);
  const resolved = mapLike(services);
  for (const name of Object.keys(services)) resolved[name] = await resolver.resolve(tree, file, name, []);
  out.services = resolved;
  return out;
}

class ExtendsResolver {
  private readonly otherFiles = new Map<string, TreeMap>();
  constructor(private readonly ctx: RawLoadContext) {}

  async resolve(tree: TreeMap, file: string, name: string, stack: string[]): Promise<Tree> {
    const services = tree.services as TreeMap;
    const svc = services[name]!;
    if (!isTreeMap(svc) || !isTreeMap(svc.extends)) return svc;
    const ext = svc.extends;
    const here = `${displayName(file, this.ctx.displayRoot)}:${name}`;
    const path = ['services', name, 'extends'];
    if (stack.includes(here)) throw errorAt(svc, 'extends', path, `extends cycle: ${[...stack, here].join(' -> ')}`);
    const baseName = String(ext.service);
    let baseFile = file;
    let baseTree = tree;
    if (typeof ext.file === 'string') {
      baseFile = ext.file;
      baseTree = await this.loadOther(ext.file, svc);
    }
    const baseServices = baseTree.services;
    if (!isTreeMap(baseServices) || !(baseName in baseServices)) {
      throw errorAt(svc, 'extends', path, `cannot extend service "${name}": service "${baseName}" not found in ${displayName(baseFile, this.ctx.displayRoot)}`);
    }
    const base = await this.resolve(baseTree, baseFile, baseName, [...stack, here]);
    if (!isTreeMap(base)) throw errorAt(svc, 'extends', path, `cannot extend service "${name}": "${baseName}" is not a mapping`);
    const local = mapLike(svc);
    Object.assign(local, svc);
    delete local.extends;
    const cleanBase = mapLike(base);
    Object.assign(cleanBase, base);
    delete cleanBase.extends;
    return mergeTrees(cleanBase, local, ['services', name]);
  }

  private async loadOther(file: string, from: TreeMap): Promise<TreeMap> {
    const cached = this.otherFiles.get(file);
    if (cached) return cached;
    if (!existsSync(file)) throw errorAt(from, 'extends', [], `extends file not found: ${file}`);
    const tree = await prepareFile(file, path.dirname(file), this.ctx);
    this.otherFiles.set(file, tree);
    return tree;
  }
}

/** Reads env files in order (later ones win); `${VAR}` inside them sees the shell first. */
export async function readEnvFiles(files: string[], shellEnv: Record<string, string>, warnings: Set<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ComposeError(`cannot read env file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    try {
      Object.assign(out, parseDotenv(text, { lookup: (n) => shellEnv[n] ?? out[n], onUnset: (n) => warnings.add(`${file}: The "${n}" variable is not set. Defaulting to a blank string.`) }));
    } catch (err) {
      if (err instanceof DotenvError) throw new ComposeError(err.message, { pos: { file, line: err.line } });
      throw new ComposeError(`${file}: ${(err as Error).message}`);
    }
  }
  return out;
}
