// Memory: the system's and each loaded model's, sampled by the server while the UI listens.

import { stream } from './client';
import type { MemoryView } from './types';

export const memory = {
  /** One event a sample, until signal aborts. */
  events: (onEvent: (ev: MemoryView) => void, signal?: AbortSignal) => stream<MemoryView>('GET', '/perch/memory/events', undefined, onEvent, signal),
};
