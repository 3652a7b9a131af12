import { useState } from 'react';
import type { Model } from '../api/types';
import { useI18n } from '../i18n';
import { useApp } from '../state';

/** The picker's options for models on other machines, grouped and labelled with where they run. */
export function RemoteOptions({ models }: { models: Model[] }) {
  const { t } = useI18n();
  return (
    <optgroup label={t('remote.group')}>
      {models.map((m) => (
        <option key={m.name} value={m.name}>
          {t('remote.option', { model: m.name.slice((m.remote?.endpoint.length ?? 0) + 1), endpoint: m.remote?.endpoint ?? '' })}
          {m.remote && !m.remote.reachable ? ` (${t('remote.down')})` : ''}
        </option>
      ))}
    </optgroup>
  );
}

const seenKey = (endpoint: string) => `perch.remote.seen.${endpoint}`;

function seen(endpoint: string): boolean {
  try {
    return localStorage.getItem(seenKey(endpoint)) === '1';
  } catch {
    return false;
  }
}

/**
 * Says once per endpoint, when a chat first uses one of its models, that the text leaves this
 * Mac and where it goes.
 */
export function RemoteNotice({ models, model }: { models: Model[]; model: string }) {
  const { t } = useI18n();
  const [, setTick] = useState(0);
  const where = models.find((m) => m.name === model)?.remote;
  if (!where || seen(where.endpoint)) return null;
  const ok = () => {
    try {
      localStorage.setItem(seenKey(where.endpoint), '1');
    } catch {
      // private mode: the notice shows again next time, which is the safe side
    }
    setTick((n) => n + 1);
  };
  return (
    <div className="notice small remote-notice" role="status">
      <span>{t('remote.notice', { endpoint: where.endpoint, url: where.url })}</span>{' '}
      <button type="button" onClick={ok}>
        {t('remote.noticeOk')}
      </button>
    </div>
  );
}

/** A model on another machine in the Models view: where it runs, its health, and no memory here. */
export function RemoteModelRow({ model }: { model: Model }) {
  const { t } = useI18n();
  const r = model.remote;
  if (!r) return null;
  return (
    <li className="model-row">
      <div className="model-main">
        <div className="model-name-line">
          <strong className="model-name">{model.name}</strong>
          <span className={r.reachable ? 'badge ok' : 'badge'}>{r.reachable ? t('remote.up', { ms: Math.round(r.latency_ms) }) : t('remote.down')}</span>
        </div>
        <div className="model-facts muted small">{t('remote.runsOn', { endpoint: r.endpoint, url: r.url })}</div>
        {r.last_error && <p className="error small">{r.last_error}</p>}
      </div>
    </li>
  );
}

/** The Memory view's word on remote models: they use none of this Mac's memory. */
export function RemoteMemoryNote() {
  const { t } = useI18n();
  const { models } = useApp();
  const endpoints = [...new Set(models.flatMap((m) => (m.remote ? [m.remote.endpoint] : [])))];
  if (endpoints.length === 0) return null;
  return (
    <p className="section muted small remote-memory-note">{t('remote.memoryNote', { endpoints: endpoints.join(', ') })}</p>
  );
}
