// The Settings routes beyond the settings themselves (which state.tsx loads and saves): where
// models live and the Hugging Face token, typed.

import { api } from './client';
import type { HFTokenView, StorageDir } from './wire.gen';

const base = '/perch/settings';

export const settingsApi = {
  /** The downloads folder, earlier ones and the models folders, with bytes and free space. */
  storage: (signal?: AbortSignal) => api<{ dirs: StorageDir[] }>('GET', `${base}/storage`, undefined, signal).then((r) => r.dirs),
  /** Whether a Hugging Face token is set and its last four characters; never the token. */
  hfToken: (signal?: AbortSignal) => api<HFTokenView>('GET', `${base}/hf-token`, undefined, signal),
  setHFToken: (token: string) => api<HFTokenView>('PUT', `${base}/hf-token`, { token }),
  clearHFToken: () => api<HFTokenView>('DELETE', `${base}/hf-token`),
};
