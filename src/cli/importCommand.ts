import { CodexImporter } from '../codex/codexImporter.js';
import type { Command } from './command.js';
import { openConfiguredLedger } from './openConfiguredLedger.js';
import { say } from './processLifetime.js';

/** At most one progress line in this many milliseconds. */
const PROGRESS_EVERY_MS = 500;

/** A Codex home imported into its ledger from the shell, with progress and a summary. */
export const importCommand: Command<'import'> = {
  name: 'import',
  summary: 'imports a Codex home into its ledger, with progress and a summary',
  flags: ['codex-home', 'data'],
  usage: '[--codex-home DIR] [--data DIR]',
  async run({ ledger: settings }) {
    const ledger = openConfiguredLedger(settings);
    await ledger.runner.catchUp();
    let last = 0;
    const importer = new CodexImporter(settings.codexHome, ledger, (done, total) => {
      if (Date.now() - last < PROGRESS_EVERY_MS && done < total) return;
      last = Date.now();
      say(`import: ${done}/${total} rollouts read`);
    });
    const t0 = Date.now();
    const r = await importer.run({ full: true });
    for (const s of r.skipped) say(`import: skipped ${s.path}: ${s.error}`);
    say(
      `import: done in ${((Date.now() - t0) / 1000).toFixed(2)} s: ${r.scanned} rollouts read, ${r.started} threads started, ` +
        `${r.updated} updated, ${r.renamed} renamed, ${r.skipped.length} skipped, ${r.purgedLate.length} of deleted threads purged`,
    );
    await ledger.close();
    return 0;
  },
};
