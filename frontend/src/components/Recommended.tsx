import { useEffect, useId, useState } from 'react';
import { catalog, pulls as pullsApi } from '../api/models';
import type { Recommendation } from '../api/types';
import { catalogDescription } from '../i18n/catalog';
import { useI18n } from '../i18n';
import { useApp } from '../state';
import { ErrorMessage } from './ErrorMessage';
import { FitBadge } from './FitBadge';
import { Icon } from './Icon';
import { PullLine, pullOf } from './PullLine';

/**
 * The empty state that leads somewhere: no model yet, so offer the recommended one that
 * fits this Mac, downloadable in one click. The download's progress shows here, from the app's
 * download events; when it is done the installed models refresh and the chat is ready.
 */
export function Recommended({ title, body }: { title: string; body: string }) {
  const { t, fmt, lang } = useI18n();
  const { navigate, status, pulls } = useApp();
  const [rec, setRec] = useState<Recommendation | null | undefined>(undefined);
  const [error, setError] = useState<unknown>('');
  const [starting, setStarting] = useState(false);
  const titleId = useId();

  useEffect(() => {
    if (!status?.features.catalog) {
      setRec(null);
      return;
    }
    let live = true;
    catalog
      .recommended(lang)
      .then((r) => live && setRec(r))
      .catch(() => live && setRec(null));
    return () => {
      live = false;
    };
  }, [lang, status?.features.catalog]);

  const download = async (ref: string) => {
    setStarting(true);
    setError('');
    try {
      await pullsApi.start(ref);
    } catch (e) {
      setError(e);
    } finally {
      setStarting(false);
    }
  };

  const cancel = async (id: string) => {
    try {
      await pullsApi.cancel(id);
    } catch (e) {
      setError(e);
    }
  };

  const pull = rec ? pullOf(pulls, rec.quant.ref) : undefined;
  const running = pull && (pull.state === 'downloading' || pull.state === 'queued' || pull.state === 'verifying' || pull.state === 'paused');
  const again = pull && (pull.state === 'error' || pull.state === 'cancelled');
  const fit = rec?.quant.fit;

  return (
    <section className="empty recommended" aria-labelledby={titleId}>
      <h1 id={titleId}>{title}</h1>
      <p className="muted">{body}</p>
      {rec === undefined && <p className="muted">{t('common.loading')}</p>}
      {rec && (
        <div className="card rec-card">
          <div className="rec-head">
            <span className="eyebrow">{t('rec.title')}</span>
            <FitBadge fit={rec.quant.fit} />
          </div>
          <strong className="rec-name">{rec.model.name}</strong>
          {rec.model.description && <p className="muted small">{catalogDescription(lang, rec.model.id, rec.model.description)}</p>}
          {fit && <p className="small rec-needs">{t('rec.needs', { size: fmt.bytes(fit.total_bytes), budget: fmt.bytes(fit.budget_bytes) })}</p>}
          <p className="muted small mono">{rec.quant.ref}</p>
          {running ? (
            <div className="rec-progress" aria-live="polite">
              <p className="small">{t('rec.downloading', { name: rec.model.name })}</p>
              <PullLine pull={pull} />
              <button type="button" className="text-button small" onClick={() => void cancel(pull.id)}>
                {t('pull.cancel')}
              </button>
            </div>
          ) : (
            <button type="button" className="primary" disabled={starting} onClick={() => void download(rec.quant.ref)}>
              <Icon name="download" size={14} />
              {again ? t('rec.again') : t('rec.download', { size: fmt.bytes(rec.quant.size) })}
            </button>
          )}
          {pull?.state === 'error' && <ErrorMessage error={pull.error ?? ''} code={pull.error_code} className="error small" />}
        </div>
      )}
      {rec === null && <p className="muted small">{t('rec.none')}</p>}
      <ErrorMessage error={error} />
      <button type="button" className="text-button" onClick={() => navigate({ view: 'models' })}>
        {t('rec.browse')}
      </button>
    </section>
  );
}
