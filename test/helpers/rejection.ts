import { HttpError } from '../../functions/shared/errors.ts';

/** The HttpError that `run` throws; fails the test when it throws nothing or something else. */
export function rejection(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
