import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorText } from '../../api/client';
import { history } from '../../api/history';
import type { ChatSummary } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { parseChatFile } from '../../lib/chatFile';
import { DeleteConfirm, ErrorText } from '../../components/Feedback';

interface Props {
  currentId: number | undefined;
  /** Bumped by the chat view when a chat changed, to reload the list. */
  version: number;
  onOpen: (id: number) => void;
  onDeleted: (id: number) => void;
  onClose?: () => void;
  /** Moves focus to the search field when it turns truthy or changes (history opened, ⌘K). */
  focusSearch?: boolean | number;
}

/** Text with each match of q marked (case-insensitive), for search hits. */
export function Highlight({ text, q }: { text: string; q: string }) {
  const needle = q.trim().toLowerCase();
  if (!needle) return <>{text}</>;
  const out: ReactNode[] = [];
  const hay = text.toLowerCase();
  let at = 0;
  // Lowering can change lengths outside ASCII; then the text is shown unmarked.
  if (hay.length !== text.length) return <>{text}</>;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, at)) {
    if (i > at) out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + needle.length)}</mark>);
    at = i + needle.length;
  }
  out.push(text.slice(at));
  return <>{out}</>;
}

type Group = 'pinned' | 'today' | 'yesterday' | 'week' | 'month' | 'older';

/** The date group of a chat, by the local calendar day it was last updated. */
export function groupOf(updated: string, now = new Date()): Group {
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(new Date(updated))) / 86_400_000);
  return days <= 0 ? 'today' : days === 1 ? 'yesterday' : days < 7 ? 'week' : days < 30 ? 'month' : 'older';
}

/** The group a chat is listed under: Pinned (the server sorts those first), else its date. */
function groupOfChat(c: ChatSummary, now = new Date()): Group {
  return c.pinned ? 'pinned' : groupOf(c.updated_at, now);
}

/** The pin shown before a pinned chat's title. */
function PinMark() {
  const { t } = useI18n();
  return (
    <span className="history-pin" role="img" aria-label={t('chat.pinnedMark')} title={t('chat.pinnedMark')}>
      <Icon name="pin" size={11} />
    </span>
  );
}

function HistoryItem({
  chat,
  current,
  query,
  tabStop,
  onOpen,
  onChanged,
  onDeleted,
  selecting,
  selected,
  onToggle,
}: {
  chat: ChatSummary;
  current: boolean;
  /** The search text, marked where it matches. */
  query: string;
  /** The row that takes the list's one Tab stop; the others are reached with ↑ ↓. */
  tabStop: boolean;
  onOpen: () => void;
  onChanged: () => void;
  onDeleted: () => void;
  /** Select mode: the row is a checkbox for deleting several chats at once. */
  selecting: boolean;
  selected: boolean;
  onToggle: () => void;
}) {
  const { t, fmt } = useI18n();
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  const [title, setTitle] = useState(chat.title);
  const [error, setError] = useState('');
  const shown = chat.title || t('chat.untitled');

  const rename = async () => {
    try {
      await history.rename(chat.id, title);
      setMode('view');
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = async () => {
    try {
      await history.remove(chat.id);
      onDeleted();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const togglePin = async () => {
    try {
      setError('');
      await history.pin(chat.id, !chat.pinned);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (selecting) {
    return (
      <li className={`history-item selecting${selected ? ' selected' : ''}`}>
        <label className="history-open history-select">
          <input type="checkbox" className="history-check" checked={selected} onChange={onToggle} tabIndex={tabStop ? 0 : -1} aria-label={t('chat.selectRow', { title: shown })} />
          <span className="history-title">
            {chat.pinned && <PinMark />}
            {shown}
          </span>
        </label>
      </li>
    );
  }
  if (mode === 'rename') {
    return (
      <li className="history-item editing">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void rename();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setMode('view');
            }
          }}
        >
          <input aria-label={t('chat.renameLabel')} value={title} onChange={(e) => setTitle(e.target.value)} autoFocus maxLength={200} />
          <button type="submit" className="primary small">
            {t('common.save')}
          </button>
          <button type="button" className="text-button small" onClick={() => setMode('view')}>
            {t('common.cancel')}
          </button>
        </form>
        <ErrorText error={error} />
      </li>
    );
  }
  if (mode === 'delete') {
    return (
      <li className="history-item confirming">
        <DeleteConfirm className="" question={t('chat.deleteConfirm', { title: shown })} onConfirm={() => void remove()} onCancel={() => setMode('view')} />
        <ErrorText error={error} />
      </li>
    );
  }
  return (
    <li className={`history-item${current ? ' current' : ''}`}>
      <button
        type="button"
        className="history-open"
        onClick={onOpen}
        aria-current={current ? 'true' : undefined}
        tabIndex={tabStop ? 0 : -1}
        aria-keyshortcuts="F2 Delete"
        onKeyDown={(e) => {
          if (e.key === 'F2') {
            e.preventDefault();
            setTitle(chat.title);
            setMode('rename');
          } else if (e.key === 'Delete' || (e.key === 'Backspace' && (e.metaKey || e.ctrlKey))) {
            e.preventDefault();
            setMode('delete');
          }
        }}
      >
        <span className="history-title">
          {chat.pinned && <PinMark />}
          <Highlight text={shown} q={query} />
        </span>
        <span className="history-meta">
          {chat.snippet ? <Highlight text={chat.snippet} q={query} /> : `${chat.model || '—'} · ${fmt.relative(chat.updated_at)}`}
        </span>
      </button>
      <div className="history-actions">
        <button
          type="button"
          className={`icon-button${chat.pinned ? ' on' : ''}`}
          aria-label={`${t(chat.pinned ? 'chat.unpin' : 'chat.pin')}: ${shown}`}
          aria-pressed={chat.pinned ? 'true' : 'false'}
          title={t(chat.pinned ? 'chat.unpin' : 'chat.pin')}
          tabIndex={-1}
          onClick={() => void togglePin()}
        >
          <Icon name="pin" size={13} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`${t('chat.rename')}: ${shown}`}
          title={`${t('chat.rename')} (F2)`}
          tabIndex={-1}
          onClick={() => {
            setTitle(chat.title);
            setMode('rename');
          }}
        >
          <Icon name="edit" size={13} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`${t('common.delete')}: ${shown}`}
          title={`${t('common.delete')} (Delete)`}
          tabIndex={-1}
          onClick={() => setMode('delete')}
        >
          <Icon name="trash" size={13} />
        </button>
      </div>
      <ErrorText error={error} />
    </li>
  );
}

/** Select mode's bar: how many are chosen, select all, and Delete with one confirmation. */
function SelectionBar({
  count,
  total,
  question,
  onAll,
  onDelete,
  onDone,
}: {
  count: number;
  total: number;
  /** The confirmation's question. */
  question: string;
  onAll: () => void;
  onDelete: () => Promise<void>;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const remove = async () => {
    setBusy(true);
    setError('');
    try {
      await onDelete();
      setConfirming(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="history-selection" role="toolbar" aria-label={t('chat.select')}>
      {confirming ? (
        <DeleteConfirm className="history-confirm" question={question} busy={busy} onConfirm={() => void remove()} onCancel={() => setConfirming(false)} />
      ) : (
        <div className="row">
          <span className="small" aria-live="polite">
            {t('chat.selectedCount', { n: count })}
          </span>
          <button type="button" className="text-button small" disabled={count === total} onClick={onAll}>
            {t('chat.selectAll')}
          </button>
          <button type="button" className="danger small" disabled={count === 0} onClick={() => setConfirming(true)}>
            {t('chat.deleteSelected')}
          </button>
          <button type="button" className="text-button small" onClick={onDone}>
            {t('chat.selectDone')}
          </button>
        </div>
      )}
      <ErrorText error={error} />
    </div>
  );
}

export function ChatHistory({ currentId, version, onOpen, onDeleted, onClose, focusSearch }: Props) {
  const { t } = useI18n();
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focusSearch) search.current?.focus();
  }, [focusSearch]);
  const [query, setQuery] = useState('');
  const [chats, setChats] = useState<ChatSummary[] | null>(null);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);
  const [importError, setImportError] = useState('');
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setSelected((cur) => {
      const next = new Set(cur);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const stopSelecting = () => {
    setSelecting(false);
    setSelected(new Set());
  };
  // One request for all the chosen chats: all are deleted, or none (the error says why).
  const deleteSelected = async () => {
    const ids = [...selected];
    await history.removeMany(ids);
    stopSelecting();
    setReload((n) => n + 1);
    for (const id of ids) onDeleted(id);
  };
  const picker = useRef<HTMLInputElement>(null);
  // The file input exists only once Import is pressed, so it is never mistaken for another
  // view's file picker.
  const [picking, setPicking] = useState(0);
  useEffect(() => {
    if (picking) picker.current?.click();
  }, [picking]);

  // An imported file is checked here first; one that is not Perch's changes nothing.
  const importFile = async (f: File) => {
    setImportError('');
    const parsed = parseChatFile(await f.text());
    if (!parsed.ok) {
      setImportError(t(parsed.reason === 'notJSON' ? 'chat.importNotJSON' : parsed.reason === 'empty' ? 'chat.importEmpty' : 'chat.importNotPerch', { name: f.name }));
      return;
    }
    try {
      const c = await history.import(parsed.file);
      setReload((n) => n + 1);
      onOpen(c.id);
    } catch (e) {
      setImportError(`${t('chat.importFailed', { name: f.name })} ${errorText(e)}`);
    }
  };

  useEffect(() => {
    const ctrl = new AbortController();
    // Searching waits for a pause in typing; the plain list loads at once.
    const delay = query ? 200 : 0;
    const timer = window.setTimeout(() => {
      history
        .list(query, ctrl.signal)
        .then((list) => {
          setChats(list);
          // Chats deleted elsewhere leave the selection.
          setSelected((cur) => (cur.size ? new Set(list.filter((c) => cur.has(c.id)).map((c) => c.id)) : cur));
          setError('');
        })
        .catch((e: unknown) => {
          if (!ctrl.signal.aborted) setError(errorText(e));
        });
    }, delay);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [query, version, reload]);

  return (
    <aside className="history" aria-label={t('chat.history')}>
      <div className="history-head">
        <label className="search">
          <Icon name="search" size={13} />
          <input
            ref={search}
            type="search"
            placeholder={t('chat.searchHistory')}
            aria-label={t('chat.searchHistory')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button
          type="button"
          className={`icon-button${selecting ? ' on' : ''}`}
          aria-label={t('chat.select')}
          aria-pressed={selecting ? 'true' : 'false'}
          title={t('chat.select')}
          onClick={() => (selecting ? stopSelecting() : setSelecting(true))}
        >
          <Icon name="check" size={14} />
        </button>
        <button type="button" className="icon-button" aria-label={t('chat.import')} title={t('chat.import')} onClick={() => setPicking((n) => n + 1)}>
          <Icon name="file" size={14} />
        </button>
        {picking > 0 && (
        <input
          ref={picker}
          type="file"
          accept=".json,application/json"
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
        )}
        {onClose && (
          <button type="button" className="icon-button history-close" aria-label={t('chat.historyClose')} title={t('chat.historyClose')} onClick={onClose}>
            <Icon name="close" size={14} />
          </button>
        )}
      </div>
      <ErrorText error={error} />
      <ErrorText error={importError} />
      {selecting && (
        <SelectionBar
          count={selected.size}
          total={chats?.length ?? 0}
          question={
            selected.size === 1
              ? t('chat.deleteConfirm', { title: chats?.find((c) => selected.has(c.id))?.title || t('chat.untitled') })
              : t('chat.deleteManyConfirm', { n: selected.size })
          }
          onAll={() => setSelected(new Set(chats?.map((c) => c.id)))}
          onDelete={deleteSelected}
          onDone={stopSelecting}
        />
      )}
      {chats && chats.length === 0 && (
        <p className="muted small history-empty">{query ? t('chat.noMatches', { q: query }) : t('chat.noChats')}</p>
      )}
      <ul
        className="history-list"
        onKeyDown={(e) => {
          // ↑ ↓ Home End move between rows: the list is one Tab stop, not three per row.
          const rows = [...e.currentTarget.querySelectorAll<HTMLElement>('button.history-open, .history-check')];
          const at = rows.indexOf(document.activeElement as HTMLElement);
          if (at < 0) return;
          const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1 }[e.key];
          if (to === undefined) return;
          e.preventDefault();
          rows[Math.max(0, Math.min(rows.length - 1, to))]?.focus();
        }}
      >
        {chats?.flatMap((c, i) => {
          // Date groups (Today, Yesterday, …) while browsing; a search lists hits by recency.
          // Pinned chats come first from the server, under their own heading.
          const g = groupOfChat(c);
          const head =
            !query && (i === 0 || groupOfChat(chats[i - 1]!) !== g)
              ? [
                  <li key={`g-${g}`} className="history-group">
                    <h2>{t(`chat.group.${g}`)}</h2>
                  </li>,
                ]
              : [];
          return [
            ...head,
          <HistoryItem
            key={c.id}
            chat={c}
            query={query}
            current={c.id === currentId}
            tabStop={currentId !== undefined && chats.some((x) => x.id === currentId) ? c.id === currentId : i === 0}
            onOpen={() => onOpen(c.id)}
            onChanged={() => setReload((n) => n + 1)}
            onDeleted={() => {
              setReload((n) => n + 1);
              onDeleted(c.id);
            }}
            selecting={selecting}
            selected={selected.has(c.id)}
            onToggle={() => toggle(c.id)}
          />,
          ];
        })}
      </ul>
    </aside>
  );
}
