import { beforeEach, describe, expect, it } from 'vitest';
import { chats } from '../api/chats';
import { memory } from '../api/memory';
import { catalog, models, pulls, uploads } from '../api/models';
import { remotes } from '../api/remotes';
import { system } from '../api/system';
import { tokens } from '../api/tokens';
import { mockFetch, sseResponse, type Call } from '../test/fetchMock';

// Each endpoint module's call goes to the route docs/ui-api.md names, with the body it names.
let calls: Call[];

beforeEach(() => {
  const ok = () => ({});
  calls = mockFetch(
    new Proxy({} as Record<string, () => unknown>, {
      get: (_t, key: string) => {
        if (key.endsWith('/events') || key.endsWith('/messages') || key.endsWith('/regenerate') || key.endsWith('/edit') || key.endsWith('/continue'))
          return () => sseResponse([]);
        if (key === 'GET /perch/models') return () => ({ models: [{ name: 'a' }] });
        if (key === 'GET /perch/remotes') return () => ({ remotes: [] });
        if (key === 'GET /perch/remotes/discover') return () => ({ found: [] });
        if (key.startsWith('GET /perch/catalog') || key.startsWith('GET /perch/search')) return () => ({ models: [] });
        return ok;
      },
    }),
  );
});

const table: [string, () => Promise<unknown>, Omit<Call, 'body'> & { body?: unknown }][] = [
  ['chats.get', () => chats.get(7), { method: 'GET', path: '/perch/chats/7' }],
  ['chats.create', () => chats.create({ model: 'm', system: '', params: {} }), { method: 'POST', path: '/perch/chats', body: { model: 'm', system: '', params: {} } }],
  ['chats.update', () => chats.update(7, { model: 'm' }), { method: 'PATCH', path: '/perch/chats/7', body: { model: 'm' } }],
  ['chats.selectVersion', () => chats.selectVersion(7, 3), { method: 'POST', path: '/perch/chats/7/messages/3/select' }],
  ['chats.stop', () => chats.stop(7), { method: 'POST', path: '/perch/chats/7/stop' }],
  ['chats.answer send', () => chats.answer(7, { kind: 'send', content: 'hi' }, () => undefined), { method: 'POST', path: '/perch/chats/7/messages', body: { content: 'hi' } }],
  ['chats.answer regenerate', () => chats.answer(7, { kind: 'regenerate' }, () => undefined), { method: 'POST', path: '/perch/chats/7/regenerate' }],
  ['chats.answer edit', () => chats.answer(7, { kind: 'edit', messageId: 3, content: 'x' }, () => undefined), { method: 'POST', path: '/perch/chats/7/messages/3/edit', body: { content: 'x' } }],
  ['chats.answer continue', () => chats.answer(7, { kind: 'continue', messageId: 4 }, () => undefined), { method: 'POST', path: '/perch/chats/7/messages/4/continue' }],
  ['models.list', () => models.list(), { method: 'GET', path: '/perch/models' }],
  ['models.act default', () => models.act('default', 'a b'), { method: 'POST', path: '/perch/models/default', body: { name: 'a b' } }],
  ['models.unload', () => models.unload('a'), { method: 'POST', path: '/perch/models/unload', body: { name: 'a' } }],
  ['models.importPath', () => models.importPath('/m.gguf'), { method: 'POST', path: '/perch/models/import', body: { path: '/m.gguf' } }],
  ['models.fit', () => models.fit({ model: 'a', num_ctx: 4096 }), { method: 'POST', path: '/perch/fit', body: { model: 'a', num_ctx: 4096 } }],
  ['catalog.list', () => catalog.list('a b'), { method: 'GET', path: '/perch/catalog?q=a%20b' }],
  ['catalog.search', () => catalog.search('qwen'), { method: 'GET', path: '/perch/search?q=qwen' }],
  ['catalog.inspect', () => catalog.inspect('hf:x/y'), { method: 'POST', path: '/perch/inspect', body: { ref: 'hf:x/y' } }],
  ['catalog.recommended', () => catalog.recommended('ko'), { method: 'GET', path: '/perch/recommended?lang=ko' }],
  ['pulls.start', () => pulls.start('hf:x/y'), { method: 'POST', path: '/perch/pulls', body: { ref: 'hf:x/y' } }],
  ['pulls.act pause', () => pulls.act('p1', 'pause'), { method: 'POST', path: '/perch/pulls/p1/pause' }],
  ['pulls.cancel', () => pulls.cancel('p1'), { method: 'POST', path: '/perch/pulls/p1/cancel' }],
  ['pulls.dismiss', () => pulls.dismiss('p1'), { method: 'DELETE', path: '/perch/pulls/p1' }],
  ['pulls.events', () => pulls.events(() => undefined), { method: 'GET', path: '/perch/pulls/events' }],
  ['uploads.start', () => uploads.start({ filename: 'm.gguf', size: 9 }), { method: 'POST', path: '/perch/uploads', body: { filename: 'm.gguf', size: 9 } }],
  ['uploads.put', () => uploads.put('u1', 8, new Blob(['x'])), { method: 'PUT', path: '/perch/uploads/u1?offset=8' }],
  ['uploads.finish', () => uploads.finish('u1'), { method: 'POST', path: '/perch/uploads/u1/finish' }],
  ['uploads.discard', () => uploads.discard('u1'), { method: 'DELETE', path: '/perch/uploads/u1' }],
  ['memory.events', () => memory.events(() => undefined), { method: 'GET', path: '/perch/memory/events' }],
  ['tokens.tokenize', () => tokens.tokenize('a', 'hi'), { method: 'POST', path: '/perch/tokenize', body: { model: 'a', text: 'hi' } }],
  ['remotes.list', () => remotes.list(), { method: 'GET', path: '/perch/remotes' }],
  ['remotes.add', () => remotes.add({ name: 'box', url: 'http://box:8080' }), { method: 'POST', path: '/perch/remotes', body: { name: 'box', url: 'http://box:8080' } }],
  ['remotes.remove', () => remotes.remove('my box'), { method: 'DELETE', path: '/perch/remotes/my%20box' }],
  ['remotes.discover', () => remotes.discover(), { method: 'GET', path: '/perch/remotes/discover' }],
  ['system.status', () => system.status(), { method: 'GET', path: '/perch/status' }],
  ['system.restart', () => system.restart(), { method: 'POST', path: '/perch/restart' }],
];

describe('endpoint modules', () => {
  it.each(table)('%s', async (_name, call, want) => {
    await call();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ body: undefined, ...want });
  });

  it('unwraps list answers', async () => {
    expect(await models.list()).toEqual([{ name: 'a' }]);
    expect(await remotes.list()).toEqual([]);
    expect(await remotes.discover()).toEqual([]);
  });
});
