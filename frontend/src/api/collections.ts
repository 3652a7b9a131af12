// The Documents routes (/perch/collections and a chat's collection and sources), typed.

import { api, postForm, stream } from './client';
import type { AddedDocument, Collection, DocInfo, IndexEvent, Passage, SearchResponse, SourceSet } from './types';

const base = '/perch/collections';

export interface CollectionPatch {
  name?: string;
  embedding_model?: string;
  min_score?: number;
}

export const collections = {
  list: () => api<{ collections: Collection[] }>('GET', base).then((r) => r.collections),
  get: (id: number) => api<{ collection: Collection; documents: DocInfo[] }>('GET', `${base}/${id}`),
  create: (name: string, embeddingModel: string) => api<Collection>('POST', base, { name, embedding_model: embeddingModel }),
  update: (id: number, patch: CollectionPatch) => api<Collection>('PATCH', `${base}/${id}`, patch),
  remove: (id: number) => api<void>('DELETE', `${base}/${id}`),

  /** Uploads one file as a document (multipart), replacing one of the same name. */
  upload: (id: number, file: File, signal?: AbortSignal) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return postForm<AddedDocument>(`${base}/${id}/documents`, form, signal);
  },
  /** Adds text as a document named name, replacing one of the same name. */
  addText: (id: number, name: string, text: string) => api<AddedDocument>('POST', `${base}/${id}/documents`, { name, text }),
  document: (id: number, doc: number) => api<{ document: DocInfo; passages: Passage[] }>('GET', `${base}/${id}/documents/${doc}`),
  removeDocument: (id: number, doc: number) => api<void>('DELETE', `${base}/${id}/documents/${doc}`),

  /** Indexes a folder on this machine; progress arrives as events. */
  addFolder: (id: number, path: string, onEvent: (ev: IndexEvent) => void, signal?: AbortSignal) =>
    stream<IndexEvent>('POST', `${base}/${id}/folders`, { path }, onEvent, signal),
  /**
   * Opens the desktop window's folder dialog (features.folder_picker); the folder picked is
   * allowed for this collection even outside the home folder. path is '' when cancelled.
   */
  pickFolder: (id: number, title: string) =>
    api<{ path: string; cancelled: boolean }>('POST', '/perch/desktop/pick-folder', { collection: id, title }),
  reindex: (id: number, onEvent: (ev: IndexEvent) => void, signal?: AbortSignal) =>
    stream<IndexEvent>('POST', `${base}/${id}/reindex`, undefined, onEvent, signal),

  search: (id: number, query: string, minScore?: number, topK = 5) =>
    api<SearchResponse>('POST', `${base}/${id}/search`, minScore === undefined ? { query, top_k: topK } : { query, top_k: topK, min_score: minScore }),
};

export const chatDocs = {
  collection: (chatId: number) => api<{ collection: Collection | null }>('GET', `/perch/chats/${chatId}/collection`).then((r) => r.collection),
  attach: (chatId: number, collectionId: number | null) =>
    api<{ collection: Collection | null }>('PUT', `/perch/chats/${chatId}/collection`, { collection: collectionId }).then((r) => r.collection),
  /** The saved sources of a chat's answers, by the id of the user message they answered. */
  sources: async (chatId: number): Promise<Record<number, SourceSet>> => {
    const r = await api<{ sources: Record<string, SourceSet['sources']> }>('GET', `/perch/chats/${chatId}/sources`);
    const out: Record<number, SourceSet> = {};
    for (const [k, v] of Object.entries(r.sources ?? {})) out[Number(k)] = { sources: v ?? [] };
    return out;
  },
};
