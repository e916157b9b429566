/**
 * Byte transports to collectors: UDP and unix datagram sockets (one message per datagram),
 * TCP and unix stream sockets (connected lazily, reconnected after an error). `send` rejects
 * when the bytes could not be handed to the kernel, which is what the delivery queue retries.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { DgramSocket } from 'node-unix-socket';

export interface Transport {
  /** Datagram transports send each buffer as one message; stream ones write them in order. */
  readonly datagram: boolean;
  send(messages: Buffer[]): Promise<void>;
  close(): void;
}

export function parseAddress(address: string, defaultPort: number): { scheme: string; host: string; port: number; path: string } {
  const m = /^([a-z+]+):\/\/(.*)$/.exec(address);
  if (!m) throw new Error(`invalid address ${address}`);
  const scheme = m[1]!;
  if (scheme === 'unix' || scheme === 'unixgram') return { scheme, host: '', port: 0, path: m[2]! };
  const hp = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(m[2]!);
  if (!hp) throw new Error(`invalid address ${address}`);
  return { scheme, host: hp[1] ?? hp[2]!, port: hp[3] ? Number(hp[3]) : defaultPort, path: '' };
}

export class UdpTransport implements Transport {
  readonly datagram = true;
  private readonly socket: UdpSocket;
  constructor(private readonly host: string, private readonly port: number) {
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.unref();
    this.socket.on('error', () => undefined);
  }
  async send(messages: Buffer[]): Promise<void> {
    for (const m of messages) {
      await new Promise<void>((resolve, reject) => this.socket.send(m, this.port, this.host, (err) => (err ? reject(err) : resolve())));
    }
  }
  close(): void {
    this.socket.close();
  }
}

export class UnixDatagramTransport implements Transport {
  readonly datagram = true;
  private readonly socket = new DgramSocket();
  constructor(private readonly path: string) {}
  async send(messages: Buffer[]): Promise<void> {
    for (const m of messages) {
      await new Promise<void>((resolve, reject) => this.socket.sendTo(m, 0, m.length, this.path, (err?: unknown) => (err ? reject(err) : resolve())));
    }
  }
  close(): void {
    this.socket.close();
  }
}

/** TCP or unix stream; connects on first use and again after any error. */
export class StreamTransport implements Transport {
  readonly datagram = false;
  private socket?: Socket;
  private connecting?: Promise<Socket>;

  constructor(private readonly target: { host: string; port: number } | { path: string }, private readonly timeoutMs = 5000) {}

  private connection(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = 'path' in this.target ? connect(this.target.path) : connect(this.target.port, this.target.host);
      s.setNoDelay(true);
      const timer = setTimeout(() => s.destroy(new Error('connect timeout')), this.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.unref();
        this.socket = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.on('error', () => undefined);
      // Anything the collector sends (acks) is read and ignored; its close ends this connection.
      s.on('data', () => undefined);
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async send(messages: Buffer[]): Promise<void> {
    const s = await this.connection();
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error('connection closed'));
      s.once('close', onClose);
      s.write(Buffer.concat(messages), (err) => {
        s.off('close', onClose);
        if (err) {
          s.destroy();
          reject(err);
        } else resolve();
      });
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}
