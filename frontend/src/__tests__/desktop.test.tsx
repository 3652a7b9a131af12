import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useDesktop } from '../lib/desktop';

function Probe() {
  const d = useDesktop();
  return d ? <button onClick={() => d.detach()}>detach</button> : <p>browser</p>;
}

describe('useDesktop', () => {
  afterEach(() => {
    delete window.perchDesktop;
  });

  it('shows no window controls in a browser', () => {
    render(<Probe />);
    expect(screen.getByText('browser')).toBeTruthy();
  });

  it('finds the controls the desktop shell announces later', () => {
    render(<Probe />);
    const detach = vi.fn();
    act(() => {
      window.perchDesktop = { detach, attach: vi.fn(), hide: vi.fn() };
      window.dispatchEvent(new Event('perchdesktop'));
    });
    fireEvent.click(screen.getByText('detach'));
    expect(detach).toHaveBeenCalledOnce();
  });
});
