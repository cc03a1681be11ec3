/** One Server-Sent Events message: its `id:` (a log position), `event:` (a type) and `data:`. */
export type SseFrame = {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
};

/**
 * Reads SSE messages (https://html.spec.whatwg.org/#event-stream-interpretation) out of text
 * that arrives in chunks: `push` each chunk, get the messages it completed. Comment lines
 * (`: keep-alive`) are skipped; a message without data is no message.
 */
export const sseReader = () => {
  let buffer = '';
  return {
    push(chunk: string): SseFrame[] {
      buffer += chunk.replace(/\r\n?/g, '\n');
      const frames: SseFrame[] = [];
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | null = null;
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length > 0) frames.push({ id, event, data: data.join('\n') });
        end = buffer.indexOf('\n\n');
      }
      return frames;
    },
  };
};
