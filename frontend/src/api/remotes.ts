// Remote endpoints: servers on other machines whose models join the picker (perch remote).

import { api } from './client';
import type { RemoteEndpoint } from './types';

/** Another Perch advertising itself on the network (Bonjour, _perch._tcp). */
export interface FoundRemote {
  name: string;
  url: string;
  /** The name to add it under. */
  suggested: string;
}

export interface NewRemote {
  name: string;
  url: string;
  api_key?: string;
}

export const remotes = {
  list: () => api<{ remotes: RemoteEndpoint[] }>('GET', '/perch/remotes').then((r) => r.remotes),
  add: (r: NewRemote) => api<void>('POST', '/perch/remotes', r),
  remove: (name: string) => api<void>('DELETE', `/perch/remotes/${encodeURIComponent(name)}`),
  discover: () => api<{ found: FoundRemote[] }>('GET', '/perch/remotes/discover').then((r) => r.found),
};
