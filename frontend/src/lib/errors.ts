// Errors for people: every error the UI shows is a sentence (what happened, what to do) chosen
// by the server's stable `code` (app/api/errors.go), or, for text without one (a download's
// error, an older server), by recognising the cause. The raw text is kept for "Details".

import { ApiError } from '../api/client';
import type { MessageKey, TFunc } from '../i18n';

/** Every code the server or the client sets, with the sentence it shows. */
export const ERROR_CODES = {
  offline: 'err.offline',
  unreachable: 'err.unreachable',
  connection_lost: 'err.connection_lost',
  disk_full: 'err.disk_full',
  invalid_model_file: 'err.invalid_model_file',
  model_not_found: 'err.model_not_found',
  insufficient_memory: 'err.insufficient_memory',
  context_length_exceeded: 'err.context_length_exceeded',
  queue_full: 'err.queue_full',
  invalid_api_key: 'err.invalid_api_key',
  request_too_large: 'err.request_too_large',
  not_found: 'err.not_found',
  collection_not_found: 'err.not_found',
  busy: 'err.busy',
  repo_not_found: 'err.repo_not_found',
  running: 'err.busy',
  none_fits: 'err.insufficient_memory',
  invalid_request: 'err.invalid_request',
  server_error: 'err.server_error',
  // Refused settings (app/config FieldError codes).
  dir_not_absolute: 'err.dir_not_absolute',
  dir_hidden: 'err.dir_hidden',
  dir_is_file: 'err.dir_is_file',
  dir_not_writable: 'err.dir_not_writable',
  dir_unusable: 'err.dir_unusable',
  invalid_address: 'err.invalid_address',
  kv_needs_flash_attn: 'settings.flashAttnNeeded',
  key_needed_for_lan: 'err.key_needed_for_lan',
  // Documents refused by a collection (app/docs SkipCode, app/api collectionError).
  unsupported_file: 'err.unsupported_file',
  binary_file: 'err.binary_file',
  no_text: 'err.no_text',
  unreadable_file: 'err.unreadable_file',
  exists: 'err.exists',
  path_not_allowed: 'err.path_not_allowed',
  file_too_large: 'err.file_too_large',
} as const satisfies Record<string, MessageKey>;

export type ErrorCode = keyof typeof ERROR_CODES;

// Causes recognised in text without a code, first match wins.
const PATTERNS: [RegExp, ErrorCode][] = [
  [/no space left|disk full|ENOSPC/i, 'disk_full'],
  [/dial tcp|no such host|network is unreachable|connection refused|i\/o timeout|reach Hugging Face|could not resolve/i, 'offline'],
  [/GGUF|tensor data|not a model file|\.upload\b/i, 'invalid_model_file'],
  [/repository not found|RepoNotFound/i, 'repo_not_found'],
  [/not reachable/i, 'unreachable'],
  [/connection .*lost/i, 'connection_lost'],
];

// Text no person should read as the main message: network internals, temporary paths, GGUF
// jargon, HTTP status lines.
const DEVELOPER_TEXT = /dial tcp|no such host|\/tmp\/|\/var\/folders|\.upload\b|GGUF|tensor|^\d{3} [A-Z]|panic|runtime error/i;

/** The code of an error: the server's, else one recognised from its text. */
export function errorCode(e: unknown, code?: string | null): ErrorCode {
  const c = code ?? (e instanceof ApiError ? e.code : undefined);
  if (c && c in ERROR_CODES) return c as ErrorCode;
  const text = e instanceof Error ? e.message : String(e ?? '');
  for (const [re, k] of PATTERNS) if (re.test(text)) return k;
  if (e instanceof ApiError) {
    if (e.status === 0) return 'unreachable';
    if (e.status === 401) return 'invalid_api_key';
    if (e.status === 404) return 'not_found';
    if (e.status >= 400 && e.status < 500) return 'invalid_request';
  }
  return 'server_error';
}

export interface HumanError {
  /** The sentence to show: what happened and what to do. */
  message: string;
  /** The raw text, for the Details disclosure ('' when it says nothing more). */
  details: string;
  code: string;
}

/** Turns any error (or a raw error string with its code) into a sentence and its details. */
export function humanError(t: TFunc, e: unknown, code?: string | null): HumanError {
  const c = errorCode(e, code);
  const key: MessageKey = ERROR_CODES[c];
  const raw = e instanceof Error ? e.message : String(e ?? '').trim();
  // The server words its refusals of bad input for people ("address must be host:port, such as
  // 127.0.0.1:11435"): that specific sentence beats a general one, unless it is developer text.
  if ((c === 'invalid_request' || c === 'not_found') && raw && raw.length <= 300 && !DEVELOPER_TEXT.test(raw)) {
    return { message: raw, details: '', code: c };
  }
  return { message: t(key), details: raw, code: c };
}
