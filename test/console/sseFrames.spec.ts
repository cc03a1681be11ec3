import { describe, expect, it } from 'vitest';
import { sseReader } from '../../console/src/sseFrames.js';

describe('reading Server-Sent Events out of a streamed body, as the console does', () => {
  const message =
    'id: 42\nevent: ThreadDeleted\ndata: {"position":"42","type":"ThreadDeleted"}\n\n';

  it('gives each message once it is complete, with its id, event type and data', () => {
    const r = sseReader();
    expect(r.push(': thread-ledger lifecycle events\n\n')).toEqual([]);
    expect(r.push(message)).toEqual([
      { id: '42', event: 'ThreadDeleted', data: '{"position":"42","type":"ThreadDeleted"}' },
    ]);
  });

  it('holds a message cut anywhere across chunks until its blank line arrives', () => {
    for (let cut = 1; cut < message.length; cut++) {
      const r = sseReader();
      expect(r.push(message.slice(0, cut))).toEqual([]);
      expect(r.push(message.slice(cut))).toEqual([
        { id: '42', event: 'ThreadDeleted', data: '{"position":"42","type":"ThreadDeleted"}' },
      ]);
    }
  });

  it('skips comments (keep-alives), reads CRLF line ends, joins data lines, defaults the event to "message"', () => {
    const r = sseReader();
    expect(r.push(': keep-alive\r\n\r\nid: 7\r\ndata: a\r\ndata: b\r\n\r\ndata\n\n')).toEqual([
      { id: '7', event: 'message', data: 'a\nb' },
      { id: null, event: 'message', data: '' },
    ]);
  });

  it('gives several messages that arrive in one chunk, in order', () => {
    const r = sseReader();
    const two = r.push(`${message}${message.replaceAll('42', '43')}`);
    expect(two.map((f) => f.id)).toEqual(['42', '43']);
  });
});
