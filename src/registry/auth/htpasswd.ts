import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';

/**
 * An htpasswd file with bcrypt entries (`user:$2y$...`), as made by `htpasswd -B`.
 * bcrypt is slow on purpose; successful checks are remembered (keyed by a sha256 of the
 * password, never the password itself) so a busy client does not pay it on every request.
 */
export class Htpasswd {
  private readonly entries = new Map<string, string>();
  private readonly verified = new Map<string, string>();

  constructor(text: string) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const hash = line.slice(colon + 1);
      if (!/^\$2[abxy]?\$/.test(hash)) continue; // only bcrypt is accepted
      this.entries.set(line.slice(0, colon), hash.replace(/^\$2y\$/, '$2a$'));
    }
  }

  static load(file: string): Htpasswd {
    return new Htpasswd(readFileSync(file, 'utf8'));
  }

  get size(): number {
    return this.entries.size;
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.entries.get(user);
    if (!hash) return false;
    const fingerprint = createHash('sha256').update(`${user}\0${password}`).digest('hex');
    if (this.verified.get(user) === fingerprint) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.set(user, fingerprint);
    return ok;
  }
}

/** Makes an htpasswd line (for tests and tooling). */
export function htpasswdLine(user: string, password: string, rounds = 5): string {
  return `${user}:${bcrypt.hashSync(password, rounds)}`;
}
