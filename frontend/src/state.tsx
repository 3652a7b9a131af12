// App-wide state: the server's status, the settings, the installed models and the route.
// Views read it with useApp(); each view fetches its own data besides.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, onUnauthorized, onUnreachable } from './api/client';
import { models as modelsApi, pulls as pullsApi } from './api/models';
import { settingsApi } from './api/settings';
import { system } from './api/system';
import type { Language, Model, Pull, SettingsPatch, SettingsView, Status, Theme } from './api/types';
import { useVisibleStream } from './lib/visibility';

export type View = 'chat' | 'documents' | 'models' | 'memory' | 'tokens' | 'settings';
export interface Route {
  view: View;
  chatId?: number;
  /** The collection open in the Documents view; in the chat, the one a new chat answers from. */
  collectionId?: number;
  /** In the chat: the model a new chat starts with (the catalog's "Open chat"). */
  model?: string;
}

const VIEWS: readonly View[] = ['chat', 'documents', 'models', 'memory', 'tokens', 'settings'];

const positive = (s: string | undefined | null) => {
  const n = Number(s);
  return s && Number.isInteger(n) && n > 0 ? n : undefined;
};

/** #/chat/7, #/documents/3, #/chat?collection=3 (a new chat that answers from a collection) and
 * #/chat?model=NAME (a new chat with that model). */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/');
  const view = VIEWS.find((v) => v === parts[0]) ?? 'chat';
  const id = positive(parts[1]);
  if (id && view === 'chat') return { view, chatId: id };
  if (id && view === 'documents') return { view, collectionId: id };
  const q = new URLSearchParams(query);
  const ask = positive(q.get('collection'));
  if (view === 'chat' && ask) return { view, collectionId: ask };
  const model = q.get('model')?.trim();
  if (view === 'chat' && model) return { view, model };
  return { view };
}

export function hashOf(r: Route): string {
  if (r.view === 'chat' && r.chatId) return `#/chat/${r.chatId}`;
  if (r.view === 'chat' && r.collectionId) return `#/chat?collection=${r.collectionId}`;
  if (r.view === 'chat' && r.model) return `#/chat?model=${encodeURIComponent(r.model)}`;
  if (r.view === 'documents' && r.collectionId) return `#/documents/${r.collectionId}`;
  return `#/${r.view}`;
}

export type { SettingsPatch } from './api/types';

interface AppState {
  status: Status | null;
  /** Set when the server could not be reached at all; cleared by the reconnect loop. */
  offline: boolean;
  /** Counts the times the server came back after being unreachable: views reload on a change. */
  reconnects: number;
  /** The server's downloads, followed app-wide over SSE. */
  pulls: Pull[];
  /** The chat the Chat tab returns to (undefined: a new chat). */
  lastChatId: number | undefined;
  needKey: boolean;
  models: Model[];
  modelsReady: boolean;
  refreshModels: () => Promise<void>;
  refreshStatus: () => Promise<void>;
  settings: SettingsView | null;
  saveSettings: (patch: SettingsPatch) => Promise<SettingsView>;
  route: Route;
  navigate: (r: Route, replace?: boolean) => void;
  /** The language and theme the UI shows, before and after the settings load. */
  language: Language;
  theme: Theme;
}

const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside AppProvider');
  return s;
}

function cached<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  try {
    const v = localStorage.getItem(key);
    return allowed.find((a) => a === v) ?? fallback;
  } catch {
    return fallback;
  }
}

function remember(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // no storage: the setting still comes from the server next time
  }
}

export function AppProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [offline, setOffline] = useState(false);
  const [reconnects, setReconnects] = useState(0);
  const [pulls, setPulls] = useState<Pull[]>([]);
  const [lastChatId, setLastChatId] = useState<number | undefined>(undefined);
  const [needKey, setNeedKey] = useState(false);
  const [models, setModels] = useState<Model[]>([]);
  const [modelsReady, setModelsReady] = useState(false);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  const [language, setLanguage] = useState<Language>(() => cached('perch.language', ['system', 'en', 'ko'], 'system'));
  const [theme, setTheme] = useState<Theme>(() => cached('perch.theme', ['system', 'light', 'dark'], 'system'));

  useEffect(() => onUnauthorized(() => setNeedKey(true)), []);
  useEffect(() => onUnreachable(() => setOffline(true)), []);

  useEffect(() => {
    const onHash = () => {
      const next = parseHash(window.location.hash);
      setRoute((r) => (hashOf(r) === hashOf(next) ? r : next));
    };
    window.addEventListener('hashchange', onHash);
    // The hash may have changed between the first render and this listener (a link followed
    // while the page was still starting): read it once more.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (route.view === 'chat') setLastChatId(route.chatId);
  }, [route]);

  const navigate = useCallback((r: Route, replace = false) => {
    const h = hashOf(r);
    if (window.location.hash !== h) {
      if (replace) window.history.replaceState(null, '', h);
      else window.history.pushState(null, '', h);
    }
    setRoute(r);
  }, []);

  const refreshStatus = useCallback(async () => {
    try {
      const st = await system.status();
      setStatus(st);
      setOffline(false);
      setNeedKey(false);
      if (st.features.settings) {
        const sv = await settingsApi.get();
        setSettings(sv);
        setLanguage(sv.settings.language || 'system');
        setTheme(sv.settings.theme || 'system');
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) setOffline(true);
    }
  }, []);

  const refreshModels = useCallback(async () => {
    try {
      setModels(await modelsApi.list());
    } catch {
      // The views show their own errors; the list keeps what it had.
    } finally {
      setModelsReady(true);
    }
  }, []);

  useEffect(() => {
    void refreshStatus();
    void refreshModels();
    // The popover is shown again after a while hidden: models may have come and gone (the
    // CLI, another client), so look again.
    const onVisible = () => {
      if (document.visibilityState === 'visible') {
        void refreshStatus();
        void refreshModels();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refreshStatus, refreshModels]);

  // While the server is unreachable, look for it every two seconds; when it answers, the
  // views that follow it (Memory, the chat, the downloads) reload through `reconnects`.
  useEffect(() => {
    if (!offline) return;
    let live = true;
    const timer = window.setInterval(() => {
      system
        .status()
        .then((st) => {
          if (!live) return;
          live = false;
          setStatus(st);
          setOffline(false);
          setReconnects((n) => n + 1);
          void refreshModels();
        })
        .catch(() => undefined);
    }, 2000);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [offline, refreshModels]);

  usePullEvents(setPulls, refreshModels, reconnects);

  useEffect(() => {
    remember('perch.theme', theme);
    const root = document.documentElement;
    if (theme === 'light' || theme === 'dark') {
      root.dataset.theme = theme;
      return;
    }
    // "System": the resolved scheme, followed while the app is open.
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    const apply = () => (root.dataset.theme = mq?.matches ? 'dark' : 'light');
    apply();
    mq?.addEventListener?.('change', apply);
    return () => mq?.removeEventListener?.('change', apply);
  }, [theme]);

  useEffect(() => remember('perch.language', language), [language]);

  const saveSettings = useCallback(async (patch: SettingsPatch) => {
    const sv = await settingsApi.save(patch);
    setSettings(sv);
    setLanguage(sv.settings.language || 'system');
    setTheme(sv.settings.theme || 'system');
    return sv;
  }, []);

  const value = useMemo<AppState>(
    () => ({
      status,
      offline,
      reconnects,
      pulls,
      lastChatId,
      needKey,
      models,
      modelsReady,
      refreshModels,
      refreshStatus,
      settings,
      saveSettings,
      route,
      navigate,
      language,
      theme,
    }),
    [status, offline, reconnects, pulls, lastChatId, needKey, models, modelsReady, refreshModels, refreshStatus, settings, saveSettings, route, navigate, language, theme],
  );
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

/**
 * Follows the server's downloads over SSE for the whole app (the Models badge, the first-run
 * card and the compact row in Chat all read it), reconnecting after a drop. A download seen
 * finishing refreshes the installed models, so the chat is ready without a visit to Models.
 */
function usePullEvents(setPulls: (p: Pull[]) => void, refreshModels: () => Promise<void>, reconnects: number) {
  const done = useRef(new Set<string>());
  useVisibleStream(
    (signal) =>
      pullsApi.events((ev) => {
        const list = ev.pulls ?? [];
        setPulls(list);
        let fresh = false;
        for (const p of list) {
          if (p.state === 'done' && !done.current.has(p.id)) {
            done.current.add(p.id);
            fresh = true;
          }
        }
        if (fresh) void refreshModels();
      }, signal),
    reconnects,
  );
}

/** The downloads still going (or waiting, or paused): what the Models badge counts. */
export function activePulls(pulls: Pull[]): Pull[] {
  return pulls.filter((p) => p.state === 'downloading' || p.state === 'queued' || p.state === 'verifying' || p.state === 'paused');
}
