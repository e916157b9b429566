import type { DB } from '../../store/db.js';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { Bookkeeping, Container, ContainerState, NetworkingState } from './model.js';

interface Row {
  id: string;
  name: string;
  image_id: string;
  image_ref: string;
  snapshot_key: string | null;
  created_at: number;
  config: string;
  host_config: string;
  state: string;
  networking: string;
}

interface StoredState {
  docker: ContainerState;
  book: Bookkeeping;
}

function fromRow(r: Row): Container {
  const st = JSON.parse(r.state) as StoredState;
  return {
    id: r.id,
    name: r.name,
    imageId: r.image_id,
    imageRef: r.image_ref,
    snapshotKey: r.snapshot_key ?? r.id,
    created: new Date(r.created_at).toISOString(),
    config: JSON.parse(r.config),
    hostConfig: JSON.parse(r.host_config),
    state: st.docker,
    book: st.book,
    networking: JSON.parse(r.networking) as NetworkingState,
  };
}

/**
 * Container rows. The in-memory `Container` objects handed out are copies; callers change
 * state through `save`, which writes the whole row in one statement.
 */
export class ContainerStore {
  constructor(private readonly db: DB) {}

  insert(c: Container): void {
    try {
      this.db
        .prepare(
          `INSERT INTO containers (id, name, image_id, image_ref, snapshot_key, created_at, config, host_config, state, networking)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.id, c.name, c.imageId, c.imageRef, c.snapshotKey, Date.parse(c.created), JSON.stringify(c.config), JSON.stringify(c.hostConfig), JSON.stringify({ docker: c.state, book: c.book }), JSON.stringify(c.networking));
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const other = this.byName(c.name);
        throw new ConflictError(`Conflict. The container name "/${c.name}" is already in use by container "${other?.id ?? '?'}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      throw err;
    }
  }

  save(c: Container): void {
    this.db
      .prepare('UPDATE containers SET name = ?, config = ?, host_config = ?, state = ?, networking = ? WHERE id = ?')
      .run(c.name, JSON.stringify(c.config), JSON.stringify(c.hostConfig), JSON.stringify({ docker: c.state, book: c.book }), JSON.stringify(c.networking), c.id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  get(id: string): Container | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  byName(name: string): Container | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE name = ?').get(name.replace(/^\//, '')) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  nameTaken(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM containers WHERE name = ?').get(name) !== undefined;
  }

  all(): Container[] {
    return (this.db.prepare('SELECT * FROM containers ORDER BY created_at DESC, rowid DESC').all() as Row[]).map(fromRow);
  }

  /** Docker's lookup order: full ID, exact name, then a unique ID prefix. */
  find(ref: string): Container | undefined {
    if (ref === '') return undefined;
    const byId = this.get(ref);
    if (byId) return byId;
    const named = this.byName(ref);
    if (named) return named;
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const rows = this.db.prepare('SELECT * FROM containers WHERE id LIKE ? LIMIT 2').all(`${ref}%`) as Row[];
    if (rows.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${ref}`);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  mustFind(ref: string): Container {
    const c = this.find(ref);
    if (!c) throw new NotFoundError(`No such container: ${ref}`);
    return c;
  }

  /** Rename: a transaction so two renames cannot take the same name. */
  rename(id: string, name: string): void {
    try {
      this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${this.byName(name)?.id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      throw err;
    }
  }
}
