import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Registry credentials in the docker CLI's `config.json` (`$DOCKER_CONFIG` or `~/.docker`):
 * `auths` (base64 `user:password`), or a credential helper named by `credHelpers[host]` or
 * `credsStore` (`docker-credential-<name> get|store|erase`, JSON over stdin/stdout).
 */
export interface StoredCredentials {
  username: string;
  password: string;
  serverAddress: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** docker.io credentials live under the legacy index URL, as the docker CLI keeps them. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** The registry host of an image name: `127.0.0.1:5000/x` → `127.0.0.1:5000`, `busybox` → `docker.io`. */
export function registryOfImage(name: string): string {
  const slash = name.indexOf('/');
  const first = slash > 0 ? name.slice(0, slash) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost') && first !== 'index.docker.io') return first;
  return 'docker.io';
}

/** The key of a host in `auths` and `credHelpers`. */
export function authKey(host: string): string {
  return host === 'docker.io' ? DOCKER_HUB_AUTH_KEY : host;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; resolves stdout. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(`docker-credential-${helper}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', (e) => reject(new Error(`credential helper docker-credential-${helper}: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker-credential-${helper} ${action}: ${(out || err).trim() || `exit ${code}`}`))));
    p.stdin.end(input);
  });
}

export class DockerConfig {
  constructor(private readonly dir: string = configDir()) {}

  get file(): string {
    return join(this.dir, 'config.json');
  }

  private async read(): Promise<DockerConfigFile> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as DockerConfigFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`cannot read ${this.file}: ${(err as Error).message}`);
    }
  }

  /** Written through a temp file and renamed, mode 0600: it holds secrets. */
  private async write(cfg: DockerConfigFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }

  private helperFor(cfg: DockerConfigFile, host: string): string | undefined {
    return cfg.credHelpers?.[authKey(host)] ?? cfg.credHelpers?.[host] ?? cfg.credsStore;
  }

  async get(host: string): Promise<StoredCredentials | undefined> {
    const cfg = await this.read();
    const key = authKey(host);
    const helper = this.helperFor(cfg, host);
    if (helper) {
      try {
        const out = JSON.parse(await runHelper(helper, 'get', key)) as { Username?: string; Secret?: string };
        if (out.Secret !== undefined) return { username: out.Username ?? '', password: out.Secret, serverAddress: key };
      } catch {
        return undefined;
      }
      return undefined;
    }
    const entry = cfg.auths?.[key] ?? cfg.auths?.[`https://${key}`] ?? cfg.auths?.[`http://${key}`];
    if (!entry?.auth) return undefined;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serverAddress: key };
  }

  /** Returns where the credentials went: the helper's name, or the file. */
  async store(host: string, username: string, password: string): Promise<string> {
    const cfg = await this.read();
    const key = authKey(host);
    const helper = this.helperFor(cfg, host);
    if (helper) {
      await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: password }));
      cfg.auths = { ...cfg.auths, [key]: {} };
      await this.write(cfg);
      return `docker-credential-${helper}`;
    }
    cfg.auths = { ...cfg.auths, [key]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
    await this.write(cfg);
    return this.file;
  }

  /** Returns false when there was nothing stored for the host. */
  async erase(host: string): Promise<boolean> {
    const cfg = await this.read();
    const key = authKey(host);
    const helper = this.helperFor(cfg, host);
    let found = false;
    if (helper) {
      found = await runHelper(helper, 'erase', key).then(
        () => true,
        () => false,
      );
    }
    if (cfg.auths && key in cfg.auths) {
      delete cfg.auths[key];
      found = true;
      await this.write(cfg);
    }
    return found;
  }
}

/** The X-Registry-Auth header value for stored (or no) credentials: base64url JSON. */
export function registryAuthHeader(creds: StoredCredentials | undefined): string {
  const body = creds ? { username: creds.username, password: creds.password, serveraddress: creds.serverAddress } : {};
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}
