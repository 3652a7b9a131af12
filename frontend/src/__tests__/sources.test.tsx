import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Source } from '../api/types';
import { PassageViewer } from '../components/PassageViewer';
import { Sources } from '../components/Sources';
import { I18nProvider } from '../i18n';
import { mockFetch } from '../test/fetchMock';

function wrap(node: ReactNode, lang: 'en' | 'ko' = 'en') {
  return render(<I18nProvider lang={lang}>{node}</I18nProvider>);
}

const source = (n: number, over: Partial<Source> = {}): Source => ({
  n,
  collection_id: 1,
  document_id: 4,
  document: '/Users/me/notes/garden.md',
  passage_id: 10 + n,
  seq: n - 1,
  heading: 'Garden › Birds',
  start_line: 5,
  end_line: 9,
  score: 0.8123,
  text: 'The violet heron nests by the lake.',
  ...over,
});

describe('Sources', () => {
  it('lists file, lines or page, heading and score, and opens a passage on click', () => {
    const onOpen = vi.fn();
    wrap(<Sources set={{ sources: [source(1), source(2, { document: 'manual.pdf', page: 3, heading: '', score: 0.61 })] }} onOpen={onOpen} />);
    const group = screen.getByRole('group', { name: 'Sources' });
    const items = group.querySelectorAll('button.source');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toBe('1garden.mdlines 5–9 · Garden › Birdsscore 0.81');
    expect(items[1]?.textContent).toBe('2manual.pdfpage 3score 0.61');
    expect(items[0]?.getAttribute('title')).toBe('/Users/me/notes/garden.md');
    fireEvent.click(items[1] as HTMLElement);
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ n: 2, passage_id: 12 }));
  });

  it('says plainly when the documents do not cover the question, with the best score when known', () => {
    const { container, rerender } = wrap(<Sources set={{ sources: [], best_score: 0.4212, min_score: 0.5 }} onOpen={() => undefined} />);
    expect(container.textContent).toContain('The documents do not cover this');
    expect(container.textContent).toContain('(Best match 0.42; 0.50 needed.)');
    // A reopened chat knows only that nothing was cited.
    rerender(
      <I18nProvider lang="ko">
        <Sources set={{ sources: [] }} onOpen={() => undefined} />
      </I18nProvider>,
    );
    expect(container.textContent).toContain('문서에 이 내용이 없습니다');
    expect(container.textContent).not.toContain('가장 가까운');
  });
});

describe('PassageViewer', () => {
  beforeEach(() => {
    mockFetch({
      'GET /perch/collections/1/documents/4': () => ({
        document: { id: 4, collection_id: 1, name: '/Users/me/notes/garden.md', source: '/Users/me/notes/garden.md', format: 'markdown', size: 2048, hash: '', passages: 2, embedding_model: 'bge-m3', stale: false, created_at: '', updated_at: '' },
        passages: [
          { id: 11, document_id: 4, seq: 0, heading: 'Garden', text: '# Garden\n\nRoses.', start: 0, end: 16, start_line: 1, end_line: 3 },
          { id: 12, document_id: 4, seq: 1, heading: 'Garden › Birds', text: 'The violet heron nests by the lake.', start: 18, end: 53, start_line: 5, end_line: 9 },
        ],
      }),
    });
  });

  it('opens the document at the cited passage, and Escape closes it', async () => {
    const onClose = vi.fn();
    const scrolled: Element[] = [];
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
    wrap(<PassageViewer collectionId={1} documentId={4} passageId={12} onClose={onClose} />);
    const dialog = screen.getByRole('dialog');
    await screen.findByRole('heading', { name: 'garden.md' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const cited = dialog.querySelector('.passage.cited');
    expect(cited?.textContent).toContain('The violet heron');
    expect(cited?.textContent).toContain('Cited');
    expect(cited?.getAttribute('aria-current')).toBe('true');
    expect(dialog.querySelectorAll('.passage')).toHaveLength(2);
    await waitFor(() => expect(scrolled).toContain(cited));
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Close');
    await act(async () => {
      fireEvent.keyDown(dialog, { key: 'Escape' });
    });
    expect(onClose).toHaveBeenCalled();
  });
});
