/** The Engine API versions berthd speaks. Clients may ask for anything in [MIN, CURRENT]. */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
export const BERTH_VERSION = '0.1.0';

export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}
