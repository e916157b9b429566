/**
 * Go's default value printing (`fmt.Sprint`, the `%v` verb), which templates use for every
 * `{{.X}}`: slices print as `[a b]`, maps as `map[k:v]` with sorted keys, nil as `<nil>`.
 * Values come from JSON, so objects print as maps; numbers that are whole print as integers,
 * like the typed Go structs the docker CLI formats.
 */

/** Marks a missing map key / field: Go prints it as `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');

export type TemplateValue = unknown;

/** Go's %g for a float64 with the shortest representation (strconv 'g', -1). */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  // %v uses %g with the shortest precision; exponent form when exp < -4 || exp >= 21.
  if (exp < -4 || exp >= 21) return goExponent(n.toExponential());
  return String(n);
}

/** JS `1.5e+7` → Go `1.5e+07` (at least two exponent digits). */
export function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's `%.<prec>g`. */
export function goPrecisionG(n: number, prec: number): string {
  if (n === 0) return '0';
  const p = Math.max(prec, 1);
  const exp = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(p)))));
  if (exp < -4 || exp >= p) {
    const [mant, e] = n.toExponential(p - 1).split('e') as [string, string];
    return goExponent(`${stripZeros(mant)}e${e}`);
  }
  return stripZeros(n.toFixed(Math.max(0, p - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? String(n) : goFloat(n);
}

/** `fmt.Sprint(v)` for one value. */
export function goSprint(v: TemplateValue): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, val]) => `${k}:${goSprint(val)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's `fmt.Sprint(a, b, ...)`: spaces only between operands when neither is a string. */
export function goSprintMany(args: TemplateValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goSprint(a);
  });
  return out;
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: TemplateValue): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** A small `fmt.Sprintf`: %v %s %d %q %t %f %e %g %x %X %c %%, with flags `-+0 `, width and precision. */
export function goSprintf(format: string, args: TemplateValue[]): string {
  let argi = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([vsdqtfegxXc%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (argi >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[argi++];
    let s: string;
    switch (verb) {
      case 'v':
      case 's':
        s = goSprint(arg);
        if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
        break;
      case 'q':
        s = JSON.stringify(goSprint(arg));
        break;
      case 'd':
        s = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${typeName(arg)}=${goSprint(arg)})`;
        if (flags.includes('+') && typeof arg === 'number' && arg >= 0) s = `+${s}`;
        break;
      case 't':
        s = typeof arg === 'boolean' ? String(arg) : `%!t(${typeName(arg)}=${goSprint(arg)})`;
        break;
      case 'f':
        s = typeof arg === 'number' ? arg.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(${typeName(arg)}=${goSprint(arg)})`;
        break;
      case 'e':
        s = typeof arg === 'number' ? goExponent(arg.toExponential(prec === undefined ? 6 : Number(prec))) : `%!e(${typeName(arg)})`;
        break;
      case 'g':
        s = typeof arg === 'number' ? (prec === undefined ? goFloat(arg) : goPrecisionG(arg, Number(prec))) : `%!g(${typeName(arg)})`;
        break;
      case 'x':
      case 'X': {
        const hex = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(goSprint(arg)).toString('hex');
        s = verb === 'X' ? hex.toUpperCase() : hex;
        break;
      }
      case 'c':
        s = typeof arg === 'number' ? String.fromCodePoint(arg) : `%!c(${typeName(arg)})`;
        break;
      default:
        s = goSprint(arg);
    }
    if (width !== undefined && s.length < Number(width)) {
      const padLen = Number(width) - s.length;
      if (flags.includes('-')) s = s + ' '.repeat(padLen);
      else if (flags.includes('0') && /[dfegxX]/.test(verb)) s = s.startsWith('-') ? `-${'0'.repeat(padLen)}${s.slice(1)}` : '0'.repeat(padLen) + s;
      else s = ' '.repeat(padLen) + s;
    }
    return s;
  }) + (argi < args.length ? `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${goSprint(a)}`).join(', ')})` : '');
}

export function typeName(v: TemplateValue): string {
  if (v === null || v === undefined || v === NO_VALUE) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  return typeof v;
}
