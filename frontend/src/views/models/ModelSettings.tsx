import type { Model } from '../../api/types';
import { useI18n } from '../../i18n';
import { displayName } from '../../lib/modelName';
import { useApp } from '../../state';
import { DraftModel } from './DraftModel';
import { ModelDefaults } from './ModelDefaults';

/**
 * A model's own settings (draft model, context length, keep-alive) behind one disclosure, as
 * LM Studio keeps them behind a gear: three selects on every row crowd the 420 px popover. The
 * summary line says what differs from the defaults, so nothing set is hidden.
 */
export function ModelSettings({ model }: { model: Model }) {
  const { t, fmt } = useI18n();
  const { models, settings } = useApp();
  if (!settings || model.remote) return null;
  const s = settings.settings;
  const draft = s.draft_models?.[model.name];
  const own = s.model_defaults?.[model.name] ?? {};
  const set: string[] = [];
  if (draft && draft !== 'none') {
    const m = models.find((x) => x.name === draft);
    set.push(t('models.settingsDraft', { name: m ? displayName(m) : draft }));
  }
  if (own.num_ctx) set.push(t('models.ctx', { n: fmt.number(own.num_ctx) }));
  if (own.keep_alive) set.push(t('models.settingsKeep', { d: own.keep_alive }));
  return (
    <details className="model-settings small">
      <summary>
        {t('models.settings')}
        {set.length > 0 && <span className="muted"> · {set.join(' · ')}</span>}
      </summary>
      <DraftModel model={model} />
      <ModelDefaults model={model} />
    </details>
  );
}
