// The chat history list's routes (/perch/chats), typed: search, rename, pin, delete one or several.

import { api } from './client';
import type { ChatSummary } from './types';
import type { DeleteChatsResult } from './wire.gen';

const base = '/perch/chats';

export const history = {
  list: (query: string, signal?: AbortSignal) =>
    api<{ chats: ChatSummary[] }>('GET', `${base}?q=${encodeURIComponent(query)}`, undefined, signal).then((r) => r.chats),
  rename: (id: number, title: string) => api<unknown>('PATCH', `${base}/${id}`, { title }),
  /** Pins a chat to the top of the list, or unpins it (it keeps its place in time). */
  pin: (id: number, pinned: boolean) => api<unknown>('PUT', `${base}/${id}/pin`, { pinned }),
  remove: (id: number) => api<void>('DELETE', `${base}/${id}`),
  /** Deletes several chats in one request: all of them, or none when one is unknown. */
  removeMany: (ids: number[]) => api<DeleteChatsResult>('POST', `${base}/delete`, { ids }).then((r) => r.deleted),
  /** Imports a chat file already checked by parseChatFile. */
  import: (file: unknown) => api<{ id: number }>('POST', `${base}/import`, file),
};
