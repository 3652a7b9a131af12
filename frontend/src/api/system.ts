// The server itself: its status (what it can do, the default model) and a restart.

import { api } from './client';
import type { Status } from './types';

export const system = {
  status: () => api<Status>('GET', '/perch/status'),
  /** Restarts the server inside Perch's process (settings.can_restart). */
  restart: () => api<void>('POST', '/perch/restart'),
};
