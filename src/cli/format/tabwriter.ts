/**
 * Go's text/tabwriter as the docker CLI configures it (minwidth 10, tabwidth 1, padding 3,
 * padchar ' '): tab-terminated cells line up in columns; the text after a line's last tab is
 * not part of any column. Columns are computed per block of consecutive lines that have that
 * column, as tabwriter does.
 */
export interface TabwriterOptions {
  minWidth?: number;
  padding?: number;
}

/** Display width in runes (tabwriter counts UTF-8 runes, not bytes). */
function width(s: string): number {
  return [...s].length;
}

export function tabwrite(text: string, opts: TabwriterOptions = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[][] = lines.map(() => []);
  formatColumn(0, 0, lines.length);
  return lines.map((cells, i) => out[i]!.join('') + cells[cells.length - 1]!).join('\n');

  /** Lays out column `col` for lines [from, to), recursing into blocks that have more columns. */
  function formatColumn(col: number, from: number, to: number): void {
    let line = from;
    while (line < to) {
      // Lines without a cell in this column end the block.
      if (lines[line]!.length - 1 <= col) {
        line++;
        continue;
      }
      const start = line;
      let w = minWidth;
      while (line < to && lines[line]!.length - 1 > col) {
        w = Math.max(w, width(lines[line]![col]!) + padding);
        line++;
      }
      for (let l = start; l < line; l++) {
        const cell = lines[l]![col]!;
        out[l]!.push(cell + ' '.repeat(w - width(cell)));
      }
      formatColumn(col + 1, start, line);
    }
  }
}
