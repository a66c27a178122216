import { readFileSync } from 'node:fs';

/**
 * The case files of the data-driven tests: free text, then cases, each a `=== what it shows [tags]` line
 * followed by sections that each start with a `--- heading` line (the first section may have none).
 */
export interface FixtureCase {
  title: string;
  tags: string[];
  /** The lines before the first `---`, then each `---` section: its heading (without `--- `) and lines. */
  head: string[];
  sections: { heading: string; lines: string[] }[];
}

export function readFixtureCases(path: string): FixtureCase[] {
  const lines = readFileSync(path, 'utf8').replace(/\r\n/g, '\n').split('\n');
  const cases: FixtureCase[] = [];
  let current: FixtureCase | undefined;
  let into: string[] = [];
  for (const line of lines) {
    const title = /^=== (.*?)\s*(?:\[([^\]]*)\])?\s*$/.exec(line);
    if (title) {
      current = { title: title[1], tags: (title[2] ?? '').split(',').map((t) => t.trim()).filter(Boolean), head: [], sections: [] };
      cases.push(current);
      into = current.head;
    } else if (current && line.startsWith('--- ')) {
      const s = { heading: line.slice(4), lines: [] as string[] };
      current.sections.push(s);
      into = s.lines;
    } else if (current) into.push(line);
  }
  return cases;
}

/** A section's lines with trailing blank lines dropped, ending in one line break. */
export function sectionText(lines: readonly string[]): string {
  const kept = [...lines];
  while (kept.length > 0 && kept[kept.length - 1].trim() === '') kept.pop();
  return kept.join('\n') + '\n';
}
