// The Settings routes, typed: the settings themselves (state.tsx loads and saves them for every
// view), where models live, and the Hugging Face token.

import { api } from './client';
import type { SettingsPatch, SettingsView } from './types';
import type { HFTokenView, StorageDir } from './wire.gen';

const base = '/perch/settings';

export const settingsApi = {
  get: () => api<SettingsView>('GET', base),
  /** Saves the fields given; the answer is the whole of the settings as saved. */
  save: (patch: SettingsPatch) => api<SettingsView>('PUT', base, patch),
  /** The downloads folder, earlier ones and the models folders, with bytes and free space. */
  storage: (signal?: AbortSignal) => api<{ dirs: StorageDir[] }>('GET', `${base}/storage`, undefined, signal).then((r) => r.dirs),
  /** Whether a Hugging Face token is set and its last four characters; never the token. */
  hfToken: (signal?: AbortSignal) => api<HFTokenView>('GET', `${base}/hf-token`, undefined, signal),
  setHFToken: (token: string) => api<HFTokenView>('PUT', `${base}/hf-token`, { token }),
  clearHFToken: () => api<HFTokenView>('DELETE', `${base}/hf-token`),
  /** The desktop window's folder dialog, for the downloads folder (saving it checks it as a typed one). */
  pickDownloadDir: (title: string) => api<{ path: string; cancelled: boolean }>('POST', '/perch/desktop/pick-folder', { purpose: 'downloads', title }),
};
