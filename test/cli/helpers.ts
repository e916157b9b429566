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

/** A detached tmux session running one command line; for TTY tests (raw mode, resize, detach keys). */
export class TmuxSession {
  private constructor(readonly name: string) {}

  static async start(name: string, argv: string[], env: Record<string, string>, size = { cols: 100, rows: 30 }): Promise<TmuxSession> {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The exit status is printed on the pane (tmux's own pane_dead_status is not reliably filled in),
    // and the shell then waits so the last screen can still be read.
    const line = `${argv.map(quote).join(' ')}; echo "[exit status $?]"; exec sleep 3600`;
    await tmux(['new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), ...envArgs, line]);
    return new TmuxSession(name);
  }

  /** Types text; `keys` are tmux key names (Enter, C-p). */
  async send(...keys: string[]): Promise<void> {
    await tmux(['send-keys', '-t', this.name, ...keys]);
  }

  async type(text: string): Promise<void> {
    await tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  async screen(): Promise<string> {
    return (await tmux(['capture-pane', '-p', '-t', this.name])).stdout;
  }

  /** Polls the pane until `pattern` shows (or gives up after `ms`, returning the last screen for the assertion message). */
  async waitFor(pattern: RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`tmux pane never showed ${pattern}; last screen:\n${last}`);
  }

  /** Waits for the command to exit; returns its exit status. */
  async exitStatus(ms = 20_000): Promise<number> {
    const screen = await this.waitFor(/\[exit status \d+\]/, ms);
    return Number(/\[exit status (\d+)\]/.exec(screen)![1]);
  }

  async resize(cols: number, rows: number): Promise<void> {
    await tmux(['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  async kill(): Promise<void> {
    await tmux(['kill-session', '-t', this.name]).catch(() => undefined);
  }
}

export async function tmux(args: string[]): Promise<CliResult> {
  const r = await runCli(args, { command: ['tmux'] });
  if (r.code !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r;
}
