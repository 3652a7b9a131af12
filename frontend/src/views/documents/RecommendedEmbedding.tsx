import { useState } from 'react';
import { ErrorMessage } from '../../components/ErrorMessage';
import { pulls } from '../../api/models';
import type { CatalogModel } from '../../api/types';
import { Icon } from '../../components/Icon';
import { ProgressBar } from '../../components/ProgressBar';
import { useI18n } from '../../i18n';
import { usePulls } from '../models/Downloads';

/** The download of the recommended embedding model, followed here while it runs. */
function Following({ pullRef }: { pullRef: string }) {
  const { t, fmt } = useI18n();
  const pull = usePulls().find((p) => p.ref === pullRef);
  if (!pull) return <ProgressBar value={undefined} label={t('pull.progressLabel', { ref: pullRef })} />;
  if (pull.state === 'done') return <p className="ok-text small">{t('docs.recDownloaded')}</p>;
  if (pull.state === 'error') return <p className="error small">{pull.error}</p>;
  return (
    <div className="import-progress">
      <span className="small muted">
        {t(`pull.${pull.state}`)} · {t('pull.progress', { done: fmt.bytes(pull.completed), total: fmt.bytes(pull.total) })}
      </span>
      <ProgressBar value={pull.total > 0 ? pull.completed / pull.total : undefined} label={t('pull.progressLabel', { ref: pullRef })} />
    </div>
  );
}

/** Offers the catalog's embedding model for Documents when it is not installed. */
export function RecommendedEmbedding({ entry }: { entry: CatalogModel }) {
  const { t, fmt } = useI18n();
  const quant = entry.quants.find((q) => q.recommended) ?? entry.quants[0];
  const [started, setStarted] = useState('');
  const [error, setError] = useState<unknown>('');
  if (!quant) return null;
  return (
    <div className="card rec-embed">
      <p className="small">
        <strong>{t('docs.recTitle', { name: entry.name })}</strong> {t('docs.recBody')}
      </p>
      {started ? (
        <Following pullRef={started} />
      ) : (
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            setError('');
            pulls
              .start(quant.ref)
              .then(() => setStarted(quant.ref))
              .catch((e: unknown) => setError(e));
          }}
        >
          <Icon name="download" size={13} />
          {t('rec.download', { size: fmt.bytes(quant.size) })}
        </button>
      )}
      <ErrorMessage error={error} className="error small" />
    </div>
  );
}
