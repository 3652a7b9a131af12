import { useEffect, useId, useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { collections } from '../../api/collections';
import type { Collection, SearchResponse, SearchResult } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { baseName, position, score } from '../../lib/docs';

interface Props {
  collection: Collection;
  onOpen: (r: SearchResult) => void;
  /** Saves the threshold as the collection's own (chats use it). */
  onSaveMinScore: (v: number) => Promise<void>;
}

/** Try the collection: the passages a question finds, with their scores, above a threshold. */
export function SearchPanel({ collection, onOpen, onSaveMinScore }: Props) {
  const { t, fmt } = useI18n();
  const ids = { q: useId(), min: useId() };
  const [query, setQuery] = useState('');
  const [min, setMin] = useState(collection.min_score);
  const [found, setFound] = useState<SearchResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>('');
  const [saved, setSaved] = useState(false);

  useEffect(() => setMin(collection.min_score), [collection.min_score]);

  const search = async (q: string, threshold: number) => {
    if (!q.trim()) return;
    setBusy(true);
    setError('');
    try {
      setFound(await collections.search(collection.id, q, threshold));
    } catch (e) {
      setError(e);
      setFound(null);
    } finally {
      setBusy(false);
    }
  };

  const canSearch = collection.passages > 0 && collection.status !== 'needs_reindex';
  return (
    <section className="section" aria-labelledby="search-title">
      <h2 id="search-title" className="section-title">
        {t('docs.search')}
      </h2>
      <form
        className="row search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search(query, min);
        }}
      >
        <label className="search grow" htmlFor={ids.q}>
          <Icon name="search" size={14} />
          <span className="visually-hidden">{t('docs.searchLabel')}</span>
          <input id={ids.q} type="search" value={query} placeholder={t('docs.searchPlaceholder')} onChange={(e) => setQuery(e.target.value)} disabled={!canSearch} />
        </label>
        <button type="submit" className="secondary small" disabled={!canSearch || busy || !query.trim()}>
          {t('common.search')}
        </button>
      </form>
      <div className="field inline min-score">
        <label htmlFor={ids.min} className="small">
          {t('docs.minScore')}
        </label>
        <input
          id={ids.min}
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={min}
          aria-valuetext={score(min)}
          onChange={(e) => {
            setMin(Number(e.target.value));
            setSaved(false);
          }}
          onPointerUp={(e) => found && void search(query, Number(e.currentTarget.value))}
          onKeyUp={(e) => found && void search(query, Number(e.currentTarget.value))}
        />
        <output htmlFor={ids.min}>{score(min)}</output>
        {Math.abs(min - collection.min_score) > 1e-9 ? (
          <button
            type="button"
            className="text-button small"
            onClick={() => void onSaveMinScore(min).then(() => setSaved(true), (e: unknown) => setError(e))}
          >
            {t('docs.useForChats')}
          </button>
        ) : (
          saved && <span className="ok-text small">{t('common.saved')}</span>
        )}
      </div>
      <p className="muted small">{t('docs.minScoreHint')}</p>
      {!canSearch && collection.passages === 0 && <p className="muted small">{t('docs.searchEmpty')}</p>}
      <ErrorMessage error={error} className="error small" />
      {found && (
        <div aria-live="polite">
          {found.results.length === 0 ? (
            <p className="muted small">
              {found.best_score > 0 ? t('docs.noResultsBest', { best: score(found.best_score), min: score(found.min_score) }) : t('docs.noResults')}
            </p>
          ) : (
            <ol className="results">
              {found.results.map((r) => (
                <li key={r.id}>
                  <button type="button" className="result" onClick={() => onOpen(r)} title={t('docs.scoreDetail', { sim: score(r.similarity), kw: score(r.keyword) })}>
                    <span className="result-head">
                      <span className="result-name">{baseName(r.document)}</span>
                      <span className="muted small">{[position(t, r), r.heading].filter(Boolean).join(' · ')}</span>
                      <span className="source-score">
                        <span className="visually-hidden">{t('sources.score')} </span>
                        {score(r.score)}
                      </span>
                    </span>
                    <span className="result-text small">{r.text}</span>
                  </button>
                </li>
              ))}
            </ol>
          )}
          <p className="muted small">{t('docs.searched', { n: fmt.number(found.searched) })}</p>
        </div>
      )}
    </section>
  );
}
