// Loaded on first use by lib/math: KaTeX and its stylesheet.
import katex from 'katex';
import 'katex/dist/katex.min.css';

export function render(tex: string, display: boolean): string | null {
  try {
    // trust stays false: \href, \url and friends cannot make links or load anything.
    return katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: 'ignore', output: 'htmlAndMathml', maxExpand: 1000 });
  } catch {
    return null;
  }
}
