import { useEffect, useRef, useState } from 'react';

/**
 * Whether the page is visible. The popover stays alive while hidden; streams that only
 * feed the screen (memory, downloads) stop then, so a hidden Perch uses no CPU for them.
 */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => typeof document === 'undefined' || document.visibilityState !== 'hidden');
  useEffect(() => {
    const on = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return visible;
}

/**
 * Keeps a server event stream open while the page is visible: open(signal) follows the stream
 * until it ends; after it ends (a drop, a restart) it is opened again 2 s later, and onEnd runs.
 * A change of key opens it anew at once. open and onEnd may change between renders; the
 * latest are used.
 */
export function useVisibleStream(open: (signal: AbortSignal) => Promise<unknown>, key: unknown = 0, onEnd?: () => void): void {
  const visible = usePageVisible();
  const latest = useRef({ open, onEnd });
  latest.current = { open, onEnd };
  useEffect(() => {
    if (!visible) return;
    const abort = new AbortController();
    let timer: number | undefined;
    const connect = () => {
      latest.current
        .open(abort.signal)
        .catch(() => undefined)
        .finally(() => {
          latest.current.onEnd?.();
          if (!abort.signal.aborted) timer = window.setTimeout(connect, 2000);
        });
    };
    connect();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [visible, key]);
}
