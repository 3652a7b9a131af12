import { useEffect, useState } from 'react';
import { errorText } from '../../api/client';
import { models as modelsApi } from '../../api/models';
import { tokens } from '../../api/tokens';
import type { Model, TokenizeResult } from '../../api/types';
import { Icon } from '../../components/Icon';
import { ModelSelect } from '../../components/ModelSelect';
import { useI18n } from '../../i18n';

/** What one model makes of the text: its token count and its KV cache bytes per token. */
interface Row {
  model: string;
  result?: TokenizeResult;
  kvPerToken?: number;
  error?: string;
}

const FIT_CTX = 8192;

/**
 * The same text through two or three tokenizers side by side: how many tokens each needs and
 * what the difference costs in KV-cache memory (tokens × the model's KV bytes per token).
 */
export function Compare({ base, text, models, fitOn }: { base: string; text: string; models: Model[]; fitOn: boolean }) {
  const { t, fmt } = useI18n();
  const [others, setOthers] = useState<string[]>([]);
  const [rows, setRows] = useState<Record<string, Row>>({});
  const names = [base, ...others].filter((n, i, all) => n && all.indexOf(n) === i);
  const key = others.length > 0 ? names.join('\n') : '';

  useEffect(() => {
    if (!text || !key) return;
    const ctrl = new AbortController();
    const timer = window.setTimeout(() => {
      for (const model of key.split('\n')) {
        const tok = tokens.tokenize(model, text, ctrl.signal);
        const fit = fitOn ? modelsApi.fit({ model, num_ctx: FIT_CTX }, ctrl.signal).catch(() => undefined) : Promise.resolve(undefined);
        Promise.all([tok, fit])
          .then(([result, f]) => {
            const kvPerToken = f && f.num_ctx > 0 ? f.kv_bytes / f.num_ctx : undefined;
            setRows((r) => ({ ...r, [model]: { model, result, kvPerToken } }));
          })
          .catch((e: unknown) => {
            if (!ctrl.signal.aborted) setRows((r) => ({ ...r, [model]: { model, error: errorText(e) } }));
          });
      }
    }, 250);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [key, text, fitOn]);

  const first = rows[base]?.result?.count;
  const choices = models.filter((m) => !m.embedding);
  const fmtDiff = (d: number) => `${d > 0 ? '+' : d < 0 ? '−' : ''}${fmt.number(Math.abs(d))}`;
  return (
    <section className="section compare" aria-labelledby="compare-title">
      <div className="section-title-row">
        <h2 id="compare-title" className="section-title">
          {t('tokens.compare')}
        </h2>
        {others.length < 2 && choices.length > 1 && (
          <button
            type="button"
            className="text-button small"
            onClick={() => setOthers((o) => [...o, choices.find((m) => !names.includes(m.name))?.name ?? choices[0]!.name])}
          >
            <Icon name="plus" size={12} /> {t('tokens.addModel')}
          </button>
        )}
      </div>
      {others.length === 0 ? (
        <p className="muted small">{t('tokens.compareHint')}</p>
      ) : (
        <>
          {others.map((m, i) => (
            <div className="row" key={i}>
              <label className="field grow">
                <span>{t('tokens.compareModel', { n: i + 2 })}</span>
                <ModelSelect models={models} value={m} onChange={(v) => setOthers((o) => o.map((x, j) => (j === i ? v : x)))} />
              </label>
              <button
                type="button"
                className="icon-button"
                aria-label={t('tokens.removeModel', { name: m })}
                title={t('tokens.removeModel', { name: m })}
                onClick={() => setOthers((o) => o.filter((_, j) => j !== i))}
              >
                <Icon name="close" size={13} />
              </button>
            </div>
          ))}
          {text && (
            <div className="table-wrap">
              <table className="compare-table">
                <thead>
                  <tr>
                    <th scope="col">{t('tokens.model')}</th>
                    <th scope="col">{t('tokens.tokensCol')}</th>
                    <th scope="col">{t('tokens.perCharCol')}</th>
                    <th scope="col">{t('tokens.diffCol', { model: base })}</th>
                    <th scope="col">{t('tokens.kvCol')}</th>
                  </tr>
                </thead>
                <tbody>
                  {names.map((n) => {
                    const r = rows[n];
                    const c = r?.result?.count;
                    const diff = c !== undefined && first !== undefined && n !== base ? c - first : undefined;
                    return (
                      <tr key={n}>
                        <th scope="row">{n}</th>
                        {r?.error ? (
                          <td colSpan={4} className="error small">
                            {r.error}
                          </td>
                        ) : (
                          <>
                            <td>{c !== undefined ? fmt.number(c) : '…'}</td>
                            <td>{r?.result ? fmt.number(r.result.tokens_per_char, 2) : ''}</td>
                            <td>{diff === undefined ? '—' : `${fmtDiff(diff)}${first ? ` (${fmtDiff(Math.round((diff / first) * 100))}%)` : ''}`}</td>
                            <td>
                              {r?.kvPerToken !== undefined && c !== undefined
                                ? t('tokens.kvCost', {
                                    total: fmt.bytes(c * r.kvPerToken),
                                    diff: diff !== undefined ? `${diff >= 0 ? '+' : '−'}${fmt.bytes(Math.abs(diff) * r.kvPerToken)}` : '±0',
                                    per: fmt.bytes(r.kvPerToken),
                                  })
                                : '—'}
                            </td>
                          </>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
