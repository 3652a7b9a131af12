// Display names for models: "Qwen3 8B · Q4_K_M" rather than the download reference
// "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M", which stays as secondary text. The server sends
// display_name from the GGUF header ("Qwen3 8B · Q4_K_M"); without it the name comes from the
// reference.

import type { Model } from '../api/types';

type Named = Pick<Model, 'name' | 'quantization'> & { display_name?: string };

/** The base name of a model reference: the repository or model, without host, "-GGUF" or tag. */
export function baseName(ref: string): { base: string; tag: string } {
  let rest = ref.trim();
  let tag = '';
  const colon = rest.lastIndexOf(':');
  // A colon after the last slash is a tag (a host's port comes before a slash).
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let base = parts[parts.length - 1] ?? rest;
  const hf = /^(hf\.co|huggingface\.co)$/i.test(parts[0] ?? '');
  if (hf) base = base.replace(/[-_.]?GGUF$/i, '').replace(/[-_]+/g, ' ');
  return { base, tag: tag === 'latest' ? '' : tag };
}

const isQuant = (s: string) => /^(UD-)?(I?Q\d|F16|F32|BF16|MXFP4)/i.test(s);

/** "Qwen3 8B · Q4_K_M", "llama3.2 · 3b · Q4_K_M", "stories260k · F32". */
export function displayName(m: Named): string {
  const { base, tag } = baseName(m.name);
  const name = m.display_name?.trim() || base;
  const quant = (m.quantization || (isQuant(tag) ? tag : '')).toUpperCase();
  // The server's display name may already carry the size and quantization ("Qwen3 8B · Q4_K_M").
  const has = (s: string) => name.toLowerCase().includes(s.toLowerCase());
  const parts = [name];
  if (tag && !isQuant(tag) && !has(tag)) parts.push(tag);
  if (quant && !has(quant)) parts.push(quant);
  return parts.join(' · ');
}
