import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Collection, DocInfo, Model } from '../api/types';
import { App } from '../App';
import { mockFetch, sseResponse, type Call, perchStatus } from '../test/fetchMock';
import { I18nProvider } from '../i18n';
import { CollectionForm } from '../views/documents/CollectionForm';
import { defaultEmbedding, installedCopy } from '../views/documents/embedding';

const status = (collections: boolean) => perchStatus({ catalog: true, collections });

const model = (name: string, embedding = false): Model => ({
  name,
  size: 1000,
  quantization: 'Q4_K_M',
  architecture: embedding ? 'bert' : 'llama',
  parameters: 1000,
  context_length: 2048,
  modified_at: '',
  default: false,
  embedding,
});

const bgeRef = 'hf.co/gpustack/bge-m3-GGUF:Q4_K_M';
const bge = {
  id: 'bge-m3',
  name: 'BGE-M3 (embeddings)',
  tags: ['embedding', 'documents', 'korean'],
  recommended: true,
  quants: [
    { name: 'Q4_K_M', ref: bgeRef, size: 438000000, recommended: true },
    { name: 'Q8_0', ref: 'hf.co/gpustack/bge-m3-GGUF:Q8_0', size: 635000000 },
  ],
};

const coll = (over: Partial<Collection> = {}): Collection => ({
  id: 3,
  name: 'Field notes',
  embedding_model: 'stories260k',
  query_prefix: '',
  document_prefix: '',
  min_score: 0.5,
  documents: 1,
  passages: 2,
  dimensions: 64,
  stale_documents: 0,
  status: 'ready',
  created_at: '',
  updated_at: '',
  ...over,
});

const doc: DocInfo = {
  id: 9,
  collection_id: 3,
  name: 'unique.md',
  format: 'markdown',
  size: 120,
  hash: 'x',
  passages: 2,
  embedding_model: 'stories260k',
  stale: false,
  created_at: '',
  updated_at: '',
};

let calls: Call[];
let current: Collection;

function routes(models: Model[], extra: Record<string, (body: unknown, signal?: AbortSignal) => unknown> = {}) {
  calls = mockFetch({
    'GET /perch/status': () => status(true),
    'GET /perch/models': () => ({ models, default_model: 'stories260k' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/catalog': () => ({ models: [bge] }),
    'GET /perch/collections': () => ({ collections: [current] }),
    'GET /perch/collections/3': () => ({ collection: current, documents: [doc] }),
    ...extra,
  });
}

beforeEach(() => {
  current = coll();
});

describe('the recommended embedding model', () => {
  it('is picked by default when installed, else any embedding model, else none', () => {
    const chat = model('stories260k');
    expect(installedCopy([chat, model(bgeRef, true)], bge)?.name).toBe(bgeRef);
    expect(installedCopy([model('bge-m3-q8_0', true)], bge)?.name).toBe('bge-m3-q8_0');
    expect(defaultEmbedding([chat, model('nomic', true), model(bgeRef, true)], bge)).toBe(bgeRef);
    expect(defaultEmbedding([chat, model('nomic', true)], bge)).toBe('nomic');
    expect(defaultEmbedding([chat], bge)).toBe('');
    expect(defaultEmbedding([chat, model('nomic', true)], null)).toBe('nomic');
  });

  it('is the new collection form default as models arrive, until the user picks one', () => {
    const form = (models: Model[]) => (
      <I18nProvider lang="en">
        <CollectionForm models={models} recommended={bge} onCreated={() => undefined} />
      </I18nProvider>
    );
    const { rerender } = render(form([]));
    const select = screen.getByLabelText('Embedding model') as HTMLSelectElement;
    expect(select.value).toBe('');
    rerender(form([model('stories260k'), model('nomic', true)]));
    expect(select.value).toBe('nomic');
    rerender(form([model('stories260k'), model('nomic', true), model(bgeRef, true)]));
    expect(select.value).toBe(bgeRef);
    fireEvent.change(select, { target: { value: 'nomic' } });
    rerender(form([model('stories260k'), model('nomic', true), model(bgeRef, true), model('e5', true)]));
    expect(select.value).toBe('nomic');
  });
});

describe('Documents', () => {
  it('is a tab only when the server has collections', async () => {
    window.location.hash = '#/chat';
    mockFetch({
      'GET /perch/status': () => status(false),
      'GET /perch/models': () => ({ models: [model('stories260k')] }),
      'GET /perch/chats': () => ({ chats: [] }),
    });
    render(<App />);
    await screen.findByRole('link', { name: 'Models' });
    await waitFor(() => expect(screen.getAllByRole('link').map((l) => l.textContent)).toEqual(['Chat', 'Models', 'Memory', 'Tokens', 'Settings']));
  });

  it('creates a collection with the recommended model, and warns about a chat model', async () => {
    window.location.hash = '#/documents';
    current = coll({ documents: 0, passages: 0, status: 'empty' });
    routes([model('stories260k'), model(bgeRef, true)], {
      'GET /perch/collections': () => ({ collections: [] }),
      'POST /perch/collections': () => ({ ...current, warning: 'stories260k is a chat model: it can embed, but worse' }),
      'GET /perch/collections/3': () => ({ collection: current, documents: [] }),
    });
    render(<App />);
    const form = await screen.findByRole('form', { name: 'New collection' });
    const select = within(form).getByLabelText('Embedding model') as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe(bgeRef));
    expect(within(select).getByRole('option', { name: `${bgeRef} (recommended)` })).toBeTruthy();
    // The recommended model is installed: nothing to download.
    expect(form.querySelector('.rec-embed')).toBeNull();
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Field notes' } });
    fireEvent.change(select, { target: { value: 'stories260k' } });
    expect(form.textContent).toContain('This is a chat model');
    await act(async () => {
      fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    });
    expect(calls.find((c) => c.method === 'POST' && c.path === '/perch/collections')?.body).toEqual({ name: 'Field notes', embedding_model: 'stories260k' });
    await screen.findByRole('heading', { name: /Field notes/ });
    expect(window.location.hash).toBe('#/documents/3');
    expect(document.querySelector('.collection-warning')?.textContent).toContain('stories260k is a chat model');
  });

  it('offers to download the recommended model when it is not installed', async () => {
    window.location.hash = '#/documents';
    routes([model('stories260k')], { 'GET /perch/collections': () => ({ collections: [] }) });
    render(<App />);
    const form = await screen.findByRole('form', { name: 'New collection' });
    await waitFor(() => expect(form.textContent).toContain('Recommended: BGE-M3 (embeddings).'));
    expect(within(form).getByRole('button', { name: /Download 418 MB/ })).toBeTruthy();
    expect((within(form).getByLabelText('Embedding model') as HTMLSelectElement).value).toBe('');
  });

  it('lists collections with status and counts', async () => {
    window.location.hash = '#/documents';
    routes([model('stories260k')], {
      'GET /perch/collections': () => ({ collections: [coll(), coll({ id: 4, name: 'Old', status: 'needs_reindex', documents: 1, passages: 1 })] }),
    });
    render(<App />);
    const rows = await screen.findAllByRole('link', { name: /Field notes|Old/ });
    expect(rows.map((r) => r.textContent)).toEqual([
      'Field notesReady1 document · 2 passages · stories260k',
      'OldNeeds re-index1 document · 1 passage · stories260k',
    ]);
    expect(rows[1]?.getAttribute('href')).toBe('#/documents/4');
  });

  it('uploads picked files as multipart and lists what was skipped', async () => {
    window.location.hash = '#/documents/3';
    let n = 0;
    routes([model('stories260k')], {
      'POST /perch/collections/3/documents': () => {
        n++;
        if (n === 2) return new Response(JSON.stringify({ error: { message: 'x.bin: binary content' } }), { status: 422 });
        return { id: 9, passages: 2, status: 'indexed', document: doc };
      },
    });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    const input = document.querySelector<HTMLInputElement>('input[type=file]');
    expect(input?.multiple).toBe(true);
    const files = [new File(['# Notes\n\nzebrafinch'], 'unique.md', { type: 'text/markdown' }), new File([new Uint8Array([0, 1, 2])], 'x.bin')];
    await act(async () => {
      fireEvent.change(input as HTMLInputElement, { target: { files } });
    });
    await screen.findByText(/Added 1 · 2 passages/);
    const uploads = calls.filter((c) => c.path === '/perch/collections/3/documents');
    expect(uploads).toHaveLength(2);
    const form = uploads[0]?.body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect((form.get('file') as File).name).toBe('unique.md');
    expect(screen.getByText('Skipped (1):')).toBeTruthy();
    expect(screen.getByText('x.bin: binary content')).toBeTruthy();
  });

  it('adds a folder with a progress bar, then lists skipped files with reasons', async () => {
    window.location.hash = '#/documents/3';
    const summary = {
      files: 3,
      indexed: 2,
      unchanged: 0,
      skipped: 2,
      removed: 0,
      embedded: 3,
      skips: [
        { path: '/tmp/docs/blob.bin', code: 'binary_file', reason: 'binary content: programs and libraries are not text' },
        { path: '/tmp/docs/odd.md', code: 'something_new', reason: 'a reason this UI has no words for' },
      ],
      elapsed_ms: 6,
      passages_per_second: 500,
    };
    routes([model('stories260k')], {
      'POST /perch/collections/3/folders': () =>
        sseResponse([
          { phase: 'scan', done: 0, total: 3, embedded: 0, elapsed_ms: 0 },
          { phase: 'file', path: '/tmp/docs/a.md', status: 'indexed', passages: 2, done: 1, total: 3, embedded: 2, elapsed_ms: 2 },
          { phase: 'done', done: 3, total: 3, embedded: 3, elapsed_ms: 6 },
          { phase: 'summary', done: 3, total: 3, embedded: 3, elapsed_ms: 6, summary },
        ]),
    });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    fireEvent.change(screen.getByLabelText('Or a folder on this Mac'), { target: { value: '/tmp/docs' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    });
    await screen.findByText(/Indexed 2, unchanged 0, skipped 2 · 3 passages embedded/);
    expect(calls.find((c) => c.path === '/perch/collections/3/folders')?.body).toEqual({ path: '/tmp/docs' });
    expect(screen.getByText('blob.bin')).toBeTruthy();
    // A known code in the user's words, the server's particulars on hover; an unknown one as sent.
    expect(screen.getByText('no readable text (a program or an image)').getAttribute('title')).toBe('binary content: programs and libraries are not text');
    expect(screen.getByText('a reason this UI has no words for')).toBeTruthy();
    // The collection is read again once the run ends.
    expect(calls.filter((c) => c.path === '/perch/collections/3').length).toBeGreaterThanOrEqual(2);
  });

  it('stops a folder run on Cancel and reads the collection again', async () => {
    window.location.hash = '#/documents/3';
    routes([model('stories260k')], {
      'POST /perch/collections/3/folders': (_body, signal) => {
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(enc.encode(`data: ${JSON.stringify({ phase: 'file', done: 2, total: 10, embedded: 4, elapsed_ms: 1, path: '/tmp/docs/b.md' })}\n\n`));
            signal?.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      },
    });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    fireEvent.change(screen.getByLabelText('Or a folder on this Mac'), { target: { value: '/tmp/docs' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    });
    const bar = await screen.findByRole('progressbar', { name: 'Folder indexing progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('20');
    expect(screen.getByText('b.md')).toBeTruthy();
    const reads = calls.filter((c) => c.path === '/perch/collections/3').length;
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    });
    await screen.findByText(/Stopped\. What was indexed stays/);
    await waitFor(() => expect(calls.filter((c) => c.path === '/perch/collections/3').length).toBe(reads + 1));
  });

  it('re-indexes a collection that needs it, with progress', async () => {
    window.location.hash = '#/documents/3';
    current = coll({ status: 'needs_reindex', stale_documents: 1 });
    let release: () => void = () => undefined;
    routes([model('stories260k')], {
      'POST /perch/collections/3/reindex': () => {
        // Hold the stream open after the first event, to see the bar.
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(enc.encode(`data: ${JSON.stringify({ phase: 'file', done: 1, total: 4, embedded: 5, elapsed_ms: 1, path: 'a.md' })}\n\n`));
            release = () => {
              current = coll();
              const summary = { files: 4, indexed: 4, unchanged: 0, skipped: 0, removed: 0, embedded: 9, skips: [], elapsed_ms: 9, passages_per_second: 1000 };
              c.enqueue(enc.encode(`data: ${JSON.stringify({ phase: 'summary', done: 4, total: 4, embedded: 9, elapsed_ms: 9, summary })}\n\n`));
              c.close();
            };
          },
        });
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      },
    });
    render(<App />);
    await screen.findByText('1 document embedded with another model. Re-index with stories260k to search again.');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Re-index' }));
    });
    const bar = await screen.findByRole('progressbar', { name: 'Re-indexing progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByText('1 of 4 files · 5 passages embedded')).toBeTruthy();
    await act(async () => {
      release();
    });
    await screen.findByText(/Indexed 4, unchanged 0, skipped 0 · 9 passages embedded/);
    await waitFor(() => expect(screen.getByRole('heading', { name: /Field notes/ }).textContent).toContain('Ready'));
  });

  it('searches with a threshold, shows scores, and saves the threshold for chats', async () => {
    window.location.hash = '#/documents/3';
    routes([model('stories260k')], {
      'POST /perch/collections/3/search': () => ({
        results: [
          { id: 21, document_id: 9, seq: 0, heading: 'Unique', text: 'The zebrafinch quokka sings.', start: 0, end: 30, start_line: 1, end_line: 3, document: 'unique.md', score: 1.2085, similarity: 0.9085, keyword: 1 },
        ],
        min_score: 0.6,
        best_score: 1.2085,
        searched: 5,
      }),
      'PATCH /perch/collections/3': (body) => {
        current = coll({ min_score: (body as { min_score: number }).min_score });
        return current;
      },
    });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    const slider = screen.getByLabelText('Minimum score') as HTMLInputElement;
    expect(slider.value).toBe('0.5');
    fireEvent.change(slider, { target: { value: '0.6' } });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search the documents' }), { target: { value: 'zebrafinch quokka' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    });
    const result = await screen.findByRole('button', { name: /The zebrafinch quokka sings/ });
    expect(result.textContent).toContain('lines 1–3 · Unique');
    expect(result.textContent).toContain('1.21');
    expect(calls.find((c) => c.path === '/perch/collections/3/search')?.body).toEqual({ query: 'zebrafinch quokka', top_k: 5, min_score: 0.6 });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Use for chats' }));
    });
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ min_score: 0.6 });
    await screen.findByText('Saved');
  });

  it('deletes a document after confirming', async () => {
    window.location.hash = '#/documents/3';
    routes([model('stories260k')], { 'DELETE /perch/collections/3/documents/9': () => new Response(null, { status: 204 }) });
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete unique.md' }));
    const confirm = screen.getByRole('group', { name: /Remove unique\.md/ });
    await act(async () => {
      fireEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    });
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/perch/collections/3/documents/9')).toBe(true);
  });
});

describe('Ask', () => {
  it('opens a new chat that answers from the collection', async () => {
    window.location.hash = '#/documents/3';
    routes([model('stories260k')], { 'GET /perch/collections': () => ({ collections: [current] }) });
    render(<App />);
    const ask = await screen.findByRole('link', { name: 'Ask' });
    expect(ask.getAttribute('href')).toBe('#/chat?collection=3');
    await act(async () => {
      fireEvent.click(ask);
    });
    expect(window.location.hash).toBe('#/chat?collection=3');
    await screen.findByText('Field notes', { selector: '.chat-docs button' });
  });
});

describe('routes', () => {
  it('reads and writes the Documents hashes', async () => {
    const { parseHash, hashOf } = await import('../state');
    const cases: [string, object][] = [
      ['#/documents', { view: 'documents' }],
      ['#/documents/3', { view: 'documents', collectionId: 3 }],
      ['#/chat?collection=3', { view: 'chat', collectionId: 3 }],
      ['#/chat/7', { view: 'chat', chatId: 7 }],
      ['#/documents/x', { view: 'documents' }],
      ['#/chat?collection=-1', { view: 'chat' }],
    ];
    for (const [hash, route] of cases) {
      expect(parseHash(hash), hash).toEqual(route);
      if (!hash.includes('x') && !hash.includes('-')) expect(hashOf(parseHash(hash))).toBe(hash);
    }
  });
});
