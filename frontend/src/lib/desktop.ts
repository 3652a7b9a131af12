// The desktop window's controls. The menu-bar app injects window.perchDesktop into its window
// (and announces it with a "perchdesktop" event); in a browser it is absent and the UI shows no
// window controls.

import { useEffect, useState } from 'react';

export interface PerchDesktop {
  detach(): void;
  attach(): void;
  hide(): void;
}

declare global {
  interface Window {
    perchDesktop?: PerchDesktop;
  }
}

/** The desktop shell's controls, once it has announced them; null in a browser. */
export function useDesktop(): PerchDesktop | null {
  const [desktop, setDesktop] = useState<PerchDesktop | null>(() => window.perchDesktop ?? null);
  useEffect(() => {
    const found = () => setDesktop(window.perchDesktop ?? null);
    window.addEventListener('perchdesktop', found);
    found();
    return () => window.removeEventListener('perchdesktop', found);
  }, []);
  return desktop;
}
