import { Recommended } from '../components/Recommended';
import { useI18n } from '../i18n';
import { useApp } from '../state';
import { Catalog } from './models/Catalog';
import { Downloads, usePulls } from './models/Downloads';
import { Import } from './models/Import';
import { Installed } from './models/Installed';

export function ModelsView() {
  const { t } = useI18n();
  const { models, modelsReady, status } = useApp();
  const pulls = usePulls();
  const f = status?.features;
  const empty = modelsReady && models.length === 0 && pulls.length === 0;
  return (
    <div className="scroll-view models-view">
      {empty && f?.catalog && <Recommended title={t('chat.noModelsTitle')} body={t('chat.noModelsBody')} />}
      <Downloads pulls={pulls} />
      {!empty && <Installed />}
      {f?.library !== false && <Catalog available={!!f?.catalog} />}
      {f?.import && <Import />}
      {f && !f.library && <p className="muted small section">{t('common.unavailable')}</p>}
    </div>
  );
}
