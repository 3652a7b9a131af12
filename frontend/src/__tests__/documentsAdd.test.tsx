import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Collection, Model } from '../api/types';
import { App } from '../App';
import { mockFetch, perchStatus, sseResponse, type Call } from '../test/fetchMock';

// Documents' folder dialog (desktop window only) and "Paste text".

const model: Model = {
  name: 'stories260k',
  size: 1000,
  quantization: 'Q4_K_M',
  architecture: 'llama',
  parameters: 1000,
  context_length: 2048,
  modified_at: '',
  default: false,
  embedding: false,
};

const coll: Collection = {
  id: 3,
  name: 'Field notes',
  embedding_model: 'stories260k',
  query_prefix: '',
  document_prefix: '',
  min_score: 0.5,
  documents: 0,
  passages: 0,
  dimensions: 0,
  stale_documents: 0,
  status: 'empty',
  created_at: '',
  updated_at: '',
};

function routes(picker: boolean, extra: Record<string, (body: unknown) => unknown> = {}): Call[] {
  return mockFetch({
    'GET /perch/status': () => perchStatus({ collections: true, folder_picker: picker }),
    'GET /perch/models': () => ({ models: [model], default_model: 'stories260k' }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/catalog': () => ({ models: [] }),
    'GET /perch/collections': () => ({ collections: [coll] }),
    'GET /perch/collections/3': () => ({ collection: coll, documents: [] }),
    ...extra,
  });
}

const folderEvents = () =>
  sseResponse([
    { phase: 'scan', done: 0, total: 1, embedded: 0, elapsed_ms: 0 },
    { phase: 'done', done: 1, total: 1, embedded: 2, elapsed_ms: 3 },
    {
      phase: 'summary',
      done: 1,
      total: 1,
      embedded: 2,
      elapsed_ms: 3,
      summary: { files: 1, indexed: 1, unchanged: 0, skipped: 0, removed: 0, embedded: 2, skips: [], elapsed_ms: 3, passages_per_second: 600 },
    },
  ]);

afterEach(() => {
  delete window.perchDesktop;
});

describe('Choose folder…', () => {
  it('opens the desktop window’s folder dialog and indexes the folder picked', async () => {
    window.location.hash = '#/documents/3';
    window.perchDesktop = { detach: vi.fn(), attach: vi.fn(), hide: vi.fn() };
    const calls = routes(true, {
      'POST /perch/desktop/pick-folder': () => ({ path: '/Volumes/Archive/notes', cancelled: false }),
      'POST /perch/collections/3/folders': () => folderEvents(),
    });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    await act(async () => {
      fireEvent.click(await screen.findByRole('button', { name: 'Choose folder…' }));
    });
    await screen.findByText(/Indexed 1, unchanged 0, skipped 0/);
    expect(calls.find((c) => c.path === '/perch/desktop/pick-folder')?.body).toEqual({
      collection: 3,
      title: 'Choose a folder of documents for Field notes',
    });
    expect(calls.find((c) => c.path === '/perch/collections/3/folders')?.body).toEqual({ path: '/Volumes/Archive/notes' });
    expect((screen.getByLabelText('Or a folder on this Mac') as HTMLInputElement).value).toBe('/Volumes/Archive/notes');
  });

  it('indexes nothing when the dialog is cancelled, and shows a refusal', async () => {
    window.location.hash = '#/documents/3';
    window.perchDesktop = { detach: vi.fn(), attach: vi.fn(), hide: vi.fn() };
    let answer: unknown = { path: '', cancelled: true };
    const calls = routes(true, { 'POST /perch/desktop/pick-folder': () => answer });
    render(<App />);
    const choose = await screen.findByRole('button', { name: 'Choose folder…' });
    await act(async () => {
      fireEvent.click(choose);
    });
    await waitFor(() => expect(calls.filter((c) => c.path === '/perch/desktop/pick-folder')).toHaveLength(1));
    expect(calls.some((c) => c.path === '/perch/collections/3/folders')).toBe(false);
    answer = new Response(JSON.stringify({ error: { message: '/Users/me/.ssh is hidden', type: 'invalid_request_error' } }), { status: 400 });
    await act(async () => {
      fireEvent.click(choose);
    });
    expect((await screen.findByRole('alert')).textContent).toContain('/Users/me/.ssh is hidden');
    expect(calls.some((c) => c.path === '/perch/collections/3/folders')).toBe(false);
  });

  it('is absent in a browser and when the server has no dialog, where the typed path stays', async () => {
    window.location.hash = '#/documents/3';
    routes(true); // a browser on the desktop app's server: no window.perchDesktop
    const { unmount } = render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    expect(screen.getByLabelText('Or a folder on this Mac')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Choose folder…' })).toBeNull();
    unmount();

    window.perchDesktop = { detach: vi.fn(), attach: vi.fn(), hide: vi.fn() };
    routes(false); // perch serve: no picker
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Add folder' })).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Choose folder…' })).toBeNull();
  });
});

describe('Paste text', () => {
  it('adds the text under its title, and keeps it when the server refuses', async () => {
    window.location.hash = '#/documents/3';
    let answer: unknown = new Response(JSON.stringify({ error: { message: 'the text has no words to index', code: 'no_text' } }), { status: 422 });
    const calls = routes(false, { 'POST /perch/collections/3/documents': () => answer });
    render(<App />);
    await screen.findByRole('heading', { name: /Field notes/ });
    fireEvent.click(screen.getByRole('button', { name: 'Paste text' }));
    const form = screen.getByRole('form', { name: 'Paste text' });
    const add = within(form).getByRole('button', { name: 'Add text' }) as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText('Title'), { target: { value: ' Pump log ' } });
    fireEvent.change(within(form).getByLabelText('Text'), { target: { value: 'The pump runs at 40 bar.' } });
    expect(add.disabled).toBe(false);

    await act(async () => {
      fireEvent.click(add);
    });
    expect((await within(form).findByRole('alert')).textContent).toContain('no words to index');
    expect((within(form).getByLabelText('Text') as HTMLTextAreaElement).value).toBe('The pump runs at 40 bar.');

    answer = { id: 12, passages: 1, status: 'indexed', document: { id: 12, name: 'Pump log' } };
    await act(async () => {
      fireEvent.click(add);
    });
    await within(form).findByText('Added “Pump log” · 1 passage');
    const posts = calls.filter((c) => c.method === 'POST' && c.path === '/perch/collections/3/documents');
    expect(posts.map((c) => c.body)).toEqual([
      { name: 'Pump log', text: 'The pump runs at 40 bar.' },
      { name: 'Pump log', text: 'The pump runs at 40 bar.' },
    ]);
    expect((within(form).getByLabelText('Text') as HTMLTextAreaElement).value).toBe('');
    expect(within(form).queryByRole('alert')).toBeNull();
    // The collection is read again to list the new document.
    expect(calls.filter((c) => c.path === '/perch/collections/3').length).toBeGreaterThanOrEqual(2);
  });
});
