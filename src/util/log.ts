/**
 * A small leveled logger writing logfmt-ish lines to stderr. berthd's own log is read by
 * people and by `berth doctor`; keep lines short and put variable parts in fields.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

let threshold = ORDER.info;
export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}
export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

function render(fields: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
    out += ` ${k}=${/[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
  }
  return out;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const line = `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}${render({ ...base, ...fields })}\n`;
    process.stderr.write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...base, ...f }),
  };
}

export const log = createLogger();
