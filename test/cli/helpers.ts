import { spawn } from 'node:child_process';
import { entryCommand } from '../helpers/paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** BERTH_HOST for the child. */
  host?: string;
  /** Written to the child's stdin, then closed (stdin is closed empty otherwise). */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Run this program instead of the berth CLI (e.g. the docker CLI). */
  command?: string[];
}

/** Runs the berth CLI (or another command) as a subprocess and collects its output. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const [cmd, ...pre] = opts.command ?? entryCommand('cli');
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, NO_COLOR: '1' };
  if (opts.host) env.BERTH_HOST = opts.host;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** Splits table output into rows of cells (cells are separated by 3+ spaces). */
export function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {3,}/).map((c) => c.trim()));
}
