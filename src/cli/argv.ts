/**
 * pflag lets boolean flags take `=true`/`=false` (`history -H=false`, `attach --sig-proxy=false`);
 * commander does not, so those few spellings are rewritten before parsing. Only these flags are
 * touched, so arguments meant for a container's command are left alone.
 */
const BOOL_FLAGS: Record<string, string> = {
  '-H': 'human',
  '--human': 'human',
  '--sig-proxy': 'sig-proxy',
  '--trunc': 'trunc',
};

export function normalizeBoolFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(-[A-Za-z]|--[a-z-]+)=(true|false|1|0)$/.exec(arg);
    const name = m && BOOL_FLAGS[m[1]!];
    if (!m || !name) {
      out.push(arg);
      continue;
    }
    out.push(m[2] === 'true' || m[2] === '1' ? `--${name}` : `--no-${name}`);
  }
  return out;
}
