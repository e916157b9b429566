/**
 * The build context as the API receives it (a tar, plain or compressed) unpacked into a private
 * directory under the data root, with the same safety as layer unpacking (no `..`, no absolute
 * paths, no writes through symlinks), then trimmed by `.dockerignore` (or
 * `<Dockerfile>.dockerignore`) as the classic builder does on the daemon side.
 *
 * Secrets travel in the same tar (the legacy protocol has no other channel): the client puts
 * them under `SECRETS_DIR/<id>` and names the ids in the `secrets` query parameter. They are
 * moved out of the context before anything else reads it, so no COPY can see them and they
 * never reach a layer; RUN --mount=type=secret binds them read-only for one step.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidParameterError, errorMessage } from '../../../util/errors.js';
import { DockerignoreMatcher, cleanPath, loadDockerignore } from './dockerignore.js';
import { extractContext } from './untar.js';

/** Reserved directory at the top of the context tar holding build secrets. */
export const SECRETS_DIR = '.berth-build-secrets';

export interface PreparedContext {
  /** Root of the temp dir; remove it when the build is done. */
  root: string;
  contextDir: string;
  dockerfile: string;
  dockerfileName: string;
  secrets: Map<string, string>;
  ignorePatterns: string[];
  /** sha256 (hex) of the context's regular files by path, taken while extracting. */
  fileHashes: ReadonlyMap<string, string>;
}

export async function prepareContext(o: { body: Readable; scratchDir: string; dockerfile?: string; secretIds?: string[] }): Promise<PreparedContext> {
  const root = await mkdtemp(join(o.scratchDir, 'build-context-'));
  try {
    const contextDir = join(root, 'context');
    const secretsDir = join(root, 'secrets');
    await mkdir(contextDir, { mode: 0o700 });
    await mkdir(secretsDir, { mode: 0o700 });
    let fileHashes: Map<string, string>;
    try {
      fileHashes = await extractContext(o.body, contextDir);
    } catch (err) {
      throw new InvalidParameterError(`the build context is not a valid tar archive: ${errorMessage(err)}`, { cause: err });
    }
    const secrets = new Map<string, string>();
    if (o.secretIds?.length) {
      for (const id of o.secretIds) {
        if (!/^[A-Za-z0-9_.-]+$/.test(id) || id === '.' || id === '..') throw new InvalidParameterError(`invalid secret id "${id}"`);
        const src = join(contextDir, SECRETS_DIR, id);
        const st = await lstat(src).catch(() => undefined);
        if (!st?.isFile()) throw new InvalidParameterError(`secret "${id}" is missing from the build context`);
        await rename(src, join(secretsDir, id));
        secrets.set(id, join(secretsDir, id));
      }
      await rm(join(contextDir, SECRETS_DIR), { recursive: true, force: true });
    }
    const dockerfileName = cleanPath(o.dockerfile || 'Dockerfile').replace(/^\/+/, '');
    if (dockerfileName.startsWith('..')) throw new InvalidParameterError(`the Dockerfile (${o.dockerfile}) must be within the build context`);
    let dockerfile: string;
    try {
      dockerfile = await readFile(join(contextDir, dockerfileName), 'utf8');
    } catch {
      throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${o.dockerfile || 'Dockerfile'}`);
    }
    const { patterns } = await loadDockerignore({ contextDir, dockerfilePath: dockerfileName });
    if (patterns.length > 0) await removeIgnored(contextDir, new DockerignoreMatcher(patterns));
    return { root, contextDir, dockerfile, dockerfileName: posix.basename(dockerfileName), secrets, ignorePatterns: patterns, fileHashes };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** Deletes what the ignore patterns exclude, keeping directories an exception may reach into. */
export async function removeIgnored(dir: string, matcher: DockerignoreMatcher): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(dir, rel))) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(dir, path));
      if (!matcher.matches(path)) {
        if (st.isDirectory()) await walk(path);
        continue;
      }
      if (st.isDirectory() && matcher.hasExclusions && matcher.mayIncludeUnder(path)) {
        await walk(path);
        continue;
      }
      await rm(join(dir, path), { recursive: true, force: true });
    }
  };
  await walk('');
}
