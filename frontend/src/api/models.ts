// The model routes: the installed models, the catalog and Hugging Face search, downloads
// (/perch/pulls), imports (a path on this Mac, or an upload in chunks) and the memory fit.

import { api, putBytes, stream } from './client';
import type { FitQuery, RemoteModel, UploadStart } from './wire.gen';
import type { CatalogModel, Fit, Model, Pull, Recommendation, Upload } from './types';

/** What can be done to an installed model by name. */
export type ModelAction = 'load' | 'unload' | 'default' | 'delete';

export const models = {
  list: () => api<{ models: Model[] }>('GET', '/perch/models').then((r) => r.models),
  /** Loads, unloads, makes default or deletes the model of this name. */
  act: (what: ModelAction, name: string) => api<void>('POST', `/perch/models/${what}`, { name }),
  unload: (name: string) => models.act('unload', name),
  /** Imports a GGUF file on this Mac by its path; answers the model's name. */
  importPath: (path: string) => api<Model>('POST', '/perch/models/import', { path }),
  /** How a model (installed, or by ref before it is downloaded) fits this Mac's memory. */
  fit: (query: FitQuery, signal?: AbortSignal) => api<Fit>('POST', '/perch/fit', query, signal),
};

export const catalog = {
  /** The curated catalog, narrowed by q. */
  list: (q: string, signal?: AbortSignal) =>
    api<{ models: CatalogModel[] }>('GET', `/perch/catalog?q=${encodeURIComponent(q)}`, undefined, signal).then((r) => r.models),
  /** Hugging Face's GGUF repositories matching q. */
  search: (q: string, signal?: AbortSignal) =>
    api<{ models: CatalogModel[] }>('GET', `/perch/search?q=${encodeURIComponent(q)}`, undefined, signal).then((r) => r.models),
  /** Reads a GGUF's header by ref without downloading it. */
  inspect: (ref: string) => api<{ model: RemoteModel; fit?: Fit }>('POST', '/perch/inspect', { ref }),
  /** The model (and quantization) recommended for this Mac, described in lang. */
  recommended: (lang: string) => api<Recommendation>('GET', `/perch/recommended?lang=${lang}`),
};

/** What can be done to a download. */
export type PullAction = 'pause' | 'resume' | 'cancel';

export const pulls = {
  start: (ref: string) => api<Pull>('POST', '/perch/pulls', { ref }),
  act: (id: string, what: PullAction) => api<void>('POST', `/perch/pulls/${id}/${what}`),
  cancel: (id: string) => pulls.act(id, 'cancel'),
  /** Drops a finished, failed or cancelled download from the list. */
  dismiss: (id: string) => api<void>('DELETE', `/perch/pulls/${id}`),
  /** Follows every download: each event is the whole list. */
  events: (onEvent: (ev: { pulls: Pull[] }) => void, signal?: AbortSignal) => stream<{ pulls: Pull[] }>('GET', '/perch/pulls/events', undefined, onEvent, signal),
};

/** A model file sent from the browser in chunks (resumable; the server checks each offset). */
export const uploads = {
  start: (start: Omit<UploadStart, 'name'>) => api<Upload>('POST', '/perch/uploads', start),
  put: (id: string, offset: number, chunk: Blob) => putBytes<Upload>(`/perch/uploads/${id}?offset=${offset}`, chunk),
  finish: (id: string) => api<void>('POST', `/perch/uploads/${id}/finish`),
  discard: (id: string) => api<void>('DELETE', `/perch/uploads/${id}`),
};
