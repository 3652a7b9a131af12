import type { Model, Verdict } from '../api/types';
import { useI18n } from '../i18n';
import { displayName } from '../lib/modelName';
import { RemoteOptions } from './RemoteModels';

interface Props {
  models: Model[];
  value: string;
  onChange: (name: string) => void;
  id?: string;
  className?: string;
  /** Shown as the select's accessible name when it has no visible label. */
  label?: string;
  includeEmbedding?: boolean;
}

/** A model picker: each option says the model's name, size, and whether it is loaded or fits this Mac. A chat's model that is no longer installed stays listed, so the select never silently changes it. */
export function ModelSelect({ models, value, onChange, id, className, label, includeEmbedding = false }: Props) {
  const { t, fmt } = useI18n();
  const fitWord = (v: Verdict) => (v === 'fits' ? t('fit.fits') : v === 'tight' ? t('fit.tight') : t('fit.too_large'));
  const shown = models.filter((m) => includeEmbedding || !m.embedding);
  const names = shown.filter((m) => !m.remote).map((m) => m.name);
  const remote = shown.filter((m) => m.remote);
  if (value && !names.includes(value) && !remote.some((m) => m.name === value)) names.unshift(value);
  // The display name first (what a narrow picker still shows), then size and state.
  const optionLabel = (n: string) => {
    const m = shown.find((x) => x.name === n);
    if (!m) return n;
    const extra = [fmt.bytes(m.size)];
    if (m.loaded) extra.push(t('models.loaded'));
    else if (m.fit) extra.push(fitWord(m.fit.verdict));
    return `${displayName(m)} — ${extra.join(', ')}`;
  };
  return (
    <select id={id} className={className} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {!value && <option value="">{t('chat.chooseModel')}</option>}
      {names.map((n) => (
        <option key={n} value={n} title={n}>
          {optionLabel(n)}
        </option>
      ))}
      {remote.length > 0 && <RemoteOptions models={remote} />}
    </select>
  );
}
