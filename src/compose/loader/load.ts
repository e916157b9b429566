import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComposeError } from './errors.js';
import { InterpolationError, substitute } from './interpolate.js';
import { normalizeProject } from './project.js';
import { displayName, loadRawFiles, readComposeFile, readEnvFiles } from './raw-loader.js';
import type { RawLoadContext } from './raw-loader.js';
import { errorAt } from './tree.js';
import type { Project } from './types.js';

export interface LoadProjectOptions {
  /** Directory the command runs in: files, env files and `.env` are found relative to it. */
  workingDir: string;
  /** `-f` files; default: the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml plus its override file. */
  files?: string[];
  /** `--project-directory`; default: the directory of the first file. */
  projectDirectory?: string;
  /** `-p`. */
  projectName?: string;
  /** `--env-file` (several, later ones win). When given, `.env` is not read, as in compose. */
  envFiles?: string[];
  /** The process environment; it wins over every env file. */
  environment: Record<string, string | undefined>;
  /** `--profile`; default: COMPOSE_PROFILES. */
  profiles?: string[];
  /** Services named on the command line: enabled even when their profiles are not active. */
  includeServices?: string[];
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const PROJECT_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;

/** Compose's normalization of a directory name into a project name. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

function checkProjectName(name: string, source: string): string {
  if (!PROJECT_NAME_RE.test(name)) {
    throw new ComposeError(`invalid project name "${name}" (from ${source}): it must contain only characters from [a-z0-9_-] and start with [a-z0-9]`);
  }
  return name;
}

/** Finds the default compose file and its `.override` companion in a directory. */
export function findDefaultFiles(dir: string): string[] {
  for (const candidate of DEFAULT_FILES) {
    const file = path.join(dir, candidate);
    if (!existsSync(file)) continue;
    const base = candidate.replace(/\.ya?ml$/, '');
    const override = ['yaml', 'yml'].map((ext) => path.join(dir, `${base}.override.${ext}`)).find((f) => existsSync(f));
    return override ? [file, override] : [file];
  }
  throw new ComposeError(`no configuration file provided: not found (looked for ${DEFAULT_FILES.join(', ')} in ${dir})`);
}

/** Loads Compose files into one resolved, validated Project. */
export async function loadProject(options: LoadProjectOptions): Promise<Project> {
  const workingDir = path.resolve(options.workingDir);
  const shellEnv = Object.fromEntries(Object.entries(options.environment).filter((e): e is [string, string] => e[1] !== undefined));
  const warnings = new Set<string>();

  const baseDir = options.projectDirectory ? path.resolve(workingDir, options.projectDirectory) : workingDir;
  const envFiles = options.envFiles
    ? options.envFiles.map((f) => path.resolve(workingDir, f))
    : [path.join(baseDir, '.env')].filter((f) => existsSync(f));
  const env: Record<string, string> = { ...(await readEnvFiles(envFiles, shellEnv, warnings)), ...shellEnv };

  const composeFileVar = env.COMPOSE_FILE;
  const requested = options.files && options.files.length > 0 ? options.files : composeFileVar ? composeFileVar.split(path.delimiter).filter(Boolean) : undefined;
  const files = requested ? requested.map((f) => path.resolve(workingDir, f)) : findDefaultFiles(workingDir);
  for (const file of files) if (!existsSync(file)) throw new ComposeError(`open ${file}: no such file or directory`);
  const projectDir = options.projectDirectory ? baseDir : path.dirname(files[0]!);

  const ctx: RawLoadContext = { env, shellEnv, home: env.HOME ?? os.homedir(), displayRoot: workingDir, warnings, parsed: new Map(), includeStack: files };
  const name = await resolveProjectName(options, files, projectDir, ctx);
  env.COMPOSE_PROJECT_NAME ??= name;

  const profiles = options.profiles ?? (env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',').map((p) => p.trim()).filter(Boolean) : []);
  const tree = await loadRawFiles(files, projectDir, ctx);
  return normalizeProject(tree, {
    name,
    workingDir: projectDir,
    composeFiles: files,
    env,
    warnings,
    profiles,
    includeServices: options.includeServices ?? [],
  });
}

async function resolveProjectName(options: LoadProjectOptions, files: string[], projectDir: string, ctx: RawLoadContext): Promise<string> {
  if (options.projectName) return checkProjectName(options.projectName, '-p');
  if (ctx.env.COMPOSE_PROJECT_NAME) return checkProjectName(ctx.env.COMPOSE_PROJECT_NAME, 'COMPOSE_PROJECT_NAME');
  let fromFile: string | undefined;
  for (const file of files) {
    const tree = await readComposeFile(file, ctx);
    if (typeof tree.name !== 'string') continue;
    try {
      fromFile = substitute(tree.name, { lookup: (n) => ctx.env[n] });
    } catch (err) {
      if (err instanceof InterpolationError) throw errorAt(tree, 'name', ['name'], err.message);
      throw err;
    }
    if (fromFile) checkProjectName(fromFile, `name in ${displayName(file, ctx.displayRoot)}`);
  }
  if (fromFile) return fromFile;
  const normalized = normalizeProjectName(path.basename(projectDir));
  if (!normalized) throw new ComposeError(`cannot derive a project name from directory "${projectDir}": use -p or name:`);
  return normalized;
}
