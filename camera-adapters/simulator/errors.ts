// Typed simulator errors; `code` is stable, the message names the option or address involved.

export type SimulatorErrorCode = 'invalid_option' | 'address_in_use' | 'listen_failed' | 'closed';

export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}
