import type { DB } from '../../store/db.js';

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  createdAt: number;
}

/** One container's use of one volume at one destination. */
export interface VolumeRef {
  containerId: string;
  destination: string;
  volumeName: string;
  mounted: boolean;
}

interface VolumeRow {
  name: string;
  driver: string;
  labels: string;
  options: string;
  created_at: number;
}
interface RefRow {
  container_id: string;
  destination: string;
  volume_name: string;
  mounted: number;
}

const toRecord = (r: VolumeRow): VolumeRecord => ({ name: r.name, driver: r.driver, labels: JSON.parse(r.labels), options: JSON.parse(r.options), createdAt: r.created_at });
const toRef = (r: RefRow): VolumeRef => ({ containerId: r.container_id, destination: r.destination, volumeName: r.volume_name, mounted: r.mounted === 1 });

/** Volume rows and the references containers hold on them. */
export class VolumeStore {
  constructor(private readonly db: DB) {}

  insert(v: VolumeRecord): void {
    this.db.prepare('INSERT INTO volumes (name, driver, labels, options, created_at) VALUES (?, ?, ?, ?, ?)').run(v.name, v.driver, JSON.stringify(v.labels), JSON.stringify(v.options), v.createdAt);
  }
  get(name: string): VolumeRecord | undefined {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as VolumeRow | undefined;
    return r ? toRecord(r) : undefined;
  }
  all(): VolumeRecord[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY created_at, name').all() as VolumeRow[]).map(toRecord);
  }
  delete(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }

  /** Records (or re-points) a container's use of a volume at a destination. */
  addRef(containerId: string, destination: string, volumeName: string): void {
    this.db
      .prepare(
        `INSERT INTO volume_refs (container_id, destination, volume_name) VALUES (?, ?, ?)
         ON CONFLICT (container_id, destination) DO UPDATE SET volume_name = excluded.volume_name`,
      )
      .run(containerId, destination, volumeName);
  }
  setMounted(containerId: string, volumeName: string, mounted: boolean): void {
    this.db.prepare('UPDATE volume_refs SET mounted = ? WHERE container_id = ? AND volume_name = ?').run(mounted ? 1 : 0, containerId, volumeName);
  }
  refsOfContainer(containerId: string): VolumeRef[] {
    return (this.db.prepare('SELECT * FROM volume_refs WHERE container_id = ?').all(containerId) as RefRow[]).map(toRef);
  }
  refsOfVolume(name: string): VolumeRef[] {
    return (this.db.prepare('SELECT * FROM volume_refs WHERE volume_name = ?').all(name) as RefRow[]).map(toRef);
  }
  mountedRefs(): VolumeRef[] {
    return (this.db.prepare('SELECT * FROM volume_refs WHERE mounted = 1').all() as RefRow[]).map(toRef);
  }
  /** Drops refs of a container at destinations it no longer uses. */
  deleteRefsExcept(containerId: string, keep: string[]): void {
    const refs = this.refsOfContainer(containerId).filter((r) => !keep.includes(r.destination));
    const stmt = this.db.prepare('DELETE FROM volume_refs WHERE container_id = ? AND destination = ?');
    for (const r of refs) stmt.run(containerId, r.destination);
  }
  deleteRefsOf(containerId: string): void {
    this.db.prepare('DELETE FROM volume_refs WHERE container_id = ?').run(containerId);
  }
  /** Container IDs that use a volume, in first-use order. */
  usersOf(name: string): string[] {
    return (this.db.prepare('SELECT DISTINCT container_id FROM volume_refs WHERE volume_name = ? ORDER BY rowid').all(name) as { container_id: string }[]).map((r) => r.container_id);
  }
}
