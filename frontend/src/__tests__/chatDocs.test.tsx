import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Chat, Collection, Source } from '../api/types';
import { App } from '../App';
import { mockFetch, sseResponse, type Call, perchStatus } from '../test/fetchMock';

const notes: Collection = {
  id: 3,
  name: 'Field notes',
  embedding_model: 'bge-m3',
  query_prefix: '',
  document_prefix: '',
  min_score: 0.5,
  documents: 2,
  passages: 4,
  dimensions: 1024,
  stale_documents: 0,
  status: 'ready',
  created_at: '',
  updated_at: '',
};
const chat: Chat = { id: 7, title: '', model: 'stories260k', system: '', params: {}, created_at: '', updated_at: '' };
const user = { id: 1, chat_id: 7, role: 'user', content: 'What sings at midnight?', created_at: '' };
const answer = { id: 2, chat_id: 7, role: 'assistant', content: 'The zebrafinch quokka.', model: 'stories260k', created_at: '' };
const cited: Source = {
  n: 1,
  collection_id: 3,
  document_id: 9,
  document: '/notes/unique.md',
  passage_id: 21,
  seq: 0,
  heading: 'Unique',
  start_line: 1,
  end_line: 3,
  score: 1.2085,
  text: 'The zebrafinch quokka sings at midnight.',
};

let calls: Call[];
function routes(extra: Record<string, (body: unknown) => unknown> = {}) {
  calls = mockFetch({
    'GET /perch/status': () => perchStatus({ collections: true }),
    'GET /perch/models': () => ({
      models: [{ name: 'stories260k', size: 1, quantization: 'F32', architecture: 'llama', parameters: 1, context_length: 2048, modified_at: '', default: true }],
    }),
    'GET /perch/chats': () => ({ chats: [] }),
    'GET /perch/collections': () => ({ collections: [notes] }),
    'GET /perch/collections/3/documents/9': () => ({
      document: { id: 9, collection_id: 3, name: '/notes/unique.md', format: 'markdown', size: 80, hash: '', passages: 1, embedding_model: 'bge-m3', stale: false, created_at: '', updated_at: '' },
      passages: [{ id: 21, document_id: 9, seq: 0, heading: 'Unique', text: cited.text, start: 0, end: 40, start_line: 1, end_line: 3 }],
    }),
    ...extra,
  });
}

beforeEach(() => {
  Element.prototype.scrollIntoView = () => undefined;
});

describe('Chat with documents', () => {
  it('attaches the picked collection to a new chat and lists the sources under the answer', async () => {
    window.location.hash = '#/chat';
    routes({
      'POST /perch/chats': () => chat,
      'PUT /perch/chats/7/collection': () => ({ collection: notes }),
      'POST /perch/chats/7/messages': () =>
        sseResponse([
          { type: 'start', user, model: 'stories260k' },
          { type: 'sources', collection: 'Field notes', sources: [cited], min_score: 0.5, best_score: 1.2085 },
          { type: 'delta', text: 'The zebrafinch quokka.' },
          { type: 'done', message: answer },
        ]),
    });
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Chat options' }));
    const options = screen.getByRole('form', { name: 'Chat options' });
    const picker = within(options).getByLabelText('Answer from documents') as HTMLSelectElement;
    await within(picker).findByRole('option', { name: 'Field notes' });
    fireEvent.change(picker, { target: { value: '3' } });
    await act(async () => {
      fireEvent.submit(options);
    });
    // Shown before the chat exists, and attached when it is created.
    expect(screen.getByText('Field notes', { selector: '.chat-docs button' })).toBeTruthy();
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'What sings at midnight?' } });
    await act(async () => {
      fireEvent.keyDown(box, { key: 'Enter', keyCode: 13 });
    });
    const sources = await screen.findByRole('group', { name: 'Sources' });
    expect(sources.textContent).toContain('unique.md');
    expect(sources.textContent).toContain('lines 1–3 · Unique');
    expect(sources.textContent).toContain('1.21');
    const order = calls.map((c) => `${c.method} ${c.path}`);
    expect(order.indexOf('PUT /perch/chats/7/collection')).toBeLessThan(order.indexOf('POST /perch/chats/7/messages'));
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ collection: 3 });
    // A click opens the passage.
    await act(async () => {
      fireEvent.click(within(sources).getByRole('button'));
    });
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText(cited.text);
    expect(dialog.querySelector('.passage.cited')).toBeTruthy();
  });

  it('shows the saved sources of a reopened chat, and can stop citing the collection', async () => {
    window.location.hash = '#/chat/7';
    routes({
      'GET /perch/chats/7': () => ({
        ...chat,
        messages: [user, answer, { ...user, id: 3, content: 'And dogs?' }, { ...answer, id: 4, content: 'Woof.' }],
      }),
      'GET /perch/chats/7/collection': () => ({ collection: notes }),
      'GET /perch/chats/7/sources': () => ({ sources: { '1': [cited], '3': [] } }),
      'PUT /perch/chats/7/collection': () => ({ collection: null }),
    });
    render(<App />);
    await screen.findByText('Woof.');
    const answers = document.querySelectorAll('.message.assistant');
    await waitFor(() => expect(answers[0]?.querySelector('.sources')?.textContent).toContain('unique.md'));
    expect(answers[1]?.querySelector('.sources-none')?.textContent).toContain('The documents do not cover this');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Stop answering from Field notes' }));
    });
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ collection: null });
    await waitFor(() => expect(document.querySelector('.chat-docs')).toBeNull());
  });
});
