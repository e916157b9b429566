import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Minimal JWT (JWS compact) signing and verification for the Docker token flow, with
 * ES256 (P-256) or RS256 keys. `kid` follows Docker's libtrust convention loosely: a short
 * fingerprint of the public key, enough for our own verifier to check it is ours.
 */
export interface JwtKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'ES256' | 'RS256';
  kid: string;
}

export function loadJwtKey(pem: string): JwtKey {
  const privateKey = createPrivateKey(pem);
  return fromPrivate(privateKey);
}

export function generateJwtKey(): JwtKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return fromPrivate(privateKey);
}

function fromPrivate(privateKey: KeyObject): JwtKey {
  const publicKey = createPublicKey(privateKey);
  const type = privateKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa') throw new Error(`token key must be EC P-256 or RSA, not ${type}`);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url').slice(0, 32);
  return { privateKey, publicKey, alg: type === 'ec' ? 'ES256' : 'RS256', kid };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signJwt(key: JwtKey, claims: Record<string, unknown>): string {
  const head = b64({ alg: key.alg, typ: 'JWT', kid: key.kid });
  const body = b64(claims);
  const input = Buffer.from(`${head}.${body}`);
  const sig = sign('sha256', input, key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
  return `${head}.${body}.${sig.toString('base64url')}`;
}

/** Returns the claims of a valid token signed by `key`, or undefined. */
export function verifyJwt(key: JwtKey, token: string, now = Date.now() / 1000): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [head, body, sig] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
    if (header.alg !== key.alg) return undefined;
    const ok = verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      key.alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' } : key.publicKey,
      Buffer.from(sig, 'base64url'),
    );
    if (!ok) return undefined;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    if (typeof claims.exp === 'number' && claims.exp < now) return undefined;
    if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}
