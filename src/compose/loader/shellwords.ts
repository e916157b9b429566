/**
 * Splits a command string into words like a POSIX shell would, without expansions: the way
 * Compose turns `command: echo "hello world"` into `["echo", "hello world"]`.
 */
export function shellSplit(input: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      i++;
    } else if (ch === '\\') {
      if (i + 1 < input.length) current += input[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === "'") {
      const close = input.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unterminated single-quoted string in "${input}"`);
      current += input.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < input.length && input[j] !== '"'; j++) {
        if (input[j] === '\\' && j + 1 < input.length && '"\\$`'.includes(input[j + 1]!)) j++;
        current += input[j];
      }
      if (j >= input.length) throw new Error(`unterminated double-quoted string in "${input}"`);
      inWord = true;
      i = j + 1;
    } else {
      current += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(current);
  return words;
}
