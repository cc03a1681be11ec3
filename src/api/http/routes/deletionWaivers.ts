import type { FastifyPluginAsync } from 'fastify';
import * as t from 'io-ts';
import type { Ledger } from '../../../app/ledger.js';
import { waiveStep } from '../../../app/waiveStep.js';
import { ThreadId } from '../../../domain/ids.js';
import type { CommandContext } from '../../../domain/metadata.js';
import type { Answer } from '../answer.js';
import { appliedOrThrow, problem } from '../problem.js';
import { type RouteSteps, routesOn } from '../route.js';

/**
 * The step of a deletion, in the path: its key exactly as the deletion record lists it in
 * `steps[].step` (`codex-home`, `rollout:/abs/path`, `index:/abs/path`, `history:/abs/path`,
 * `database:/abs/path`, `content`), URL-encoded as one path segment (`encodeURIComponent`).
 */
export const WaiveStepPath = t.type({ id: ThreadId, step: t.string });

/** Why the step is waived: required, not blank once trimmed, at most 4,096 characters. */
export const WaiveBody = t.exact(t.type({ reason: t.string }));

/** What a waiver recorded. */
export const StepWaived = t.type({
  waiver: t.type({
    threadId: t.string,
    step: t.string,
    reason: t.string,
    waivedBy: t.string,
    position: t.union([t.string, t.null]),
  }),
});

const WAIVE = '/waive';
const LONG_STEP_URL = '/v1/deletions/:id/steps/*';
const LongStepPath = t.type({ id: ThreadId, '*': t.string });

export type DeletionWaiversOptions = {
  readonly steps: RouteSteps;
  readonly commands: Ledger['commands'];
  /** Woken by a waiver: the deletion completes now, not at the worker's next turn. */
  readonly workerLoop: Pick<Ledger['workerLoop'], 'wake'>;
};

/** An admin's decision on a deletion step that can never succeed: waived, with a reason. */
export const deletionWaivers: FastifyPluginAsync<DeletionWaiversOptions> = async (app, opts) => {
  const { steps, commands } = opts;
  const route = routesOn(app, steps);

  const waiver = {
    role: 'admin',
    tags: ['commands'],
    idempotent: true,
    method: 'POST',
    summary: 'Waive a deletion step that can never succeed',
    description:
      'An operator’s decision on a step that fails forever: recorded as DeletionStepWaived ' +
      'with who and why (`reason`, required); the deletion then completes without it. `id`: the ' +
      'thread the step belongs to; `step`: the key the deletion record lists in steps[].step, ' +
      'URL-encoded. Only a planned step, not done, of a deletion under way.',
    responses: { 200: StepWaived },
  } as const;

  const waive = async (
    threadId: ThreadId,
    step: string,
    reason: string,
    command: CommandContext,
  ): Promise<Answer> => {
    const r = appliedOrThrow(await waiveStep(commands, threadId, step, reason, command));
    opts.workerLoop.wake();
    const body = {
      waiver: {
        threadId,
        step,
        reason: reason.trim(),
        waivedBy: command.actor,
        position: r.position === null ? null : String(r.position),
      },
    };
    const replayed: Record<string, string> = r.replayed ? { 'idempotent-replayed': 'true' } : {};
    return { status: 200, body, headers: { location: `/v1/deletions/${threadId}`, ...replayed } };
  };

  route({
    ...waiver,
    url: '/v1/deletions/:id/steps/:step/waive',
    input: { params: WaiveStepPath, body: WaiveBody },
    handler: ({ params, body, command }) => waive(params.id, params.step, body.reason, command),
  });

  // The same route for a step key longer than a path parameter may be (a rollout's full path):
  // the rest of the path is the step, then `/waive`. Left out of the OpenAPI document.
  app.addHook('onRoute', (r) => {
    if (r.url === LONG_STEP_URL) r.schema = { ...r.schema, hide: true };
  });
  route({
    ...waiver,
    url: LONG_STEP_URL,
    input: { params: LongStepPath, body: WaiveBody },
    handler: ({ params, body, command, request }) => {
      const rest = params['*'];
      // Anything else under /steps/ is no route, as the not-found handler would answer.
      if (!rest.endsWith(WAIVE))
        throw problem('route-not-found', 404, 'No such route', `POST ${request.url.slice(0, 200)}`);
      return waive(params.id, rest.slice(0, -WAIVE.length), body.reason, command);
    },
  });
};
