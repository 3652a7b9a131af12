import { useI18n, type MessageKey } from '../i18n';

const KEEP_ALIVE: { value: string; label: MessageKey }[] = [
  { value: '1m', label: 'settings.keepAlive.1m' },
  { value: '5m', label: 'settings.keepAlive.5m' },
  { value: '30m', label: 'settings.keepAlive.30m' },
  { value: '1h', label: 'settings.keepAlive.1h' },
  { value: '-1', label: 'settings.keepAlive.forever' },
];

/** The keep-alive choices of a select, plus value itself when it is another (set by hand or the API). */
export function KeepAliveOptions({ value }: { value: string }) {
  const { t } = useI18n();
  return (
    <>
      {value && !KEEP_ALIVE.some((k) => k.value === value) && <option value={value}>{value}</option>}
      {KEEP_ALIVE.map((k) => (
        <option key={k.value} value={k.value}>
          {t(k.label)}
        </option>
      ))}
    </>
  );
}
