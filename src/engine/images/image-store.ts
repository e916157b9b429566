import type { DB } from '../../store/db.js';
import { NotFoundError, InvalidParameterError } from '../../util/errors.js';
import type { Digest } from '../../util/digest.js';
import { familiarName, formatReference, parseReference, parseTaggedReference, repositoryName } from './reference.js';

export interface ImageRecord {
  id: Digest;
  manifestDigest: Digest;
  created: string;
  size: number;
  labels: Record<string, string>;
  parent?: Digest;
  addedAt: number;
}

interface ImageRow {
  id: string;
  manifest_digest: string;
  created: string;
  size: number;
  labels: string;
  parent: string | null;
  added_at: number;
}

function fromRow(r: ImageRow): ImageRecord {
  return {
    id: r.id as Digest,
    manifestDigest: r.manifest_digest as Digest,
    created: r.created,
    size: r.size,
    labels: JSON.parse(r.labels) as Record<string, string>,
    parent: (r.parent ?? undefined) as Digest | undefined,
    addedAt: r.added_at,
  };
}

/** Image metadata rows: images, their tags and repo digests. Blobs live in the content store. */
export class ImageStore {
  constructor(private readonly db: DB) {}

  get(id: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY added_at DESC').all() as ImageRow[]).map(fromRow);
  }

  /** Normalized tag names (docker.io/library/busybox:latest) of an image. */
  tagsOf(id: string): string[] {
    return (this.db.prepare('SELECT name FROM tags WHERE image_id = ? ORDER BY name').all(id) as { name: string }[]).map((r) => r.name);
  }

  repoDigestsOf(id: string): string[] {
    return (this.db.prepare('SELECT name, digest FROM repo_digests WHERE image_id = ? ORDER BY name').all(id) as { name: string; digest: string }[]).map(
      (r) => `${r.name}@${r.digest}`,
    );
  }

  allTags(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT name, image_id FROM tags ORDER BY name').all() as { name: string; image_id: string }[]) {
      const list = out.get(r.image_id) ?? [];
      list.push(r.name);
      out.set(r.image_id, list);
    }
    return out;
  }

  allRepoDigests(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT name, digest, image_id FROM repo_digests ORDER BY name').all() as { name: string; digest: string; image_id: string }[]) {
      const list = out.get(r.image_id) ?? [];
      list.push(`${r.name}@${r.digest}`);
      out.set(r.image_id, list);
    }
    return out;
  }

  /**
   * Finds an image the way Docker does: full or short ID (with or without `sha256:`),
   * a tag (`busybox`, `busybox:1`), or `name@digest`.
   */
  resolve(nameOrId: string): ImageRecord | undefined {
    const s = nameOrId.trim();
    const hex = s.replace(/^sha256:/, '');
    if (/^[a-f0-9]{64}$/.test(hex)) {
      const img = this.get(`sha256:${hex}`);
      if (img) return img;
    }
    if (/^[a-f0-9]{4,63}$/.test(hex) && (s.startsWith('sha256:') || !s.includes(':'))) {
      const rows = this.db.prepare('SELECT * FROM images WHERE id LIKE ?').all(`sha256:${hex}%`) as ImageRow[];
      if (rows.length === 1) return fromRow(rows[0]!);
      if (rows.length > 1 && s.startsWith('sha256:')) throw new InvalidParameterError(`ambiguous image ID prefix "${s}"`);
    }
    let ref;
    try {
      ref = parseReference(s);
    } catch {
      return undefined;
    }
    if (ref.digest) {
      const row = this.db.prepare('SELECT image_id FROM repo_digests WHERE name = ? AND digest = ?').get(repositoryName(ref), ref.digest) as { image_id: string } | undefined;
      if (row) return this.get(row.image_id);
      if (!ref.tag) {
        // `name@digest` may also name the image by its manifest digest
        const m = this.db.prepare('SELECT * FROM images WHERE manifest_digest = ?').get(ref.digest) as ImageRow | undefined;
        if (m) return fromRow(m);
        return undefined;
      }
    }
    const tagged = formatReference({ ...parseTaggedReference(s), digest: undefined });
    const row = this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(tagged) as { image_id: string } | undefined;
    return row ? this.get(row.image_id) : undefined;
  }

  mustResolve(nameOrId: string): ImageRecord {
    const img = this.resolve(nameOrId);
    if (!img) throw new NotFoundError(`No such image: ${nameOrId}`);
    return img;
  }

  /** Adds (or refreshes) an image and points the given tags at it, in one transaction. */
  add(rec: ImageRecord, tags: string[] = [], repoDigests: { name: string; digest: string }[] = []): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO images (id, manifest_digest, created, size, labels, parent, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest`,
        )
        .run(rec.id, rec.manifestDigest, rec.created, rec.size, JSON.stringify(rec.labels), rec.parent ?? null, rec.addedAt);
      for (const t of tags) this.setTag(t, rec.id);
      for (const d of repoDigests) {
        this.db.prepare('INSERT OR REPLACE INTO repo_digests (name, digest, image_id) VALUES (?, ?, ?)').run(d.name, d.digest, rec.id);
      }
    })();
  }

  /** Points a normalized tag name at an image; returns the image it pointed at before. */
  setTag(name: string, imageId: string): string | undefined {
    const prev = this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined;
    this.db.prepare('INSERT INTO tags (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id').run(name, imageId);
    return prev && prev.image_id !== imageId ? prev.image_id : undefined;
  }

  removeTag(name: string): boolean {
    return this.db.prepare('DELETE FROM tags WHERE name = ?').run(name).changes > 0;
  }

  removeRepoDigest(name: string, digest: string): boolean {
    return this.db.prepare('DELETE FROM repo_digests WHERE name = ? AND digest = ?').run(name, digest).changes > 0;
  }

  /** Deletes the image row with its tags and digests. */
  remove(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM tags WHERE image_id = ?').run(id);
      this.db.prepare('DELETE FROM repo_digests WHERE image_id = ?').run(id);
      this.db.prepare('UPDATE images SET parent = NULL WHERE parent = ?').run(id);
      this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    })();
  }

  childrenOf(id: string): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images WHERE parent = ?').all(id) as ImageRow[]).map(fromRow);
  }

  familiarTags(id: string): string[] {
    return this.tagsOf(id).map(familiarName);
  }
}
