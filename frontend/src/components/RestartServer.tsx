import { useState } from 'react';
import { system } from '../api/system';
import { useI18n } from '../i18n';
import { useApp } from '../state';
import { ErrorMessage } from './ErrorMessage';

/** "Restart server": restarts Perch's server inside its process (POST /perch/restart) for the
 * settings that cannot change while it runs, waits for it to answer again, and reloads. */
export function RestartServer() {
  const { t } = useI18n();
  const { settings, refreshStatus } = useApp();
  const [state, setState] = useState<'idle' | 'restarting'>('idle');
  const [error, setError] = useState<unknown>(null);
  if (!settings?.can_restart) return null;
  const restart = async () => {
    setState('restarting');
    setError(null);
    try {
      await system.restart();
      // The old server answers until it closes; wait for it to go, then for the new one.
      await new Promise((r) => setTimeout(r, 600));
      for (let i = 0; i < 60; i++) {
        try {
          await system.status();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await refreshStatus();
    } catch (e) {
      setError(e);
    } finally {
      setState('idle');
    }
  };
  return (
    <>
      <button type="button" className="secondary small" disabled={state === 'restarting'} onClick={() => void restart()}>
        {state === 'restarting' ? t('settings.restarting') : t('settings.restartServer')}
      </button>
      {error !== null && <ErrorMessage error={error} className="error small" />}
    </>
  );
}
