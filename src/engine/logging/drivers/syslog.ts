/**
 * The syslog driver: RFC 3164 (and Docker's default, which is 3164 without the hostname) or
 * RFC 5424 (`rfc5424`, `rfc5424micro`), over udp, tcp, unix (stream) or unixgram sockets.
 * stdout lines go out as `info`, stderr as `err`, in `syslog-facility` (default daemon).
 * Over a stream socket, 5424 messages are octet-counted (RFC 5425/6587), others end in \n.
 */
import { existsSync } from 'node:fs';
import { DeliveryQueue } from '../queue.js';
import { formatUtc, type LogSource, type ShippedRecord } from '../record.js';
import { SYSLOG_FACILITIES } from '../options.js';
import { parseAddress, StreamTransport, UdpTransport, UnixDatagramTransport, type Transport } from './transport.js';
import { queuedShipper, type LogShipper, type ShipperFactory } from './types.js';

const SEVERITY = { stdout: 6, stderr: 3 } as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export type SyslogFormat = '' | 'rfc3164' | 'rfc5424' | 'rfc5424micro';

/** `Jan  2 15:04:05` (Go's time.Stamp) in UTC. */
function stamp(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** One syslog message (without framing). */
export function formatSyslog(format: SyslogFormat, facility: number, src: LogSource, r: ShippedRecord): string {
  const pri = facility * 8 + SEVERITY[r.stream];
  const msg = r.line;
  switch (format) {
    case 'rfc5424':
    case 'rfc5424micro':
      // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
      return `<${pri}>1 ${formatUtc(r.timeNs, format === 'rfc5424micro' ? 6 : 0)} ${src.host || '-'} ${src.tag || '-'} ${src.daemonPid} ${src.containerId.slice(0, 12)} - ${msg}`;
    case 'rfc3164':
      return `<${pri}>${stamp(r.timeNs)} ${src.host} ${src.tag}[${src.daemonPid}]: ${msg}`;
    default:
      return `<${pri}>${stamp(r.timeNs)} ${src.tag}[${src.daemonPid}]: ${msg}`;
  }
}

function transportFor(address: string): Transport {
  const a = parseAddress(address, 514);
  if (a.scheme === 'udp') return new UdpTransport(a.host, a.port);
  if (a.scheme === 'tcp') return new StreamTransport({ host: a.host, port: a.port });
  if (a.scheme === 'unix') return new StreamTransport({ path: a.path });
  if (a.scheme === 'unixgram') return new UnixDatagramTransport(a.path);
  throw new Error(`syslog over ${a.scheme} is not supported by berth`);
}

/** The default when no syslog-address is given: the local syslog socket. */
function defaultAddress(): string {
  return existsSync('/dev/log') ? 'unixgram:///dev/log' : 'udp://127.0.0.1:514';
}

export const createSyslogShipper: ShipperFactory = (src, opts, hooks): LogShipper => {
  const format = (opts['syslog-format'] ?? '') as SyslogFormat;
  const fac = opts['syslog-facility'] ?? 'daemon';
  const facility = /^\d+$/.test(fac) ? Number(fac) : (SYSLOG_FACILITIES[fac] ?? 3);
  const transport = transportFor(opts['syslog-address'] || defaultAddress());
  const octetCounted = !transport.datagram && format.startsWith('rfc5424');
  const queue = new DeliveryQueue({
    ...hooks,
    deliver: (batch) =>
      transport.send(
        batch.map((r) => {
          const m = Buffer.from(formatSyslog(format, facility, src, r));
          if (transport.datagram) return m;
          return octetCounted ? Buffer.concat([Buffer.from(`${m.length} `), m]) : Buffer.concat([m, Buffer.from('\n')]);
        }),
      ),
  });
  return queuedShipper(queue, transport);
};
