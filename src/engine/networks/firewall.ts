/**
 * Applies the rule set of rules.ts. `sync` replaces the contents of our chains (one
 * iptables-restore, skipped when the text equals what this process applied last: our chains
 * are ours alone, and a crash is repaired by `install` at the next start); `install` also removes any jump rules to our chains left in the built-in
 * chains (duplicates after a crash) and inserts exactly one of each; `remove` deletes jumps and
 * chains. Rules of other instances and of dockerd are never read back or touched.
 */
import { openIptables, parseSave, type Iptables } from '../../sys/iptables.js';
import type { InstanceNames } from './naming.js';
import { jumpRules, ourChains, renderChains, type FirewallState } from './rules.js';

export class Firewall {
  private iptables?: Iptables;
  /** The chain contents last applied by this process: an unchanged state costs no process. */
  private applied?: string;

  constructor(private readonly names: InstanceNames) {}

  private async ipt(): Promise<Iptables> {
    this.iptables ??= await openIptables();
    return this.iptables;
  }

  async sync(state: FirewallState): Promise<void> {
    const text = renderChains(this.names, state);
    if (text === this.applied) return;
    this.applied = undefined;
    await (await this.ipt()).restore(text);
    this.applied = text;
  }

  /** Our chains' jump targets, so stale jumps can be found in save output. */
  private isOurJump(rule: string): boolean {
    return ourChains(this.names).some((c) => rule.endsWith(` -j ${c.chain}`));
  }

  private async staleJumps(): Promise<{ nat: string[]; filter: string[] }> {
    const ipt = await this.ipt();
    const [nat, filter] = await Promise.all([ipt.save('nat'), ipt.save('filter')]);
    const pick = (text: string) => parseSave(text).rules.filter((r) => this.isOurJump(r) && !/^-A BERTH-/.test(r)).map((r) => r.slice(3));
    return { nat: pick(nat), filter: pick(filter) };
  }

  private async existingChains(): Promise<{ nat: string[]; filter: string[] }> {
    const ipt = await this.ipt();
    const [nat, filter] = await Promise.all([ipt.save('nat'), ipt.save('filter')]);
    const ours = new Set(ourChains(this.names).map((c) => c.chain));
    return { nat: parseSave(nat).chains.filter((c) => ours.has(c)), filter: parseSave(filter).chains.filter((c) => ours.has(c)) };
  }

  /** Creates the chains with `state` and makes each built-in chain jump to ours exactly once. */
  async install(state: FirewallState): Promise<void> {
    const stale = await this.staleJumps();
    const chains = renderChains(this.names, state).split('\n');
    const jumps = jumpRules(this.names);
    const text: string[] = [];
    for (const table of ['nat', 'filter'] as const) {
      const start = chains.indexOf(`*${table}`);
      const end = chains.indexOf('COMMIT', start);
      text.push(...chains.slice(start, end));
      for (const r of stale[table]) text.push(`-D ${r}`);
      for (const j of jumps.filter((j) => j.table === table)) {
        const [chain, ...rest] = j.rule.split(' ');
        text.push(`-I ${chain} 1 ${rest.join(' ')}`);
      }
      text.push('COMMIT');
    }
    this.applied = undefined;
    await (await this.ipt()).restore(text.join('\n') + '\n');
    this.applied = renderChains(this.names, state);
  }

  /** Removes our jumps and chains; safe when nothing is installed. */
  async remove(): Promise<void> {
    this.applied = undefined;
    const [stale, chains] = await Promise.all([this.staleJumps(), this.existingChains()]);
    const text: string[] = [];
    for (const table of ['nat', 'filter'] as const) {
      if (stale[table].length === 0 && chains[table].length === 0) continue;
      text.push(`*${table}`);
      for (const r of stale[table]) text.push(`-D ${r}`);
      for (const c of chains[table]) text.push(`-F ${c}`);
      for (const c of chains[table]) text.push(`-X ${c}`);
      text.push('COMMIT');
    }
    if (text.length) await (await this.ipt()).restore(text.join('\n') + '\n');
  }
}
