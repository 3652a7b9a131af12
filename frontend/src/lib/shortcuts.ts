// The app's keyboard shortcuts, in one place: the table the help sheet shows, the labels the
// tooltips show, and the window-wide handler. ⌘ on a Mac, Ctrl elsewhere.
import { useEffect } from 'react';

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** "⌘N" on a Mac, "Ctrl+N" elsewhere. */
export function combo(key: string): string {
  return isMac ? `⌘${key}` : `Ctrl+${key}`;
}

/** Events the shortcuts send to the views that act on them. */
export const shortcutEvents = {
  newChat: 'perch:new-chat',
  search: 'perch:search-chats',
  stop: 'perch:stop',
  help: 'perch:shortcuts',
} as const;

export function send(name: string): void {
  window.dispatchEvent(new Event(name));
}

/** Calls fn whenever the shortcut event name is sent. */
export function useShortcutEvent(name: string, fn: () => void): void {
  useEffect(() => {
    window.addEventListener(name, fn);
    return () => window.removeEventListener(name, fn);
  }, [name, fn]);
}

interface Handlers {
  /** ⌘1–⌘6: the tab at that position. */
  tab: (index: number) => void;
  newChat: () => void;
  search: () => void;
  help: () => void;
}

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** The window-wide shortcuts. Esc is left to the views (it closes what is open first). */
export function useShortcuts(h: Handlers): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.isComposing || e.altKey) return;
      const mod = isMac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && !e.shiftKey && /^[1-6]$/.test(key)) {
        e.preventDefault();
        h.tab(Number(key) - 1);
      } else if (mod && !e.shiftKey && key === 'n') {
        e.preventDefault();
        h.newChat();
      } else if (mod && !e.shiftKey && key === 'k') {
        e.preventDefault();
        h.search();
      } else if ((mod && key === '/') || (key === '?' && !mod && !typing(e.target))) {
        e.preventDefault();
        h.help();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [h]);
}
