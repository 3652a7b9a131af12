import { useEffect, useState } from 'react';

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
