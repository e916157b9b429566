/** `berth doctor`: security and health self-check (src/engine/ops/doctor). */
import type { Command } from 'commander';
import { createCli, clientOptions, type GlobalOptions } from '../cli.js';
import { exitCodeFor, runChecks, type Finding } from '../../engine/ops/doctor/checks.js';
import { gather } from '../../engine/ops/doctor/gather.js';

const MARK: Record<Finding['severity'], string> = { info: '[INFO]', warn: '[WARN]', critical: '[CRIT]' };

export function formatFindings(findings: Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${MARK[f.severity]} ${f.title}${f.subjects?.length ? `: ${f.subjects.join(', ')}` : ''}`);
    if (f.severity !== 'info') lines.push(`       why: ${f.reason}`, `       fix: ${f.fix}`);
  }
  const warn = findings.filter((f) => f.severity === 'warn').length;
  const crit = findings.filter((f) => f.severity === 'critical').length;
  lines.push('', `${crit} critical, ${warn} warnings, ${findings.length - warn - crit} ok`);
  return lines.join('\n') + '\n';
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check the daemon, its containers and this host for security and health problems')
    .option('--format <format>', 'output format: table (default) or json')
    .action(async (o: { format?: string }) => {
      const globals = program.opts<GlobalOptions>();
      const cli = createCli(globals);
      try {
        const opts = clientOptions(globals);
        const input = await gather({ client: cli.client, host: cli.host, tls: opts.tls !== undefined });
        const findings = runChecks(input);
        if (!input.daemonReachable) findings.unshift({ id: 'daemon', severity: 'critical', title: `cannot reach the daemon at ${cli.host}`, reason: 'Container checks were skipped.', fix: 'start berthd or point --host / BERTH_HOST at it' });
        cli.out(o.format === 'json' ? JSON.stringify(findings, null, 2) + '\n' : formatFindings(findings));
        process.exitCode = exitCodeFor(findings);
      } finally {
        cli.close();
      }
    });
}
