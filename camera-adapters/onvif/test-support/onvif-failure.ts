import { OnvifError } from '../errors.ts';

/** Awaits a call that must fail with an OnvifError and returns it (anything else fails the test). */
export async function onvifFailure(p: Promise<unknown>): Promise<OnvifError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OnvifError) return err;
    throw err;
  }
  throw new Error('expected an OnvifError');
}
