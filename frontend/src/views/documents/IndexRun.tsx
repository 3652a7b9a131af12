import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { IndexEvent, IndexSkip, IndexSummary } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { useI18n, type MessageKey } from '../../i18n';
import { baseName } from '../../lib/docs';

/** Where a folder or re-indexing run stands, from its SSE events. */
export interface RunState {
  kind: 'folder' | 'reindex';
  running: boolean;
  phase: IndexEvent['phase'];
  done: number;
  total: number;
  embedded: number;
  /** The file being read, and how far its passages are embedded (0..1) when it is large. */
  path: string;
  within: number;
  summary?: IndexSummary;
  /** What stopped the run: an error, or the server's message and its code. */
  error?: unknown;
  errorCode?: string;
  /** Stopped by the user: what it finished stays indexed. */
  cancelled?: boolean;
}

type Start = (onEvent: (ev: IndexEvent) => void, signal: AbortSignal) => Promise<void>;

/**
 * Runs one indexing stream at a time. Leaving the page (unmounting) closes the stream, which
 * stops the run on the server; what it finished stays indexed.
 */
export function useIndexRun(onFinished: () => void) {
  const [run, setRun] = useState<RunState | null>(null);
  const abort = useRef<AbortController | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      abort.current?.abort();
    };
  }, []);

  const start = useCallback(
    async (kind: RunState['kind'], go: Start) => {
      if (abort.current) return;
      const ac = new AbortController();
      abort.current = ac;
      setRun({ kind, running: true, phase: 'scan', done: 0, total: 0, embedded: 0, path: '', within: 0 });
      let ended = false;
      try {
        await go((ev) => {
          if (ev.phase === 'summary' || ev.phase === 'error') ended = true;
          setRun((r) => {
            if (!r) return r;
            const next: RunState = { ...r, phase: ev.phase, done: ev.done, total: ev.total, embedded: ev.embedded };
            if (ev.path) next.path = ev.path;
            next.within = ev.phase === 'embed' && ev.of ? (ev.passages ?? 0) / ev.of : 0;
            if (ev.summary) next.summary = ev.summary;
            if (ev.error) {
              next.error = ev.error.message;
              next.errorCode = (ev.error as { code?: string }).code;
            }
            return next;
          });
        }, ac.signal);
        if (!ended && !ac.signal.aborted) setRun((r) => (r ? { ...r, error: r.error ?? 'The run ended early.' } : r));
        if (ac.signal.aborted) setRun((r) => (r ? { ...r, cancelled: true } : r));
      } catch (e) {
        setRun((r) => (r ? { ...r, error: e } : r));
      } finally {
        abort.current = null;
        setRun((r) => (r ? { ...r, running: false } : r));
        // Also after a cancel: the files it finished are indexed.
        if (mounted.current) onFinished();
      }
    },
    [onFinished],
  );
  const cancel = useCallback(() => abort.current?.abort(), []);
  const clear = useCallback(() => setRun(null), []);
  return { run, start, cancel, clear };
}

/** A progress bar from done/total/embedded while a run goes, then its outcome and the files it skipped. */
export function RunProgress({ run, onCancel, onDismiss }: { run: RunState; onCancel: () => void; onDismiss: () => void }) {
  const { t, fmt } = useI18n();
  const label = run.kind === 'folder' ? t('docs.folderProgress') : t('docs.reindexProgress');
  const value = run.total > 0 ? Math.min(1, (Math.max(0, run.done - (run.within > 0 ? 1 : 0)) + run.within) / run.total) : undefined;
  const s = run.summary;
  return (
    <div className="run" aria-busy={run.running || undefined}>
      {run.running && (
        <>
          <div className="run-line small">
            <span className="grow">
              {run.total === 0
                ? t('docs.scanning')
                : t('docs.progress', { done: fmt.number(run.done), total: fmt.number(run.total), embedded: fmt.number(run.embedded) })}
            </span>
            <button type="button" className="text-button small" onClick={onCancel}>
              {t('common.cancel')}
            </button>
          </div>
          <ProgressBar value={value} label={label} />
          {run.path && (
            <span className="run-path muted small mono" title={run.path}>
              {baseName(run.path)}
            </span>
          )}
        </>
      )}
      {!run.running && (
        <div className="run-result" role="status">
          {s && (
            <p className="small">
              {t('docs.summary', {
                indexed: fmt.number(s.indexed),
                unchanged: fmt.number(s.unchanged),
                skipped: fmt.number(s.skipped),
                embedded: fmt.number(s.embedded),
              })}
              {s.removed > 0 && ' ' + t('docs.removed', { n: fmt.number(s.removed) })}
            </p>
          )}
          {run.error !== undefined && <ErrorMessage error={run.error} code={run.errorCode} className="error small" />}
          {run.cancelled && <p className="small">{t('docs.cancelled')}</p>}
          {s && s.skips.length > 0 && <SkipList skips={s.skips} />}
          <button type="button" className="text-button small" onClick={onDismiss}>
            {t('pull.dismiss')}
          </button>
        </div>
      )}
    </div>
  );
}

// The server's skip codes (app/docs SkipCode), worded in the user's language; an unknown code
// shows the server's English reason.
const SKIP_REASONS: Partial<Record<string, MessageKey>> = {
  unsupported_file: 'docs.skip.unsupported_file',
  binary_file: 'docs.skip.binary_file',
  no_text: 'docs.skip.no_text',
  unreadable_file: 'docs.skip.unreadable_file',
  path_not_allowed: 'docs.skip.path_not_allowed',
  file_too_large: 'docs.skip.file_too_large',
};

/** Files that were not indexed, each with the reason (the particulars on hover). */
export function SkipList({ skips }: { skips: IndexSkip[] }) {
  const { t } = useI18n();
  return (
    <div className="skips">
      <p className="small">{t('docs.skippedTitle', { n: skips.length })}</p>
      <ul className="skip-list">
        {skips.map((s) => {
          const key = SKIP_REASONS[s.code];
          return (
            <li key={s.path}>
              <span className="mono small skip-path" title={s.path}>
                {baseName(s.path)}
              </span>
              <span className="muted small" title={key ? s.reason : undefined}>
                {key ? t(key) : s.reason}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
