import { useState } from 'react';
import type { Model } from '../../api/types';
import { ErrorMessage } from '../../components/ErrorMessage';
import { displayName } from '../../lib/modelName';
import { useI18n } from '../../i18n';
import { useApp } from '../../state';

/**
 * The model's draft model for speculative decoding (settings.draft_models): another installed
 * model of the same tokenizer, which guesses tokens the model then checks. It applies at the
 * model's next load; the server refuses a draft of another tokenizer when it loads.
 */
export function DraftModel({ model }: { model: Model }) {
  const { t } = useI18n();
  const { models, settings, saveSettings } = useApp();
  const [error, setError] = useState<unknown>('');
  if (!settings || model.embedding) return null;
  const candidates = models.filter((m) => m.name !== model.name && !m.embedding && !m.remote);
  const current = settings.settings.draft_models?.[model.name] ?? '';
  if (candidates.length === 0 && !current) return null;
  const id = `draft-${model.name}`;
  const change = async (draft: string) => {
    setError('');
    try {
      // An empty draft removes the model's entry.
      await saveSettings({ draft_models: { [model.name]: draft } });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="model-facts muted small draft-model">
      <label htmlFor={id} title={t('models.draftHint')}>
        {t('models.draft')}
      </label>{' '}
      <select id={id} className="small" value={current} onChange={(e) => void change(e.target.value)}>
        <option value="">{t('models.draftNone')}</option>
        {current && !candidates.some((m) => m.name === current) && <option value={current}>{current}</option>}
        {candidates.map((m) => (
          <option key={m.name} value={m.name}>
            {displayName(m)}
          </option>
        ))}
      </select>
      <ErrorMessage error={error} className="error small" />
    </div>
  );
}
