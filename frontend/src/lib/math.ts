// TeX math in answers: the marked extensions that lift $…$, $$…$$, \(…\) and \[…\] out of
// the Markdown before it can eat their backslashes, and KaTeX to draw them. KaTeX is loaded
// on first use (it is the UI's largest dependency); its output is HTML it escapes itself.
import type { TokenizerExtension } from 'marked';

export interface MathToken {
  type: 'math';
  raw: string;
  text: string;
  display: boolean;
}

const blockRules: [RegExp, boolean][] = [
  [/^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/, true],
  [/^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n+|$)/, true],
];

const inlineRules: [RegExp, boolean][] = [
  [/^\$\$([\s\S]+?)\$\$/, true],
  [/^\\\[([\s\S]+?)\\\]/, true],
  [/^\\\(([\s\S]+?)\\\)/, false],
  // $x$: no space just inside the dollars and no digit right after ("$5 and $10" stays text).
  [/^\$(?![\s$])((?:\\.|[^\\$\n`])+?)(?<!\s)\$(?!\d)/, false],
];

function match(src: string, rules: [RegExp, boolean][]): MathToken | undefined {
  for (const [re, display] of rules) {
    const m = re.exec(src);
    if (m?.[1]?.trim()) return { type: 'math', raw: m[0], text: m[1].trim(), display };
  }
  return undefined;
}

export const mathExtensions: TokenizerExtension[] = [
  {
    name: 'math',
    level: 'block',
    start(src: string) {
      const m = /(?:^|\n) {0,3}(?:\$\$|\\\[)/.exec(src);
      return m ? m.index + (m[0].startsWith('\n') ? 1 : 0) : undefined;
    },
    tokenizer(src: string) {
      return match(src, blockRules);
    },
  },
  {
    name: 'math',
    level: 'inline',
    start(src: string) {
      const m = /\$|\\[([]/.exec(src);
      return m ? m.index : undefined;
    },
    tokenizer(src: string) {
      return match(src, inlineRules);
    },
  },
];

type Render = (tex: string, display: boolean) => string | null;
let renderer: Render | undefined;
let loading: Promise<Render> | undefined;

/** KaTeX's HTML for tex, or null when it is not valid TeX (the caller shows the source). */
export function renderMath(): Render | undefined {
  return renderer;
}

export function loadMath(): Promise<Render> {
  loading ??= import('./katex').then((m) => {
    renderer = m.render;
    return m.render;
  });
  return loading;
}
