/**
 * Extended attributes through @napi-rs/xattr (in-process, so no subprocess per file). Its calls
 * act on the link itself (l*xattr), never following a symlink out of a snapshot.
 */
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';

/** overlayfs keeps its own bookkeeping in trusted.overlay.*; it never travels in a layer. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export function setXattr(path: string, name: string, value: Buffer | string): void {
  setAttributeSync(path, name, value);
}

export function getXattr(path: string, name: string): Buffer | undefined {
  try {
    return getAttributeSync(path, name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** All xattrs of a path except overlay's own, sorted by name. */
export function readXattrs(path: string): Array<[string, Buffer]> {
  let names: string[];
  try {
    names = listAttributesSync(path);
  } catch {
    return [];
  }
  const out: Array<[string, Buffer]> = [];
  for (const name of names.sort()) {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
    const value = getXattr(path, name);
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

export function isOpaqueDir(path: string): boolean {
  const v = getXattr(path, OPAQUE_XATTR);
  return v !== undefined && v.toString() === 'y';
}
