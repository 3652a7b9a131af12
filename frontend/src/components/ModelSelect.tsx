import type { Model } from '../api/types';
import { useI18n } from '../i18n';
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

/** A model picker. A chat's model that is no longer installed stays listed, so the select never silently changes it. */
export function ModelSelect({ models, value, onChange, id, className, label, includeEmbedding = false }: Props) {
  const { t } = useI18n();
  const usable = models.filter((m) => includeEmbedding || !m.embedding);
  const names = usable.filter((m) => !m.remote).map((m) => m.name);
  const remote = usable.filter((m) => m.remote);
  if (value && !names.includes(value) && !remote.some((m) => m.name === value)) names.unshift(value);
  return (
    <select id={id} className={className} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {!value && <option value="">{t('chat.chooseModel')}</option>}
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
      {remote.length > 0 && <RemoteOptions models={remote} />}
    </select>
  );
}
