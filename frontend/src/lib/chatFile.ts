// Chat export (Markdown to read, JSON to import again) and the check an imported file must
// pass before anything is sent to the server.
import type { Chat, Message, Params } from '../api/types';

export const chatFormat = 'perch.chat';

export interface ChatFile {
  format: typeof chatFormat;
  version: 1;
  title: string;
  model: string;
  system: string;
  params: Params;
  messages: Pick<Message, 'role' | 'content' | 'reasoning' | 'model' | 'finish_reason' | 'stopped' | 'stats' | 'created_at'>[];
}

export function toJSON(c: Chat): string {
  const file: ChatFile = {
    format: chatFormat,
    version: 1,
    title: c.title,
    model: c.model,
    system: c.system,
    params: c.params,
    messages: (c.messages ?? []).map(({ role, content, reasoning, model, finish_reason, stopped, stats, created_at }) => ({
      role,
      content,
      reasoning: reasoning || undefined,
      model: model || undefined,
      finish_reason,
      stopped,
      stats,
      created_at,
    })),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

export function toMarkdown(c: Chat, labels: { you: string; system: string }): string {
  const out = [`# ${c.title || 'Chat'}`, ''];
  if (c.system.trim()) out.push(`> **${labels.system}:** ${c.system.trim().replace(/\n/g, '\n> ')}`, '');
  for (const m of c.messages ?? []) {
    out.push(m.role === 'user' ? `## ${labels.you}` : `## ${m.model || c.model}`, '', m.content.trim(), '');
  }
  return out.join('\n');
}

/** Saves text as a file through the browser's download. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name from the chat's title: letters (any script), digits and dashes. */
export function fileName(c: Chat, ext: string): string {
  const base = (c.title || 'chat').normalize('NFC').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'chat';
  return `${base}.${ext}`;
}

export type ParseResult = { ok: true; file: ChatFile } | { ok: false; reason: 'notJSON' | 'notPerch' | 'empty' };

/** Checks that text is a chat Perch exported; nothing is imported otherwise. */
export function parseChatFile(text: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'notJSON' };
  }
  const f = v as Partial<ChatFile> | null;
  if (!f || typeof f !== 'object' || f.format !== chatFormat || f.version !== 1 || !Array.isArray(f.messages)) return { ok: false, reason: 'notPerch' };
  if (f.messages.length === 0) return { ok: false, reason: 'empty' };
  return { ok: true, file: f as ChatFile };
}
