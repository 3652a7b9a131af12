import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Markdown } from '../components/Markdown';
import { I18nProvider } from '../i18n';

function md(text: string, lang: 'en' | 'ko' = 'en') {
  return render(
    <I18nProvider lang={lang}>
      <Markdown text={text} />
    </I18nProvider>,
  );
}

describe('Markdown', () => {
  it('renders block and inline elements', () => {
    const { container } = md('# Title\n\nSome **bold**, *em*, ~~del~~ and `code`.\n\n- one\n- two\n\n1. first\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(container.querySelector('h3')?.textContent).toBe('Title');
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.querySelector('em')?.textContent).toBe('em');
    expect(container.querySelector('del')?.textContent).toBe('del');
    expect(container.querySelector('p code')?.textContent).toBe('code');
    expect(container.querySelectorAll('ul li')).toHaveLength(2);
    expect(container.querySelector('ol li')?.textContent).toBe('first');
    expect(container.querySelector('blockquote')?.textContent).toContain('quote');
    expect(container.querySelectorAll('td')).toHaveLength(2);
  });

  it('never turns model output into HTML', () => {
    const { container } = md('Hi <img src=x onerror="alert(1)"> <script>alert(1)</script>\n\n[bad](javascript:alert(1)) [good](https://example.com)');
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toContain('<script>');
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]?.getAttribute('href')).toBe('https://example.com/');
    expect(links[0]?.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('decodes entities as text', () => {
    const { container } = md('a &amp; b &lt;c&gt;');
    expect(container.textContent).toBe('a & b <c>');
  });

  it('highlights code and copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container } = md('```go\nfunc main() { fmt.Println("hi") }\n```');
    expect(container.querySelector('.code-lang')?.textContent).toBe('go');
    await waitFor(() => expect(container.querySelector('.hljs-keyword')?.textContent).toBe('func'));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    });
    expect(writeText).toHaveBeenCalledWith('func main() { fmt.Println("hi") }');
    expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy();
  });

  it('labels the copy button in Korean', () => {
    md('```\nx\n```', 'ko');
    expect(screen.getByRole('button', { name: '복사' })).toBeTruthy();
  });

  it('leaves code plain while the answer streams and highlights it when done', async () => {
    const ui = (text: string, streaming: boolean) => (
      <I18nProvider lang="en">
        <Markdown text={text} streaming={streaming} />
      </I18nProvider>
    );
    const { container, rerender } = render(ui('```go\nfunc a() {}\n```', false));
    await waitFor(() => expect(container.querySelector('.hljs-keyword')).toBeTruthy()); // highlighter loaded
    rerender(ui('```go\nfunc main() {\n  return', true));
    await act(async () => {
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(container.querySelector('pre')?.textContent).toContain('func main() {\n  return');
    expect(container.querySelector('.hljs-keyword')).toBeNull();
    rerender(ui('```go\nfunc main() {\n  return\n}\n```', false));
    await waitFor(() => expect(container.querySelector('.hljs-keyword')?.textContent).toBe('func'));
  });

  it('renders half-streamed text without throwing', () => {
    const { container } = md('```py\nprint(1');
    expect(container.querySelector('pre')?.textContent).toContain('print(1');
  });
});

describe('Markdown math', () => {
  it('renders display and inline TeX with KaTeX and keeps its backslashes', async () => {
    const { container } = md('Area: $$\\int_0^1 x^2\\,dx$$\n\nand \\(a_1 + b_1\\) or $e^{i\\pi}$, \\[\\frac{1}{2}\\]\n\n$$\n\\sum_{k=1}^n k\n$$');
    await waitFor(() => expect(container.querySelectorAll('.katex').length).toBe(5));
    const ann = [...container.querySelectorAll('annotation')].map((a) => a.textContent);
    expect(ann).toContain('\\int_0^1 x^2\\,dx');
    expect(ann).toContain('a_1 + b_1');
    expect(ann).toContain('\\sum_{k=1}^n k');
    expect(container.querySelectorAll('.katex-display').length).toBe(3);
    expect(container.textContent).not.toContain('x^2,dx');
    expect(container.querySelector('em')).toBeNull();
  });

  it('leaves prices and code alone', async () => {
    const { container } = md('It costs $5 and $10 today. `$x$` stays code.');
    await act(async () => {
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(container.querySelector('.math, .math-source')).toBeNull();
    expect(container.textContent).toContain('$5 and $10');
    expect(container.querySelector('code')?.textContent).toBe('$x$');
  });

  it('shows broken TeX as its source', async () => {
    const { container } = md('Before $$\\frac{1}{$$ after, and $\\badmacro{x}$.');
    await waitFor(() => expect(container.querySelectorAll('.math-error').length).toBe(2));
    expect(container.textContent).toContain('$$\\frac{1}{$$');
    expect(container.textContent).toContain('Before');
    expect(container.textContent).toContain('after');
  });
});
