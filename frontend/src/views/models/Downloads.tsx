import { useState } from 'react';
import { pulls as pullsApi } from '../../api/models';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { Pull } from '../../api/types';
import { Icon } from '../../components/Icon';
import { ProgressBar } from '../../components/ProgressBar';
import { useI18n, type MessageKey } from '../../i18n';
import { useApp } from '../../state';

/** The server's downloads, followed app-wide (see state.tsx). */
export function usePulls(): Pull[] {
  return useApp().pulls;
}

function PullRow({ pull }: { pull: Pull }) {
  const { t, fmt } = useI18n();
  const [error, setError] = useState<unknown>('');
  // Cancelling deletes what was downloaded so far: ask first when that is anything.
  const [confirming, setConfirming] = useState(false);
  const act = async (what: 'pause' | 'resume' | 'cancel' | 'dismiss') => {
    setError('');
    if (what === 'cancel' && pull.completed > 0 && !confirming) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    try {
      if (what === 'dismiss') await pullsApi.dismiss(pull.id);
      else await pullsApi.act(pull.id, what);
    } catch (e) {
      setError(e);
    }
  };
  const active = pull.state === 'downloading' || pull.state === 'queued' || pull.state === 'verifying';
  const value = pull.total > 0 ? pull.completed / pull.total : undefined;
  const details: string[] = [];
  if (pull.total > 0) details.push(t('pull.progress', { done: fmt.bytes(pull.completed), total: fmt.bytes(pull.total) }));
  if (pull.state === 'downloading' && pull.rate_bps > 0) details.push(t('pull.rate', { rate: fmt.rate(pull.rate_bps) }));
  if (pull.state === 'downloading' && pull.eta_s > 0) details.push(t('pull.eta', { time: fmt.duration(pull.eta_s) }));
  return (
    <li className={`pull-row state-${pull.state}`} data-pull-state={pull.state}>
      <div className="pull-head">
        <strong className="pull-ref mono">{pull.ref}</strong>
        <span className="badge">{t(`pull.${pull.state}` as MessageKey)}</span>
      </div>
      {pull.state !== 'done' && pull.state !== 'cancelled' && pull.state !== 'error' && (
        <ProgressBar value={pull.state === 'verifying' ? 1 : value} label={t('pull.progressLabel', { ref: pull.ref })} />
      )}
      <div className="pull-foot">
        <span className="muted small pull-details">{details.join(' · ')}</span>
        <span className="spacer" />
        {active && (
          <>
            <button type="button" className="icon-button" aria-label={`${t('pull.pause')}: ${pull.ref}`} title={t('pull.pause')} onClick={() => void act('pause')}>
              <Icon name="pause" size={14} />
            </button>
            <button type="button" className="icon-button" aria-label={`${t('pull.cancel')}: ${pull.ref}`} title={t('pull.cancel')} onClick={() => void act('cancel')}>
              <Icon name="close" size={14} />
            </button>
          </>
        )}
        {(pull.state === 'paused' || pull.state === 'error') && (
          <>
            <button type="button" className="secondary small" onClick={() => void act('resume')}>
              <Icon name="play" size={11} />
              {pull.state === 'error' ? t('common.retry') : t('pull.resume')}
            </button>
            <button type="button" className="icon-button" aria-label={`${t('pull.cancel')}: ${pull.ref}`} title={t('pull.cancel')} onClick={() => void act('cancel')}>
              <Icon name="close" size={14} />
            </button>
          </>
        )}
        {(pull.state === 'done' || pull.state === 'cancelled' || pull.state === 'error') && (
          <button type="button" className="text-button small" onClick={() => void act('dismiss')}>
            {t('pull.dismiss')}
          </button>
        )}
      </div>
      {confirming && (
        <div className="confirm-row" role="alertdialog" aria-label={t('pull.confirmDelete', { done: fmt.bytes(pull.completed) })}>
          <span className="small">{t('pull.confirmDelete', { done: fmt.bytes(pull.completed) })}</span>
          <span className="spacer" />
          <button type="button" className="danger small" onClick={() => void act('cancel')}>
            {t('pull.confirmYes')}
          </button>
          <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
            {t('pull.confirmNo')}
          </button>
        </div>
      )}
      {pull.state === 'error' && pull.error && <ErrorMessage error={pull.error} code={pull.error_code} className="error small" />}
      <ErrorMessage error={error} className="error small" />
    </li>
  );
}

export function Downloads({ pulls }: { pulls: Pull[] }) {
  const { t } = useI18n();
  if (pulls.length === 0) return null;
  return (
    <section className="section" aria-labelledby="downloads-title">
      <h2 id="downloads-title" className="section-title">
        {t('models.downloads')}
      </h2>
      <ul className="pull-list">
        {pulls.map((p) => (
          <PullRow key={p.id} pull={p} />
        ))}
      </ul>
    </section>
  );
}
