import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n';
import { SkipList } from '../views/documents/IndexRun';

// An indexing run's skipped files came with English reasons only; the codes are worded in
// Korean too.
describe('skipped files', () => {
  it('are explained in Korean by their codes', () => {
    render(
      <I18nProvider lang="ko">
        <SkipList
          skips={[
            { path: '/Users/me/notes/.env', code: 'path_not_allowed', reason: '.env: a hidden file' },
            { path: '/Users/me/notes/scan.pdf', code: 'no_text', reason: 'no text to index' },
            { path: '/Users/me/notes/huge.txt', code: 'file_too_large', reason: 'the file is 80 MiB; the limit is 64 MiB' },
          ]}
        />
      </I18nProvider>,
    );
    expect(screen.getByText('건너뛴 파일 (3개):')).toBeTruthy();
    expect(screen.getByText('개인 파일이나 숨김 파일이라 색인하지 않음')).toBeTruthy();
    expect(screen.getByText('색인할 텍스트 없음(스캔본은 글자 그림뿐)')).toBeTruthy();
    expect(screen.getByText('색인 크기 한도를 넘음').getAttribute('title')).toContain('80 MiB');
  });
});
