/**
 * The adapter around iptables. All changes go through `iptables-restore --noflush -w` so that a
 * whole batch (several chains, two tables) is applied atomically by one process; reads use
 * `iptables-save`. The host may run the legacy (xtables) or the nf_tables backend; rules added
 * with the other one would be evaluated separately and confuse everyone, so we use the backend
 * that already holds the host's rules (the approach of kubernetes' iptables-wrapper), falling
 * back to whatever `iptables` points at.
 */
import { runTool } from './ip.js';

export type IptablesBackend = 'nft' | 'legacy';
export type IptablesTable = 'filter' | 'nat';

export interface Iptables {
  readonly backend: IptablesBackend;
  /** The `iptables-save` text of one table (counters omitted). */
  save(table: IptablesTable): Promise<string>;
  /** Applies restore-format text with --noflush: chains not mentioned are left alone. */
  restore(text: string): Promise<void>;
}

function binaries(backend: IptablesBackend): { save: string; restore: string } {
  return { save: `iptables-${backend}-save`, restore: `iptables-${backend}-restore` };
}

async function ruleCount(backend: IptablesBackend): Promise<number> {
  try {
    const { stdout } = await runTool(binaries(backend).save, []);
    return stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
  } catch {
    return -1;
  }
}

let detected: Promise<IptablesBackend> | undefined;

/** Detects the backend once per process. */
export function detectIptablesBackend(): Promise<IptablesBackend> {
  detected ??= (async () => {
    const [nft, legacy] = await Promise.all([ruleCount('nft'), ruleCount('legacy')]);
    if (legacy > 0 && legacy > nft) return 'legacy';
    if (nft > 0 && nft > legacy) return 'nft';
    const { stdout } = await runTool('iptables', ['-V']).catch(() => ({ stdout: '' }));
    return /legacy/.test(stdout) ? 'legacy' : 'nft';
  })();
  return detected;
}

export async function openIptables(backend?: IptablesBackend): Promise<Iptables> {
  const b = backend ?? (await detectIptablesBackend());
  const bin = binaries(b);
  return {
    backend: b,
    async save(table) {
      const { stdout } = await runTool(bin.save, ['-t', table]);
      return stdout;
    },
    async restore(text) {
      await runTool(bin.restore, ['--noflush', '-w'], { input: text });
    },
  };
}

/** Lines of one table's save output that are rules (`-A CHAIN ...`) or chain declarations. */
export function parseSave(text: string): { chains: string[]; rules: string[] } {
  const chains: string[] = [];
  const rules: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.push(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { chains, rules };
}
