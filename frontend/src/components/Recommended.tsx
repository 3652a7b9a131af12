import { useEffect, useId, useState } from 'react';
import { api, errorText } from '../api/client';
import type { Recommendation } from '../api/types';
import { catalogDescription } from '../i18n/catalog';
import { useI18n } from '../i18n';
import { useApp } from '../state';
import { FitBadge } from './FitBadge';
import { Icon } from './Icon';

/**
 * The empty state that leads somewhere: no model yet, so offer the recommended one that
 * fits this Mac, downloadable in one click.
 */
export function Recommended({ title, body }: { title: string; body: string }) {
  const { t, fmt, lang } = useI18n();
  const { navigate, status } = useApp();
  const [rec, setRec] = useState<Recommendation | null | undefined>(undefined);
  const [error, setError] = useState('');
  const [starting, setStarting] = useState(false);
  const titleId = useId();

  useEffect(() => {
    if (!status?.features.catalog) {
      setRec(null);
      return;
    }
    let live = true;
    api<Recommendation>('GET', `/perch/recommended?lang=${lang}`)
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
      await api('POST', '/perch/pulls', { ref });
      navigate({ view: 'models' });
    } catch (e) {
      setError(errorText(e));
      setStarting(false);
    }
  };

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
          <p className="muted small mono">{rec.quant.ref}</p>
          <button type="button" className="primary" disabled={starting} onClick={() => void download(rec.quant.ref)}>
            <Icon name="download" size={14} />
            {t('rec.download', { size: fmt.bytes(rec.quant.size) })}
          </button>
        </div>
      )}
      {rec === null && <p className="muted small">{t('rec.none')}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="text-button" onClick={() => navigate({ view: 'models' })}>
        {t('rec.browse')}
      </button>
    </section>
  );
}
