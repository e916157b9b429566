import { spawn } from 'node:child_process';
import type { TestDaemon } from './daemon.js';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real docker CLI against a test daemon; `input` is piped to its stdin (otherwise stdin is closed). */
export function docker(d: TestDaemon, args: string[], opts: { input?: string | Buffer } = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: d.dockerEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** docker that must succeed; returns stdout. */
export async function dockerOk(d: TestDaemon, args: string[], opts: { input?: string | Buffer } = {}): Promise<string> {
  const r = await docker(d, args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
