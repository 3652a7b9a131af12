import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { translate, type MessageKey } from '../i18n';
import { ERROR_CODES, errorCode, humanError } from '../lib/errors';

const RAW = /dial tcp|\/tmp\/|\.upload\b|GGUF header|no such host/;

describe('errors for people', () => {
  it('maps every code to a sentence in English and Korean that says what to do', () => {
    for (const [code, key] of Object.entries(ERROR_CODES)) {
      for (const lang of ['en', 'ko'] as const) {
        const s = translate(lang, key as MessageKey);
        expect(s, `${code} ${lang}`).not.toBe(key);
        expect(s.length, `${code} ${lang}`).toBeGreaterThan(20);
      }
      expect(translate('ko', key as MessageKey)).not.toBe(translate('en', key as MessageKey));
    }
  });

  it.each([
    ['dial tcp: lookup huggingface.co on 10.255.255.53:53: no such host', 'offline'],
    ['/tmp/perch/data/uploads/c7a2.upload: tensor data needs 1171200 bytes', 'invalid_model_file'],
    ['the GGUF header has no layer count or embedding size for architecture "zorro"', 'invalid_model_file'],
    ['write /x/blobs/partial: no space left on device', 'disk_full'],
    ['something else entirely', 'server_error'],
  ])('recognises %s', (raw, code) => {
    expect(errorCode(raw)).toBe(code);
    const h = humanError((k) => translate('en', k), raw);
    expect(h.message).not.toMatch(RAW);
    expect(h.details).toBe(raw);
  });

  it('prefers the server code and falls back on the status', () => {
    expect(errorCode(new ApiError(400, 'dial tcp', 'context_length_exceeded'))).toBe('context_length_exceeded');
    expect(errorCode(new ApiError(0, 'Perch is not reachable. Is it running?'))).toBe('unreachable');
    expect(errorCode(new ApiError(401, 'no key'))).toBe('invalid_api_key');
    expect(errorCode(new ApiError(422, 'odd'))).toBe('invalid_request');
    expect(errorCode('x', 'disk_full')).toBe('disk_full');
    expect(errorCode('x', 'a_code_from_a_newer_server')).toBe('server_error');
  });

  it("words a refused setting in the user's language, keeping the server's sentence as details", () => {
    const raw = 'download_dir: /Users/me/.cache/m is inside the hidden folder /Users/me/.cache; pick a folder that is not hidden';
    const h = humanError((k) => translate('ko', k), new ApiError(400, raw, 'dir_hidden'));
    expect(h.message).toBe(translate('ko', 'err.dir_hidden'));
    expect(h.details).toBe(raw);
    expect(humanError((k) => translate('ko', k), new ApiError(400, 'x', 'kv_needs_flash_attn')).message).toContain('플래시 어텐션');
    // A code this UI does not know: the server's own sentence.
    expect(humanError((k) => translate('ko', k), new ApiError(400, 'slots must be from 1 to 64, got 99', 'slots_out_of_range')).message).toBe('slots must be from 1 to 64, got 99');
  });

  it.each([
    ['unsupported_file', 'report.docx: unsupported file type: office documents are not supported yet'],
    ['binary_file', 'x.bin: binary content'],
    ['no_text', 'scan.pdf: no text'],
    ['unreadable_file', 'locked.pdf: unreadable'],
    ['exists', 'a collection named "manuals" already exists'],
    ['path_not_allowed', 'not allowed: /Users/me/.ssh is hidden (".ssh" starts with a dot)'],
  ])("words a refused document's %s in Korean", (code, raw) => {
    const h = humanError((k) => translate('ko', k), new ApiError(422, raw, code));
    expect(h.message).toBe(translate('ko', ERROR_CODES[code as keyof typeof ERROR_CODES]));
    expect(h.details).toBe(raw);
  });
});
