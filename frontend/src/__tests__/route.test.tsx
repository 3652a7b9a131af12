import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppProvider, useApp } from '../state';
import { mockFetch, perchStatus } from '../test/fetchMock';

function RouteProbe() {
  const { route } = useApp();
  return <p>view: {route.view}</p>;
}

describe('the route follows the address', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    window.history.replaceState(null, '', '#/chat');
  });

  // The e2e run on a fast CI machine opened #/settings right after a reload, between the app's
  // first render and its hashchange listener; the app stayed on the chat.
  it('takes a hash that changed before the app listened for changes', async () => {
    mockFetch({ 'GET /perch/status': () => perchStatus(), 'GET /api/tags': () => ({ models: [] }) });
    window.history.replaceState(null, '', '#/chat');
    // The hashchange event of that change went by before the app listened: swallow it here.
    let missed = true;
    const swallow = (e: Event) => {
      if (missed) e.stopImmediatePropagation();
    };
    window.addEventListener('hashchange', swallow, true);
    const add = window.addEventListener.bind(window);
    vi.spyOn(window, 'addEventListener').mockImplementation((type: string, ...rest: unknown[]) => {
      if (type === 'hashchange') window.history.replaceState(null, '', '#/settings');
      return (add as (t: string, ...r: unknown[]) => void)(type, ...rest);
    });
    render(
      <AppProvider>
        <RouteProbe />
      </AppProvider>,
    );
    await new Promise((r) => setTimeout(r, 50));
    missed = false;
    window.removeEventListener('hashchange', swallow, true);
    await waitFor(() => expect(screen.getByText('view: settings')).toBeTruthy());
  });

  it('follows a later change of the hash', async () => {
    mockFetch({ 'GET /perch/status': () => perchStatus(), 'GET /api/tags': () => ({ models: [] }) });
    window.history.replaceState(null, '', '#/chat');
    render(
      <AppProvider>
        <RouteProbe />
      </AppProvider>,
    );
    expect(screen.getByText('view: chat')).toBeTruthy();
    window.location.hash = '#/memory';
    await waitFor(() => expect(screen.getByText('view: memory')).toBeTruthy());
  });
});
