import { describe, expect, it } from 'vitest';
import { baseName, displayName } from '../lib/modelName';

describe('display names', () => {
  it.each([
    [{ name: 'hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M', quantization: 'Q4_K_M' }, 'Qwen3 8B · Q4_K_M'],
    [{ name: 'hf.co/acme/Tiny-Stories-GGUF:q8_0', quantization: '' }, 'Tiny Stories · Q8_0'],
    [{ name: 'llama3.2:3b', quantization: 'Q4_K_M' }, 'llama3.2 · 3b · Q4_K_M'],
    [{ name: '127.0.0.1:3000/library/tiny:latest', quantization: 'F32' }, 'tiny · F32'],
    [{ name: 'stories260k', quantization: 'F32' }, 'stories260k · F32'],
    [{ name: 'hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M', quantization: 'Q4_K_M', display_name: 'Qwen3-8B' }, 'Qwen3-8B · Q4_K_M'],
    // The server's name already has the quantization and size: nothing is said twice.
    [{ name: 'hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M', quantization: 'Q4_K_M', display_name: 'Qwen3 8B · Q4_K_M' }, 'Qwen3 8B · Q4_K_M'],
    [{ name: 'llama3.2:3b', quantization: 'Q4_K_M', display_name: 'Llama 3.2 3B · Q4_K_M' }, 'Llama 3.2 3B · Q4_K_M'],
  ])('%o → %s', (m, want) => {
    expect(displayName(m)).toBe(want);
  });

  it('keeps a port out of the tag', () => {
    expect(baseName('127.0.0.1:3000/library/tiny')).toEqual({ base: 'tiny', tag: '' });
  });
});
