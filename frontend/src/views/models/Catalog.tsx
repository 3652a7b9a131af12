import { useEffect, useState } from 'react';
import { catalog, pulls as pullsApi } from '../../api/models';
import type { CatalogModel, Fit, Quant, RemoteModel } from '../../api/types';
import { FitBadge } from '../../components/FitBadge';
import { Icon } from '../../components/Icon';
import { catalogDescription } from '../../i18n/catalog';
import { ErrorMessage } from '../../components/ErrorMessage';
import { pullOf } from '../../components/PullLine';
import { useI18n, type MessageKey } from '../../i18n';
import { useApp } from '../../state';

const KNOWN_TAGS = ['chat', 'coding', 'reasoning', 'embedding', 'documents', 'korean', 'vision'];

async function startPull(ref: string): Promise<void> {
  await pullsApi.start(ref);
}

function QuantRow({ quant }: { quant: Quant }) {
  const { t, fmt } = useI18n();
  const { pulls, models, navigate } = useApp();
  const [fit, setFit] = useState<Fit | undefined>(quant.fit);
  const [state, setState] = useState<'' | 'checking' | 'starting'>('');
  const [error, setError] = useState<unknown>('');
  // Disabled only while this quantization is really downloading: a failed or cancelled one
  // can be started again.
  const pull = pullOf(pulls, quant.ref);
  const running = !!pull && ['queued', 'downloading', 'verifying', 'paused'].includes(pull.state);
  const installed = models.find((m) => m.name.toLowerCase() === quant.ref.toLowerCase());
  return (
    <li className={`quant-row${quant.recommended ? ' rec-quant' : ''}`}>
      <span className="quant-name mono">{quant.name}</span>
      {quant.recommended && <span className="tag rec-tag">{t('models.recommendedQuant')}</span>}
      <span className="muted small">{quant.size > 0 ? fmt.bytes(quant.size) : ''}</span>
      {fit ? (
        <>
          <FitBadge fit={fit} />
          <span className="small fit-inline">
            {t('fit.needs', { total: fmt.bytes(fit.total_bytes) })}
            {fit.num_ctx > 0 && <span className="muted"> · {t('fit.context', { ctx: fmt.number(fit.num_ctx) })}</span>}
          </span>
        </>
      ) : (
        <button
          type="button"
          className="text-button small"
          disabled={state === 'checking'}
          onClick={() => {
            setState('checking');
            catalog
              .inspect(quant.ref)
              .then((r) => setFit(r.fit))
              .catch((e: unknown) => setError(e))
              .finally(() => setState(''));
          }}
        >
          {t('models.checkFit')}
        </button>
      )}
      <span className="spacer" />
      {installed ? (
        <>
          <span className="badge installed">{t('models.installed')}</span>
          <button type="button" className="secondary small" onClick={() => navigate({ view: 'chat', model: installed.name })}>
            {t('models.openChat')}
          </button>
        </>
      ) : (
      <button
        type="button"
        className="secondary small"
        disabled={state === 'starting' || running}
        aria-label={`${t('models.downloadQuant', { quant: quant.name })}: ${quant.ref}`}
        onClick={() => {
          setState('starting');
          setError('');
          startPull(quant.ref)
            .catch((e: unknown) => setError(e))
            .finally(() => setState(''));
        }}
      >
        <Icon name="download" size={13} />
        {t('models.download')}
      </button>
      )}
      <ErrorMessage error={error} className="error small full" />
    </li>
  );
}

function CatalogCard({ model }: { model: CatalogModel }) {
  const { t, fmt, lang } = useI18n();
  const tags = (model.tags ?? []).filter((tag) => KNOWN_TAGS.includes(tag));
  return (
    <li className="card catalog-card">
      <div className="catalog-head">
        <strong>{model.name}</strong>
        {model.parameters && <span className="muted small">{model.parameters}</span>}
        {model.publisher && <span className="muted small">· {model.publisher}</span>}
      </div>
      {model.description && <p className="muted small">{catalogDescription(lang, model.id, model.description)}</p>}
      <p className="muted small quant-explain">{t('models.quantExplain')}</p>
      {(tags.length > 0 || model.downloads) && (
        <div className="tags">
          {tags.map((tag) => (
            <span key={tag} className="tag">
              {t(`models.tags.${tag}` as MessageKey)}
            </span>
          ))}
          {model.downloads ? <span className="muted small">{t('models.downloadsCount', { n: fmt.number(model.downloads) })}</span> : null}
        </div>
      )}
      <ul className="quant-list">
        {model.quants.map((q) => (
          <QuantRow key={q.ref} quant={q} />
        ))}
      </ul>
    </li>
  );
}

/** Download by reference (name:tag, hf.co/…, a URL), with a fit check before downloading. */
function PullByRef() {
  const { t, fmt } = useI18n();
  const [ref, setRef] = useState('');
  const [info, setInfo] = useState<{ model: RemoteModel; fit?: Fit } | null>(null);
  const [state, setState] = useState<'' | 'checking' | 'starting'>('');
  const [error, setError] = useState<unknown>('');
  return (
    <form
      className="pull-ref-form"
      onSubmit={(e) => {
        e.preventDefault();
        const r = ref.trim();
        if (!r) return;
        setState('starting');
        setError('');
        startPull(r)
          .then(() => {
            setRef('');
            setInfo(null);
          })
          .catch((err: unknown) => setError(err))
          .finally(() => setState(''));
      }}
    >
      <label className="field" htmlFor="pull-ref">
        <span>{t('models.pullRef')}</span>
      </label>
      <input
        id="pull-ref"
        className="mono full-width"
        value={ref}
        placeholder={t('models.pullRefHint')}
        aria-label={t('models.pullRefLabel')}
        onChange={(e) => {
          setRef(e.target.value);
          setInfo(null);
        }}
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
      />
      <div className="row end pull-ref-actions">
        <button
          type="button"
          className="secondary small"
          disabled={!ref.trim() || state !== ''}
          onClick={() => {
            setState('checking');
            setError('');
            catalog
              .inspect(ref.trim())
              .then(setInfo)
              .catch((err: unknown) => setError(err))
              .finally(() => setState(''));
          }}
        >
          {t('models.checkFit')}
        </button>
        <button type="submit" className="primary small" disabled={!ref.trim() || state !== ''}>
          <Icon name="download" size={13} />
          {t('models.download')}
        </button>
      </div>
      {info && (
        <p className="small inspect-result">
          <FitBadge fit={info.fit} />{' '}
          {t('models.inspectResult', {
            arch: info.model.architecture,
            layers: info.model.layers,
            ctx: fmt.number(info.model.context_length),
            size: fmt.bytes(info.model.size),
          })}
        </p>
      )}
      <ErrorMessage error={error} className="error small" />
    </form>
  );
}

export function Catalog({ available }: { available: boolean }) {
  const { t } = useI18n();
  const [source, setSource] = useState<'catalog' | 'hf'>('catalog');
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<CatalogModel[] | null>(null);
  const [error, setError] = useState<unknown>('');
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    if (!available) return;
    if (source === 'hf' && !query.trim()) {
      setResults(null);
      return;
    }
    const ctrl = new AbortController();
    const timer = window.setTimeout(
      () => {
        setLoading(true);
        const found = source === 'catalog' ? catalog.list(query, ctrl.signal) : catalog.search(query.trim(), ctrl.signal);
        found
          .then((models) => {
            setResults(models);
            setError('');
          })
          .catch((e: unknown) => {
            if (!ctrl.signal.aborted) setError(e);
          })
          .finally(() => {
            if (!ctrl.signal.aborted) setLoading(false);
          });
      },
      source === 'hf' ? 400 : 150,
    );
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [available, source, query]);

  return (
    <section className="section" aria-labelledby="get-title">
      <h2 id="get-title" className="section-title">
        {t('models.get')}
      </h2>
      <PullByRef />
      {available && (
        <>
          <div className="row catalog-controls">
            <div className="segmented small" role="radiogroup" aria-label={t('models.get')}>
              {(['catalog', 'hf'] as const).map((s) => (
                <button key={s} type="button" role="radio" aria-checked={source === s} className={source === s ? 'on' : ''} onClick={() => setSource(s)}>
                  {s === 'catalog' ? t('models.catalog') : t('models.hf')}
                </button>
              ))}
            </div>
            <label className="search grow">
              <Icon name="search" size={13} />
              <input
                type="search"
                value={query}
                placeholder={source === 'catalog' ? t('models.searchCatalog') : t('models.searchHF')}
                aria-label={source === 'catalog' ? t('models.searchCatalog') : t('models.searchHF')}
                onChange={(e) => setQuery(e.target.value)}
              />
            </label>
          </div>
          <ErrorMessage error={error} className="error small" />
          {loading && !results && <p className="muted small">{t('common.loading')}</p>}
          {results && results.length === 0 && <p className="muted small">{t('models.noResults')}</p>}
          <ul className="catalog-list" aria-busy={loading || undefined}>
            {results?.map((m) => (
              <CatalogCard key={m.id} model={m} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
