import { useState } from 'react';
import type { Model } from '../../api/types';
import type { ModelDefault } from '../../api/wire.gen';
import { ErrorMessage } from '../../components/ErrorMessage';
import { KeepAliveOptions } from '../../components/KeepAliveOptions';
import { useI18n } from '../../i18n';
import { useApp } from '../../state';

/** Context lengths offered per model (tokens), up to the model's training context. */
export const CONTEXT_CHOICES = [2048, 4096, 8192, 16384, 32768, 65536, 131072];

/**
 * The model's own context length and keep-alive (settings.model_defaults), used when a request
 * names none; "Default" takes the server-wide settings. They apply at the model's next load.
 */
export function ModelDefaults({ model }: { model: Model }) {
  const { t, fmt } = useI18n();
  const { settings, saveSettings } = useApp();
  const [error, setError] = useState<unknown>('');
  if (!settings || model.embedding || model.remote) return null;
  const cur: ModelDefault = settings.settings.model_defaults?.[model.name] ?? {};
  const ctxChoices = CONTEXT_CHOICES.filter((n) => !model.context_length || n <= model.context_length);
  if (cur.num_ctx && !ctxChoices.includes(cur.num_ctx)) ctxChoices.push(cur.num_ctx);
  const change = async (next: ModelDefault) => {
    setError('');
    try {
      // The model's entry whole; one that sets nothing removes it.
      await saveSettings({ model_defaults: { [model.name]: next } });
    } catch (e) {
      setError(e);
    }
  };
  const ctxId = `ctx-${model.name}`;
  const keepId = `keep-${model.name}`;
  return (
    <div className="model-facts muted small model-defaults">
      <label htmlFor={ctxId} title={t('models.ctxOwnHint')}>
        {t('models.ctxOwn')}
      </label>{' '}
      <select
        id={ctxId}
        className="small"
        value={cur.num_ctx ?? 0}
        onChange={(e) => void change({ ...cur, num_ctx: Number(e.target.value) || undefined })}
      >
        <option value={0}>{t('models.useDefault')}</option>
        {ctxChoices.map((n) => (
          <option key={n} value={n}>
            {fmt.number(n)}
          </option>
        ))}
      </select>{' '}
      <label htmlFor={keepId} title={t('models.keepOwnHint')}>
        {t('models.keepOwn')}
      </label>{' '}
      <select
        id={keepId}
        className="small"
        value={cur.keep_alive ?? ''}
        onChange={(e) => void change({ ...cur, keep_alive: e.target.value || undefined })}
      >
        <option value="">{t('models.useDefault')}</option>
        <KeepAliveOptions value={cur.keep_alive ?? ''} />
      </select>
      <ErrorMessage error={error} className="error small" />
    </div>
  );
}
