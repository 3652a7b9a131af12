import { useState } from 'react';
import { models } from '../../api/models';
import { ErrorMessage } from '../../components/ErrorMessage';
import { DeleteConfirm } from '../../components/Feedback';
import { displayName } from '../../lib/modelName';
import type { Model } from '../../api/types';
import { Icon } from '../../components/Icon';
import { RemoteModelRow } from '../../components/RemoteModels';
import { useI18n } from '../../i18n';
import { useApp } from '../../state';
import { ModelSettings } from './ModelSettings';

/** 7.6B, 135M, 293K: how model sizes are written. */
export function formatParams(n: number, num: (n: number, digits?: number) => string): string {
  if (n >= 1e9) return `${num(n / 1e9, 1)}B`;
  if (n >= 1e6) return `${num(n / 1e6, 0)}M`;
  return `${num(n / 1e3, 0)}K`;
}

function memoryOf(m: Model): number {
  const mem = m.loaded?.memory;
  return mem ? mem.weights_bytes + mem.kv_bytes + mem.compute_bytes + mem.output_bytes : 0;
}

function ModelRow({ model }: { model: Model }) {
  const { t, fmt } = useI18n();
  const { refreshModels, refreshStatus } = useApp();
  const [busy, setBusy] = useState<'' | 'load' | 'unload' | 'default' | 'delete'>('');
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<unknown>('');

  const act = async (what: 'load' | 'unload' | 'default' | 'delete') => {
    setBusy(what);
    setError('');
    try {
      await models.act(what, model.name);
      await refreshModels();
      if (what === 'default') await refreshStatus();
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
      setConfirm(false);
    }
  };

  const facts = [
    model.quantization,
    fmt.bytes(model.size),
    model.context_length ? t('models.ctx', { n: fmt.number(model.context_length) }) : '',
    model.parameters ? t('models.paramsLabel', { n: formatParams(model.parameters, fmt.number) }) : '',
  ].filter(Boolean);

  return (
    <li className="model-row">
      <div className="model-main">
        <div className="model-name-line">
          <strong className="model-name">{displayName(model)}</strong>
          {model.default && (
            <span className="badge accent">
              <Icon name="star" size={11} />
              {t('models.isDefault')}
            </span>
          )}
          {model.loaded ? <span className="badge ok">{t('models.loaded')}</span> : null}
        </div>
        <div className="model-ref muted small mono">{model.name}</div>
        <div className="model-facts muted small">{facts.join(' · ')}</div>
        <div className="model-facts muted small">
          {model.loaded ? t('models.memory', { size: fmt.bytes(memoryOf(model)) }) + ' · ' : ''}
          {model.last_used ? t('models.lastUsed', { when: fmt.relative(model.last_used) }) : t('models.neverUsed')}
        </div>
        <ModelSettings model={model} />
        <ErrorMessage error={error} className="error small" />
        {confirm && (
          <DeleteConfirm
            question={t('models.deleteConfirm', { name: model.name })}
            busy={busy !== ''}
            onConfirm={() => void act('delete')}
            onCancel={() => setConfirm(false)}
          />
        )}
      </div>
      <div className="model-actions">
        {model.loaded ? (
          <button type="button" className="secondary small" disabled={busy !== ''} onClick={() => void act('unload')}>
            {t('models.unload')}
          </button>
        ) : (
          <button type="button" className="secondary small" disabled={busy !== '' || !!model.embedding} onClick={() => void act('load')}>
            {busy === 'load' ? t('models.loading') : t('models.load')}
          </button>
        )}
        {!model.default && !model.embedding && (
          <button
            type="button"
            className="icon-button"
            disabled={busy !== ''}
            aria-label={`${t('models.setDefault')}: ${model.name}`}
            title={t('models.setDefault')}
            onClick={() => void act('default')}
          >
            <Icon name="star" size={14} />
          </button>
        )}
        {!model.external && (
          <button
            type="button"
            className="icon-button"
            disabled={busy !== ''}
            aria-label={`${t('models.delete')}: ${model.name}`}
            title={t('models.delete')}
            onClick={() => setConfirm(true)}
          >
            <Icon name="trash" size={14} />
          </button>
        )}
      </div>
    </li>
  );
}

export function Installed() {
  const { t } = useI18n();
  const { models } = useApp();
  return (
    <section className="section" aria-labelledby="installed-title">
      <h2 id="installed-title" className="section-title">
        {t('models.installed')}
      </h2>
      {models.length === 0 ? (
        <p className="muted small">{t('models.none')}</p>
      ) : (
        <ul className="model-list">
          {models.map((m) => (
            m.remote ? <RemoteModelRow key={m.name} model={m} /> : <ModelRow key={m.name} model={m} />
          ))}
        </ul>
      )}
    </section>
  );
}
