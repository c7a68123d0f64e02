/**
 * The model a prediction or `/model/info` answers with, or the 503 that says there is none: in the general
 * terms /health uses, never the paths or load errors behind it.
 */
import { HttpError } from "../errors.ts";
import { type ModelLease, type ModelSource, PUBLIC_PROBLEMS } from "../models/store.ts";

/**
 * A 503's detail: "no model loaded" and what to do, in the general terms /health uses. The paths and load errors
 * behind it are the operator's, in the server log, never a client's (a bearer key is often shared by bots).
 */
export function noModelDetail(publicProblem: string | null): string {
  switch (publicProblem) {
    case null:
    case PUBLIC_PROBLEMS.starting:
      return "no model loaded yet; retry shortly";
    case PUBLIC_PROBLEMS.missing:
      // Not "train one": a `current` left pointing at a deleted version is this too, and a rollback fixes it.
      return "no model loaded: none is installed on the server; its log says what to do (promote or roll back " +
        "to a version that is there, or train one)";
    case PUBLIC_PROBLEMS.failed:
      return "no model loaded: it failed to load and is being retried; the server log says why";
    default:
      return `no model loaded: ${publicProblem}`;
  }
}

const noModel = (models: ModelSource) => new HttpError(503, noModelDetail(models.status().publicProblem));

/** The current model of `models` for this request, or a 503 thrown; the caller releases it. */
export function lease(models: ModelSource): ModelLease {
  const leased = models.acquire();
  if (leased === null) throw noModel(models);
  return leased;
}

/**
 * The 503 of `lease`, thrown before a body is read: without a model a prediction's body is never asked for. A
 * client sending `Expect: 100-continue` (curl on large uploads, .NET with ExpectContinue) got `100 Continue` and
 * uploaded its batch in full just to be told no model is loaded. The lease is still taken after the read: a
 * model may go between the two, and holding one through a slow upload would hold back a swap.
 */
export function requireModel(models: ModelSource): void {
  if (models.status().predictor === null) throw noModel(models);
}
