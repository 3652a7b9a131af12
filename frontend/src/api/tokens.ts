// Tokens: how a model's tokenizer splits a text.

import { api } from './client';
import type { TokenizeResult } from './types';

export const tokens = {
  tokenize: (model: string, text: string, signal?: AbortSignal) => api<TokenizeResult>('POST', '/perch/tokenize', { model, text }, signal),
};
