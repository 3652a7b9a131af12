// Markdown rendered to React elements from marked's tokens. No model output ever reaches
// innerHTML: raw HTML in an answer shows as text, and links are limited to http(s) and
// mailto. Only highlight.js's own escaped output is inserted as HTML.

import { Marked, type Token, type Tokens } from 'marked';
import { createContext, memo, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { decodeEntities } from '../lib/entities';
import { loadMath, mathExtensions, renderMath, type MathToken } from '../lib/math';
import { useI18n } from '../i18n';
import { CopyButton } from './CopyButton';

type Highlighter = (code: string, lang: string | undefined) => string | null;
let highlighter: Highlighter | undefined;
let loading: Promise<Highlighter> | undefined;

function loadHighlighter(): Promise<Highlighter> {
  loading ??= import('../lib/highlight').then((m) => {
    highlighter = m.highlight;
    return m.highlight;
  });
  return loading;
}

// Whether the text is an answer still being written. Its code is shown plain until it is
// done: highlighting a growing block again on every frame costs more the longer it gets.
const Streaming = createContext(false);

function CodeBlock({ code, lang }: { code: string; lang: string | undefined }) {
  const { t } = useI18n();
  const streaming = useContext(Streaming);
  const [html, setHtml] = useState<string | null>(() => (streaming ? null : (highlighter?.(code, lang) ?? null)));
  useEffect(() => {
    if (streaming) return;
    let live = true;
    if (highlighter) setHtml(highlighter(code, lang));
    else
      void loadHighlighter().then((h) => {
        if (live) setHtml(h(code, lang));
      });
    return () => {
      live = false;
    };
  }, [code, lang, streaming]);
  const label = lang?.trim().split(/\s/)[0] ?? '';
  return (
    <div className="code-block">
      <div className="code-head">
        <span className="code-lang">{label || 'text'}</span>
        <CopyButton text={code} label={t('common.copy')} showText />
      </div>
      <pre>
        {html !== null && !streaming ? (
          <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
        ) : (
          <code className="hljs">{code}</code>
        )}
      </pre>
    </div>
  );
}

// TeX drawn by KaTeX once it has loaded; its source until then, and for good when it is not
// valid TeX (a broken formula never breaks the answer).
function MathTeX({ tex, display }: { tex: string; display: boolean }) {
  const [html, setHtml] = useState<string | null | undefined>(() => renderMath()?.(tex, display));
  useEffect(() => {
    let live = true;
    const r = renderMath();
    if (r) setHtml(r(tex, display));
    else
      void loadMath().then((render) => {
        if (live) setHtml(render(tex, display));
      });
    return () => {
      live = false;
    };
  }, [tex, display]);
  const Tag = display ? 'div' : 'span';
  if (html) return <Tag className={display ? 'math math-display' : 'math'} dangerouslySetInnerHTML={{ __html: html }} />;
  const source = display ? `$$${tex}$$` : `$${tex}$`;
  return (
    <Tag className={`math-source${html === null ? ' math-error' : ''}`}>
      <code>{source}</code>
    </Tag>
  );
}

function safeHref(href: string): string | undefined {
  try {
    const u = new URL(href, 'https://invalid.example/');
    if (u.origin === 'https://invalid.example') return undefined; // relative: nowhere to go
    return ['http:', 'https:', 'mailto:'].includes(u.protocol) ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function inline(tokens: Token[] | undefined, key = ''): ReactNode[] {
  if (!tokens) return [];
  return tokens.map((tok, i) => {
    const k = `${key}${i}`;
    switch (tok.type) {
      case 'text': {
        const tt = tok as Tokens.Text;
        return tt.tokens ? <span key={k}>{inline(tt.tokens, k + '.')}</span> : decodeEntities(tt.text);
      }
      case 'escape':
        return (tok as Tokens.Escape).text;
      case 'math': {
        const m = tok as unknown as MathToken;
        return <MathTeX key={k} tex={m.text} display={m.display} />;
      }
      case 'strong':
        return <strong key={k}>{inline((tok as Tokens.Strong).tokens, k + '.')}</strong>;
      case 'em':
        return <em key={k}>{inline((tok as Tokens.Em).tokens, k + '.')}</em>;
      case 'del':
        return <del key={k}>{inline((tok as Tokens.Del).tokens, k + '.')}</del>;
      case 'codespan':
        return <code key={k}>{(tok as Tokens.Codespan).text}</code>;
      case 'br':
        return <br key={k} />;
      case 'link': {
        const l = tok as Tokens.Link;
        const href = safeHref(l.href);
        const children = inline(l.tokens, k + '.');
        return href ? (
          <a key={k} href={href} target="_blank" rel="noopener noreferrer" title={l.title ?? undefined}>
            {children}
          </a>
        ) : (
          <span key={k}>{children}</span>
        );
      }
      case 'image': {
        // Local answers should not make the page fetch remote images; show the alt text.
        const im = tok as Tokens.Image;
        return <span key={k} className="md-image">[{im.text || im.href}]</span>;
      }
      case 'checkbox':
        return (
          <input key={k} type="checkbox" checked={(tok as Tokens.Checkbox).checked} readOnly disabled aria-hidden="true" />
        );
      case 'html':
        return (tok as Tokens.HTML).text;
      default:
        return 'raw' in tok ? (tok as { raw: string }).raw : null;
    }
  });
}

function block(tok: Token, k: string): ReactNode {
  switch (tok.type) {
    case 'space':
    case 'def':
      return null;
    case 'paragraph':
      return <p key={k}>{inline((tok as Tokens.Paragraph).tokens, k)}</p>;
    case 'text': {
      const tt = tok as Tokens.Text;
      return <p key={k}>{tt.tokens ? inline(tt.tokens, k) : decodeEntities(tt.text)}</p>;
    }
    case 'heading': {
      const h = tok as Tokens.Heading;
      // Answers live inside the page's own headings; their levels start at h3.
      const level = Math.min(6, h.depth + 2);
      const Tag = `h${level}` as 'h3' | 'h4' | 'h5' | 'h6';
      return <Tag key={k}>{inline(h.tokens, k)}</Tag>;
    }
    case 'code': {
      const c = tok as Tokens.Code;
      return <CodeBlock key={k} code={c.text} lang={c.lang} />;
    }
    case 'blockquote':
      return <blockquote key={k}>{blocks((tok as Tokens.Blockquote).tokens, k)}</blockquote>;
    case 'hr':
      return <hr key={k} />;
    case 'math': {
      const m = tok as unknown as MathToken;
      return <MathTeX key={k} tex={m.text} display />;
    }
    case 'list': {
      const l = tok as Tokens.List;
      const items = l.items.map((it, i) => (
        <li key={i} className={it.task ? 'task' : undefined}>
          {it.loose ? blocks(it.tokens, `${k}.${i}.`) : it.tokens.map((t, j) => listChild(t, `${k}.${i}.${j}`))}
        </li>
      ));
      return l.ordered ? (
        <ol key={k} start={typeof l.start === 'number' && l.start !== 1 ? l.start : undefined}>
          {items}
        </ol>
      ) : (
        <ul key={k}>{items}</ul>
      );
    }
    case 'table': {
      const tb = tok as Tokens.Table;
      const align = (a: string | null) => (a ? { textAlign: a as 'left' | 'center' | 'right' } : undefined);
      return (
        <div key={k} className="table-wrap">
          <table>
            <thead>
              <tr>
                {tb.header.map((c, i) => (
                  <th key={i} style={align(c.align)}>
                    {inline(c.tokens, `${k}h${i}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {tb.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((c, i) => (
                    <td key={i} style={align(c.align)}>
                      {inline(c.tokens, `${k}r${r}c${i}`)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case 'html':
      return <p key={k}>{(tok as Tokens.HTML).text}</p>;
    default:
      return 'raw' in tok ? <p key={k}>{(tok as { raw: string }).raw}</p> : null;
  }
}

// In a tight list an item's text is a "text" token with inline children, not a paragraph.
function listChild(tok: Token, k: string): ReactNode {
  if (tok.type === 'text') {
    const tt = tok as Tokens.Text;
    return <span key={k}>{tt.tokens ? inline(tt.tokens, k) : decodeEntities(tt.text)}</span>;
  }
  if (tok.type === 'checkbox') return inline([tok], k);
  return block(tok, k);
}

function blocks(tokens: Token[], key = ''): ReactNode[] {
  return tokens.map((t, i) => block(t, `${key}${i}`));
}

const parser = new Marked({ gfm: true, breaks: true });
parser.use({ extensions: mathExtensions });

/** Renders Markdown text. Memoised: a streaming answer re-renders only when it changes. */
export const Markdown = memo(function Markdown({ text, streaming = false }: { text: string; streaming?: boolean }) {
  const tokens = useMemo(() => {
    try {
      return parser.lexer(text);
    } catch {
      return null;
    }
  }, [text]);
  if (!tokens) return <p className="md-plain">{text}</p>;
  return (
    <Streaming.Provider value={streaming}>
      <div className="markdown">{blocks(tokens)}</div>
    </Streaming.Provider>
  );
});
