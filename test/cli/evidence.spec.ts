import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receipt } from '../../src/evidence/receipt.js';
import { formatSigningKey, parseSigningKey } from '../../src/io/evidence/signingKey.js';
import { exited, startCli, startCliIsolated } from '../support/cli.js';
import { type EvidenceFolder, evidenceFolder } from '../support/evidenceFolder.js';
import { tempDir } from '../support/tempDir.js';

const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const child = startCli(args, env);
  const { code } = await exited(child);
  return { code, stdout: child.stdoutText(), stderr: child.stderrText() };
};

let folder: EvidenceFolder;
let scratch: Awaited<ReturnType<typeof tempDir>>;
/** The receipt of the deleted subtree's root, as `receipt` printed it. */
let receiptText: string;

beforeAll(async () => {
  folder = await evidenceFolder();
  scratch = await tempDir();
  const r = await run(['receipt', folder.root, '--data', folder.data]);
  expect(r.code, r.stderr).toBe(0);
  receiptText = r.stdout;
}, 60_000);

afterAll(async () => {
  await folder?.remove();
  await scratch?.remove();
});

/**
 * verify-receipt in a process that has only the receipt and the key: a fresh empty folder as its
 * working directory, the two files copied there, an empty environment.
 */
const verifyAlone = async (receipt: string, key: string) => {
  const dir = await tempDir();
  try {
    writeFileSync(join(dir.path, 'receipt.json'), receipt);
    writeFileSync(join(dir.path, 'ledger.vkey'), key);
    const child = startCliIsolated(
      ['verify-receipt', 'receipt.json', '--key', 'ledger.vkey'],
      dir.path,
    );
    const { code } = await exited(child);
    return { code, stdout: child.stdoutText(), stderr: child.stderrText() };
  } finally {
    await dir.remove();
  }
};

const edited = (edit: (r: Receipt) => void): string => {
  const r = JSON.parse(receiptText) as Receipt;
  edit(r);
  return JSON.stringify(r, null, 2);
};

/** The receipt's entries as the events they hold (type and data). */
const entryEvents = (r: Receipt) =>
  r.entries.map((e) => JSON.parse(e.entry) as { type: string; data: unknown; metadata: unknown });

describe('thread-ledger evidence-key, receipt, verify-receipt: a deletion proven offline', () => {
  it('evidence-key prints the verifier key of the signing key the ledger made, and needs no service', async () => {
    const r = await run(['evidence-key', '--data', folder.data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${folder.verifierText}\n`);
    expect(r.stdout).toMatch(/^thread-ledger\/[0-9a-f]{16}\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\n$/);
  });

  it('receipt prints the JSON receipt (2-space indented) of the subtree, for the root or any thread of it', async () => {
    const receipt = JSON.parse(receiptText) as Receipt;
    expect(Receipt.is(receipt)).toBe(true);
    expect(receiptText).toBe(`${JSON.stringify(receipt, null, 2)}\n`);
    expect(receipt.rootThreadId).toBe(folder.root);
    expect(receipt.threadId).toBe(folder.root);
    const child = await run(['receipt', folder.deleted[3]!, '--data', folder.data]);
    expect(child.code, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({
      threadId: folder.deleted[3],
      rootThreadId: folder.root,
    });
  });

  it('verify-receipt, with only the receipt and the key: exit 0, a summary naming the root, who, when, why, every thread and its steps', async () => {
    const r = await verifyAlone(receiptText, `${folder.verifierText}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^receipt valid and complete: thread ${folder.root} and its subtree \\(4 threads\\) deleted\n`,
      ),
    );
    expect(r.stdout).toContain(`root: ${folder.root}\n`);
    expect(r.stdout).toContain('requested by: dpo (request req-1)\n');
    expect(r.stdout).toMatch(/^requested at: 2026-\d\d-\d\dT[\d:.]+Z$/m);
    expect(r.stdout).toContain('reason: "the user asked"\n');
    expect(r.stdout).toMatch(
      /^checkpoint: thread-ledger\/[0-9a-f]{16}, tree size \d+, signed by key /m,
    );
    for (const id of folder.deleted) {
      expect(r.stdout).toMatch(new RegExp(`^  thread ${id} \\(`, 'm'));
      // Its rollout removed, with size and hash; its content key destroyed.
      expect(r.stdout).toMatch(
        new RegExp(
          `^    rollout:\\S+rollout-${id}\\.jsonl: removed, \\d+ bytes, sha256 [0-9a-f]{64} \\(at `,
          'm',
        ),
      );
    }
    expect(r.stdout.match(/^ {4}content: destroyed, its content key destroyed /gm)).toHaveLength(4);
  });

  describe('verify-receipt refuses a receipt edited in any way: exit 1, "receipt refused: <reason>"', () => {
    const refusals: [string, () => string, () => string, RegExp][] = [
      [
        'one byte of an entry (the actor of the tombstone)',
        () =>
          edited((r) => {
            const i = entryEvents(r).findIndex((e) => e.type === 'ThreadDeleteRequested');
            // The metadata is its stored JSON text, escaped in the entry's JSON.
            const was = r.entries[i]!.entry;
            r.entries[i]!.entry = was.replace('\\"actor\\":\\"dpo\\"', '\\"actor\\":\\"dpa\\"');
            expect(r.entries[i]!.entry).not.toBe(was);
          }),
        () => folder.verifierText,
        /^receipt refused: entry \d+ \(position \d+\): not in the signed log/,
      ],
      [
        'an entry removed (a rollout purge)',
        () =>
          edited((r) => {
            const i = entryEvents(r).findIndex((e) => e.type === 'RolloutPurged');
            r.entries.splice(i, 1);
          }),
        () => folder.verifierText,
        /^receipt refused: thread \S+ \(tombstone at position \d+\): step rollout:\S+ has no recorded purge or waiver before its ThreadDeleted/,
      ],
      [
        'the checkpoint signature changed',
        () =>
          edited((r) => {
            const lines = r.checkpoint.split('\n');
            const sig = lines.findIndex((l) => l.startsWith('— '));
            const line = lines[sig]!;
            const at = line.length - 10;
            lines[sig] = `${line.slice(0, at)}${line[at] === 'A' ? 'B' : 'A'}${line.slice(at + 1)}`;
            r.checkpoint = lines.join('\n');
          }),
        () => folder.verifierText,
        /^receipt refused: the checkpoint: /,
      ],
      [
        'checked with another key of the same name',
        () => receiptText,
        () => {
          const name = folder.verifierText.split('+')[0]!;
          const other = parseSigningKey(formatSigningKey(name, randomBytes(32)));
          if (typeof other === 'string') throw new Error(other);
          return other.verifierText;
        },
        /^receipt refused: the checkpoint: /,
      ],
      [
        'checked with the key of another ledger',
        () => receiptText,
        () => {
          const other = parseSigningKey(formatSigningKey('other-ledger', randomBytes(32)));
          if (typeof other === 'string') throw new Error(other);
          return other.verifierText;
        },
        /^receipt refused: the receipt names key thread-ledger\/[0-9a-f]{16}, not the key given \(other-ledger\)/,
      ],
      [
        'not JSON',
        () => receiptText.slice(0, 100),
        () => folder.verifierText,
        /^receipt refused: receipt.json is not JSON: /,
      ],
    ];
    it.each(refusals)('%s', async (_what, receipt, key, reason) => {
      const r = await verifyAlone(receipt(), `${key()}\n`);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(reason);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });

  it('verify-receipt: a missing FILE or KEYFILE, or a KEYFILE that is no verifier key, is refused (exit 2)', async () => {
    const receiptFile = join(scratch.path, 'receipt.json');
    writeFileSync(receiptFile, receiptText);
    const keyFile = join(scratch.path, 'ledger.vkey');
    writeFileSync(keyFile, folder.verifierText);
    const signingKey = join(scratch.path, 'signing.key');
    copyFileSync(join(folder.data, 'evidence-signing.key'), signingKey);
    const runs = await Promise.all([
      run(['verify-receipt', join(scratch.path, 'none.json'), '--key', keyFile]),
      run(['verify-receipt', receiptFile, '--key', join(scratch.path, 'none.vkey')]),
      run(['verify-receipt', receiptFile]),
      run(['verify-receipt', receiptFile, '--key', signingKey]),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(2);
    expect(runs.map((r) => r.stderr)).toEqual([
      `thread-ledger: FILE: cannot read ${join(scratch.path, 'none.json')} (ENOENT)\n`,
      `thread-ledger: --key: cannot read ${join(scratch.path, 'none.vkey')} (ENOENT)\n`,
      'thread-ledger: --key is required\n',
      expect.stringMatching(/^thread-ledger: --key: \S+signing.key is not a verifier key: /),
    ]);
  });

  it('receipt of a thread not deleted, or not known: exit 1 and why; a THREAD_ID that is no UUID: exit 2', async () => {
    const unknown = '0190a8a2-0000-7000-8000-00000000beef';
    const live = await run(['receipt', folder.live, '--data', folder.data]);
    expect(live.code).toBe(1);
    expect(live.stdout).toBe('');
    expect(live.stderr).toBe(
      `thread-ledger receipt: thread ${folder.live} is not deleted yet: no deletion was requested\n`,
    );
    const none = await run(['receipt', unknown, '--data', folder.data]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`thread-ledger receipt: thread ${unknown} is not known\n`);
    const bad = await run(['receipt', 'thread-1', '--data', folder.data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'thread-ledger: THREAD_ID must be a thread id (a UUID), got "thread-1"\n',
    );
  });
});

describe('LEDGER_SIGNING_KEY_FILE', () => {
  it('a file that cannot be read, or is not a signing key: exit 2, one line naming it, nothing created', async () => {
    const data = join(scratch.path, 'fresh-data');
    const notAKey = join(scratch.path, 'not-a-key');
    writeFileSync(notAKey, `${folder.verifierText}\n`);
    const runs = await Promise.all([
      run(['worker', '--until-idle', '--data', data], {
        LEDGER_SIGNING_KEY_FILE: join(scratch.path, 'missing.key'),
      }),
      run(['receipt', folder.root, '--data', data], { LEDGER_SIGNING_KEY_FILE: notAKey }),
    ]);
    for (const r of runs) expect(r.code).toBe(2);
    expect(runs[0]!.stderr).toBe(
      `thread-ledger: LEDGER_SIGNING_KEY_FILE: ${join(scratch.path, 'missing.key')}: cannot be read (ENOENT)\n`,
    );
    expect(runs[1]!.stderr).toBe(
      `thread-ledger: LEDGER_SIGNING_KEY_FILE: ${notAKey}: a signing key is PRIVATE+KEY+<name>+<key id hex>+<base64 key>\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  it('a ledger started with it signs with that key (evidence-key says it); without it, the key made is said at start', async () => {
    const keyFile = join(scratch.path, 'pinned.key');
    writeFileSync(keyFile, formatSigningKey('pinned.example/log', randomBytes(32)));
    const data = join(scratch.path, 'pinned-data');
    const worker = await run(['worker', '--until-idle', '--data', data], {
      LEDGER_SIGNING_KEY_FILE: keyFile,
    });
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stderr).not.toContain('made a checkpoint signing key');
    expect(existsSync(join(data, 'evidence-signing.key'))).toBe(false);
    const key = await run(['evidence-key', '--data', data], { LEDGER_SIGNING_KEY_FILE: keyFile });
    expect(key.stdout).toMatch(/^pinned\.example\/log\+[0-9a-f]{8}\+/);

    const made = join(scratch.path, 'made-data');
    const first = await run(['worker', '--until-idle', '--data', made]);
    expect(first.code, first.stderr).toBe(0);
    const file = join(made, 'evidence-signing.key');
    const vkey = (await run(['evidence-key', '--data', made])).stdout.trim();
    expect(first.stderr).toContain(
      `thread-ledger: made a checkpoint signing key in ${file} (mode 0600); verifier key: ${vkey}\n`,
    );
    expect(readFileSync(file, 'utf8')).toMatch(/^PRIVATE\+KEY\+thread-ledger\//);
    const second = await run(['worker', '--until-idle', '--data', made]);
    expect(second.stderr).not.toContain('made a checkpoint signing key');
  });
});
