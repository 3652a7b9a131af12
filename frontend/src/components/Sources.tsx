import type { Source, SourceSet } from '../api/types';
import { useI18n } from '../i18n';
import { baseName, position, score } from '../lib/docs';
import { Icon } from './Icon';

interface Props {
  set: SourceSet;
  onOpen: (s: Source) => void;
}

/**
 * The passages an answer was given, under it: file, lines or page, heading and score; a
 * click opens the passage. When nothing was relevant enough, it says so plainly, so an
 * answer that follows is not mistaken for one from the documents.
 */
export function Sources({ set, onOpen }: Props) {
  const { t } = useI18n();
  if (set.sources.length === 0) {
    const best = set.best_score !== undefined && set.best_score > 0 && set.min_score !== undefined;
    return (
      <p className="sources-none small">
        <Icon name="file" size={13} />
        <span>
          {t('sources.none')}
          {best && ' ' + t('sources.noneBest', { best: score(set.best_score ?? 0), min: score(set.min_score ?? 0) })}
        </span>
      </p>
    );
  }
  return (
    <div className="sources" role="group" aria-label={t('sources.title')}>
      <p className="sources-title small muted">{t('sources.title')}</p>
      <ol className="sources-list">
        {set.sources.map((s) => {
          const where = position(t, s);
          return (
            <li key={`${s.n}-${s.passage_id}`}>
              <button
                type="button"
                className="source"
                title={s.document}
                onClick={() => onOpen(s)}
              >
                <span className="source-n">{s.n}</span>
                <span className="source-name">{baseName(s.document)}</span>
                <span className="source-where muted">{[where, s.heading].filter(Boolean).join(' · ')}</span>
                <span className="source-score">
                  <span className="visually-hidden">{t('sources.score')} </span>
                  {score(s.score)}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
