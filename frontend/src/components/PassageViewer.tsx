import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { errorText } from '../api/client';
import { collections } from '../api/collections';
import type { DocInfo, Passage } from '../api/types';
import { useI18n } from '../i18n';
import { baseName, count, position } from '../lib/docs';
import { Icon } from './Icon';

export interface PassageRef {
  collectionId: number;
  documentId: number;
  /** The passage to show; the document opens at its top without one. */
  passageId?: number;
}

interface Props extends PassageRef {
  onClose: () => void;
}

/**
 * A document opened at a passage: the whole text, passage by passage, scrolled to the one
 * cited (marked). A modal dialog: Esc or the backdrop closes it, and focus goes back to
 * what opened it.
 */
export function PassageViewer({ collectionId, documentId, passageId, onClose }: Props) {
  const { t, fmt } = useI18n();
  const titleId = useId();
  const [doc, setDoc] = useState<{ document: DocInfo; passages: Passage[] } | null>(null);
  const [error, setError] = useState('');
  const closeBtn = useRef<HTMLButtonElement>(null);
  const target = useRef<HTMLElement>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeBtn.current?.focus();
    return () => opener?.focus();
  }, []);

  useEffect(() => {
    let live = true;
    collections
      .document(collectionId, documentId)
      .then((d) => live && setDoc(d))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [collectionId, documentId]);

  useLayoutEffect(() => {
    target.current?.scrollIntoView?.({ block: 'center' });
  }, [doc]);

  const d = doc?.document;
  const facts = d ? [d.format, fmt.bytes(d.size), count(t, fmt, d.passages, 'passages')] : [];

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        className="card viewer"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            // Handled here: the desktop window must not hide as well.
            e.preventDefault();
            e.stopPropagation();
            onClose();
          } else if (e.key === 'Tab') {
            // Keep focus inside the dialog.
            const items = dialog.current?.querySelectorAll<HTMLElement>('button, [href], [tabindex]:not([tabindex="-1"])');
            if (!items || items.length === 0) return;
            const first = items[0];
            const last = items[items.length - 1];
            if (e.shiftKey && document.activeElement === first) {
              e.preventDefault();
              last?.focus();
            } else if (!e.shiftKey && document.activeElement === last) {
              e.preventDefault();
              first?.focus();
            }
          }
        }}
      >
        <header className="viewer-head">
          <div className="grow">
            <h2 id={titleId} className="viewer-title" title={d?.source || d?.name}>
              {d ? baseName(d.name) : t('common.loading')}
            </h2>
            {d && <p className="muted small">{[d.source && d.source !== baseName(d.name) ? d.source : '', ...facts].filter(Boolean).join(' · ')}</p>}
          </div>
          <button ref={closeBtn} type="button" className="icon-button" aria-label={t('common.close')} title={t('common.close')} onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        <div className="viewer-body" tabIndex={0} aria-label={t('docs.viewerText')}>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {doc?.passages.map((p) => {
            const cited = p.id === passageId;
            const where = [position(t, p), p.heading].filter(Boolean).join(' · ');
            return (
              <section key={p.id} ref={cited ? target : undefined} className={`passage${cited ? ' cited' : ''}`} aria-current={cited || undefined}>
                <p className="passage-where muted small">
                  {cited && <span className="badge accent">{t('docs.cited')}</span>}
                  {where}
                </p>
                <div className="passage-text">{p.text}</div>
              </section>
            );
          })}
        </div>
      </div>
    </div>
  );
}
