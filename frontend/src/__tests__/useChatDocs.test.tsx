import { act, renderHook, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Collection, Source } from '../api/types';
import { mockFetch, type Call } from '../test/fetchMock';
import { useChatDocs } from '../views/chat/useChatDocs';

const notes: Collection = {
  id: 3,
  name: 'Notes',
  embedding_model: 'e5',
  query_prefix: '',
  document_prefix: '',
  min_score: 0.3,
  documents: 1,
  passages: 2,
  dimensions: 4,
  stale_documents: 0,
  status: 'ready',
  created_at: '',
  updated_at: '',
};
const source: Source = { n: 1, collection_id: 3, document_id: 1, document: 'a.md', passage_id: 5, seq: 0, start_line: 1, end_line: 2, score: 0.9, text: 'x' };
let calls: Call[];

beforeEach(() => {
  calls = mockFetch({
    'GET /perch/chats/7/collection': () => ({ collection: notes }),
    'GET /perch/chats/7/sources': () => ({ sources: { '1': [source] } }),
    'GET /perch/chats/8/collection': () => ({ collection: null }),
    'GET /perch/chats/8/sources': () => ({ sources: {} }),
    'GET /perch/collections': () => ({ collections: [notes] }),
  });
});

type Props = { chatId: number | undefined; on: boolean; picking: boolean; newCollection: number | null };

describe('useChatDocs', () => {
  it("loads a chat's collection and sources, and resets them when the chat changes", async () => {
    const view = renderHook((p: Props) => useChatDocs(p), { initialProps: { chatId: 7, on: true, picking: false, newCollection: null } });
    await waitFor(() => expect(view.result.current.attached?.name).toBe('Notes'));
    expect(view.result.current.sources).toEqual({ 1: { sources: [source] } });
    view.rerender({ chatId: 8, on: true, picking: false, newCollection: null });
    expect(view.result.current.attached).toBeNull();
    expect(view.result.current.sources).toEqual({});
    await waitFor(() => expect(calls.some((c) => c.path === '/perch/chats/8/sources')).toBe(true));
    // Documents off: nothing is asked.
    expect(calls.some((c) => c.path === '/perch/collections')).toBe(false);
  });

  it('loads nothing for a chat made here, and lists the collections while picking', async () => {
    const view = renderHook((p: Props) => useChatDocs(p), { initialProps: { chatId: undefined, on: true, picking: false, newCollection: null } as Props });
    act(() => view.result.current.adopt(9, notes));
    view.rerender({ chatId: 9, on: true, picking: false, newCollection: null });
    expect(view.result.current.attached).toEqual(notes);
    expect(calls).toEqual([]);
    view.rerender({ chatId: 9, on: true, picking: true, newCollection: null });
    await waitFor(() => expect(view.result.current.list).toEqual([notes]));
  });

  it('does nothing while documents are off', async () => {
    renderHook((p: Props) => useChatDocs(p), { initialProps: { chatId: 7, on: false, picking: true, newCollection: 3 } });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([]);
  });
});
