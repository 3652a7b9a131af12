// A chat's documents: the collection it cites, the collections to pick from, and the sources
// of its answers (by the id of the user message each answers), loaded as the chat changes.

import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { chatDocs, collections } from '../../api/collections';
import type { Collection, SourceSet } from '../../api/types';

interface Options {
  /** The chat on screen (undefined: a new chat not made yet). */
  chatId: number | undefined;
  /** Documents are on (status.features.collections). */
  on: boolean;
  /** The chat options are open: the collections to pick from are fetched fresh. */
  picking: boolean;
  /** The collection a new chat will cite, once made (null: none). */
  newCollection: number | null;
}

export interface ChatDocs {
  attached: Collection | null;
  setAttached: Dispatch<SetStateAction<Collection | null>>;
  /** The collections to pick from (fetched while picking, or while a new chat names one not listed). */
  list: Collection[];
  sources: Record<number, SourceSet>;
  setSources: Dispatch<SetStateAction<Record<number, SourceSet>>>;
  /** Loads a chat's collection and saved sources; sources that arrived live meanwhile win. */
  load: (chatId: number) => Promise<void>;
  /** A chat made here a moment ago, citing collection: nothing to load when the route follows. */
  adopt: (chatId: number, collection: Collection | null) => void;
}

export function useChatDocs({ chatId, on, picking, newCollection }: Options): ChatDocs {
  const [attached, setAttached] = useState<Collection | null>(null);
  const [list, setList] = useState<Collection[]>([]);
  const [sources, setSources] = useState<Record<number, SourceSet>>({});
  const shown = useRef(chatId);
  // The chat whose collection and sources are loaded (or were set here when it was made).
  const docsFor = useRef<number | null>(null);
  const adopted = useRef<number | null>(null);

  const load = useCallback(async (id: number) => {
    const [coll, src] = await Promise.all([chatDocs.collection(id).catch(() => null), chatDocs.sources(id).catch(() => ({}))]);
    if (shown.current !== id) return;
    setAttached(coll);
    setSources((live) => ({ ...src, ...live }));
  }, []);

  useEffect(() => {
    shown.current = chatId;
    if (adopted.current === chatId) {
      adopted.current = null; // made here a moment ago; the state already holds it
      return;
    }
    docsFor.current = null;
    setAttached(null);
    setSources({});
  }, [chatId]);

  useEffect(() => {
    if (!on || !chatId || docsFor.current === chatId) return;
    docsFor.current = chatId;
    void load(chatId);
  }, [on, chatId, load]);

  // The collections to pick from, fresh each time the options open (or a new chat names one).
  const wanted = !chatId && newCollection !== null && !list.some((c) => c.id === newCollection);
  useEffect(() => {
    if (!on || !(picking || wanted)) return;
    let live = true;
    collections
      .list()
      .then((l) => live && setList(l))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [on, picking, wanted]);

  const adopt = useCallback((id: number, collection: Collection | null) => {
    adopted.current = id;
    shown.current = id;
    docsFor.current = id;
    setAttached(collection);
    setSources({});
  }, []);

  return { attached, setAttached, list, sources, setSources, load, adopt };
}
